/* End to end: every value says how old it is, every absence says why. A
 * real VM with the real qemu-ga and one without an agent channel: the
 * reasons and per-kind states through a freeze and thaw (virsh
 * domfsfreeze/domfsthaw), an agent killed and back, an agent that stops
 * answering. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "guest.h"
#include "guestinfo-names.h"
#include "harness.h"

#define DOMAIN_IFACE "org.guestinfod.GuestInfo1.Domain"
#define USERS_IFACE "org.guestinfod.GuestInfo1.Users"

#define AGENT_VM "fr-agent"
#define AGENT_UUID "94000000-0000-4000-8000-000000000001"
#define PLAIN_VM "fr-plain"
#define PLAIN_UUID "94000000-0000-4000-8000-000000000002"
#define AGENT_TIMEOUT_S 3

/* The kinds the daemon publishes today, in GuestDataStatus's order. */
static const char *const kinds[] = { "agent",       "os",         "hostname",     "timezone",     "users",
                                     "filesystems", "interfaces", "fsfreeze",     "vcpus",        "load",
                                     "disks",       "clock",      "nic-counters", "cpu-counters", "disk-counters" };
#define LOAD 9 /* qemu-ga 7.2 has no guest-get-load (10.0): never asked */
/* every kind the real agent answers, fresh; the load unsupported */
static const char *const all_fresh[] = { "fresh", "fresh",       "fresh", "fresh", "fresh", "fresh", "fresh", "fresh",
                                         "fresh", "unsupported", "fresh", "fresh", "fresh", "fresh", "fresh" };
#define N_KINDS (sizeof kinds / sizeof *kinds)

typedef struct KindRow {
        char kind[32], state[32], message[600];
        uint64_t collected;
} KindRow;

static Harness H;
static char agent_path[256], plain_path[256];

static void set_path(char *buf, size_t size, const char *uuid) {
        char *p = NULL;
        harness_domain_path(uuid, &p);
        snprintf(buf, size, "%s", p);
        free(p);
}

static uint64_t realtime_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

static int group_setup(void **state) {
        char dir[512];

        assert_int_equal(harness_setup(&H), 0);
        snprintf(dir, sizeof dir, "%s/guest", H.dir);
        assert_int_equal(guest_build(&H, "guest.env", dir), 0);
        assert_int_equal(harness_start_libvirtd(&H, "qemu"), 0);
        assert_int_equal(guest_define(&H, AGENT_VM, AGENT_UUID, "guest.env", dir, true), 0);
        assert_int_equal(guest_define(&H, PLAIN_VM, PLAIN_UUID, "guest.env", dir, false), 0);
        set_path(agent_path, sizeof agent_path, AGENT_UUID);
        set_path(plain_path, sizeof plain_path, PLAIN_UUID);
        /* two vCPUs, one of which the guest can take offline */
        assert_int_equal(harness_virsh(&H, "setvcpus %s 2 --config --maximum", AGENT_VM), 0);
        assert_int_equal(harness_virsh(&H, "setvcpus %s 2 --config", AGENT_VM), 0);
        /* os, hostname and timezone only every 300 s: only the thaw can
         * explain them collected again within seconds of it */
        assert_int_equal(harness_start_daemon(&H, H.uri, 60, "--agent-timeout=3", "--interval=os=300",
                                              "--interval=hostname=300", "--interval=timezone=300",
                                              "--interval=agent=300", "--interval=vcpus=3", "--interval=clock=3",
                                              "--interval=nic-counters=3", "--interval=cpu-counters=3",
                                              "--interval=disk-counters=3", "--log-level=debug", NULL),
                         0);
        setenv("DBUS_SESSION_BUS_ADDRESS", H.bus_address, 1);
        assert_int_equal(harness_virsh(&H, "start %s", AGENT_VM), 0);
        assert_int_equal(harness_virsh(&H, "start %s", PLAIN_VM), 0);
        assert_true(harness_wait_line(&H, "InterfacesAdded " AGENT_UUID " Filesystems(", 120000));
        return 0;
}

static int group_teardown(void **state) {
        int status = harness_stop_daemon(&H);
        harness_cleanup(&H);
        assert_int_equal(status, 0);
        return 0;
}

