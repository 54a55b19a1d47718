/* The whole-tree calls on a dbus-daemon with its default limits (32 MiB a
 * message: a bigger one gets its sender disconnected), served by the
 * daemon's own bus code from a model the test builds
 * (tests/helpers/fake-daemon.c), with maxed-out guests: every string at
 * 1 KiB and every list that travels at its cap.
 *
 * - GetManagedObjects built from the model says exactly what sd-bus said;
 * - a hundred maxed-out domains cost nobody the bus;
 * - a tree over the bus's limit gets LimitsExceeded naming the calls that
 *   work, and the daemon stays on the bus and answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bus-wire.h"
#include "fake-daemon.h"
#include "guest-profiles.h"
#include "harness.h"

#define BUS_NAME "org.guestinfod.GuestInfo1"
#define MANAGER_PATH "/org/guestinfod/GuestInfo1"
#define MANAGER_IFACE "org.guestinfod.GuestInfo1.Manager"

static Harness H;

static int group_setup(void **state) {
        assert_int_equal(harness_setup(&H), 0);
        return 0;
}

static int group_teardown(void **state) {
        harness_cleanup(&H);
        return 0;
}

/* ---- a canonical text of any message body ---- */

static void dump(sd_bus_message *m, FILE *f) {
        for (;;) {
                const char *contents;
                char type;
                int r = sd_bus_message_peek_type(m, &type, &contents);
                assert_true(r >= 0);
                if (r == 0)
                        return;
                if (type == 'a' || type == 'r' || type == 'e' || type == 'v') {
                        fprintf(f, "%c<%s>[", type, contents);
                        assert_true(sd_bus_message_enter_container(m, type, contents) > 0);
                        dump(m, f);
                        assert_true(sd_bus_message_exit_container(m) > 0);
                        fputs("]", f);
                        continue;
                }
                union {
                        uint8_t u8;
                        uint16_t u16;
                        uint32_t u32;
                        uint64_t u64;
                        double d;
                        const char *s;
                } v;
                assert_true(sd_bus_message_read_basic(m, type, &v) > 0);
                switch (type) {
                case 's':
                case 'o':
                case 'g':
                        fprintf(f, "%c'%s' ", type, v.s);
                        break;
                case 'y':
                        fprintf(f, "y%u ", v.u8);
                        break;
                case 'n':
                case 'q':
                        fprintf(f, "%c%u ", type, v.u16);
                        break;
                case 'd':
                        fprintf(f, "d%.17g ", v.d);
                        break;
                case 'x':
                case 't':
                        fprintf(f, "%c%llu ", type, (unsigned long long) v.u64);
                        break;
                default:
                        fprintf(f, "%c%u ", type, v.u32);
                }
        }
}

static int compare_lines(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* GetManagedObjects as text: one line per object, sorted (the order of
 * the objects is unspecified, the order inside each is not). */
static char *managed_objects_dump(sd_bus *bus, size_t *ret_n) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char **lines = NULL, *text = NULL;
        size_t n = 0, len = 0;

        assert_int_equal(sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                                            "GetManagedObjects", &error, &reply, ""),
                         1);
        assert_int_equal(sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}"), 1);
        while (sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}") > 0) {
                size_t l = 0;
                lines = realloc(lines, (n + 1) * sizeof *lines);
                FILE *f = open_memstream(&lines[n], &l);
                dump(reply, f);
                fclose(f);
                n++;
                assert_int_equal(sd_bus_message_exit_container(reply), 1);
        }
        sd_bus_message_unref(reply);
        qsort(lines, n, sizeof *lines, compare_lines);
        FILE *f = open_memstream(&text, &len);
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "%s\n", lines[i]);
                free(lines[i]);
        }
        fclose(f);
        free(lines);
        *ret_n = n;
        return text;
}

/* ---- GetManagedObjects from the model = sd-bus's own ---- */

#define UUID(n) "b0000000-0000-4000-8000-00000000000" #n
#define NIC(mac, alias)                                                                                                \
        "<interface type='network'><mac address='" mac "'/><source network='default'/><alias name='" alias             \
        "'/></interface>"

