/* End to end: what real guest agents report, published. Three real VMs: one
 * built from tests/vm/guest.env, one from guest-many.env (more than the
 * summaries hold), one without an agent. Every expected value is read from
 * the spec the guest was built from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "guest.h"
#include "guestinfo-names.h"
#include "harness.h"

#define BUS_NAME "org.guestinfod.GuestInfo1"
#define DOMAIN_IFACE "org.guestinfod.GuestInfo1.Domain"
#define OS_IFACE "org.guestinfod.GuestInfo1.OS"
#define USERS_IFACE "org.guestinfod.GuestInfo1.Users"
#define FS_IFACE "org.guestinfod.GuestInfo1.Filesystems"
#define NETWORK_IFACE "org.guestinfod.GuestInfo1.Network"

#define FULL_VM "gi-full"
#define FULL_UUID "91000000-0000-4000-8000-000000000001"
#define MANY_VM "gi-many"
#define MANY_UUID "91000000-0000-4000-8000-000000000002"
#define PLAIN_VM "gi-plain"
#define PLAIN_UUID "91000000-0000-4000-8000-000000000003"

static Harness H;
static char full_path[256], many_path[256], plain_path[256], full_dir[512];

static void set_path(char *buf, size_t size, const char *uuid) {
        char *p = NULL;
        harness_domain_path(uuid, &p);
        snprintf(buf, size, "%s", p);
        free(p);
}

static int group_setup(void **state) {
        char many_dir[512];

        assert_int_equal(harness_setup(&H), 0);
        snprintf(full_dir, sizeof full_dir, "%s/full", H.dir);
        snprintf(many_dir, sizeof many_dir, "%s/many", H.dir);
        assert_int_equal(guest_build(&H, "guest.env", full_dir), 0);
        assert_int_equal(guest_build(&H, "guest-many.env", many_dir), 0);
        assert_int_equal(harness_start_libvirtd(&H, "qemu"), 0);
        assert_int_equal(guest_define(&H, FULL_VM, FULL_UUID, "guest.env", full_dir, true), 0);
        assert_int_equal(guest_define(&H, MANY_VM, MANY_UUID, "guest-many.env", many_dir, true), 0);
        assert_int_equal(guest_define(&H, PLAIN_VM, PLAIN_UUID, "guest.env", full_dir, false), 0);
        set_path(full_path, sizeof full_path, FULL_UUID);
        set_path(many_path, sizeof many_path, MANY_UUID);
        set_path(plain_path, sizeof plain_path, PLAIN_UUID);

        /* a short agent timeout, so the hung-agent test is quick */
        assert_int_equal(harness_start_daemon(&H, H.uri, 60, "--agent-timeout=3", NULL), 0);
        setenv("DBUS_SESSION_BUS_ADDRESS", H.bus_address, 1); /* for busctl --user */
        double t0 = harness_now();
        assert_int_equal(harness_virsh(&H, "start %s", FULL_VM), 0);
        assert_int_equal(harness_virsh(&H, "start %s", MANY_VM), 0);
        assert_int_equal(harness_virsh(&H, "start %s", PLAIN_VM), 0);

        /* agent connected → OS, Users, Filesystems appear */
        assert_true(harness_wait_line(&H, "PropertiesChanged " FULL_UUID " AgentConnected=true", 90000));
        double t1 = harness_now();
        assert_true(harness_wait_line(&H, "InterfacesAdded " FULL_UUID " Filesystems(", 30000));
        printf("# boot to agent connected %.1f s; agent connected to OS interface %.3f s\n", t1 - t0,
               harness_now() - t1);
        assert_true(harness_wait_line(&H, "InterfacesAdded " MANY_UUID " Filesystems(", 90000));
        return 0;
}

static int group_teardown(void **state) {
        int status = harness_stop_daemon(&H);
        harness_cleanup(&H);
        assert_int_equal(status, 0);
        return 0;
}

static int test_teardown(void **state) {
        assert_true(harness_daemon_running(&H));
        return 0;
}

static char *get_s(const char *path, const char *iface, const char *prop) {
        char *s = NULL;
        int r = harness_get_property(&H, path, iface, prop, 's', &s);
        if (r < 0)
                fprintf(stderr, "reading %s.%s failed: %d\n", iface, prop, r);
        assert_int_equal(r, 0);
        return s;
}

