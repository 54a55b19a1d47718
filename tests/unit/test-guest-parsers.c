/* Unit tests of the parsers of untrusted guest data: virDomainGetGuestInfo's
 * typed parameters, the agent's guest-info JSON, the domain XML's devices,
 * and UTF-8 sanitizing; plus moving and comparing the results. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intern.h"
#include "agent-info.h"
#include "domain-devices.h"
#include "guest-builder.h"
#include "guest-data.h"
#include "guest-info.h"

#define FFFD "\xef\xbf\xbd"
#define ELLIPSIS "\xe2\x80\xa6"

/* assert_string_equal() that also accepts an expected NULL. */
#define assert_str(actual, expected)                                                                                   \
        do {                                                                                                           \
                const char *_a = (actual), *_e = (expected);                                                           \
                if (_e) {                                                                                              \
                        assert_non_null(_a);                                                                           \
                        assert_string_equal(_a, _e);                                                                   \
                } else                                                                                                 \
                        assert_null(_a);                                                                               \
        } while (0)

/* ---- helpers ---- */

typedef struct Params {
        virTypedParameterPtr p;
        int n, max;
} Params;

static void add_str(Params *ps, const char *key, const char *v) {
        assert_int_equal(virTypedParamsAddString(&ps->p, &ps->n, &ps->max, key, v), 0);
}

static void add_uint(Params *ps, const char *key, unsigned v) {
        assert_int_equal(virTypedParamsAddUInt(&ps->p, &ps->n, &ps->max, key, v), 0);
}

static void add_ullong(Params *ps, const char *key, unsigned long long v) {
        assert_int_equal(virTypedParamsAddULLong(&ps->p, &ps->n, &ps->max, key, v), 0);
}

static void add_int(Params *ps, const char *key, int v) {
        assert_int_equal(virTypedParamsAddInt(&ps->p, &ps->n, &ps->max, key, v), 0);
}

static void add_llong(Params *ps, const char *key, long long v) {
        assert_int_equal(virTypedParamsAddLLong(&ps->p, &ps->n, &ps->max, key, v), 0);
}

static void params_done(Params *ps) {
        virTypedParamsFree(ps->p, ps->n);
        *ps = (Params){};
}

static GuestInfo *parse_params(const Params *ps, unsigned kinds) {
        GuestInfo *g = NULL;

        assert_int_equal(guest_info_from_typed_params(ps->p, ps->n, kinds, &g), 0);
        assert_non_null(g);
        assert_int_equal(g->kinds, kinds);
        return g;
}

static char *read_fixture(const char *name, size_t *len) {
        const char *root = getenv("MESON_SOURCE_ROOT");
        char path[4096];
        FILE *f;
        char *buf;
        long size;

        snprintf(path, sizeof path, "%s/tests/fixtures/%s", root ? root : ".", name);
        f = fopen(path, "re");
        if (!f)
                fail_msg("cannot open %s", path);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        size = ftell(f);
        assert_true(size > 0);
        rewind(f);
        buf = malloc((size_t) size + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t) size, f), (size_t) size);
        buf[size] = '\0';
        fclose(f);
        *len = (size_t) size;
        return buf;
}

static bool endswith(const char *s, const char *suffix) {
        size_t l = strlen(s), m = strlen(suffix);
        return l >= m && strcmp(s + l - m, suffix) == 0;
}

/* The harness guest as virsh printed it, with the types libvirt 9.0 uses:
 * counts are unsigned int (or unsigned long long if wide_counts: the parser
 * must not care), sizes and login times unsigned long long, the timezone
 * offset int, prefixes unsigned int, disk.N.partition boolean. */
static void load_harness_params(Params *ps, bool wide_counts) {
        size_t len;
        char *text = read_fixture("harness-guestinfo.txt", &len), *save = NULL;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char key[VIR_TYPED_PARAM_FIELD_LENGTH];
                const char *value;
                size_t k = strcspn(line, " ");

                if (k == 0)
                        continue;
                assert_true(k < sizeof key);
                memcpy(key, line, k);
                key[k] = '\0';
                value = line + k + strspn(line + k, " ");
                assert_true(value[0] == ':' && value[1] == ' ');
                value += 2;

                if (endswith(key, ".count")) {
                        if (wide_counts)
                                add_ullong(ps, key, strtoull(value, NULL, 10));
                        else
                                add_uint(ps, key, (unsigned) strtoul(value, NULL, 10));
                } else if (endswith(key, "-bytes") || endswith(key, ".login-time"))
                        add_ullong(ps, key, strtoull(value, NULL, 10));
                else if (strcmp(key, "timezone.offset") == 0)
                        add_int(ps, key, (int) strtol(value, NULL, 10));
                else if (endswith(key, ".prefix"))
                        add_uint(ps, key, (unsigned) strtoul(value, NULL, 10));
                else if (endswith(key, ".partition"))
                        assert_int_equal(
                                virTypedParamsAddBoolean(&ps->p, &ps->n, &ps->max, key, strcmp(value, "yes") == 0), 0);
                else
                        add_str(ps, key, value);
        }
        free(text);
        /* every line of the fixture */
        assert_int_equal(ps->n, 76);
}

static GuestInfo *harness_guest(void) {
        Params ps = {};
        GuestInfo *g;

        load_harness_params(&ps, false);
        g = parse_params(&ps, GUEST_KIND_ALL);
        params_done(&ps);
        return g;
}

static void check_iface(const GuestInterface *i, const char *name, const char *mac, size_t n_ipv4,
                        const char *const *addresses, size_t n) {
        assert_str(i->name, name);
        assert_str(i->mac, mac);
        assert_int_equal(i->n_addresses, n);
        assert_int_equal(i->n_ipv4, n_ipv4);
        for (size_t k = 0; k < n; k++)
                assert_str(i->addresses[k], addresses[k]);
}

static void check_harness(const GuestInfo *g) {
        assert_str(g->os.id, "guestos");
        assert_str(g->os.name, "GuestOS Linux");
        assert_str(g->os.pretty_name, "GuestOS Linux 42.1 (Test Edition)");
        assert_str(g->os.version, "42.1 (Test Edition)");
        assert_str(g->os.version_id, "42.1");
        assert_str(g->os.kernel_release, "6.1.0-56-amd64");
        assert_str(g->os.kernel_version, "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)");
        assert_str(g->os.machine, "x86_64");
        assert_str(g->os.variant, "Test Edition");
        assert_str(g->os.variant_id, "test");

        assert_str(g->hostname, "guestinfo-test");
        assert_str(g->timezone_name, "JST");
        assert_true(g->has_timezone_offset);
        assert_int_equal(g->timezone_offset, 32400);

        assert_int_equal(g->n_users, 2);
        assert_int_equal(g->n_users_reported, 2);
        assert_str(g->users[0].name, "alice");
        assert_null(g->users[0].domain);
        assert_true(g->users[0].login_time == 1700000000.0);
        assert_str(g->users[1].name, "bob");
        assert_null(g->users[1].domain);
        assert_true(g->users[1].login_time == 1700000100.5);

        assert_int_equal(g->n_filesystems, 2);
        assert_int_equal(g->n_filesystems_reported, 2);
        static const char *const mounts[] = { "/data", "/srv/data2" };
        for (size_t i = 0; i < 2; i++) {
                const GuestFilesystem *fs = &g->filesystems[i];

                assert_str(fs->disk_name, "vda");
                assert_str(fs->mount_point, mounts[i]);
                assert_str(fs->fs_type, "ext4");
                assert_true(fs->has_bytes);
                assert_int_equal(fs->total_bytes, 13237248);
                assert_int_equal(fs->used_bytes, 14336);
                assert_int_equal(fs->n_disks, 1);
                assert_str(fs->disks[0].alias, "vda");
                assert_str(fs->disks[0].serial, "GI-DATA-0001");
                assert_str(fs->disks[0].device, "/dev/vda");
                assert_null(fs->disks[0].bus_type); /* the XML's business */
        }

        assert_int_equal(g->n_interfaces, 3);
        assert_int_equal(g->n_interfaces_reported, 3);
        check_iface(&g->interfaces[0], "lo", "00:00:00:00:00:00", 1, (const char *const[]){ "127.0.0.1/8", "::1/128" },
                    2);
        check_iface(&g->interfaces[1], "eth0", "52:54:00:12:34:56", 1,
                    (const char *const[]){ "10.0.2.15/24", "fd00:10::15/64", "fe80::5054:ff:fe12:3456/64" }, 3);
        check_iface(&g->interfaces[2], "dummy0", "02:00:00:00:99:05", 1,
                    (const char *const[]){ "10.99.0.5/24", "fd00:99::5/64", "fe80::ff:fe00:9905/64" }, 3);
}

