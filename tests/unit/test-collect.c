/* The collection state machine: when agents are asked, how each kind is
 * planned, what is exported, what Refresh() waits for. No libvirt, no bus,
 * no pool: submissions are visible as collect_seq/collecting/collect_plan,
 * hook calls are recorded, and collect_apply_result() is driven by a table
 * of (state, outcome) → (state, report). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intern.h"
#include "helpers.h"
#include "manager.h"

#define UUID_A "00000000-0000-0000-0000-00000000000a"

static char log_buf[4096];
static Manager *current;

static void record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void record(const char *fmt, ...) {
        va_list ap;
        size_t n = strlen(log_buf);
        va_start(ap, fmt);
        vsnprintf(log_buf + n, sizeof log_buf - n, fmt, ap);
        va_end(ap);
}

static void on_exported(Manager *m, Domain *d, bool exported, void *u) {
        record("%s;", exported ? "exported" : "unexported");
}
/* A Refresh() call: answered once, with the number of the collection it
 * was linked to. */
typedef struct TestWaiter {
        CollectWaiter collect;
        uint64_t seq;
        int answered;
} TestWaiter;

static TestWaiter waiters[2048];
static size_t n_waiters;

/* Recorded once per collection and outcome, however many calls it answers. */
static void on_done(CollectWaiter *cw, const char *error, bool gone) {
        TestWaiter *w = (TestWaiter *) cw;
        char line[256];

        w->answered++;
        snprintf(line, sizeof line, "done %llu %s;", (unsigned long long) w->seq, error ? error : "ok");
        if (!strstr(log_buf, line))
                record("%s", line);
}

static bool linked_to(const CollectWaiter *list, const CollectWaiter *w) {
        for (; list; list = list->next)
                if (list == w)
                        return true;
        return false;
}

/* collect_refresh() as a number: the collection that answers, 0 if answered
 * now from the latest one, -ENODEV. */
static int64_t refresh(Manager *m, Domain *d) {
        const char *outcome = NULL;
        assert_true(n_waiters < ELEMENTSOF(waiters));
        TestWaiter *w = &waiters[n_waiters];
        *w = (TestWaiter){ .collect.done = on_done };
        int r = collect_refresh(&m->collect, d, &w->collect, &outcome);
        if (r <= 0)
                return r;
        n_waiters++;
        assert_true(linked_to(d->collect.waiting[0], &w->collect) || linked_to(d->collect.waiting[1], &w->collect));
        w->seq = d->collect.seq + (linked_to(d->collect.waiting[1], &w->collect) ? 1 : 0);
        return (int64_t) w->seq;
}
static void on_changed(Manager *m, Domain *d, DomainProperties props, void *u) {
        if (props & DOMAIN_PROPERTY_OS_HOSTNAME)
                record("hostname;");
        if (props & DOMAIN_PROPERTY_AGENT_VERSION)
                record("version;");
}

static const ManagerHooks hooks = {
        .domain_guest_exported = on_exported,
        .domain_changed = on_changed,
};

static VirtMsg *domain_msg(DomainState state, AgentState agent) {
        VirtMsg *m = virt_msg_new(VIRT_MSG_DOMAIN_UPDATED);
        snprintf(m->domain.uuid, sizeof m->domain.uuid, "%s", UUID_A);
        m->domain.name = strdup("vm");
        m->domain.state = state;
        m->domain.id = state == DOMAIN_STATE_SHUTOFF ? -1 : 1;
        m->domain.agent = agent;
        m->domain.agent_probe_usec = 1;
        return m;
}

/* The result of the job in flight for the domain now in the model. */
static VirtMsg *result(unsigned kinds, const char *hostname, const char *error) {
        VirtMsg *m = virt_msg_new(VIRT_MSG_GUEST_DATA);
        snprintf(m->domain.uuid, sizeof m->domain.uuid, "%s", UUID_A);
        Domain *d = manager_get_domain(current, UUID_A);
        m->data.job = d ? d->collect.job : 0;
        /* the freeze was asked with the rest (with_freeze()) */
        if (d && (d->collect.kinds & GUEST_KIND_FSFREEZE))
                kinds |= GUEST_KIND_FSFREEZE;
        m->data.kinds_requested = kinds;
        if (error) {
                m->error = strdup(error);
                return m;
        }
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (kinds & guest_kinds[i].kind)
                        m->data.outcome[i] = KIND_OUTCOME_OK;
        m->data.guest = guest_info_new();
        m->data.guest->kinds = kinds & ~(unsigned) GUEST_KIND_AGENT;
        if (hostname)
                m->data.guest->hostname = intern_take(strdup(hostname));
        if (kinds & GUEST_KIND_FSFREEZE)
                m->data.guest->fsfreeze = GUEST_FREEZE_THAWED;
        if (kinds & GUEST_KIND_AGENT) {
                m->data.agent = calloc(1, sizeof *m->data.agent);
                m->data.agent->version = strdup("7.2.22");
                /* an agent with every kind's command */
                m->data.agent->commands = calloc(GUEST_KIND_COUNT, sizeof *m->data.agent->commands);
                for (int i = 0; i < GUEST_KIND_COUNT; i++)
                        if (guest_kinds[i].command)
                                m->data.agent->commands[m->data.agent->n_commands++] =
                                        (AgentCommand){ .name = strdup(guest_kinds[i].command), .enabled = true };
        }
        return m;
}

static void set_outcome(VirtMsg *r, unsigned kind, KindOutcome o) {
        r->data.outcome[guest_kind_index(kind)] = o;
}

/* What a collection of kinds asks: the freeze first, with any guest data. */
static unsigned with_freeze(unsigned kinds) {
        return (kinds & ~(unsigned) GUEST_KIND_FROZEN_ANSWERS) ? kinds | GUEST_KIND_FSFREEZE : kinds;
}

/* The timer finds kinds due now: a collection of them is submitted. */
static void due_now(Manager *m, unsigned kinds) {
        Domain *d = manager_get_domain(m, UUID_A);
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (kinds & guest_kinds[i].kind)
                        d->collect.due_usec[i] = 0;
        collect_schedule(&m->collect);
        assert_true(d->collect.collecting);
        assert_int_equal(d->collect.kinds, with_freeze(kinds));
}

