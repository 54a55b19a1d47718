/* When to ask each guest agent for what: a full collection as soon as an
 * agent becomes usable, then periodic refreshes per kind of data, one
 * collection in flight per domain, none for paused or stopped domains or
 * disconnected agents. Part of the model: runs on the main thread. */
#pragma once

#include <stdint.h>

#include <systemd/sd-event.h>

#include "agent-pool.h"
#include "domain.h"
#include "hashmap.h"

typedef struct CollectConfig {
        unsigned workers;                         /* agent worker threads */
        int agent_timeout;                        /* seconds; < 0: leave libvirt's setting alone */
        uint64_t interval_usec[GUEST_KIND_COUNT]; /* by index in guest_kinds */
        unsigned backoff_max;                     /* a kind whose value did not change is asked up to this many
                                                   * times less often (1, 2, 4, 8 or 16; 1: never backs off) */
} CollectConfig;

#define COLLECT_WORKERS_MAX 64
#define COLLECT_TIMEOUT_MAX 300
#define COLLECT_INTERVAL_MAX_SEC 86400
#define COLLECT_BACKOFF_DEFAULT 8
#define COLLECT_BACKOFF_MAX 16

void collect_config_default(CollectConfig *c);

/* The scheduler's own state; the model embeds it and fills in what it
 * borrows. The per-domain part is Domain.collect. */
typedef struct CollectScheduler {
        CollectConfig config;
        sd_event *event;  /* borrowed; NULL: no timer (unit tests) */
        Hashmap *domains; /* borrowed: the model's, UUID → Domain */
        AgentPool *pool;  /* borrowed; NULL: jobs are planned, not run */
        sd_event_source *timer;
        uint64_t last_job; /* number of the latest job, all domains */
} CollectScheduler;

/* Frees what the scheduler owns (its timer). */
void collect_scheduler_done(CollectScheduler *s);

/* A Refresh() waiting for a collection: the caller's memory, linked by the
 * scheduler into the list of the collection that will answer it. done is
 * called once, from the model (manager.c), with that collection's outcome:
 * error NULL if the agent answered; gone: the domain is going away. */
struct CollectWaiter {
        void (*done)(CollectWaiter *w, const char *error, bool gone);
        CollectWaiter *next, **prevp; /* the scheduler's; prevp NULL: not linked */
};

/* Collections of d that ended: the Refresh() calls they answer. */
typedef struct CollectDone {
        CollectWaiter *waiters; /* unlinked already: each is called once */
        const char *error;      /* NULL: the agent answered; valid until the result is freed */
        bool gone;              /* the domain is going away */
} CollectDone;

/* What the scheduler did to d, for the model to tell its hooks, in this
 * order: the guest interfaces appeared or went, properties changed,
 * collections ended. The scheduler itself calls no hook. */
typedef struct CollectReport {
        int exported;             /* 1: OS, Users, Filesystems appear; -1: they go; 0: neither */
        DomainProperties changed; /* DomainProperty bits of d */
        CollectDone done[2];      /* the one in flight, and the one queued behind it */
        size_t n_done;            /* collections that ended */
} CollectReport;

/* After d changed (or appeared: was_usable false): starts a full collection
 * when its agent became usable, forgets the agent's data when it stopped
 * being usable. */
void collect_domain_updated(CollectScheduler *s, Domain *d, bool was_usable, CollectReport *ret);
/* A VIRT_MSG_GUEST_DATA for d (msg stays the caller's). */
void collect_apply_result(CollectScheduler *s, Domain *d, VirtMsg *msg, CollectReport *ret);
/* A Refresh() this soon after a collection of everything ended is answered
 * with that collection's outcome, without asking the agent again. */
#define REFRESH_REUSE_USEC (2 * 1000000ULL)

/* Refresh(): collect everything now. Returns 1 with w linked to the
 * collection whose end answers it: the one in flight if it asks for
 * everything and started less than REFRESH_REUSE_USEC ago, else the next
 * (shared by all calls meanwhile); 0 if the latest collection of everything
 * ended less than REFRESH_REUSE_USEC ago: *ret_error is its outcome (NULL:
 * the agent answered), valid until the model changes, and w is not linked;
 * -ENODEV if the agent is not usable, -ENOMEM if the collection could not be
 * queued. */
int collect_refresh(CollectScheduler *s, Domain *d, CollectWaiter *w, const char **ret_error);
/* Unlinks w if it is linked (its owner goes away; done is not called). */
void collect_waiter_cancel(CollectWaiter *w);
/* d is removed: every Refresh() waiting for it ends (gone). */
void collect_domain_removed(Domain *d, CollectReport *ret);
/* d is freed with the model: its waiters are unlinked, not called. */
void collect_domain_forget(Domain *d);
/* After an agent becomes usable, interfaces are asked this often until the
 * guest has a routable address (not loopback, not link-local), for at most
 * COLLECT_ADDRESS_WAIT_USEC; then at their interval. */
#define COLLECT_ADDRESS_POLL_USEC (2 * 1000000ULL)
#define COLLECT_ADDRESS_WAIT_USEC (60 * 1000000ULL)
/* After a reboot, everything is collected when the agent is back and again
 * this much later, once the guest's boot has settled (services start after
 * the agent: mounts, logins, addresses). */
#define COLLECT_BOOT_SETTLE_USEC (10 * 1000000ULL)

/* The kinds of d, no later than delay_usec from now: 0 submits them at once
 * (or right after the collection in flight). Nothing while the agent is not
 * usable: it gets everything when it becomes so. */
void collect_kinds_soon(CollectScheduler *s, Domain *d, unsigned kinds, uint64_t delay_usec);
/* The guest of d rebooted: what its agent said is from the boot that ended
 * and goes; everything is collected when the agent is back (at once if
 * libvirt still counts it connected) and again COLLECT_BOOT_SETTLE_USEC
 * later. */
void collect_domain_rebooted(CollectScheduler *s, Domain *d, CollectReport *ret);
/* The timer's work: submits what is due, arms the timer for the next. */
void collect_schedule(CollectScheduler *s);