/* Independent of the parser's decoder: decodes code points and checks them. */
static bool valid_utf8(const char *s) {
        const uint8_t *p = (const uint8_t *) s;

        while (*p) {
                uint32_t cp, min;
                size_t n;

                if (*p < 0x80) {
                        p++;
                        continue;
                } else if ((*p & 0xe0) == 0xc0)
                        n = 2, cp = *p & 0x1f, min = 0x80;
                else if ((*p & 0xf0) == 0xe0)
                        n = 3, cp = *p & 0x0f, min = 0x800;
                else if ((*p & 0xf8) == 0xf0)
                        n = 4, cp = *p & 0x07, min = 0x10000;
                else
                        return false;
                for (size_t i = 1; i < n; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (p[i] & 0x3f);
                }
                if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                /* noncharacters: valid UTF-8, but sd-bus refuses them */
                if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe)
                        return false;
                p += n;
        }
        return true;
}

/* ---- typed parameters ---- */

static void test_harness_guest(void **state) {
        GuestInfo *g = harness_guest();
        check_harness(g);
        guest_info_free(g);

        /* the same with every count an unsigned long long */
        Params ps = {};
        load_harness_params(&ps, true);
        g = parse_params(&ps, GUEST_KIND_ALL);
        check_harness(g);
        guest_info_free(g);
        params_done(&ps);
}

static void test_windows_guest(void **state) {
        Params ps = {};
        GuestInfo *g;

        add_str(&ps, "os.id", "mswindows");
        add_str(&ps, "os.name", "Microsoft Windows");
        add_str(&ps, "os.pretty-name", "Windows Server 2022 Datacenter");
        add_str(&ps, "os.version", "Microsoft Windows Server 2022");
        add_str(&ps, "os.version-id", "2022");
        add_str(&ps, "os.kernel-release", "20348");
        add_str(&ps, "os.kernel-version", "10.0");
        add_str(&ps, "os.machine", "x86_64");
        add_str(&ps, "os.variant", "server");
        add_str(&ps, "os.variant-id", "server");
        add_str(&ps, "hostname", "WIN-SRV01");
        add_str(&ps, "timezone.name", "W. Europe Standard Time");
        add_int(&ps, "timezone.offset", 3600);
        add_uint(&ps, "user.count", 2);
        add_str(&ps, "user.0.name", "Administrator");
        add_str(&ps, "user.0.domain", "WIN-SRV01");
        add_ullong(&ps, "user.0.login-time", 1700000000123ULL);
        add_str(&ps, "user.1.name", "jdoe");
        add_str(&ps, "user.1.domain", "CORP");
        add_ullong(&ps, "user.1.login-time", 1700000200000ULL);
        add_uint(&ps, "fs.count", 1);
        add_str(&ps, "fs.0.name", "\\\\?\\Volume{0a1b2c3d-0000-0000-0000-100000000000}\\");
        add_str(&ps, "fs.0.mountpoint", "C:\\");
        add_str(&ps, "fs.0.fstype", "NTFS");
        add_ullong(&ps, "fs.0.total-bytes", 53135405056ULL);
        add_ullong(&ps, "fs.0.used-bytes", 21474836480ULL);
        add_uint(&ps, "fs.0.disk.count", 1);
        add_str(&ps, "fs.0.disk.0.alias", "sda");
        add_str(&ps, "fs.0.disk.0.serial", "QM00001");
        add_uint(&ps, "if.count", 1);
        add_str(&ps, "if.0.name", "Ethernet");
        add_str(&ps, "if.0.hwaddr", "52:54:00:AB:CD:EF");
        add_uint(&ps, "if.0.addr.count", 2);
        add_str(&ps, "if.0.addr.0.type", "ipv6");
        add_str(&ps, "if.0.addr.0.addr", "fe80::1c2d:3e4f:5a6b:7c8d");
        add_uint(&ps, "if.0.addr.0.prefix", 64);
        add_str(&ps, "if.0.addr.1.type", "ipv4");
        add_str(&ps, "if.0.addr.1.addr", "192.168.122.50");
        add_uint(&ps, "if.0.addr.1.prefix", 24);

        g = parse_params(&ps, GUEST_KIND_ALL);
        assert_str(g->os.id, "mswindows");
        assert_str(g->os.pretty_name, "Windows Server 2022 Datacenter");
        assert_str(g->os.kernel_release, "20348");
        assert_str(g->os.variant_id, "server");
        assert_str(g->hostname, "WIN-SRV01");
        assert_str(g->timezone_name, "W. Europe Standard Time");
        assert_int_equal(g->timezone_offset, 3600);
        assert_int_equal(g->n_users, 2);
        assert_str(g->users[0].name, "Administrator");
        assert_str(g->users[0].domain, "WIN-SRV01");
        assert_true(g->users[0].login_time == 1700000000.123);
        assert_str(g->users[1].name, "jdoe");
        assert_str(g->users[1].domain, "CORP");
        assert_true(g->users[1].login_time == 1700000200.0);
        assert_int_equal(g->n_filesystems, 1);
        assert_str(g->filesystems[0].mount_point, "C:\\");
        assert_str(g->filesystems[0].disk_name, "\\\\?\\Volume{0a1b2c3d-0000-0000-0000-100000000000}\\");
        assert_int_equal(g->filesystems[0].total_bytes, 53135405056ULL);
        assert_int_equal(g->filesystems[0].used_bytes, 21474836480ULL);
        assert_int_equal(g->filesystems[0].n_disks, 1);
        assert_str(g->filesystems[0].disks[0].serial, "QM00001");
        assert_null(g->filesystems[0].disks[0].device);
        /* lowercased; IPv4 moved before the IPv6 the guest listed first */
        check_iface(&g->interfaces[0], "Ethernet", "52:54:00:ab:cd:ef", 1,
                    (const char *const[]){ "192.168.122.50/24", "fe80::1c2d:3e4f:5a6b:7c8d/64" }, 2);
        guest_info_free(g);
        params_done(&ps);
}

static void test_many_entries(void **state) {
        Params ps = {};
        char key[VIR_TYPED_PARAM_FIELD_LENGTH], value[64];
        GuestInfo *g;

        add_uint(&ps, "user.count", 15);
        for (int i = 0; i < 15; i++) {
                snprintf(key, sizeof key, "user.%d.name", i);
                snprintf(value, sizeof value, "user%02d", i);
                add_str(&ps, key, value);
                snprintf(key, sizeof key, "user.%d.login-time", i);
                add_ullong(&ps, key, 1700000000000ULL + (unsigned long long) i * 1000);
        }
        add_uint(&ps, "fs.count", 12);
        add_uint(&ps, "if.count", 12);
        for (int i = 0; i < 12; i++) {
                snprintf(key, sizeof key, "fs.%d.mountpoint", i);
                snprintf(value, sizeof value, "/mnt/%d", i);
                add_str(&ps, key, value);
                snprintf(key, sizeof key, "if.%d.name", i);
                snprintf(value, sizeof value, "eth%d", i);
                add_str(&ps, key, value);
                snprintf(key, sizeof key, "if.%d.addr.count", i);
                add_uint(&ps, key, 1);
                snprintf(key, sizeof key, "if.%d.addr.0.type", i);
                add_str(&ps, key, "ipv4");
                snprintf(key, sizeof key, "if.%d.addr.0.addr", i);
                snprintf(value, sizeof value, "10.0.0.%d", i);
                add_str(&ps, key, value);
                snprintf(key, sizeof key, "if.%d.addr.0.prefix", i);
                add_uint(&ps, key, 8);
        }

        g = parse_params(&ps, GUEST_KIND_ALL);
        assert_int_equal(g->n_users, 15);
        assert_int_equal(g->n_users_reported, 15);
        assert_int_equal(g->n_filesystems, 12);
        assert_int_equal(g->n_filesystems_reported, 12);
        assert_int_equal(g->n_interfaces, 12);
        assert_int_equal(g->n_interfaces_reported, 12);
        for (int i = 0; i < 15; i++) {
                snprintf(value, sizeof value, "user%02d", i);
                assert_str(g->users[i].name, value);
                assert_true(g->users[i].login_time == 1700000000.0 + i);
        }
        for (int i = 0; i < 12; i++) {
                snprintf(value, sizeof value, "/mnt/%d", i);
                assert_str(g->filesystems[i].mount_point, value);
                assert_false(g->filesystems[i].has_bytes);
                snprintf(value, sizeof value, "eth%d", i);
                assert_str(g->interfaces[i].name, value);
                snprintf(value, sizeof value, "10.0.0.%d/8", i);
                assert_int_equal(g->interfaces[i].n_addresses, 1);
                assert_str(g->interfaces[i].addresses[0], value);
        }
        guest_info_free(g);
        params_done(&ps);
}

