/* The daemon on a private bus, watching a hand-started libvirtd that serves
 * libvirt's test hypervisor; virsh, a separate process, changes the domains. */
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
#include <libvirt/libvirt.h>

#include "expect.h"
#include "guestinfo-names.h"
#include "harness.h"
#include "summaries.h"

#define MANAGER_PATH "/org/guestinfod/GuestInfo1"
#define MANAGER_IFACE "org.guestinfod.GuestInfo1.Manager"
#define DOMAIN_IFACE "org.guestinfod.GuestInfo1.Domain"
#define TEST_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f" /* the "test" domain of test:///default */
#define VM1_UUID "11111111-2222-3333-4444-000000000001"
#define VM2_UUID "11111111-2222-3333-4444-000000000002"
#define TIMEOUT_MS 10000

static Harness H;

static int group_setup(void **state) {
        assert_int_equal(harness_setup_test_daemon(&H, 30, NULL), 0);
        return 0;
}

static int group_teardown(void **state) {
        /* SIGTERM: a clean exit, nothing leaked (under ASan) */
        int status = harness_stop_daemon(&H);
        harness_cleanup(&H);
        assert_int_equal(status, 0);
        return 0;
}

static int test_setup(void **state) {
        harness_settle(&H, 100);
        harness_clear_lines(&H);
        return 0;
}

static int test_teardown(void **state) {
        /* whatever a test did, the daemon must still be there */
        assert_true(harness_daemon_running(&H));
        /* and a failed test leaves nothing behind for the next one */
        const char *names[] = { "vm1", "vm1-renamed", "vm2" };
        for (size_t i = 0; i < sizeof names / sizeof *names; i++)
                if (harness_virsh(&H, "domuuid %s", names[i]) == 0) {
                        harness_virsh(&H, "destroy %s", names[i]);
                        harness_virsh(&H, "undefine %s", names[i]);
                }
        return 0;
}

/* ListDomains as "name uuid path" lines, sorted. */
static char *list_domains(void) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char *buf = NULL;
        size_t len = 0;
        const char *name, *uuid, *path;

        int r = sd_bus_call_method(H.bus, "org.guestinfod.GuestInfo1", MANAGER_PATH, MANAGER_IFACE, "ListDomains",
                                   &error, &reply, "");
        assert_int_equal(r, 1);
        FILE *f = open_memstream(&buf, &len);
        assert_true(sd_bus_message_enter_container(reply, 'a', "(sso)") > 0);
        while (sd_bus_message_read(reply, "(sso)", &name, &uuid, &path) > 0) {
                char *expected;
                harness_domain_path(uuid, &expected);
                assert_string_equal(path, expected);
                free(expected);
                fprintf(f, "%s %s\n", uuid, name);
        }
        fclose(f);
        sd_bus_message_unref(reply);

        /* sort the lines: the daemon's order is unspecified */
        char *out = NULL;
        char *argv[] = { "sh", "-c", "printf '%s' \"$0\" | sort", buf, NULL };
        assert_int_equal(harness_run(argv, 10, &out), 0);
        free(buf);
        return out;
}

/* virsh's view, in the same form. */
static char *virsh_domains(void) {
        char *out = NULL;
        char cmd[3000];
        snprintf(cmd, sizeof cmd,
                 "for u in $(virsh -q -c '%s' list --all --uuid); do echo \"$u $(virsh -q -c '%s' domname $u)\"; done "
                 "| sort",
                 H.uri, H.uri);
        char *argv[] = { "sh", "-c", cmd, NULL };
        assert_int_equal(harness_run(argv, 30, &out), 0);
        return out;
}

static void test_initial_objects(void **state) {
        char *uri = NULL, *version = NULL, *name = NULL, *path = NULL;
        int connected = 0, persistent = 0;
        uint32_t count = 0;
        int32_t id = 0;

        printf("# guestinfod ready %.3f s after start\n", H.ready_seconds);
        assert_int_equal(harness_get_property(&H, MANAGER_PATH, MANAGER_IFACE, "URI", 's', &uri), 0);
        assert_string_equal(uri, H.uri);
        assert_int_equal(harness_get_property(&H, MANAGER_PATH, MANAGER_IFACE, "Version", 's', &version), 0);
        assert_true(strlen(version) > 0);
        assert_int_equal(harness_get_property(&H, MANAGER_PATH, MANAGER_IFACE, "Connected", 'b', &connected), 0);
        assert_true(connected);
        assert_int_equal(harness_get_property(&H, MANAGER_PATH, MANAGER_IFACE, "DomainCount", 'u', &count), 0);
        assert_int_equal(count, 1);

        char *ours = list_domains(), *theirs = virsh_domains();
        assert_string_equal(ours, theirs);
        assert_string_equal(ours, TEST_UUID " test\n");

        harness_domain_path(TEST_UUID, &path);
        assert_int_equal(harness_get_property(&H, path, DOMAIN_IFACE, "Name", 's', &name), 0);
        assert_string_equal(name, "test");
        assert_int_equal(harness_get_property(&H, path, DOMAIN_IFACE, "Persistent", 'b', &persistent), 0);
        assert_true(persistent);
        assert_int_equal(harness_get_property(&H, path, DOMAIN_IFACE, "Id", 'i', &id), 0);
        assert_true(id > 0);
        free(uri), free(version), free(name), free(path), free(ours), free(theirs);
}