static void assert_prop_equals_spec(const char *path, const char *iface, const char *prop, const char *spec,
                                    const char *expr) {
        char *want = spec_value(spec, expr), *got = get_s(path, iface, prop);
        assert_non_null(want);
        if (strcmp(want, got) != 0)
                fprintf(stderr, "%s.%s: got '%s', the guest was built with '%s'\n", iface, prop, got, want);
        assert_string_equal(got, want);
        free(want), free(got);
}

static sd_bus_message *get_property_message(const char *path, const char *iface, const char *prop, const char *type) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = sd_bus_get_property(H.bus, BUS_NAME, path, iface, prop, &error, &reply, type);
        if (r < 0)
                fprintf(stderr, "%s.%s: %s\n", iface, prop, error.message);
        assert_true(r >= 0);
        sd_bus_error_free(&error);
        return reply;
}

static sd_bus_message *call(const char *path, const char *iface, const char *method) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = sd_bus_call_method(H.bus, BUS_NAME, path, iface, method, &error, &reply, "");
        if (r < 0)
                fprintf(stderr, "%s.%s: %s: %s\n", iface, method, error.name, error.message);
        assert_true(r >= 0);
        sd_bus_error_free(&error);
        return reply;
}

static json_t *call_json(const char *path, const char *method) {
        sd_bus_message *reply = call(path, DOMAIN_IFACE, method);
        const char *s;
        assert_int_equal(sd_bus_message_read(reply, "s", &s), 1);
        json_error_t e;
        json_t *j = json_loads(s, 0, &e);
        assert_non_null(j);
        sd_bus_message_unref(reply);
        return j;
}

/* The wall clock in µs, as login times are. */
static uint64_t wall_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Users as "name:login-µs " words, from an a(ssta{sv}) the message is at;
 * every login time in µs, i.e. within the last 20 years of now in µs
 * (seconds or ms would be far below), every a{sv} empty. */
static size_t read_users(sd_bus_message *m, char *out, size_t size) {
        const uint64_t now = wall_usec(), twenty_years = 20ULL * 365 * 86400 * 1000000;
        const char *name, *domain;
        uint64_t login;
        size_t n = 0, k = 0;
        out[0] = '\0';
        assert_true(sd_bus_message_enter_container(m, 'a', USER_SIGNATURE) > 0);
        while (sd_bus_message_enter_container(m, 'r', USER_FIELDS) > 0) {
                assert_int_equal(sd_bus_message_read(m, "sst", &name, &domain, &login), 1);
                assert_int_equal(sd_bus_message_read(m, "a{sv}", 0), 1);
                assert_int_equal(sd_bus_message_exit_container(m), 1);
                assert_true(login <= now && login > now - twenty_years);
                k += snprintf(out + k, size - k, "%s:%" PRIu64 " ", name, login);
                n++;
        }
        return n;
}

static void test_os_is_what_the_guest_was_built_with(void **state) {
        char krel_path[600], krel[256] = "";

        assert_prop_equals_spec(full_path, OS_IFACE, "Hostname", "guest.env", "$GUEST_HOSTNAME");
        assert_prop_equals_spec(full_path, OS_IFACE, "OperatingSystemId", "guest.env", "$OS_ID");
        assert_prop_equals_spec(full_path, OS_IFACE, "OperatingSystemName", "guest.env", "$OS_NAME");
        assert_prop_equals_spec(full_path, OS_IFACE, "OperatingSystemPrettyName", "guest.env", "$OS_PRETTY_NAME");
        assert_prop_equals_spec(full_path, OS_IFACE, "OperatingSystemVersion", "guest.env", "$OS_VERSION");
        assert_prop_equals_spec(full_path, OS_IFACE, "OperatingSystemVersionId", "guest.env", "$OS_VERSION_ID");
        assert_prop_equals_spec(full_path, OS_IFACE, "OperatingSystemVariant", "guest.env", "$OS_VARIANT");
        assert_prop_equals_spec(full_path, OS_IFACE, "OperatingSystemVariantId", "guest.env", "$OS_VARIANT_ID");
        /* the agent reports the zone's abbreviation and offset */
        assert_prop_equals_spec(full_path, OS_IFACE, "TimezoneName", "guest.env", "$(TZ=$GUEST_TIMEZONE date +%Z)");
        char *offset = spec_value("guest.env", "$(TZ=$GUEST_TIMEZONE date +%z)"); /* +0900 */
        int32_t got_offset = 0;
        assert_int_equal(harness_get_property(&H, full_path, OS_IFACE, "TimezoneOffset", 'i', &got_offset), 0);
        int hh = (offset[1] - '0') * 10 + (offset[2] - '0'), mm = (offset[3] - '0') * 10 + (offset[4] - '0');
        assert_int_equal(got_offset, (offset[0] == '-' ? -1 : 1) * (hh * 3600 + mm * 60));
        free(offset);

        snprintf(krel_path, sizeof krel_path, "%s/kernel-release", full_dir);
        FILE *f = fopen(krel_path, "re");
        assert_non_null(f);
        assert_non_null(fgets(krel, sizeof krel, f));
        fclose(f);
        krel[strcspn(krel, "\n")] = '\0';
        char *s = get_s(full_path, OS_IFACE, "KernelRelease");
        assert_string_equal(s, krel);
        free(s);
        s = get_s(full_path, OS_IFACE, "Machine");
        assert_string_equal(s, "x86_64");
        free(s);
        s = get_s(full_path, OS_IFACE, "KernelVersion");
        assert_non_null(strstr(s, "SMP"));
        free(s);
}