static char *get_string(const char *path, const char *property) {
        char *s = NULL;
        if (harness_get_property(&H, path, DOMAIN_IFACE, property, 's', &s) < 0)
                return strdup("(unreadable)");
        return s;
}

/* GuestDataStatus of path into rows (N_KINDS of them, checked). */
static void read_status(const char *path, KindRow rows[N_KINDS]) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *kind, *st, *message;
        uint64_t collected;
        size_t n = 0;

        assert_true(sd_bus_get_property(H.bus, "org.guestinfod.GuestInfo1", path, DOMAIN_IFACE,
                                        PROPERTY_GUEST_DATA_STATUS, &error, &reply, "a" KIND_STATUS_SIGNATURE) >= 0);
        assert_int_equal(sd_bus_message_enter_container(reply, 'a', KIND_STATUS_SIGNATURE), 1);
        while (sd_bus_message_enter_container(reply, 'r', KIND_STATUS_FIELDS) > 0) {
                assert_int_equal(sd_bus_message_read(reply, "ssts", &kind, &st, &collected, &message), 1);
                assert_true(sd_bus_message_skip(reply, EXTRA_SIGNATURE) >= 0);
                assert_int_equal(sd_bus_message_exit_container(reply), 1);
                assert_true(n < N_KINDS);
                snprintf(rows[n].kind, sizeof rows[n].kind, "%s", kind);
                snprintf(rows[n].state, sizeof rows[n].state, "%s", st);
                snprintf(rows[n].message, sizeof rows[n].message, "%s", message);
                rows[n].collected = collected;
                assert_string_equal(rows[n].kind, kinds[n]);
                /* bounded: the daemon cuts a message at 512 bytes */
                assert_true(strlen(message) <= 512);
                n++;
        }
        assert_int_equal(n, N_KINDS);
        sd_bus_message_unref(reply);
}

static void print_status(const char *what, const KindRow rows[N_KINDS]) {
        printf("# %s:", what);
        for (size_t i = 0; i < N_KINDS; i++)
                printf(" %s=%s", rows[i].kind, rows[i].state);
        printf("\n");
}

/* Polls until every kind named in want (a NULL entry: any) has that state
 * and GuestDataReason is reason; returns the seconds it took, -1 on
 * timeout (rows: the last read). */
static double wait_status(const char *path, const char *reason, const char *const want[N_KINDS], KindRow rows[N_KINDS],
                          double timeout_s) {
        double t0 = harness_now();
        do {
                char *r = get_string(path, PROPERTY_GUEST_DATA_REASON);
                bool ok = strcmp(r, reason) == 0;
                free(r);
                read_status(path, rows);
                for (size_t i = 0; ok && i < N_KINDS; i++)
                        ok = !want[i] || strcmp(rows[i].state, want[i]) == 0;
                if (ok)
                        return harness_now() - t0;
                harness_settle(&H, 200);
        } while (harness_now() - t0 < timeout_s);
        return -1;
}

/* Lines of the daemon's log naming vm at info level or above. */
static unsigned loud_log_lines(const char *vm) {
        char line[4096], quoted[128];
        unsigned n = 0;
        FILE *f = fopen(H.daemon_log, "re");

        snprintf(quoted, sizeof quoted, "'%s'", vm);
        while (f && fgets(line, sizeof line, f))
                if (strstr(line, quoted) && !strstr(line, "<7>") && !strstr(line, "Domain '") &&
                    !strstr(line, "Collected "))
                        n++;
        if (f)
                fclose(f);
        return n;
}

static unsigned log_lines_with(const char *needle) {
        char line[4096];
        unsigned n = 0;
        FILE *f = fopen(H.daemon_log, "re");
        while (f && fgets(line, sizeof line, f))
                n += strstr(line, needle) != NULL;
        if (f)
                fclose(f);
        return n;
}

