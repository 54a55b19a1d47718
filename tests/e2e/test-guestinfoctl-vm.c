/* End to end: guestinfoctl, the real binary, shows what a real guest agent
 * reports. One real VM built from tests/vm/guest.env; every expected value
 * is read from that spec. KubeVirt's documents are checked against the
 * samples of KubeVirt's "Guest Agent information" page: same keys, same
 * types. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "ctl.h"
#include "guest.h"
#include "harness.h"

#define BUS_NAME "org.guestinfod.GuestInfo1"
#define DOMAIN_IFACE "org.guestinfod.GuestInfo1.Domain"
#define VM "gi-cli"
#define VM_UUID "92000000-0000-4000-8000-000000000001"
#define SPEC "guest.env"
#define T 60 /* seconds any one guestinfoctl run may take */

static Harness H;
static char vm_path[256], guest_dir[512];

static int group_setup(void **state) {
        char *p = NULL;

        /* times are shown in local time: make it UTC for the comparisons */
        setenv("TZ", "UTC", 1);
        assert_int_equal(harness_setup(&H), 0);
        snprintf(guest_dir, sizeof guest_dir, "%s/guest", H.dir);
        assert_int_equal(guest_build(&H, SPEC, guest_dir), 0);
        assert_int_equal(harness_start_libvirtd(&H, "qemu"), 0);
        assert_int_equal(guest_define(&H, VM, VM_UUID, SPEC, guest_dir, true), 0);
        harness_domain_path(VM_UUID, &p);
        snprintf(vm_path, sizeof vm_path, "%s", p);
        free(p);

        assert_int_equal(harness_start_daemon(&H, H.uri, 60, NULL), 0);
        assert_int_equal(harness_virsh(&H, "start %s", VM), 0);
        /* the agent connected and answered: OS, Users, Filesystems appear */
        assert_true(harness_wait_line(&H, "InterfacesAdded " VM_UUID " Filesystems(", 120000));
        return 0;
}

static int group_teardown(void **state) {
        int status = harness_stop_daemon(&H);
        harness_cleanup(&H);
        assert_int_equal(status, 0);
        return 0;
}

static int test_teardown(void **state) {
        ctl_stop_all();
        assert_true(harness_daemon_running(&H));
        return 0;
}

/* ---- helpers ---- */

/* What the guest was built to report. */
static char *spec(const char *expr) {
        char *v = spec_value(SPEC, expr);
        assert_non_null(v);
        return v;
}

static char *run_ok(bool tty, const char *a, const char *b, const char *c) {
        CtlResult r;
        int status = ctl_run(&r, tty, T, "--user", a, b, c, NULL);
        if (status != 0)
                fprintf(stderr, "guestinfoctl %s %s exited %d: %s\n", a, b ? b : "", status, r.err);
        assert_int_equal(status, 0);
        assert_string_equal(r.err, "");
        char *out = r.out;
        r.out = NULL;
        ctl_result_free(&r);
        return out;
}

/* The value after "  Label:" within section (a heading line of show's
 * output, e.g. "OS"), static buffer; NULL if not there. */
static const char *field(const char *out, const char *section, const char *label) {
        static char value[1024];
        char heading[64], key[64];
        snprintf(heading, sizeof heading, "%s\n", section);
        const char *s = strncmp(out, heading, strlen(heading)) == 0 ? out : NULL;
        if (!s) {
                snprintf(heading, sizeof heading, "\n%s\n", section);
                s = strstr(out, heading);
        }
        if (!s)
                return NULL;
        const char *end = strstr(s + 1, "\n\n");
        snprintf(key, sizeof key, "\n  %s:", label);
        const char *p = strstr(s, key);
        if (!p || (end && p > end))
                return NULL;
        p += strlen(key);
        while (*p == ' ')
                p++;
        snprintf(value, sizeof value, "%.*s", (int) strcspn(p, "\n"), p);
        return value;
}

static void assert_field(const char *out, const char *section, const char *label, const char *want) {
        const char *got = field(out, section, label);
        if (!got || strcmp(got, want) != 0)
                fprintf(stderr, "%s/%s: got '%s', want '%s'\n", section, label, got ? got : "(missing)", want);
        assert_non_null(got);
        assert_string_equal(got, want);
}

/* The line of out that starts with prefix (static buffer), or NULL. */
static const char *line_starting(const char *out, const char *prefix) {
        static char line[2048];
        for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, prefix, strlen(prefix)) == 0) {
                        snprintf(line, sizeof line, "%.*s", (int) strcspn(p, "\n"), p);
                        return line;
                }
        return NULL;
}

