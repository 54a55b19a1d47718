#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>

#include "agent-info.h"
#include "alloc-failure.h"
#include "agent-pool.h"
#include "domain-devices.h"
#include "guest-clock.h"
#include "guest-disks.h"
#include "guest-info.h"
#include "guest-json.h"
#include "helpers.h"
#include "macro.h"
#include "virt-error.h"
#include "virt-message.h"

/* A collection that read this much of the agent's own text (enough to fill
 * what a parse may hand jansson, json-budget.h) gives the memory back at its
 * end (see worker_main). Real replies are a few KiB. */
#define TRIM_AFTER_BYTES (128 * 1024)

DEFINE_TRIVIAL_CLEANUP_FUNC(AgentPool *, agent_pool_free);

typedef struct Request {
        QueueItem item;
        bool stop;
        AgentJob job;
        VirtMsg *result; /* allocated on submit: a worker has nothing to allocate to answer */
} Request;

/* Referenced by its owner and by each running worker: a worker still inside
 * an agent call when its owner stops is detached, and the last of them
 * frees the pool (and drops its reference to the results queue). */
struct AgentPool {
        atomic_uint n_ref;
        char *uri;
        Queue *requests;
        Queue *results;
        AgentPoolConfig config;
        pthread_t *threads;
        unsigned n_threads;
        Request *stop_requests; /* one per worker, allocated up front: stopping cannot fail */
};

/* libvirt's last error, fit for a log line: it may quote what the guest
 * sent (terminal escapes, invalid UTF-8, whole lines of JSON). */
static char *error_message(const char *what) {
        char *s;
        (void) virt_error_last(what, &s);
        return s;
}

/* Whether the agent call that started at started_usec timed out. libvirt
 * says "unresponsive" (VIR_ERR_AGENT_UNRESPONSIVE) for an agent that did not
 * answer in time, but also, at once, for one it refuses since it sent
 * garbage ("not available due to an error") or that went away mid-call:
 * those failed. A timeout waited at least libvirt's shortest wait, the
 * guest-sync's min(5 s, response timeout); with the domain's own timeout
 * kept (unknown here), every "unresponsive" counts. */
static bool agent_timed_out(const AgentPool *p, uint64_t started_usec) {
        int timeout = p->config.response_timeout;
        uint64_t wait_usec = timeout > 0 ? (uint64_t) (timeout < 5 ? timeout : 5) * 1000000ULL : 0;
        return virt_error_last(NULL, NULL) == -ETIMEDOUT && now_usec() - started_usec >= wait_usec / 2;
}

/* libvirt answers success but leaves a kind out when the agent's reply for
 * it came too late or was too big: then its count key is missing. */
static bool kind_answered(virTypedParameterPtr params, int n, unsigned kind) {
        const char *key = guest_kind_info(kind)->answered_key;
        return !key || virTypedParamsGet(params, n, key) != NULL;
}

static void add_guest_info(VirtMsg *m, GuestInfo *g) {
        if (!m->data.guest)
                m->data.guest = g;
        else {
                guest_info_take_kinds(m->data.guest, g);
                guest_info_free(g);
        }
}

/* Why kind failed: the first reason stands (the log names the first). */
static void set_why(VirtMsg *m, int i, char *why) {
        free(m->data.messages[i]);
        m->data.messages[i] = why;
}

/* A kind straight from the agent, parsed by us: a list too long for
 * libvirt's typed parameters, one libvirt cannot read from this agent, or
 * a kind libvirt has no call for. Returns 0, or -EIO / -ENOMEM with the
 * reason in m->data.messages. */