static void test_introspection_matches_dbus_xml(void **state) {
        assert_int_equal(harness_introspection_matches(&H, full_path, OS_IFACE), 0);
        assert_int_equal(harness_introspection_matches(&H, full_path, USERS_IFACE), 0);
        assert_int_equal(harness_introspection_matches(&H, full_path, FS_IFACE), 0);
        assert_int_equal(harness_introspection_matches(&H, full_path, DOMAIN_IFACE), 0);
        assert_int_equal(harness_introspection_matches(&H, full_path, NETWORK_IFACE), 0);
}

/* Properties.GetAll("") on an object with every interface: no property
 * name twice (OS's names no longer repeat Domain's Id and Name). */
static void test_get_all_has_no_duplicate_names(void **state) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        const char *names[128], *name;
        size_t n = 0;
        bool os = false, domain_name = false;

        int r = sd_bus_call_method(H.bus, BUS_NAME, full_path, "org.freedesktop.DBus.Properties", "GetAll", &error, &m,
                                   "s", "");
        if (r < 0)
                fprintf(stderr, "GetAll(\"\"): %s\n", error.message);
        assert_int_equal(r, 1);
        assert_int_equal(sd_bus_message_enter_container(m, 'a', "{sv}"), 1);
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                assert_int_equal(sd_bus_message_read(m, "s", &name), 1);
                for (size_t k = 0; k < n; k++)
                        if (strcmp(names[k], name) == 0)
                                fail_msg("GetAll(\"\"): %s twice", name);
                assert_true(n < sizeof names / sizeof *names);
                names[n++] = name;
                os |= strcmp(name, "OperatingSystemPrettyName") == 0;
                domain_name |= strcmp(name, "Name") == 0;
                assert_true(sd_bus_message_skip(m, "v") >= 0);
                assert_int_equal(sd_bus_message_exit_container(m), 1);
        }
        /* Domain, Network, OS, Users and Filesystems all answered */
        assert_true(os && domain_name);
        assert_true(n > 25);
        sd_bus_message_unref(m);
}

static void test_agent_version_and_commands(void **state) {
        char *version = get_s(full_path, DOMAIN_IFACE, "AgentVersion"), *out = NULL;
        char *argv[] = { "qemu-ga", "--version", NULL };
        assert_int_equal(harness_run(argv, 10, &out), 0);
        /* the guest runs the host's qemu-ga: "QEMU Guest Agent 7.2.22" */
        assert_true(strlen(version) > 0);
        assert_non_null(strstr(out, version));
        free(out), free(version);

        sd_bus_message *m = get_property_message(full_path, DOMAIN_IFACE, "AgentSupportedCommands", "a(sb)");
        const char *name;
        int enabled;
        bool osinfo = false, devices_disabled = false;
        size_t n = 0;
        assert_true(sd_bus_message_enter_container(m, 'a', "(sb)") > 0);
        while (sd_bus_message_read(m, "(sb)", &name, &enabled) > 0) {
                osinfo |= strcmp(name, "guest-get-osinfo") == 0 && enabled;
                devices_disabled |= strcmp(name, "guest-get-devices") == 0 && !enabled;
                n++;
        }
        assert_true(n > 20);
        assert_true(osinfo);
        assert_true(devices_disabled);
        sd_bus_message_unref(m);
}