static void test_lifecycle_signals(void **state) {
        const char *xml = harness_test_domain_xml(&H, "vm1", VM1_UUID);

        assert_int_equal(harness_virsh(&H, "define %s", xml), 0);
        assert_true(harness_wait_line(&H, "DomainCount=2", TIMEOUT_MS));
        harness_settle(&H, 300);
        assert_lines(&H,
                     "InterfacesAdded " VM1_UUID " Domain(Name=vm1 UUID=" VM1_UUID
                     " State=shutoff Persistent=true Id=-1"
                     " AgentConnected=false AgentLastTransitionTime=0 AgentLastProbeTime=0 AgentVersion="
                     " GuestDataStatus=<a(sstsa{sv})> GuestDataReason=not-running FsFreezeStatus=)"
                     " Network(Interfaces=<a(sssa(ssy)asa{sv})>)",
                     "PropertiesChanged manager DomainCount=2");
        harness_clear_lines(&H);

        assert_int_equal(harness_virsh(&H, "start vm1"), 0);
        assert_true(harness_wait_line(&H, "State=running", TIMEOUT_MS));
        harness_settle(&H, 300);
        assert_lines(&H, "PropertiesChanged " VM1_UUID " State=running Id=[1-9]* GuestDataReason=no-agent-channel");
        harness_clear_lines(&H);

        assert_int_equal(harness_virsh(&H, "suspend vm1"), 0);
        assert_true(harness_wait_line(&H, "State=paused", TIMEOUT_MS));
        harness_settle(&H, 300);
        assert_lines(&H, "PropertiesChanged " VM1_UUID " State=paused GuestDataReason=paused");
        harness_clear_lines(&H);

        assert_int_equal(harness_virsh(&H, "resume vm1"), 0);
        assert_true(harness_wait_line(&H, "State=running", TIMEOUT_MS));
        harness_settle(&H, 300);
        assert_lines(&H, "PropertiesChanged " VM1_UUID " State=running GuestDataReason=no-agent-channel");
        harness_clear_lines(&H);

        assert_int_equal(harness_virsh(&H, "destroy vm1"), 0);
        assert_true(harness_wait_line(&H, "State=shutoff", TIMEOUT_MS));
        harness_settle(&H, 300);
        assert_lines(&H, "PropertiesChanged " VM1_UUID " State=shutoff Id=-1 GuestDataReason=not-running");
        harness_clear_lines(&H);

        assert_int_equal(harness_virsh(&H, "undefine vm1"), 0);
        assert_true(harness_wait_line(&H, "DomainCount=1", TIMEOUT_MS));
        harness_settle(&H, 300);
        assert_lines(&H, "InterfacesRemoved " VM1_UUID " Domain Network", "PropertiesChanged manager DomainCount=1");
}

static void test_transient_domain(void **state) {
        const char *xml = harness_test_domain_xml(&H, "vm2", VM2_UUID);

        assert_int_equal(harness_virsh(&H, "create %s", xml), 0);
        assert_true(harness_wait_line(&H, "DomainCount=2", TIMEOUT_MS));
        harness_settle(&H, 300);
        assert_lines(&H,
                     "InterfacesAdded " VM2_UUID " Domain(Name=vm2 UUID=" VM2_UUID
                     " State=running Persistent=false Id=[1-9]*"
                     " AgentConnected=false AgentLastTransitionTime=0 AgentLastProbeTime=0 AgentVersion="
                     " GuestDataStatus=<a(sstsa{sv})> GuestDataReason=no-agent-channel FsFreezeStatus=)"
                     " Network(Interfaces=<a(sssa(ssy)asa{sv})>)",
                     "PropertiesChanged manager DomainCount=2");
        harness_clear_lines(&H);

        assert_int_equal(harness_virsh(&H, "destroy vm2"), 0);
        assert_true(harness_wait_line(&H, "DomainCount=1", TIMEOUT_MS));
        harness_settle(&H, 300);
        assert_lines(&H, "InterfacesRemoved " VM2_UUID " Domain Network", "PropertiesChanged manager DomainCount=1");
}