static int collect_kind_raw(virDomainPtr dom, unsigned kind, VirtMsg *m, size_t *read_bytes) {
        const char *command = guest_kind_info(kind)->raw_command;
        int i = __builtin_ctz(kind);
        GuestInfo *g = NULL;
        int r;

        char *text = command ? virDomainQemuAgentCommand(dom, command, VIR_DOMAIN_QEMU_AGENT_COMMAND_DEFAULT, 0) : NULL;
        if (!text) {
                set_why(m, i, error_message("its own reply failed"));
                return -EIO;
        }
        size_t len = strlen(text);
        *read_bytes += len;
        r = guest_info_from_agent_json(kind, text, len, &g);
        free(text);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                set_why(m, i, strdup("its own reply is not what the command returns"));
                return -EIO;
        }
        set_why(m, i, NULL);
        add_guest_info(m, g);
        return 0;
}

static bool last_error_is_too_big(void) {
        /* libvirt's RPC refuses an answer over its typed-parameter limit */
        return virt_error_last(NULL, NULL) == -E2BIG;
}

/* One kind of guest data, added to m's GuestInfo. Returns 0, or -EIO (or
 * -E2BIG for a list libvirt could not carry) with the reason in
 * m->data.messages. */
static int collect_kind(virDomainPtr dom, unsigned kind, VirtMsg *m) {
        virTypedParameterPtr params = NULL;
        GuestInfo *g = NULL;
        int n = 0, r;

        int i = __builtin_ctz(kind);
        if (virDomainGetGuestInfo(dom, guest_kind_info(kind)->libvirt_type, &params, &n, 0) < 0) {
                r = guest_kind_info(kind)->raw_command && last_error_is_too_big() ? -E2BIG : -EIO;
                set_why(m, i, error_message("guest info failed"));
                return r;
        }
        if (!kind_answered(params, n, kind)) {
                virTypedParamsFree(params, n);
                set_why(m, i, strdup("libvirt left it out of its answer (too large or too late)"));
                return -EIO;
        }
        r = guest_info_from_typed_params(params, n, kind, &g);
        virTypedParamsFree(params, n);
        if (r < 0)
                return r;
        add_guest_info(m, g);
        return 0;
}

/* The guest's clock against the host's: libvirt asks guest-get-time; the
 * host's time is taken halfway through the call, which bounds the error
 * by half its duration. Returns 0, or -EIO with the reason in
 * m->data.messages. */
static int collect_clock(virDomainPtr dom, VirtMsg *m) {
        int i = __builtin_ctz((unsigned) GUEST_KIND_CLOCK);
        long long sec;
        unsigned int nsec;
        uint64_t t0 = now_realtime_usec();

        if (virDomainGetTime(dom, &sec, &nsec, 0) < 0) {
                set_why(m, i, error_message("guest time failed"));
                return -EIO;
        }
        uint64_t t1 = now_realtime_usec();
        GuestInfo *g = guest_info_new();
        if (!g)
                return -ENOMEM;
        g->kinds = GUEST_KIND_CLOCK;
        if (guest_clock_offset_usec(sec, nsec, (int64_t) (t0 + (t1 - t0) / 2), &g->clock_offset_usec) < 0) {
                guest_info_free(g);
                set_why(m, i, strdup("its time is not a time"));
                return -EIO;
        }
        add_guest_info(m, g);
        return 0;
}

/* The worker's own connection, (re)opened when missing or dead. */
static virConnectPtr worker_conn(AgentPool *p, virConnectPtr *conn) {
        if (*conn && virConnectIsAlive(*conn) != 1) {
                virConnectClose(*conn);
                *conn = NULL;
        }
        if (!*conn)
                *conn = virConnectOpen(p->uri);
        return *conn;
}