static int setup(void **state) {
        Manager *m;
        assert_int_equal(manager_new(NULL, "test:///default", &m), 0);
        manager_set_hooks(m, &hooks, NULL);
        manager_apply(m, virt_msg_new(VIRT_MSG_CONNECTED));
        log_buf[0] = '\0';
        n_waiters = 0;
        *state = current = m;
        return 0;
}

static int teardown(void **state) {
        manager_free(*state);
        /* no call answered twice */
        for (size_t i = 0; i < n_waiters; i++)
                assert_in_range(waiters[i].answered, 0, 1);
        return 0;
}

static Domain *dom(Manager *m) {
        Domain *d = manager_get_domain(m, UUID_A);
        assert_non_null(d);
        return d;
}

static void test_full_collection_when_agent_connects(void **state) {
        Manager *m = *state;

        /* running, no agent yet: nothing asked */
        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_DISCONNECTED));
        assert_false(dom(m)->collect.collecting);
        assert_int_equal(dom(m)->collect.seq, 0);

        /* agent connects: one full collection */
        VirtMsg *e = virt_msg_new(VIRT_MSG_AGENT_EVENT);
        snprintf(e->domain.uuid, sizeof e->domain.uuid, "%s", UUID_A);
        e->domain.agent = AGENT_STATE_CONNECTED;
        e->domain.agent_probe_usec = 2;
        manager_apply(m, e);
        assert_true(dom(m)->collect.collecting);
        assert_int_equal(dom(m)->collect.seq, 1);

        /* it answers: OS/Users/Filesystems exported, values not re-announced */
        manager_apply(m, result(GUEST_KIND_ALL, "guest", NULL));
        assert_string_equal(log_buf, "exported;version;");
        assert_false(dom(m)->collect.collecting);
        assert_true(dom(m)->guest_exported);
        assert_string_equal(dom(m)->guest->hostname, "guest");
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                assert_true(dom(m)->collect.due_usec[i] > 0);

        /* a later change of the hostname is announced */
        log_buf[0] = '\0';
        dom(m)->collect.collecting = true;
        manager_apply(m, result(GUEST_KIND_HOSTNAME, "renamed", NULL));
        assert_string_equal(log_buf, "hostname;");
        /* the same again: nothing */
        log_buf[0] = '\0';
        dom(m)->collect.collecting = true;
        manager_apply(m, result(GUEST_KIND_HOSTNAME, "renamed", NULL));
        assert_string_equal(log_buf, "");
}

static void test_agent_gone_drops_everything(void **state) {
        Manager *m = *state;

        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        manager_apply(m, result(GUEST_KIND_ALL, "guest", NULL));
        log_buf[0] = '\0';

        /* destroyed: no agent event, the stopped state drops it */
        manager_apply(m, domain_msg(DOMAIN_STATE_SHUTOFF, AGENT_STATE_INACTIVE));
        assert_string_equal(log_buf, "unexported;version;");
        assert_false(dom(m)->guest_exported);
        assert_null(dom(m)->guest);
        assert_null(dom(m)->agent_info);
        assert_int_equal(refresh(m, dom(m)), -ENODEV);
}

static void test_paused_and_resumed(void **state) {
        Manager *m = *state;

        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        manager_apply(m, result(GUEST_KIND_ALL, "guest", NULL));
        log_buf[0] = '\0';
        manager_apply(m, domain_msg(DOMAIN_STATE_PAUSED, AGENT_STATE_CONNECTED));
        /* paused: kept as it was, just not asked */
        assert_true(dom(m)->guest_exported);
        assert_string_equal(log_buf, "");
        assert_false(dom(m)->collect.collecting);
        assert_int_equal(refresh(m, dom(m)), -ENODEV);
        uint64_t seq = dom(m)->collect.seq;
        /* resumed: everything again, at once */
        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        assert_true(dom(m)->collect.collecting);
        assert_int_equal(dom(m)->collect.seq, seq + 1);
}

static void test_refresh_waits_for_a_fresh_collection(void **state) {
        Manager *m = *state;

        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        assert_int_equal(dom(m)->collect.seq, 1);
        /* asked while collection 1 of everything runs, just started: answered by it */
        assert_int_equal(refresh(m, dom(m)), 1);
        assert_int_equal(dom(m)->collect.pending_kinds, 0);
        /* one started longer ago: answered by collection 2 */
        dom(m)->collect.started_usec -= REFRESH_REUSE_USEC;
        assert_int_equal(refresh(m, dom(m)), 2);
        manager_apply(m, result(GUEST_KIND_ALL, "guest", NULL));
        assert_true(dom(m)->collect.collecting);
        assert_int_equal(dom(m)->collect.seq, 2);
        log_buf[0] = '\0';
        manager_apply(m, result(GUEST_KIND_ALL, "guest", NULL));
        assert_string_equal(log_buf, "done 2 ok;");
        assert_false(dom(m)->collect.collecting);
        assert_int_equal(n_waiters, 2);
        assert_int_equal(waiters[0].answered, 1);
        assert_int_equal(waiters[1].answered, 1);
        /* idle, but collection 2 just ended: answered from it, nothing asked */
        assert_int_equal(refresh(m, dom(m)), 0);
        assert_false(dom(m)->collect.collecting);
        assert_int_equal(dom(m)->collect.seq, 2);
        /* once it is older than the window: a new one */
        dom(m)->collect.full_done_usec -= REFRESH_REUSE_USEC;
        assert_int_equal(refresh(m, dom(m)), 3);
        assert_true(dom(m)->collect.collecting);
}

