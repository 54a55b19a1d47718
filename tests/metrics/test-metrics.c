/* guestinfoctl metrics, the real binary, with the real parts: its output
 * passes Prometheus's own checker (promtool check metrics) with a hostile
 * domain name and hostile guests; --textfile feeds a real node-exporter's
 * textfile collector, which a real Prometheus server scrapes, and PromQL
 * through Prometheus's HTTP API returns the guest's filesystem use and
 * agent state, and a change within the rewrite interval plus a scrape.
 * The daemon's own bus code serves the guest data (the test hypervisor has
 * no agent: tests/helpers/fake-daemon.c); everything listens on 127.0.0.1
 * only, keeps its files in the harness folder and is stopped by PID. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "bus-paths.h"
#include "ctl.h"
#include "fake-daemon.h"
#include "guest-counters.h"
#include "guest-kinds.h"
#include "guest-profiles.h"
#include "harness.h"
#include "kind-status.h"
#include "prom-stack.h"

#define T 30
#define INTERVAL "1" /* --interval of the tests, seconds */
#define SCRAPE "1s"
#define UUID_EVIL "c0000000-0000-4000-8000-0000000000e1"
#define UUID_MAXED "c0000000-0000-4000-8000-0000000000e2"
#define UUID_WEB "c0000000-0000-4000-8000-0000000000e3"
#define UUID_OFF "c0000000-0000-4000-8000-0000000000e4"
#define TEST_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f" /* the "test" domain of test:///default */
#define EVIL_NAME "ev\"il\\vm\nname"
#define GIB (1024ULL * 1024 * 1024)
#define METRICS_CAP 16 /* NICs and disks with series per VM (cli/metrics.h) */

/* What a guest may say to break the text: quotes, backslashes, newlines,
 * text that looks like series, invalid UTF-8, and one filesystem twice. */
static const char *const evil_guest[] = {
        "os.id=a\\b\"c",
        "os.name=Evil\"} 1\nguestinfod_up 0\n# TYPE x counter",
        "os.pretty-name=\xff\xfe broken \xc3",
        "os.kernel-release=6.1\\n",
        "hostname=h\n\n",
        "user.count=1",
        "user.0.name=root\"",
        "fs.count=3",
        "fs.0.name=vd\"a1",
        "fs.0.mountpoint=/mnt/\"quoted\"\\back\nnewline",
        "fs.0.fstype=ext4\n",
        "fs.1.name=vd\"a1",
        "fs.1.mountpoint=/mnt/\"quoted\"\\back\nnewline",
        "fs.1.fstype=ext4\n",
        "fs.2.name=sr0",
        "fs.2.mountpoint=/media/\xe2\x82",
        "fs.2.fstype=iso9660",
        "guest-info={\"return\":{\"version\":\"7.2.0\\\"\\n\",\"supported_commands\":[]}}",
        NULL,
};

static const char *const web_guest[] = {
        "os.id=debian",
        "os.name=Debian GNU/Linux",
        "os.version-id=12",
        "user.count=2",
        "user.0.name=root",
        "user.1.name=alice",
        "fs.count=1",
        "fs.0.name=vda1",
        "fs.0.mountpoint=/",
        "fs.0.fstype=ext4",
        "fsfreeze=thawed",
        "guest-info={\"return\":{\"version\":\"7.2.0\",\"supported_commands\":[]}}",
        NULL,
};

static Harness H;
static Manager *M;
static FakeDaemon F;
static bool serving;

static void set_bytes(const char *uuid, size_t i, uint64_t used, uint64_t total) {
        Domain *d = manager_get_domain(M, uuid);
        assert_non_null(d);
        assert_non_null(d->guest);
        assert_true(i < d->guest->n_filesystems);
        d->guest->filesystems[i].used_bytes = used;
        d->guest->filesystems[i].total_bytes = total;
        d->guest->filesystems[i].has_bytes = true;
}

/* The counters as the daemon keeps its latest reads: NIC or disk i's
 * counter k is base + 1000 i + k, the CPUs' (base + k) s and a half in the
 * agent's milliseconds. */
static GuestCounters *make_counters(const char *const *nics, size_t n_nics, const char *const *disks, size_t n_disks,
                                    uint64_t base) {
        GuestCounters *c = calloc(1, sizeof *c);
        assert_non_null(c);
        c->nics.items = calloc(n_nics + 1, sizeof *c->nics.items);
        c->disks.items = calloc(n_disks + 1, sizeof *c->disks.items);
        assert_non_null(c->nics.items);
        assert_non_null(c->disks.items);
        for (size_t i = 0; i < n_nics; i++) {
                GuestCounterEntry *e = &c->nics.items[i];
                assert_non_null(e->name = strdup(nics[i]));
                for (int k = 0; k < _NIC_COUNTER_MAX; k++)
                        e->v[k] = base + 1000 * i + (uint64_t) k;
                e->has = (1u << _NIC_COUNTER_MAX) - 1;
        }
        c->nics.n_items = c->nics.n_reported = n_nics;
        for (size_t i = 0; i < n_disks; i++) {
                GuestCounterEntry *e = &c->disks.items[i];
                assert_non_null(e->name = strdup(disks[i]));
                for (int k = 0; k < _DISK_COUNTER_MAX; k++)
                        e->v[k] = base + 1000 * i + (uint64_t) k;
                e->has = (1u << _DISK_COUNTER_MAX) - 1;
        }
        c->disks.n_items = c->disks.n_reported = n_disks;
        for (int k = 0; k < _CPU_COUNTER_MAX; k++)
                c->cpu.v[k] = (base + (uint64_t) k) * 1000 + 500;
        c->cpu.has = (1u << _CPU_COUNTER_MAX) - 1;
        c->cpu.n_cpus = 2;
        return c;
}

