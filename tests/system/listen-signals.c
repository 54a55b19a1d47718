/* Counts the signals from org.guestinfod.GuestInfo1 this process receives on
 * the system bus within a few seconds; run by test-system as other users to
 * check what the bus policy lets them see. Prints the count. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <systemd/sd-bus.h>

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        (*(unsigned *) userdata)++;
        return 0;
}

int main(int argc, char *argv[]) {
        sd_bus *bus = NULL;
        unsigned count = 0;
        double seconds = argc > 1 ? atof(argv[1]) : 5;

        if (sd_bus_open_system(&bus) < 0 ||
            sd_bus_add_match(bus, NULL, "type='signal',sender='org.guestinfod.GuestInfo1'", on_signal, &count) < 0) {
                fprintf(stderr, "listen-signals: cannot listen on the system bus\n");
                return 1;
        }
        /* the parent starts changes once it sees this line */
        printf("listening\n");
        fflush(stdout);

        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                double left = seconds - (now.tv_sec - start.tv_sec) - (now.tv_nsec - start.tv_nsec) / 1e9;
                if (left <= 0)
                        break;
                int r = sd_bus_process(bus, NULL);
                if (r < 0)
                        break;
                if (r == 0)
                        sd_bus_wait(bus, (uint64_t) (left * 1e6));
        }
        printf("%u\n", count);
        sd_bus_flush_close_unref(bus);
        return 0;
}