/* A client calling Refresh() in a loop: one collection per window. */
static void test_refresh_flood_costs_one_collection(void **state) {
        Manager *m = *state;

        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        manager_apply(m, result(GUEST_KIND_ALL, "guest", NULL));
        uint64_t seq = dom(m)->collect.seq;
        for (int i = 0; i < 1000; i++) {
                int64_t r = refresh(m, dom(m));
                if (r > 0) /* the scheduler asked the agent: it answers at once */
                        manager_apply(m, result(GUEST_KIND_ALL, "guest", NULL));
        }
        printf("# 1000 Refresh() calls in a row: %llu collections\n", (unsigned long long) (dom(m)->collect.seq - seq));
        assert_int_equal(dom(m)->collect.seq, seq);

        /* the outcome reused is the collection's, failure included */
        dom(m)->collect.full_done_usec -= REFRESH_REUSE_USEC;
        assert_int_equal(refresh(m, dom(m)), (int64_t) seq + 1);
        manager_apply(m, result(GUEST_KIND_ALL, NULL, "Guest agent is not responding"));
        TestWaiter w2 = { .collect.done = on_done };
        const char *outcome = NULL;
        assert_int_equal(collect_refresh(&m->collect, dom(m), &w2.collect, &outcome), 0);
        assert_null(w2.collect.prevp);
        assert_string_equal(outcome, "Guest agent is not responding");

        /* a periodic collection of some kinds is no answer to a Refresh() */
        dom(m)->collect.full_done_usec -= REFRESH_REUSE_USEC;
        dom(m)->collect.collecting = true;
        manager_apply(m, result(GUEST_KIND_USERS, NULL, NULL));
        assert_true(refresh(m, dom(m)) > 0);

        /* calls during a collection of everything share it */
        uint64_t inflight = dom(m)->collect.seq;
        for (int i = 0; i < 50; i++)
                assert_int_equal(refresh(m, dom(m)), (int64_t) inflight);
        assert_int_equal(dom(m)->collect.pending_kinds, 0);

        /* nor is one from before the agent reconnected */
        manager_apply(m, result(GUEST_KIND_ALL, "guest", NULL));
        assert_int_equal(refresh(m, dom(m)), 0);
        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_DISCONNECTED));
        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        manager_apply(m, result(GUEST_KIND_ALL, "guest", NULL));
        dom(m)->collect.full_done_usec = 0; /* as if the reconnect's collection were still running */
        assert_true(refresh(m, dom(m)) > 0);
}

/* The domain is undefined and defined again with the same UUID while its
 * agent is asked: the late answer is about the old object. */
static void test_late_result_for_a_removed_domain(void **state) {
        Manager *m = *state;

        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        assert_true(dom(m)->collect.collecting);
        VirtMsg *late = result(GUEST_KIND_ALL, "old-guest", NULL);
        assert_int_equal(refresh(m, dom(m)), 1);

        VirtMsg *gone = virt_msg_new(VIRT_MSG_DOMAIN_GONE);
        snprintf(gone->domain.uuid, sizeof gone->domain.uuid, "%s", UUID_A);
        manager_apply(m, gone);
        /* its Refresh() ends with it */
        assert_string_equal(log_buf, "done 1 The domain is gone.;");
        assert_int_equal(waiters[0].answered, 1);
        assert_null(waiters[0].collect.prevp);
        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        assert_true(dom(m)->collect.collecting);
        log_buf[0] = '\0';

        manager_apply(m, late);
        /* not applied: nothing exported, its own collection still awaited */
        assert_string_equal(log_buf, "");
        assert_null(dom(m)->guest);
        assert_false(dom(m)->guest_exported);
        assert_true(dom(m)->collect.collecting);

        manager_apply(m, result(GUEST_KIND_ALL, "new-guest", NULL));
        assert_string_equal(dom(m)->guest->hostname, "new-guest");
        assert_false(dom(m)->collect.collecting);
}

static void test_failing_agent(void **state) {
        Manager *m = *state;

        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        assert_int_equal(refresh(m, dom(m)), 1);
        manager_apply(m, result(GUEST_KIND_ALL, NULL, "Guest agent is not responding"));
        assert_string_equal(log_buf, "done 1 Guest agent is not responding;");
        assert_int_equal(dom(m)->collect.failing_kinds, GUEST_KIND_ALL);
        /* nothing shown for an agent that never answered */
        assert_false(dom(m)->guest_exported);
        /* the next try is scheduled, not immediate */
        assert_false(dom(m)->collect.collecting);
        assert_true(dom(m)->collect.due_usec[0] > 0);
}

static void test_agent_disconnects_during_collection(void **state) {
        Manager *m = *state;

        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        assert_int_equal(refresh(m, dom(m)), 1);
        dom(m)->collect.started_usec -= REFRESH_REUSE_USEC;
        assert_int_equal(refresh(m, dom(m)), 2);
        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_DISCONNECTED));
        log_buf[0] = '\0';
        /* the late answer is stale: dropped, and both waiters are answered */
        manager_apply(m, result(GUEST_KIND_ALL, "guest", NULL));
        assert_string_equal(log_buf, "done 1 the guest agent disconnected;done 2 the guest agent disconnected;");
        assert_false(dom(m)->guest_exported);
        assert_false(dom(m)->collect.collecting);
}

/* A list libvirt could not carry: failed this time (logged once), asked
 * again right away and from then on from the agent's own reply, until the
 * agent goes. */