static void set_counters(Manager *m, const char *uuid, GuestCounters *c) {
        Domain *d = manager_get_domain(m, uuid);
        assert_non_null(d);
        assert_non_null(d->guest);
        guest_counters_free(d->guest->counters);
        d->guest->counters = c;
}

#define HOSTILE_NIC "eth\"0\"} 1\nguestinfod_up 0\n# TYPE y counter"
#define HOSTILE_NIC_LABEL "eth\\\"0\\\"} 1\\nguestinfod_up 0\\n# TYPE y counter"
#define EVIL_NICS 20           /* past the cap of 16 */
#define EVIL_NICS_REPORTED 300 /* the guest listed more than the daemon's 256 */

/* web: a guest's usual NICs and disk; evil: hostile names, one twice, more
 * than the cap. */
static void set_fleet_counters(void) {
        static const char *const web_nics[] = { "lo", "eth0" }, *const web_disks[] = { "vda" };
        const char *evil_nics[EVIL_NICS], *const evil_disks[] = { "vd\"a\n\\" };
        char names[EVIL_NICS][16];

        evil_nics[0] = HOSTILE_NIC;
        evil_nics[1] = HOSTILE_NIC;
        for (int i = 2; i < EVIL_NICS; i++) {
                snprintf(names[i], sizeof names[i], "n%d", i);
                evil_nics[i] = names[i];
        }
        set_counters(M, UUID_WEB, make_counters(web_nics, 2, web_disks, 1, 5000));
        GuestCounters *evil = make_counters(evil_nics, EVIL_NICS, evil_disks, 1, 7);
        evil->nics.n_reported = EVIL_NICS_REPORTED;
        set_counters(M, UUID_EVIL, evil);
        manager_get_domain(M, UUID_WEB)->guest->clock_offset_usec = -250000;
}

static size_t occurrences(const char *text, const char *needle) {
        size_t n = 0;
        for (const char *p = text; (p = strstr(p, needle)); p++)
                n++;
        return n;
}

static void serve(void) {
        assert_int_equal(fake_daemon_start(&F, M, false), 0);
        serving = true;
}

static void stop_serving(void) {
        if (serving)
                fake_daemon_stop(&F);
        serving = false;
}

static int group_setup(void **state) {
        const FakeVm vms[] = {
                { EVIL_NAME, UUID_EVIL, DOMAIN_STATE_RUNNING, true, NULL, evil_guest, 0 },
                /* an agent without the counter commands: no GetCounters */
                { "maxed", UUID_MAXED, DOMAIN_STATE_RUNNING, true, NULL, guest_profile_maxed(), GUEST_KIND_COUNTERS },
                { "web", UUID_WEB, DOMAIN_STATE_RUNNING, true, NULL, web_guest, 0 },
                { "off", UUID_OFF, DOMAIN_STATE_SHUTOFF, false, NULL, NULL, 0 },
        };
        assert_int_equal(harness_setup(&H), 0);
        assert_int_equal(fake_model_new(vms, ELEMENTSOF(vms), &M), 0);
        set_bytes(UUID_WEB, 0, 3 * GIB, 10 * GIB);
        set_bytes(UUID_EVIL, 0, 1, 2);
        set_fleet_counters();
        return 0;
}

static int group_teardown(void **state) {
        ctl_stop_all();
        stop_serving();
        manager_free(M);
        harness_cleanup(&H);
        return 0;
}

static PromStack stack;

/* ---- one-shot output ---- */

