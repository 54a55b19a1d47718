#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "macro.h"

void vm_address_done(VmAddress *a) {
        free(a->family);
        free(a->address);
        *a = (VmAddress){};
}

bool vm_address_is_ip(const VmAddress *a) {
        return a->address && a->address[0] && a->family && (streq(a->family, "ipv4") || streq(a->family, "ipv6"));
}

char *vm_address_text(const VmAddress *a) {
        char *s = NULL;
        const char *address = a->address ? a->address : "";

        if (a->prefix == 0)
                return strdup(address);
        if (asprintf(&s, "%s/%u", address, (unsigned) a->prefix) < 0)
                return NULL;
        return s;
}

json_t *vm_address_json(const VmAddress *a) {
        return json_pack("{s:s, s:s, s:o}", "family", a->family ? a->family : "", "address",
                         a->address ? a->address : "", "prefix", a->prefix ? json_integer(a->prefix) : json_null());
}
