/* End to end: a real guest's data through guestinfoctl metrics --textfile,
 * a real node-exporter and a real Prometheus server (tests/helpers/
 * prom-stack.c: 127.0.0.1, private folders, stopped by PID). PromQL over
 * Prometheus's HTTP API returns the guest's real filesystem capacity and
 * use (the same figures as guestinfoctl filesystemlist), its OS and users
 * as tests/vm/guest.env built them, and its agent state; a file written in
 * the guest shows up within the rewrite interval plus a scrape of the
 * daemon publishing it; an agent killed shows up as a 0; hostile agents
 * (every string and list past its cap; invalid UTF-8) keep the text valid
 * for promtool and the scrape whole; every kind the real agent answers is
 * fresh, collected minutes ago by the host's clock, with no reason; the
 * guest's real CPU seconds, NIC and disk counters and clock offset come
 * through PromQL, a disk read in the guest moving its read bytes. */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ctl.h"
#include "guest.h"
#include "harness.h"
#include "prom-stack.h"

#define VM "gi-metrics"
#define VM_UUID "93000000-0000-4000-8000-000000000001"
#define SPEC "guest.env"
#define T 60
#define INTERVAL 1.0 /* --interval */
#define SCRAPE 0.5   /* Prometheus's scrape_interval */
#define FILL_MIB 4
/* Hostile agents (tests/vm/hostile-agent.c) beside the real one. */
#define MAXED_VM "hx-maxed"
#define MAXED_UUID "93000000-0000-4000-8000-000000000002"
#define BADUTF8_VM "hx-badutf8data"
#define BADUTF8_UUID "93000000-0000-4000-8000-000000000003"

/* Kinds the daemon asks the agent (docs/dbus-api.md) that the real
 * qemu-ga 7.2 answers; it has no guest-get-load (10.0's). A kind a newer
 * daemon adds is held to fresh, or unsupported without a timestamp. */
static const char *const FRESH_KINDS[] = { "agent",       "os",         "hostname", "timezone", "users",
                                           "filesystems", "interfaces", "fsfreeze", "vcpus" };
#define UNSUPPORTED_KIND "load"

static Harness H;
static PromStack S;
static double setup_started; /* the host's clock, seconds since the epoch */
static CtlProcess P;
static char guest_dir[512], hostile_dir[512];

static double wall_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static int group_setup(void **state) {
        setup_started = wall_now();
        assert_int_equal(harness_setup(&H), 0);
        snprintf(guest_dir, sizeof guest_dir, "%s/guest", H.dir);
        assert_int_equal(guest_build(&H, SPEC, guest_dir), 0);
        assert_int_equal(harness_start_libvirtd(&H, "qemu"), 0);
        snprintf(hostile_dir, sizeof hostile_dir, "%s/hostile", H.dir);
        assert_int_equal(guest_build(&H, "guest-hostile.env", hostile_dir), 0);
        assert_int_equal(guest_define(&H, VM, VM_UUID, SPEC, guest_dir, true), 0);
        assert_int_equal(guest_define_hostile(&H, MAXED_VM, MAXED_UUID, hostile_dir, "maxed"), 0);
        assert_int_equal(guest_define_hostile(&H, BADUTF8_VM, BADUTF8_UUID, hostile_dir, "badutf8data"), 0);
        /* the counters and the clock every 3 s rather than 300 and 60: the
         * test sees them move */
        assert_int_equal(harness_start_daemon(&H, H.uri, 60, "--interval=nic-counters=3", "--interval=cpu-counters=3",
                                              "--interval=disk-counters=3", "--interval=clock=3", NULL),
                         0);
        assert_int_equal(harness_virsh(&H, "start %s", VM), 0);
        assert_int_equal(harness_virsh(&H, "start %s", MAXED_VM), 0);
        assert_int_equal(harness_virsh(&H, "start %s", BADUTF8_VM), 0);
        assert_true(harness_wait_line(&H, "InterfacesAdded " VM_UUID " Filesystems(", 180000));
        assert_true(harness_wait_line(&H, "InterfacesAdded " MAXED_UUID " Filesystems(", 180000));
        assert_true(harness_wait_line(&H, "InterfacesAdded " BADUTF8_UUID " Filesystems(", 180000));

        assert_int_equal(prom_stack_start(&S, H.dir, "500ms", T), 0);
        assert_int_equal(ctl_start(&P, "--user", "metrics", "--textfile", S.textdir, "--interval", "1", NULL), 0);
        return 0;
}