static void test_users(void **state) {
        char got[4096], want[4096] = "", *spec_users = spec_value("guest.env", "$GUEST_USERS");
        uint32_t count = 0;

        /* "alice:1700000000 bob:1700000100.5" → "alice:1700000000000000 bob:1700000100500000 " */
        size_t k = 0;
        for (char *save = NULL, *t = strtok_r(spec_users, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
                char *colon = strchr(t, ':');
                *colon = '\0';
                k += snprintf(want + k, sizeof want - k, "%s:%.0f ", t, strtod(colon + 1, NULL) * 1e6);
        }
        free(spec_users);

        sd_bus_message *m = get_property_message(full_path, USERS_IFACE, "Users", "a" USER_SIGNATURE);
        assert_int_equal(read_users(m, got, sizeof got), 3);
        assert_string_equal(got, want);
        sd_bus_message_unref(m);
        assert_int_equal(harness_get_property(&H, full_path, USERS_IFACE, "UserCount", 'u', &count), 0);
        assert_int_equal(count, 3);
}

static void test_filesystems(void **state) {
        char *serial = spec_value("guest.env", "$DATA_DISK_SERIAL");
        char *mounts = spec_value("guest.env", "$DATA_DISK_MOUNT $(echo $GUEST_EXTRA_MOUNTS | tr ' ' '\\n' | "
                                               "sed -n 's/^bind://p' | tr '\\n' ' ')");
        sd_bus_message *m = get_property_message(full_path, FS_IFACE, "Filesystems", "a" FILESYSTEM_SIGNATURE);
        const char *disk, *mount, *type, *s, *bus;
        uint64_t used, total;
        size_t n = 0;

        assert_true(sd_bus_message_enter_container(m, 'a', FILESYSTEM_SIGNATURE) > 0);
        while (sd_bus_message_enter_container(m, 'r', FILESYSTEM_FIELDS) > 0) {
                assert_int_equal(sd_bus_message_read(m, "ssstt", &disk, &mount, &type, &used, &total), 1);
                assert_string_equal(type, "ext4");
                assert_non_null(strstr(mounts, mount));
                assert_true(total > 0 && used <= total);
                /* one disk: (serial, bus type, {Device, Target}): the guest's
                 * device and the domain disk, as libvirt matched them */
                const char *device = NULL, *target = NULL, *key, *value;
                assert_int_equal(sd_bus_message_enter_container(m, 'a', FILESYSTEM_DISK_SIGNATURE), 1);
                assert_int_equal(sd_bus_message_enter_container(m, 'r', FILESYSTEM_DISK_FIELDS), 1);
                assert_int_equal(sd_bus_message_read(m, "ss", &s, &bus), 1);
                assert_string_equal(s, serial);
                assert_string_equal(bus, "virtio");
                assert_int_equal(sd_bus_message_enter_container(m, 'a', "{sv}"), 1);
                while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                        assert_int_equal(sd_bus_message_read(m, "s", &key), 1);
                        assert_int_equal(sd_bus_message_read(m, "v", "s", &value), 1);
                        if (strcmp(key, "Device") == 0)
                                device = value;
                        else if (strcmp(key, "Target") == 0)
                                target = value;
                        assert_int_equal(sd_bus_message_exit_container(m), 1);
                }
                assert_non_null(device);
                assert_non_null(target);
                assert_true(strncmp(device, "/dev/vd", 7) == 0);
                assert_string_equal(device + 5, target);
                assert_int_equal(sd_bus_message_exit_container(m), 1); /* a{sv} */
                assert_int_equal(sd_bus_message_exit_container(m), 1); /* the disk */
                assert_true(sd_bus_message_enter_container(m, 'r', FILESYSTEM_DISK_FIELDS) <= 0);
                assert_int_equal(sd_bus_message_exit_container(m), 1); /* the disks */
                assert_int_equal(sd_bus_message_read(m, "a{sv}", 0), 1);
                assert_int_equal(sd_bus_message_exit_container(m), 1);
                n++;
        }
        /* the data disk and its two bind mounts */
        assert_int_equal(n, 3);
        sd_bus_message_unref(m);
        free(serial), free(mounts);
}

/* The a(ssy) m is at as "family address/prefix " words. */
static void read_addresses(sd_bus_message *m, char *out, size_t size) {
        const char *family, *address;
        uint8_t prefix;
        size_t k = 0;
        out[0] = '\0';
        assert_true(sd_bus_message_enter_container(m, 'a', ADDRESS_SIGNATURE) > 0);
        while (sd_bus_message_read(m, ADDRESS_SIGNATURE, &family, &address, &prefix) > 0)
                k += snprintf(out + k, size - k, "%s %s/%u ", family, address, prefix);
        assert_int_equal(sd_bus_message_exit_container(m), 1);
}