static void test_too_big_list_goes_raw(void **state) {
        Manager *m = *state;

        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        VirtMsg *r = result(GUEST_KIND_ALL, "guest", NULL);
        set_outcome(r, GUEST_KIND_FILESYSTEMS, KIND_OUTCOME_TOO_BIG);
        r->data.message = strdup("guest info failed: too many parameters '90001' for limit '2048'");
        manager_apply(m, r);
        Domain *d = dom(m);
        assert_true(d->guest_exported);
        assert_int_equal(d->collect.raw_kinds, GUEST_KIND_FILESYSTEMS);
        assert_int_equal(d->collect.failing_kinds, GUEST_KIND_FILESYSTEMS);
        for (int i = 0; i < GUEST_KIND_COUNT; i++) {
                if ((1u << i) == GUEST_KIND_FILESYSTEMS)
                        assert_int_equal(d->collect.due_usec[i], 0);
                else
                        assert_true(d->collect.due_usec[i] > 0);
        }

        /* the raw read answers: no longer failing, still read raw */
        due_now(m, GUEST_KIND_FILESYSTEMS);
        assert_int_equal(dom(m)->collect.plan[guest_kind_index(GUEST_KIND_FILESYSTEMS)], KIND_PLAN_RAW);
        manager_apply(m, result(GUEST_KIND_FILESYSTEMS, NULL, NULL));
        assert_int_equal(dom(m)->collect.failing_kinds, 0);
        assert_int_equal(dom(m)->collect.raw_kinds, GUEST_KIND_FILESYSTEMS);

        /* a collection where it was not tried (a hung agent before it): kept */
        due_now(m, GUEST_KIND_ALL);
        VirtMsg *h = result(GUEST_KIND_ALL, NULL, NULL);
        memset(h->data.outcome, 0, sizeof h->data.outcome);
        set_outcome(h, GUEST_KIND_AGENT, KIND_OUTCOME_OK);
        set_outcome(h, GUEST_KIND_OS, KIND_OUTCOME_HUNG);
        h->data.message = strdup("guest info failed: Guest agent is not responding");
        manager_apply(m, h);
        assert_int_equal(dom(m)->collect.raw_kinds, GUEST_KIND_FILESYSTEMS);
        assert_int_equal(dom(m)->collect.raw_failed_kinds, 0);
        assert_int_equal(dom(m)->collect.failing_kinds, GUEST_KIND_ALL & ~(unsigned) GUEST_KIND_AGENT);

        /* its own reply fails: not tried again, libvirt's typed answer it is */
        due_now(m, GUEST_KIND_FILESYSTEMS);
        VirtMsg *f = result(GUEST_KIND_FILESYSTEMS, NULL, NULL);
        set_outcome(f, GUEST_KIND_FILESYSTEMS, KIND_OUTCOME_HUNG);
        f->data.message = strdup("its own reply failed: Guest agent is not responding");
        manager_apply(m, f);
        assert_int_equal(dom(m)->collect.raw_kinds, 0);
        assert_int_equal(dom(m)->collect.raw_failed_kinds, GUEST_KIND_FILESYSTEMS);
        assert_true(dom(m)->collect.failing_kinds & GUEST_KIND_FILESYSTEMS);
        due_now(m, GUEST_KIND_FILESYSTEMS);
        assert_int_equal(dom(m)->collect.plan[guest_kind_index(GUEST_KIND_FILESYSTEMS)], KIND_PLAN_TYPED);
        VirtMsg *again = result(GUEST_KIND_FILESYSTEMS, NULL, NULL);
        set_outcome(again, GUEST_KIND_FILESYSTEMS, KIND_OUTCOME_TOO_BIG);
        manager_apply(m, again);
        assert_int_equal(dom(m)->collect.raw_kinds, 0);

        /* a new agent session starts from libvirt's typed answers again */
        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_DISCONNECTED));
        assert_int_equal(dom(m)->collect.raw_kinds, 0);
        assert_int_equal(dom(m)->collect.raw_failed_kinds, 0);
}

/* The plan is the main thread's: what the agent lacks is not read and is
 * no failure; guest-info is read when asked for or not yet known. */
static void test_plan_follows_the_agent(void **state) {
        Manager *m = *state;
        const int users = guest_kind_index(GUEST_KIND_USERS), os = guest_kind_index(GUEST_KIND_OS);

        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        Domain *d = dom(m);
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                assert_int_equal(d->collect.plan[i], i == GUEST_KIND_AGENT_INDEX || guest_kinds[i].libvirt_type
                                                             ? KIND_PLAN_TYPED
                                                             : KIND_PLAN_RAW);
        /* an agent without guest-get-users */
        VirtMsg *r = result(GUEST_KIND_ALL, "guest", NULL);
        AgentInfo *a = r->data.agent;
        for (size_t i = 0; i < a->n_commands; i++)
                if (strcmp(a->commands[i].name, guest_kinds[users].command) == 0)
                        a->commands[i].enabled = false;
        set_outcome(r, GUEST_KIND_USERS, KIND_OUTCOME_UNSUPPORTED);
        manager_apply(m, r);
        assert_int_equal(d->collect.failing_kinds, 0);

        due_now(m, GUEST_KIND_USERS | GUEST_KIND_OS);
        assert_int_equal(d->collect.plan[users], KIND_PLAN_SKIP);
        assert_int_equal(d->collect.plan[os], KIND_PLAN_TYPED);
        assert_int_equal(d->collect.plan[GUEST_KIND_AGENT_INDEX], KIND_PLAN_SKIP);
        VirtMsg *u = result(GUEST_KIND_USERS | GUEST_KIND_OS, NULL, NULL);
        set_outcome(u, GUEST_KIND_USERS, KIND_OUTCOME_UNSUPPORTED);
        manager_apply(m, u);
        assert_int_equal(d->collect.failing_kinds, 0);
        assert_true(d->collect.due_usec[users] > 0);

        /* asked for the agent's list again: every kind planned, the worker checks */
        due_now(m, GUEST_KIND_AGENT | GUEST_KIND_USERS);
        assert_int_equal(d->collect.plan[GUEST_KIND_AGENT_INDEX], KIND_PLAN_TYPED);
        assert_int_equal(d->collect.plan[users], KIND_PLAN_TYPED);
        assert_int_equal(d->collect.plan[os], KIND_PLAN_SKIP);
}

/* ---- collect_apply_result(): (state, outcome) → (state, report) ---- */

#define FS GUEST_KIND_FILESYSTEMS
#define NOT_AGENT (GUEST_KIND_ALL & ~(unsigned) GUEST_KIND_AGENT)

typedef struct ApplyCase {
        const char *name;
        /* the state before: set before the job of everything is planned */
        unsigned raw, raw_failed, failing;
        bool disconnect, pending; /* agent gone meanwhile; a Refresh() queued behind */
        /* the outcome: a whole failure, or per kind (unlisted: KIND_OUTCOME_OK) */
        const char *error;
        struct {
                unsigned kind;
                KindOutcome outcome;
        } outcomes[GUEST_KIND_COUNT];
        const char *message;
        /* the state after */
        unsigned want_raw, want_raw_failed, want_failing, want_due_now;
        bool want_collecting;
        /* the report */
        int want_exported;
        size_t want_done;
        const char *want_error; /* of each done */
} ApplyCase;

