#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "bus-domain.h"
#include "bus-fairness.h"
#include "bus-manager.h"
#include "bus-paths.h"
#include "bus-publisher.h"
#include "bus-told.h"
#include "bus-tree.h"
#include "helpers.h"
#include "log.h"

struct Publisher {
        sd_bus *bus;
        sd_event *event;
        Manager *manager;
        BusDomain *domains;
        BusFairness *fairness;
        BusTree *tree;

        /* Nothing is emitted before the name is ours: nobody can be listening. */
        bool published;
        sd_bus_slot *name_slot;
        /* The manager object's registrations: ours, unregistered first. */
        sd_bus_slot *manager_slots[BUS_MANAGER_SLOTS];
        uint64_t start_usec;

        /* Changes wait here until the end of the loop iteration, so a burst
         * of updates becomes one PropertiesChanged per object; a domain that
         * signalled less than CHANGES_WINDOW_USEC ago waits for the window's
         * end (window_source), so a flapping domain cannot flood its
         * listeners. The last signal always carries the final values, and
         * only those that are not what the clients were last told
         * (bus-told.h): a value that changed and changed back meanwhile is
         * left out, and a signal left with nothing is not sent. */
        Domain *changes_head;
        unsigned manager_changes;
        sd_event_source *flush_source;
        sd_event_source *window_source;

        /* What the clients learnt of the domains there when the name became
         * ours is recorded from an idle source, a slice at a time: 10000
         * domains take about a second (bench/bench-told.c). */
        sd_event_source *baseline_source;
};

#define CHANGES_WINDOW_USEC (10 * 1000ULL)
#define BASELINE_SLICE_USEC (5 * 1000ULL)

static void unqueue_domain(Publisher *p, Domain *d) {
        if (!d->in_changes_queue)
                return;
        if (d->changes_prev)
                d->changes_prev->changes_next = d->changes_next;
        else
                p->changes_head = d->changes_next;
        if (d->changes_next)
                d->changes_next->changes_prev = d->changes_prev;
        d->changes_prev = d->changes_next = NULL;
        d->in_changes_queue = false;
        d->pending_changes = 0;
}

/* Returns whether a signal went out. */
static bool emit_domain_changes(Publisher *p, Domain *d) {
        DomainProperties changes = bus_told_changes(p->bus, p->domains, d, d->pending_changes);
        if (changes == 0)
                return false;
        int r = bus_domain_emit_changes(p->domains, d, changes);
        if (r < 0) {
                /* what reached the clients is unknown: the next value goes out whatever it is */
                bus_told_forget(d, changes);
                log_warning_errno(r, "Failed to announce changes of domain '%s', ignoring: %m", d->log_name);
        }
        return true;
}

static int on_window_end(sd_event_source *s, uint64_t usec, void *userdata);