static void test_output_passes_promtool(void **state) {
        CtlResult r;
        serve();
        unsigned counters_before = atomic_load(&F.get_counters_calls);
        int status = ctl_run(&r, false, T, "--user", "metrics", NULL);
        unsigned counters_calls = atomic_load(&F.get_counters_calls) - counters_before;
        stop_serving();
        if (status != 0)
                fprintf(stderr, "guestinfoctl metrics: exit %d\n%s\n", status, r.err);
        assert_int_equal(status, 0);

        char *complaints = NULL;
        int check = prom_check_metrics(H.dir, r.out, &complaints);
        if (check != 0)
                fprintf(stderr, "promtool check metrics: exit %d\n%s\n--- the text:\n%s\n", check, complaints, r.out);
        assert_int_equal(check, 0);
        /* promtool's linter says nothing either: names, units, HELP */
        assert_string_equal(complaints, "");
        free(complaints);

        /* the hostile name as one escaped label value, not lines of its own */
        assert_non_null(strstr(r.out, "guestinfod_vm_agent_connected{name=\"ev\\\"il\\\\vm\\nname\",uuid=\"" UUID_EVIL
                                      "\"} 1\n"));
        assert_null(strstr(r.out, "\nguestinfod_up 0"));
        assert_null(strstr(r.out, "\n# TYPE x"));
        /* one filesystem reported twice: one series; one without sizes: none
         * (not a capacity of 0); both said */
        assert_non_null(strstr(
                r.out, "guestinfod_vm_filesystems_dropped{name=\"ev\\\"il\\\\vm\\nname\",uuid=\"" UUID_EVIL "\"} 2\n"));
        assert_null(strstr(r.out, "disk_name=\"sr0\""));
        assert_non_null(strstr(r.out, "guestinfod_vm_filesystem_used_bytes{name=\"web\",uuid=\"" UUID_WEB
                                      "\",disk_name=\"vda1\",mount_point=\"/\",fs_type=\"ext4\"} 3221225472\n"));
        /* how fresh each kind is, from the daemon's own GuestDataStatus */
        assert_non_null(strstr(r.out, "\nguestinfod_vm_guest_data_state{name=\"web\",uuid=\"" UUID_WEB
                                      "\",kind=\"filesystems\",state=\"fresh\"} 1\n"));
        assert_non_null(strstr(r.out,
                               "\nguestinfod_vm_guest_data_collected_timestamp_seconds{name=\"web\",uuid=\"" UUID_WEB
                               "\",kind=\"filesystems\"} "));
        assert_non_null(
                strstr(r.out, "\nguestinfod_vm_guest_data_reason{name=\"web\",uuid=\"" UUID_WEB "\",reason=\"\"} 1\n"));
        assert_non_null(strstr(r.out, "\nguestinfod_vm_guest_data_reason{name=\"off\",uuid=\"" UUID_OFF
                                      "\",reason=\"not-running\"} 1\n"));
        assert_non_null(strstr(r.out, "\nguestinfod_vm_fs_frozen{name=\"web\",uuid=\"" UUID_WEB "\"} 0\n"));
        assert_null(strstr(r.out, "guestinfod_vm_fs_frozen{name=\"off\""));
        /* the stopped VM was never collected: no timestamps */
        assert_null(strstr(r.out, "guestinfod_vm_guest_data_collected_timestamp_seconds{name=\"off\""));
        /* the maxed guest: every label value within the bound */
        for (const char *p = r.out; (p = strstr(p, "=\"")); p += 2) {
                const char *q = p + 2;
                size_t raw = 0;
                while (*q && *q != '"') {
                        q += *q == '\\' ? 2 : 1;
                        raw++;
                }
                assert_true(raw <= 256);
        }
        /* the counters: GetCounters of the two VMs whose counters were
         * collected, not of the agent without the commands nor the VM off */
        if (counters_calls != 2)
                fprintf(stderr, "GetCounters calls: %u\n%s\n", counters_calls, r.out);
        assert_int_equal(counters_calls, 2);
        assert_non_null(strstr(r.out, "\nguestinfod_vm_cpu_seconds_total{name=\"web\",uuid=\"" UUID_WEB
                                      "\",mode=\"user\"} 5000.5\n"));
        assert_non_null(strstr(r.out, "\nguestinfod_vm_cpu_seconds_total{name=\"web\",uuid=\"" UUID_WEB
                                      "\",mode=\"guestnice\"} 5009.5\n"));
        assert_non_null(strstr(r.out, "\nguestinfod_vm_network_receive_bytes_total{name=\"web\",uuid=\"" UUID_WEB
                                      "\",interface=\"eth0\"} 6000\n"));
        assert_non_null(strstr(r.out, "\nguestinfod_vm_network_transmit_drop_total{name=\"web\",uuid=\"" UUID_WEB
                                      "\",interface=\"lo\"} 5007\n"));
        /* read-sectors (counter 2) of 512 bytes; total-ticks (9) in ms */
        assert_non_null(strstr(r.out, "\nguestinfod_vm_disk_read_bytes_total{name=\"web\",uuid=\"" UUID_WEB
                                      "\",disk=\"vda\"} 2561024\n"));
        assert_non_null(strstr(r.out, "\nguestinfod_vm_disk_io_time_seconds_total{name=\"web\",uuid=\"" UUID_WEB
                                      "\",disk=\"vda\"} 5.009\n"));
        assert_non_null(
                strstr(r.out, "\nguestinfod_vm_clock_offset_seconds{name=\"web\",uuid=\"" UUID_WEB "\"} -0.25\n"));
        assert_null(strstr(r.out, "guestinfod_vm_cpu_seconds_total{name=\"maxed\""));
        assert_null(strstr(r.out, "guestinfod_vm_network_counters_dropped{name=\"maxed\""));
        /* the hostile NIC: one escaped label value, once; the cap said */
        assert_int_equal(occurrences(r.out, "interface=\"" HOSTILE_NIC_LABEL "\"} 7\n"), 1);
        assert_int_equal(occurrences(r.out, "\nguestinfod_vm_network_receive_bytes_total{name=\"ev"), METRICS_CAP);
        assert_non_null(strstr(
                r.out, "\nguestinfod_vm_network_counters_dropped{name=\"ev\\\"il\\\\vm\\nname\",uuid=\"" UUID_EVIL
                       "\"} 284\n"));
        assert_non_null(strstr(r.out, "disk=\"vd\\\"a\\n\\\\\"} 7\n"));
        assert_null(strstr(r.out, "\n# TYPE y"));
        /* and a daemon's worth of lines, not a guest's: 82 lines of family
         * heads, 128 for the hostile guest's 16 NICs with series in 8
         * families, a few dozen per VM besides (420 as written) */
        assert_true(ctl_count_lines(r.out) < 450);
        ctl_result_free(&r);
}

/* A fleet too big for one GetManagedObjects (the daemon answers
 * LimitsExceeded): the same text, from ListDomains and a GetAll per VM. */
static void test_too_big_for_one_message(void **state) {
        CtlResult whole, each;

        serve();
        assert_int_equal(ctl_run(&whole, false, T, "--user", "metrics", NULL), 0);
        atomic_store(&F.refuse, FAKE_REFUSE_GET_MANAGED_OBJECTS);
        unsigned before = atomic_load(&F.get_all_calls);
        int status = ctl_run(&each, false, T, "--user", "metrics", NULL);
        unsigned get_all = atomic_load(&F.get_all_calls) - before;

        /* the same for --textfile, which runs the bus while it reads */
        char dir[512], path[1024];
        CtlProcess p;
        snprintf(dir, sizeof dir, "%s/textfile-each", H.dir);
        assert_int_equal(mkdir(dir, 0755), 0);
        snprintf(path, sizeof path, "%s/guestinfod.prom", dir);
        assert_int_equal(ctl_start(&p, "--user", "metrics", "--textfile", dir, NULL), 0);
        char *text = NULL;
        for (int i = 0; i < 100 && !text; i++) {
                FILE *f = fopen(path, "r");
                if (f) {
                        size_t len = 0;
                        text = calloc(1, 1 << 20);
                        assert_non_null(text);
                        len = fread(text, 1, (1 << 20) - 1, f);
                        text[len] = '\0';
                        fclose(f);
                } else
                        usleep(100 * 1000);
        }
        assert_int_equal(ctl_stop(&p, SIGTERM), 0);
        stop_serving();
        assert_non_null(text);
        assert_string_equal(text, whole.out);
        free(text);
        if (status != 0)
                fprintf(stderr, "guestinfoctl metrics: exit %d\n%s\n", status, each.err);
        assert_int_equal(status, 0);
        assert_string_equal(each.err, "");
        assert_string_equal(each.out, whole.out);
        /* the Manager's, then one per VM */
        assert_int_equal(get_all, 1 + 4);
        ctl_result_free(&whole);
        ctl_result_free(&each);
}