static void test_no_agent_channel(void **state) {
        static const char *const not_asked[N_KINDS] = {
                "not-asked", "not-asked", "not-asked", "not-asked", "not-asked",
                "not-asked", "not-asked", "not-asked", "not-asked", "not-asked"
        };
        KindRow rows[N_KINDS];
        assert_true(wait_status(plain_path, "no-agent-channel", not_asked, rows, 10) >= 0);
        for (size_t i = 0; i < N_KINDS; i++)
                assert_int_equal(rows[i].collected, 0);
        char *freeze = get_string(plain_path, PROPERTY_FS_FREEZE_STATUS);
        assert_string_equal(freeze, "");
        free(freeze);
        /* it logs nothing about an agent it does not have */
        printf("# %s: %u log lines above debug name it\n", PLAIN_VM, loud_log_lines(PLAIN_VM));
        assert_int_equal(loud_log_lines(PLAIN_VM), 0);

        /* and while it is off: not running */
        assert_int_equal(harness_virsh(&H, "destroy %s", PLAIN_VM), 0);
        assert_true(wait_status(plain_path, "not-running", not_asked, rows, 10) >= 0);
}

static void test_every_kind_fresh(void **state) {
        KindRow rows[N_KINDS];
        uint64_t now = realtime_usec();

        assert_true(wait_status(agent_path, "", all_fresh, rows, 30) >= 0);
        print_status(AGENT_VM, rows);
        for (size_t i = 0; i < N_KINDS; i++) {
                if (i == LOAD) {
                        /* never asked, and nothing logged about it */
                        assert_int_equal(rows[i].collected, 0);
                        assert_int_equal(log_lines_with("gave no load"), 0);
                        continue;
                }
                /* collected in this run, not in the future */
                assert_true(rows[i].collected > now - 600 * 1000000ULL);
                assert_true(rows[i].collected <= realtime_usec());
                assert_string_equal(rows[i].message, "");
        }
        char *freeze = get_string(agent_path, PROPERTY_FS_FREEZE_STATUS);
        assert_string_equal(freeze, "thawed");
        free(freeze);
}

static void test_freeze_and_thaw(void **state) {
        KindRow before[N_KINDS], rows[N_KINDS], during[N_KINDS];
        uint32_t users_before = 0, users_during = 0;
        char warning[128];

        snprintf(warning, sizeof warning, "Guest agent of '%s' gave no", AGENT_VM);
        unsigned warnings_before = log_lines_with(warning);
        read_status(agent_path, before);
        assert_int_equal(harness_get_property(&H, agent_path, USERS_IFACE, "UserCount", 'u', &users_before), 0);

        double t0 = harness_now();
        assert_int_equal(harness_virsh(&H, "domfsfreeze %s", AGENT_VM), 0);
        assert_true(harness_wait_line(&H, "FsFreezeStatus=frozen", 30000));
        printf("# frozen: FsFreezeStatus=frozen %.1f s after domfsfreeze\n", harness_now() - t0);
        /* every kind asked meanwhile is frozen, not failed; os, hostname,
         * timezone are only due in 300 s: a users/interfaces poll (10 s)
         * does not ask them, so wait for those polled */
        /* users and interfaces: every 10 s; filesystems every 60 s may not be asked */
        static const char *const polled_frozen[N_KINDS] = { NULL, NULL,     NULL,    NULL, "frozen",
                                                            NULL, "frozen", "fresh", NULL, "unsupported" };
        double took = wait_status(agent_path, "frozen", polled_frozen, during, 30);
        print_status("while frozen", during);
        assert_true(took >= 0);
        /* the values are kept, with their older times */
        assert_int_equal(harness_get_property(&H, agent_path, USERS_IFACE, "UserCount", 'u', &users_during), 0);
        assert_int_equal(users_during, users_before);
        for (size_t i = 1; i < N_KINDS; i++)
                assert_true(during[i].collected <= realtime_usec());
        harness_settle(&H, 12000); /* another poll or so while frozen */
        read_status(agent_path, rows);
        for (size_t i = 4; i <= 6; i += 2) { /* users, interfaces */
                assert_string_equal(rows[i].state, "frozen");
                assert_int_equal(rows[i].collected, during[i].collected);
        }
        /* and nothing was logged as a failure */
        assert_int_equal(log_lines_with(warning), warnings_before);

        uint64_t thaw = realtime_usec();
        t0 = harness_now();
        assert_int_equal(harness_virsh(&H, "domfsthaw %s", AGENT_VM), 0);
        took = wait_status(agent_path, "", all_fresh, rows, 30);
        print_status("thawed", rows);
        printf("# thawed: every kind fresh %.1f s after domfsthaw\n", harness_now() - t0);
        assert_true(took >= 0);
        char *freeze = get_string(agent_path, PROPERTY_FS_FREEZE_STATUS);
        assert_string_equal(freeze, "thawed");
        free(freeze);
        /* everything asked again at the thaw, even what is due only in 300 s */
        for (size_t i = 1; i < N_KINDS; i++) {
                if (i != LOAD && rows[i].collected < thaw)
                        fail_msg("%s collected at %llu, before the thaw at %llu", rows[i].kind,
                                 (unsigned long long) rows[i].collected, (unsigned long long) thaw);
        }
        assert_int_equal(log_lines_with(warning), warnings_before);
}