static void arm_window_timer(Publisher *p, uint64_t when) {
        int r;

        if (p->window_source) {
                r = sd_event_source_set_time(p->window_source, when);
                if (r >= 0)
                        r = sd_event_source_set_enabled(p->window_source, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(p->event, &p->window_source, CLOCK_MONOTONIC, when, 1000, on_window_end, p);
        if (r < 0)
                log_warning_errno(r, "Failed to schedule delayed change signals, ignoring: %m");
}

/* Sends what is queued for every domain whose window is over; the others
 * stay queued until the earliest of their windows ends. */
static int flush_changes(Publisher *p) {
        uint64_t now, next = UINT64_MAX;

        if (sd_event_now(p->event, CLOCK_MONOTONIC, &now) < 0)
                now = now_usec();
        for (Domain *d = p->changes_head, *following; d; d = following) {
                following = d->changes_next;
                uint64_t window_end = d->changes_emitted_usec + CHANGES_WINDOW_USEC;
                if (d->changes_emitted_usec != 0 && now < window_end) {
                        if (window_end < next)
                                next = window_end;
                        continue;
                }
                if (emit_domain_changes(p, d))
                        d->changes_emitted_usec = now;
                unqueue_domain(p, d);
        }
        if (next != UINT64_MAX)
                arm_window_timer(p, next);

        if (p->manager_changes) {
                const char *names[4];
                bus_manager_property_names(p->manager_changes, names);
                p->manager_changes = 0;
                int r = sd_bus_emit_properties_changed_strv(p->bus, MANAGER_PATH, MANAGER_INTERFACE, (char **) names);
                if (r < 0)
                        log_warning_errno(r, "Failed to announce manager changes, ignoring: %m");
        }
        return 0;
}

static int on_window_end(sd_event_source *s, uint64_t usec, void *userdata) {
        return flush_changes(userdata);
}

static int on_flush(sd_event_source *s, void *userdata) {
        return flush_changes(userdata);
}

static void schedule_flush(Publisher *p) {
        int r = sd_event_source_set_enabled(p->flush_source, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Failed to schedule change signals, ignoring: %m");
}

static void on_domain_added(Manager *m, Domain *d, void *userdata) {
        Publisher *p = userdata;
        _cleanup_(freep) char *path = NULL;
        int r;

        if (!p->published)
                return;
        r = domain_object_path(d->uuid, &path);
        if (r >= 0)
                r = sd_bus_emit_object_added(p->bus, path);
        if (r < 0) {
                log_warning_errno(r, "Failed to announce domain '%s', ignoring: %m", d->log_name);
                return;
        }
        bus_told_record(p->bus, p->domains, d, ~0u);
        d->told_baselined = true;
}

static void on_domain_removed(Manager *m, Domain *d, void *userdata) {
        Publisher *p = userdata;
        _cleanup_(freep) char *path = NULL;
        int r;

        unqueue_domain(p, d);
        bus_tree_forget(p->tree, d);
        if (!p->published)
                return;
        r = domain_object_path(d->uuid, &path);
        if (r >= 0)
                r = sd_bus_emit_object_removed(p->bus, path);
        if (r < 0)
                log_warning_errno(r, "Failed to announce removal of domain '%s', ignoring: %m", d->log_name);
}

static void on_domain_changed(Manager *m, Domain *d, DomainProperties properties, void *userdata) {
        Publisher *p = userdata;

        bus_tree_forget(p->tree, d);
        if (!p->published)
                return;
        d->pending_changes |= properties;
        if (!d->in_changes_queue) {
                d->changes_prev = NULL;
                d->changes_next = p->changes_head;
                if (p->changes_head)
                        p->changes_head->changes_prev = d;
                p->changes_head = d;
                d->in_changes_queue = true;
        }
        schedule_flush(p);
}

static void on_manager_changed(Manager *m, unsigned properties, void *userdata) {
        Publisher *p = userdata;

        if (!p->published)
                return;
        p->manager_changes |= properties;
        schedule_flush(p);
}

static void on_domain_guest_exported(Manager *m, Domain *d, bool exported, void *userdata) {
        Publisher *p = userdata;

        bus_tree_forget(p->tree, d);
        if (!p->published)
                return;
        /* Pending changes first, so no PropertiesChanged follows a removal. */
        if (!exported && d->in_changes_queue) {
                if (emit_domain_changes(p, d))
                        (void) sd_event_now(p->event, CLOCK_MONOTONIC, &d->changes_emitted_usec);
                unqueue_domain(p, d);
        }
        int r = bus_domain_emit_guest_exported(p->domains, d, exported);
        if (r < 0)
                log_warning_errno(r, "Failed to announce the guest data of '%s', ignoring: %m", d->log_name);
        /* InterfacesAdded told the clients these values; InterfacesRemoved
         * made them forget. */
        if (exported && r >= 0)
                bus_told_record(p->bus, p->domains, d, domain_exported_properties());
        else
                bus_told_forget(d, domain_exported_properties());
}

static int on_name_acquired(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Publisher *p = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        uint32_t result = 0;

        p->name_slot = sd_bus_slot_unref(p->name_slot);
        if (e) {
                log_error("Failed to acquire the bus name %s: %s", BUS_NAME, e->message ? e->message : e->name);
                return sd_event_exit(p->event, EXIT_FAILURE);
        }
        /* 1: primary owner, 4: already the owner (see org.freedesktop.DBus.RequestName). */
        if (sd_bus_message_read(reply, "u", &result) < 0 || (result != 1 && result != 4)) {
                log_error("The bus name %s is already taken: is another guestinfod running?", BUS_NAME);
                return sd_event_exit(p->event, EXIT_FAILURE);
        }

        p->published = true;
        log_info("Publishing %zu domains of %s as %s (ready in %.3f s).", manager_domain_count(p->manager),
                 p->manager->uri, BUS_NAME, (now_usec() - p->start_usec) / 1e6);
        (void) sd_notifyf(false, "READY=1\nSTATUS=Publishing %zu domains.", manager_domain_count(p->manager));
        /* Whoever reads the tree from now on learns the values of now. */
        int r = sd_event_source_set_enabled(p->baseline_source, SD_EVENT_ON);
        if (r < 0)
                log_warning_errno(r, "Failed to schedule the record of what was published, ignoring: %m");
        return 0;
}

/* Records, for the domains published when the name became ours, the
 * values the clients have learnt since: those of the properties that have
 * not changed since (unknown and not pending); what changed meanwhile is
 * recorded when it is signalled. At most a slice of time per call. */
static int on_baseline(sd_event_source *s, void *userdata) {
        Publisher *p = userdata;
        uint64_t end = now_usec() + BASELINE_SLICE_USEC;
        Domain *d;

        HASHMAP_FOREACH (d, p->manager->domains, i) {
                if (d->told_baselined)
                        continue;
                if (now_usec() >= end)
                        return 0; /* the rest in the next turn */
                bus_told_record(p->bus, p->domains, d, ~d->told_known & ~d->pending_changes);
                d->told_baselined = true;
        }
        return sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

static void on_synced(Manager *m, void *userdata) {
        Publisher *p = userdata;
        int r;

        /* Ask for the name only now: whoever sees it sees the complete tree. */
        r = sd_bus_call_method_async(p->bus, &p->name_slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "RequestName", on_name_acquired, p, "su", BUS_NAME,
                                     4u /* DBUS_NAME_FLAG_DO_NOT_QUEUE */);
        if (r < 0) {
                log_error_errno(r, "Failed to request the bus name %s: %m", BUS_NAME);
                sd_event_exit(p->event, EXIT_FAILURE);
        }
}

static void on_connect_failed(Manager *m, const char *error, void *userdata) {
        Publisher *p = userdata;
        log_error("Failed to connect to libvirt at '%s': %s", m->uri, error);
        sd_event_exit(p->event, EXIT_FAILURE);
}

static const ManagerHooks publisher_hooks = {
        .domain_added = on_domain_added,
        .domain_removed = on_domain_removed,
        .domain_changed = on_domain_changed,
        .manager_changed = on_manager_changed,
        .synced = on_synced,
        .connect_failed = on_connect_failed,
        .domain_guest_exported = on_domain_guest_exported,
};

int publisher_new(sd_bus *bus, sd_event *event, Manager *m, bool use_polkit, Publisher **ret) {
        _cleanup_(publisher_freep) Publisher *p = calloc(1, sizeof *p);
        int r;

        if (!p)
                return -ENOMEM;
        p->bus = sd_bus_ref(bus);
        p->event = sd_event_ref(event);
        p->manager = m;
        p->start_usec = now_usec();

        r = sd_event_add_defer(event, &p->flush_source, on_flush, p);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(p->flush_source, SD_EVENT_OFF);
        if (r < 0)
                return r;
        r = sd_event_add_defer(event, &p->baseline_source, on_baseline, p);
        if (r >= 0)
                r = sd_event_source_set_priority(p->baseline_source, SD_EVENT_PRIORITY_IDLE);
        if (r >= 0)
                r = sd_event_source_set_enabled(p->baseline_source, SD_EVENT_OFF);
        if (r < 0)
                return r;
        r = bus_manager_register(bus, m, p->manager_slots);
        if (r < 0)
                return r;
        r = bus_domain_new(bus, m, use_polkit, &p->domains);
        if (r < 0)
                return r;
        r = bus_fairness_new(bus, &p->fairness);
        if (r < 0)
                return r;
        r = bus_tree_new(bus, m, p->domains, p->fairness, &p->tree);
        if (r < 0)
                return r;

        manager_set_hooks(m, &publisher_hooks, p);
        *ret = TAKE_PTR(p);
        return 0;
}

void publisher_set_kept_max(Publisher *p, uint64_t bytes) {
        bus_tree_set_kept_max(p->tree, bytes);
}

Publisher *publisher_free(Publisher *p) {
        if (!p)
                return NULL;
        /* Unregistered first: no call reaches what is freed below, nor the
         * manager (freed after us). */
        for (size_t i = 0; i < BUS_MANAGER_SLOTS; i++)
                p->manager_slots[i] = sd_bus_slot_unref(p->manager_slots[i]);
        p->tree = bus_tree_free(p->tree);
        p->name_slot = sd_bus_slot_unref(p->name_slot);
        if (p->manager && p->manager->hooks == &publisher_hooks)
                manager_set_hooks(p->manager, NULL, NULL);
        while (p->changes_head)
                unqueue_domain(p, p->changes_head);
        bus_domain_free(p->domains);
        bus_fairness_free(p->fairness);
        sd_event_source_disable_unref(p->flush_source);
        sd_event_source_disable_unref(p->window_source);
        sd_event_source_disable_unref(p->baseline_source);
        sd_event_unref(p->event);
        sd_bus_unref(p->bus);
        free(p);
        return NULL;
}