static void test_rename_keeps_object(void **state) {
        const char *xml = harness_test_domain_xml(&H, "vm1", VM1_UUID);
        char *path = NULL, *name = NULL;

        assert_int_equal(harness_virsh(&H, "define %s", xml), 0);
        assert_true(harness_wait_line(&H, "DomainCount=2", TIMEOUT_MS));
        harness_clear_lines(&H);

        assert_int_equal(harness_virsh(&H, "domrename vm1 vm1-renamed"), 0);
        assert_true(harness_wait_line(&H, "Name=vm1-renamed", TIMEOUT_MS));
        harness_settle(&H, 300);
        /* the same object, a new name: no InterfacesRemoved/Added */
        assert_lines(&H, "PropertiesChanged " VM1_UUID " Name=vm1-renamed");
        harness_domain_path(VM1_UUID, &path);
        assert_int_equal(harness_get_property(&H, path, DOMAIN_IFACE, "Name", 's', &name), 0);
        assert_string_equal(name, "vm1-renamed");

        harness_clear_lines(&H);
        assert_int_equal(harness_virsh(&H, "undefine vm1-renamed"), 0);
        assert_true(harness_wait_line(&H, "DomainCount=1", TIMEOUT_MS));
        free(path), free(name);
}

static void call_expect_error(const char *method, const char *arg, const char *error_name) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = sd_bus_call_method(H.bus, "org.guestinfod.GuestInfo1", MANAGER_PATH, MANAGER_IFACE, method, &error,
                                   &reply, "s", arg);
        assert_true(r < 0);
        if (strcmp(error.name, error_name) != 0)
                fprintf(stderr, "%s(%.40s): got %s (%s)\n", method, arg, error.name, error.message);
        assert_string_equal(error.name, error_name);
        assert_non_null(error.message);
        sd_bus_error_free(&error);
}

static char *call_get_path(const char *method, const char *arg) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *path;
        int r = sd_bus_call_method(H.bus, "org.guestinfod.GuestInfo1", MANAGER_PATH, MANAGER_IFACE, method, &error,
                                   &reply, "s", arg);
        assert_int_equal(r, 1);
        assert_int_equal(sd_bus_message_read(reply, "o", &path), 1);
        char *copy = strdup(path);
        sd_bus_message_unref(reply);
        return copy;
}

static void test_lookups_and_bad_arguments(void **state) {
        char *expected = NULL, *p;
        char longname[5000];

        harness_domain_path(TEST_UUID, &expected);
        p = call_get_path("GetDomainByName", "test");
        assert_string_equal(p, expected);
        free(p);
        p = call_get_path("GetDomainByUUID", TEST_UUID);
        assert_string_equal(p, expected);
        free(p);
        /* upper case and without dashes are the same UUID */
        p = call_get_path("GetDomainByUUID", "6695EB01F6A4830479AA97F2502E193F");
        assert_string_equal(p, expected);
        free(p);
        free(expected);

        call_expect_error("GetDomainByName", "", "org.freedesktop.DBus.Error.InvalidArgs");
        call_expect_error("GetDomainByName", "no-such-vm", "org.guestinfod.GuestInfo1.Error.NoSuchDomain");
        memset(longname, 'x', sizeof longname - 1);
        longname[sizeof longname - 1] = '\0';
        call_expect_error("GetDomainByName", longname, "org.freedesktop.DBus.Error.InvalidArgs");
        call_expect_error("GetDomainByUUID", "", "org.freedesktop.DBus.Error.InvalidArgs");
        call_expect_error("GetDomainByUUID", "not-a-uuid", "org.freedesktop.DBus.Error.InvalidArgs");
        call_expect_error("GetDomainByUUID", longname, "org.freedesktop.DBus.Error.InvalidArgs");
        call_expect_error("GetDomainByUUID", "00000000-0000-0000-0000-000000000000",
                          "org.guestinfod.GuestInfo1.Error.NoSuchDomain");

        /* wrong argument type: the bus layer refuses it, by name */
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(H.bus, "org.guestinfod.GuestInfo1", MANAGER_PATH, MANAGER_IFACE, "GetDomainByName",
                                   &error, NULL, "u", 42);
        assert_true(r < 0);
        assert_string_equal(error.name, "org.freedesktop.DBus.Error.InvalidArgs");
        sd_bus_error_free(&error);

        /* a domain path that does not exist */
        char *missing = NULL, *name = NULL;
        harness_domain_path("00000000-0000-0000-0000-000000000000", &missing);
        r = sd_bus_get_property_string(H.bus, "org.guestinfod.GuestInfo1", missing, DOMAIN_IFACE, "Name", &error,
                                       &name);
        assert_true(r < 0);
        assert_string_equal(error.name, "org.freedesktop.DBus.Error.UnknownObject");
        sd_bus_error_free(&error);
        free(missing);
}

