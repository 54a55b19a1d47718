/* Calls one method of org.guestinfod.GuestInfo1 on the system bus and prints
 * "ok" or "ERROR <name>: <message>" — the whole error, which busctl shortens
 * for AccessDenied. Run by test-system as other users. */
#include <stdio.h>

#include <systemd/sd-bus.h>

int main(int argc, char *argv[]) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus *bus = NULL;

        if (argc != 4) {
                fprintf(stderr, "usage: %s PATH INTERFACE METHOD\n", argv[0]);
                return 2;
        }
        if (sd_bus_open_system(&bus) < 0) {
                fprintf(stderr, "call-method: no system bus\n");
                return 2;
        }
        int r = sd_bus_call_method(bus, "org.guestinfod.GuestInfo1", argv[1], argv[2], argv[3], &error, NULL, "");
        if (r < 0)
                printf("ERROR %s: %s\n", error.name ? error.name : "?", error.message ? error.message : "");
        else
                printf("ok\n");
        sd_bus_error_free(&error);
        sd_bus_flush_close_unref(bus);
        return r < 0;
}
