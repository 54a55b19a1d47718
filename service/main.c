/* guestinfod: publishes what libvirt's guest agents report on D-Bus. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "bus-errors.h"
#include "bus-publisher.h"
#include "bus-writer.h"
#include "log.h"
#include "manager.h"
#include "options.h"

/* Through a writer (bus-writer.h) where the bus is a socket path, as it is
 * on every system bus; else as sd-bus connects (*ret_writer NULL). */
static int open_bus(BusKind kind, sd_bus **ret, BusWriter **ret_writer) {
        _cleanup_(freep) char *address = NULL;
        bool system = kind == BUS_KIND_SYSTEM;
        int r;

        *ret_writer = NULL;
        r = bus_writer_default_address(system, &address);
        if (r >= 0) {
                /* the system bus checks the callers of privileged methods */
                r = bus_writer_connect(address, !system, system ? "system" : "user", ret, ret_writer);
                if (r != -EPROTONOSUPPORT)
                        return r;
                log_debug("The bus address '%s' is not a socket path: replies are marshalled every time.", address);
        }
        return system ? sd_bus_open_system(ret) : sd_bus_open_user(ret);
}

static int on_bus_disconnected(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        log_error("Lost the connection to the bus, exiting.");
        sd_event *event = userdata;
        return sd_event_exit(event, EXIT_FAILURE);
}

/* glibc raises its mmap threshold to the size of each big block freed, up
 * to 32 MiB: after the first guest reply of megabytes, the next ones (and
 * libvirt's buffers for them) come from the heap, and each thread's arena
 * keeps them. Measured with one hostile guest (bench-hostile): peak RSS
 * 52 MiB and 45 MiB kept by default, 33 MiB and 23 MiB kept with a fixed
 * threshold, over a floor of 20 MiB. Two arenas at most, so that what a
 * worker frees serves the others and nothing is kept once per worker. */
static void set_up_malloc(void) {
        (void) mallopt(M_MMAP_THRESHOLD, 128 * 1024);
        (void) mallopt(M_ARENA_MAX, 2);
}

static int run(const Options *o) {
        /* Freed in reverse: the publisher first (it unregisters its bus
         * objects, whose userdata is itself and the manager), then the
         * manager (it stops the threads), then the bus and the loop. */
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(bus_writer_freep) BusWriter *writer = NULL; /* once the bus is closed */
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(publisher_freep) Publisher *p = NULL;
        sigset_t mask;
        int r;

        /* Block before any thread starts, so only sd-event sees these. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);

        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to create the event loop: %m");
        (void) sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        (void) sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);

        r = open_bus(o->bus, &bus, &writer);
        if (r < 0)
                return log_error_errno(
                        r, "Failed to connect to the %s bus (%s): %m", o->bus == BUS_KIND_USER ? "session" : "system",
                        o->bus == BUS_KIND_USER ? "is DBUS_SESSION_BUS_ADDRESS set?"
                                                : "DBUS_SYSTEM_BUS_ADDRESS or /run/dbus/system_bus_socket");
        if (writer)
                bus_writer_set_kept_max(writer, o->keep_replies_bytes);
        (void) sd_bus_error_add_map(bus_error_map);
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        /* Without the bus there is nothing to do: exit, the unit restarts us. */
        r = sd_bus_match_signal_async(bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                      "org.freedesktop.DBus.Local", "Disconnected", on_bus_disconnected, NULL, event);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the bus connection: %m");

        r = manager_new(event, o->uri, &m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up: %m");
        m->collect.config = o->collect;
        /* On the session bus everybody is the same user: no polkit there. */
        r = publisher_new(bus, event, m, o->bus == BUS_KIND_SYSTEM, &p);
        if (r < 0)
                return log_error_errno(r, "Failed to register the bus objects: %m");
        publisher_set_kept_max(p, o->keep_replies_bytes);
        r = manager_start(m);
        if (r < 0)
                return log_error_errno(r, "Failed to start watching libvirt: %m");

        (void) sd_notify(false, "STATUS=Connecting to libvirt.");
        r = sd_event_loop(event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        (void) sd_notify(false, "STOPPING=1");
        return r == 0 ? 0 : -EIO;
}

int main(int argc, char *argv[]) {
        char error[512];
        Options o;
        int r;

        r = options_parse(argc, argv, &o, error, sizeof error);
        if (r == 0)
                return EXIT_SUCCESS;
        if (r < 0) {
                fprintf(stderr, "guestinfod: %s (see --help)\n", error);
                return 2;
        }
        log_set_max_level(o.log_level);
        set_up_malloc();

        r = run(&o);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
