/* A stop signalled while a burst of new domains is still being read ends the
 * daemon promptly and cleanly: SIGTERM in the middle of 1500 domains being
 * defined, started, paused and resumed twice (six events each, queued
 * faster than a daemon reading each domain per event can read them), and
 * again right after libvirt is done with another 1500. The bound is the
 * harness's: a daemon not gone 5 s after SIGTERM is killed, and its status
 * is then not 0. A bound on correctness, not a measure of speed. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libvirt/libvirt.h>

#include "harness.h"

#define BURST 1500
#define DOMAIN_IFACE "org.guestinfod.GuestInfo1.Domain"

static Harness H;

typedef struct Burst {
        size_t first;
        atomic_size_t done; /* domains defined and started so far */
        atomic_bool finished;
        int failures;
        pthread_t thread;
} Burst;

static void *burst_main(void *userdata) {
        Burst *b = userdata;
        virConnectPtr c = virConnectOpen(H.uri);

        for (size_t i = b->first; c && i < b->first + BURST; i++) {
                char xml[512];
                snprintf(xml, sizeof xml,
                         "<domain type='test'><name>backlog-%05zu</name><uuid>bac10900-0000-4000-8000-%012zx</uuid>"
                         "<memory>8192</memory><os><type>hvm</type></os></domain>",
                         i, i);
                /* six events: defined, started, and two pauses */
                virDomainPtr d = virDomainDefineXML(c, xml);
                if (!d || virDomainCreate(d) < 0)
                        b->failures++;
                for (int k = 0; d && k < 2; k++)
                        if (virDomainSuspend(d) < 0 || virDomainResume(d) < 0)
                                b->failures++;
                if (d)
                        virDomainFree(d);
                atomic_fetch_add(&b->done, 1);
        }
        if (!c)
                b->failures++;
        else
                virConnectClose(c);
        atomic_store(&b->finished, true);
        return NULL;
}

/* Starts a burst and returns once done domains of it are in libvirt (or
 * all of them, if done is BURST). */
static void burst_until(Burst *b, size_t first, size_t done) {
        b->first = first;
        atomic_store(&b->done, 0);
        atomic_store(&b->finished, false);
        b->failures = 0;
        assert_int_equal(pthread_create(&b->thread, NULL, burst_main, b), 0);
        while (atomic_load(&b->done) < done && !atomic_load(&b->finished))
                harness_settle(&H, 5);
}

static void stop_and_check(const char *when) {
        double t0 = harness_now();
        int status = harness_stop_daemon(&H);
        printf("# %s: exit status %d after %.3f s\n", when, status, harness_now() - t0);
        assert_int_equal(status, 0);
}

static void test_stop_during_a_burst(void **state) {
        Burst b;

        assert_int_equal(harness_start_daemon(&H, H.uri, 60, NULL), 0);
        burst_until(&b, 0, BURST / 2);
        stop_and_check("SIGTERM half-way through the burst");
        pthread_join(b.thread, NULL);
        assert_int_equal(b.failures, 0);
}

static void test_stop_right_after_a_burst(void **state) {
        Burst b;

        assert_int_equal(harness_start_daemon(&H, H.uri, 60, NULL), 0);
        burst_until(&b, BURST, BURST);
        pthread_join(b.thread, NULL);
        assert_int_equal(b.failures, 0);
        stop_and_check("SIGTERM as libvirt is done with the burst");
}

/* The reads of a burst are batched (virt-session.c): after one, each domain
 * is published with what libvirt says of it last, and those removed in the
 * burst are gone. 300 new domains, every third left paused, every fifth
 * made transient by undefining it while running, every seventh destroyed
 * and undefined (gone). */
#define MIXED 300

static const char *mixed_final(size_t i) {
        if (i % 7 == 0)
                return NULL; /* gone */
        return i % 3 == 0 ? "paused" : "running";
}

static void test_burst_read_right(void **state) {
        virConnectPtr c = virConnectOpen(H.uri);
        assert_non_null(c);
        assert_int_equal(harness_start_daemon(&H, H.uri, 60, NULL), 0);

        for (size_t i = 0; i < MIXED; i++) {
                char xml[512];
                snprintf(xml, sizeof xml,
                         "<domain type='test'><name>mixed-%03zu</name><uuid>b1c10900-0000-4000-8000-%012zx</uuid>"
                         "<memory>8192</memory><os><type>hvm</type></os></domain>",
                         i, i);
                virDomainPtr d = virDomainDefineXML(c, xml);
                assert_non_null(d);
                assert_int_equal(virDomainCreate(d), 0);
                if (i % 3 == 0)
                        assert_int_equal(virDomainSuspend(d), 0);
                if (i % 7 == 0)
                        assert_int_equal(virDomainDestroy(d), 0);
                if (i % 5 == 0 || i % 7 == 0)
                        assert_int_equal(virDomainUndefine(d), 0);
                virDomainFree(d);
        }
        virConnectClose(c);

        /* Until the last domain's final value is there (bounded), then all. */
        char last_uuid[37], *path = NULL;
        snprintf(last_uuid, sizeof last_uuid, "b1c10900-0000-4000-8000-%012zx", (size_t) MIXED - 1);
        assert_int_equal(harness_domain_path(last_uuid, &path), 0);
        double end = harness_now() + 30;
        for (char *st = NULL; harness_now() < end; free(st), st = NULL) {
                if (harness_get_property(&H, path, DOMAIN_IFACE, "State", 's', &st) >= 0 &&
                    strcmp(st, mixed_final(MIXED - 1)) == 0)
                        break;
                harness_settle(&H, 50);
        }
        free(path);
        harness_settle(&H, 200);

        for (size_t i = 0; i < MIXED; i++) {
                char uuid[37], *st = NULL;
                int persistent = -1;
                snprintf(uuid, sizeof uuid, "b1c10900-0000-4000-8000-%012zx", i);
                assert_int_equal(harness_domain_path(uuid, &path), 0);
                int r = harness_get_property(&H, path, DOMAIN_IFACE, "State", 's', &st);
                if (!mixed_final(i)) {
                        if (r >= 0)
                                fprintf(stderr, "domain %zu should be gone, is %s\n", i, st);
                        assert_true(r < 0);
                } else {
                        if (r < 0 || strcmp(st, mixed_final(i)) != 0)
                                fprintf(stderr, "domain %zu: %s, expected %s\n", i, r < 0 ? "missing" : st,
                                        mixed_final(i));
                        assert_true(r >= 0);
                        assert_string_equal(st, mixed_final(i));
                        assert_true(harness_get_property(&H, path, DOMAIN_IFACE, "Persistent", 'b', &persistent) >= 0);
                        assert_int_equal(persistent, i % 5 != 0);
                }
                free(st);
                free(path);
        }
        assert_int_equal(harness_stop_daemon(&H), 0);
}

static int group_setup(void **state) {
        assert_int_equal(harness_init(&H), 0);
        assert_int_equal(harness_start_bus(&H), 0);
        assert_int_equal(harness_start_libvirtd(&H, "test"), 0);
        assert_int_equal(harness_connect_client(&H), 0);
        return 0;
}

static int group_teardown(void **state) {
        harness_cleanup(&H);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stop_during_a_burst),
                cmocka_unit_test(test_stop_right_after_a_burst),
                cmocka_unit_test(test_burst_read_right),
        };
        return cmocka_run_group_tests_name("backlog-stop", tests, group_setup, group_teardown);
}