static int group_teardown(void **state) {
        ctl_stop_all();
        prom_stack_stop(&S);
        int status = harness_stop_daemon(&H);
        harness_cleanup(&H);
        assert_int_equal(status, 0);
        return 0;
}

static char *spec(const char *expr) {
        char *v = spec_value(SPEC, expr);
        assert_non_null(v);
        return v;
}

static bool positive(double v, void *userdata) {
        return v > 0;
}

static bool at_least(double v, void *userdata) {
        return v >= *(double *) userdata;
}

/* usedBytes and totalBytes of the mount point in guestinfoctl
 * filesystemlist (KubeVirt's document, straight from the daemon). */
static void filesystemlist(const char *mount, double *used, double *total) {
        CtlResult r;
        assert_int_equal(ctl_run(&r, false, T, "--user", "filesystemlist", VM, NULL), 0);
        json_t *j = json_loads(r.out, 0, NULL);
        assert_non_null(j);
        json_t *items = json_object_get(j, "items"), *fs;
        size_t i;
        bool found = false;
        json_array_foreach(items, i, fs) {
                if (strcmp(json_string_value(json_object_get(fs, "mountPoint")), mount) == 0) {
                        *used = json_number_value(json_object_get(fs, "usedBytes"));
                        *total = json_number_value(json_object_get(fs, "totalBytes"));
                        found = true;
                }
        }
        json_decref(j);
        ctl_result_free(&r);
        assert_true(found);
}

static void test_guest_data_in_prometheus(void **state) {
        char q[512], *mount = spec("$DATA_DISK_MOUNT"), *os_id = spec("$OS_ID"), *users = spec("$GUEST_USERS");
        double used, total, capacity = NAN;

        snprintf(q, sizeof q, "guestinfod_vm_filesystem_capacity_bytes{name=\"" VM "\",mount_point=\"%s\"}", mount);
        assert_true(prom_wait_until(&S, q, positive, NULL, 30, &capacity) >= 0);
        filesystemlist(mount, &used, &total);
        printf("# %s: capacity %.0f bytes in Prometheus, totalBytes %.0f, usedBytes %.0f in filesystemlist\n", mount,
               capacity, total, used);
        assert_true(capacity == total);
        snprintf(q, sizeof q, "guestinfod_vm_filesystem_used_bytes{name=\"" VM "\",mount_point=\"%s\"}", mount);
        assert_true(prom_query_one(&S, q, NULL) == used);
        /* the data disk's labels, as KubeVirt's */
        json_t *m = NULL;
        assert_true(prom_query_one(&S, q, &m) == used);
        assert_string_equal(json_string_value(json_object_get(m, "fs_type")), "ext4");
        assert_string_equal(json_string_value(json_object_get(m, "uuid")), VM_UUID);
        assert_non_null(json_string_value(json_object_get(m, "disk_name")));
        json_decref(m);

        assert_true(prom_query_one(&S, "guestinfod_vm_agent_connected{name=\"" VM "\"}", NULL) == 1);
        assert_true(prom_query_one(&S, "guestinfod_vm_running{name=\"" VM "\"}", NULL) == 1);
        snprintf(q, sizeof q, "guestinfod_vm_info{name=\"" VM "\",os_id=\"%s\"}", os_id);
        assert_true(prom_query_one(&S, q, NULL) == 1);
        /* "alice:... bob:... carol:...": one user per word */
        double n_users = 1;
        for (const char *p = users; *p; p++)
                n_users += *p == ' ';
        assert_true(prom_query_one(&S, "guestinfod_vm_users{name=\"" VM "\"}", NULL) == n_users);
        assert_true(prom_query_one(&S, "node_textfile_scrape_error", NULL) == 0);
        free(mount), free(os_id), free(users);
}

static bool at_least_n(double v, void *userdata) {
        return v >= (double) *(size_t *) userdata;
}

static const char *label(json_t *series, const char *name) {
        return json_string_value(json_object_get(json_object_get(series, "metric"), name));
}

static double value_of(json_t *series) {
        const char *text = json_string_value(json_array_get(json_object_get(series, "value"), 1));
        return text ? strtod(text, NULL) : NAN;
}

/* The index of kind in FRESH_KINDS, or -1. */
static int fresh_kind(const char *kind) {
        for (size_t i = 0; i < sizeof FRESH_KINDS / sizeof FRESH_KINDS[0]; i++)
                if (strcmp(kind, FRESH_KINDS[i]) == 0)
                        return (int) i;
        return -1;
}

