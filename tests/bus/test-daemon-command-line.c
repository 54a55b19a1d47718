/* The daemon's command line as a user meets it: --help, --version, bad
 * flags, an unreachable libvirt, and a clean SIGTERM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static Harness H;
static char exe[512];

static int group_setup(void **state) {
        assert_int_equal(harness_init(&H), 0);
        assert_int_equal(harness_start_bus(&H), 0);
        snprintf(exe, sizeof exe, "%s/service/guestinfod", harness_build_root());
        return 0;
}

static int group_teardown(void **state) {
        harness_cleanup(&H);
        return 0;
}

/* Runs guestinfod with args through sh, stdout and stderr together. */
static int run_daemon(const char *args, char **out) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", exe, args);
        char *argv[] = { "sh", "-c", cmd, NULL };
        return harness_run(argv, 30, out);
}

static size_t count_lines(const char *s) {
        size_t n = 0;
        for (; *s; s++)
                n += *s == '\n';
        return n;
}

static void test_help_and_version(void **state) {
        char *out = NULL;

        assert_int_equal(run_daemon("--help", &out), 0);
        assert_non_null(strstr(out, "--connect=URI"));
        assert_non_null(strstr(out, "qemu:///system"));
        free(out);
        assert_int_equal(run_daemon("--version", &out), 0);
        assert_int_equal(strncmp(out, "guestinfod ", 11), 0);
        free(out);
}

static void test_bad_flags(void **state) {
        const char *bad[] = { "--bogus", "--connect", "--connect=", "--log-level=loud", "extra-argument" };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                char *out = NULL;
                assert_int_equal(run_daemon(bad[i], &out), 2);
                /* one clear line */
                assert_int_equal(count_lines(out), 1);
                assert_int_equal(strncmp(out, "guestinfod: ", 12), 0);
                free(out);
        }
}

static void test_unreachable_uri(void **state) {
        char *out = NULL, args[600];

        snprintf(args, sizeof args, "--user --connect 'test+unix:///default?socket=%s/nothing-here'", H.dir);
        assert_int_equal(run_daemon(args, &out), 1);
        assert_int_equal(count_lines(out), 1);
        assert_non_null(strstr(out, "Failed to connect to libvirt at 'test+unix:///default?socket="));
        free(out);

        assert_int_equal(run_daemon("--user --connect no-such-driver:///x", &out), 1);
        assert_int_equal(count_lines(out), 1);
        assert_non_null(strstr(out, "Failed to connect to libvirt"));
        free(out);
}

static void test_sigterm_is_a_clean_exit(void **state) {
        assert_int_equal(harness_start_daemon(&H, "test:///default", 30, NULL), 0);
        assert_true(harness_daemon_running(&H));
        assert_int_equal(harness_stop_daemon(&H), 0);
}

/* dbus-daemon gone: a clear message and exit 1 (the unit restarts it), not a spin. */
static void test_bus_gone_is_a_clean_exit(void **state) {
        assert_int_equal(harness_start_daemon(&H, "test:///default", 30, NULL), 0);
        kill(H.bus_pid, SIGKILL);
        waitpid(H.bus_pid, NULL, 0);
        H.bus_pid = 0;

        int status = -1;
        double t0 = harness_now();
        while (harness_now() - t0 < 5) {
                if (waitpid(H.daemon_pid, &status, WNOHANG) == H.daemon_pid)
                        break;
                usleep(20000);
        }
        assert_true(WIFEXITED(status));
        printf("# bus killed: guestinfod exited %d after %.3f s\n", WEXITSTATUS(status), harness_now() - t0);
        assert_int_equal(WEXITSTATUS(status), 1);
        H.daemon_pid = 0;
        assert_true(harness_daemon_log_contains(&H, "Lost the connection to the bus"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_help_and_version),         cmocka_unit_test(test_bad_flags),
                cmocka_unit_test(test_unreachable_uri),          cmocka_unit_test(test_sigterm_is_a_clean_exit),
                cmocka_unit_test(test_bus_gone_is_a_clean_exit), /* last: it takes the bus away */
        };
        return cmocka_run_group_tests_name("bus: command line", tests, group_setup, group_teardown);
}