static const char *const full_guest[] = {
        "os.id=debian",
        "os.name=Debian GNU/Linux",
        "os.pretty-name=Debian GNU/Linux 12 (bookworm)",
        "os.version=12 (bookworm)",
        "os.version-id=12",
        "os.kernel-release=6.1.0-18-amd64",
        "os.kernel-version=#1 SMP PREEMPT_DYNAMIC",
        "os.machine=x86_64",
        "hostname=alpha.example",
        "timezone.name=CET",
        "timezone.offset=3600",
        "user.count=2",
        "user.0.name=root",
        "user.1.name=alice",
        "user.1.domain=CORP",
        "fs.count=1",
        "fs.0.name=vda1",
        "fs.0.mountpoint=/",
        "fs.0.fstype=ext4",
        "fs.0.disk.count=1",
        "fs.0.disk.0.serial=disk-1",
        "fs.0.disk.0.alias=vda",
        "if.count=2",
        "if.0.name=eth0",
        "if.0.hwaddr=52:54:00:aa:00:01",
        "if.0.addr.count=2",
        "if.0.addr.0.type=ipv6",
        "if.0.addr.0.addr=fe80::1",
        "if.0.addr.0.prefix=64",
        "if.0.addr.1.type=ipv4",
        "if.0.addr.1.addr=10.0.0.2",
        "if.0.addr.1.prefix=24",
        "if.1.name=docker0",
        "if.1.hwaddr=02:42:00:00:00:01",
        "if.1.addr.count=1",
        "if.1.addr.0.type=ipv4",
        "if.1.addr.0.addr=172.17.0.1",
        "if.1.addr.0.prefix=16",
        "guest-info={\"return\":{\"version\":\"7.2.19\",\"supported_commands\":["
        "{\"enabled\":true,\"name\":\"guest-info\"},{\"enabled\":false,\"name\":\"guest-exec\"}]}}",
        NULL,
};
static const char *const hostile_guest[] = {
        "os.pretty-name=Hotel \xef\xbf\xbf OS",
        "hostname=hotel\xff\x1b[31m",
        NULL,
};

static const FakeVm representative[] = {
        { "alpha", UUID(1), DOMAIN_STATE_RUNNING, true, NIC("52:54:00:aa:00:01", "net0"), full_guest, 0 },
        { "bravo", UUID(2), DOMAIN_STATE_RUNNING, true, NIC("52:54:00:bb:00:01", "net0"), full_guest,
          GUEST_KIND_OS | GUEST_KIND_USERS },
        /* agent connected, nothing collected: no OS, Users, Filesystems */
        { "charlie", UUID(3), DOMAIN_STATE_RUNNING, true, NULL, NULL, 0 },
        { "delta", UUID(4), DOMAIN_STATE_SHUTOFF, false, NIC("52:54:00:dd:00:01", "net0"), NULL, 0 },
        { "echo", UUID(5), DOMAIN_STATE_PAUSED, true, NULL, hostile_guest, 0 },
        { "\xc3\xad"
          "ndia",
          UUID(6), DOMAIN_STATE_RUNNING, true, NULL, hostile_guest, 0 },
};

/* Introspect of the domain objects' parent: its text up to the first
 * child exactly, then the children sorted (sd-bus lists them unordered). */
static char *introspect_domains_text(sd_bus *bus) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *xml;
        char **lines = NULL, *text = NULL;
        size_t n = 0, len = 0;

        assert_int_equal(sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH "/domain",
                                            "org.freedesktop.DBus.Introspectable", "Introspect", &error, &reply, ""),
                         1);
        assert_int_equal(sd_bus_message_read(reply, "s", &xml), 1);
        const char *children = strstr(xml, " <node name=");
        if (!children)
                children = strstr(xml, "</node>");
        assert_non_null(children);
        FILE *f = open_memstream(&text, &len);
        fwrite(xml, 1, children - xml, f);
        for (const char *p = children; *p;) {
                size_t l = strcspn(p, "\n");
                lines = realloc(lines, (n + 1) * sizeof *lines);
                lines[n++] = strndup(p, l);
                p += l + (p[l] == '\n');
        }
        qsort(lines, n, sizeof *lines, compare_lines);
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "%s\n", lines[i]);
                free(lines[i]);
        }
        fclose(f);
        free(lines);
        sd_bus_message_unref(reply);
        return text;
}