static const ApplyCase apply_cases[] = {
        { .name = "every kind answered", .want_exported = 1, .want_done = 1 },
        { .name = "the agent did not answer",
          .error = "Guest agent is not responding",
          .want_failing = GUEST_KIND_ALL,
          .want_done = 1,
          .want_error = "Guest agent is not responding" },
        { .name = "a list too big for libvirt: raw, and asked again now",
          .outcomes = { { FS, KIND_OUTCOME_TOO_BIG } },
          .message = "too many parameters",
          .want_raw = FS,
          .want_failing = FS,
          .want_due_now = FS,
          .want_exported = 1,
          .want_done = 1 },
        { .name = "too big again after its own reply failed: not raw again",
          .raw_failed = FS,
          .outcomes = { { FS, KIND_OUTCOME_TOO_BIG } },
          .want_raw_failed = FS,
          .want_failing = FS,
          .want_exported = 1,
          .want_done = 1 },
        { .name = "its own reply hung: typed from now on",
          .raw = FS,
          .outcomes = { { FS, KIND_OUTCOME_HUNG } },
          .want_raw_failed = FS,
          .want_failing = FS,
          .want_exported = 1,
          .want_done = 1 },
        { .name = "its own reply failed: typed from now on",
          .raw = FS,
          .outcomes = { { FS, KIND_OUTCOME_FAILED } },
          .want_raw_failed = FS,
          .want_failing = FS,
          .want_exported = 1,
          .want_done = 1 },
        { .name = "its own reply answered: still raw, no longer failing",
          .raw = FS,
          .failing = FS,
          .want_raw = FS,
          .want_exported = 1,
          .want_done = 1 },
        { .name = "hung before the raw read: raw kept",
          .raw = FS,
          .outcomes = { { GUEST_KIND_OS, KIND_OUTCOME_HUNG },
                        { GUEST_KIND_HOSTNAME, KIND_OUTCOME_NONE },
                        { GUEST_KIND_TIMEZONE, KIND_OUTCOME_NONE },
                        { GUEST_KIND_USERS, KIND_OUTCOME_NONE },
                        { FS, KIND_OUTCOME_NONE },
                        { GUEST_KIND_INTERFACES, KIND_OUTCOME_NONE },
                        { GUEST_KIND_VCPUS, KIND_OUTCOME_NONE },
                        { GUEST_KIND_LOAD, KIND_OUTCOME_NONE },
                        { GUEST_KIND_DISKS, KIND_OUTCOME_NONE },
                        { GUEST_KIND_CLOCK, KIND_OUTCOME_NONE },
                        { GUEST_KIND_NIC_COUNTERS, KIND_OUTCOME_NONE },
                        { GUEST_KIND_CPU_COUNTERS, KIND_OUTCOME_NONE },
                        { GUEST_KIND_DISK_COUNTERS, KIND_OUTCOME_NONE } },
          .message = "Guest agent is not responding",
          .want_raw = FS,
          /* the freeze is asked first, and answered */
          .want_failing = NOT_AGENT & ~(unsigned) GUEST_KIND_FSFREEZE,
          .want_done = 1 },
        { .name = "a kind the agent lacks is no failure",
          .failing = GUEST_KIND_USERS,
          .outcomes = { { GUEST_KIND_USERS, KIND_OUTCOME_UNSUPPORTED } },
          .want_exported = 1,
          .want_done = 1 },
        { .name = "nothing answered: Refresh() gets the reason",
          .outcomes = { { GUEST_KIND_AGENT, KIND_OUTCOME_FAILED },
                        { GUEST_KIND_OS, KIND_OUTCOME_FAILED },
                        { GUEST_KIND_HOSTNAME, KIND_OUTCOME_FAILED },
                        { GUEST_KIND_TIMEZONE, KIND_OUTCOME_FAILED },
                        { GUEST_KIND_USERS, KIND_OUTCOME_FAILED },
                        { FS, KIND_OUTCOME_FAILED },
                        { GUEST_KIND_INTERFACES, KIND_OUTCOME_FAILED },
                        { GUEST_KIND_FSFREEZE, KIND_OUTCOME_FAILED },
                        { GUEST_KIND_VCPUS, KIND_OUTCOME_FAILED },
                        { GUEST_KIND_LOAD, KIND_OUTCOME_FAILED },
                        { GUEST_KIND_DISKS, KIND_OUTCOME_FAILED },
                        { GUEST_KIND_CLOCK, KIND_OUTCOME_FAILED },
                        { GUEST_KIND_NIC_COUNTERS, KIND_OUTCOME_FAILED },
                        { GUEST_KIND_CPU_COUNTERS, KIND_OUTCOME_FAILED },
                        { GUEST_KIND_DISK_COUNTERS, KIND_OUTCOME_FAILED } },
          .message = "its guest-info reply is not valid JSON",
          .want_failing = GUEST_KIND_ALL,
          .want_done = 1,
          .want_error = "its guest-info reply is not valid JSON" },
        { .name = "a Refresh() queued behind: submitted at once",
          .pending = true,
          .want_exported = 1,
          .want_done = 1,
          .want_collecting = true },
        { .name = "agent gone meanwhile: both collections end, nothing kept",
          .disconnect = true,
          .pending = true,
          .want_done = 2,
          .want_error = "the guest agent disconnected" },
};

static void test_apply_result_table(void **state) {
        for (size_t c = 0; c < ELEMENTSOF(apply_cases); c++) {
                const ApplyCase *t = &apply_cases[c];
                Manager *m;

                assert_int_equal(manager_new(NULL, "test:///default", &m), 0);
                manager_apply(m, virt_msg_new(VIRT_MSG_CONNECTED));
                current = m;
                manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_DISCONNECTED));
                Domain *d = dom(m);
                d->collect.raw_kinds = t->raw;
                d->collect.raw_failed_kinds = t->raw_failed;
                d->collect.failing_kinds = t->failing;
                VirtMsg *e = virt_msg_new(VIRT_MSG_AGENT_EVENT);
                snprintf(e->domain.uuid, sizeof e->domain.uuid, "%s", UUID_A);
                e->domain.agent = AGENT_STATE_CONNECTED;
                e->domain.agent_probe_usec = 2;
                manager_apply(m, e);
                assert_true(d->collect.collecting);
                TestWaiter now = { .collect.done = on_done }, next = { .collect.done = on_done };
                const char *outcome = NULL;
                assert_int_equal(collect_refresh(&m->collect, d, &now.collect, &outcome), 1);
                if (t->pending) {
                        d->collect.started_usec -= REFRESH_REUSE_USEC;
                        assert_int_equal(collect_refresh(&m->collect, d, &next.collect, &outcome), 1);
                        assert_int_equal(d->collect.pending_kinds, GUEST_KIND_ALL);
                }
                if (t->disconnect)
                        d->agent_connected = false;

                VirtMsg *r = result(GUEST_KIND_ALL, "guest", t->error);
                for (size_t i = 0; i < ELEMENTSOF(t->outcomes) && t->outcomes[i].kind; i++)
                        set_outcome(r, t->outcomes[i].kind, t->outcomes[i].outcome);
                if (t->message)
                        r->data.message = strdup(t->message);
                if (!t->error) {
                        /* only what was read comes back */
                        unsigned ok = 0;
                        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                                if (r->data.outcome[i] == KIND_OUTCOME_OK)
                                        ok |= guest_kinds[i].kind;
                        if (!(ok & GUEST_KIND_AGENT))
                                r->data.agent = agent_info_free(r->data.agent);
                        if (!(ok & NOT_AGENT))
                                r->data.guest = guest_info_free(r->data.guest);
                        else
                                r->data.guest->kinds = ok & NOT_AGENT;
                }

                CollectReport report;
                collect_apply_result(&m->collect, d, r, &report);
                print_message("%s\n", t->name);
                assert_int_equal(d->collect.raw_kinds, t->want_raw);
                assert_int_equal(d->collect.raw_failed_kinds, t->want_raw_failed);
                assert_int_equal(d->collect.failing_kinds, t->want_failing);
                assert_int_equal(d->collect.collecting, t->want_collecting);
                for (int i = 0; i < GUEST_KIND_COUNT; i++)
                        assert_int_equal(d->collect.due_usec[i] == 0, !!(t->want_due_now & guest_kinds[i].kind));
                assert_int_equal(report.exported, t->want_exported);
                assert_int_equal(d->guest_exported, t->want_exported > 0);
                assert_int_equal(report.n_done, t->want_done);
                assert_ptr_equal(report.done[0].waiters, &now.collect);
                assert_null(now.collect.prevp);
                if (report.n_done > 1)
                        assert_ptr_equal(report.done[1].waiters, &next.collect);
                else if (t->pending) /* answered by the one now in flight */
                        assert_ptr_equal(d->collect.waiting[0], &next.collect);
                for (size_t i = 0; i < report.n_done; i++) {
                        if (t->want_error)
                                assert_string_equal(report.done[i].error, t->want_error);
                        else
                                assert_null(report.done[i].error);
                }
                virt_msg_free(r);
                manager_free(m);
        }
}

