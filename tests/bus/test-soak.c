/* Many lifecycles: transient test-driver domains started and destroyed
 * through libvirt, from this process, while the daemon follows. Nothing
 * stale, nothing leaked: RSS flat after warm-up, and under valgrind's
 * memcheck no definitely lost bytes at exit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "harness.h"

static Harness H;

static void silence(void *userdata, virErrorPtr error) {
}

static long daemon_rss_kib(void) {
        char path[64], line[256];
        long kib = -1;
        snprintf(path, sizeof path, "/proc/%d/status", (int) H.daemon_pid);
        FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof line, f))
                if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
                        break;
        if (f)
                fclose(f);
        return kib;
}

static uint32_t domain_count(void) {
        uint32_t n = 0;
        assert_int_equal(harness_get_property(&H, "/org/guestinfod/GuestInfo1", "org.guestinfod.GuestInfo1.Manager",
                                              "DomainCount", 'u', &n),
                         0);
        return n;
}

static void wait_count(uint32_t want) {
        double t0 = harness_now();
        while (harness_now() - t0 < 120) {
                if (domain_count() == want)
                        return;
                harness_settle(&H, 20);
        }
        fail_msg("DomainCount %u, expected %u", domain_count(), want);
}

/* rounds × 10 transient domains: all started, seen by the daemon, all
 * destroyed, seen gone. Each one is published and withdrawn. */
static void cycles(virConnectPtr conn, int first_round, int rounds) {
        for (int r = first_round; r < first_round + rounds; r++) {
                virDomainPtr doms[10];
                for (int k = 0; k < 10; k++) {
                        char xml[512];
                        int i = r * 10 + k;
                        snprintf(xml, sizeof xml,
                                 "<domain type='test'><name>soak-%d</name><uuid>50a50000-0000-4000-8000-%012d</uuid>"
                                 "<memory>8192</memory><os><type>hvm</type></os></domain>",
                                 i, i);
                        doms[k] = virDomainCreateXML(conn, xml, 0);
                        assert_non_null(doms[k]);
                }
                wait_count(11);
                for (int k = 0; k < 10; k++) {
                        assert_int_equal(virDomainDestroy(doms[k]), 0);
                        virDomainFree(doms[k]);
                }
                wait_count(1);
        }
}

static int group_setup(void **state) {
        virSetErrorFunc(NULL, silence);
        assert_int_equal(harness_setup(&H), 0);
        assert_int_equal(harness_start_libvirtd(&H, "test"), 0);
        return 0;
}

static int group_teardown(void **state) {
        harness_cleanup(&H);
        return 0;
}

static void test_rss_flat_over_1000_cycles(void **state) {
        virConnectPtr conn = virConnectOpen(H.uri);
        assert_non_null(conn);
        assert_int_equal(harness_start_daemon(&H, H.uri, 30, NULL), 0);

        double t0 = harness_now();
        cycles(conn, 0, 20);
        long warm = daemon_rss_kib();
        cycles(conn, 20, 80);
        long after = daemon_rss_kib();
        printf("# 1000 start/destroy cycles in %.1f s; daemon RSS %ld KiB after 200, %ld KiB after 1000\n",
               harness_now() - t0, warm, after);
        assert_true(warm > 0 && after > 0);
        /* flat: the 800 later cycles may not grow it by more than 1 MiB */
        assert_true(after - warm < 1024);
        assert_int_equal(harness_stop_daemon(&H), 0);
        virConnectClose(conn);
}

static void test_no_leak_under_valgrind(void **state) {
        char exe[512];
        virConnectPtr conn = virConnectOpen(H.uri);
        assert_non_null(conn);

        snprintf(exe, sizeof exe, "%s/service/guestinfod", harness_build_root());
        char *argv[] = { "valgrind",
                         "--quiet",
                         "--leak-check=full",
                         "--show-leak-kinds=definite",
                         "--errors-for-leak-kinds=definite",
                         "--error-exitcode=99",
                         exe,
                         "--user",
                         "--connect",
                         H.uri,
                         NULL };
        assert_int_equal(harness_start_daemon_argv(&H, argv, 120), 0);
        double t0 = harness_now();
        cycles(conn, 1000, 20);
        printf("# 200 cycles under valgrind in %.1f s\n", harness_now() - t0);
        /* valgrind exits 99 on a definite leak or a memory error */
        assert_int_equal(harness_stop_daemon(&H), 0);
        virConnectClose(conn);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rss_flat_over_1000_cycles),
                cmocka_unit_test(test_no_leak_under_valgrind),
        };
        return cmocka_run_group_tests_name("bus: soak", tests, group_setup, group_teardown);
}