/* How fresh the real guest's data is, as Prometheus has it: every kind the
 * real agent answers fresh, collected since this test started by the
 * host's clock, no reason (collected as usual: reason="", which Prometheus
 * keeps as no reason label at all), filesystems thawed. */
static void test_freshness_in_prometheus(void **state) {
        size_t n_fresh = sizeof FRESH_KINDS / sizeof FRESH_KINDS[0], fresh = 0;
        bool seen[sizeof FRESH_KINDS / sizeof FRESH_KINDS[0]] = {}, seen_unsupported = false;
        char unsupported[16][64];
        size_t n_unsupported = 0;
        json_t *all, *series;
        size_t i;

        /* the first rounds of every kind may still be running */
        double waited = prom_wait_until(&S, "count(guestinfod_vm_guest_data_state{name=\"" VM "\",state=\"fresh\"})",
                                        at_least_n, &n_fresh, 60, NULL);
        printf("# every answered kind fresh in Prometheus after %.2f s\n", waited);
        assert_true(waited >= 0);

        all = prom_query_all(&S, "guestinfod_vm_guest_data_state{name=\"" VM "\"}");
        assert_non_null(all);
        json_array_foreach(all, i, series) {
                const char *kind = label(series, "kind"), *st = label(series, "state");
                assert_non_null(kind);
                assert_non_null(st);
                printf("# state of %s: %s\n", kind, st);
                assert_true(value_of(series) == 1);
                assert_string_equal(label(series, "uuid"), VM_UUID);
                int k = fresh_kind(kind);
                if (strcmp(kind, UNSUPPORTED_KIND) == 0) {
                        assert_string_equal(st, "unsupported");
                        seen_unsupported = true;
                } else if (k >= 0 || strcmp(st, "unsupported") != 0) {
                        assert_string_equal(st, "fresh");
                        if (k >= 0)
                                seen[k] = true;
                        fresh++;
                }
                if (strcmp(st, "unsupported") == 0 && n_unsupported < 16)
                        snprintf(unsupported[n_unsupported++], sizeof unsupported[0], "%s", kind);
        }
        for (size_t k = 0; k < n_fresh; k++)
                assert_true(seen[k]);
        assert_true(seen_unsupported);
        json_decref(all);

        /* each fresh kind collected by the daemon this test started, in the
         * last minutes of the host's clock; an unsupported one never */
        all = prom_query_all(&S, "guestinfod_vm_guest_data_collected_timestamp_seconds{name=\"" VM "\"}");
        assert_non_null(all);
        double now = wall_now();
        size_t collected = 0;
        json_array_foreach(all, i, series) {
                const char *kind = label(series, "kind");
                double at = value_of(series);
                assert_non_null(kind);
                printf("# %s collected %.1f s before the query (the test started %.1f s before)\n", kind, now - at,
                       now - setup_started);
                for (size_t u = 0; u < n_unsupported; u++)
                        assert_string_not_equal(kind, unsupported[u]);
                assert_true(at >= setup_started - 1 && at <= now + 1);
                assert_true(now - at <= 600);
                collected++;
        }
        assert_int_equal(collected, fresh);
        json_decref(all);

        /* one reason series, the empty one */
        all = prom_query_all(&S, "guestinfod_vm_guest_data_reason{name=\"" VM "\"}");
        assert_non_null(all);
        assert_int_equal(json_array_size(all), 1);
        series = json_array_get(all, 0);
        assert_true(value_of(series) == 1);
        assert_true(label(series, "reason") == NULL || strcmp(label(series, "reason"), "") == 0);
        json_decref(all);
        assert_true(prom_query_one(&S, "guestinfod_vm_guest_data_reason{name=\"" VM "\",reason=\"\"}", NULL) == 1);

        assert_true(prom_query_one(&S, "guestinfod_vm_fs_frozen{name=\"" VM "\"}", NULL) == 0);
}