static void compare_introspection(const char *path, const char *iface) {
        assert_int_equal(harness_introspection_matches(&H, path, iface), 0);
}

static void test_introspection_matches_dbus_xml(void **state) {
        char *path = NULL;
        compare_introspection(MANAGER_PATH, MANAGER_IFACE);
        harness_domain_path(TEST_UUID, &path);
        compare_introspection(path, DOMAIN_IFACE);
        compare_introspection(path, "org.guestinfod.GuestInfo1.Network");
        free(path);
        /* OS, Users and Filesystems need a real agent: tests/e2e compares them */
}

/* The start-up list reads state and persistence in bulk: every mix must come
 * out as libvirt says, as it does for domains followed live. */
static void check_domain(const char *uuid, const char *state, bool persistent, bool running) {
        char *path = NULL, *s = NULL;
        int p = -1;
        int32_t id = 0;

        harness_domain_path(uuid, &path);
        assert_int_equal(harness_get_property(&H, path, DOMAIN_IFACE, "State", 's', &s), 0);
        assert_string_equal(s, state);
        assert_int_equal(harness_get_property(&H, path, DOMAIN_IFACE, "Persistent", 'b', &p), 0);
        assert_int_equal(p, persistent);
        assert_int_equal(harness_get_property(&H, path, DOMAIN_IFACE, "Id", 'i', &id), 0);
        if (running)
                assert_true(id > 0);
        else
                assert_int_equal(id, -1);
        free(path), free(s);
}

static void test_start_reads_every_state(void **state) {
        /* libvirtd drops test:///default with its last connection: hold one
         * while guestinfod restarts. */
        virConnectPtr keep = virConnectOpen(H.uri);
        assert_non_null(keep);
        assert_int_equal(harness_virsh(&H, "define %s", harness_test_domain_xml(&H, "vm1", VM1_UUID)), 0);
        assert_int_equal(harness_virsh(&H, "create %s", harness_test_domain_xml(&H, "vm2", VM2_UUID)), 0);
        assert_int_equal(harness_virsh(&H, "suspend test"), 0);
        assert_true(harness_wait_line(&H, "DomainCount=3", TIMEOUT_MS));
        assert_true(harness_wait_line(&H, "State=paused", TIMEOUT_MS));

        assert_int_equal(harness_stop_daemon(&H), 0);
        int r = harness_start_daemon(&H, H.uri, 30, NULL);
        assert_int_equal(r, 0);

        check_domain(TEST_UUID, "paused", true, true);
        check_domain(VM1_UUID, "shutoff", true, false);
        check_domain(VM2_UUID, "running", false, true);
        char *ours = list_domains(), *theirs = virsh_domains();
        assert_string_equal(ours, theirs);
        free(ours), free(theirs);

        assert_int_equal(harness_virsh(&H, "resume test"), 0);
        assert_true(harness_wait_line(&H, "State=running", TIMEOUT_MS));
        virConnectClose(keep);
}

/* A burst of state changes on one domain: at most one PropertiesChanged per
 * 10 ms window, the last one with the final value. Bounded by the time the
 * signals took to arrive, whatever the load: n signals need at least
 * (n - 1) windows between the burst's start and the last one's arrival. */
static void test_burst_is_throttled(void **state) {
        const size_t changes = 400;
        virConnectPtr conn = virConnectOpen(H.uri);
        assert_non_null(conn);
        virDomainPtr dom = virDomainLookupByName(conn, "test");
        assert_non_null(dom);

        double t0 = harness_now();
        for (size_t i = 0; i < changes; i += 2) {
                assert_int_equal(virDomainSuspend(dom), 0);
                assert_int_equal(virDomainResume(dom), 0);
        }
        /* End on another state than the start: a burst that ends where it
         * began may rightly send nothing at all. */
        assert_int_equal(virDomainSuspend(dom), 0);
        double burst = harness_now() - t0, last = t0;
        size_t seen = 0;
        /* until nothing has come for half a second */
        while (harness_now() - last < 0.5 && harness_now() - t0 < 30) {
                harness_settle(&H, 10);
                if (H.n_lines != seen) {
                        seen = H.n_lines;
                        last = harness_now();
                }
        }

        size_t signals = 0;
        const char *final = NULL;
        for (size_t i = 0; i < H.n_lines; i++)
                if (strstr(H.lines[i], "PropertiesChanged " TEST_UUID) && strstr(H.lines[i], "State=")) {
                        signals++;
                        final = H.lines[i];
                }
        printf("# %zu changes in %.3f s: %zu signals, the last %.3f s after the start\n", changes + 1, burst, signals,
               last - t0);
        assert_non_null(final);
        assert_non_null(strstr(final, "State=paused"));
        assert_true(signals >= 1);
        assert_true((double) (signals - 1) * 0.010 <= last - t0);
        char *s = NULL;
        char *path = NULL;
        harness_domain_path(TEST_UUID, &path);
        assert_int_equal(harness_get_property(&H, path, DOMAIN_IFACE, "State", 's', &s), 0);
        assert_string_equal(s, "paused");
        free(s), free(path);
        assert_int_equal(virDomainResume(dom), 0);
        virDomainFree(dom);
        virConnectClose(conn);
}

