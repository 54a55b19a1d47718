/* Past libvirt's list limit: over its remote protocol one list carries at
 * most 16384 domains, and virConnectListAllDomains and
 * virConnectGetAllDomainStats fail beyond. A hand-started libvirtd serves a
 * test-driver node of 16400 running and 100 shut-off domains: the daemon
 * must start anyway, publish what libvirt can list, say once what it cannot,
 * and stop promptly even in the middle of that long list. With 9000 of each
 * kind, every domain fits in a list of its kind: all are published. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define LIST_MAX 16384 /* libvirt 9.0's REMOTE_DOMAIN_LIST_MAX */
#define N_RUNNING (LIST_MAX + 16)
#define N_SHUTOFF 100
#define N_DOMAINS (N_RUNNING + N_SHUTOFF)
#define SPLIT_DOMAINS 18000 /* half running, half shut off: each kind fits in a list */
#define UNLISTED_LINE "are not published until libvirt reports an event for them"

static Harness H;
static char uri[1200], uri_split[1200];

/* A node file of n domains, the first n_running running, the rest shut off. */
static void write_node(const char *path, int n, int n_running) {
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs("<node>\n", f);
        for (int i = 0; i < n; i++)
                /* the test driver starts every domain of a node file unless told otherwise */
                fprintf(f,
                        "  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>"
                        "<name>many-%05d</name><uuid>5ca1e000-0000-4000-8000-%012d</uuid>"
                        "<memory>8192</memory><os><type>hvm</type></os>%s</domain>\n",
                        i, i, i < n_running ? "" : "<test:runstate>5</test:runstate>");
        fputs("</node>\n", f);
        fclose(f);
}

static int group_setup(void **state) {
        char node_xml[512], node_split[512];

        assert_int_equal(harness_setup(&H), 0);

        snprintf(node_xml, sizeof node_xml, "%s/node.xml", H.dir);
        write_node(node_xml, N_DOMAINS, N_RUNNING);
        snprintf(node_split, sizeof node_split, "%s/node-split.xml", H.dir);
        write_node(node_split, SPLIT_DOMAINS, SPLIT_DOMAINS / 2);

        assert_int_equal(harness_start_libvirtd(&H, "test"), 0);
        const char *socket = strstr(H.uri, "?socket=");
        assert_non_null(socket);
        snprintf(uri, sizeof uri, "test+unix://%s%s", node_xml, socket);
        snprintf(uri_split, sizeof uri_split, "test+unix://%s%s", node_split, socket);
        return 0;
}

static int group_teardown(void **state) {
        harness_cleanup(&H);
        return 0;
}

static size_t log_lines_with(const char *needle) {
        char line[4096];
        size_t n = 0;
        FILE *f = fopen(H.daemon_log, "re");
        while (f && fgets(line, sizeof line, f))
                if (strstr(line, needle))
                        n++;
        if (f)
                fclose(f);
        return n;
}

static void get_path(const char *name) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = sd_bus_call_method(H.bus, "org.guestinfod.GuestInfo1", "/org/guestinfod/GuestInfo1",
                                   "org.guestinfod.GuestInfo1.Manager", "GetDomainByName", &error, &reply, "s", name);
        if (r < 0)
                fprintf(stderr, "GetDomainByName(%s): %s\n", name, error.message);
        assert_int_equal(r, 1);
        sd_bus_message_unref(reply);
}

static void test_degraded_but_running(void **state) {
        int r = harness_start_daemon(&H, uri, 240, NULL);
        if (r < 0)
                fprintf(stderr, "guestinfod did not become ready (%d), see %s\n", r, H.daemon_log);
        assert_int_equal(r, 0);
        printf("# %d domains through libvirtd: READY after %.3f s\n", N_DOMAINS, H.ready_seconds);

        /* libvirt lists 16384 of the running ones and every shut-off one */
        uint32_t count = 0;
        assert_int_equal(harness_get_property(&H, "/org/guestinfod/GuestInfo1", "org.guestinfod.GuestInfo1.Manager",
                                              "DomainCount", 'u', &count),
                         0);
        printf("# published %u of %d\n", count, N_DOMAINS);
        assert_int_equal(count, LIST_MAX + N_SHUTOFF);
        get_path("many-16450");
        get_path("many-16499");

        /* said once, with the figures */
        assert_int_equal(log_lines_with(UNLISTED_LINE), 1);
        assert_int_equal(log_lines_with("has 16500 domains"), 1);
        assert_int_equal(log_lines_with("16 are not published"), 1);

        harness_settle(&H, 500);
        assert_true(harness_daemon_running(&H));
        assert_int_equal(harness_stop_daemon(&H), 0);
}

/* Past the limit in all, but each kind fits: every domain is published,
 * nothing to say. */
static void test_each_kind_fits(void **state) {
        size_t before = log_lines_with(UNLISTED_LINE);
        int r = harness_start_daemon(&H, uri_split, 240, NULL);
        if (r < 0)
                fprintf(stderr, "guestinfod did not become ready (%d), see %s\n", r, H.daemon_log);
        assert_int_equal(r, 0);
        printf("# %d domains, %d running, through libvirtd: READY after %.3f s\n", SPLIT_DOMAINS, SPLIT_DOMAINS / 2,
               H.ready_seconds);

        uint32_t count = 0;
        assert_int_equal(harness_get_property(&H, "/org/guestinfod/GuestInfo1", "org.guestinfod.GuestInfo1.Manager",
                                              "DomainCount", 'u', &count),
                         0);
        assert_int_equal(count, SPLIT_DOMAINS);
        get_path("many-00000");
        get_path("many-17999");
        assert_int_equal(log_lines_with(UNLISTED_LINE), before);
        assert_int_equal(harness_stop_daemon(&H), 0);
}

/* A stop in the middle of the long list (it takes 20-30 s here): the list
 * ends after the call in flight, or the call is left behind after 2 s. The
 * harness kills a daemon that takes more than 5 s (status 137). */
static void test_stop_while_listing(void **state) {
        /* not ready within 8 s: it is looking the domains up one by one */
        assert_int_equal(harness_start_daemon(&H, uri, 8, NULL), -ETIME);
        assert_true(harness_daemon_running(&H));
        double t0 = harness_now();
        assert_int_equal(harness_stop_daemon(&H), 0);
        printf("# stop while listing took %.3f s%s\n", harness_now() - t0,
               harness_daemon_log_contains(&H, "still in flight") ? " (a libvirt call left behind)" : "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_degraded_but_running),
                cmocka_unit_test(test_each_kind_fits),
                cmocka_unit_test(test_stop_while_listing),
        };
        return cmocka_run_group_tests_name("bus: list limit", tests, group_setup, group_teardown);
}