static void test_daemon_away(void **state) {
        CtlResult r;
        int status = ctl_run(&r, false, T, "--user", "metrics", NULL);
        assert_int_equal(status, 4);
        assert_string_equal(r.out, "");
        assert_non_null(strstr(r.err, "guestinfoctl: "));
        ctl_result_free(&r);
}

static void test_usage_errors(void **state) {
        CtlResult r;
        assert_int_equal(ctl_run(&r, false, T, "--user", "list", "--textfile", H.dir, NULL), 2);
        assert_non_null(strstr(r.err, "--textfile is for 'metrics' only"));
        ctl_result_free(&r);
        assert_int_equal(ctl_run(&r, false, T, "--user", "metrics", "--interval", "2", NULL), 2);
        assert_non_null(strstr(r.err, "--interval is for 'metrics --textfile DIR' only"));
        ctl_result_free(&r);
        assert_int_equal(ctl_run(&r, false, T, "--user", "metrics", "--textfile", H.dir, "--interval", "0", NULL), 2);
        assert_non_null(strstr(r.err, "--interval needs seconds"));
        ctl_result_free(&r);
        assert_int_equal(ctl_run(&r, false, T, "--user", "metrics", "--textfile", "/nonexistent/dir", NULL), 2);
        assert_non_null(strstr(r.err, "Cannot use '/nonexistent/dir' for --textfile"));
        ctl_result_free(&r);
        assert_int_equal(ctl_run(&r, false, T, "metrics", "--help", NULL), 0);
        assert_non_null(strstr(r.out, "--textfile"));
        assert_non_null(strstr(r.out, "node-exporter"));
        ctl_result_free(&r);
}

/* ---- --textfile, node-exporter, Prometheus ---- */

static void test_textfile_through_prometheus(void **state) {
        PromStack *s = &stack;
        CtlProcess p;
        char path[1024];
        struct stat st;

        serve();
        assert_int_equal(prom_stack_start(s, H.dir, SCRAPE, T), 0);
        assert_int_equal(ctl_start(&p, "--user", "metrics", "--textfile", s->textdir, "--interval", INTERVAL, NULL), 0);
        snprintf(path, sizeof path, "%s/guestinfod.prom", s->textdir);
        for (int i = 0; i < 100 && stat(path, &st) < 0; i++)
                usleep(100 * 1000);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0644);

        /* the guest's filesystem use and agent state, through PromQL */
        assert_true(prom_wait_value(s, "guestinfod_vm_filesystem_used_bytes{name=\"web\",mount_point=\"/\"}", 3.0 * GIB,
                                    20) >= 0);
        assert_true(prom_query_one(s, "guestinfod_vm_filesystem_capacity_bytes{name=\"web\",mount_point=\"/\"}",
                                   NULL) == 10.0 * GIB);
        assert_true(prom_query_one(s, "guestinfod_vm_agent_connected{name=\"web\"}", NULL) == 1);
        assert_true(prom_query_one(s, "guestinfod_vm_agent_connected{name=\"off\"}", NULL) == 0);
        assert_true(prom_query_one(s, "guestinfod_vm_users{name=\"web\"}", NULL) == 2);
        /* the hostile guest made it whole: its name comes back as it is */
        json_t *metric = NULL;
        assert_true(prom_query_one(s, "guestinfod_vm_agent_connected{uuid=\"" UUID_EVIL "\"}", &metric) == 1);
        assert_string_equal(json_string_value(json_object_get(metric, "name")), EVIL_NAME);
        json_decref(metric);
        metric = NULL;
        assert_true(prom_query_one(s, "guestinfod_vm_info{uuid=\"" UUID_EVIL "\"}", &metric) == 1);
        assert_string_equal(json_string_value(json_object_get(metric, "os_name")),
                            "Evil\"} 1\nguestinfod_up 0\n# TYPE x counter");
        json_decref(metric);
        assert_true(prom_query_one(s, "guestinfod_up", NULL) == 1);
        /* the guest's counters, and the hostile NIC's name as it is */
        assert_true(prom_query_one(s, "guestinfod_vm_cpu_seconds_total{name=\"web\",mode=\"user\"}", NULL) == 5000.5);
        assert_true(prom_query_one(s, "guestinfod_vm_network_receive_bytes_total{name=\"web\",interface=\"eth0\"}",
                                   NULL) == 6000);
        assert_true(prom_query_one(s, "guestinfod_vm_disk_read_bytes_total{name=\"web\",disk=\"vda\"}", NULL) ==
                    2561024);
        assert_true(prom_query_one(s, "guestinfod_vm_clock_offset_seconds{name=\"web\"}", NULL) == -0.25);
        metric = NULL;
        assert_true(prom_query_one(s,
                                   "guestinfod_vm_network_receive_bytes_total{uuid=\"" UUID_EVIL
                                   "\",interface!~\"n[0-9]+\"}",
                                   &metric) == 7);
        assert_string_equal(json_string_value(json_object_get(metric, "interface")), HOSTILE_NIC);
        json_decref(metric);
        /* when the guest's filesystems were collected: the fake model's
         * collection ran at setup, seconds ago */
        double collected = prom_query_one(
                s, "guestinfod_vm_guest_data_collected_timestamp_seconds{name=\"web\",kind=\"filesystems\"}", NULL);
        double now = (double) time(NULL);
        fprintf(stderr, "web's filesystems collected %.1f s before the query\n", now - collected);
        assert_true(collected > now - 120 && collected <= now + 1);
        assert_true(prom_query_one(s, "guestinfod_vm_guest_data_reason{name=\"off\",reason=\"not-running\"}", NULL) ==
                    1);
        /* node-exporter read the file without complaint */
        assert_true(prom_query_one(s, "node_textfile_scrape_error", NULL) == 0);

        /* nothing changes: no rewrite (same inode) over a few intervals */
        struct stat before, after;
        assert_int_equal(stat(path, &before), 0);
        sleep(3);
        assert_int_equal(stat(path, &after), 0);
        assert_int_equal(before.st_ino, after.st_ino);

        /* a change in the guest: the daemon goes, the file says so, it comes
         * back with new data, Prometheus has it within an interval and a
         * scrape (and what a query takes) */
        stop_serving();
        double gone = prom_wait_value(s, "guestinfod_up", 0, 10);
        fprintf(stderr, "daemon gone: in Prometheus after %.2f s\n", gone);
        assert_true(gone >= 0);
        set_bytes(UUID_WEB, 0, 5 * GIB, 10 * GIB);
        serve();
        double seen = prom_wait_value(s, "guestinfod_vm_filesystem_used_bytes{name=\"web\",mount_point=\"/\"}",
                                      5.0 * GIB, 10);
        fprintf(stderr, "new used bytes: in Prometheus after %.2f s (interval " INTERVAL " s, scrape " SCRAPE ")\n",
                seen);
        assert_true(seen >= 0);
        assert_true(seen <= 1.0 + 1.0 + 1.5);

        int status = ctl_stop(&p, SIGTERM);
        assert_int_equal(status, 0);
        stop_serving();
        prom_stack_stop(s);
        /* no temporary file left behind */
        char cmd[1024], *out = NULL;
        snprintf(cmd, sizeof cmd, "ls -A %s", s->textdir);
        char *const ls[] = { "sh", "-c", cmd, NULL };
        assert_int_equal(harness_run(ls, T, &out), 0);
        assert_string_equal(out, "guestinfod.prom\n");
        free(out);
}

