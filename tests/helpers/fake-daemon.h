/* The daemon's own bus code (libguestinfod-internal) serving a model the
 * test builds, for what the test hypervisor cannot give: guest data (it has
 * no guest agent), and an older guestinfod (no ListSummaries). It takes
 * guestinfod's bus name on the harness's private bus (the session bus of
 * the test) and answers from a thread of the test. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-bus.h>

#include "bus-domain.h"
#include "bus-fairness.h"
#include "bus-tree.h"
#include "bus-writer.h"
#include "manager.h"

typedef struct FakeVm {
        const char *name;
        const char *uuid;
        DomainState state;
        bool agent_connected;
        /* What goes inside the domain XML's <devices> (its <interface>s and <disk>s). */
        const char *devices;
        /* One collection's result as libvirt's typed parameters, "key=value"
         * with libvirt 9.0's keys ("hostname=vm1", "if.0.addr.count=2"),
         * NULL-terminated: keys ending in "count" or "prefix" are unsigned,
         * "timezone.offset" an int, those ending in "partition" booleans
         * ("yes"), the rest strings; "guest-info=JSON" is the agent's
         * guest-info reply (version and commands), "fsfreeze=thawed" or
         * "=frozen" what guest-fsfreeze-status said, "vcpus=2,2,1",
         * "load=0.5,0.4,0.3" and "clock=USEC" the vCPUs, the load averages
         * and the clock offset. Each kind
         * asked is then "fresh", collected now, as GuestDataStatus says
         * (failed_kinds "failed"). NULL: nothing
         * collected, the guest data is not exported. */
        const char *const *guest;
        /* GuestKind bits that this collection did not get (not parsed). */
        unsigned failed_kinds;
} FakeVm;

/* A Manager holding these domains, filled as the daemon fills it
 * (domain_new, domain_take_guest_data), connected to libvirt. */
int fake_model_new(const FakeVm *vms, size_t n, Manager **ret);

typedef struct FakeDaemon FakeDaemon;

struct FakeDaemon {
        Manager *model;
        sd_bus *bus;
        BusWriter *writer;
        sd_event *event;
        BusDomain *domains;
        BusFairness *fairness;
        BusTree *tree;
        pthread_t thread;
        bool running;
        atomic_bool stop;
        /* Calls seen, by the daemon's side. */
        atomic_uint list_summaries_calls;
        atomic_uint get_managed_objects_calls;
        atomic_uint list_domains_calls;
        atomic_uint get_all_calls;
        atomic_uint get_counters_calls;
        /* FAKE_REFUSE_* bits: those calls are answered LimitsExceeded, as
         * guestinfod answers them when the reply would not fit in a bus
         * message (a fleet too big for the test to build). */
        atomic_uint refuse;
        /* fake_daemon_call(): the request, and the serving thread woken */
        pthread_mutex_t call_lock;
        pthread_cond_t call_done;
        int (*call_fn)(struct FakeDaemon *f, void *userdata);
        void *call_userdata;
        int call_result;
        bool call_pending;
        bool call_touches;
        int call_fd;
        sd_event_source *call_source;
};

enum {
        FAKE_REFUSE_GET_MANAGED_OBJECTS = 1 << 0,
        FAKE_REFUSE_LIST_SUMMARIES = 1 << 1,
        FAKE_REFUSE_LIST_DOMAINS = 1 << 2,
        /* Not a refusal: each GetAll of a Domain interface is preceded by
         * PropertiesChanged(State) of that object, so that the caller gets
         * a signal while it reads the objects. */
        FAKE_CHANGE_BEFORE_GET_ALL = 1 << 3,
};

/* Connects to the session bus, registers the daemon's vtables for m (old:
 * a Manager interface as guestinfod had it before ListSummaries, with only
 * the Connected property of it), takes the bus name and serves until
 * fake_daemon_stop(). m must outlive it and not change meanwhile. */
int fake_daemon_start(FakeDaemon *f, Manager *m, bool old);
/* The same; sd_bus_tree: without guestinfod's whole-tree calls
 * (bus-tree.h), so sd-bus answers GetManagedObjects itself, as before. */
int fake_daemon_start_full(FakeDaemon *f, Manager *m, bool old, bool sd_bus_tree);
/* Runs fn(f, userdata) in the serving thread, where the model and the bus
 * may be touched (a change, then its signal: bus_domain_emit_changes on
 * f->domains), and waits for it; returns what fn returned. Every domain
 * counts as changed after it (domain_touch, the model's generations), as
 * fn may have changed any without telling: what was kept of the replies is
 * built again. */
int fake_daemon_call(FakeDaemon *f, int (*fn)(FakeDaemon *f, void *userdata), void *userdata);
/* The same for an fn that tells the model what it changed, as the daemon's
 * collectors do (manager_domain_changed): nothing else counts as changed. */
int fake_daemon_call_told(FakeDaemon *f, int (*fn)(FakeDaemon *f, void *userdata), void *userdata);
/* Stops serving, gives the name back, disconnects. */
void fake_daemon_stop(FakeDaemon *f);