/* The as m is at as "a,b". */
static void read_sources(sd_bus_message *m, char *out, size_t size) {
        const char *source;
        size_t k = 0;
        out[0] = '\0';
        assert_true(sd_bus_message_enter_container(m, 'a', "s") > 0);
        while (sd_bus_message_read(m, "s", &source) > 0)
                k += snprintf(out + k, size - k, "%s%s", k ? "," : "", source);
        assert_int_equal(sd_bus_message_exit_container(m), 1);
}

static void test_interfaces_merged(void **state) {
        char *mac = spec_value("guest.env", "$GUEST_MAC"), *ipv4 = spec_value("guest.env", "$GUEST_IPV4"),
             *ipv6 = spec_value("guest.env", "$GUEST_IPV6"),
             *extra = spec_value("guest.env", "$GUEST_EXTRA_NICS"); /* dummy0,10.99.0.5/24,fd00:99::5/64,MAC */
        sd_bus_message *m = get_property_message(full_path, NETWORK_IFACE, "Interfaces", "a" INTERFACE_SIGNATURE);
        const char *name, *ifname, *imac;
        char addrs[1024], sources[64], want[256];
        size_t n = 0;

        assert_true(sd_bus_message_enter_container(m, 'a', INTERFACE_SIGNATURE) > 0);
        while (sd_bus_message_enter_container(m, 'r', INTERFACE_FIELDS) > 0) {
                assert_int_equal(sd_bus_message_read(m, "sss", &name, &ifname, &imac), 1);
                read_addresses(m, addrs, sizeof addrs);
                read_sources(m, sources, sizeof sources);
                assert_int_equal(sd_bus_message_read(m, "a{sv}", 0), 1);
                assert_int_equal(sd_bus_message_exit_container(m), 1);

                if (n == 0) {
                        /* the domain's NIC, merged with eth0 by MAC; "10.0.2.15/24" is
                         * ("ipv4", "10.0.2.15", 24), IPv4 first */
                        assert_string_equal(name, "net0");
                        assert_string_equal(ifname, "eth0");
                        assert_string_equal(imac, mac);
                        assert_string_equal(sources, "domain,guest-agent");
                        snprintf(want, sizeof want, "ipv4 %s ", ipv4);
                        assert_int_equal(strncmp(addrs, want, strlen(want)), 0);
                        snprintf(want, sizeof want, "ipv6 %s ", ipv6);
                        assert_non_null(strstr(addrs, want));
                } else {
                        /* the guest-only dummy interface; lo is dropped */
                        assert_string_equal(name, "");
                        assert_int_equal(strncmp(extra, ifname, strlen(ifname)), 0);
                        assert_string_equal(sources, "guest-agent");
                        /* "dummy0,10.99.0.5/24,fd00:99::5/64,MAC": its only IPv4 first */
                        char *v4 = strchr(extra, ',') + 1, *v6 = strchr(v4, ',') + 1;
                        snprintf(want, sizeof want, "ipv4 %.*s ", (int) (v6 - 1 - v4), v4);
                        assert_int_equal(strncmp(addrs, want, strlen(want)), 0);
                        snprintf(want, sizeof want, "ipv6 %.*s ", (int) (strchr(v6, ',') - v6), v6);
                        assert_non_null(strstr(addrs, want));
                }
                n++;
        }
        assert_int_equal(n, 2);
        sd_bus_message_unref(m);
        free(mac), free(ipv4), free(ipv6), free(extra);
}

static void test_kubevirt_json(void **state) {
        json_t *j = call_json(full_path, "GetGuestOSInfo");
        char *hostname = spec_value("guest.env", "$GUEST_HOSTNAME");
        char *pretty = spec_value("guest.env", "$OS_PRETTY_NAME");
        char *tz = spec_value("guest.env", "$(TZ=$GUEST_TIMEZONE date +%Z)");
        char *version = get_s(full_path, DOMAIN_IFACE, "AgentVersion");

        assert_string_equal(json_string_value(json_object_get(j, "hostname")), hostname);
        assert_string_equal(json_string_value(json_object_get(j, "guestAgentVersion")), version);
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "os"), "prettyName")), pretty);
        const char *tz_field = json_string_value(json_object_get(j, "timezone"));
        assert_non_null(tz_field);
        assert_int_equal(strncmp(tz_field, tz, strlen(tz)), 0);
        assert_non_null(strstr(tz_field, ", "));
        assert_int_equal(json_array_size(json_object_get(j, "userList")), 3);
        assert_true(json_is_real(json_object_get(json_array_get(json_object_get(j, "userList"), 1), "loginTime")));
        assert_int_equal(json_array_size(json_object_get(json_object_get(j, "fsInfo"), "disks")), 3);
        assert_true(json_array_size(json_object_get(j, "supportedCommands")) > 20);
        json_decref(j);

        j = call_json(full_path, "GetUserList");
        assert_int_equal(json_array_size(json_object_get(j, "items")), 3);
        assert_string_equal(
                json_string_value(json_object_get(json_array_get(json_object_get(j, "items"), 0), "userName")),
                "alice");
        json_decref(j);
        j = call_json(full_path, "GetFilesystemList");
        assert_int_equal(json_array_size(json_object_get(j, "items")), 3);
        json_decref(j);
        j = call_json(full_path, "GetInterfaces");
        assert_int_equal(json_array_size(j), 2);
        assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "infoSource")),
                            "domain, guest-agent");
        json_decref(j);
        free(hostname), free(pretty), free(tz), free(version);
}