static bool file_contains(const char *path, const char *needle) {
        char buf[65536];
        FILE *f = fopen(path, "r");
        if (!f)
                return false;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        return strstr(buf, needle) != NULL;
}

/* The real daemon on the test hypervisor: its PropertiesChanged make the
 * rewrites, never more than one per interval, however many come. */
static void test_textfile_follows_the_real_daemon(void **state) {
        char dir[512], path[600];
        CtlProcess p;
        struct stat st;

        assert_int_equal(harness_start_libvirtd(&H, "test"), 0);
        assert_int_equal(harness_start_daemon(&H, H.uri, 30, NULL), 0);
        snprintf(dir, sizeof dir, "%s/textfile-real", H.dir);
        assert_int_equal(mkdir(dir, 0755), 0);
        snprintf(path, sizeof path, "%s/guestinfod.prom", dir);
        assert_int_equal(ctl_start(&p, "--user", "metrics", "--textfile", dir, "--interval", INTERVAL, NULL), 0);
        for (int i = 0; i < 100 && !file_contains(path, "guestinfod_vm_running{name=\"test\""); i++)
                usleep(100 * 1000);
        assert_true(file_contains(path, "guestinfod_vm_running{name=\"test\",uuid=\"" TEST_UUID "\"} 1\n"));
        assert_true(file_contains(path, "guestinfod_libvirt_connected 1\n"));
        /* the test driver's domain has no agent channel: the daemon says so */
        assert_true(file_contains(path, "guestinfod_vm_guest_data_reason{name=\"test\",uuid=\"" TEST_UUID
                                        "\",reason=\"no-agent-channel\"} 1\n"));
        assert_false(file_contains(path, "guestinfod_vm_guest_data_collected_timestamp_seconds{name=\"test\""));

        /* six changes in a row, then quiet: each rewrite an interval or more
         * after the one before, the last one with the last state */
        assert_int_equal(stat(path, &st), 0);
        ino_t ino = st.st_ino;
        double start = harness_now(), writes[64];
        size_t n = 0;
        for (int i = 0; i < 6; i++)
                assert_int_equal(harness_virsh(&H, i % 2 ? "resume test" : "suspend test"), 0);
        assert_int_equal(harness_virsh(&H, "suspend test"), 0);
        while (harness_now() < start + 6 && n < ELEMENTSOF(writes)) {
                if (stat(path, &st) == 0 && st.st_ino != ino) {
                        ino = st.st_ino;
                        writes[n++] = harness_now();
                }
                usleep(20 * 1000);
        }
        fprintf(stderr, "rewrites after 7 changes:");
        for (size_t i = 0; i < n; i++)
                fprintf(stderr, " %.2f s", writes[i] - start);
        fprintf(stderr, "\n");
        assert_true(n >= 1);
        assert_true(n <= 4);
        for (size_t i = 1; i < n; i++)
                assert_true(writes[i] - writes[i - 1] >= 0.95);
        assert_true(file_contains(path, "guestinfod_vm_running{name=\"test\",uuid=\"" TEST_UUID "\"} 0\n"));

        /* the daemon stops: the file says so */
        assert_int_equal(harness_stop_daemon(&H), 0);
        for (int i = 0; i < 50 && !file_contains(path, "guestinfod_up 0\n"); i++)
                usleep(100 * 1000);
        assert_true(file_contains(path, "guestinfod_up 0\n"));
        assert_int_equal(ctl_stop(&p, SIGTERM), 0);
        assert_int_equal(harness_stop_libvirtd(&H), 0);
}

/* ---- --textfile rewrites only what changed ---- */