static void read_vcpus(uint32_t *configured, uint32_t *online) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        uint32_t offlinable;
        assert_true(sd_bus_get_property(H.bus, "org.guestinfod.GuestInfo1", agent_path, "org.guestinfod.GuestInfo1.OS",
                                        "Vcpus", &error, &m, VCPUS_SIGNATURE) >= 0);
        assert_int_equal(sd_bus_message_enter_container(m, 'r', VCPUS_FIELDS), 1);
        assert_int_equal(sd_bus_message_read(m, "uuu", configured, online, &offlinable), 1);
        sd_bus_message_unref(m);
}

/* The guest takes a vCPU offline (virsh setvcpus --guest: the agent's
 * guest-set-vcpus): Vcpus shows it, and again when it is back. */
static void test_vcpu_offline(void **state) {
        uint32_t configured = 0, online = 0;
        read_vcpus(&configured, &online);
        printf("# vcpus: %u of %u online\n", online, configured);
        assert_int_equal(configured, 2);
        assert_int_equal(online, 2);

        assert_int_equal(harness_virsh(&H, "setvcpus %s 1 --guest", AGENT_VM), 0);
        double t0 = harness_now();
        do {
                harness_settle(&H, 250);
                read_vcpus(&configured, &online);
        } while (online != 1 && harness_now() - t0 < 20);
        printf("# vcpus: %u of %u online %.1f s after setvcpus --guest 1\n", online, configured, harness_now() - t0);
        assert_int_equal(online, 1);
        assert_int_equal(configured, 2);

        assert_int_equal(harness_virsh(&H, "setvcpus %s 2 --guest", AGENT_VM), 0);
        t0 = harness_now();
        do {
                harness_settle(&H, 250);
                read_vcpus(&configured, &online);
        } while (online != 2 && harness_now() - t0 < 20);
        assert_int_equal(online, 2);
}

/* Filesystems.Disks: the guest's data disk is the domain's vdb, with the
 * serial the domain gives it and the domain disk's source; the
 * filesystem on it names the same device. */