static void test_summaries_cap_at_ten(void **state) {
        char users[8192];
        uint32_t count = 0;

        assert_prop_equals_spec(many_path, OS_IFACE, "Hostname", "guest-many.env", "$GUEST_HOSTNAME");
        sd_bus_message *m = get_property_message(many_path, USERS_IFACE, "Users", "a" USER_SIGNATURE);
        assert_int_equal(read_users(m, users, sizeof users), 10);
        sd_bus_message_unref(m);
        assert_int_equal(harness_get_property(&H, many_path, USERS_IFACE, "UserCount", 'u', &count), 0);
        assert_int_equal(count, 12);
        m = call(many_path, USERS_IFACE, "ListUsers");
        assert_int_equal(read_users(m, users, sizeof users), 12);
        sd_bus_message_unref(m);

        m = get_property_message(many_path, FS_IFACE, "Filesystems", "a" FILESYSTEM_SIGNATURE);
        size_t n = 0;
        assert_true(sd_bus_message_enter_container(m, 'a', FILESYSTEM_SIGNATURE) > 0);
        while (sd_bus_message_skip(m, FILESYSTEM_SIGNATURE) > 0)
                n++;
        assert_int_equal(n, 10);
        sd_bus_message_unref(m);
        assert_int_equal(harness_get_property(&H, many_path, FS_IFACE, "FilesystemCount", 'u', &count), 0);
        assert_int_equal(count, 12); /* /data and 11 bind mounts; tmpfs is not listed */

        /* the domain NIC plus at most 10 guest-only interfaces (of 12) */
        json_t *j = call_json(many_path, "GetInterfaces");
        assert_int_equal(json_array_size(j), 11);
        json_decref(j);
        j = call_json(many_path, "GetGuestOSInfo");
        assert_int_equal(json_array_size(json_object_get(j, "userList")), 10);
        assert_int_equal(json_array_size(json_object_get(json_object_get(j, "fsInfo"), "disks")), 10);
        json_decref(j);
        j = call_json(many_path, "GetUserList");
        assert_int_equal(json_array_size(json_object_get(j, "items")), 12);
        json_decref(j);
}

static void test_vm_without_agent(void **state) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char *s = NULL;

        /* domain-only interfaces */
        json_t *j = call_json(plain_path, "GetInterfaces");
        assert_int_equal(json_array_size(j), 1);
        json_t *e = json_array_get(j, 0);
        assert_string_equal(json_string_value(json_object_get(e, "infoSource")), "domain");
        assert_string_equal(json_string_value(json_object_get(e, "name")), "net0");
        assert_null(json_object_get(e, "interfaceName"));
        json_decref(j);

        /* no OS interface at all, and a named error for the JSON */
        int r = sd_bus_get_property_string(H.bus, BUS_NAME, plain_path, OS_IFACE, "Hostname", &error, &s);
        assert_true(r < 0);
        sd_bus_error_free(&error);
        r = sd_bus_call_method(H.bus, BUS_NAME, plain_path, DOMAIN_IFACE, "GetGuestOSInfo", &error, NULL, "");
        assert_true(r < 0);
        assert_string_equal(error.name, "org.guestinfod.GuestInfo1.Error.NoAgent");
        sd_bus_error_free(&error);
        r = sd_bus_call_method(H.bus, BUS_NAME, plain_path, DOMAIN_IFACE, "Refresh", &error, NULL, "");
        assert_true(r < 0);
        assert_string_equal(error.name, "org.guestinfod.GuestInfo1.Error.NoAgent");
        sd_bus_error_free(&error);
        /* and no noise about it */
        assert_false(harness_daemon_log_contains(&H, PLAIN_VM));
}