/* ---- freshness: each kind's state, and the reasons ---- */

static const KindStatus *kind_status(Manager *m, unsigned kind) {
        return &dom(m)->status[guest_kind_index(kind)];
}

/* Only what answered comes back as data. */
static void only_answered(VirtMsg *r) {
        unsigned ok = 0;
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (r->data.outcome[i] == KIND_OUTCOME_OK)
                        ok |= guest_kinds[i].kind;
        if (r->data.guest)
                r->data.guest->kinds = ok & ~(unsigned) GUEST_KIND_AGENT;
}

static void set_command_enabled(VirtMsg *r, unsigned kind, bool listed, bool enabled) {
        AgentInfo *a = r->data.agent;
        for (size_t i = 0; i < a->n_commands; i++)
                if (strcmp(a->commands[i].name, guest_kind_info(kind)->command) == 0) {
                        if (listed)
                                a->commands[i].enabled = enabled;
                        else
                                a->commands[i].name[0] = '_'; /* another command */
                }
}

static void test_kind_states_follow_outcomes(void **state) {
        Manager *m = *state;

        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                assert_int_equal(dom(m)->status[i].state, KIND_STATE_NOT_ASKED);

        VirtMsg *r = result(GUEST_KIND_ALL, "guest", NULL);
        set_command_enabled(r, GUEST_KIND_OS, false, false);
        set_command_enabled(r, GUEST_KIND_USERS, true, false);
        set_outcome(r, GUEST_KIND_OS, KIND_OUTCOME_UNSUPPORTED);
        set_outcome(r, GUEST_KIND_USERS, KIND_OUTCOME_UNSUPPORTED);
        set_outcome(r, GUEST_KIND_FILESYSTEMS, KIND_OUTCOME_FAILED);
        r->data.messages[guest_kind_index(GUEST_KIND_FILESYSTEMS)] = strdup("guest info failed: boom");
        set_outcome(r, GUEST_KIND_INTERFACES, KIND_OUTCOME_HUNG);
        r->data.messages[guest_kind_index(GUEST_KIND_INTERFACES)] = strdup("Guest agent is not responding");
        set_outcome(r, GUEST_KIND_TIMEZONE, KIND_OUTCOME_NONE);
        only_answered(r);
        manager_apply(m, r);

        assert_int_equal(kind_status(m, GUEST_KIND_AGENT)->state, KIND_STATE_FRESH);
        assert_true(kind_status_usec(kind_status(m, GUEST_KIND_AGENT)) > 0);
        assert_int_equal(kind_status(m, GUEST_KIND_HOSTNAME)->state, KIND_STATE_FRESH);
        assert_int_equal(kind_status(m, GUEST_KIND_FSFREEZE)->state, KIND_STATE_FRESH);
        /* not listed: unsupported; listed disabled: disabled; neither is a failure */
        assert_int_equal(kind_status(m, GUEST_KIND_OS)->state, KIND_STATE_UNSUPPORTED);
        assert_int_equal(kind_status(m, GUEST_KIND_USERS)->state, KIND_STATE_DISABLED);
        assert_int_equal(dom(m)->collect.failing_kinds & (GUEST_KIND_OS | GUEST_KIND_USERS), 0);
        /* failed, with its own reason; never collected */
        assert_int_equal(kind_status(m, GUEST_KIND_FILESYSTEMS)->state, KIND_STATE_FAILED);
        assert_string_equal(kind_status_message(kind_status(m, GUEST_KIND_FILESYSTEMS)), "guest info failed: boom");
        assert_int_equal(kind_status_usec(kind_status(m, GUEST_KIND_FILESYSTEMS)), 0);
        assert_int_equal(kind_status(m, GUEST_KIND_INTERFACES)->state, KIND_STATE_TIMED_OUT);
        assert_string_equal(kind_status_message(kind_status(m, GUEST_KIND_INTERFACES)),
                            "Guest agent is not responding");
        /* not asked after a hang: timed out too, saying so */
        assert_int_equal(kind_status(m, GUEST_KIND_TIMEZONE)->state, KIND_STATE_TIMED_OUT);
        assert_non_null(strstr(kind_status_message(kind_status(m, GUEST_KIND_TIMEZONE)), "not asked"));
        assert_string_equal(dom(m)->reason, "");

        /* filesystems answers: fresh, no message */
        due_now(m, GUEST_KIND_FILESYSTEMS);
        manager_apply(m, result(GUEST_KIND_FILESYSTEMS, NULL, NULL));
        uint64_t collected = kind_status_usec(kind_status(m, GUEST_KIND_FILESYSTEMS));
        assert_int_equal(kind_status(m, GUEST_KIND_FILESYSTEMS)->state, KIND_STATE_FRESH);
        assert_null(kind_status_message(kind_status(m, GUEST_KIND_FILESYSTEMS)));
        assert_true(collected > 0);
        /* and fails again: the value kept is visibly older, its time kept */
        due_now(m, GUEST_KIND_FILESYSTEMS);
        r = result(GUEST_KIND_FILESYSTEMS, NULL, NULL);
        set_outcome(r, GUEST_KIND_FILESYSTEMS, KIND_OUTCOME_FAILED);
        r->data.messages[guest_kind_index(GUEST_KIND_FILESYSTEMS)] = strdup("again");
        only_answered(r);
        manager_apply(m, r);
        assert_int_equal(kind_status(m, GUEST_KIND_FILESYSTEMS)->state, KIND_STATE_FAILED);
        assert_int_equal(kind_status_usec(kind_status(m, GUEST_KIND_FILESYSTEMS)), collected);

        /* the agent goes: every kind back to not asked, no time */
        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_DISCONNECTED));
        for (int i = 0; i < GUEST_KIND_COUNT; i++) {
                assert_int_equal(dom(m)->status[i].state, KIND_STATE_NOT_ASKED);
                assert_int_equal(kind_status_usec(&dom(m)->status[i]), 0);
        }
        assert_string_equal(dom(m)->reason, DOMAIN_REASON_AGENT_NOT_CONNECTED);
}