/* The words of line separated by two spaces or more: the table's cells. */
static size_t cells(const char *line, char out[][256], size_t max) {
        size_t n = 0;
        while (*line == ' ')
                line++;
        while (*line && n < max) {
                const char *end = strstr(line, "  ");
                size_t len = end ? (size_t) (end - line) : strlen(line);
                snprintf(out[n++], 256, "%.*s", (int) len, line);
                line += len;
                while (*line == ' ')
                        line++;
        }
        return n;
}

static json_t *parse(const char *s) {
        json_error_t e;
        json_t *j = json_loads(s, 0, &e);
        if (!j)
                fprintf(stderr, "not JSON (%s): %s\n", e.text, s);
        assert_non_null(j);
        return j;
}

static void assert_json_string(json_t *o, const char *key, const char *want) {
        const char *got = json_string_value(json_object_get(o, key));
        if (!got || strcmp(got, want) != 0)
                fprintf(stderr, "%s: got '%s', want '%s'\n", key, got ? got : "(missing)", want);
        assert_non_null(got);
        assert_string_equal(got, want);
}

/* An address of guestinfoctl's JSON, {family, address, prefix}, is the
 * spec's "address/prefix". */
static void assert_address(json_t *a, const char *family, const char *spec_address) {
        size_t n = strcspn(spec_address, "/");
        char address[256];
        snprintf(address, sizeof address, "%.*s", (int) n, spec_address);
        assert_json_string(a, "family", family);
        assert_json_string(a, "address", address);
        assert_true(spec_address[n] == '/');
        assert_int_equal(json_integer_value(json_object_get(a, "prefix")), strtol(spec_address + n + 1, NULL, 10));
}

static char *daemon_string(const char *prop) {
        char *s = NULL;
        assert_int_equal(harness_get_property(&H, vm_path, DOMAIN_IFACE, prop, 's', &s), 0);
        return s;
}

/* "2023-11-14 22:13:20 UTC" for each spec user, in spec order. */
static char *spec_login(const char *user) {
        char expr[512];
        snprintf(expr, sizeof expr,
                 "$(for u in $GUEST_USERS; do [ \"${u%%%%:*}\" = %s ] && "
                 "date -u -d \"@${u#*:}\" '+%%Y-%%m-%%d %%H:%%M:%%S UTC'; done)",
                 user);
        return spec(expr);
}

/* ---- show ---- */