static void test_caps(void **state) {
        Params ps = {};
        char key[VIR_TYPED_PARAM_FIELD_LENGTH];
        GuestInfo *g;

        /* 300 users claimed and sent: 256 kept, 300 reported */
        add_uint(&ps, "user.count", 300);
        for (int i = 0; i < 300; i++) {
                snprintf(key, sizeof key, "user.%d.name", i);
                add_str(&ps, key, "u");
        }
        /* 20 disks of a filesystem, 40 addresses of an interface */
        add_str(&ps, "fs.0.mountpoint", "/");
        add_uint(&ps, "fs.0.disk.count", 20);
        for (int i = 0; i < 20; i++) {
                snprintf(key, sizeof key, "fs.0.disk.%d.alias", i);
                add_str(&ps, key, "vda");
        }
        add_str(&ps, "if.0.name", "eth0");
        add_uint(&ps, "if.0.addr.count", 40);
        for (int i = 0; i < 40; i++) {
                snprintf(key, sizeof key, "if.0.addr.%d.type", i);
                add_str(&ps, key, "ipv6");
                snprintf(key, sizeof key, "if.0.addr.%d.addr", i);
                add_str(&ps, key, "fd00::1");
        }
        g = parse_params(&ps, GUEST_KIND_ALL);
        assert_int_equal(g->n_users, GUEST_USERS_MAX);
        assert_int_equal(g->n_users_reported, 300);
        assert_int_equal(g->n_filesystems, 1);
        assert_int_equal(g->filesystems[0].n_disks, GUEST_FS_DISKS_MAX);
        assert_int_equal(g->n_interfaces, 1);
        assert_int_equal(g->interfaces[0].n_addresses, GUEST_ADDRESSES_MAX);
        /* no prefix sent: the bare address */
        assert_str(g->interfaces[0].addresses[31], "fd00::1");
        guest_info_free(g);
        params_done(&ps);
}

static void test_absurd_counts(void **state) {
        Params ps = {};
        GuestInfo *g;

        /* a huge count with three entries: three kept, the count reported */
        add_uint(&ps, "user.count", 4000000000u);
        add_str(&ps, "user.0.name", "a");
        add_str(&ps, "user.1.name", "b");
        add_str(&ps, "user.2.name", "c");
        add_ullong(&ps, "fs.count", UINT64_MAX);
        add_str(&ps, "fs.0.mountpoint", "/");
        g = parse_params(&ps, GUEST_KIND_ALL);
        assert_int_equal(g->n_users, 3);
        assert_int_equal(g->n_users_reported, 4000000000u);
        assert_str(g->users[2].name, "c");
        assert_int_equal(g->n_filesystems, 1);
        assert_true(g->n_filesystems_reported == SIZE_MAX);
        guest_info_free(g);
        params_done(&ps);

        /* no count: indexes at or beyond the cap dropped, but counted */
        add_str(&ps, "user.0.name", "first");
        add_str(&ps, "user.255.name", "last");
        add_str(&ps, "user.256.name", "beyond");
        add_str(&ps, "user.999999.name", "far");
        add_str(&ps, "user.999999.domain", "far");
        g = parse_params(&ps, GUEST_KIND_ALL);
        assert_int_equal(g->n_users, 2);
        assert_str(g->users[0].name, "first");
        assert_str(g->users[1].name, "last");
        assert_int_equal(g->n_users_reported, 4);
        guest_info_free(g);
        params_done(&ps);

        /* malformed indexes are no entries at all */
        static const char *const garbage[] = {
                "user.-1.name",  "user.1x.name",         "user..name",       "user.+1.name",      "user. 1.name",
                "user.01.name",  "user.1234567890.name", "user.0",           "user.0.",           "user.count.name",
                "user.0x1.name", "fs.0.disk.-1.alias",   "fs.0.disk..alias", "if.0.addr.1x.addr",
        };
        /* first, so that a garbage key read as index 1 would overwrite it */
        add_str(&ps, "user.1.name", "good");
        for (size_t i = 0; i < sizeof garbage / sizeof *garbage; i++)
                add_str(&ps, garbage[i], "evil");
        add_str(&ps, "fs.0.mountpoint", "/");
        add_str(&ps, "if.0.name", "eth0");
        g = parse_params(&ps, GUEST_KIND_ALL);
        assert_int_equal(g->n_users, 1);
        assert_str(g->users[0].name, "good");
        assert_int_equal(g->n_users_reported, 1);
        assert_int_equal(g->filesystems[0].n_disks, 0);
        assert_int_equal(g->interfaces[0].n_addresses, 0);
        guest_info_free(g);
        params_done(&ps);

        /* entries beyond the guest's own count are dropped */
        add_uint(&ps, "user.count", 1);
        add_str(&ps, "user.0.name", "a");
        add_str(&ps, "user.1.name", "b");
        /* a negative or non-numeric count is no count */
        add_int(&ps, "fs.count", -1);
        add_str(&ps, "fs.0.mountpoint", "/");
        add_str(&ps, "fs.1.mountpoint", "/boot");
        add_str(&ps, "if.count", "2");
        add_str(&ps, "if.3.name", "eth3");
        g = parse_params(&ps, GUEST_KIND_ALL);
        assert_int_equal(g->n_users, 1);
        assert_int_equal(g->n_users_reported, 1);
        assert_int_equal(g->n_filesystems, 2);
        assert_int_equal(g->n_filesystems_reported, 2);
        assert_int_equal(g->n_interfaces, 1);
        assert_str(g->interfaces[0].name, "eth3");
        assert_int_equal(g->n_interfaces_reported, 1);
        guest_info_free(g);
        params_done(&ps);

        /* a count of zero keeps nothing */
        add_uint(&ps, "user.count", 0);
        add_str(&ps, "user.0.name", "a");
        g = parse_params(&ps, GUEST_KIND_ALL);
        assert_int_equal(g->n_users, 0);
        assert_int_equal(g->n_users_reported, 0);
        guest_info_free(g);
        params_done(&ps);
}

static void test_missing_fields(void **state) {
        Params ps = {};
        GuestInfo *g;

        add_str(&ps, "hostname", "h");
        add_uint(&ps, "user.count", 3);
        add_str(&ps, "user.0.name", "nologin");
        add_str(&ps, "user.1.domain", "nameless"); /* dropped */
        add_ullong(&ps, "user.1.login-time", 5000);
        add_str(&ps, "user.2.name", "late");
        add_ullong(&ps, "user.2.login-time", 5000);
        add_uint(&ps, "fs.count", 3);
        add_str(&ps, "fs.0.mountpoint", "/nosize");
        add_uint(&ps, "fs.0.disk.count", 2);
        add_str(&ps, "fs.0.disk.1.serial", "S1"); /* disk 0 never sent */
        add_str(&ps, "fs.1.name", "vdb");         /* no mount point: dropped */
        add_str(&ps, "fs.2.mountpoint", "/half");
        add_ullong(&ps, "fs.2.total-bytes", 100);         /* no used-bytes */
        add_str(&ps, "if.0.hwaddr", "52:54:00:00:00:01"); /* no name: dropped */
        add_str(&ps, "if.1.name", "nomac");
        g = parse_params(&ps, GUEST_KIND_ALL);

        assert_null(g->os.id);
        assert_null(g->os.name);
        assert_null(g->os.pretty_name);
        assert_null(g->os.kernel_version);
        assert_null(g->os.variant_id);
        assert_str(g->hostname, "h");
        assert_null(g->timezone_name);
        assert_false(g->has_timezone_offset);
        assert_int_equal(g->timezone_offset, 0);

        assert_int_equal(g->n_users, 2);
        assert_int_equal(g->n_users_reported, 3);
        assert_str(g->users[0].name, "nologin");
        assert_true(g->users[0].login_time == 0.0);
        assert_str(g->users[1].name, "late");
        assert_true(g->users[1].login_time == 5.0);

        assert_int_equal(g->n_filesystems, 2);
        assert_int_equal(g->n_filesystems_reported, 3);
        assert_str(g->filesystems[0].mount_point, "/nosize");
        assert_null(g->filesystems[0].disk_name);
        assert_null(g->filesystems[0].fs_type);
        assert_false(g->filesystems[0].has_bytes);
        assert_int_equal(g->filesystems[0].total_bytes, 0);
        assert_int_equal(g->filesystems[0].n_disks, 1);
        assert_str(g->filesystems[0].disks[0].serial, "S1");
        assert_null(g->filesystems[0].disks[0].alias);
        assert_str(g->filesystems[1].mount_point, "/half");
        assert_false(g->filesystems[1].has_bytes);
        assert_int_equal(g->filesystems[1].total_bytes, 0);

        assert_int_equal(g->n_interfaces, 1);
        assert_int_equal(g->n_interfaces_reported, 2);
        assert_str(g->interfaces[0].name, "nomac");
        assert_null(g->interfaces[0].mac);
        assert_int_equal(g->interfaces[0].n_addresses, 0);
        assert_null(g->interfaces[0].addresses);
        guest_info_free(g);

        /* nothing at all */
        g = NULL;
        assert_int_equal(guest_info_from_typed_params(NULL, 0, GUEST_KIND_OS, &g), 0);
        assert_non_null(g);
        assert_int_equal(g->kinds, GUEST_KIND_OS);
        assert_null(g->os.id);
        assert_null(g->hostname);
        guest_info_free(g);

        /* only the kinds asked for are read */
        g = parse_params(&ps, GUEST_KIND_USERS);
        assert_null(g->hostname);
        assert_int_equal(g->n_users, 2);
        assert_int_equal(g->n_filesystems, 0);
        assert_int_equal(g->n_filesystems_reported, 0);
        assert_int_equal(g->n_interfaces, 0);
        guest_info_free(g);
        params_done(&ps);

        /* wrong types are no values; an offset out of int32_t is none */
        add_str(&ps, "timezone.offset", "3600");
        add_uint(&ps, "os.id", 7);
        add_str(&ps, "user.0.name", "u");
        add_str(&ps, "user.0.login-time", "1700000000000");
        add_llong(&ps, "fs.0.total-bytes", -5);
        add_ullong(&ps, "fs.0.used-bytes", 5);
        add_str(&ps, "fs.0.mountpoint", "/");
        g = parse_params(&ps, GUEST_KIND_ALL);
        assert_false(g->has_timezone_offset);
        assert_null(g->os.id);
        assert_true(g->users[0].login_time == 0.0);
        assert_false(g->filesystems[0].has_bytes);
        assert_int_equal(g->filesystems[0].used_bytes, 0);
        guest_info_free(g);
        params_done(&ps);

        add_llong(&ps, "timezone.offset", 5000000000LL);
        g = parse_params(&ps, GUEST_KIND_ALL);
        assert_false(g->has_timezone_offset);
        guest_info_free(g);
        params_done(&ps);

        /* any integer type will do; negative offsets are fine */
        add_llong(&ps, "timezone.offset", -18000);
        add_int(&ps, "user.count", 1);
        add_str(&ps, "user.0.name", "u");
        add_llong(&ps, "user.0.login-time", 2500);
        g = parse_params(&ps, GUEST_KIND_ALL);
        assert_true(g->has_timezone_offset);
        assert_int_equal(g->timezone_offset, -18000);
        assert_int_equal(g->n_users_reported, 1);
        assert_true(g->users[0].login_time == 2.5);
        guest_info_free(g);
        params_done(&ps);
}