static void test_freeze_keeps_values_and_the_thaw_collects_everything(void **state) {
        Manager *m = *state;

        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        manager_apply(m, result(GUEST_KIND_ALL, "guest", NULL));
        assert_string_equal(guest_freeze_to_string(dom(m)->guest->fsfreeze), "thawed");
        uint64_t users_collected = kind_status_usec(kind_status(m, GUEST_KIND_USERS));

        /* frozen: the worker asked the freeze first and nothing after it */
        due_now(m, GUEST_KIND_USERS);
        VirtMsg *r = result(GUEST_KIND_USERS, NULL, NULL);
        r->data.guest->fsfreeze = GUEST_FREEZE_FROZEN;
        set_outcome(r, GUEST_KIND_USERS, KIND_OUTCOME_FROZEN);
        only_answered(r);
        log_buf[0] = '\0';
        manager_apply(m, r);
        assert_true(domain_frozen(dom(m)));
        assert_string_equal(dom(m)->reason, DOMAIN_REASON_FROZEN);
        assert_int_equal(kind_status(m, GUEST_KIND_USERS)->state, KIND_STATE_FROZEN);
        assert_int_equal(kind_status_usec(kind_status(m, GUEST_KIND_USERS)), users_collected);
        assert_int_equal(dom(m)->collect.failing_kinds, 0);
        /* the values stay */
        assert_string_equal(dom(m)->guest->hostname, "guest");
        assert_true(dom(m)->guest_exported);

        /* while frozen, the next job plans what the agent's list (read
         * while frozen: nearly all disabled) would skip: the worker decides */
        due_now(m, GUEST_KIND_USERS);
        assert_int_equal(dom(m)->collect.plan[guest_kind_index(GUEST_KIND_USERS)], KIND_PLAN_TYPED);
        assert_int_equal(dom(m)->collect.plan[GUEST_KIND_FSFREEZE_INDEX], KIND_PLAN_RAW);
        /* thawed: everything asked again at once */
        r = result(GUEST_KIND_USERS, NULL, NULL);
        manager_apply(m, r);
        assert_false(domain_frozen(dom(m)));
        assert_true(dom(m)->collect.collecting);
        assert_int_equal(dom(m)->collect.kinds, GUEST_KIND_ALL);
        assert_int_equal(kind_status(m, GUEST_KIND_USERS)->state, KIND_STATE_FRESH);
}

static void test_refused_as_frozen_asks_the_freeze_at_once(void **state) {
        Manager *m = *state;

        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        manager_apply(m, result(GUEST_KIND_ALL, "guest", NULL));
        /* frozen between the freeze's answer and the users' call */
        due_now(m, GUEST_KIND_USERS);
        VirtMsg *r = result(GUEST_KIND_USERS, NULL, NULL);
        set_outcome(r, GUEST_KIND_USERS, KIND_OUTCOME_FAILED);
        r->data.messages[guest_kind_index(GUEST_KIND_USERS)] =
                strdup("guest info failed: Command guest-get-users has been disabled: the agent is in frozen state");
        only_answered(r);
        manager_apply(m, r);
        assert_int_equal(kind_status(m, GUEST_KIND_USERS)->state, KIND_STATE_FROZEN);
        assert_int_equal(dom(m)->collect.failing_kinds, 0);
        assert_true(dom(m)->collect.collecting);
        assert_int_equal(dom(m)->collect.kinds, GUEST_KIND_FSFREEZE);
}

static void test_raw_fallback_is_kept(void **state) {
        Manager *m = *state;

        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        VirtMsg *r = result(GUEST_KIND_ALL, "guest", NULL);
        r->data.raw_fallback_kinds = GUEST_KIND_USERS;
        manager_apply(m, r);
        assert_int_equal(dom(m)->collect.raw_kinds, GUEST_KIND_USERS);
        assert_int_equal(dom(m)->collect.failing_kinds, 0);
        due_now(m, GUEST_KIND_USERS);
        assert_int_equal(dom(m)->collect.plan[guest_kind_index(GUEST_KIND_USERS)], KIND_PLAN_RAW);
}

