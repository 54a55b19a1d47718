/* When to ask each guest agent for what: a full collection as soon as an
 * agent becomes usable, then periodic refreshes per kind of data, one
 * collection in flight per domain, none for paused or stopped domains or
 * disconnected agents. Part of the model: runs on the main thread. */
#pragma once

#include <stdint.h>

#include "domain.h"

typedef struct Manager Manager;

typedef struct CollectConfig {
        unsigned workers;       /* agent worker threads */
        int agent_timeout;      /* seconds; < 0: leave libvirt's setting alone */
        uint64_t interval_usec[GUEST_KIND_COUNT]; /* by index in guest_kinds */
} CollectConfig;

#define COLLECT_WORKERS_MAX 64
#define COLLECT_TIMEOUT_MAX 300
#define COLLECT_INTERVAL_MAX_SEC 86400

void collect_config_default(CollectConfig *c);

/* A collection of d that ended: what answers the Refresh() calls waiting
 * for collection number seq. */
typedef struct CollectDone {
        uint64_t seq;
        const char *error; /* NULL: the agent answered; valid until the result is freed */
} CollectDone;

/* What the scheduler did to d, for the model to tell its hooks, in this
 * order: the guest interfaces appeared or went, properties changed,
 * collections ended. The scheduler itself calls no hook. */
typedef struct CollectReport {
        int exported;         /* 1: OS, Users, Filesystems appear; -1: they go; 0: neither */
        unsigned changed;     /* DomainProperty bits of d */
        CollectDone done[2];  /* the one in flight, and the one queued behind it */
        size_t n_done;
} CollectReport;

/* After d changed (or appeared: was_usable false): starts a full collection
 * when its agent became usable, forgets the agent's data when it stopped
 * being usable. */
void collect_domain_updated(Manager *m, Domain *d, bool was_usable, CollectReport *ret);
/* A VIRT_MSG_GUEST_DATA for d (msg stays the caller's). */
void collect_apply_result(Manager *m, Domain *d, VirtMsg *msg, CollectReport *ret);
/* A Refresh() this soon after a collection of everything ended is answered
 * with that collection's outcome, without asking the agent again. */
#define REFRESH_REUSE_USEC (2 * 1000000ULL)

/* Refresh(): collect everything now. Returns 1 with *ret_seq the number of
 * the collection whose end answers the caller: the one in flight if it asks
 * for everything and started less than REFRESH_REUSE_USEC ago, else the
 * next (shared by all calls meanwhile); 0 if the latest collection of everything
 * ended less than REFRESH_REUSE_USEC ago: *ret_error is its outcome (NULL:
 * the agent answered), valid until the model changes; -ENODEV if the agent
 * is not usable. */
int collect_refresh(Manager *m, Domain *d, uint64_t *ret_seq, const char **ret_error);
/* The periodic timer's work, also called once at start. */
void collect_schedule(Manager *m);