static void test_addresses(void **state) {
        Params ps = {};
        GuestInfo *g;

        /* IPv6 only */
        add_str(&ps, "if.0.name", "v6only");
        add_str(&ps, "if.0.addr.0.type", "ipv6");
        add_str(&ps, "if.0.addr.0.addr", "2001:db8::1");
        add_uint(&ps, "if.0.addr.0.prefix", 64);
        add_str(&ps, "if.0.addr.1.type", "ipv6");
        add_str(&ps, "if.0.addr.1.addr", "fe80::1");
        add_uint(&ps, "if.0.addr.1.prefix", 64);
        /* mixed: IPv4 first, each family in the guest's order */
        add_str(&ps, "if.1.name", "mixed");
        const char *const types[] = { "ipv6", "ipv4", "ipv6", "ipv4", "ipx", "ipv4" };
        const char *const addrs[] = { "fd00::a", "10.0.0.1", "fd00::b", "10.0.0.2", "zz", NULL };
        for (int i = 0; i < 6; i++) {
                char key[VIR_TYPED_PARAM_FIELD_LENGTH];

                snprintf(key, sizeof key, "if.1.addr.%d.type", i);
                add_str(&ps, key, types[i]);
                if (addrs[i]) {
                        snprintf(key, sizeof key, "if.1.addr.%d.addr", i);
                        add_str(&ps, key, addrs[i]);
                }
                snprintf(key, sizeof key, "if.1.addr.%d.prefix", i);
                add_uint(&ps, key, 16);
        }
        /* prefixes out of range or of the wrong kind: the bare address */
        add_str(&ps, "if.2.name", "odd");
        add_str(&ps, "if.2.addr.0.type", "ipv4");
        add_str(&ps, "if.2.addr.0.addr", "10.1.1.1");
        add_uint(&ps, "if.2.addr.0.prefix", 33);
        add_str(&ps, "if.2.addr.1.type", "ipv6");
        add_str(&ps, "if.2.addr.1.addr", "fd00::c");
        add_int(&ps, "if.2.addr.1.prefix", -1);
        add_str(&ps, "if.2.addr.2.type", "ipv6");
        add_str(&ps, "if.2.addr.2.addr", "fd00::d");
        add_uint(&ps, "if.2.addr.2.prefix", 128);
        g = parse_params(&ps, GUEST_KIND_INTERFACES);
        assert_int_equal(g->n_interfaces, 3);
        check_iface(&g->interfaces[0], "v6only", NULL, 0, (const char *const[]){ "2001:db8::1/64", "fe80::1/64" }, 2);
        check_iface(&g->interfaces[1], "mixed", NULL, 2,
                    (const char *const[]){ "10.0.0.1/16", "10.0.0.2/16", "fd00::a/16", "fd00::b/16" }, 4);
        check_iface(&g->interfaces[2], "odd", NULL, 1, (const char *const[]){ "10.1.1.1", "fd00::c", "fd00::d/128" },
                    3);
        guest_info_free(g);
        params_done(&ps);
}

static void test_garbage_strings(void **state) {
        Params ps = {};
        GuestInfo *g;
        char *big;

        add_str(&ps, "hostname",
                "host\xff\xfe"
                "name");
        add_str(&ps, "user.0.name",
                "b\xc3"
                "d\xed\xa0\x80user");
        add_str(&ps, "user.0.domain", "\x1b[31mred\x7f");
        add_str(&ps, "if.0.name",
                "eth\xc0\xaf"
                "0");
        add_str(&ps, "if.0.hwaddr", "AA:BB:\xe2\x82\xac:CC");
        big = malloc(1024 * 1024 + 1);
        assert_non_null(big);
        memset(big, 'a', 1024 * 1024);
        big[1024 * 1024] = '\0';
        add_str(&ps, "os.pretty-name", big);
        /* 2-byte characters: the cut may not split one */
        for (size_t i = 0; i < 1024 * 1024; i += 2)
                memcpy(big + i, "\xc3\xa9", 2);
        add_str(&ps, "os.name", big);
        free(big);

        g = parse_params(&ps, GUEST_KIND_ALL);
        assert_str(g->hostname, "host" FFFD FFFD "name");
        assert_str(g->users[0].name, "b" FFFD "d" FFFD FFFD FFFD "user");
        /* control characters are valid UTF-8: the bus can carry them */
        assert_str(g->users[0].domain, "\x1b[31mred\x7f");
        assert_str(g->interfaces[0].name, "eth" FFFD FFFD "0");
        /* only ASCII is lowercased */
        assert_str(g->interfaces[0].mac, "aa:bb:\xe2\x82\xac:cc");

        /* free text: cut at its field's cap */
        assert_int_equal(strlen(g->os.pretty_name), GUEST_OS_TEXT_MAX);
        assert_true(endswith(g->os.pretty_name, ELLIPSIS));
        assert_int_equal(strspn(g->os.pretty_name, "a"), GUEST_OS_TEXT_MAX - 3);
        /* 126 é (252 bytes) and the ellipsis: 255 bytes */
        assert_int_equal(strlen(g->os.name), GUEST_OS_TEXT_MAX - 1);
        assert_true(endswith(g->os.name, "\xc3\xa9" ELLIPSIS));
        assert_true(valid_utf8(g->os.name));
        guest_info_free(g);
        params_done(&ps);

        /* an address over its cap is dropped, not cut: cut, it would be another one */
        big = malloc(GUEST_STRING_MAX + 1);
        assert_non_null(big);
        memset(big, '1', GUEST_STRING_MAX);
        big[GUEST_STRING_MAX] = '\0';
        add_str(&ps, "if.0.name", "eth0");
        add_str(&ps, "if.0.addr.0.type", "ipv4");
        add_str(&ps, "if.0.addr.0.addr", big);
        add_uint(&ps, "if.0.addr.0.prefix", 24);
        free(big);
        g = parse_params(&ps, GUEST_KIND_ALL);
        assert_int_equal(g->n_interfaces, 1);
        assert_int_equal(g->interfaces[0].n_addresses, 0);
        guest_info_free(g);
        params_done(&ps);
}

/* ---- moving and comparing ---- */