static void test_disks(void **state) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        const char *name, *serial, *bus, *target, *source;
        int partition, found = 0;
        char data_device[256] = "";

        assert_true(sd_bus_get_property(H.bus, "org.guestinfod.GuestInfo1", agent_path,
                                        "org.guestinfod.GuestInfo1.Filesystems", "Disks", &error, &m,
                                        "a" DISK_SIGNATURE) >= 0);
        assert_int_equal(sd_bus_message_enter_container(m, 'a', DISK_SIGNATURE), 1);
        while (sd_bus_message_enter_container(m, 'r', DISK_FIELDS) > 0) {
                assert_true(sd_bus_message_read(m, "sb", &name, &partition) > 0);
                assert_true(sd_bus_message_skip(m, "as") >= 0);
                assert_true(sd_bus_message_read(m, "ssss", &serial, &bus, &target, &source) > 0);
                assert_true(sd_bus_message_skip(m, EXTRA_SIGNATURE) >= 0);
                assert_true(sd_bus_message_exit_container(m) >= 0);
                printf("# disk %s partition=%d serial=%s bus=%s target=%s source=%s\n", name, partition, serial, bus,
                       target, source);
                if (strcmp(serial, "GI-DATA-0001") == 0) {
                        found++;
                        assert_false(partition);
                        assert_string_equal(bus, "virtio");
                        assert_true(strlen(target) == 3 && strncmp(target, "vd", 2) == 0);
                        assert_non_null(strstr(source, "data.img"));
                        snprintf(data_device, sizeof data_device, "%s", name);
                }
        }
        sd_bus_message_unref(m);
        m = NULL;
        assert_int_equal(found, 1);
        assert_true(strncmp(data_device, "/dev/vd", 7) == 0);
        uint32_t count = 0;
        assert_true(harness_get_property(&H, agent_path, "org.guestinfod.GuestInfo1.Filesystems", "DiskCount", 'u',
                                         &count) >= 0);
        assert_true(count >= 1);

        /* a filesystem on that disk links to it by its device */
        assert_true(sd_bus_get_property(H.bus, "org.guestinfod.GuestInfo1", agent_path,
                                        "org.guestinfod.GuestInfo1.Filesystems", "Filesystems", &error, &m,
                                        "a" FILESYSTEM_SIGNATURE) >= 0);
        int linked = 0;
        assert_int_equal(sd_bus_message_enter_container(m, 'a', FILESYSTEM_SIGNATURE), 1);
        while (sd_bus_message_enter_container(m, 'r', FILESYSTEM_FIELDS) > 0) {
                assert_true(sd_bus_message_skip(m, "ssstt") >= 0);
                assert_int_equal(sd_bus_message_enter_container(m, 'a', FILESYSTEM_DISK_SIGNATURE), 1);
                while (sd_bus_message_enter_container(m, 'r', FILESYSTEM_DISK_FIELDS) > 0) {
                        assert_true(sd_bus_message_read(m, "ss", &serial, &bus) > 0);
                        assert_int_equal(sd_bus_message_enter_container(m, 'a', EXTRA_ENTRY_SIGNATURE), 1);
                        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                                const char *key, *value;
                                assert_true(sd_bus_message_read(m, "s", &key) > 0);
                                assert_true(sd_bus_message_read(m, "v", "s", &value) > 0);
                                if (strcmp(key, "Device") == 0 && strcmp(value, data_device) == 0 &&
                                    strcmp(serial, "GI-DATA-0001") == 0)
                                        linked++;
                                assert_true(sd_bus_message_exit_container(m) >= 0);
                        }
                        assert_true(sd_bus_message_exit_container(m) >= 0);
                        assert_true(sd_bus_message_exit_container(m) >= 0);
                }
                assert_true(sd_bus_message_exit_container(m) >= 0);
                assert_true(sd_bus_message_skip(m, EXTRA_SIGNATURE) >= 0);
                assert_true(sd_bus_message_exit_container(m) >= 0);
        }
        sd_bus_message_unref(m);
        assert_true(linked >= 1);
}

static int64_t read_clock_offset(void) {
        int64_t offset = 0;
        assert_true(harness_get_property(&H, agent_path, "org.guestinfod.GuestInfo1.OS", "ClockOffset", 'x', &offset) >=
                    0);
        return offset;
}

/* The guest's clock set an hour ahead through the agent (virsh domtime:
 * guest-set-time) shows as an offset of an hour, and back again. */
static void test_clock_offset(void **state) {
        int64_t offset = read_clock_offset();
        printf("# clock offset %.3f s\n", (double) offset / 1e6);
        assert_true(offset > -30 * INT64_C(1000000) && offset < 30 * INT64_C(1000000));

        /* the agent sets the time, then fails to write the guest's missing
         * RTC: its answer is not what is tested, the clock is */
        (void) harness_virsh(&H, "domtime %s --time %lld", AGENT_VM, (long long) time(NULL) + 3600);
        double t0 = harness_now();
        do {
                harness_settle(&H, 250);
                offset = read_clock_offset();
        } while ((offset < 3570 * INT64_C(1000000) || offset > 3630 * INT64_C(1000000)) && harness_now() - t0 < 20);
        printf("# clock offset %.3f s, %.1f s after the guest's clock was set an hour ahead\n", (double) offset / 1e6,
               harness_now() - t0);
        assert_true(offset >= 3570 * INT64_C(1000000) && offset <= 3630 * INT64_C(1000000));

        (void) harness_virsh(&H, "domtime %s --now", AGENT_VM);
        t0 = harness_now();
        do {
                harness_settle(&H, 250);
                offset = read_clock_offset();
        } while ((offset < -30 * INT64_C(1000000) || offset > 30 * INT64_C(1000000)) && harness_now() - t0 < 20);
        assert_true(offset > -30 * INT64_C(1000000) && offset < 30 * INT64_C(1000000));
}

/* One counter of GetCounters: of the entry called entry in the NIC (or
 * disk) list, or of the CPUs when entry is NULL; UINT64_MAX if absent. */