static void test_show_text_is_the_spec(void **state) {
        char *out = run_ok(false, "show", VM, NULL);
        const char *os_fields[][2] = {
                { "Pretty name", "$OS_PRETTY_NAME" },
                { "Name", "$OS_NAME" },
                { "Id", "$OS_ID" },
                { "Version", "$OS_VERSION" },
                { "Version id", "$OS_VERSION_ID" },
                { "Variant", "$OS_VARIANT" },
                { "Variant id", "$OS_VARIANT_ID" },
                { "Hostname", "$GUEST_HOSTNAME" },
                /* the zone's abbreviation and offset, e.g. "JST (UTC+09:00)" */
                { "Timezone", "$(TZ=$GUEST_TIMEZONE date '+%Z (UTC%:z)')" },
        };

        assert_field(out, "Domain", "Name", VM);
        assert_field(out, "Domain", "UUID", VM_UUID);
        assert_field(out, "Domain", "State", "running");
        for (size_t i = 0; i < sizeof os_fields / sizeof *os_fields; i++) {
                char *want = spec(os_fields[i][1]);
                assert_field(out, "OS", os_fields[i][0], want);
                free(want);
        }
        assert_field(out, "OS", "Machine", "x86_64");
        char krel_path[600], krel[256] = "";
        snprintf(krel_path, sizeof krel_path, "%s/kernel-release", guest_dir);
        FILE *f = fopen(krel_path, "re");
        assert_non_null(f);
        assert_non_null(fgets(krel, sizeof krel, f));
        fclose(f);
        krel[strcspn(krel, "\n")] = '\0';
        assert_field(out, "OS", "Kernel release", krel);

        /* the agent, as the daemon has it */
        char *version = daemon_string("AgentVersion");
        assert_field(out, "Agent", "Connected", "yes");
        assert_field(out, "Agent", "Version", version);
        unsigned n = 0, enabled = 0;
        assert_non_null(field(out, "Agent", "Commands"));
        assert_int_equal(sscanf(field(out, "Agent", "Commands"), "%u (%u enabled)", &n, &enabled), 2);
        assert_true(n > 20 && enabled > 0 && enabled < n);
        assert_non_null(field(out, "Agent", "Last transition"));
        assert_null(strstr(out, "No guest data"));
        free(version);

        /* the domain's NIC merged with eth0; the guest-only dummy0 */
        char *mac = spec("$GUEST_MAC"), *ipv4 = spec("$GUEST_IPV4"), *ipv6 = spec("$GUEST_IPV6");
        char *extra_name = spec("${GUEST_EXTRA_NICS%%,*}");
        char c[8][256];
        const char *row = line_starting(out, "  net0 ");
        assert_non_null(row);
        assert_int_equal(cells(row, c, 8), 5);
        assert_string_equal(c[1], "eth0");
        assert_string_equal(c[2], mac);
        assert_int_equal(strncmp(c[3], ipv4, strlen(ipv4)), 0); /* IPv4 first */
        assert_non_null(strstr(c[3], ipv6));
        assert_string_equal(c[4], "domain, guest-agent");
        row = line_starting(out, "  -     ");
        assert_non_null(row);
        assert_int_equal(cells(row, c, 8), 5);
        assert_string_equal(c[1], extra_name);
        assert_string_equal(c[4], "guest-agent");
        free(mac), free(ipv4), free(ipv6), free(extra_name);

        /* /data and its bind mounts, sizes readable, the disk by serial and bus */
        char *serial = spec("$DATA_DISK_SERIAL"), *data = spec("$DATA_DISK_MOUNT"), disks[300];
        snprintf(disks, sizeof disks, "%s (virtio)", serial);
        assert_non_null(strstr(out, "\nFilesystems (3)\n  MOUNT POINT  "));
        char prefix[300];
        snprintf(prefix, sizeof prefix, "  %s ", data);
        row = line_starting(out, prefix);
        assert_non_null(row);
        assert_int_equal(cells(row, c, 8), 6);
        assert_string_equal(c[1], "ext4");
        assert_string_equal(c[5], disks);
        /* 16 MiB image: both sizes in KiB or MiB, with one decimal */
        assert_true(strstr(c[3], " KiB") || strstr(c[3], " MiB"));
        assert_non_null(strstr(c[4], " MiB"));
        assert_non_null(line_starting(out, "  /srv/data2 "));
        assert_non_null(line_starting(out, "  /srv/data3 "));
        free(serial), free(data);

        /* users with their login times, readable */
        assert_non_null(strstr(out, "\nUsers (3)\n  NAME   DOMAIN  LOGIN TIME\n"));
        const char *users[] = { "alice", "bob", "carol" };
        for (size_t i = 0; i < 3; i++) {
                char p[64], *login = spec_login(users[i]);
                snprintf(p, sizeof p, "  %s ", users[i]);
                row = line_starting(out, p);
                assert_non_null(row);
                assert_int_equal(cells(row, c, 8), 3);
                assert_string_equal(c[1], "-");
                assert_string_equal(c[2], login);
                free(login);
        }
        free(out);
}