static void test_take_kinds(void **state) {
        GuestInfo *dst = harness_guest(), *src;
        Params ps = {};

        add_str(&ps, "hostname", "renamed");
        add_str(&ps, "user.0.name", "carol");
        add_str(&ps, "os.id", "ignored"); /* not asked for */
        src = parse_params(&ps, GUEST_KIND_USERS | GUEST_KIND_HOSTNAME | GUEST_KIND_TIMEZONE);
        params_done(&ps);
        assert_null(src->os.id);

        dst->kinds = GUEST_KIND_OS;
        guest_info_take_kinds(dst, src);
        assert_int_equal(dst->kinds, GUEST_KIND_OS | GUEST_KIND_USERS | GUEST_KIND_HOSTNAME | GUEST_KIND_TIMEZONE);
        /* taken */
        assert_str(dst->hostname, "renamed");
        assert_int_equal(dst->n_users, 1);
        assert_int_equal(dst->n_users_reported, 1);
        assert_str(dst->users[0].name, "carol");
        /* taken though empty: the guest no longer reports a timezone */
        assert_null(dst->timezone_name);
        assert_false(dst->has_timezone_offset);
        assert_int_equal(dst->timezone_offset, 0);
        /* left alone */
        assert_str(dst->os.id, "guestos");
        assert_int_equal(dst->n_filesystems, 2);
        assert_str(dst->filesystems[1].mount_point, "/srv/data2");
        assert_int_equal(dst->n_interfaces, 3);
        assert_str(dst->interfaces[2].name, "dummy0");
        /* src is empty of what moved */
        assert_null(src->hostname);
        assert_null(src->users);
        assert_int_equal(src->n_users, 0);
        assert_int_equal(src->n_users_reported, 0);
        guest_info_free(src);

        /* everything, from a fresh reply */
        src = harness_guest();
        guest_info_take_kinds(dst, src);
        assert_int_equal(dst->kinds, GUEST_KIND_ALL);
        check_harness(dst);
        assert_null(src->os.id);
        assert_null(src->os.variant_id);
        assert_null(src->timezone_name);
        assert_null(src->filesystems);
        assert_int_equal(src->n_filesystems, 0);
        assert_null(src->interfaces);
        assert_int_equal(src->n_interfaces, 0);
        assert_int_equal(src->n_interfaces_reported, 0);
        guest_info_free(src);
        guest_info_free(dst);
}

/* Guest strings are interned (a and b share them): a change is another
 * string, the old one kept to put back. */
static char *with_char(char **field, size_t at, char c) {
        char *old = *field, *copy = strdup(old);
        assert_non_null(copy);
        copy[at] = c;
        *field = intern_take(copy);
        assert_non_null(*field);
        return old;
}

static void restore_text(char **field, char *old) {
        intern_unref(*field);
        *field = old;
}

static void test_equality(void **state) {
        GuestInfo *a = harness_guest(), *b = harness_guest();
        char *saved;

        assert_true(guest_os_equal(&a->os, &b->os));
        assert_true(guest_os_equal(NULL, NULL));
        assert_false(guest_os_equal(&a->os, NULL));
        assert_true(guest_users_equal(a->users, a->n_users, b->users, b->n_users));
        assert_true(guest_users_equal(NULL, 0, NULL, 0));
        assert_true(guest_filesystems_equal(a->filesystems, a->n_filesystems, b->filesystems, b->n_filesystems));
        assert_true(guest_filesystems_equal(NULL, 0, NULL, 0));

        /* the last OS field, then one gone */
        saved = with_char(&b->os.variant_id, 0, 'T');
        assert_false(guest_os_equal(&a->os, &b->os));
        restore_text(&b->os.variant_id, saved);
        saved = b->os.id;
        b->os.id = NULL;
        assert_false(guest_os_equal(&a->os, &b->os));
        assert_false(guest_os_equal(&b->os, &a->os));
        b->os.id = saved;
        assert_true(guest_os_equal(&a->os, &b->os));

        b->users[1].login_time += 0.001;
        assert_false(guest_users_equal(a->users, a->n_users, b->users, b->n_users));
        b->users[1].login_time = a->users[1].login_time;
        b->users[1].domain = intern_take(strdup("D"));
        assert_false(guest_users_equal(a->users, a->n_users, b->users, b->n_users));
        intern_unref(b->users[1].domain);
        b->users[1].domain = NULL;
        saved = with_char(&b->users[0].name, 0, 'A');
        assert_false(guest_users_equal(a->users, a->n_users, b->users, b->n_users));
        restore_text(&b->users[0].name, saved);
        assert_false(guest_users_equal(a->users, a->n_users, b->users, 1));
        assert_true(guest_users_equal(a->users, a->n_users, b->users, b->n_users));

        GuestFilesystem *fa = a->filesystems, *fb = b->filesystems;
        size_t na = a->n_filesystems, nb = b->n_filesystems;
        fb[1].used_bytes++;
        assert_false(guest_filesystems_equal(fa, na, fb, nb));
        fb[1].used_bytes--;
        fb[1].has_bytes = false;
        assert_false(guest_filesystems_equal(fa, na, fb, nb));
        fb[1].has_bytes = true;
        saved = with_char(&fb[1].disks[0].serial, 0, 'X');
        assert_false(guest_filesystems_equal(fa, na, fb, nb));
        restore_text(&fb[1].disks[0].serial, saved);
        fb[1].disks[0].bus_type = intern_take(strdup("virtio"));
        assert_false(guest_filesystems_equal(fa, na, fb, nb));
        intern_unref(fb[1].disks[0].bus_type);
        fb[1].disks[0].bus_type = NULL;
        fb[1].n_disks = 0;
        assert_false(guest_filesystems_equal(fa, na, fb, nb));
        fb[1].n_disks = 1;
        saved = with_char(&fb[0].mount_point, 1, 'D');
        assert_false(guest_filesystems_equal(fa, na, fb, nb));
        restore_text(&fb[0].mount_point, saved);
        assert_false(guest_filesystems_equal(fa, na, fb, 1));
        assert_true(guest_filesystems_equal(fa, na, fb, nb));

        guest_info_free(a);
        guest_info_free(b);
}

/* ---- agent JSON ---- */

static AgentInfo *parse_agent(const char *json) {
        AgentInfo *a = NULL;

        assert_int_equal(agent_info_parse_json(json, strlen(json), &a), 0);
        assert_non_null(a);
        return a;
}

static void test_agent_harness(void **state) {
        size_t len;
        char *json = read_fixture("harness-guest-info.json", &len);
        AgentInfo *a = NULL, *b = NULL;

        assert_int_equal(agent_info_parse_json(json, len, &a), 0);
        assert_str(a->version, "7.2.22");
        assert_int_equal(a->n_commands, 42);
        assert_int_equal(a->n_reported, 42);
        assert_str(a->commands[0].name, "guest-get-cpustats");
        assert_true(a->commands[0].enabled);
        assert_str(a->commands[5].name, "guest-get-devices");
        assert_false(a->commands[5].enabled);
        assert_str(a->commands[41].name, "guest-sync-delimited");
        assert_false(agent_info_supports(a, "guest-get-devices"));
        assert_true(agent_info_supports(a, "guest-get-osinfo"));
        assert_true(agent_info_supports(a, "guest-network-get-interfaces"));
        assert_false(agent_info_supports(a, "guest-get-osinf"));
        assert_false(agent_info_supports(a, NULL));
        assert_false(agent_info_supports(NULL, "guest-info"));
        /* qemu-ga 7.2 has every command but guest-get-load (10.0) */
        assert_int_equal(agent_info_supported_kinds(a), GUEST_KIND_ALL & ~(unsigned) GUEST_KIND_LOAD);

        assert_int_equal(agent_info_parse_json(json, len, &b), 0);
        assert_true(agent_commands_equal(a, b));
        assert_true(agent_commands_equal(NULL, NULL));
        assert_false(agent_commands_equal(a, NULL));
        b->commands[5].enabled = true;
        assert_false(agent_commands_equal(a, b));
        b->commands[5].enabled = false;
        b->version[0] = '8';
        assert_false(agent_commands_equal(a, b));
        b->version[0] = '7';
        b->commands[41].name[0] = 'G';
        assert_false(agent_commands_equal(a, b));
        b->commands[41].name[0] = 'g';
        b->n_commands--;
        assert_false(agent_commands_equal(a, b));
        b->n_commands++;
        b->n_reported++;
        assert_false(agent_commands_equal(a, b));
        b->n_reported--;
        assert_true(agent_commands_equal(a, b));
        b = agent_info_free(b);

        /* cut anywhere, it is no reply */
        assert_int_equal(agent_info_parse_json(json, len / 2, &b), -EINVAL);
        assert_int_equal(agent_info_parse_json(json, 1, &b), -EINVAL);
        assert_null(b);
        agent_info_free(a);
        free(json);
}