static void test_managed_objects_equal_sd_bus(void **state) {
        FakeDaemon server;
        Manager *m = NULL;
        size_t n_sd_bus = 0, n_ours = 0;

        assert_int_equal(fake_model_new(representative, ELEMENTSOF(representative), &m), 0);
        assert_int_equal(fake_daemon_start_full(&server, m, false, true), 0);
        char *sd_bus_text = managed_objects_dump(H.bus, &n_sd_bus);
        char *sd_bus_introspect = introspect_domains_text(H.bus);
        fake_daemon_stop(&server);

        assert_int_equal(fake_daemon_start_full(&server, m, false, false), 0);
        /* counted object by object the first time, then written straight */
        char *ours = managed_objects_dump(H.bus, &n_ours);
        size_t n_again = 0;
        char *again = managed_objects_dump(H.bus, &n_again);
        char *introspect = introspect_domains_text(H.bus);
        fake_daemon_stop(&server);
        assert_string_equal(introspect, sd_bus_introspect);
        free(introspect);
        free(sd_bus_introspect);
        assert_int_equal(n_again, n_ours);
        assert_string_equal(again, ours);
        free(again);

        assert_int_equal(n_sd_bus, ELEMENTSOF(representative));
        assert_int_equal(n_ours, n_sd_bus);
        if (strcmp(ours, sd_bus_text) != 0) {
                size_t k = 0;
                while (ours[k] == sd_bus_text[k])
                        k++;
                k = k > 100 ? k - 100 : 0;
                fprintf(stderr, "first difference after:\n sd-bus: %.300s\n ours:   %.300s\n", sd_bus_text + k,
                        ours + k);
        }
        assert_true(strcmp(ours, sd_bus_text) == 0);
        free(sd_bus_text);
        free(ours);
        manager_free(m);
}

/* ---- maxed-out guests ---- */

static Manager *maxed_model(size_t n) {
        Manager *m = guest_profile_model(n, guest_profile_maxed(), guest_profile_maxed_agent(), "maxed", 200);
        assert_non_null(m);
        return m;
}

/* The body size of a call's reply, or the error's name in *error_name. */
static uint64_t call_size(const char *iface, const char *member, char **error_name) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        uint64_t size = 0;

        /* a long timeout: the old code's fault is a disconnect, not a slow reply */
        int r = sd_bus_call_method(H.bus, BUS_NAME, MANAGER_PATH, iface, member, &error, &reply, "");
        *error_name = NULL;
        if (r < 0) {
                *error_name = strdup(error.name ? error.name : "none");
                printf("# %s: %s: %s\n", member, error.name, error.message);
        } else
                assert_int_equal(wire_body_size(reply, &size), 0);
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        return size;
}

/* The server still owns the name and answers a cheap call and a property. */
static void assert_still_on_the_bus(size_t n_domains) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        uint32_t count = 0;
        size_t n = 0;

        assert_int_equal(harness_get_property(&H, MANAGER_PATH, MANAGER_IFACE, "DomainCount", 'u', &count), 0);
        assert_int_equal(count, n_domains);
        assert_int_equal(
                sd_bus_call_method(H.bus, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "ListDomains", &error, &reply, ""), 1);
        assert_int_equal(sd_bus_message_enter_container(reply, 'a', "(sso)"), 1);
        while (sd_bus_message_skip(reply, "(sso)") > 0)
                n++;
        assert_int_equal(n, n_domains);
        sd_bus_message_unref(reply);
}

static void test_hundred_maxed_out_domains(void **state) {
        FakeDaemon server;
        Manager *m = maxed_model(100);
        char *error_name = NULL;

        assert_int_equal(fake_daemon_start(&server, m, false), 0);
        uint64_t size = call_size("org.freedesktop.DBus.ObjectManager", "GetManagedObjects", &error_name);
        printf("# GetManagedObjects of 100 maxed-out domains: %s\n", error_name ? error_name : "a reply");
        /* a reply the bus carried, or LimitsExceeded: never a disconnect */
        assert_true(!error_name || strcmp(error_name, SD_BUS_ERROR_LIMITS_EXCEEDED) == 0);
        free(error_name);
        size = call_size(MANAGER_IFACE, "ListSummaries", &error_name);
        printf("# ListSummaries of 100 maxed-out domains: %s (%.1f MiB)\n", error_name ? error_name : "a reply",
               size / 1048576.0);
        assert_true(!error_name || strcmp(error_name, SD_BUS_ERROR_LIMITS_EXCEEDED) == 0);
        free(error_name);
        assert_still_on_the_bus(100);
        fake_daemon_stop(&server);
        manager_free(m);
}

/* The most domains the test builds: a per-guest budget can make a summary
 * small enough that ListSummaries needs more than this. */
#define DOMAINS_MAX 4000

/* How many maxed-out domains make the whole-tree replies bigger than the
 * bus allows, from the size one of them takes in each: both if that takes
 * at most DOMAINS_MAX (*summaries_too), else GetManagedObjects. */