static void test_reasons(void **state) {
        Manager *m = *state;

        manager_apply(m, domain_msg(DOMAIN_STATE_SHUTOFF, AGENT_STATE_INACTIVE));
        assert_string_equal(dom(m)->reason, DOMAIN_REASON_NOT_RUNNING);
        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_NO_CHANNEL));
        assert_string_equal(dom(m)->reason, DOMAIN_REASON_NO_AGENT_CHANNEL);
        manager_apply(m, domain_msg(DOMAIN_STATE_PAUSED, AGENT_STATE_DISCONNECTED));
        assert_string_equal(dom(m)->reason, DOMAIN_REASON_PAUSED);
        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_DISCONNECTED));
        assert_string_equal(dom(m)->reason, DOMAIN_REASON_AGENT_NOT_CONNECTED);
        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        assert_string_equal(dom(m)->reason, DOMAIN_REASON_COLLECTING);

        /* the agent hangs on its own guest-info */
        VirtMsg *r = result(GUEST_KIND_ALL, NULL, "Guest agent is not responding");
        r->data.outcome[GUEST_KIND_AGENT_INDEX] = KIND_OUTCOME_HUNG;
        manager_apply(m, r);
        assert_string_equal(dom(m)->reason, DOMAIN_REASON_AGENT_TIMED_OUT);
        assert_int_equal(kind_status(m, GUEST_KIND_OS)->state, KIND_STATE_TIMED_OUT);

        /* it answers, with nothing but guest-info */
        due_now(m, GUEST_KIND_ALL);
        r = result(GUEST_KIND_ALL, NULL, NULL);
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (guest_kinds[i].command) {
                        set_command_enabled(r, guest_kinds[i].kind, false, false);
                        r->data.outcome[i] = KIND_OUTCOME_UNSUPPORTED;
                }
        only_answered(r);
        manager_apply(m, r);
        assert_string_equal(dom(m)->reason, DOMAIN_REASON_AGENT_LACKS_COMMANDS);
        assert_false(dom(m)->guest_exported);

        /* libvirt lost: said on every domain, whatever else */
        manager_apply(m, virt_msg_new(VIRT_MSG_DISCONNECTED));
        assert_string_equal(dom(m)->reason, DOMAIN_REASON_LIBVIRT_DISCONNECTED);
}

/* How far ahead of now the hostname's next read is, in its intervals. */
static double hostname_due_in_intervals(Manager *m) {
        int i = guest_kind_index(GUEST_KIND_HOSTNAME);
        return (double) (dom(m)->collect.due_usec[i] - now_usec()) / (double) m->collect.config.interval_usec[i];
}

/* A hostname read again unchanged is asked 2, 4, then 8 times less often
 * (the default cap); a changed one snaps back to its interval, and so does
 * an event naming the kind. The counters, with no property, keep theirs. */
static void test_unchanged_kinds_back_off(void **state) {
        Manager *m = *state;
        int h = guest_kind_index(GUEST_KIND_HOSTNAME), nic = guest_kind_index(GUEST_KIND_NIC_COUNTERS);

        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        manager_apply(m, result(GUEST_KIND_ALL, "guest", NULL));
        assert_int_equal(dom(m)->collect.backoff[h], 0); /* the first value is a change */
        double want[] = { 2, 4, 8, 8, 8 };
        for (size_t k = 0; k < ELEMENTSOF(want); k++) {
                due_now(m, GUEST_KIND_HOSTNAME | GUEST_KIND_NIC_COUNTERS);
                manager_apply(m, result(GUEST_KIND_HOSTNAME | GUEST_KIND_NIC_COUNTERS, "guest", NULL));
                double in = hostname_due_in_intervals(m);
                print_message("unchanged read %zu: next in %.2f intervals\n", k + 1, in);
                /* this read used the backoff before it; the next one this */
                assert_int_equal(dom(m)->collect.backoff[h], k < 3 ? k + 1 : 3);
                assert_true(in > (k == 0 ? 0.9 : want[k - 1] - 0.1) && in <= (k == 0 ? 1.0 : want[k - 1]));
                assert_int_equal(dom(m)->collect.backoff[nic], 0);
        }
        /* a changed value: an interval from now, and no backoff */
        due_now(m, GUEST_KIND_HOSTNAME);
        manager_apply(m, result(GUEST_KIND_HOSTNAME, "renamed", NULL));
        assert_int_equal(dom(m)->collect.backoff[h], 0);
        assert_true(hostname_due_in_intervals(m) <= 1.0);

        /* backed off again, then an event naming the kind snaps it back */
        for (int k = 0; k < 3; k++) {
                due_now(m, GUEST_KIND_HOSTNAME);
                manager_apply(m, result(GUEST_KIND_HOSTNAME, "renamed", NULL));
        }
        assert_int_equal(dom(m)->collect.backoff[h], 3);
        collect_kinds_soon(&m->collect, dom(m), GUEST_KIND_HOSTNAME, 0);
        assert_int_equal(dom(m)->collect.backoff[h], 0);
}

/* --backoff=1: never backs off. */
static void test_backoff_off(void **state) {
        Manager *m = *state;
        int h = guest_kind_index(GUEST_KIND_HOSTNAME);

        m->collect.config.backoff_max = 1;
        manager_apply(m, domain_msg(DOMAIN_STATE_RUNNING, AGENT_STATE_CONNECTED));
        manager_apply(m, result(GUEST_KIND_ALL, "guest", NULL));
        for (int k = 0; k < 4; k++) {
                due_now(m, GUEST_KIND_HOSTNAME);
                manager_apply(m, result(GUEST_KIND_HOSTNAME, "guest", NULL));
                assert_int_equal(dom(m)->collect.backoff[h], 0);
                assert_true(hostname_due_in_intervals(m) <= 1.0);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_full_collection_when_agent_connects, setup, teardown),
                cmocka_unit_test_setup_teardown(test_agent_gone_drops_everything, setup, teardown),
                cmocka_unit_test_setup_teardown(test_paused_and_resumed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refresh_waits_for_a_fresh_collection, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refresh_flood_costs_one_collection, setup, teardown),
                cmocka_unit_test_setup_teardown(test_late_result_for_a_removed_domain, setup, teardown),
                cmocka_unit_test_setup_teardown(test_failing_agent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_agent_disconnects_during_collection, setup, teardown),
                cmocka_unit_test_setup_teardown(test_too_big_list_goes_raw, setup, teardown),
                cmocka_unit_test_setup_teardown(test_plan_follows_the_agent, setup, teardown),
                cmocka_unit_test(test_apply_result_table),
                cmocka_unit_test_setup_teardown(test_kind_states_follow_outcomes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_freeze_keeps_values_and_the_thaw_collects_everything, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_refused_as_frozen_asks_the_freeze_at_once, setup, teardown),
                cmocka_unit_test_setup_teardown(test_raw_fallback_is_kept, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reasons, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unchanged_kinds_back_off, setup, teardown),
                cmocka_unit_test_setup_teardown(test_backoff_off, setup, teardown),
        };
        return cmocka_run_group_tests_name("collect", tests, NULL, NULL);
}
