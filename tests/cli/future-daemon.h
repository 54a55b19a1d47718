/* A guestinfod of a later 1.x, written from the contract alone (the XML in dbus/),
 * for what the daemon's own code never sends: every entry's trailing a{sv}
 * filled with keys no client knows yet (of many types, nested containers
 * among them), address families, sources and a domain state added later,
 * properties and an interface added later. It takes guestinfod's bus name
 * on the test's private session bus and answers from a thread of the test.
 *
 * Two domains: "future" (running in a state added later, agent connected,
 * guest data) and "plain" (shut off, no agent, one NIC from the domain XML). */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <systemd/sd-bus.h>

#define FUTURE_UUID "d0000000-0000-4000-8000-000000000001"
#define PLAIN_UUID "d0000000-0000-4000-8000-000000000002"

typedef struct FutureDaemon {
        sd_bus *bus;
        pthread_t thread;
        bool running;
        atomic_bool stop;
} FutureDaemon;

typedef struct FutureOptions {
        /* The a{sv}s full of unknown keys, the added properties and the
         * added interface; else every a{sv} is empty, as 1.0 sends it. */
        bool extras;
        /* Without Manager.ListSummaries (clients read GetManagedObjects). */
        bool no_summaries;
} FutureOptions;

/* Connects to the session bus, registers the objects, takes the bus name
 * and serves until future_daemon_stop(). Returns 0 or -errno. */
int future_daemon_start(FutureDaemon *f, FutureOptions options);
/* Stops serving, gives the name back, disconnects. */
void future_daemon_stop(FutureDaemon *f);