static size_t domains_over_the_limit(bool *summaries_too) {
        FakeDaemon server;
        Manager *m = maxed_model(1);
        char *error_name = NULL;

        assert_int_equal(fake_daemon_start(&server, m, false), 0);
        uint64_t object = call_size("org.freedesktop.DBus.ObjectManager", "GetManagedObjects", &error_name);
        assert_null(error_name);
        uint64_t summary = call_size(MANAGER_IFACE, "ListSummaries", &error_name);
        assert_null(error_name);
        fake_daemon_stop(&server);
        manager_free(m);

        size_t n_objects = (size_t) (BUS_MESSAGE_SIZE_MAX * 5 / 4 / object) + 1;
        size_t n_summaries = (size_t) (BUS_MESSAGE_SIZE_MAX * 5 / 4 / summary) + 1;
        assert_true(n_objects <= DOMAINS_MAX);
        *summaries_too = n_summaries <= DOMAINS_MAX;
        size_t n = *summaries_too && n_summaries > n_objects ? n_summaries : n_objects;
        printf("# one maxed-out domain: %llu bytes in GetManagedObjects, %llu in ListSummaries: %zu domains%s\n",
               (unsigned long long) object, (unsigned long long) summary, n,
               *summaries_too ? "" : " (ListSummaries fits them)");
        return n;
}

static void assert_limits_exceeded(const char *iface, const char *member) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;

        assert_true(sd_bus_call_method(H.bus, BUS_NAME, MANAGER_PATH, iface, member, &error, &reply, "") < 0);
        printf("# %s: %s: %s\n", member, error.name, error.message);
        assert_string_equal(error.name, SD_BUS_ERROR_LIMITS_EXCEEDED);
        /* it names what works instead */
        assert_non_null(strstr(error.message, "GetAll"));
        assert_non_null(strstr(error.message, strcmp(member, "ListSummaries") == 0 ? "ListDomains" : "ListSummaries"));
        sd_bus_error_free(&error);
}

static void test_tree_over_the_limit(void **state) {
        bool summaries_too = false;
        size_t n = domains_over_the_limit(&summaries_too);
        FakeDaemon server;
        Manager *m = maxed_model(n);

        assert_int_equal(fake_daemon_start(&server, m, false), 0);
        assert_limits_exceeded("org.freedesktop.DBus.ObjectManager", "GetManagedObjects");
        if (summaries_too)
                assert_limits_exceeded(MANAGER_IFACE, "ListSummaries");
        /* and again: nothing was sent that cost the bus connection */
        assert_limits_exceeded("org.freedesktop.DBus.ObjectManager", "GetManagedObjects");
        assert_still_on_the_bus(n);
        fake_daemon_stop(&server);
        manager_free(m);
}

/* ---- one domain as wide as the caps allow ---- */

static char **wide_kv;
static size_t n_wide;

static void add_pair(const char *key, const char *value) {
        wide_kv = realloc(wide_kv, (n_wide + 2) * sizeof *wide_kv);
        assert_true(asprintf(&wide_kv[n_wide++], "%s=%s", key, value) > 0);
        wide_kv[n_wide] = NULL;
}

/* A 1 KiB string of control characters: JSON writes each in 6 bytes. */
static void add_controls(const char *key, unsigned i, unsigned k) {
        char value[GUEST_STRING_MAX + 1];
        int n = snprintf(value, sizeof value, "%u-%u-", i, k);
        memset(value + n, '\x01', GUEST_STRING_MAX - n);
        value[GUEST_STRING_MAX] = 0;
        add_pair(key, value);
}

static void add_number(const char *key, unsigned v) {
        char value[16];
        snprintf(value, sizeof value, "%u", v);
        add_pair(key, value);
}

/* 256 NICs, each merged with a guest interface of 32 addresses; 256
 * users; 256 filesystems of 16 disks: every string 1 KiB of control
 * characters. */