/* The value a State=... token of line carries (static), or NULL. */
static const char *state_in(const char *line) {
        static char value[64];
        const char *s = strstr(line, " State=");
        if (!s)
                return NULL;
        s += strlen(" State=");
        size_t n = strcspn(s, " ");
        snprintf(value, sizeof value, "%.*s", (int) n, s);
        return value;
}

/* The signal that ends a 10 ms window must not repeat the State the
 * client already has. Each round: a suspend that is signalled at once
 * (opening a window), then a resume and a suspend a few ms apart, inside
 * that window, then a resume after it. Each PropertiesChanged of the domain
 * carries a State other than the one before it (the first: other than the
 * value read before), and the last one is the real one. */
static void sleep_ms(long ms) {
        struct timespec pause = { ms / 1000, (ms % 1000) * 1000000L };
        nanosleep(&pause, NULL);
}

static void test_suspend_resume_sends_no_repeat(void **state) {
        const size_t rounds = 12;
        virConnectPtr conn = virConnectOpen(H.uri);
        assert_non_null(conn);
        virDomainPtr dom = virDomainLookupByName(conn, "test");
        assert_non_null(dom);
        char *path = NULL, *before = NULL, *after = NULL;
        assert_int_equal(harness_domain_path(TEST_UUID, &path), 0);
        assert_int_equal(harness_get_property(&H, path, DOMAIN_IFACE, "State", 's', &before), 0);
        assert_string_equal(before, "running");
        harness_clear_lines(&H);

        for (size_t i = 0; i < rounds; i++) {
                long gap = 1 + (long) (i % 3);
                assert_int_equal(virDomainSuspend(dom), 0);
                sleep_ms(gap);
                assert_int_equal(virDomainResume(dom), 0);
                sleep_ms(gap);
                assert_int_equal(virDomainSuspend(dom), 0);
                sleep_ms(30);
                assert_int_equal(virDomainResume(dom), 0);
                sleep_ms(30);
        }
        /* until nothing has come for half a second */
        double last = harness_now(), t0 = last;
        size_t seen = 0;
        while (harness_now() - last < 0.5 && harness_now() - t0 < 30) {
                harness_settle(&H, 10);
                if (H.n_lines != seen) {
                        seen = H.n_lines;
                        last = harness_now();
                }
        }

        char told[64];
        size_t signals = 0, repeats = 0;
        snprintf(told, sizeof told, "%s", before);
        for (size_t i = 0; i < H.n_lines; i++) {
                const char *value = strstr(H.lines[i], "PropertiesChanged " TEST_UUID) ? state_in(H.lines[i]) : NULL;
                if (!value)
                        continue;
                signals++;
                if (strcmp(value, told) == 0) {
                        repeats++;
                        fprintf(stderr, "repeated State=%s: %s\n", value, H.lines[i]);
                }
                snprintf(told, sizeof told, "%s", value);
        }
        printf("# %zu rounds: %zu State signals, %zu repeats\n", rounds, signals, repeats);
        assert_int_equal(repeats, 0);
        assert_int_equal(harness_get_property(&H, path, DOMAIN_IFACE, "State", 's', &after), 0);
        assert_string_equal(after, "running");
        assert_string_equal(told, after);
        free(before), free(after), free(path);
        virDomainFree(dom);
        virConnectClose(conn);
}

/* ---- ListSummaries ---- */