static void test_agent_kinds(void **state) {
        AgentInfo *a;

        a = parse_agent("{\"return\":{\"version\":\"5.2.0\",\"supported_commands\":["
                        "{\"name\":\"guest-get-users\",\"enabled\":true},"
                        "{\"name\":\"guest-get-fsinfo\",\"enabled\":false},"
                        "{\"name\":\"guest-get-host-name\",\"enabled\":true},"
                        "{\"name\":\"guest-get-timezone\"}]}}");
        assert_int_equal(agent_info_supported_kinds(a), GUEST_KIND_AGENT | GUEST_KIND_USERS | GUEST_KIND_HOSTNAME);
        agent_info_free(a);

        a = parse_agent("{\"return\":{\"supported_commands\":["
                        "{\"name\":\"guest-get-osinfo\",\"enabled\":true},"
                        "{\"name\":\"guest-network-get-interfaces\",\"enabled\":true},"
                        "{\"name\":\"guest-get-fsinfo\",\"enabled\":true}]}}");
        assert_null(a->version);
        assert_int_equal(agent_info_supported_kinds(a), GUEST_KIND_AGENT | GUEST_KIND_OS | GUEST_KIND_INTERFACES |
                                                                GUEST_KIND_NIC_COUNTERS | GUEST_KIND_FILESYSTEMS);
        agent_info_free(a);
        assert_int_equal(agent_info_supported_kinds(NULL), GUEST_KIND_AGENT);
}

static void test_agent_bad_json(void **state) {
        static const char *const bad[] = {
                "{",
                "not json",
                "[1,2]",
                "{\"return\":5}",
                "{\"return\":[]}",
                "{\"error\":{\"class\":\"x\"}}",
                "{\"return\":{}",
                "\"return\"",
                "{\"return\":{}} trailing",
                "{\"return\":{\"version\":\"\xff\"}}", /* jansson wants UTF-8 */
        };
        AgentInfo *a = NULL;

        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                assert_int_equal(agent_info_parse_json(bad[i], strlen(bad[i]), &a), -EINVAL);
        assert_int_equal(agent_info_parse_json("", 0, &a), -EINVAL);
        assert_int_equal(agent_info_parse_json(NULL, 0, &a), -EINVAL);
        assert_null(a);

        /* wrong types are ignored, not fatal */
        a = parse_agent("{\"return\":{\"version\":3,\"supported_commands\":5}}");
        assert_null(a->version);
        assert_int_equal(a->n_commands, 0);
        assert_int_equal(a->n_reported, 0);
        assert_int_equal(agent_info_supported_kinds(a), GUEST_KIND_AGENT);
        agent_info_free(a);

        a = parse_agent("{\"return\":{\"version\":\"1.0\",\"extra\":{},\"supported_commands\":["
                        "{\"name\":3,\"enabled\":true},"
                        "{\"name\":\"guest-get-users\",\"enabled\":\"yes\"},"
                        "7, null, [],"
                        "{\"enabled\":true},"
                        "{\"name\":\"guest-\\u0000ping\",\"enabled\":true},"
                        "{\"name\":\"guest-info\",\"enabled\":true}]}}");
        assert_str(a->version, "1.0");
        assert_int_equal(a->n_reported, 8);
        assert_int_equal(a->n_commands, 3);
        assert_str(a->commands[0].name, "guest-get-users");
        assert_false(a->commands[0].enabled);
        assert_str(a->commands[1].name, "guest-ping"); /* NUL dropped */
        assert_true(a->commands[1].enabled);
        assert_str(a->commands[2].name, "guest-info");
        assert_false(agent_info_supports(a, "guest-get-users"));
        assert_true(agent_info_supports(a, "guest-info"));
        agent_info_free(a);

        /* over 4 MiB is refused before parsing */
        size_t big = 4 * 1024 * 1024 + 1;
        char *s = malloc(big);
        assert_non_null(s);
        memset(s, ' ', big);
        memcpy(s, "{\"return\":{}}", 13);
        assert_int_equal(agent_info_parse_json(s, big, &a), -E2BIG);
        assert_int_equal(agent_info_parse_json(s, big - 1, &a), 0);
        assert_int_equal(a->n_commands, 0);
        agent_info_free(a);
        free(s);
}

static void test_agent_many_commands(void **state) {
        size_t size = 64 * 1024, n = 0;
        char *json = malloc(size);
        AgentInfo *a;

        assert_non_null(json);
        n += (size_t) snprintf(json + n, size - n, "{\"return\":{\"version\":\"9.0\",\"supported_commands\":[");
        for (int i = 0; i < 600; i++)
                n += (size_t) snprintf(json + n, size - n, "%s{\"name\":\"cmd-%d\",\"enabled\":%s}", i ? "," : "", i,
                                       i % 2 ? "false" : "true");
        n += (size_t) snprintf(json + n, size - n, "]}}");
        assert_true(n < size);

        a = parse_agent(json);
        assert_int_equal(a->n_commands, AGENT_COMMANDS_MAX);
        assert_int_equal(a->n_reported, 600);
        assert_str(a->commands[0].name, "cmd-0");
        assert_str(a->commands[511].name, "cmd-511");
        assert_false(a->commands[511].enabled);
        assert_true(agent_info_supports(a, "cmd-510"));
        assert_false(agent_info_supports(a, "cmd-512"));
        agent_info_free(a);
        free(json);

        /* Near the 4 MiB bound: 100000 commands and a big member after them.
         * Only the first AGENT_COMMANDS_MAX reach the JSON parser; all are
         * counted, and the rest of the reply is only scanned. */
        size = 4 * 1024 * 1024;
        json = malloc(size);
        assert_non_null(json);
        n = (size_t) snprintf(json, size, "{\"return\":{\"supported_commands\":[");
        for (int i = 0; i < 100000; i++)
                n += (size_t) snprintf(json + n, size - n, "%s{\"name\":\"c%d\"}", i ? "," : "", i);
        n += (size_t) snprintf(json + n, size - n, "],\"junk\":[");
        for (int i = 0; i < 100000; i++)
                n += (size_t) snprintf(json + n, size - n, "%s[\"]\\\"\"]", i ? "," : "");
        n += (size_t) snprintf(json + n, size - n, "],\"version\":\"10.0\"}}");
        assert_true(n < size);
        assert_int_equal(agent_info_parse_json(json, n, &a), 0);
        assert_int_equal(a->n_reported, 100000);
        assert_int_equal(a->n_commands, AGENT_COMMANDS_MAX);
        assert_str(a->version, "10.0");
        assert_str(a->commands[AGENT_COMMANDS_MAX - 1].name, "c511");
        agent_info_free(a);
        /* and cut short, it is no reply */
        assert_int_equal(agent_info_parse_json(json, n - 1, &a), -EINVAL);
        free(json);
}

/* One command entry of 3.7 MB of empty objects (the hostile agent's "fat"
 * mode) is skipped, not parsed: its 280 MB in jansson were the daemon's peak.
 * A version of megabytes is cut (a string) or dropped. */
static void test_agent_fat_entry(void **state) {
        size_t size = 4 * 1024 * 1024, n;
        char *json = malloc(size);
        AgentInfo *a;

        assert_non_null(json);
        n = (size_t) snprintf(json, size,
                              "{\"return\":{\"version\":\"7.2\",\"supported_commands\":["
                              "{\"name\":\"guest-ping\",\"enabled\":true},"
                              "{\"name\":\"guest-fat\",\"enabled\":true,\"fat\":[");
        while (n < 3700000) {
                memcpy(json + n, "{},", 3);
                n += 3;
        }
        n += (size_t) snprintf(json + n, size - n, "{}]},{\"name\":\"guest-info\",\"enabled\":true}]}}");
        assert_true(n < size);
        a = parse_agent(json);
        assert_str(a->version, "7.2");
        assert_int_equal(a->n_reported, 3);
        assert_int_equal(a->n_commands, 2);
        assert_str(a->commands[0].name, "guest-ping");
        assert_str(a->commands[1].name, "guest-info");
        assert_false(agent_info_supports(a, "guest-fat"));
        agent_info_free(a);

        /* the same megabytes as the version: no version, the commands stay */
        n = (size_t) snprintf(json, size, "{\"return\":{\"version\":[");
        while (n < 3700000) {
                memcpy(json + n, "{},", 3);
                n += 3;
        }
        n += (size_t) snprintf(json + n, size - n,
                               "{}],\"supported_commands\":[{\"name\":\"guest-info\",\"enabled\":true}]}}");
        a = parse_agent(json);
        assert_null(a->version);
        assert_int_equal(a->n_commands, 1);
        agent_info_free(a);

        /* a 3 MB version string is cut where it may be, then sanitized */
        static const char *const tails[] = { "\xe6\x97\xa5", "\\u00e9", "\\ud83d\\ude00", "\\n" };
        for (size_t t = 0; t < sizeof tails / sizeof *tails; t++) {
                n = (size_t) snprintf(json, size, "{\"return\":{\"version\":\"7.2.0-");
                while (n < 3000000)
                        n += (size_t) snprintf(json + n, size - n, "%s", tails[t]);
                n += (size_t) snprintf(json + n, size - n, "\",\"supported_commands\":[]}}");
                a = parse_agent(json);
                assert_non_null(a->version);
                assert_true(strlen(a->version) <= GUEST_STRING_MAX);
                assert_memory_equal(a->version, "7.2.0-", 6);
                assert_non_null(strstr(a->version, ELLIPSIS));
                agent_info_free(a);
        }
        free(json);
}