static void test_widest_domain_replies(void **state) {
        char *devices = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&devices, &len);

        char key[64], mac[32];
        add_number("if.count", DOMAIN_NICS_MAX);
        add_number("user.count", GUEST_USERS_MAX);
        add_number("fs.count", GUEST_FILESYSTEMS_MAX);
        for (unsigned i = 0; i < DOMAIN_NICS_MAX; i++) {
                snprintf(mac, sizeof mac, "52:54:00:00:%02x:%02x", i >> 8, i & 0xff);
                fprintf(f,
                        "<interface type='network'><mac address='%s'/><source network='default'/>"
                        "<alias name='net%u'/></interface>",
                        mac, i);
                snprintf(key, sizeof key, "if.%u.name", i);
                add_controls(key, i, 0);
                snprintf(key, sizeof key, "if.%u.hwaddr", i);
                add_pair(key, mac);
                snprintf(key, sizeof key, "if.%u.addr.count", i);
                add_number(key, GUEST_ADDRESSES_MAX);
                for (unsigned k = 0; k < GUEST_ADDRESSES_MAX; k++) {
                        snprintf(key, sizeof key, "if.%u.addr.%u.type", i, k);
                        add_pair(key, "ipv4");
                        snprintf(key, sizeof key, "if.%u.addr.%u.addr", i, k);
                        add_controls(key, i, k);
                }
        }
        for (unsigned i = 0; i < GUEST_USERS_MAX; i++) {
                snprintf(key, sizeof key, "user.%u.name", i);
                add_controls(key, i, 0);
                snprintf(key, sizeof key, "user.%u.domain", i);
                add_controls(key, i, 1);
        }
        for (unsigned i = 0; i < GUEST_FILESYSTEMS_MAX; i++) {
                snprintf(key, sizeof key, "fs.%u.name", i);
                add_controls(key, i, 0);
                snprintf(key, sizeof key, "fs.%u.mountpoint", i);
                add_controls(key, i, 1);
                snprintf(key, sizeof key, "fs.%u.fstype", i);
                add_controls(key, i, 2);
                snprintf(key, sizeof key, "fs.%u.disk.count", i);
                add_number(key, GUEST_FS_DISKS_MAX);
                for (unsigned k = 0; k < GUEST_FS_DISKS_MAX; k++) {
                        snprintf(key, sizeof key, "fs.%u.disk.%u.serial", i, k);
                        add_controls(key, i, k);
                }
        }
        fclose(f);

        FakeVm vm = { "wide", UUID(9), DOMAIN_STATE_RUNNING, true, devices, (const char *const *) wide_kv, 0 };
        FakeDaemon server;
        Manager *m = NULL;
        char *path = NULL;
        assert_int_equal(fake_model_new(&vm, 1, &m), 0);
        assert_int_equal(fake_daemon_start(&server, m, false), 0);
        harness_domain_path(UUID(9), &path);

        static const struct {
                const char *iface, *member, *types;
        } calls[] = {
                { "org.guestinfod.GuestInfo1.Domain", "GetInterfaces", "" },
                { "org.guestinfod.GuestInfo1.Domain", "GetFilesystemList", "" },
                { "org.guestinfod.GuestInfo1.Domain", "GetUserList", "" },
                { "org.guestinfod.GuestInfo1.Domain", "GetGuestOSInfo", "" },
                { "org.guestinfod.GuestInfo1.Users", "ListUsers", "" },
                { "org.guestinfod.GuestInfo1.Filesystems", "ListFilesystems", "" },
                { "org.freedesktop.DBus.Properties", "GetAll", "s" },
        };
        static const char *const interfaces[] = {
                "org.guestinfod.GuestInfo1.Domain",      "org.guestinfod.GuestInfo1.Network",
                "org.guestinfod.GuestInfo1.OS",          "org.guestinfod.GuestInfo1.Users",
                "org.guestinfod.GuestInfo1.Filesystems",
        };
        for (size_t i = 0; i < ELEMENTSOF(calls); i++)
                for (size_t k = 0; k < (calls[i].types[0] ? ELEMENTSOF(interfaces) : 1); k++) {
                        sd_bus_error error = SD_BUS_ERROR_NULL;
                        sd_bus_message *reply = NULL;
                        uint64_t size = 0;
                        int r = calls[i].types[0]
                                        ? sd_bus_call_method(H.bus, BUS_NAME, path, calls[i].iface, calls[i].member,
                                                             &error, &reply, "s", interfaces[k])
                                        : sd_bus_call_method(H.bus, BUS_NAME, path, calls[i].iface, calls[i].member,
                                                             &error, &reply, "");
                        if (r >= 0)
                                assert_int_equal(wire_body_size(reply, &size), 0);
                        printf("# widest domain: %s %s: %s (%.1f MiB)\n", calls[i].member,
                               calls[i].types[0] ? interfaces[k] : "", r >= 0 ? "a reply" : error.name,
                               size / 1048576.0);
                        /* a reply the bus carried, or LimitsExceeded: never a disconnect */
                        assert_true(r >= 0 || sd_bus_error_has_name(&error, SD_BUS_ERROR_LIMITS_EXCEEDED));
                        sd_bus_error_free(&error);
                        sd_bus_message_unref(reply);
                }
        assert_still_on_the_bus(1);
        fake_daemon_stop(&server);
        manager_free(m);
        free(path);
        free(devices);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_managed_objects_equal_sd_bus),
                cmocka_unit_test(test_hundred_maxed_out_domains),
                cmocka_unit_test(test_tree_over_the_limit),
                cmocka_unit_test(test_widest_domain_replies),
        };
        return cmocka_run_group_tests_name("bus: the whole tree within the bus's limits", tests, group_setup,
                                           group_teardown);
}