static void test_refresh(void **state) {
        /* past the window in which the latest collection would answer it */
        harness_settle(&H, 2500);
        double t0 = harness_now();
        sd_bus_message *m = call(full_path, DOMAIN_IFACE, "Refresh");
        printf("# Refresh() answered in %.3f s\n", harness_now() - t0);
        sd_bus_message_unref(m);
}

/* A Refresh() in another process, so it runs alongside ours; returns its PID.
 * When it ends it writes the CLOCK_REALTIME second it ended to done_file. */
static pid_t refresh_in_background(const char *path, const char *done_file) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd,
                 "busctl --user --timeout=60 call " BUS_NAME " %s " DOMAIN_IFACE " Refresh >/dev/null 2>&1; "
                 "date +%%s.%%N > '%s'",
                 path, done_file);
        pid_t pid = fork();
        if (pid == 0) {
                execl("/bin/sh", "sh", "-c", cmd, NULL);
                _exit(127);
        }
        return pid;
}

static double realtime_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_hung_agent_delays_nobody_else(void **state) {
        char done_file[400];
        sd_bus_message *m;

        /* qemu-ga of gi-full frozen for 15 s: the channel stays connected */
        assert_int_equal(guest_hang_agent(&H, FULL_VM, 15), 0);
        /* and the latest collection older than the window in which it
         * would answer a Refresh() */
        harness_settle(&H, 2500);

        /* gi-full's Refresh() waits for its agent (the timeout is 3 s)... */
        snprintf(done_file, sizeof done_file, "%s/hung-refresh.done", H.dir);
        double t0 = harness_now();
        pid_t pid = refresh_in_background(full_path, done_file);
        harness_settle(&H, 300);
        /* ...while gi-many's is answered meanwhile, and the bus with it */
        m = call(many_path, DOMAIN_IFACE, "Refresh");
        double other_done = realtime_now();
        sd_bus_message_unref(m);
        m = call(full_path, "org.freedesktop.DBus.Peer", "Ping");
        sd_bus_message_unref(m);
        printf("# hung agent: another VM's Refresh() answered %.3f s after the hung one was asked\n",
               harness_now() - t0);

        /* not served after the hung one: it ended first (no timing bound: the
         * order is what proves the two do not queue behind each other) */
        int status;
        waitpid(pid, &status, 0);
        FILE *f = fopen(done_file, "re");
        double hung_done = 0;
        assert_non_null(f);
        assert_int_equal(fscanf(f, "%lf", &hung_done), 1);
        fclose(f);
        printf("# hung agent: its own Refresh() ended %.1f s after the other VM's\n", hung_done - other_done);
        assert_true(other_done < hung_done);

        /* the hung one fails with a named error */
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(H.bus, BUS_NAME, full_path, DOMAIN_IFACE, "Refresh", &error, NULL, "");
        if (r >= 0)
                fprintf(stderr, "the frozen agent's Refresh() succeeded\n");
        else
                assert_string_equal(error.name, "org.guestinfod.GuestInfo1.Error.AgentFailed");
        assert_true(r < 0);
        sd_bus_error_free(&error);

        /* once it thaws, the agent answers again */
        for (int i = 0; i < 60; i++) {
                r = sd_bus_call_method(H.bus, BUS_NAME, full_path, DOMAIN_IFACE, "Refresh", &error, NULL, "");
                sd_bus_error_free(&error);
                if (r >= 0)
                        break;
                harness_settle(&H, 1000);
        }
        assert_true(r >= 0);
}

static void test_agent_killed_and_back(void **state) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char *s = NULL;

        harness_clear_lines(&H);
        double t0 = harness_now();
        assert_int_equal(guest_kill_agent(&H, FULL_VM), 0);
        assert_true(harness_wait_line(&H, "InterfacesRemoved " FULL_UUID " Filesystems OS Users", 30000));
        printf("# agent killed: OS/Users/Filesystems removed after %.1f s\n", harness_now() - t0);
        int r = sd_bus_get_property_string(H.bus, BUS_NAME, full_path, OS_IFACE, "Hostname", &error, &s);
        assert_true(r < 0);
        sd_bus_error_free(&error);

        assert_true(harness_wait_line(&H, "InterfacesAdded " FULL_UUID " Filesystems(", 60000));
        printf("# agent back: OS/Users/Filesystems again after %.1f s\n", harness_now() - t0);
        assert_prop_equals_spec(full_path, OS_IFACE, "Hostname", "guest.env", "$GUEST_HOSTNAME");
}

