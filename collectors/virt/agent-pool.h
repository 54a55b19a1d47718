/* A bounded pool of worker threads that ask guest agents for their data.
 *
 * Agent calls block for as long as the agent takes (up to the response
 * timeout), so they never run on the main thread and never on the session
 * worker. Each finished collection is pushed as a VIRT_MSG_GUEST_DATA on the
 * results queue. The caller keeps at most one collection per domain in
 * flight, so a hung agent holds at most one worker.
 *
 * Each worker has a libvirt connection of its own: calls sharing one
 * connection queue behind a hung agent call (measured with libvirt 9.0: a
 * GetXMLDesc of another domain waited the whole agent timeout). */
#pragma once

#include <stdint.h>

#include "queue.h"
#include "virt-message.h"

typedef struct AgentPool AgentPool;

typedef struct AgentPoolConfig {
        const char *uri;      /* libvirt URI; each worker connects itself */
        unsigned n_workers;   /* threads, >= 1 */
        int response_timeout; /* seconds, set on the domain before each collection
                                    * (virDomainAgentSetResponseTimeout); < 0: leave it alone */
} AgentPoolConfig;

/* The pool takes a reference to results. */
int agent_pool_new(Queue *results, const AgentPoolConfig *config, AgentPool **ret);
/* Stops the workers (waiting for calls in flight: at most the response timeout). */
AgentPool *agent_pool_free(AgentPool *p);
/* The same, waiting at most wait_ms for calls in flight; p is given up in
 * any case. Returns 0 once every worker ended, or -ETIMEDOUT if one is still
 * inside a libvirt call (a long or disabled response timeout): it is then
 * detached, holding its own references to the pool and the results queue,
 * and frees them when its call returns. */
int agent_pool_stop(AgentPool *p, unsigned wait_ms);

/* One collection, as the main thread planned it. */
typedef struct AgentJob {
        char uuid[UUID_STRING_MAX];
        uint64_t job;                    /* comes back in the result's GuestData */
        unsigned kinds;                  /* GuestKind bits asked for */
        KindPlan plan[GUEST_KIND_COUNT]; /* how each is read, by index in guest_kinds */
} AgentJob;

/* Queues a collection. The worker reads the agent's guest-info first if
 * the agent's kind is planned, and then reads only the kinds that reply
 * supports (the others: KIND_OUTCOME_UNSUPPORTED, as is a kind asked for and
 * planned KIND_PLAN_SKIP); the typed kinds before the raw ones, so a guest
 * slow to send megabytes costs no other kind. Everything the answer needs
 * is allocated here: returns -ENOMEM, or 0 and the answer is sure to come. */
int agent_pool_submit(AgentPool *p, const AgentJob *job);

/* For tests: of the allocations agent_pool_submit makes from now on, skip
 * succeed and the next one fails, as if memory had run out. */
void agent_pool_test_fail_allocation(unsigned skip);