#define UUID_A "c0000000-0000-4000-8000-0000000000a1"
#define UUID_B "c0000000-0000-4000-8000-0000000000b1"
#define UUID_C "c0000000-0000-4000-8000-0000000000c1"

static Manager *small_model;
static FakeDaemon small;

static char *read_text(const char *path) {
        FILE *f = fopen(path, "r");
        if (!f)
                return NULL;
        char *text = calloc(1, 1 << 20);
        assert_non_null(text);
        size_t n = fread(text, 1, (1 << 20) - 1, f);
        text[n] = '\0';
        fclose(f);
        return text;
}

/* The lines of text that do not contain needle, in their order. */
static char *lines_without(const char *text, const char *needle) {
        char *out = calloc(1, strlen(text) + 1), *o = out;
        assert_non_null(out);
        for (const char *p = text; *p;) {
                const char *end = strchr(p, '\n');
                size_t n = end ? (size_t) (end - p) + 1 : strlen(p);
                char *line = strndup(p, n);
                if (!strstr(line, needle))
                        o = stpcpy(o, line);
                free(line);
                p += n;
        }
        return out;
}

/* Waits for the file to be replaced (a new inode) and returns the new text. */
static char *next_text(const char *path, ino_t *ino) {
        struct stat st;
        for (int i = 0; i < 100; i++) {
                if (stat(path, &st) == 0 && st.st_ino != *ino) {
                        *ino = st.st_ino;
                        return read_text(path);
                }
                usleep(50 * 1000);
        }
        fail_msg("%s was not rewritten", path);
        return NULL;
}

static void assert_promtool_passes(const char *text) {
        char *complaints = NULL;
        int check = prom_check_metrics(H.dir, text, &complaints);
        if (check != 0 || strcmp(complaints, "") != 0)
                fprintf(stderr, "promtool check metrics: exit %d\n%s\n--- the text:\n%s\n", check, complaints, text);
        assert_int_equal(check, 0);
        assert_string_equal(complaints, "");
        free(complaints);
}

/* In the serving thread: VM b's root filesystem fills, the daemon says so. */
static int fill_b(FakeDaemon *f, void *userdata) {
        Domain *d = manager_get_domain(small_model, UUID_B);
        if (!d || !d->guest || d->guest->n_filesystems == 0)
                return -ENOENT;
        d->guest->filesystems[0].used_bytes = 7 * GIB;
        int r = bus_domain_emit_changes(f->domains, d, DOMAIN_PROPERTY_FILESYSTEMS);
        return r < 0 ? r : 0;
}

/* In the serving thread: b's counter kinds read again, as the daemon's
 * scheduler takes them: new values, new times, GuestDataStatus signalled. */
static int count_b(FakeDaemon *f, void *userdata) {
        static const char *const nics[] = { "eth0" }, *const disks[] = { "vda" };
        static const unsigned kinds[] = { GUEST_KIND_NIC_COUNTERS, GUEST_KIND_CPU_COUNTERS, GUEST_KIND_DISK_COUNTERS };
        Domain *d = manager_get_domain(small_model, UUID_B);
        struct timespec ts;

        if (!d || !d->guest)
                return -ENOENT;
        guest_counters_free(d->guest->counters);
        d->guest->counters = make_counters(nics, 1, disks, 1, 900);
        clock_gettime(CLOCK_REALTIME, &ts);
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
                int r = kind_status_set(&d->status[guest_kind_index(kinds[i])], KIND_STATE_FRESH,
                                        (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000 + 1, NULL);
                if (r < 0)
                        return r;
        }
        int r = bus_domain_emit_changes(f->domains, d, DOMAIN_PROPERTY_GUEST_DATA_STATUS);
        return r < 0 ? r : 0;
}

/* In the serving thread: a VM is undefined; the daemon tells it
 * (InterfacesRemoved) if tell, else only the new
 * DomainCount goes out, as if the client had missed InterfacesRemoved. */
static int remove_vm(const char *uuid, bool tell) {
        char *path = NULL;
        Domain *d = manager_get_domain(small_model, uuid);
        if (!d || domain_object_path(uuid, &path) < 0)
                return -ENOENT;
        hashmap_remove(small_model->domains, uuid);
        domain_free(d);
        int r = 0;
        if (tell)
                r = sd_bus_emit_interfaces_removed(small.bus, path, DOMAIN_INTERFACE, NETWORK_INTERFACE, OS_INTERFACE,
                                                   USERS_INTERFACE, FILESYSTEMS_INTERFACE, NULL);
        if (r >= 0)
                r = sd_bus_emit_properties_changed(small.bus, MANAGER_PATH, MANAGER_INTERFACE, "DomainCount", NULL);
        free(path);
        return r < 0 ? r : 0;
}

static int remove_c(FakeDaemon *f, void *userdata) {
        return remove_vm(UUID_C, true);
}

static int remove_a_quietly(FakeDaemon *f, void *userdata) {
        return remove_vm(UUID_A, false);
}

/* After one VM changes, the next rewrite asks for that VM only (one GetAll
 * besides the Manager's, no GetManagedObjects), and the file differs in
 * that VM's changed series only; a VM removed disappears with the rest
 * untouched but the domain count; every text passes promtool. */