static void test_show_json_is_the_spec(void **state) {
        char *out = run_ok(false, "show", "--json", VM);
        json_t *j = parse(out), *os = json_object_get(j, "os");
        const char *os_keys[][2] = { { "prettyName", "$OS_PRETTY_NAME" },
                                     { "name", "$OS_NAME" },
                                     { "id", "$OS_ID" },
                                     { "version", "$OS_VERSION" },
                                     { "versionId", "$OS_VERSION_ID" },
                                     { "variant", "$OS_VARIANT" },
                                     { "variantId", "$OS_VARIANT_ID" } };

        assert_json_string(j, "name", VM);
        assert_json_string(j, "uuid", VM_UUID);
        assert_json_string(j, "state", "running");
        assert_true(json_is_true(json_object_get(json_object_get(j, "agent"), "connected")));
        for (size_t i = 0; i < sizeof os_keys / sizeof *os_keys; i++) {
                char *want = spec(os_keys[i][1]);
                assert_json_string(os, os_keys[i][0], want);
                free(want);
        }
        char *hostname = spec("$GUEST_HOSTNAME"), *tz = spec("$(TZ=$GUEST_TIMEZONE date +%Z)"),
             *offset = spec("$(TZ=$GUEST_TIMEZONE date +%z)"); /* +0900 */
        int hh = (offset[1] - '0') * 10 + (offset[2] - '0'), mm = (offset[3] - '0') * 10 + (offset[4] - '0');
        assert_json_string(j, "hostname", hostname);
        assert_json_string(json_object_get(j, "timezone"), "name", tz);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "timezone"), "offset")),
                         (offset[0] == '-' ? -1 : 1) * (hh * 3600 + mm * 60));
        free(hostname), free(tz), free(offset);

        /* users: names and login times of the spec */
        json_t *users = json_object_get(j, "users");
        assert_int_equal(json_array_size(users), 3);
        assert_int_equal(json_integer_value(json_object_get(j, "userCount")), 3);
        char *spec_users = spec("$GUEST_USERS");
        size_t i = 0;
        for (char *save = NULL, *t = strtok_r(spec_users, " ", &save); t; t = strtok_r(NULL, " ", &save), i++) {
                char *colon = strchr(t, ':');
                *colon = '\0';
                json_t *u = json_array_get(users, i);
                assert_json_string(u, "userName", t);
                /* RFC 3339 UTC, whole seconds, as the agent's times */
                time_t login = (time_t) strtod(colon + 1, NULL);
                struct tm tm;
                char want[64];
                assert_non_null(gmtime_r(&login, &tm));
                strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
                assert_json_string(u, "loginTime", want);
        }
        free(spec_users);

        /* filesystems: the data disk and its bind mounts */
        json_t *fs = json_object_get(j, "filesystems");
        char *serial = spec("$DATA_DISK_SERIAL"), *data = spec("$DATA_DISK_MOUNT");
        assert_int_equal(json_array_size(fs), 3);
        assert_int_equal(json_integer_value(json_object_get(j, "filesystemCount")), 3);
        assert_json_string(json_array_get(fs, 0), "mountPoint", data);
        for (i = 0; i < 3; i++) {
                json_t *e = json_array_get(fs, i);
                assert_json_string(e, "fileSystemType", "ext4");
                assert_true(json_integer_value(json_object_get(e, "totalBytes")) > 0);
                assert_json_string(json_array_get(json_object_get(e, "disk"), 0), "serial", serial);
                assert_json_string(json_array_get(json_object_get(e, "disk"), 0), "busType", "virtio");
        }
        free(serial), free(data);

        /* the merged NIC: its addresses as their parts, IPv4 first */
        char *mac = spec("$GUEST_MAC"), *ipv4 = spec("$GUEST_IPV4"), *ipv6 = spec("$GUEST_IPV6");
        json_t *nic = json_array_get(json_object_get(j, "interfaces"), 0);
        assert_json_string(nic, "name", "net0");
        assert_json_string(nic, "interfaceName", "eth0");
        assert_json_string(nic, "mac", mac);
        json_t *addresses = json_object_get(nic, "addresses");
        assert_true(json_array_size(addresses) >= 2);
        assert_address(json_array_get(addresses, 0), "ipv4", ipv4);
        bool found_ipv6 = false;
        for (i = 1; i < json_array_size(addresses); i++) {
                json_t *a = json_array_get(addresses, i);
                if (strcmp(json_string_value(json_object_get(a, "family")), "ipv6") == 0 &&
                    strncmp(ipv6, json_string_value(json_object_get(a, "address")), strcspn(ipv6, "/")) == 0) {
                        assert_address(a, "ipv6", ipv6);
                        found_ipv6 = true;
                }
        }
        assert_true(found_ipv6);
        json_t *sources = json_object_get(nic, "sources");
        assert_int_equal(json_array_size(sources), 2);
        assert_string_equal(json_string_value(json_array_get(sources, 0)), "domain");
        assert_string_equal(json_string_value(json_array_get(sources, 1)), "guest-agent");
        free(mac), free(ipv4), free(ipv6);
        json_decref(j);
        free(out);
}

/* ---- list ---- */

static void test_list_is_the_spec(void **state) {
        char *pretty = spec("$OS_PRETTY_NAME"), *hostname = spec("$GUEST_HOSTNAME"), *ipv4 = spec("$GUEST_IPV4");
        char *out = run_ok(false, "list", "--json", NULL);
        json_t *j = parse(out);

        assert_int_equal(json_array_size(j), 1);
        json_t *vm = json_array_get(j, 0);
        assert_json_string(vm, "name", VM);
        assert_json_string(vm, "uuid", VM_UUID);
        assert_json_string(vm, "state", "running");
        assert_true(json_is_true(json_object_get(vm, "agentConnected")));
        assert_json_string(vm, "osPrettyName", pretty);
        assert_json_string(vm, "hostname", hostname);
        assert_address(json_object_get(vm, "address"), "ipv4", ipv4);
        json_decref(j);
        free(out);

        /* the same, piped: tab-separated */
        char *want;
        out = run_ok(false, "list", NULL, NULL);
        assert_true(asprintf(&want, VM "\trunning\tyes\tyes\t%s\t%s\t%s\n", pretty, hostname, ipv4) > 0);
        assert_string_equal(out, want);
        free(out), free(want);
        free(pretty), free(hostname), free(ipv4);
}