#define VM1_XML_NICS                                                                                                   \
        "    <interface type='network'>\n"                                                                             \
        "      <mac address='52:54:00:00:51:01'/><source network='default'/>\n"                                        \
        "      <ip address='2001:db8::10' family='ipv6' prefix='64'/>\n"                                               \
        "      <ip address='192.0.2.10' family='ipv4' prefix='24'/>\n"                                                 \
        "    </interface>\n"                                                                                           \
        "    <interface type='network'>\n"                                                                             \
        "      <mac address='52:54:00:00:51:02'/><source network='default'/>\n"                                        \
        "    </interface>\n"                                                                                           \
        "    <interface type='network'>\n"                                                                             \
        "      <mac address='52:54:00:00:51:03'/><source network='default'/>\n"                                        \
        "      <ip address='198.51.100.7'/>\n"                                                                         \
        "    </interface>\n"
#define VM2_XML_NICS                                                                                                   \
        "    <interface type='network'>\n"                                                                             \
        "      <mac address='52:54:00:00:52:01'/><source network='default'/>\n"                                        \
        "      <ip address='203.0.113.5' family='ipv4' prefix='32'/>\n"                                                \
        "    </interface>\n"                                                                                           \
        "    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>\n"

/* A test-driver domain with these devices; returns the XML file's path (static). */
static const char *domain_xml_with(const char *name, const char *uuid, const char *devices) {
        static char path[400];
        snprintf(path, sizeof path, "%s/%s-devices.xml", H.dir, name);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fprintf(f,
                "<domain type='test'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n  <memory>8192</memory>\n"
                "  <os><type>hvm</type></os>\n  <devices>\n%s  </devices>\n</domain>\n",
                name, uuid, devices);
        fclose(f);
        return path;
}

/* vm1's Network.Interfaces, field by field: its three NICs in XML order,
 * each address a (family, address, prefix) with IPv4 first, the prefix 0
 * where the XML has none, the source list ["domain"], an empty a{sv}. */
static void check_vm1_network(void) {
        static const struct {
                const char *mac;
                const char *addresses[2][2]; /* family, address */
                uint8_t prefixes[2];
                unsigned n;
        } expected[] = {
                { "52:54:00:00:51:01", { { "ipv4", "192.0.2.10" }, { "ipv6", "2001:db8::10" } }, { 24, 64 }, 2 },
                { "52:54:00:00:51:02", { { NULL } }, { 0 }, 0 },
                { "52:54:00:00:51:03", { { "ipv4", "198.51.100.7" } }, { 0 }, 1 },
        };
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        char *path = NULL;
        size_t i = 0;

        harness_domain_path(VM1_UUID, &path);
        assert_true(sd_bus_get_property(H.bus, BUS_NAME, path, NETWORK_INTERFACE, "Interfaces", &error, &m,
                                        "a" INTERFACE_SIGNATURE) >= 0);
        assert_int_equal(sd_bus_message_enter_container(m, 'a', INTERFACE_SIGNATURE), 1);
        while (sd_bus_message_enter_container(m, 'r', INTERFACE_FIELDS) > 0) {
                const char *name, *ifname, *mac, *family, *address, *source;
                uint8_t prefix;
                unsigned k = 0;

                assert_true(i < (sizeof expected / sizeof *expected));
                assert_int_equal(sd_bus_message_read(m, "sss", &name, &ifname, &mac), 1);
                assert_string_equal(ifname, ""); /* no agent: the guest's name is unknown */
                assert_string_equal(mac, expected[i].mac);
                assert_int_equal(sd_bus_message_enter_container(m, 'a', ADDRESS_SIGNATURE), 1);
                while (sd_bus_message_read(m, ADDRESS_SIGNATURE, &family, &address, &prefix) > 0) {
                        assert_true(k < expected[i].n);
                        assert_string_equal(family, expected[i].addresses[k][0]);
                        assert_string_equal(address, expected[i].addresses[k][1]);
                        assert_int_equal(prefix, expected[i].prefixes[k]);
                        k++;
                }
                assert_int_equal(k, expected[i].n);
                assert_int_equal(sd_bus_message_exit_container(m), 1);
                assert_int_equal(sd_bus_message_enter_container(m, 'a', "s"), 1);
                assert_int_equal(sd_bus_message_read(m, "s", &source), 1);
                assert_string_equal(source, "domain");
                assert_int_equal(sd_bus_message_at_end(m, false), 1);
                assert_int_equal(sd_bus_message_exit_container(m), 1);
                assert_int_equal(sd_bus_message_enter_container(m, 'a', EXTRA_ENTRY_SIGNATURE), 1);
                assert_int_equal(sd_bus_message_at_end(m, false), 1);
                assert_int_equal(sd_bus_message_exit_container(m), 1);
                assert_int_equal(sd_bus_message_exit_container(m), 1);
                i++;
        }
        assert_int_equal(i, (sizeof expected / sizeof *expected));
        sd_bus_message_unref(m);
        free(path);
}

