/* The libvirt session against libvirt's in-process test driver: an event
 * or a result that could not be allocated is not lost for good, it costs
 * a full re-list of the domains. */
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
#include <libvirt/libvirt.h>

#include "queue.h"
#include "virt-error.h"
#include "virt-loop.h"
#include "virt-message.h"
#include "virt-session.h"

#define URI "test:///default"

typedef struct Fixture {
        Queue *results;
        VirtSession *session;
        virConnectPtr conn; /* the test's own: test:///default is shared in-process */
        virDomainPtr dom;
} Fixture;

/* The next result, waiting up to 10 s; NULL if none came. */
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

static const DomainInfo *find_domain(const VirtMsg *m, const char *name) {
        for (size_t i = 0; i < m->n_domains; i++)
                if (m->domains[i].name && strcmp(m->domains[i].name, name) == 0)
                        return &m->domains[i];
        return NULL;
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof *f);
        assert_non_null(f);
        assert_int_equal(virt_loop_start(), 0);
        assert_int_equal(queue_new(true, virt_msg_free_item, &f->results), 0);
        assert_int_equal(virt_session_new(URI, f->results, &f->session), 0);
        f->conn = virConnectOpen(URI);
        assert_non_null(f->conn);
        f->dom = virDomainLookupByName(f->conn, "test");
        assert_non_null(f->dom);

        virt_session_connect(f->session);
        VirtMsg *m = next_result(f);
        assert_non_null(m);
        assert_int_equal(m->type, VIRT_MSG_CONNECTED);
        assert_non_null(find_domain(m, "test"));
        virt_msg_free(m);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        virt_session_test_fail_allocation((unsigned) -1);
        (void) virDomainResume(f->dom);
        virDomainFree(f->dom);
        virConnectClose(f->conn);
        virt_session_request_stop(f->session);
        assert_int_equal(virt_session_stop(f->session, 5000), 0);
        virt_loop_stop();
        virt_session_unref(f->session);
        queue_unref(f->results);
        free(f);
        return 0;
}

/* The state "test" has after a suspend, as the next result tells it. */
static void expect_paused(Fixture *f, VirtMsgType type) {
        VirtMsg *m = next_result(f);
        assert_non_null(m);
        assert_int_equal(m->type, type);
        const DomainInfo *info = type == VIRT_MSG_CONNECTED ? find_domain(m, "test") : &m->domain;
        assert_non_null(info);
        assert_string_equal(info->name, "test");
        assert_int_equal(info->state, DOMAIN_STATE_PAUSED);
        virt_msg_free(m);
}

static void test_event_read(void **state) {
        Fixture *f = *state;
        assert_int_equal(virDomainSuspend(f->dom), 0);
        expect_paused(f, VIRT_MSG_DOMAIN_UPDATED);
}

static void test_lost_event_relists(void **state) {
        Fixture *f = *state;
        /* the job libvirt's event callback allocates */
        virt_session_test_fail_allocation(0);
        assert_int_equal(virDomainSuspend(f->dom), 0);
        expect_paused(f, VIRT_MSG_CONNECTED);
}

static void test_lost_result_relists(void **state) {
        Fixture *f = *state;
        /* the job is queued, the DOMAIN_UPDATED it answers with is lost */
        virt_session_test_fail_allocation(1);
        assert_int_equal(virDomainSuspend(f->dom), 0);
        expect_paused(f, VIRT_MSG_CONNECTED);
}

/* The one reader says which error it was, and bounds and cleans what
 * libvirt quotes (here a file name). */
static void test_error_reader(void **state) {
        char uri[2048], *message = NULL;
        virConnectPtr conn = virConnectOpen(URI);

        assert_int_equal(virt_loop_start(), 0); /* libvirt's own printing silenced */
        assert_non_null(conn);
        assert_null(virDomainLookupByName(conn, "nosuch"));
        assert_int_equal(virt_error_last("lookup", &message), -ENOENT);
        assert_non_null(message);
        assert_memory_equal(message, "lookup: ", 8);
        free(message);
        virConnectClose(conn);

        memset(uri, 'x', sizeof uri - 1);
        uri[sizeof uri - 1] = '\0';
        memcpy(uri, "test:///no\033[2Jsuch", 18);
        assert_null(virConnectOpen(uri));
        assert_int_equal(virt_error_last(NULL, &message), -EIO);
        assert_non_null(message);
        assert_true(strlen(message) <= VIRT_ERROR_MESSAGE_MAX);
        assert_non_null(strstr(message, "no?[2Jsuch"));
        assert_null(strchr(message, '\033'));
        free(message);

        memcpy(uri, "test:///tmp/such", 16);
        assert_null(virConnectOpen(uri));
        assert_int_equal(virt_error_last("open", &message), -EIO);
        assert_non_null(message);
        printf("# %.60s... (%zu bytes)\n", message, strlen(message));
        assert_non_null(strstr(message, "xxxx"));
        assert_true(strlen(message) <= VIRT_ERROR_MESSAGE_MAX);
        assert_true(strlen(message) >= VIRT_ERROR_MESSAGE_MAX - 4);
        free(message);
        virt_loop_stop();
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_error_reader),
                cmocka_unit_test_setup_teardown(test_event_read, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lost_event_relists, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lost_result_relists, setup, teardown),
        };
        return cmocka_run_group_tests_name("virt-session", tests, NULL, NULL);
}
