#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "utf8.h"
#include "virt-error.h"

static int errno_of(const virError *e) {
        if (!e)
                return -EIO;
        switch (e->code) {
        case VIR_ERR_NO_DOMAIN:
                return -ENOENT;
        case VIR_ERR_AGENT_UNRESPONSIVE:
        case VIR_ERR_OPERATION_TIMEOUT:
                return -ETIMEDOUT;
        case VIR_ERR_RPC:
                return -E2BIG;
        case VIR_ERR_NO_SUPPORT:
                return -EOPNOTSUPP;
        case VIR_ERR_NO_MEMORY:
                return -ENOMEM;
        default:
                return -EIO;
        }
}

int virt_error_last(const char *what, char **ret_message) {
        virErrorPtr e = virGetLastError();

        if (ret_message) {
                const char *text = e && e->message ? e->message : "unknown libvirt error";
                char *s = NULL;
                if (what ? asprintf(&s, "%s: %s", what, text) < 0 : !(s = strdup(text)))
                        s = NULL;
                *ret_message = s ? text_for_log(s, VIRT_ERROR_MESSAGE_MAX) : NULL;
                free(s);
        }
        return errno_of(e);
}