/* ---- domain XML ---- */

static DomainDevices *parse_xml(const char *xml) {
        DomainDevices *d = NULL;

        assert_int_equal(domain_devices_parse_xml(xml, strlen(xml), &d), 0);
        assert_non_null(d);
        return d;
}

static void test_domain_harness(void **state) {
        size_t len;
        char *xml = read_fixture("harness-live.xml", &len);
        DomainDevices *d = NULL;
        GuestInfo *g;

        assert_int_equal(domain_devices_parse_xml(xml, len, &d), 0);
        free(xml);
        assert_int_equal(d->n_nics, 1);
        assert_str(d->nics[0].alias, "net0");
        assert_str(d->nics[0].mac, "52:54:00:12:34:56");
        assert_int_equal(d->nics[0].n_addresses, 0);
        assert_int_equal(d->n_disks, 1);
        assert_str(d->disks[0].target, "vda");
        assert_str(d->disks[0].bus, "virtio");

        g = harness_guest();
        guest_info_fill_bus_types(g, d);
        assert_str(g->filesystems[0].disks[0].bus_type, "virtio");
        assert_str(g->filesystems[1].disks[0].bus_type, "virtio");
        /* a disk the domain does not have: unknown bus */
        intern_unref(g->filesystems[1].disks[0].alias);
        g->filesystems[1].disks[0].alias = intern_take(strdup("vdz"));
        guest_info_fill_bus_types(g, d);
        assert_str(g->filesystems[0].disks[0].bus_type, "virtio");
        assert_null(g->filesystems[1].disks[0].bus_type);
        /* no devices read: left as they are */
        guest_info_fill_bus_types(g, NULL);
        assert_str(g->filesystems[0].disks[0].bus_type, "virtio");
        guest_info_free(g);
        domain_devices_free(d);
}

static void test_domain_nics(void **state) {
        DomainDevices *d;

        /* two NICs sharing a MAC are both the domain's */
        d = parse_xml("<domain type='kvm'><name>x</name><devices>"
                      "<interface type='bridge'><mac address='52:54:00:AA:BB:CC'/><alias name='net0'/></interface>"
                      "<disk type='file' device='cdrom'><target dev='sda' bus='sata'/></disk>"
                      "<disk type='file' device='disk'><source file='/x'/></disk>"
                      "<interface type='bridge'><mac address='52:54:00:aa:bb:cc'/><alias name='net1'/>"
                      "<ip address='fd00::5' prefix='64' family='ipv6'/>"
                      "<ip address='192.168.1.5' prefix='24' family='ipv4'/>"
                      "<ip address='10.0.0.1'/>"
                      "<ip address='fd00::6'/>"
                      "<ip address='10.0.0.2' prefix='99'/>"
                      "<ip family='ipv4' prefix='8'/>"
                      "</interface>"
                      "<interface type='network'><alias name='net2'/></interface>"
                      "</devices></domain>");
        assert_int_equal(d->n_nics, 3);
        assert_str(d->nics[0].alias, "net0");
        assert_str(d->nics[0].mac, "52:54:00:aa:bb:cc");
        assert_str(d->nics[1].alias, "net1");
        assert_str(d->nics[1].mac, "52:54:00:aa:bb:cc");
        assert_int_equal(d->nics[1].n_addresses, 5);
        assert_int_equal(d->nics[1].n_ipv4, 3);
        assert_str(d->nics[1].addresses[0], "192.168.1.5/24");
        assert_str(d->nics[1].addresses[1], "10.0.0.1");
        assert_str(d->nics[1].addresses[2], "10.0.0.2");
        assert_str(d->nics[1].addresses[3], "fd00::5/64");
        assert_str(d->nics[1].addresses[4], "fd00::6");
        assert_str(d->nics[2].alias, "net2");
        assert_null(d->nics[2].mac);
        /* the disk without a target is not one the guest can name */
        assert_int_equal(d->n_disks, 1);
        assert_str(d->disks[0].target, "sda");
        assert_str(d->disks[0].bus, "sata");
        domain_devices_free(d);

        /* inactive: no aliases; no devices at all */
        d = parse_xml("<domain><devices><interface type='user'><mac address='52:54:00:00:00:01'/>"
                      "</interface></devices></domain>");
        assert_int_equal(d->n_nics, 1);
        assert_null(d->nics[0].alias);
        assert_str(d->nics[0].mac, "52:54:00:00:00:01");
        domain_devices_free(d);
        d = parse_xml("<domain><name>empty</name></domain>");
        assert_int_equal(d->n_nics, 0);
        assert_int_equal(d->n_disks, 0);
        domain_devices_free(d);
}

static void test_domain_caps(void **state) {
        size_t size = 256 * 1024, n = 0;
        char *xml = malloc(size);
        DomainDevices *d;

        assert_non_null(xml);
        n += (size_t) snprintf(xml + n, size - n, "<domain><devices>");
        for (int i = 0; i < 300; i++)
                n += (size_t) snprintf(xml + n, size - n,
                                       "<interface type='user'><mac address='52:54:00:00:%02x:%02x'/></interface>"
                                       "<disk><target dev='vd%d' bus='virtio'/></disk>",
                                       i / 256, i % 256, i);
        n += (size_t) snprintf(xml + n, size - n, "<interface type='user'>");
        for (int i = 0; i < 40; i++)
                n += (size_t) snprintf(xml + n, size - n, "<ip address='10.0.0.%d' prefix='8'/>", i);
        n += (size_t) snprintf(xml + n, size - n, "</interface></devices></domain>");
        assert_true(n < size);

        d = parse_xml(xml);
        assert_int_equal(d->n_nics, DOMAIN_NICS_MAX);
        assert_str(d->nics[255].mac, "52:54:00:00:00:ff");
        assert_int_equal(d->n_disks, DOMAIN_DISKS_MAX);
        assert_str(d->disks[255].target, "vd255");
        domain_devices_free(d);

        /* the NIC with 40 addresses, first */
        char *body = strstr(xml, "<interface type='user'><ip");
        assert_non_null(body);
        memmove(xml + strlen("<domain><devices>"), body, strlen(body) + 1);
        d = parse_xml(xml);
        assert_int_equal(d->n_nics, 1);
        assert_int_equal(d->nics[0].n_addresses, GUEST_ADDRESSES_MAX);
        assert_str(d->nics[0].addresses[31], "10.0.0.31/8");
        domain_devices_free(d);
        free(xml);
}

static void test_domain_garbage(void **state) {
        static const char *const bad[] = {
                "",
                "not xml",
                "<domain>",
                "<network><name>default</name></network>",
                "<domain><devices></domain>",
                "<?xml version='1.0'?>",
        };
        DomainDevices *d = NULL;

        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                assert_int_equal(domain_devices_parse_xml(bad[i], strlen(bad[i]), &d), -EINVAL);
        assert_int_equal(domain_devices_parse_xml(NULL, 0, &d), -EINVAL);
        assert_null(d);

        /* external entities are not loaded (and in an attribute, not even allowed) */
        static const char evil[] = "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
                                   "<domain><devices><interface><mac address='&x;'/></interface>"
                                   "<disk><target dev='vda'/>&x;</disk></devices></domain>";
        assert_int_equal(domain_devices_parse_xml(evil, strlen(evil), &d), -EINVAL);
        assert_null(d);
}

/* libvirt's XML parser accepts noncharacters, which sd-bus refuses: every
 * string taken from the domain XML is sanitized like guest text. */
static void test_domain_noncharacters(void **state) {
        DomainDevices *d = parse_xml("<domain><devices>"
                                     "<interface><mac address='52:54:00:&#xFDD0;'/><alias name='ua-&#xFDD0;&#x1FFFF;'/>"
                                     "<ip address='10.0.0.1&#x1FFFE;' prefix='8'/></interface>"
                                     "<disk><target dev='vd&#xFDEF;a' bus='vir&#x10FFFF;tio'/></disk>"
                                     "</devices></domain>");
        assert_int_equal(d->n_nics, 1);
        assert_str(d->nics[0].mac, "52:54:00:\xef\xbf\xbd");
        assert_str(d->nics[0].alias, "ua-\xef\xbf\xbd\xef\xbf\xbd");
        assert_int_equal(d->nics[0].n_addresses, 1);
        assert_str(d->nics[0].addresses[0], "10.0.0.1\xef\xbf\xbd/8");
        assert_int_equal(d->n_disks, 1);
        assert_str(d->disks[0].target, "vd\xef\xbf\xbd"
                                       "a");
        assert_str(d->disks[0].bus, "vir\xef\xbf\xbd"
                                    "tio");
        domain_devices_free(d);
}

/* ---- UTF-8 ---- */