/* Runs sh -c command in the guest (guest-exec) and waits for its end. */
static void guest_sh(const char *command) {
        char json[1024], *out = NULL;
        snprintf(json, sizeof json,
                 "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/bin/sh\",\"arg\":[\"-c\",\"%s\"]}}", command);
        char *const exec[] = { "virsh", "-q", "-c", H.uri, "qemu-agent-command", VM, json, NULL };
        assert_int_equal(harness_run(exec, T, &out), 0);
        json_t *j = json_loads(out, 0, NULL);
        free(out);
        json_int_t pid = json_integer_value(json_object_get(json_object_get(j, "return"), "pid"));
        json_decref(j);
        assert_true(pid > 0);
        for (int i = 0; i < 300; i++) {
                snprintf(json, sizeof json, "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":%lld}}",
                         (long long) pid);
                char *const status[] = { "virsh", "-q", "-c", H.uri, "qemu-agent-command", VM, json, NULL };
                assert_int_equal(harness_run(status, T, &out), 0);
                j = json_loads(out, 0, NULL);
                free(out);
                json_t *ret = json_object_get(j, "return");
                bool exited = json_is_true(json_object_get(ret, "exited"));
                json_int_t code = json_integer_value(json_object_get(ret, "exitcode"));
                json_decref(j);
                if (exited) {
                        assert_int_equal(code, 0);
                        return;
                }
                usleep(100 * 1000);
        }
        fail_msg("guest-exec '%s' did not end", command);
}

static bool not_negative(double v, void *userdata) {
        return v >= 0;
}

static bool below_5(double v, void *userdata) {
        return v < 5;
}

/* The real qemu-ga 7.2's counters through GetCounters, the textfile and
 * Prometheus: CPU seconds, receive bytes of lo or eth0 (pings on lo make
 * sure of some), vda's read bytes moving by what a read of the whole data
 * disk in the guest takes, and the guest's clock within 5 s of the host's. */
static void test_counters_in_prometheus(void **state) {
        double user = 0, rx = 0, read0 = 0, read1 = 0, offset = NAN;

        double took = prom_wait_until(&S, "guestinfod_vm_cpu_seconds_total{name=\"" VM "\",mode=\"user\"}", positive,
                                      NULL, 60, &user);
        printf("# guest CPU user seconds %.3f in Prometheus after %.2f s\n", user, took);
        assert_true(took >= 0);
        /* the family as a counter: rate() of it, as docs/metrics.md's query */
        double busy = prom_wait_until(
                &S, "sum by (name) (rate(guestinfod_vm_cpu_seconds_total{name=\"" VM "\",mode!=\"idle\"}[20s]))",
                not_negative, NULL, 30, NULL);
        assert_true(busy >= 0);

        guest_sh("ping -c 5 -i 0.2 127.0.0.1 > /dev/null");
        took = prom_wait_until(&S,
                               "max(guestinfod_vm_network_receive_bytes_total{name=\"" VM "\",interface=~\"lo|eth0\"})",
                               positive, NULL, 30, &rx);
        printf("# guest lo/eth0 receive bytes %.0f in Prometheus after %.2f s\n", rx, took);
        assert_true(took >= 0);

        took = prom_wait_until(&S, "guestinfod_vm_disk_read_bytes_total{name=\"" VM "\",disk=\"vda\"}", positive, NULL,
                               30, &read0);
        assert_true(took >= 0);
        /* the whole 16 MiB data disk, past the page cache */
        guest_sh("dd if=/dev/vda of=/dev/null bs=65536 iflag=direct 2> /dev/null");
        double want = read0 + 16 * 1048576.0;
        took = prom_wait_until(&S, "guestinfod_vm_disk_read_bytes_total{name=\"" VM "\",disk=\"vda\"}", at_least, &want,
                               30, &read1);
        printf("# vda read bytes %.0f -> %.0f in Prometheus, %.2f s after reading the disk\n", read0, read1, took);
        assert_true(took >= 0);
        assert_true(prom_query_one(&S, "guestinfod_vm_disk_reads_completed_total{name=\"" VM "\",disk=\"vda\"}", NULL) >
                    0);

        took = prom_wait_until(&S, "abs(guestinfod_vm_clock_offset_seconds{name=\"" VM "\"})", below_5, NULL, 30,
                               &offset);
        printf("# guest clock offset |%.6f| s in Prometheus after %.2f s\n", offset, took);
        assert_true(took >= 0);
        assert_true(prom_query_one(&S, "node_textfile_scrape_error", NULL) == 0);
}