/* *read_bytes: how much of the agent's own text it read. */
static void collect(AgentPool *p, virConnectPtr *worker_connection, const AgentJob *job, VirtMsg *m,
                    size_t *read_bytes) {
        virConnectPtr conn = worker_conn(p, worker_connection);
        const KindPlan *plan = job->plan;
        KindOutcome *outcome = m->data.outcome;
        virDomainPtr dom = NULL;
        char *text = NULL;

        /* asked for, but the main thread knows the agent lacks it */
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if ((job->kinds & guest_kinds[i].kind) && plan[i] == KIND_PLAN_SKIP)
                        outcome[i] = KIND_OUTCOME_UNSUPPORTED;

        if (!conn) {
                m->error = error_message("cannot connect to libvirt");
                return;
        }
        dom = virDomainLookupByUUIDString(conn, job->uuid);
        if (!dom) {
                m->error = error_message("domain lookup failed");
                goto out;
        }

        /* Bounds how long a hung agent holds this worker. It is libvirtd's
         * per-domain setting, shared with every client: see docs. */
        if (p->config.response_timeout >= 0)
                (void) virDomainAgentSetResponseTimeout(dom, p->config.response_timeout, 0);

        unsigned supported = GUEST_KIND_ALL;
        if (plan[GUEST_KIND_AGENT_INDEX] != KIND_PLAN_SKIP) {
                uint64_t t0 = now_usec();
                text = virDomainQemuAgentCommand(dom, guest_kind_info(GUEST_KIND_AGENT)->raw_command,
                                                 VIR_DOMAIN_QEMU_AGENT_COMMAND_DEFAULT, 0);
                if (!text) {
                        if (agent_timed_out(p, t0))
                                outcome[GUEST_KIND_AGENT_INDEX] = KIND_OUTCOME_HUNG;
                        m->error = error_message("guest-info failed");
                        goto out;
                }
                size_t len = strlen(text);
                *read_bytes += len;
                if (agent_info_parse_json(text, len, &m->data.agent) < 0) {
                        /* A garbled command list (invalid UTF-8, say) does not
                         * make the rest of the guest's data unreadable: ask
                         * for every kind and see what answers. */
                        outcome[GUEST_KIND_AGENT_INDEX] = KIND_OUTCOME_FAILED;
                        m->data.message = strdup("its guest-info reply is not valid JSON");
                        set_why(m, GUEST_KIND_AGENT_INDEX, m->data.message ? strdup(m->data.message) : NULL);
                } else {
                        outcome[GUEST_KIND_AGENT_INDEX] = KIND_OUTCOME_OK;
                        supported = agent_info_supported_kinds(m->data.agent);
                }
        }

        /* Whether the filesystems are frozen, before anything else: qemu-ga
         * then refuses every command but a few, and they are not sent. */
        bool oom = false, hung = false, frozen = false;
        int fi = GUEST_KIND_FSFREEZE_INDEX;
        if (plan[fi] != KIND_PLAN_SKIP) {
                if (!(supported & GUEST_KIND_FSFREEZE))
                        outcome[fi] = KIND_OUTCOME_UNSUPPORTED;
                else {
                        uint64_t t0 = now_usec();
                        int r = collect_kind_raw(dom, GUEST_KIND_FSFREEZE, m, read_bytes);
                        oom = r == -ENOMEM;
                        hung = r < 0 && !oom && agent_timed_out(p, t0);
                        outcome[fi] = r >= 0 ? KIND_OUTCOME_OK : hung ? KIND_OUTCOME_HUNG : KIND_OUTCOME_FAILED;
                        frozen = r >= 0 && m->data.guest && m->data.guest->fsfreeze == GUEST_FREEZE_FROZEN;
                }
        }

        /* Only what the agent supports: an agent without guest-get-users has
         * no user data, and that is not an error. One call per kind: libvirt
         * refuses a whole answer over 2048 entries, and one guest with
         * 100000 users must not cost its OS and hostname too. Lists known
         * to be too long for libvirt come from the agent itself, after the
         * rest. A hung agent: the kinds after it would each wait the
         * timeout too, so they are not read. */
        for (KindPlan pass = KIND_PLAN_TYPED; pass <= KIND_PLAN_RAW; pass++)
                for (int i = 0; i < GUEST_KIND_COUNT && !oom && !hung; i++) {
                        unsigned kind = guest_kinds[i].kind;
                        if (i == GUEST_KIND_AGENT_INDEX || i == fi || plan[i] != pass)
                                continue;
                        if (frozen && !(kind & GUEST_KIND_FROZEN_ANSWERS)) {
                                outcome[i] = KIND_OUTCOME_FROZEN;
                                continue;
                        }
                        if (!(supported & kind)) {
                                outcome[i] = KIND_OUTCOME_UNSUPPORTED;
                                continue;
                        }
                        uint64_t t0 = now_usec();
                        int r = kind == GUEST_KIND_CLOCK ? collect_clock(dom, m)
                                : pass == KIND_PLAN_RAW  ? collect_kind_raw(dom, kind, m, read_bytes)
                                                         : collect_kind(dom, kind, m);
                        oom = r == -ENOMEM;
                        hung = r < 0 && !oom && agent_timed_out(p, t0);
                        if (r == -EIO && !hung && pass == KIND_PLAN_TYPED && guest_kinds[i].raw_command) {
                                /* libvirt could not read this agent's reply (an
                                 * old agent's shape, say): the command's own
                                 * reply may still be read, and then is so from
                                 * now on. */
                                t0 = now_usec();
                                r = collect_kind_raw(dom, kind, m, read_bytes);
                                oom = r == -ENOMEM;
                                hung = r < 0 && !oom && agent_timed_out(p, t0);
                                if (r >= 0)
                                        m->data.raw_fallback_kinds |= kind;
                        }
                        outcome[i] = r >= 0        ? KIND_OUTCOME_OK
                                     : hung        ? KIND_OUTCOME_HUNG
                                     : r == -E2BIG ? KIND_OUTCOME_TOO_BIG
                                                   : KIND_OUTCOME_FAILED;
                }
        /* the log line names the first failure */
        for (int i = 0; i < GUEST_KIND_COUNT && !m->data.message; i++)
                if (m->data.messages[i])
                        m->data.message = strdup(m->data.messages[i]);
        if (oom) {
                /* Failed, even if the reason cannot be kept (the kinds not
                 * read have no outcome): asked again later. */
                m->error = strdup("out of memory parsing guest info");
                goto out;
        }

        /* The NICs for the merged interfaces, and the disks' bus types. */
        free(text);
        text = virDomainGetXMLDesc(dom, 0);
        if (text && domain_devices_parse_xml(text, strlen(text), &m->data.devices) >= 0 && m->data.guest) {
                guest_info_fill_bus_types(m->data.guest, m->data.devices);
                /* a failed copy leaves a disk unlinked, nothing worse */
                if (m->data.guest->disks)
                        (void) guest_disks_link_domain(m->data.guest->disks, m->data.devices);
        }

out:
        free(text);
        if (dom)
                virDomainFree(dom);
}

