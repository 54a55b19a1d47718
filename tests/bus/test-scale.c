/* Scale: 2000 domains in a test-driver node XML are all published. Prints
 * the time from start to READY=1, in-process and through libvirtd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define N_DOMAINS 2000

static Harness H;
static char node_xml[512];

static int group_setup(void **state) {
        assert_int_equal(harness_setup(&H), 0);

        snprintf(node_xml, sizeof node_xml, "%s/node.xml", H.dir);
        FILE *f = fopen(node_xml, "we");
        assert_non_null(f);
        fputs("<node>\n", f);
        for (int i = 0; i < N_DOMAINS; i++)
                fprintf(f,
                        "  <domain type='test'><name>scale-%04d</name><uuid>5ca1e000-0000-4000-8000-%012d</uuid>"
                        "<memory>8192</memory><os><type>hvm</type></os></domain>\n",
                        i, i);
        fputs("</node>\n", f);
        fclose(f);
        return 0;
}

static int group_teardown(void **state) {
        harness_cleanup(&H);
        return 0;
}

static void assert_all_published(void) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        uint32_t count = 0;
        size_t n = 0;
        const char *name, *uuid, *path;

        assert_int_equal(harness_get_property(&H, "/org/guestinfod/GuestInfo1", "org.guestinfod.GuestInfo1.Manager",
                                              "DomainCount", 'u', &count),
                         0);
        assert_int_equal(count, N_DOMAINS);

        assert_int_equal(sd_bus_call_method(H.bus, "org.guestinfod.GuestInfo1", "/org/guestinfod/GuestInfo1",
                                            "org.guestinfod.GuestInfo1.Manager", "ListDomains", &error, &reply, ""),
                         1);
        assert_true(sd_bus_message_enter_container(reply, 'a', "(sso)") > 0);
        while (sd_bus_message_read(reply, "(sso)", &name, &uuid, &path) > 0) {
                assert_int_equal(strncmp(name, "scale-", 6), 0);
                n++;
        }
        assert_int_equal(n, N_DOMAINS);
        reply = sd_bus_message_unref(reply);

        /* every one is a real object that the ObjectManager reports */
        double t0 = harness_now();
        assert_int_equal(sd_bus_call_method(H.bus, "org.guestinfod.GuestInfo1", "/org/guestinfod/GuestInfo1",
                                            "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", &error, &reply,
                                            ""),
                         1);
        printf("# GetManagedObjects with %d domains: %.3f s\n", N_DOMAINS, harness_now() - t0);
        n = 0;
        assert_true(sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}") > 0);
        while (sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}") > 0) {
                assert_int_equal(sd_bus_message_read(reply, "o", &path), 1);
                assert_int_equal(strncmp(path, "/org/guestinfod/GuestInfo1/domain/", 34), 0);
                sd_bus_message_skip(reply, "a{sa{sv}}");
                sd_bus_message_exit_container(reply);
                n++;
        }
        assert_int_equal(n, N_DOMAINS);
        sd_bus_message_unref(reply);
}

static void test_scale_in_process(void **state) {
        char uri[600];
        snprintf(uri, sizeof uri, "test://%s", node_xml);

        assert_int_equal(harness_start_daemon(&H, uri, 120, NULL), 0);
        printf("# %d domains, in-process test driver: READY after %.3f s\n", N_DOMAINS, H.ready_seconds);
        assert_all_published();
        assert_int_equal(harness_stop_daemon(&H), 0);
}

static void test_scale_through_libvirtd(void **state) {
        char uri[1200];

        assert_int_equal(harness_start_libvirtd(&H, "test"), 0);
        /* the same node file, opened by libvirtd, every query a remote call */
        const char *socket = strstr(H.uri, "?socket=");
        assert_non_null(socket);
        snprintf(uri, sizeof uri, "test+unix://%s%s", node_xml, socket);

        assert_int_equal(harness_start_daemon(&H, uri, 120, NULL), 0);
        printf("# %d domains through libvirtd: READY after %.3f s\n", N_DOMAINS, H.ready_seconds);
        assert_all_published();
        assert_int_equal(harness_stop_daemon(&H), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scale_in_process),
                cmocka_unit_test(test_scale_through_libvirtd),
        };
        return cmocka_run_group_tests_name("bus: scale", tests, group_setup, group_teardown);
}