static void check_sanitize(const char *in, size_t len, size_t max, const char *expected) {
        char *s = utf8_sanitize(in, len, max);

        assert_non_null(s);
        assert_string_equal(s, expected);
        assert_true(strlen(s) <= max);
        assert_true(valid_utf8(s));
        free(s);
}

#define CHECK(in, max, expected) check_sanitize(in, sizeof(in) - 1, max, expected)

/* Found by the hostile-guest e2e test: U+FFFF went through, and sd-bus
 * refused the string, failing GetManagedObjects for every client. */
static void test_utf8_noncharacters(void **state) {
        CHECK("a\xef\xbf\xbfz", 100,
              "a\xef\xbf\xbd"
              "z"); /* U+FFFF */
        CHECK("a\xef\xbf\xbez", 100,
              "a\xef\xbf\xbd"
              "z"); /* U+FFFE */
        CHECK("a\xef\xb7\x90z", 100,
              "a\xef\xbf\xbd"
              "z"); /* U+FDD0 */
        CHECK("a\xef\xb7\xafz", 100,
              "a\xef\xbf\xbd"
              "z"); /* U+FDEF */
        CHECK("a\xf4\x8f\xbf\xbfz", 100,
              "a\xef\xbf\xbd"
              "z"); /* U+10FFFF */
        CHECK("a\xf0\x9f\xbf\xbez", 100,
              "a\xef\xbf\xbd"
              "z"); /* U+1FFFE */
        CHECK("a\xef\xb7\xb0z", 100,
              "a\xef\xb7\xb0"
              "z"); /* U+FDF0 is fine */
        CHECK("a\xef\xbf\xbdz", 100,
              "a\xef\xbf\xbd"
              "z"); /* U+FFFD itself is fine */
}

static void test_text_for_log(void **state) {
        char *s = text_for_log("\x1b[31mFAKE\x1b[0m\xfe"
                               "\nnext line",
                               100);
        assert_string_equal(s, "?[31mFAKE?[0m\xef\xbf\xbd"
                               "?next line");
        free(s);

        /* What passes for other text on a screen: a C1 CSI, a right-to-left
         * override spoofing "exe.jpg", isolates, zero-width and invisible
         * characters, a tag character; each becomes one '?'. */
        s = text_for_log("csi\xc2\x9b"
                         "31m nel\xc2\x85 evil\xe2\x80\xaegpj.exe lri\xe2\x81\xa6x\xe2\x81\xa9 "
                         "alm\xd8\x9c lrm\xe2\x80\x8e zw\xe2\x80\x8b\xe2\x80\x8c\xe2\x80\x8d wj\xe2\x81\xa0 "
                         "bom\xef\xbb\xbf ls\xe2\x80\xa8 tag\xf3\xa0\x80\x81 shy\xc2\xad",
                         200);
        assert_string_equal(s, "csi?31m nel? evil?gpj.exe lri?x? alm? lrm? zw??? wj? bom? ls? tag? shy?");
        free(s);
        /* letters of every length are kept */
        s = text_for_log("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", 100);
        assert_string_equal(s, "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d");
        free(s);
        /* cut first, then replaced: still within max */
        s = text_for_log("\xe2\x80\xae\xe2\x80\xae\xe2\x80\xae\xe2\x80\xae", 7);
        assert_string_equal(s, "?\xe2\x80\xa6");
        free(s);
}

static void test_utf8(void **state) {
        CHECK("plain ascii", 100, "plain ascii");
        CHECK("", 100, "");
        CHECK("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 100, "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");
        /* overlongs: C0/C1 never start a character, E0 80 and F0 80 are overlong */
        CHECK("\xc0\xaf", 100, FFFD FFFD);
        CHECK("a\xc1\xbf"
              "b",
              100, "a" FFFD FFFD "b");
        CHECK("\xe0\x80\xaf", 100, FFFD FFFD FFFD);
        CHECK("\xf0\x80\x80\xaf", 100, FFFD FFFD FFFD FFFD);
        /* surrogates, high and low */
        CHECK("\xed\xa0\x80", 100, FFFD FFFD FFFD);
        CHECK("\xed\xbf\xbf", 100, FFFD FFFD FFFD);
        CHECK("\xed\x9f\xbf", 100, "\xed\x9f\xbf"); /* U+D7FF is fine */
        /* the 4-byte maximum, and beyond */
        CHECK("\xf4\x8f\xbf\xbd", 100, "\xf4\x8f\xbf\xbd"); /* U+10FFFD, the last character D-Bus takes */
        CHECK("\xf4\x90\x80\x80", 100, FFFD FFFD FFFD FFFD);
        CHECK("\xf5\x80\x80\x80", 100, FFFD FFFD FFFD FFFD);
        CHECK("\xff\xfe", 100, FFFD FFFD);
        /* truncated sequences: one U+FFFD for what there is */
        CHECK("abc\xe2\x82", 100, "abc" FFFD);
        CHECK("abc\xf0\x9f\x98", 100, "abc" FFFD);
        CHECK("\xe2\x82"
              "A",
              100, FFFD "A");
        CHECK("\xc3", 100, FFFD);
        CHECK("\x80"
              "x",
              100, FFFD "x");
        /* NUL is dropped */
        CHECK("a\0b\0", 100, "ab");
        CHECK("\0\0\0", 100, "");

        /* cutting: the ellipsis counts */
        CHECK("abcdef", 6, "abcdef");
        CHECK("abcdef", 5, "ab" ELLIPSIS);
        CHECK("abcdef", 3, ELLIPSIS);
        CHECK("abcdef", 2, "");
        CHECK("abcdef", 0, "");
        CHECK("ab", 2, "ab");
        /* max just below a multibyte character: never split it */
        CHECK("abcd\xe2\x82\xacxyz", 10, "abcd\xe2\x82\xacxyz");
        CHECK("abcd\xe2\x82\xacxyz", 9, "abcd" ELLIPSIS);
        CHECK("xx\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 10, "xx\xe2\x82\xac" ELLIPSIS);
        CHECK("xx\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 9, "xx\xe2\x82\xac" ELLIPSIS);
        CHECK("xx\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 7, "xx" ELLIPSIS);
        CHECK("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 7, "\xf0\x9f\x98\x80" ELLIPSIS);
        CHECK("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 6, ELLIPSIS);
        /* replacements count as the 3 bytes they are */
        CHECK("\xff\xff\xff", 9, FFFD FFFD FFFD);
        CHECK("\xff\xff\xff", 8, FFFD ELLIPSIS);
        /* dropped NULs do not count */
        CHECK("\0\0\0\0abc", 3, "abc");

        char *s = utf8_sanitize(NULL, 5, 10);
        assert_non_null(s);
        assert_string_equal(s, "");
        free(s);
}

/* Random bytes: the result is valid, bounded, and sanitizing it again
 * changes nothing. */
static void test_utf8_random(void **state) {
        static const uint8_t alphabet[] = { 0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed,
                                            0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x9f, 0xa0, 0x8f, 0x90 };
        unsigned seed = 12345;
        char buf[64];

        for (int round = 0; round < 20000; round++) {
                size_t len = (size_t) (rand_r(&seed) % (int) sizeof buf);
                size_t max = (size_t) (rand_r(&seed) % 80);
                char *s, *again;

                for (size_t i = 0; i < len; i++)
                        buf[i] = (char) alphabet[rand_r(&seed) % (int) sizeof alphabet];
                s = utf8_sanitize(buf, len, max);
                assert_non_null(s);
                assert_true(strlen(s) <= max);
                assert_true(valid_utf8(s));
                again = utf8_sanitize(s, strlen(s), max);
                assert_string_equal(again, s);
                free(again);
                free(s);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_harness_guest),
                cmocka_unit_test(test_windows_guest),
                cmocka_unit_test(test_many_entries),
                cmocka_unit_test(test_caps),
                cmocka_unit_test(test_absurd_counts),
                cmocka_unit_test(test_missing_fields),
                cmocka_unit_test(test_addresses),
                cmocka_unit_test(test_garbage_strings),
                cmocka_unit_test(test_take_kinds),
                cmocka_unit_test(test_equality),
                cmocka_unit_test(test_agent_harness),
                cmocka_unit_test(test_agent_kinds),
                cmocka_unit_test(test_agent_bad_json),
                cmocka_unit_test(test_agent_many_commands),
                cmocka_unit_test(test_agent_fat_entry),
                cmocka_unit_test(test_domain_harness),
                cmocka_unit_test(test_domain_nics),
                cmocka_unit_test(test_domain_caps),
                cmocka_unit_test(test_domain_garbage),
                cmocka_unit_test(test_domain_noncharacters),
                cmocka_unit_test(test_utf8),
                cmocka_unit_test(test_utf8_noncharacters),
                cmocka_unit_test(test_text_for_log),
                cmocka_unit_test(test_utf8_random),
        };
        /* The virTypedParams* calls use libvirt's per-thread error. */
        if (virInitialize() < 0)
                return 1;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