static void test_a_change_in_the_guest(void **state) {
        char q[512], cmd[256], *mount = spec("$DATA_DISK_MOUNT");
        double used, total;
        CtlResult r;

        filesystemlist(mount, &used, &total);
        snprintf(cmd, sizeof cmd, "dd if=/dev/zero of=%s/fill bs=1048576 count=%d && sync", mount, FILL_MIB);
        guest_sh(cmd);
        /* collected now rather than at the next minute's filesystem round */
        assert_int_equal(ctl_run(&r, false, T, "--user", "refresh", VM, NULL), 0);
        ctl_result_free(&r);
        double published = harness_now();
        double want = used + FILL_MIB * 1048576.0 * 0.9, seen = 0;
        snprintf(q, sizeof q, "guestinfod_vm_filesystem_used_bytes{name=\"" VM "\",mount_point=\"%s\"}", mount);
        double after = prom_wait_until(&S, q, at_least, &want, 20, &seen);
        printf("# %d MiB written in the guest: used bytes %.0f -> %.0f in Prometheus %.2f s after refresh returned "
               "(interval %.1f s, scrape %.1f s)\n",
               FILL_MIB, used, seen, after, INTERVAL, SCRAPE);
        assert_true(after >= 0);
        assert_true(harness_now() - published <= INTERVAL + SCRAPE + 1.5);
        guest_sh("rm -f /data/fill && sync");
        free(mount);
}

static bool is_zero(double v, void *userdata) {
        return v == 0;
}

static void test_agent_down_and_back(void **state) {
        assert_int_equal(guest_kill_agent(&H, VM), 0);
        /* the file keeps the 0 at least an interval: a 0.5 s scrape sees it */
        double down = prom_wait_until(&S, "min_over_time(guestinfod_vm_agent_connected{name=\"" VM "\"}[20s])", is_zero,
                                      NULL, 20, NULL);
        printf("# agent killed: a 0 in Prometheus after %.2f s\n", down);
        assert_true(down >= 0);
        double back = prom_wait_value(&S, "guestinfod_vm_agent_connected{name=\"" VM "\"}", 1, 60);
        printf("# agent back: 1 in Prometheus after %.2f s more\n", back);
        assert_true(back >= 0);
}

/* What the hostile agents said keeps the text valid and bounded, and the
 * scrape whole. */
static void test_hostile_guests(void **state) {
        CtlResult r;
        char *complaints = NULL;

        assert_int_equal(ctl_run(&r, false, T, "--user", "metrics", NULL), 0);
        int check = prom_check_metrics(H.dir, r.out, &complaints);
        if (check != 0)
                fprintf(stderr, "promtool check metrics: exit %d\n%s\n", check, complaints);
        assert_int_equal(check, 0);
        assert_string_equal(complaints, "");
        free(complaints);
        /* every label value within the bound */
        for (const char *p = r.out; (p = strstr(p, "=\"")); p += 2) {
                size_t raw = 0;
                for (const char *q = p + 2; *q && *q != '"'; q += *q == '\\' ? 2 : 1)
                        raw++;
                assert_true(raw <= 256);
        }
        printf("# guestinfoctl metrics with the maxed and badutf8data agents: %zu bytes, %zu lines\n", strlen(r.out),
               ctl_count_lines(r.out));
        ctl_result_free(&r);

        assert_true(prom_wait_value(&S, "guestinfod_vm_guest_data_available{name=\"" MAXED_VM "\"}", 1, 30) >= 0);
        assert_true(prom_wait_value(&S, "guestinfod_vm_guest_data_available{name=\"" BADUTF8_VM "\"}", 1, 30) >= 0);
        assert_true(prom_query_one(&S, "node_textfile_scrape_error", NULL) == 0);
        /* the maxed guest reports lists past their count: capped, and said */
        double series = prom_query_one(&S, "count(guestinfod_vm_filesystem_used_bytes{name=\"" MAXED_VM "\"})", NULL);
        double dropped = prom_query_one(&S, "guestinfod_vm_filesystems_dropped{name=\"" MAXED_VM "\"}", NULL);
        printf("# %s: %.0f filesystem series, %.0f dropped\n", MAXED_VM, series, dropped);
        assert_true(isnan(series) || series <= 32);
        assert_true(dropped > 0);
        /* invalid bytes replaced, the valid start kept */
        json_t *m = NULL;
        assert_true(prom_query_one(&S, "guestinfod_vm_info{name=\"" BADUTF8_VM "\"}", &m) == 1);
        const char *os_name = json_string_value(json_object_get(m, "os_name"));
        assert_non_null(os_name);
        assert_int_equal(strncmp(os_name, "Hostile Agent", 13), 0);
        json_decref(m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_guest_data_in_prometheus), cmocka_unit_test(test_freshness_in_prometheus),
                cmocka_unit_test(test_a_change_in_the_guest),    cmocka_unit_test(test_counters_in_prometheus),
                cmocka_unit_test(test_agent_down_and_back),      cmocka_unit_test(test_hostile_guests),
        };
        return cmocka_run_group_tests_name("e2e: a real guest's metrics through node-exporter and Prometheus", tests,
                                           group_setup, group_teardown);
}