/* ---- KubeVirt's documents ---- */

/* The samples of KubeVirt's "Guest Agent information" page. */
static const char sample_guestosinfo[] =
        "{\"fsInfo\": {\"disks\": [{\"diskName\": \"vda1\", \"fileSystemType\": \"ext4\", \"mountPoint\": \"/\","
        " \"totalBytes\": 0, \"usedBytes\": 0}]},"
        " \"guestAgentVersion\": \"2.11.2\", \"hostname\": \"testvmi6m5krnhdlggc9mxfsrnhlxqckgv5kqrwcwpgr5mdpv76grrk\","
        " \"metadata\": {\"creationTimestamp\": null},"
        " \"os\": {\"id\": \"fedora\", \"kernelRelease\": \"4.18.16-300.fc29.x86_64\","
        " \"kernelVersion\": \"#1 SMP Sat Oct 20 23:24:08 UTC 2018\", \"machine\": \"x86_64\", \"name\": \"Fedora\","
        " \"prettyName\": \"Fedora 29 (Cloud Edition)\", \"version\": \"29 (Cloud Edition)\", \"versionId\": \"29\"},"
        " \"timezone\": \"UTC, 0\"}";
static const char sample_filesystemlist[] =
        "{\"items\": [{\"diskName\": \"vda1\", \"fileSystemType\": \"ext4\", \"mountPoint\": \"/\","
        " \"totalBytes\": 3927900160, \"usedBytes\": 1029201920}], \"metadata\": {}}";
static const char sample_userlist[] =
        "{\"items\": [{\"loginTime\": 1580467675.876078, \"userName\": \"fedora\"}], \"metadata\": {}}";
/* status.interfaces, from the page's YAML */
static const char sample_interfaces[] =
        "[{\"infoSource\": \"domain, guest-agent\", \"interfaceName\": \"eth0\", \"ipAddress\": \"10.244.0.23/24\","
        " \"ipAddresses\": [\"10.244.0.23/24\", \"fe80::858:aff:fef4:17/64\"], \"mac\": \"0a:58:0a:f4:00:17\","
        " \"name\": \"default\"}]";

/* Fields of KubeVirt's API that the samples happen not to show (omitempty). */
static bool optional_key(const char *key) {
        const char *keys[] = { "supportedCommands", "userList", "disk", "domain", "fsFreezeStatus" };
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
                if (strcmp(keys[i], key) == 0)
                        return true;
        return false;
}

static int kind(json_t *v) {
        return json_is_boolean(v) ? JSON_TRUE : (int) json_typeof(v);
}

/* got has sample's shape: the same JSON types; every key of the sample
 * (strict), or at least no key the sample and KubeVirt's API lack (an
 * element KubeVirt's omitempty thinned). Arrays: the first element strictly,
 * the others loosely, against the sample's first. */
static void assert_shape(json_t *sample, json_t *got, bool strict, const char *where) {
        if (kind(sample) != kind(got))
                fprintf(stderr, "%s: type %d, the sample has %d\n", where, kind(got), kind(sample));
        assert_int_equal(kind(got), kind(sample));

        if (json_is_object(sample)) {
                const char *key;
                json_t *v;
                char sub[256];
                json_object_foreach(sample, key, v) {
                        snprintf(sub, sizeof sub, "%s.%s", where, key);
                        json_t *g = json_object_get(got, key);
                        if (!g && strict)
                                fprintf(stderr, "%s: missing\n", sub);
                        assert_true(g || !strict);
                        if (g)
                                assert_shape(v, g, strict, sub);
                }
                json_object_foreach(got, key, v) {
                        if (!json_object_get(sample, key) && !optional_key(key))
                                fprintf(stderr, "%s.%s: not in KubeVirt's document\n", where, key);
                        assert_true(json_object_get(sample, key) || optional_key(key));
                }
        } else if (json_is_array(sample) && json_array_size(sample) > 0) {
                char sub[256];
                assert_true(json_array_size(got) > 0);
                for (size_t i = 0; i < json_array_size(got); i++) {
                        snprintf(sub, sizeof sub, "%s[%zu]", where, i);
                        assert_shape(json_array_get(sample, 0), json_array_get(got, i), strict && i == 0, sub);
                }
        }
}

