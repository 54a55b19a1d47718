/* The Prometheus text of guestinfoctl metrics, without a bus: label values
 * escaped, made valid UTF-8 and bounded (cli/prom-text.c), and the families
 * built from VMs (cli/metrics.c), filesystems capped and deduplicated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics-fleet.h"
#include "metrics.h"
#include "prom-text.h"

static char *label(const char *value) {
        static char buf[PROM_LABEL_BUF_MAX];
        size_t n = prom_label_value(value, buf, sizeof buf);
        assert_int_equal(n, strlen(buf));
        return buf;
}

static void test_escapes_quotes_backslashes_newlines(void **state) {
        assert_string_equal(label("plain"), "plain");
        assert_string_equal(label("a\"b"), "a\\\"b");
        assert_string_equal(label("a\\b"), "a\\\\b");
        assert_string_equal(label("a\nb"), "a\\nb");
        assert_string_equal(label("\\\"\n"), "\\\\\\\"\\n");
        /* the others are kept as they are: the format allows any UTF-8 */
        assert_string_equal(label("tab\there\r"), "tab\there\r");
        assert_string_equal(label("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
                            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
        assert_string_equal(label(NULL), "");
        assert_string_equal(label(""), "");
}

static void test_replaces_invalid_utf8(void **state) {
        const char *fffd = "\xef\xbf\xbd";
        char want[64];

        snprintf(want, sizeof want, "a%sb", fffd);
        assert_string_equal(label("a\xff"
                                  "b"),
                            want); /* not a lead byte */
        assert_string_equal(label("a\xc0\xaf"
                                  "b"),
                            "a\xef\xbf\xbd\xef\xbf\xbd"
                            "b"); /* overlong '/' */
        assert_string_equal(label("a\xed\xa0\x80"
                                  "b"),
                            "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                            "b"); /* surrogate */
        assert_string_equal(label("a\xf4\x90\x80\x80"
                                  "b"),
                            "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                            "b"); /* past U+10FFFF */
        snprintf(want, sizeof want, "a%s%s", fffd, fffd);
        assert_string_equal(label("a\xe2\x82"), want); /* cut short at the end: byte by byte */
        snprintf(want, sizeof want, "%s\\\"", fffd);
        assert_string_equal(label("\xc3\""), want); /* a quote is never eaten as a continuation */
}

static void test_bounds_length_on_a_character(void **state) {
        char in[2000], want[2000];

        /* exactly at the bound: kept whole */
        memset(in, 'x', PROM_LABEL_VALUE_MAX);
        in[PROM_LABEL_VALUE_MAX] = '\0';
        assert_string_equal(label(in), in);

        /* one more: cut, ending in "…" within the bound */
        memset(in, 'x', PROM_LABEL_VALUE_MAX + 1);
        in[PROM_LABEL_VALUE_MAX + 1] = '\0';
        memset(want, 'x', PROM_LABEL_VALUE_MAX - 3);
        strcpy(want + PROM_LABEL_VALUE_MAX - 3, "\xe2\x80\xa6");
        assert_string_equal(label(in), want);
        assert_int_equal(strlen(label(in)), PROM_LABEL_VALUE_MAX);

        /* 3-byte characters: never cut inside one */
        in[0] = '\0';
        for (int i = 0; i < 200; i++)
                strcat(in, "\xe2\x82\xac");
        const char *out = label(in);
        assert_true(strlen(out) <= PROM_LABEL_VALUE_MAX);
        assert_int_equal(strlen(out) % 3, 0);
        assert_string_equal(out + strlen(out) - 3, "\xe2\x80\xa6");

        /* the worst case for escaping: every byte doubles, all within the buffer */
        memset(in, '"', 1999);
        in[1999] = '\0';
        out = label(in);
        assert_int_equal(strlen(out), 2 * (PROM_LABEL_VALUE_MAX - 3) + 3);

        /* too small a buffer is refused, not overrun */
        char small[8];
        assert_int_equal(prom_label_value("x", small, sizeof small), sizeof small);
}

static void test_family_and_samples(void **state) {
        PromText t = {};
        const PromLabel l[] = { { "name", "a\"b" }, { "uuid", "u\n" } };

        prom_family(&t, "m_bytes", "gauge", "Help with \\ and\nnewline.");
        prom_sample_u64(&t, "m_bytes", l, 2, 18446744073709551615ULL);
        prom_sample_double(&t, "m_bytes", NULL, 0, 1.5);
        prom_sample_double(&t, "m_bytes", NULL, 0, 0.0 / 0.0);
        prom_sample_double(&t, "m_bytes", NULL, 0, -1.0 / 0.0);
        assert_false(t.failed);
        assert_string_equal(t.data, "# HELP m_bytes Help with \\\\ and\\nnewline.\n"
                                    "# TYPE m_bytes gauge\n"
                                    "m_bytes{name=\"a\\\"b\",uuid=\"u\\n\"} 18446744073709551615\n"
                                    "m_bytes 1.5\n"
                                    "m_bytes NaN\n"
                                    "m_bytes -Inf\n");
        prom_text_reset(&t);
        assert_int_equal(t.len, 0);
        /* milliseconds as exact seconds */
        prom_sample_thousandths(&t, "s", NULL, 0, 12345);
        prom_sample_thousandths(&t, "s", NULL, 0, 1500);
        prom_sample_thousandths(&t, "s", NULL, 0, 7);
        prom_sample_thousandths(&t, "s", NULL, 0, 3000);
        prom_sample_thousandths(&t, "s", NULL, 0, 18446744073709551615ULL);
        assert_string_equal(t.data, "s 12.345\ns 1.5\ns 0.007\ns 3\ns 18446744073709551.615\n");
        prom_text_done(&t);
}

/* ---- families ---- */

static VmFilesystem fs(const char *disk, const char *mount, const char *type, uint64_t used, uint64_t total) {
        return (VmFilesystem){ .disk_name = (char *) disk,
                               .mount_point = (char *) mount,
                               .type = (char *) type,
                               .used_bytes = used,
                               .total_bytes = total };
}

static size_t count(const char *text, const char *needle) {
        size_t n = 0;
        for (const char *p = text; (p = strstr(p, needle)); p++)
                n++;
        return n;
}

static void test_daemon_down_says_only_that(void **state) {
        PromText t = {};
        MetricsDaemon d = {};
        metrics_write(&t, &d, NULL, 0);
        assert_string_equal(t.data,
                            "# HELP guestinfod_up Whether guestinfod answered on the bus when this was written.\n"
                            "# TYPE guestinfod_up gauge\n"
                            "guestinfod_up 0\n");
        prom_text_done(&t);
}

static void test_families_of_vms(void **state) {
        VmFilesystem f[] = {
                fs("vda1", "/", "ext4", 1000, 4000),
                fs("sr0", "/media/cd", "iso9660", 700, 700),
        };
        Vm vms[] = {
                { .name = (char *) "web",
                  .uuid = (char *) "u1",
                  .state = (char *) "running",
                  .agent_connected = 1,
                  .agent_version = (char *) "7.2.0",
                  .agent_probe_usec = 1700000000500000ULL,
                  .has_guest_data = true,
                  .os_id = (char *) "debian",
                  .os_name = (char *) "Debian GNU/Linux",
                  .os_version_id = (char *) "12",
                  .kernel_release = (char *) "6.1.0",
                  .user_count = 3,
                  .filesystems = f,
                  .n_filesystems = 2,
                  .filesystem_count = 2 },
                { .name = (char *) "off", .uuid = (char *) "u2", .state = (char *) "shutoff" },
        };
        MetricsDaemon d = { .up = true, .libvirt_connected = true, .domain_count = 2, .version = (char *) "1.0" };
        PromText t = {};

        metrics_write(&t, &d, vms, 2);
        assert_false(t.failed);
        const char *s = t.data;
        assert_non_null(strstr(s, "\nguestinfod_up 1\n"));
        assert_non_null(strstr(s, "\nguestinfod_info{version=\"1.0\"} 1\n"));
        assert_non_null(strstr(s, "\nguestinfod_libvirt_connected 1\n"));
        assert_non_null(strstr(s, "\nguestinfod_domains 2\n"));
        assert_non_null(strstr(s, "\nguestinfod_vm_running{name=\"web\",uuid=\"u1\"} 1\n"));
        assert_non_null(strstr(s, "\nguestinfod_vm_running{name=\"off\",uuid=\"u2\"} 0\n"));
        assert_non_null(strstr(s, "\nguestinfod_vm_agent_connected{name=\"off\",uuid=\"u2\"} 0\n"));
        assert_non_null(strstr(s, "\nguestinfod_vm_agent_last_probe_timestamp_seconds{name=\"web\",uuid=\"u1\"} "
                                  "1700000000.5\n"));
        /* a time that never was has no sample */
        assert_null(strstr(s, "guestinfod_vm_agent_last_transition_timestamp_seconds{"));
        assert_non_null(strstr(s, "\nguestinfod_vm_info{name=\"web\",uuid=\"u1\",os_id=\"debian\",os_name=\"Debian "
                                  "GNU/Linux\",os_pretty_name=\"\",os_version=\"\",os_version_id=\"12\","
                                  "kernel_release=\"6.1.0\",machine=\"\",hostname=\"\",agent_version=\"7.2.0\"} 1\n"));
        assert_non_null(strstr(s, "\nguestinfod_vm_users{name=\"web\",uuid=\"u1\"} 3\n"));
        assert_non_null(strstr(s, "\nguestinfod_vm_filesystem_capacity_bytes{name=\"web\",uuid=\"u1\",disk_name="
                                  "\"vda1\",mount_point=\"/\",fs_type=\"ext4\"} 4000\n"));
        assert_non_null(strstr(s, "\nguestinfod_vm_filesystem_used_bytes{name=\"web\",uuid=\"u1\",disk_name="
                                  "\"sr0\",mount_point=\"/media/cd\",fs_type=\"iso9660\"} 700\n"));
        assert_non_null(strstr(s, "\nguestinfod_vm_filesystems_dropped{name=\"web\",uuid=\"u1\"} 0\n"));
        /* sizes unknown (0): no series, counted as dropped */
        vms[0].filesystems[1].total_bytes = 0;
        prom_text_reset(&t);
        metrics_write(&t, &d, vms, 2);
        s = t.data;
        assert_null(strstr(s, "sr0"));
        assert_non_null(strstr(s, "\nguestinfod_vm_filesystems_dropped{name=\"web\",uuid=\"u1\"} 1\n"));
        /* no guest data, no guest series */
        assert_null(strstr(s, "guestinfod_vm_users{name=\"off\""));
        assert_null(strstr(s, "guestinfod_vm_info{name=\"off\""));
        /* vCPUs and load: no sample until the agent gave them */
        assert_null(strstr(s, "guestinfod_vm_vcpus{"));
        assert_null(strstr(s, "guestinfod_vm_load1{"));
        VmKindStatus ks[] = {
                { .kind = (char *) "vcpus", .state = (char *) "fresh", .collected_usec = 1, .message = (char *) "" },
                { .kind = (char *) "load", .state = (char *) "unsupported", .message = (char *) "" }
        };
        vms[0].kind_status = ks;
        vms[0].n_kind_status = 2;
        vms[0].vcpus_configured = 4;
        vms[0].vcpus_online = 3;
        prom_text_reset(&t);
        metrics_write(&t, &d, vms, 2);
        s = t.data;
        assert_non_null(strstr(s, "\nguestinfod_vm_vcpus{name=\"web\",uuid=\"u1\"} 4\n"));
        assert_non_null(strstr(s, "\nguestinfod_vm_vcpus_online{name=\"web\",uuid=\"u1\"} 3\n"));
        /* an agent without guest-get-load: never collected, no sample */
        assert_null(strstr(s, "guestinfod_vm_load1{"));
        /* every family once, HELP before TYPE, its samples right after */
        assert_int_equal(count(s, "# HELP "), 4 + METRICS_VM_FAMILIES);
        assert_int_equal(count(s, "# TYPE "), 4 + METRICS_VM_FAMILIES);
        for (const char *p = s; (p = strstr(p, "# TYPE ")); p++) {
                char name[128];
                assert_int_equal(sscanf(p, "# TYPE %127s", name), 1);
                char help[160];
                snprintf(help, sizeof help, "# HELP %s ", name);
                assert_non_null(strstr(s, help));
                assert_true(strstr(s, help) < p);
        }
        prom_text_done(&t);
}

static void test_filesystems_capped_and_deduplicated(void **state) {
        enum { N = METRICS_MAX_FILESYSTEMS + 8 };
        VmFilesystem f[N];
        char mounts[N][32];
        char longer[2][PROM_LABEL_VALUE_MAX + 20];

        for (int i = 0; i < N; i++) {
                snprintf(mounts[i], sizeof mounts[i], "/m%d", i);
                f[i] = fs("vdb", mounts[i], "xfs", (uint64_t) i, 100);
        }
        /* the same twice, and two that differ only past the bound */
        f[1] = fs("vdb", "/m0", "xfs", 1, 100);
        memset(longer[0], 'a', sizeof longer[0] - 1), longer[0][sizeof longer[0] - 1] = '\0';
        memcpy(longer[1], longer[0], sizeof longer[1]);
        longer[1][PROM_LABEL_VALUE_MAX + 10] = 'b';
        f[2] = fs("vdb", longer[0], "xfs", 2, 100);
        f[3] = fs("vdb", longer[1], "xfs", 3, 100);

        Vm vm = { .name = (char *) "many",
                  .uuid = (char *) "u",
                  .state = (char *) "running",
                  .has_guest_data = true,
                  .filesystems = f,
                  .n_filesystems = N,
                  .filesystem_count = N + 100 };
        MetricsDaemon d = { .up = true };
        PromText t = {};
        metrics_write(&t, &d, &vm, 1);
        assert_false(t.failed);
        assert_int_equal(count(t.data, "\nguestinfod_vm_filesystem_used_bytes{"), METRICS_MAX_FILESYSTEMS);
        assert_int_equal(count(t.data, "\nguestinfod_vm_filesystem_capacity_bytes{"), METRICS_MAX_FILESYSTEMS);
        assert_int_equal(count(t.data, "mount_point=\"/m0\""), 2); /* capacity and used, once each */
        char want[64];
        snprintf(want, sizeof want, "\nguestinfod_vm_filesystems_dropped{name=\"many\",uuid=\"u\"} %d\n",
                 N + 100 - METRICS_MAX_FILESYSTEMS);
        assert_non_null(strstr(t.data, want));
        prom_text_done(&t);
}

static void test_freshness_of_each_kind(void **state) {
        VmKindStatus k[] = {
                { (char *) "agent", (char *) "fresh", 1700000000250000ULL, (char *) "" },
                { (char *) "os", (char *) "not-asked", 0, (char *) "" },
                { (char *) "filesystems", (char *) "timed-out", 1699999990000000ULL, (char *) "no answer in 5 s" },
                /* a state and a kind of a newer daemon, a hostile-looking one,
                 * and a kind twice: one series */
                { (char *) "disks", (char *) "some-new\"state\n", 1700000001000000ULL, (char *) "" },
                { (char *) "agent", (char *) "failed", 1, (char *) "" },
        };
        Vm vms[] = {
                { .name = (char *) "web",
                  .uuid = (char *) "u1",
                  .state = (char *) "running",
                  .data_reason = (char *) "",
                  .fsfreeze = (char *) "frozen",
                  .kind_status = k,
                  .n_kind_status = ELEMENTSOF(k) },
                { .name = (char *) "off",
                  .uuid = (char *) "u2",
                  .state = (char *) "shutoff",
                  .data_reason = (char *) "not-running",
                  .fsfreeze = (char *) "" },
                { .name = (char *) "thawed",
                  .uuid = (char *) "u3",
                  .data_reason = (char *) "frozen-ish-new",
                  .fsfreeze = (char *) "thawed" },
                /* a guestinfod older than the properties: no samples */
                { .name = (char *) "old", .uuid = (char *) "u4" },
        };
        MetricsDaemon d = { .up = true };
        PromText t = {};

        metrics_write(&t, &d, vms, ELEMENTSOF(vms));
        assert_false(t.failed);
        const char *s = t.data;
        assert_non_null(strstr(
                s, "\nguestinfod_vm_guest_data_state{name=\"web\",uuid=\"u1\",kind=\"agent\",state=\"fresh\"} 1\n"));
        assert_non_null(strstr(
                s, "\nguestinfod_vm_guest_data_state{name=\"web\",uuid=\"u1\",kind=\"os\",state=\"not-asked\"} 1\n"));
        assert_non_null(strstr(s, "\nguestinfod_vm_guest_data_state{name=\"web\",uuid=\"u1\",kind=\"filesystems\","
                                  "state=\"timed-out\"} 1\n"));
        assert_non_null(strstr(s, "\nguestinfod_vm_guest_data_state{name=\"web\",uuid=\"u1\",kind=\"disks\",state="
                                  "\"some-new\\\"state\\n\"} 1\n"));
        assert_int_equal(count(s, "\nguestinfod_vm_guest_data_state{"), 4);
        assert_null(strstr(s, "state=\"failed\""));
        /* the message is never a label: a series per failure */
        assert_null(strstr(s, "no answer"));
        assert_non_null(strstr(s, "\nguestinfod_vm_guest_data_collected_timestamp_seconds{name=\"web\",uuid=\"u1\","
                                  "kind=\"agent\"} 1700000000.25\n"));
        assert_non_null(strstr(s, "\nguestinfod_vm_guest_data_collected_timestamp_seconds{name=\"web\",uuid=\"u1\","
                                  "kind=\"filesystems\"} 1699999990\n"));
        /* never collected: no sample */
        assert_null(strstr(s, "kind=\"os\"}"));
        assert_int_equal(count(s, "\nguestinfod_vm_guest_data_collected_timestamp_seconds{"), 3);
        assert_non_null(strstr(s, "\nguestinfod_vm_fs_frozen{name=\"web\",uuid=\"u1\"} 1\n"));
        assert_non_null(strstr(s, "\nguestinfod_vm_fs_frozen{name=\"thawed\",uuid=\"u3\"} 0\n"));
        assert_int_equal(count(s, "\nguestinfod_vm_fs_frozen{"), 2);
        assert_non_null(strstr(s, "\nguestinfod_vm_guest_data_reason{name=\"web\",uuid=\"u1\",reason=\"\"} 1\n"));
        assert_non_null(
                strstr(s, "\nguestinfod_vm_guest_data_reason{name=\"off\",uuid=\"u2\",reason=\"not-running\"} 1\n"));
        assert_non_null(strstr(
                s, "\nguestinfod_vm_guest_data_reason{name=\"thawed\",uuid=\"u3\",reason=\"frozen-ish-new\"} 1\n"));
        assert_null(strstr(s, "name=\"old\",uuid=\"u4\",reason"));
        assert_int_equal(count(s, "\nguestinfod_vm_guest_data_reason{"), 3);
        prom_text_done(&t);
}

static void test_kinds_capped(void **state) {
        enum { N = METRICS_MAX_KINDS + 5 };
        VmKindStatus k[N];
        char kinds[N][16];
        for (int i = 0; i < N; i++) {
                snprintf(kinds[i], sizeof kinds[i], "k%d", i);
                k[i] = (VmKindStatus){ kinds[i], (char *) "fresh", 1700000000000000ULL, (char *) "" };
        }
        Vm vm = { .name = (char *) "v", .uuid = (char *) "u", .kind_status = k, .n_kind_status = N };
        MetricsDaemon d = { .up = true };
        PromText t = {};
        metrics_write(&t, &d, &vm, 1);
        assert_false(t.failed);
        assert_int_equal(count(t.data, "\nguestinfod_vm_guest_data_state{"), METRICS_MAX_KINDS);
        assert_int_equal(count(t.data, "\nguestinfod_vm_guest_data_collected_timestamp_seconds{"), METRICS_MAX_KINDS);
        prom_text_done(&t);
}

/* ---- clock and counters ---- */

static VmCounter nic_items[][8] = {
        { { (char *) "rx-bytes", 1000 },
          { (char *) "rx-packets", 10 },
          { (char *) "rx-errs", 1 },
          { (char *) "rx-dropped", 2 },
          { (char *) "tx-bytes", 2000 },
          { (char *) "tx-packets", 20 },
          { (char *) "tx-errs", 3 },
          { (char *) "tx-dropped", 4 } },
        /* a guest's hostile name, with only one counter sent */
        { { (char *) "rx-bytes", 7 } },
};

static VmCounter cpu_items[] = {
        { (char *) "user", 12345 },
        { (char *) "system", 500 },
        { (char *) "idle", 1000000 },
        /* a key the client does not know: no series of its own */
        { (char *) "future\"mode", 1 },
};

static VmCounter disk_items[] = {
        { (char *) "read-ios", 100 },     { (char *) "read-sectors", 8 },   { (char *) "write-ios", 50 },
        { (char *) "write-sectors", 16 }, { (char *) "total-ticks", 2500 }, { (char *) "read-ticks", 9 },
};

#define HOSTILE_NIC "eth\"0\"} 1\nguestinfod_up 0\n\xff"

static VmKindStatus counter_kinds[] = {
        { (char *) "clock", (char *) "fresh", 1, (char *) "" },
        { (char *) "nic-counters", (char *) "fresh", 1, (char *) "" },
        { (char *) "cpu-counters", (char *) "fresh", 1, (char *) "" },
        { (char *) "disk-counters", (char *) "fresh", 1, (char *) "" },
};

static Vm counters_vm(VmCounterSet *nics, size_t n_nics, VmCounterSet *disks, size_t n_disks) {
        return (Vm){ .path = (char *) "/p/c",
                     .name = (char *) "c",
                     .uuid = (char *) "u",
                     .state = (char *) "running",
                     .has_guest_data = true,
                     .kind_status = counter_kinds,
                     .n_kind_status = ELEMENTSOF(counter_kinds),
                     .clock_offset_usec = -1500000,
                     .nic_counters = nics,
                     .n_nic_counters = n_nics,
                     .cpu_counters = { .items = cpu_items, .n_items = ELEMENTSOF(cpu_items) },
                     .disk_counters = disks,
                     .n_disk_counters = n_disks };
}

static void test_clock_and_counter_families(void **state) {
        VmCounterSet nics[] = { { (char *) "eth0", nic_items[0], 8 },
                                { (char *) HOSTILE_NIC, nic_items[1], 1 },
                                /* the same name twice: one set of series */
                                { (char *) "eth0", nic_items[0], 8 } };
        VmCounterSet disks[] = { { (char *) "vda", disk_items, ELEMENTSOF(disk_items) },
                                 { (char *) "sd\\a\n", disk_items, 1 } };
        Vm vm = counters_vm(nics, 3, disks, 2);
        vm.counter_nics_reported = 5; /* the daemon kept 3 of 5 */
        MetricsDaemon d = { .up = true };
        PromText t = {};

        metrics_write(&t, &d, &vm, 1);
        assert_false(t.failed);
        const char *s = t.data;
        assert_non_null(strstr(s, "\nguestinfod_vm_clock_offset_seconds{name=\"c\",uuid=\"u\"} -1.5\n"));
        /* the agent's milliseconds as seconds, only the modes sent */
        assert_non_null(strstr(s, "\nguestinfod_vm_cpu_seconds_total{name=\"c\",uuid=\"u\",mode=\"user\"} 12.345\n"));
        assert_non_null(strstr(s, "\nguestinfod_vm_cpu_seconds_total{name=\"c\",uuid=\"u\",mode=\"idle\"} 1000\n"));
        assert_int_equal(count(s, "\nguestinfod_vm_cpu_seconds_total{"), 3);
        assert_null(strstr(s, "future"));
        assert_non_null(strstr(s, "# TYPE guestinfod_vm_cpu_seconds_total counter\n"));
        static const char *const nic[][2] = {
                { "receive_bytes", "1000" }, { "receive_packets", "10" },  { "receive_errors", "1" },
                { "receive_drop", "2" },     { "transmit_bytes", "2000" }, { "transmit_packets", "20" },
                { "transmit_errors", "3" },  { "transmit_drop", "4" },
        };
        for (size_t i = 0; i < ELEMENTSOF(nic); i++) {
                char want[256];
                snprintf(want, sizeof want,
                         "\nguestinfod_vm_network_%s_total{name=\"c\",uuid=\"u\",interface=\"eth0\"} %s\n", nic[i][0],
                         nic[i][1]);
                assert_non_null(strstr(s, want));
                snprintf(want, sizeof want, "# TYPE guestinfod_vm_network_%s_total counter\n", nic[i][0]);
                assert_non_null(strstr(s, want));
                snprintf(want, sizeof want, "\nguestinfod_vm_network_%s_total{", nic[i][0]);
                /* eth0 once; the hostile NIC only where it sent a value */
                assert_int_equal(count(s, want), i == 0 ? 2 : 1);
        }
        /* the hostile name as one escaped label value */
        assert_non_null(strstr(s, "\nguestinfod_vm_network_receive_bytes_total{name=\"c\",uuid=\"u\",interface="
                                  "\"eth\\\"0\\\"} 1\\nguestinfod_up 0\\n\xef\xbf\xbd\"} 7\n"));
        assert_null(strstr(s, "\nguestinfod_up 0"));
        /* 5 listed, 2 with series */
        assert_non_null(strstr(s, "\nguestinfod_vm_network_counters_dropped{name=\"c\",uuid=\"u\"} 3\n"));
        assert_non_null(strstr(s, "\nguestinfod_vm_disk_counters_dropped{name=\"c\",uuid=\"u\"} 0\n"));
        /* sectors of 512 bytes; ticks in ms */
        assert_non_null(
                strstr(s, "\nguestinfod_vm_disk_reads_completed_total{name=\"c\",uuid=\"u\",disk=\"vda\"} 100\n"));
        assert_non_null(
                strstr(s, "\nguestinfod_vm_disk_writes_completed_total{name=\"c\",uuid=\"u\",disk=\"vda\"} 50\n"));
        assert_non_null(strstr(s, "\nguestinfod_vm_disk_read_bytes_total{name=\"c\",uuid=\"u\",disk=\"vda\"} 4096\n"));
        assert_non_null(
                strstr(s, "\nguestinfod_vm_disk_written_bytes_total{name=\"c\",uuid=\"u\",disk=\"vda\"} 8192\n"));
        assert_non_null(
                strstr(s, "\nguestinfod_vm_disk_io_time_seconds_total{name=\"c\",uuid=\"u\",disk=\"vda\"} 2.5\n"));
        assert_non_null(strstr(
                s, "\nguestinfod_vm_disk_reads_completed_total{name=\"c\",uuid=\"u\",disk=\"sd\\\\a\\n\"} 100\n"));
        assert_int_equal(count(s, "\nguestinfod_vm_disk_read_bytes_total{"), 1);

        /* a sector count past what bytes can hold: saturated, not wrapped */
        disk_items[1].value = UINT64_MAX / 2;
        prom_text_reset(&t);
        metrics_write(&t, &d, &vm, 1);
        assert_non_null(strstr(t.data, "disk=\"vda\"} 18446744073709551615\n"));
        disk_items[1].value = 8;

        /* the guest data not published (the agent went): no guest series */
        vm.has_guest_data = false;
        prom_text_reset(&t);
        metrics_write(&t, &d, &vm, 1);
        assert_null(strstr(t.data, "guestinfod_vm_cpu_seconds_total{"));
        assert_null(strstr(t.data, "interface="));
        assert_null(strstr(t.data, "disk="));
        assert_null(strstr(t.data, "_counters_dropped{"));
        vm.has_guest_data = true;

        /* kinds not collected (an agent without the commands, or not yet):
         * no sample, even with values held */
        for (size_t i = 0; i < ELEMENTSOF(counter_kinds); i++)
                counter_kinds[i].collected_usec = 0;
        prom_text_reset(&t);
        metrics_write(&t, &d, &vm, 1);
        s = t.data;
        assert_null(strstr(s, "guestinfod_vm_clock_offset_seconds{"));
        assert_null(strstr(s, "guestinfod_vm_cpu_seconds_total{"));
        assert_null(strstr(s, "{name=\"c\",uuid=\"u\",interface="));
        assert_null(strstr(s, "{name=\"c\",uuid=\"u\",disk="));
        assert_null(strstr(s, "_counters_dropped{"));
        for (size_t i = 0; i < ELEMENTSOF(counter_kinds); i++)
                counter_kinds[i].collected_usec = 1;
        prom_text_done(&t);
}

static void test_counter_sets_capped(void **state) {
        enum { N = METRICS_MAX_NICS + METRICS_MAX_DISKS + 7 };
        VmCounterSet nics[N], disks[N];
        char names[N][16];
        for (int i = 0; i < N; i++) {
                snprintf(names[i], sizeof names[i], "n%d", i);
                nics[i] = (VmCounterSet){ names[i], nic_items[0], 8 };
                disks[i] = (VmCounterSet){ names[i], disk_items, ELEMENTSOF(disk_items) };
        }
        Vm vm = counters_vm(nics, N, disks, N);
        vm.counter_disks_reported = 256 + 44;
        MetricsDaemon d = { .up = true };
        PromText t = {};
        metrics_write(&t, &d, &vm, 1);
        assert_false(t.failed);
        assert_int_equal(count(t.data, "\nguestinfod_vm_network_transmit_bytes_total{"), METRICS_MAX_NICS);
        assert_int_equal(count(t.data, "\nguestinfod_vm_disk_io_time_seconds_total{"), METRICS_MAX_DISKS);
        char want[128];
        snprintf(want, sizeof want, "\nguestinfod_vm_network_counters_dropped{name=\"c\",uuid=\"u\"} %d\n",
                 N - METRICS_MAX_NICS);
        assert_non_null(strstr(t.data, want));
        snprintf(want, sizeof want, "\nguestinfod_vm_disk_counters_dropped{name=\"c\",uuid=\"u\"} %d\n",
                 256 + 44 - METRICS_MAX_DISKS);
        assert_non_null(strstr(t.data, want));
        /* the fleet of --textfile writes the same */
        MetricsFleet fleet = {};
        PromText got = {};
        assert_int_equal(metrics_fleet_set(&fleet, &vm), 0);
        metrics_fleet_write(&fleet, &d, &got);
        assert_string_equal(got.data, t.data);
        metrics_fleet_done(&fleet);
        prom_text_done(&got);
        prom_text_done(&t);
}

/* The fleet of --textfile: VMs rendered one at a time, the text rebuilt
 * family after family, byte for byte metrics_write()'s for the same VMs in
 * name order, after a VM changes, is renamed, added and removed. */
static void test_fleet_text_as_metrics_write(void **state) {
        VmFilesystem f[] = { fs("vda1", "/", "ext4", 1000, 4000) };
        Vm vms[] = {
                { .path = (char *) "/p/1",
                  .name = (char *) "alpha",
                  .uuid = (char *) "u1",
                  .state = (char *) "running",
                  .agent_connected = 1,
                  .has_guest_data = true,
                  .os_id = (char *) "debian",
                  .user_count = 1,
                  .filesystems = f,
                  .n_filesystems = 1,
                  .filesystem_count = 1 },
                { .path = (char *) "/p/2",
                  .name = (char *) "beta",
                  .uuid = (char *) "u2",
                  .state = (char *) "shutoff" },
                { .path = (char *) "/p/3",
                  .name = (char *) "gamma",
                  .uuid = (char *) "u3",
                  .state = (char *) "running",
                  .has_guest_data = true,
                  .filesystems = f,
                  .n_filesystems = 1,
                  .filesystem_count = 1 },
        };
        MetricsDaemon d = { .up = true, .libvirt_connected = true, .domain_count = 3, .version = (char *) "1.0" };
        MetricsFleet fleet = {};
        PromText want = {}, got = {};

        /* given in path order 3, 1, 2: written in name order all the same */
        Vm shuffled[] = { vms[2], vms[0], vms[1] };
        assert_int_equal(metrics_fleet_replace_all(&fleet, shuffled, 3), 0);
        metrics_write(&want, &d, vms, 3);
        metrics_fleet_write(&fleet, &d, &got);
        assert_false(got.failed);
        assert_string_equal(got.data, want.data);

        /* beta runs now, and gamma is renamed "aaa": first */
        vms[1].state = (char *) "running";
        vms[2].name = (char *) "aaa";
        assert_int_equal(metrics_fleet_set(&fleet, &vms[1]), 0);
        assert_int_equal(metrics_fleet_set(&fleet, &vms[2]), 0);
        Vm by_name[] = { vms[2], vms[0], vms[1] };
        prom_text_reset(&want);
        metrics_write(&want, &d, by_name, 3);
        metrics_fleet_write(&fleet, &d, &got);
        assert_string_equal(got.data, want.data);
        assert_non_null(strstr(got.data, "\nguestinfod_vm_running{name=\"beta\",uuid=\"u2\"} 1\n"));

        /* alpha removed; a path never held is nothing */
        metrics_fleet_remove(&fleet, "/p/1");
        metrics_fleet_remove(&fleet, "/p/9");
        assert_false(metrics_fleet_has(&fleet, "/p/1"));
        assert_int_equal(fleet.n, 2);
        d.domain_count = 2;
        Vm left[] = { vms[2], vms[1] };
        prom_text_reset(&want);
        metrics_write(&want, &d, left, 2);
        metrics_fleet_write(&fleet, &d, &got);
        assert_string_equal(got.data, want.data);
        assert_null(strstr(got.data, "u1"));

        /* the daemon down: that alone */
        MetricsDaemon down = {};
        prom_text_reset(&want);
        metrics_write(&want, &down, NULL, 0);
        metrics_fleet_write(&fleet, &down, &got);
        assert_string_equal(got.data, want.data);

        metrics_fleet_done(&fleet);
        prom_text_done(&want);
        prom_text_done(&got);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escapes_quotes_backslashes_newlines),
                cmocka_unit_test(test_replaces_invalid_utf8),
                cmocka_unit_test(test_bounds_length_on_a_character),
                cmocka_unit_test(test_family_and_samples),
                cmocka_unit_test(test_daemon_down_says_only_that),
                cmocka_unit_test(test_families_of_vms),
                cmocka_unit_test(test_filesystems_capped_and_deduplicated),
                cmocka_unit_test(test_freshness_of_each_kind),
                cmocka_unit_test(test_kinds_capped),
                cmocka_unit_test(test_clock_and_counter_families),
                cmocka_unit_test(test_counter_sets_capped),
                cmocka_unit_test(test_fleet_text_as_metrics_write),
        };
        return cmocka_run_group_tests_name("unit: Prometheus text of guestinfoctl metrics", tests, NULL, NULL);
}
