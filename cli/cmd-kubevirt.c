/* guestinfoctl guestosinfo|userlist|filesystemlist|interfaces VM: KubeVirt's
 * documents, exactly as guestinfod builds them, for scripts written against
 * KubeVirt's subresources. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "guestinfo-names.h"
#include "output.h"

static const struct {
        const char *command;
        const char *method;
} methods[] = {
        { "guestosinfo", METHOD_GET_GUEST_OS_INFO },
        { "userlist", METHOD_GET_USER_LIST },
        { "filesystemlist", METHOD_GET_FILESYSTEM_LIST },
        { "interfaces", METHOD_GET_INTERFACES },
};

int cmd_kubevirt(BusClient *c, const char *command, const char *vm) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(freep) char *path = NULL;
        const char *method = NULL, *json;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(methods); i++)
                if (streq(methods[i].command, command))
                        method = methods[i].method;
        if (!method)
                return cli_error(ERRNO_USAGE, "Unknown command '%s'.", command);

        r = bus_client_find_vm(c, vm, &path);
        if (r != 0)
                return r;
        r = bus_client_call(c, path, DOMAIN_INTERFACE, method, &error, &reply, NULL);
        if (r < 0)
                return bus_client_report(c, r, &error, vm);
        r = sd_bus_message_read(reply, "s", &json);
        if (r < 0)
                return cli_error(-EIO, "Failed to parse guestinfod's answer: %s", strerror(-r));
        /* byte for byte what the daemon sent: no re-encoding of numbers */
        if (puts(json) == EOF)
                return cli_error(-EIO, "Failed to write the output: %s", strerror(errno));
        return output_flush();
}