/* Properties.GetAll("") on a domain object: every interface's properties
 * at once, no name twice (the contract keeps them unique). */
static void check_get_all_unique(const char *uuid) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        const char *names[128], *name;
        char *path = NULL;
        size_t n = 0;

        harness_domain_path(uuid, &path);
        int r = sd_bus_call_method(H.bus, BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll", &error, &m, "s",
                                   "");
        if (r < 0)
                fprintf(stderr, "GetAll(\"\"): %s: %s\n", error.name, error.message);
        assert_int_equal(r, 1);
        assert_int_equal(sd_bus_message_enter_container(m, 'a', "{sv}"), 1);
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                assert_int_equal(sd_bus_message_read(m, "s", &name), 1);
                for (size_t k = 0; k < n; k++)
                        if (strcmp(names[k], name) == 0)
                                fail_msg("GetAll(\"\") of %s: %s twice", uuid, name);
                assert_true(n < (sizeof names / sizeof *names));
                names[n++] = name;
                assert_true(sd_bus_message_skip(m, "v") >= 0);
                assert_int_equal(sd_bus_message_exit_container(m), 1);
        }
        /* Domain's and Network's properties at least */
        bool has_interfaces = false, has_name = false;
        for (size_t k = 0; k < n; k++) {
                has_interfaces = has_interfaces || strcmp(names[k], "Interfaces") == 0;
                has_name = has_name || strcmp(names[k], "Name") == 0;
        }
        assert_true(has_interfaces && has_name);
        assert_true(n >= 10);
        sd_bus_message_unref(m);
        free(path);
}

static void test_list_summaries_match_properties(void **state) {
        /* vm1 defined and shut off, three NICs; vm2 transient and running,
         * with an agent channel (the test hypervisor has no agent: no guest
         * data, AgentConnected false); "test" running */
        assert_int_equal(harness_virsh(&H, "define %s", domain_xml_with("vm1", VM1_UUID, VM1_XML_NICS)), 0);
        assert_int_equal(harness_virsh(&H, "create %s", domain_xml_with("vm2", VM2_UUID, VM2_XML_NICS)), 0);
        assert_true(harness_wait_line(&H, "DomainCount=3", TIMEOUT_MS));
        harness_settle(&H, 300);

        size_t n_summaries = 0, n_objects = 0;
        char *summaries = summaries_text(H.bus, &n_summaries), *objects = managed_objects_text(H.bus, &n_objects);
        printf("# ListSummaries:\n%s", summaries);
        assert_int_equal(n_summaries, 3);
        assert_int_equal(n_objects, 3);
        assert_string_equal(summaries, objects);

        /* the values themselves: IPv4 first per NIC, NICs in XML order, none
         * for a NIC without <ip>; the same from Properties.Get */
        char *vm1 = properties_line(H.bus, VM1_UUID), *vm2 = properties_line(H.bus, VM2_UUID),
             *test = properties_line(H.bus, TEST_UUID);
        assert_string_equal(vm1,
                            "vm1|" VM1_UUID
                            "|shutoff|false|false|||[ipv4 192.0.2.10/24],[ipv6 2001:db8::10/64],[ipv4 198.51.100.7/0]"
                            "|not-running");
        /* vm2 has an agent channel, not connected; "test" has none */
        assert_string_equal(vm2, "vm2|" VM2_UUID "|running|false|false|||[ipv4 203.0.113.5/32]|agent-not-connected");
        /* test:///default's own domain: one NIC, no <ip> */
        assert_string_equal(test, "test|" TEST_UUID "|running|false|false||||no-agent-channel");
        char expected[1024];
        snprintf(expected, sizeof expected, "%s\n%s\n%s\n", test, vm1, vm2);
        assert_string_equal(summaries, expected);

        /* it follows changes like the properties do */
        harness_clear_lines(&H);
        assert_int_equal(harness_virsh(&H, "start vm1"), 0);
        assert_true(harness_wait_line(&H, "PropertiesChanged " VM1_UUID " State=running", TIMEOUT_MS));
        free(summaries), free(objects), free(vm1);
        summaries = summaries_text(H.bus, &n_summaries);
        objects = managed_objects_text(H.bus, &n_objects);
        assert_string_equal(summaries, objects);
        vm1 = properties_line(H.bus, VM1_UUID);
        assert_string_equal(vm1,
                            "vm1|" VM1_UUID
                            "|running|false|false|||[ipv4 192.0.2.10/24],[ipv6 2001:db8::10/64],[ipv4 198.51.100.7/0]"
                            "|no-agent-channel");
        assert_non_null(strstr(summaries, vm1));
        check_vm1_network();
        check_get_all_unique(VM1_UUID);

        free(summaries), free(objects), free(vm1), free(vm2), free(test);
}