static uint64_t read_counter(bool disks, const char *entry, const char *counter, uint32_t *ret_cpus) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        uint64_t found = UINT64_MAX;
        const char *name, *key;
        uint64_t value;

        assert_true(sd_bus_call_method(H.bus, "org.guestinfod.GuestInfo1", agent_path, DOMAIN_IFACE,
                                       METHOD_GET_COUNTERS, &error, &m, "") >= 0);
        for (int part = 0; part < 3; part++) {
                bool list = part != 1;
                bool wanted = entry ? list && (part == 2) == disks : part == 1;
                if (list)
                        assert_int_equal(sd_bus_message_enter_container(m, 'a', COUNTER_ENTRY_SIGNATURE), 1);
                while (!list || sd_bus_message_enter_container(m, 'r', COUNTER_ENTRY_FIELDS) > 0) {
                        name = NULL;
                        if (list)
                                assert_true(sd_bus_message_read(m, "s", &name) > 0);
                        assert_int_equal(sd_bus_message_enter_container(m, 'a', "{st}"), 1);
                        while (sd_bus_message_read(m, "{st}", &key, &value) > 0)
                                if (wanted && (!entry || strcmp(name, entry) == 0) && strcmp(key, counter) == 0)
                                        found = value;
                        assert_true(sd_bus_message_exit_container(m) >= 0);
                        if (!list)
                                break;
                        assert_true(sd_bus_message_exit_container(m) >= 0);
                }
                if (list)
                        assert_true(sd_bus_message_exit_container(m) >= 0);
        }
        const char *k;
        assert_int_equal(sd_bus_message_enter_container(m, 'a', "{sv}"), 1);
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                assert_true(sd_bus_message_read(m, "s", &k) > 0);
                if (strcmp(k, "CpuCount") == 0 && ret_cpus)
                        assert_true(sd_bus_message_read(m, "v", "u", ret_cpus) > 0);
                else
                        assert_true(sd_bus_message_skip(m, "v") >= 0);
                assert_true(sd_bus_message_exit_container(m) >= 0);
        }
        sd_bus_message_unref(m);
        return found;
}

/* Waits until read_counter(...) is at least min; returns what it read. */
static uint64_t wait_counter(bool disks, const char *entry, const char *counter, uint64_t min) {
        double t0 = harness_now();
        uint64_t v;
        do {
                harness_settle(&H, 250);
                v = read_counter(disks, entry, counter, NULL);
        } while ((v == UINT64_MAX || v < min) && harness_now() - t0 < 20);
        return v;
}

/* Runs path with args (JSON strings, no spaces) inside the guest through
 * the agent's guest-exec; does not wait for it. */
static void guest_exec(const char *path, const char *args) {
        assert_int_equal(harness_virsh(&H,
                                       "qemu-agent-command %s {\"execute\":\"guest-exec\",\"arguments\":{\"path\":"
                                       "\"%s\",\"arg\":[%s]}}",
                                       AGENT_VM, path, args),
                         0);
}

/* Traffic and I/O inside the guest (run there through the agent's
 * guest-exec) move its NIC and disk counters; its CPUs' time moves. */
static void test_counters(void **state) {
        uint32_t cpus = 0;
        uint64_t user0 = read_counter(false, NULL, "user", &cpus), idle0 = read_counter(false, NULL, "idle", NULL);
        uint64_t lo0 = read_counter(false, "lo", "rx-packets", NULL);
        uint64_t sectors0 = read_counter(true, "vda", "read-sectors", NULL);
        printf("# counters: %u CPUs user %" PRIu64 " idle %" PRIu64 " ms; lo rx-packets %" PRIu64
               "; vda read-sectors %" PRIu64 "\n",
               cpus, user0, idle0, lo0, sectors0);
        assert_int_equal(cpus, 2);
        assert_true(user0 != UINT64_MAX && idle0 != UINT64_MAX);
        assert_true(lo0 != UINT64_MAX);
        assert_true(sectors0 != UINT64_MAX);

        /* 20 pings on the guest's loopback: 20 packets received, at least */
        guest_exec("/bin/ping", "\"-c\",\"20\",\"-i\",\"0.05\",\"127.0.0.1\"");
        uint64_t lo1 = wait_counter(false, "lo", "rx-packets", lo0 + 20);
        printf("# lo rx-packets %" PRIu64 " after 20 pings\n", lo1);
        assert_true(lo1 != UINT64_MAX && lo1 >= lo0 + 20);

        /* the whole 16 MiB data disk read, past the page cache: 32768 sectors */
        guest_exec("/bin/dd", "\"if=/dev/vda\",\"of=/dev/null\",\"bs=65536\",\"iflag=direct\"");
        uint64_t sectors1 = wait_counter(true, "vda", "read-sectors", sectors0 + 32768);
        printf("# vda read-sectors %" PRIu64 " after reading the disk\n", sectors1);
        assert_true(sectors1 != UINT64_MAX && sectors1 >= sectors0 + 32768);

        uint64_t idle1 = wait_counter(false, NULL, "idle", idle0 + 1);
        assert_true(idle1 > idle0);
}

