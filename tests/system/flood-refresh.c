/* Floods one domain with Refresh() on the system bus from one connection:
 * BURST calls sent at once, then calls one after the other for SECONDS.
 * Prints "calls N denied D other O": how many were answered, with
 * AccessDenied, with anything else. Run by test-system as another user. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>

#define BUS_NAME "org.guestinfod.GuestInfo1"
#define DOMAIN_IFACE "org.guestinfod.GuestInfo1.Domain"

static unsigned answered, denied, other;

static void count(const sd_bus_error *e) {
        answered++;
        if (e && sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED))
                denied++;
        else
                other++;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        count(sd_bus_message_get_error(m));
        return 0;
}

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char *argv[]) {
        sd_bus *bus = NULL;
        int r;

        if (argc != 4) {
                fprintf(stderr, "usage: %s PATH BURST SECONDS\n", argv[0]);
                return 2;
        }
        unsigned burst = (unsigned) atoi(argv[2]);
        double seconds = atof(argv[3]);
        if (sd_bus_open_system(&bus) < 0) {
                fprintf(stderr, "flood-refresh: no system bus\n");
                return 2;
        }
        for (unsigned i = 0; i < burst; i++) {
                r = sd_bus_call_method_async(bus, NULL, BUS_NAME, argv[1], DOMAIN_IFACE, "Refresh", on_reply, NULL, "");
                if (r < 0) {
                        fprintf(stderr, "flood-refresh: send: %s\n", strerror(-r));
                        return 1;
                }
        }
        double deadline = now() + 60;
        while (answered < burst && now() < deadline) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        break;
                if (r == 0)
                        sd_bus_wait(bus, 1000000);
        }
        double end = now() + seconds;
        while (now() < end) {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                r = sd_bus_call_method(bus, BUS_NAME, argv[1], DOMAIN_IFACE, "Refresh", &e, NULL, "");
                count(r < 0 ? &e : NULL);
                sd_bus_error_free(&e);
        }
        printf("calls %u denied %u other %u\n", answered, denied, other);
        sd_bus_flush_close_unref(bus);
        return 0;
}