static void test_textfile_rewrites_only_what_changed(void **state) {
        const FakeVm vms[] = {
                { "a", UUID_A, DOMAIN_STATE_RUNNING, true, NULL, web_guest, 0 },
                { "b", UUID_B, DOMAIN_STATE_RUNNING, true, NULL, web_guest, 0 },
                { "c", UUID_C, DOMAIN_STATE_RUNNING, true, NULL, web_guest, 0 },
        };
        char dir[512], path[600];
        struct stat st;
        CtlProcess p;

        assert_int_equal(fake_model_new(vms, ELEMENTSOF(vms), &small_model), 0);
        for (size_t i = 0; i < ELEMENTSOF(vms); i++) {
                Domain *d = manager_get_domain(small_model, vms[i].uuid);
                d->guest->filesystems[0].used_bytes = 3 * GIB;
                d->guest->filesystems[0].total_bytes = 10 * GIB;
                d->guest->filesystems[0].has_bytes = true;
                static const char *const nics[] = { "eth0" }, *const disks[] = { "vda" };
                set_counters(small_model, vms[i].uuid, make_counters(nics, 1, disks, 1, 100));
        }
        assert_int_equal(fake_daemon_start(&small, small_model, false), 0);
        snprintf(dir, sizeof dir, "%s/textfile-changes", H.dir);
        assert_int_equal(mkdir(dir, 0755), 0);
        snprintf(path, sizeof path, "%s/guestinfod.prom", dir);
        assert_int_equal(ctl_start(&p, "--user", "metrics", "--textfile", dir, "--interval", "0.2", NULL), 0);
        for (int i = 0; i < 100 && stat(path, &st) < 0; i++)
                usleep(50 * 1000);
        assert_int_equal(stat(path, &st), 0);
        ino_t ino = st.st_ino;
        char *before = read_text(path);
        assert_non_null(before);
        assert_promtool_passes(before);
        assert_non_null(strstr(before, "guestinfod_domains 3\n"));

        /* one VM changes */
        unsigned get_all = atomic_load(&small.get_all_calls), tree = atomic_load(&small.get_managed_objects_calls),
                 list = atomic_load(&small.list_domains_calls);
        assert_int_equal(fake_daemon_call(&small, fill_b, NULL), 0);
        char *after = next_text(path, &ino);
        assert_promtool_passes(after);
        /* asked: the Manager's properties and b's, nothing else */
        assert_int_equal(atomic_load(&small.get_all_calls) - get_all, 2);
        assert_int_equal(atomic_load(&small.get_managed_objects_calls), tree);
        assert_int_equal(atomic_load(&small.list_domains_calls), list);
        /* the rest byte for byte, b's used bytes the new figure */
        char *rest_before = lines_without(before, "uuid=\"" UUID_B "\""),
             *rest_after = lines_without(after, "uuid=\"" UUID_B "\"");
        assert_string_equal(rest_after, rest_before);
        free(rest_before), free(rest_after);
        const char *used_b = "guestinfod_vm_filesystem_used_bytes{name=\"b\",uuid=\"" UUID_B
                             "\",disk_name=\"vda1\",mount_point=\"/\",fs_type=\"ext4\"} ";
        assert_non_null(strstr(before, used_b));
        rest_before = lines_without(before, used_b), rest_after = lines_without(after, used_b);
        assert_string_equal(rest_after, rest_before);
        free(rest_before), free(rest_after);
        char line[512];
        snprintf(line, sizeof line, "\n%s%llu\n", used_b, 7 * GIB);
        assert_non_null(strstr(after, line));
        /* the same as a one-shot read of everything */
        CtlResult whole;
        assert_int_equal(ctl_run(&whole, false, T, "--user", "metrics", NULL), 0);
        assert_string_equal(after, whole.out);
        ctl_result_free(&whole);

        /* b's counters read again: GuestDataStatus moves, the rewrite asks
         * b's properties and b's counters only, b's lines change */
        get_all = atomic_load(&small.get_all_calls);
        tree = atomic_load(&small.get_managed_objects_calls);
        unsigned counters = atomic_load(&small.get_counters_calls);
        assert_int_equal(fake_daemon_call(&small, count_b, NULL), 0);
        char *counted = next_text(path, &ino);
        assert_promtool_passes(counted);
        assert_int_equal(atomic_load(&small.get_all_calls) - get_all, 2);
        assert_int_equal(atomic_load(&small.get_counters_calls) - counters, 1);
        assert_int_equal(atomic_load(&small.get_managed_objects_calls), tree);
        rest_before = lines_without(after, "uuid=\"" UUID_B "\"");
        rest_after = lines_without(counted, "uuid=\"" UUID_B "\"");
        assert_string_equal(rest_after, rest_before);
        free(rest_before), free(rest_after);
        assert_non_null(strstr(after, "\nguestinfod_vm_network_receive_bytes_total{name=\"b\",uuid=\"" UUID_B
                                      "\",interface=\"eth0\"} 100\n"));
        assert_non_null(strstr(counted, "\nguestinfod_vm_network_receive_bytes_total{name=\"b\",uuid=\"" UUID_B
                                        "\",interface=\"eth0\"} 900\n"));
        assert_non_null(strstr(counted, "\nguestinfod_vm_cpu_seconds_total{name=\"b\",uuid=\"" UUID_B
                                        "\",mode=\"user\"} 900.5\n"));
        assert_int_equal(ctl_run(&whole, false, T, "--user", "metrics", NULL), 0);
        assert_string_equal(counted, whole.out);
        ctl_result_free(&whole);
        free(after);
        after = counted;

        /* one VM removed: gone, the rest as it was but the domain count */
        get_all = atomic_load(&small.get_all_calls);
        tree = atomic_load(&small.get_managed_objects_calls);
        assert_int_equal(fake_daemon_call(&small, remove_c, NULL), 0);
        char *removed = next_text(path, &ino);
        assert_promtool_passes(removed);
        assert_null(strstr(removed, UUID_C));
        assert_non_null(strstr(removed, "\nguestinfod_domains 2\n"));
        assert_int_equal(atomic_load(&small.get_all_calls) - get_all, 2);
        assert_int_equal(atomic_load(&small.get_managed_objects_calls), tree);
        rest_before = lines_without(after, "uuid=\"" UUID_C "\"");
        char *count = strstr(rest_before, "\nguestinfod_domains 3\n");
        assert_non_null(count);
        count[strlen("\nguestinfod_domains ")] = '2';
        assert_string_equal(removed, rest_before);
        free(rest_before);

        /* a removal whose InterfacesRemoved was missed: DomainCount says
         * one VM less than the file holds, so everything is read again */
        tree = atomic_load(&small.get_managed_objects_calls);
        assert_int_equal(fake_daemon_call(&small, remove_a_quietly, NULL), 0);
        char *resynced = next_text(path, &ino);
        assert_promtool_passes(resynced);
        assert_null(strstr(resynced, UUID_A));
        assert_non_null(strstr(resynced, "\nguestinfod_domains 1\n"));
        assert_int_equal(atomic_load(&small.get_managed_objects_calls) - tree, 1);
        rest_before = lines_without(removed, "uuid=\"" UUID_A "\"");
        count = strstr(rest_before, "\nguestinfod_domains 2\n");
        assert_non_null(count);
        count[strlen("\nguestinfod_domains ")] = '1';
        assert_string_equal(resynced, rest_before);
        free(rest_before);
        free(resynced);

        assert_int_equal(ctl_stop(&p, SIGTERM), 0);
        fake_daemon_stop(&small);
        manager_free(small_model);
        small_model = NULL;
        free(before), free(after), free(removed);
}