/* A failed freeze test leaves no frozen guest behind. */
static int thaw_teardown(void **state) {
        (void) harness_virsh(&H, "domfsthaw %s", AGENT_VM);
        return 0;
}

static void test_agent_killed_and_back(void **state) {
        KindRow rows[N_KINDS];
        uint64_t transition_before = 0, transition_after = 0;

        assert_int_equal(
                harness_get_property(&H, agent_path, DOMAIN_IFACE, "AgentLastTransitionTime", 't', &transition_before),
                0);
        harness_clear_lines(&H);
        uint64_t killed = realtime_usec();
        assert_int_equal(guest_kill_agent(&H, AGENT_VM), 0);
        /* the reason while it is gone, as signalled */
        assert_true(harness_wait_line(&H, "GuestDataReason=agent-not-connected", 30000));
        double took = wait_status(agent_path, "", all_fresh, rows, 60);
        print_status("agent back", rows);
        assert_true(took >= 0);
        /* a new agent session: every time after the kill */
        for (size_t i = 0; i < N_KINDS; i++)
                assert_true(i == LOAD ? rows[i].collected == 0 : rows[i].collected >= killed);
        assert_int_equal(
                harness_get_property(&H, agent_path, DOMAIN_IFACE, "AgentLastTransitionTime", 't', &transition_after),
                0);
        assert_true(transition_after > transition_before);
        assert_true(transition_after >= killed);
}

static void test_agent_not_answering(void **state) {
        KindRow rows[N_KINDS];
        /* users and interfaces are polled every 10 s; the agent hangs longer
         * than that and the agent timeout (3 s) */
        assert_int_equal(guest_hang_agent(&H, AGENT_VM, 25), 0);
        double t0 = harness_now(), took = -1;
        while (harness_now() - t0 < 25 && took < 0) {
                read_status(agent_path, rows);
                for (size_t i = 0; i < N_KINDS; i++)
                        if (strcmp(rows[i].state, "timed-out") == 0) {
                                took = harness_now() - t0;
                                printf("# hung agent: %s timed-out after %.1f s: %s\n", rows[i].kind, took,
                                       rows[i].message);
                                /* why, said */
                                assert_true(rows[i].message[0] != '\0');
                                /* the value kept is visibly older than now */
                                assert_true(rows[i].collected < realtime_usec() - AGENT_TIMEOUT_S * 1000000ULL);
                                break;
                        }
                if (took < 0)
                        harness_settle(&H, 250);
        }
        print_status("hung agent", rows);
        assert_true(took >= 0);
        /* and fresh again once it answers */
        static const char *const users_fresh[N_KINDS] = { NULL, NULL,    NULL,    NULL, "fresh",
                                                          NULL, "fresh", "fresh", NULL, NULL };
        assert_true(wait_status(agent_path, "", users_fresh, rows, 60) >= 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_no_agent_channel),
                cmocka_unit_test(test_every_kind_fresh),
                cmocka_unit_test(test_vcpu_offline),
                cmocka_unit_test(test_disks),
                cmocka_unit_test(test_clock_offset),
                cmocka_unit_test(test_counters),
                cmocka_unit_test_teardown(test_freeze_and_thaw, thaw_teardown),
                cmocka_unit_test(test_agent_killed_and_back),
                cmocka_unit_test(test_agent_not_answering),
        };
        return cmocka_run_group_tests_name("e2e: freshness and reasons", tests, group_setup, group_teardown);
}