static char *daemon_json(const char *method) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *s;
        assert_true(sd_bus_call_method(H.bus, BUS_NAME, vm_path, DOMAIN_IFACE, method, &error, &reply, "") >= 0);
        assert_int_equal(sd_bus_message_read(reply, "s", &s), 1);
        char *copy = NULL;
        assert_true(asprintf(&copy, "%s\n", s) > 0);
        sd_bus_message_unref(reply);
        return copy;
}

static void test_kubevirt_documents_have_kubevirts_shape(void **state) {
        const struct {
                const char *command, *method, *sample;
        } docs[] = {
                { "guestosinfo", "GetGuestOSInfo", sample_guestosinfo },
                { "filesystemlist", "GetFilesystemList", sample_filesystemlist },
                { "userlist", "GetUserList", sample_userlist },
                { "interfaces", "GetInterfaces", sample_interfaces },
        };

        for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
                char *out = run_ok(false, docs[i].command, VM, NULL), *daemon = daemon_json(docs[i].method);
                /* what the daemon says, as it says it */
                assert_string_equal(out, daemon);
                json_t *sample = parse(docs[i].sample), *got = parse(out);
                assert_shape(sample, got, true, docs[i].command);

                /* and the values are this guest's */
                if (strcmp(docs[i].command, "guestosinfo") == 0) {
                        char *hostname = spec("$GUEST_HOSTNAME"), *pretty = spec("$OS_PRETTY_NAME");
                        assert_json_string(got, "hostname", hostname);
                        assert_json_string(json_object_get(got, "os"), "prettyName", pretty);
                        free(hostname), free(pretty);
                } else if (strcmp(docs[i].command, "userlist") == 0) {
                        assert_int_equal(json_array_size(json_object_get(got, "items")), 3);
                        assert_json_string(json_array_get(json_object_get(got, "items"), 0), "userName", "alice");
                } else if (strcmp(docs[i].command, "filesystemlist") == 0)
                        assert_int_equal(json_array_size(json_object_get(got, "items")), 3);
                else {
                        char *mac = spec("$GUEST_MAC");
                        assert_json_string(json_array_get(got, 0), "mac", mac);
                        free(mac);
                }
                json_decref(sample), json_decref(got);
                free(out), free(daemon);
        }
}

/* ---- refresh, watch ---- */

static void test_refresh_and_watch(void **state) {
        CtlResult r;
        CtlProcess p;

        assert_int_equal(ctl_run(&r, false, T, "--user", "refresh", VM, NULL), 0);
        printf("# refresh answered in %.2f s\n", r.seconds);
        assert_string_equal(r.out, "");
        assert_string_equal(r.err, "");
        ctl_result_free(&r);

        /* the present line of watch carries the guest data */
        assert_int_equal(ctl_start(&p, "--user", "watch", "--json", VM, NULL), 0);
        char *line = ctl_next_line(&p, 10000);
        assert_int_equal(ctl_stop(&p, SIGINT), 0);
        assert_non_null(line);
        json_t *j = parse(line), *interfaces = json_object_get(j, "interfaces");
        char *pretty = spec("$OS_PRETTY_NAME");
        assert_json_string(j, "event", "present");
        assert_json_string(json_object_get(interfaces, "OS"), "OperatingSystemPrettyName", pretty);
        assert_true(json_is_true(json_object_get(json_object_get(interfaces, "Domain"), "AgentConnected")));
        assert_int_equal(json_integer_value(json_object_get(json_object_get(interfaces, "Users"), "UserCount")), 3);
        json_decref(j);
        free(line), free(pretty);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_show_text_is_the_spec, test_teardown),
                cmocka_unit_test_teardown(test_show_json_is_the_spec, test_teardown),
                cmocka_unit_test_teardown(test_list_is_the_spec, test_teardown),
                cmocka_unit_test_teardown(test_kubevirt_documents_have_kubevirts_shape, test_teardown),
                cmocka_unit_test_teardown(test_refresh_and_watch, test_teardown),
        };
        return cmocka_run_group_tests_name("e2e: guestinfoctl", tests, group_setup, group_teardown);
}