static void request_free_item(QueueItem *item) {
        Request *req = QUEUE_CONTAINER(item, Request, item);
        if (req->stop)
                return; /* part of the pool's stop_requests */
        virt_msg_free(req->result);
        free(req);
}

static void pool_release(AgentPool *p) {
        free(p->threads);
        queue_unref(p->requests);
        queue_unref(p->results);
        free(p->stop_requests);
        free(p->uri);
        free(p);
}

static void pool_unref(AgentPool *p) {
        if (atomic_fetch_sub(&p->n_ref, 1) == 1)
                pool_release(p);
}

static void *worker_main(void *userdata) {
        AgentPool *p = userdata;
        virConnectPtr conn = NULL;

        for (;;) {
                Request *req = QUEUE_CONTAINER(queue_pop_wait(p->requests), Request, item);
                if (req->stop) {
                        if (conn)
                                virConnectClose(conn);
                        pool_unref(p);
                        return NULL;
                }

                VirtMsg *m = TAKE_PTR(req->result);
                memcpy(m->domain.uuid, req->job.uuid, sizeof m->domain.uuid);
                m->data.job = req->job.job;
                m->data.kinds_requested = req->job.kinds;
                uint64_t start = now_usec();
                size_t read_bytes = 0;
                collect(p, &conn, &req->job, m, &read_bytes);
                m->data.duration_usec = now_usec() - start;
                free(req);
                queue_push(p->results, &m->item);
                /* What a guest's big reply cost (jansson's many small blocks
                 * above all) is free now, but glibc keeps it in the arena:
                 * given back, it costs one collection's time, not the
                 * daemon's lifetime. */
                if (read_bytes >= TRIM_AFTER_BYTES)
                        malloc_trim(0);
        }
}

