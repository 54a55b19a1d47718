/* A stop signalled while a burst of new domains is still being read ends the
 * daemon promptly and cleanly: SIGTERM in the middle of 1500 domains being
 * defined, started, paused and resumed twice (six events each, queued
 * faster than a daemon reading each domain per event can read them), and
 * again right after libvirt is done with another 1500. The bound is the
 * harness's: a daemon not gone 5 s after SIGTERM is killed, and its status
 * is then not 0. A bound on correctness, not a measure of speed. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
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
        char *st = NULL;
        for (; harness_now() < end; free(st), st = NULL) {
                if (harness_get_property(&H, path, DOMAIN_IFACE, "State", 's', &st) >= 0 &&
                    strcmp(st, mixed_final(MIXED - 1)) == 0)
                        break;
                harness_settle(&H, 50);
        }
        free(st); /* the value that ended the wait */
        free(path);
        harness_settle(&H, 200);

        for (size_t i = 0; i < MIXED; i++) {
                char uuid[37];
                int persistent = -1;
                st = NULL;
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

/* SIGTERM while the start-up list is being read (the 3000 and more domains
 * the tests above left), at a few moments after the start: the daemon,
 * ready or not, exits with status 0 within the same bound. Started here,
 * not by the harness, which waits for READY. */
static void stop_during_the_start(int delay_ms) {
        char exe[600], log[400];
        snprintf(exe, sizeof exe, "%s/service/guestinfod", harness_build_root());
        snprintf(log, sizeof log, "%s/guestinfod-start.log", H.dir);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd >= 0) {
                        dup2(fd, 1);
                        dup2(fd, 2);
                }
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                execl(exe, exe, "--user", "--connect", H.uri, (char *) NULL);
                _exit(127);
        }
        usleep((useconds_t) delay_ms * 1000);
        double t0 = harness_now();
        kill(pid, SIGTERM);
        int status = -1;
        pid_t w = 0;
        while ((w = waitpid(pid, &status, WNOHANG)) == 0 && harness_now() - t0 < 5)
                usleep(10 * 1000);
        if (w == 0) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
        }
        /* Said, not asserted: a fast machine may be done listing by then. */
        char line[512];
        bool ready = false;
        FILE *f = fopen(log, "re");
        while (f && !ready && fgets(line, sizeof line, f))
                ready = strstr(line, "Publishing") != NULL;
        if (f)
                fclose(f);
        printf("# SIGTERM %d ms after the start (%s READY): %s after %.3f s\n", delay_ms, ready ? "after" : "before",
               w == pid ? "exited" : "killed", harness_now() - t0);
        assert_int_equal(w, pid);
        /* A signal before the daemon blocked it (its first milliseconds)
         * ends it by the default action: also clean, nothing had started
         * (systemd counts it a success too). Otherwise status 0. */
        if (WIFSIGNALED(status))
                assert_int_equal(WTERMSIG(status), SIGTERM);
        else
                assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_stop_during_the_start(void **state) {
        static const int delays_ms[] = { 10, 30, 60, 100, 150 };
        for (size_t i = 0; i < sizeof delays_ms / sizeof *delays_ms; i++)
                stop_during_the_start(delays_ms[i]);
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
                cmocka_unit_test(test_stop_during_the_start),
        };
        return cmocka_run_group_tests_name("backlog-stop", tests, group_setup, group_teardown);
}