/* No domain at all: an empty array. It takes the test hypervisor's own
 * "test" domain away for good, so it runs last. */
static void test_list_summaries_of_an_empty_host(void **state) {
        assert_int_equal(harness_virsh(&H, "destroy test"), 0);
        assert_int_equal(harness_virsh(&H, "undefine test"), 0);
        assert_true(harness_wait_line(&H, "DomainCount=0", TIMEOUT_MS));

        size_t n_summaries = 1, n_objects = 1;
        char *summaries = summaries_text(H.bus, &n_summaries), *objects = managed_objects_text(H.bus, &n_objects);
        assert_int_equal(n_summaries, 0);
        assert_int_equal(n_objects, 0);
        assert_string_equal(summaries, "");
        assert_string_equal(objects, "");
        free(summaries), free(objects);
}

static void test_libvirtd_restart(void **state) {
        const char *xml = harness_test_domain_xml(&H, "vm1", VM1_UUID);
        int connected = 1;
        char *path = NULL;

        /* a domain that the restarted libvirtd will not know */
        assert_int_equal(harness_virsh(&H, "define %s", xml), 0);
        assert_true(harness_wait_line(&H, "DomainCount=2", TIMEOUT_MS));
        harness_clear_lines(&H);

        double t0 = harness_now();
        assert_int_equal(harness_kill_libvirtd(&H), 0);
        assert_true(harness_wait_line(&H, "Connected=false", TIMEOUT_MS));
        printf("# libvirtd killed: Connected=false after %.3f s\n", harness_now() - t0);
        harness_settle(&H, 200);
        /* and every object says its values are the last known (in the map's order) */
        assert_lines(&H, "PropertiesChanged *-*-*-*-* GuestDataReason=libvirt-disconnected",
                     "PropertiesChanged *-*-*-*-* GuestDataReason=libvirt-disconnected",
                     "PropertiesChanged manager Connected=false");
        assert_int_equal(harness_get_property(&H, MANAGER_PATH, MANAGER_IFACE, "Connected", 'b', &connected), 0);
        assert_false(connected);
        char *reason = NULL, *test_path = NULL;
        assert_int_equal(harness_domain_path(TEST_UUID, &test_path), 0);
        assert_int_equal(harness_get_property(&H, test_path, DOMAIN_IFACE, "GuestDataReason", 's', &reason), 0);
        assert_string_equal(reason, "libvirt-disconnected");
        free(reason);
        free(test_path);
        /* objects stay while disconnected */
        char *p = call_get_path("GetDomainByName", "vm1");
        free(p);
        harness_clear_lines(&H);

        t0 = harness_now();
        assert_int_equal(harness_start_libvirtd(&H, "test"), 0);
        assert_true(harness_wait_line(&H, "Connected=true", 40000));
        printf("# libvirtd restarted: Connected=true after %.3f s\n", harness_now() - t0);
        harness_settle(&H, 500);
        /* the fresh test:///default has only "test", unchanged: vm1 goes, "test"
         * is current again, nothing else is said, nothing is added twice */
        assert_lines(&H, "InterfacesRemoved " VM1_UUID " Domain Network",
                     "PropertiesChanged " TEST_UUID " GuestDataReason=no-agent-channel",
                     "PropertiesChanged manager Connected=true DomainCount=1");

        char *ours = list_domains(), *theirs = virsh_domains();
        assert_string_equal(ours, theirs);
        free(ours), free(theirs);

        /* and it follows the new libvirtd live */
        harness_clear_lines(&H);
        harness_domain_path(TEST_UUID, &path);
        assert_int_equal(harness_virsh(&H, "suspend test"), 0);
        assert_true(harness_wait_line(&H, "State=paused", TIMEOUT_MS));
        assert_int_equal(harness_virsh(&H, "resume test"), 0);
        assert_true(harness_wait_line(&H, "State=running", TIMEOUT_MS));
        free(path);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_initial_objects, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_introspection_matches_dbus_xml, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_lifecycle_signals, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_transient_domain, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_rename_keeps_object, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_lookups_and_bad_arguments, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_start_reads_every_state, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_burst_is_throttled, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_suspend_resume_sends_no_repeat, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_list_summaries_match_properties, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_libvirtd_restart, test_setup, test_teardown),
                /* last: it leaves the host without domains */
                cmocka_unit_test_setup_teardown(test_list_summaries_of_an_empty_host, test_setup, test_teardown),
        };
        return cmocka_run_group_tests_name("bus: domains", tests, group_setup, group_teardown);
}