int agent_pool_new(Queue *results, const AgentPoolConfig *config, AgentPool **ret) {
        _cleanup_(agent_pool_freep) AgentPool *p = calloc(1, sizeof *p);
        int r;

        if (!p)
                return -ENOMEM;
        atomic_init(&p->n_ref, 1);
        p->results = queue_ref(results);
        p->config = *config;
        if (p->config.n_workers < 1)
                p->config.n_workers = 1;
        p->uri = strdup(config->uri);
        p->threads = calloc(p->config.n_workers, sizeof *p->threads);
        p->stop_requests = calloc(p->config.n_workers, sizeof *p->stop_requests);
        if (!p->uri || !p->threads || !p->stop_requests)
                return -ENOMEM;
        p->config.uri = p->uri;
        r = queue_new(false, request_free_item, &p->requests);
        if (r < 0)
                return r;
        for (; p->n_threads < p->config.n_workers; p->n_threads++) {
                atomic_fetch_add(&p->n_ref, 1); /* the worker's */
                r = -pthread_create(&p->threads[p->n_threads], NULL, worker_main, p);
                if (r < 0) {
                        atomic_fetch_sub(&p->n_ref, 1);
                        return r;
                }
        }
        *ret = TAKE_PTR(p);
        return 0;
}

/* Drops what has not started (nobody waits for it any more) and asks every
 * worker to stop once it is done with its current call. */
static void request_stop(AgentPool *p) {
        QueueItem *item;

        while ((item = queue_pop(p->requests)))
                request_free_item(item);
        for (unsigned i = 0; i < p->n_threads; i++) {
                p->stop_requests[i].stop = true;
                queue_push(p->requests, &p->stop_requests[i].item);
        }
}

AgentPool *agent_pool_free(AgentPool *p) {
        if (!p)
                return NULL;
        if (p->requests)
                request_stop(p);
        for (unsigned i = 0; i < p->n_threads; i++)
                pthread_join(p->threads[i], NULL);
        pool_unref(p);
        return NULL;
}

int agent_pool_stop(AgentPool *p, unsigned wait_ms) {
        struct timespec deadline;
        bool all_joined = true;

        if (!p)
                return 0;
        request_stop(p);
        clock_gettime(CLOCK_REALTIME, &deadline); /* pthread_timedjoin_np's clock */
        deadline.tv_sec += wait_ms / 1000;
        deadline.tv_nsec += (long) (wait_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000L;
        }
        for (unsigned i = 0; i < p->n_threads; i++)
                if (pthread_timedjoin_np(p->threads[i], NULL, &deadline) != 0) {
                        /* It holds its own references: it frees the pool when it ends. */
                        (void) pthread_detach(p->threads[i]);
                        all_joined = false;
                }
        pool_unref(p);
        return all_joined ? 0 : -ETIMEDOUT;
}

/* Allocations by agent_pool_submit from now on that succeed before one
 * fails: see the header. */
static AllocFailure fail = ALLOC_FAILURE_INIT;

void agent_pool_test_fail_allocation(unsigned skip) {
        alloc_failure_arm(&fail, skip);
}

static bool allocation_fails(void) {
        return alloc_failure_now(&fail);
}

int agent_pool_submit(AgentPool *p, const AgentJob *job) {
        _cleanup_(freep) Request *req = allocation_fails() ? NULL : calloc(1, sizeof *req);
        if (!req)
                return -ENOMEM;
        req->result = allocation_fails() ? NULL : virt_msg_new(VIRT_MSG_GUEST_DATA);
        if (!req->result)
                return -ENOMEM;
        req->job = *job;
        queue_push(p->requests, &TAKE_PTR(req)->item);
        return 0;
}