/* Collections of everything (the debug log says "(everything)") of gi-full
 * the daemon's debug log shows so far. */
static unsigned full_collections(void) {
        char line[4096];
        unsigned n = 0;
        FILE *f = fopen(H.daemon_log, "re");
        while (f && fgets(line, sizeof line, f))
                if (strstr(line, " (everything) from ") && strstr(line, "from the agent of '" FULL_VM "'"))
                        n++;
        if (f)
                fclose(f);
        return n;
}

static unsigned refresh_replies, refresh_errors;

static int on_refresh_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        refresh_replies++;
        if (sd_bus_message_is_method_error(m, NULL))
                refresh_errors++;
        return 0;
}

/* One client calling Refresh() on a real guest as fast as it is answered,
 * and 50 calls at once: what reaches the agent is counted in the daemon's
 * debug log. Before, every call was a full collection (62 a second); now a
 * Refresh() within 2 s of one is answered from it, and calls during one
 * share the next. */
static void test_refresh_flood_reaches_the_agent_once_per_window(void **state) {
        const double flood_s = 4.0;

        /* the same daemon, telling its collections */
        assert_int_equal(harness_stop_daemon(&H), 0);
        harness_clear_lines(&H);
        assert_int_equal(harness_start_daemon(&H, H.uri, 60, "--agent-timeout=3", "--log-level=debug", NULL), 0);
        assert_true(harness_wait_line(&H, "InterfacesAdded " FULL_UUID " Filesystems(", 60000));
        harness_settle(&H, 2500); /* the first collection is older than the window */

        unsigned before = full_collections(), calls = 0;
        double t0 = harness_now();
        while (harness_now() - t0 < flood_s) {
                sd_bus_message *m = call(full_path, DOMAIN_IFACE, "Refresh");
                sd_bus_message_unref(m);
                calls++;
        }
        harness_settle(&H, 200);
        unsigned sequential = full_collections() - before;
        printf("# Refresh() flood on a real guest: %u calls in %.0f s, %u full collections\n", calls, flood_s,
               sequential);

        /* 50 at once, after the window: one collection answers them all */
        harness_settle(&H, 2500);
        before = full_collections();
        refresh_replies = refresh_errors = 0;
        for (int i = 0; i < 50; i++)
                assert_true(sd_bus_call_method_async(H.bus, NULL, BUS_NAME, full_path, DOMAIN_IFACE, "Refresh",
                                                     on_refresh_reply, NULL, "") >= 0);
        double deadline = harness_now() + 30;
        while (refresh_replies < 50 && harness_now() < deadline)
                if (sd_bus_process(H.bus, NULL) == 0)
                        sd_bus_wait(H.bus, 100000);
        harness_settle(&H, 200);
        unsigned burst = full_collections() - before;
        printf("# 50 Refresh() calls at once: %u answered (%u errors), %u full collections\n", refresh_replies,
               refresh_errors, burst);

        assert_true(calls >= 10);
        /* one per 2 s window, the window starting when one ends */
        assert_true(sequential >= 1 && sequential <= 3);
        assert_int_equal(refresh_replies, 50);
        assert_int_equal(refresh_errors, 0);
        assert_int_equal(burst, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_os_is_what_the_guest_was_built_with, test_teardown),
                cmocka_unit_test_teardown(test_introspection_matches_dbus_xml, test_teardown),
                cmocka_unit_test_teardown(test_get_all_has_no_duplicate_names, test_teardown),
                cmocka_unit_test_teardown(test_agent_version_and_commands, test_teardown),
                cmocka_unit_test_teardown(test_users, test_teardown),
                cmocka_unit_test_teardown(test_filesystems, test_teardown),
                cmocka_unit_test_teardown(test_interfaces_merged, test_teardown),
                cmocka_unit_test_teardown(test_kubevirt_json, test_teardown),
                cmocka_unit_test_teardown(test_summaries_cap_at_ten, test_teardown),
                cmocka_unit_test_teardown(test_vm_without_agent, test_teardown),
                cmocka_unit_test_teardown(test_refresh, test_teardown),
                cmocka_unit_test_teardown(test_hung_agent_delays_nobody_else, test_teardown),
                cmocka_unit_test_teardown(test_agent_killed_and_back, test_teardown),
                cmocka_unit_test_teardown(test_refresh_flood_reaches_the_agent_once_per_window, test_teardown),
        };
        return cmocka_run_group_tests_name("e2e: guest info", tests, group_setup, group_teardown);
}
