/* The agent pool under the collection scheduler, against libvirt's
 * in-process test driver (no agent there: every collection fails fast).
 * A collection that cannot be queued for want of memory counts as failed
 * and is retried, instead of aborting a thread or waiting forever. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent-pool.h"
#include "manager.h"

#define UUID_A "00000000-0000-0000-0000-00000000000a"

typedef struct Fixture {
        Manager *m;
        Queue *results;
} Fixture;

static VirtMsg *next_result(Fixture *f) {
        struct pollfd p = { .fd = queue_get_fd(f->results), .events = POLLIN };
        for (int waited = 0; waited < 10000; waited += 50) {
                QueueItem *item = queue_pop(f->results);
                if (item)
                        return QUEUE_CONTAINER(item, VirtMsg, item);
                (void) poll(&p, 1, 50);
                queue_drain_fd(f->results);
        }
        return NULL;
}

static void add_running_domain(Manager *m) {
        VirtMsg *msg = virt_msg_new(VIRT_MSG_DOMAIN_UPDATED);
        snprintf(msg->domain.uuid, sizeof msg->domain.uuid, "%s", UUID_A);
        msg->domain.name = strdup("vm");
        msg->domain.state = DOMAIN_STATE_RUNNING;
        msg->domain.id = 1;
        msg->domain.agent = AGENT_STATE_CONNECTED;
        msg->domain.agent_probe_usec = 1;
        manager_apply(m, msg);
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof *f);
        AgentPoolConfig config = { .uri = "test:///default", .n_workers = 1, .response_timeout = -1 };

        assert_non_null(f);
        assert_int_equal(manager_new(NULL, "test:///default", &f->m), 0);
        assert_int_equal(queue_new(true, virt_msg_free_item, &f->results), 0);
        assert_int_equal(agent_pool_new(f->results, &config, &f->m->pool), 0);
        f->m->collect.pool = f->m->pool;
        manager_apply(f->m, virt_msg_new(VIRT_MSG_CONNECTED));
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        agent_pool_test_fail_allocation((unsigned) -1);
        manager_free(f->m);
        queue_unref(f->results);
        free(f);
        return 0;
}

static void on_done(CollectWaiter *w, const char *error, bool gone) {
}

/* The first collection (the agent just connected) cannot be queued: not in
 * flight, its kinds due again later; the next Refresh() gets one queued,
 * and the pool answers it. */
static void test_lost_submission_is_retried(void **state) {
        Fixture *f = *state;

        agent_pool_test_fail_allocation(0); /* the request */
        add_running_domain(f->m);
        Domain *d = manager_get_domain(f->m, UUID_A);
        assert_non_null(d);
        assert_false(d->collect.collecting);
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                assert_true(d->collect.due_usec[i] > 0);

        CollectWaiter w = { .done = on_done };
        const char *outcome = NULL;
        assert_int_equal(collect_refresh(&f->m->collect, d, &w, &outcome), 1);
        assert_true(d->collect.collecting);
        VirtMsg *m = next_result(f);
        assert_non_null(m);
        assert_int_equal(m->type, VIRT_MSG_GUEST_DATA);
        assert_int_equal(m->data.job, d->collect.job);
        assert_non_null(m->error); /* no such domain in the test driver */
        virt_msg_free(m);
        collect_waiter_cancel(&w);
}

/* A Refresh() whose collection cannot be queued fails at once. */
static void test_refresh_out_of_memory(void **state) {
        Fixture *f = *state;

        add_running_domain(f->m);
        Domain *d = manager_get_domain(f->m, UUID_A);
        assert_non_null(d);
        assert_true(d->collect.collecting);
        VirtMsg *m = next_result(f);
        assert_non_null(m);
        CollectReport report;
        collect_apply_result(&f->m->collect, d, m, &report);
        virt_msg_free(m);
        assert_false(d->collect.collecting);

        d->collect.full_done_usec = 0;      /* as if REFRESH_REUSE_USEC had passed */
        agent_pool_test_fail_allocation(1); /* the result message */
        uint64_t before = d->collect.seq;
        CollectWaiter w = { .done = on_done };
        const char *outcome = NULL;
        assert_int_equal(collect_refresh(&f->m->collect, d, &w, &outcome), -ENOMEM);
        assert_false(d->collect.collecting);
        assert_null(w.prevp); /* not linked: nothing will answer it */
        assert_int_equal(d->collect.seq, before);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_lost_submission_is_retried, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refresh_out_of_memory, setup, teardown),
        };
        return cmocka_run_group_tests_name("agent-pool", tests, NULL, NULL);
}
