/* The model: every libvirt domain the daemon knows, and the libvirt
 * connection's state. Lives on the main thread; knows nothing of D-Bus.
 *
 * It is fed VirtMsg results from the collectors and tells whoever publishes
 * it (the bus layer) what changed through ManagerHooks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "agent-pool.h"
#include "backoff.h"
#include "collect.h"
#include "domain.h"
#include "hashmap.h"
#include "macro.h"
#include "queue.h"
#include "virt-message.h"
#include "virt-session.h"

typedef enum ManagerProperty {
        MANAGER_PROPERTY_CONNECTED = 1u << 0,
        MANAGER_PROPERTY_DOMAIN_COUNT = 1u << 1,
} ManagerProperty;

typedef struct Manager Manager;

typedef struct ManagerHooks {
        void (*domain_added)(Manager *m, Domain *d, void *userdata);
        /* Called while d is still in the model; it is freed right after. */
        void (*domain_removed)(Manager *m, Domain *d, void *userdata);
        void (*domain_changed)(Manager *m, Domain *d, DomainProperties properties, void *userdata);
        void (*manager_changed)(Manager *m, unsigned properties, void *userdata);
        /* The first full list of domains is in the model. */
        void (*synced)(Manager *m, void *userdata);
        /* The very first connection failed: there is nothing to publish. */
        void (*connect_failed)(Manager *m, const char *error, void *userdata);
        /* OS, Users and Filesystems appear (agent answered) or go. */
        void (*domain_guest_exported)(Manager *m, Domain *d, bool exported, void *userdata);
} ManagerHooks;

struct Manager {
        sd_event *event;
        char *uri;
        Hashmap *domains; /* UUID → Domain */

        bool connected;
        bool synced;            /* the first full list has arrived */
        size_t unlisted_logged; /* domains libvirt could not list, as last logged */
        Backoff backoff;
        sd_event_source *reconnect_source;

        Queue *inbox; /* VirtMsg from the collectors */
        sd_event_source *inbox_source;
        VirtSession *session;

        CollectScheduler collect; /* borrows event, domains, pool */
        AgentPool *pool;

        const ManagerHooks *hooks;
        void *hooks_userdata;
        /* Moves on every change a reader of the whole fleet can see (a
         * domain added, removed or changed, the connection): a reply built
         * at one generation holds as long as it stays. */
        uint64_t generation;
        /* The same for what ListDomains and ListSummaries show: it moves for a
         * domain added or removed, guest data exported or not, and a change
         * of DOMAIN_SUMMARY_PROPERTIES only. */
        uint64_t summaries_generation;
};

/* event may be NULL for a model without a libvirt side (unit tests). */
int manager_new(sd_event *event, const char *uri, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

void manager_set_hooks(Manager *m, const ManagerHooks *hooks, void *userdata);

/* Starts the libvirt side and asks for the first connection. */
int manager_start(Manager *m);

/* Applies one result from the collectors to the model. Takes ownership. */
void manager_apply(Manager *m, VirtMsg *msg);

/* Tells the hooks (and the log) that properties of d changed. */
void manager_domain_changed(Manager *m, Domain *d, DomainProperties properties);

Domain *manager_get_domain(Manager *m, const char *uuid);
Domain *manager_find_domain_by_name(Manager *m, const char *name);
size_t manager_domain_count(Manager *m);
