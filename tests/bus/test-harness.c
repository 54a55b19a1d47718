/* The harness itself: a test process that crashes must not leave its
 * daemons behind. libvirtd runs in a session of its own (it outlives its
 * parent), so only the harness's cleanup on the way out can stop it. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Alive and not a zombie (nobody may reap a daemon whose parent is gone). */
static bool process_alive(pid_t pid) {
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return false;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        const char *end = strrchr(buf, ')');
        return end && end[1] == ' ' && end[2] != 'Z' && end[2] != 'X';
}

static pid_t read_pid(const char *state_dir) {
        char path[400];
        long pid = 0;
        snprintf(path, sizeof path, "%s/libvirtd.pid", state_dir);
        FILE *f = fopen(path, "re");
        if (f) {
                if (fscanf(f, "%ld", &pid) != 1)
                        pid = 0;
                fclose(f);
        }
        return (pid_t) pid;
}

static void crash_with_libvirtd_running(int sig) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);

        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                Harness h;
                close(fds[0]);
                if (harness_init(&h) < 0)
                        _exit(100);
                pid_t pid = harness_start_libvirtd(&h, "test") < 0 ? 0 : read_pid(h.libvirtd_state);
                if (pid <= 0 || write(fds[1], &pid, sizeof pid) != sizeof pid) {
                        harness_cleanup(&h); /* nothing to test: leave nothing behind */
                        _exit(101);
                }
                raise(sig);
                _exit(102);
        }
        close(fds[1]);
        pid_t libvirtd = 0;
        ssize_t n = read(fds[0], &libvirtd, sizeof libvirtd);
        close(fds[0]);
        int status = 0;
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_int_equal(n, sizeof libvirtd);
        assert_true(libvirtd > 0);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), sig);

        /* harness_cleanup stops it by PID before the signal takes effect */
        bool alive = process_alive(libvirtd);
        if (alive) {
                fprintf(stderr, "libvirtd %d outlived the crashed test; stopping it\n", (int) libvirtd);
                kill(libvirtd, SIGKILL);
        }
        assert_false(alive);
}

static void test_abort_stops_libvirtd(void **state) {
        crash_with_libvirtd_running(SIGABRT);
}

static void test_segfault_stops_libvirtd(void **state) {
        crash_with_libvirtd_running(SIGSEGV);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_abort_stops_libvirtd),
                cmocka_unit_test(test_segfault_stops_libvirtd),
        };
        return cmocka_run_group_tests_name("bus: the harness cleans up", tests, NULL, NULL);
}