#define UUID_REAL_A "c0000000-0000-4000-8000-00000000aa01"
#define UUID_REAL_B "c0000000-0000-4000-8000-00000000bb01"

/* The same with the real daemon on the test hypervisor: the domain
 * suspended changes its own lines only; one undefined disappears. */
static void test_textfile_real_daemon_one_vm_changes(void **state) {
        char dir[512], path[600];
        CtlProcess p;
        struct stat st;

        /* the test driver's domains live while a connection holds them:
         * the daemon's, first */
        assert_int_equal(harness_start_libvirtd(&H, "test"), 0);
        assert_int_equal(harness_start_daemon(&H, H.uri, 30, NULL), 0);
        assert_int_equal(harness_virsh(&H, "define %s", harness_test_domain_xml(&H, "real-a", UUID_REAL_A)), 0);
        assert_int_equal(harness_virsh(&H, "start real-a"), 0);
        assert_int_equal(harness_virsh(&H, "define %s", harness_test_domain_xml(&H, "real-b", UUID_REAL_B)), 0);
        snprintf(dir, sizeof dir, "%s/textfile-real-changes", H.dir);
        assert_int_equal(mkdir(dir, 0755), 0);
        snprintf(path, sizeof path, "%s/guestinfod.prom", dir);
        assert_int_equal(ctl_start(&p, "--user", "metrics", "--textfile", dir, "--interval", "0.2", NULL), 0);
        for (int i = 0; i < 100 && !file_contains(path, "guestinfod_domains 3\n"); i++)
                usleep(100 * 1000);
        assert_true(file_contains(path, "guestinfod_domains 3\n"));
        assert_int_equal(stat(path, &st), 0);
        ino_t ino = st.st_ino;
        char *before = read_text(path);
        assert_promtool_passes(before);

        /* the test driver's own domain suspended: its lines only */
        assert_int_equal(harness_virsh(&H, "suspend test"), 0);
        char *after = NULL;
        for (int i = 0;
             i < 10 && !(after && strstr(after, "guestinfod_vm_running{name=\"test\",uuid=\"" TEST_UUID "\"} 0\n"));
             i++) {
                free(after);
                after = next_text(path, &ino);
        }
        assert_non_null(strstr(after, "guestinfod_vm_running{name=\"test\",uuid=\"" TEST_UUID "\"} 0\n"));
        assert_promtool_passes(after);
        char *rest_before = lines_without(before, TEST_UUID), *rest_after = lines_without(after, TEST_UUID);
        assert_string_equal(rest_after, rest_before);
        assert_string_not_equal(after, before);
        free(rest_before), free(rest_after);

        /* real-b undefined: gone, the rest as it was but the count */
        assert_int_equal(harness_virsh(&H, "undefine real-b"), 0);
        char *removed = NULL;
        for (int i = 0; i < 10 && !(removed && strstr(removed, "\nguestinfod_domains 2\n")); i++) {
                free(removed);
                removed = next_text(path, &ino);
        }
        assert_promtool_passes(removed);
        assert_null(strstr(removed, UUID_REAL_B));
        rest_before = lines_without(after, UUID_REAL_B);
        char *count = strstr(rest_before, "\nguestinfod_domains 3\n");
        assert_non_null(count);
        count[strlen("\nguestinfod_domains ")] = '2';
        assert_string_equal(removed, rest_before);
        free(rest_before);
        assert_non_null(strstr(removed, "guestinfod_vm_running{name=\"real-a\",uuid=\"" UUID_REAL_A "\"} 1\n"));

        assert_int_equal(ctl_stop(&p, SIGTERM), 0);
        assert_int_equal(harness_stop_daemon(&H), 0);
        assert_int_equal(harness_stop_libvirtd(&H), 0);
        free(before), free(after), free(removed);
}

static int teardown_children(void **state) {
        ctl_stop_all();
        prom_stack_stop(&stack);
        stop_serving();
        if (small.running)
                fake_daemon_stop(&small);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_output_passes_promtool, teardown_children),
                cmocka_unit_test_teardown(test_too_big_for_one_message, teardown_children),
                cmocka_unit_test_teardown(test_daemon_away, teardown_children),
                cmocka_unit_test_teardown(test_usage_errors, teardown_children),
                cmocka_unit_test_teardown(test_textfile_through_prometheus, teardown_children),
                cmocka_unit_test_teardown(test_textfile_follows_the_real_daemon, teardown_children),
                cmocka_unit_test_teardown(test_textfile_rewrites_only_what_changed, teardown_children),
                cmocka_unit_test_teardown(test_textfile_real_daemon_one_vm_changes, teardown_children),
        };
        return cmocka_run_group_tests_name("metrics: guestinfoctl metrics with promtool, node-exporter, Prometheus",
                                           tests, group_setup, group_teardown);
}
