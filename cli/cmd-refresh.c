/* guestinfoctl refresh VM: ask guestinfod to collect everything from the
 * guest agent now. On the system bus the daemon asks polkit first. */
#include "commands.h"
#include "guestinfo-names.h"

int cmd_refresh(BusClient *c, const char *vm) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(freep) char *path = NULL;
        int r;

        r = bus_client_find_vm(c, vm, &path);
        if (r != 0)
                return r;
        /* answered once the collection is done (or failed) */
        r = bus_client_call(c, path, DOMAIN_INTERFACE, METHOD_REFRESH, &error, NULL, NULL);
        if (r < 0)
                return bus_client_report(c, r, &error, vm);
        return 0;
}
