/* Unit tests of guest_info_from_agent_json(): the agent's own replies to
 * guest-get-users, guest-get-fsinfo and guest-network-get-interfaces, read
 * when libvirt cannot carry a long list. The replies below have the shape
 * qemu-ga 7.2 gives. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "guest-data.h"
#include "guest-json.h"
#include "json-budget.h"

#define FFFD "\xef\xbf\xbd"

static GuestInfo *parse_ok(unsigned kind, const char *json) {
        GuestInfo *g = NULL;
        assert_int_equal(guest_info_from_agent_json(kind, json, strlen(json), &g), 0);
        assert_non_null(g);
        assert_int_equal(g->kinds, kind);
        return g;
}

static int parse_err(unsigned kind, const char *json, size_t len) {
        GuestInfo *g = NULL;
        int r = guest_info_from_agent_json(kind, json, len, &g);
        assert_null(g);
        return r;
}

static void test_users(void **state) {
        GuestInfo *g =
                parse_ok(GUEST_KIND_USERS, "{\"return\": [{\"user\": \"root\", \"login-time\": 1700000000.25},"
                                           " {\"user\": \"Administrator\", \"domain\": \"WIN\", \"login-time\": 12},"
                                           " {\"login-time\": 5}, {\"user\": 7}]}");
        /* nameless entries are dropped but counted */
        assert_int_equal(g->n_users_reported, 4);
        assert_int_equal(g->n_users, 2);
        assert_string_equal(g->users[0].name, "root");
        assert_null(g->users[0].domain);
        assert_true(g->users[0].login_time == 1700000000.25);
        assert_string_equal(g->users[1].name, "Administrator");
        assert_string_equal(g->users[1].domain, "WIN");
        assert_true(g->users[1].login_time == 12);
        guest_info_free(g);
}

static void test_filesystems(void **state) {
        GuestInfo *g = parse_ok(
                GUEST_KIND_FILESYSTEMS,
                "{\"return\": [{\"name\": \"vda1\", \"total-bytes\": 1000, \"mountpoint\": \"/\", \"disk\": "
                "[{\"serial\": \"abc\", \"bus-type\": \"virtio\", \"bus\": 0, \"unit\": 0, \"pci-controller\": "
                "{\"bus\": 0, \"slot\": 4, \"domain\": 0, \"function\": 0}, \"dev\": \"/dev/vda1\", \"target\": 0},"
                " {\"bus-type\": \"scsi\"}], \"used-bytes\": 100, \"type\": \"ext4\"},"
                " {\"name\": \"sr0\", \"mountpoint\": \"/media\", \"type\": \"iso9660\", \"total-bytes\": 5, \"disk\": "
                "[]},"
                " {\"name\": \"nomount\", \"type\": \"tmpfs\"}]}");
        assert_int_equal(g->n_filesystems_reported, 3);
        assert_int_equal(g->n_filesystems, 2);
        GuestFilesystem *fs = &g->filesystems[0];
        assert_string_equal(fs->disk_name, "vda1");
        assert_string_equal(fs->mount_point, "/");
        assert_string_equal(fs->fs_type, "ext4");
        assert_true(fs->has_bytes);
        assert_int_equal(fs->used_bytes, 100);
        assert_int_equal(fs->total_bytes, 1000);
        /* the disk without serial or device is dropped */
        assert_int_equal(fs->n_disks, 1);
        assert_string_equal(fs->disks[0].serial, "abc");
        assert_string_equal(fs->disks[0].device, "/dev/vda1");
        assert_string_equal(fs->disks[0].bus_type, "virtio");
        assert_null(fs->disks[0].alias);
        /* half a pair of sizes is no size */
        assert_false(g->filesystems[1].has_bytes);
        assert_int_equal(g->filesystems[1].total_bytes, 0);
        assert_int_equal(g->filesystems[1].n_disks, 0);

        /* the domain XML does not override the agent's bus type without an alias */
        DomainDevices dev = { 0 };
        DomainDisk disk = { .target = "vda", .bus = "sata" };
        dev.disks = &disk;
        dev.n_disks = 1;
        guest_info_fill_bus_types(g, &dev);
        assert_string_equal(fs->disks[0].bus_type, "virtio");
        guest_info_free(g);
}

static void test_interfaces(void **state) {
        GuestInfo *g = parse_ok(
                GUEST_KIND_INTERFACES,
                "{\"return\": [{\"name\": \"lo\", \"ip-addresses\": [{\"ip-address-type\": \"ipv4\", \"ip-address\": "
                "\"127.0.0.1\", \"prefix\": 8}], \"hardware-address\": \"00:00:00:00:00:00\"},"
                " {\"name\": \"eth0\", \"hardware-address\": \"52:54:00:AB:CD:EF\", \"ip-addresses\": ["
                "{\"ip-address-type\": \"ipv6\", \"ip-address\": \"fe80::1\", \"prefix\": 64},"
                "{\"ip-address-type\": \"ipv4\", \"ip-address\": \"10.0.2.15\", \"prefix\": 24},"
                "{\"ip-address-type\": \"ipv4\", \"ip-address\": \"10.0.3.1\", \"prefix\": 99},"
                "{\"ip-address-type\": \"ipx\", \"ip-address\": \"1\"},"
                "{\"ip-address-type\": \"ipv4\"}], \"statistics\": {\"rx-bytes\": 1}},"
                " {\"hardware-address\": \"no name\"}]}");
        assert_int_equal(g->n_interfaces_reported, 3);
        assert_int_equal(g->n_interfaces, 2);
        GuestInterface *eth0 = &g->interfaces[1];
        assert_string_equal(eth0->name, "eth0");
        assert_string_equal(eth0->mac, "52:54:00:ab:cd:ef");
        /* IPv4 first; a prefix out of range leaves the bare address */
        assert_int_equal(eth0->n_addresses, 3);
        assert_int_equal(eth0->n_ipv4, 2);
        assert_string_equal(eth0->addresses[0], "10.0.2.15/24");
        assert_string_equal(eth0->addresses[1], "10.0.3.1");
        assert_string_equal(eth0->addresses[2], "fe80::1/64");
        guest_info_free(g);
}

/* A reply of n users, each "u<i>", as text. */
static char *users_reply(size_t n, const char *extra_member) {
        size_t cap = 64 + n * (64 + strlen(extra_member)), len = 0;
        char *s = malloc(cap);
        assert_non_null(s);
        len += (size_t) sprintf(s + len, "{\"return\":[");
        for (size_t i = 0; i < n; i++)
                len += (size_t) sprintf(s + len, "%s{\"user\":\"u%zu\"%s}", i ? ", " : "", i, extra_member);
        sprintf(s + len, "]}");
        return s;
}

static void test_long_list_is_cut_and_counted(void **state) {
        /* values after the cut hold brackets, quotes and escapes in strings:
         * the count must not be fooled by them */
        char *json = users_reply(100000, ",\"domain\":\"a]}\\\"[{,\\\\\"");
        GuestInfo *g = parse_ok(GUEST_KIND_USERS, json);
        assert_int_equal(g->n_users_reported, 100000);
        assert_int_equal(g->n_users, GUEST_USERS_MAX);
        assert_string_equal(g->users[0].name, "u0");
        assert_string_equal(g->users[0].domain, "a]}\"[{,\\");
        assert_string_equal(g->users[GUEST_USERS_MAX - 1].name, "u255");
        guest_info_free(g);
        free(json);

        /* exactly the cap */
        json = users_reply(GUEST_USERS_MAX, "");
        g = parse_ok(GUEST_KIND_USERS, json);
        assert_int_equal(g->n_users_reported, GUEST_USERS_MAX);
        assert_int_equal(g->n_users, GUEST_USERS_MAX);
        guest_info_free(g);
        free(json);

        /* an empty list */
        g = parse_ok(GUEST_KIND_USERS, "{\"return\": [ ]}");
        assert_int_equal(g->n_users_reported, 0);
        assert_int_equal(g->n_users, 0);
        guest_info_free(g);
}

static void test_return_anywhere(void **state) {
        GuestInfo *g = parse_ok(GUEST_KIND_USERS,
                                "{\"id\": {\"x\": [1, \"]\"]}, \"ret\": 1, \"return\": [{\"user\": \"a\"}], \"z\": 0}");
        assert_int_equal(g->n_users, 1);
        assert_string_equal(g->users[0].name, "a");
        guest_info_free(g);
}

static void test_strings_are_sanitized(void **state) {
        /* raw invalid UTF-8 (jansson alone would refuse the whole reply), an
         * escaped NUL and an escaped noncharacter */
        static const char json[] = "{\"return\": [{\"user\": \"a\\u0000b\xff\", \"domain\": \"\\uffff\"}]}";
        GuestInfo *g = parse_ok(GUEST_KIND_USERS, json);
        assert_int_equal(g->n_users, 1);
        assert_string_equal(g->users[0].name, "ab" FFFD);
        assert_string_equal(g->users[0].domain, FFFD);
        guest_info_free(g);

        /* a 3 KiB name is cut to the string bound; a user of 1 MiB is more
         * than any user is (json-budget.h): skipped, and counted */
        size_t n = 1u << 20;
        char *big = malloc(n + 64);
        assert_non_null(big);
        int k = sprintf(big, "{\"return\":[{\"user\":\"");
        memset(big + k, 'x', 3072);
        strcpy(big + k + 3072, "\"}]}");
        g = parse_ok(GUEST_KIND_USERS, big);
        assert_int_equal(g->n_users, 1);
        assert_true(strlen(g->users[0].name) <= GUEST_STRING_MAX);
        assert_memory_equal(g->users[0].name, "xxxx", 4);
        guest_info_free(g);
        memset(big + k, 'x', n);
        strcpy(big + k + n, "\"}, {\"user\": \"next\"}]}");
        g = parse_ok(GUEST_KIND_USERS, big);
        assert_int_equal(g->n_users_reported, 2);
        assert_int_equal(g->n_users, 1);
        assert_string_equal(g->users[0].name, "next");
        guest_info_free(g);
        free(big);
}

/* ---- what reaches jansson ---- */

/* jansson's allocations, counted: what it holds at most during a parse. */
static size_t jansson_now, jansson_peak;

static void *counting_malloc(size_t size) {
        size_t *p = malloc(sizeof(size_t) * 2 + size);
        if (!p)
                return NULL;
        p[0] = size;
        jansson_now += size;
        if (jansson_now > jansson_peak)
                jansson_peak = jansson_now;
        return p + 2;
}

static void counting_free(void *ptr) {
        if (!ptr)
                return;
        size_t *p = (size_t *) ptr - 2;
        jansson_now -= p[0];
        free(p);
}

static void jansson_peak_reset(void) {
        jansson_peak = jansson_now;
}

/* "{}" repeated to about size bytes, with commas: what costs jansson most
 * (~80 bytes per byte of text). */
static size_t put_empty_objects(char *out, size_t size) {
        size_t n = 0;
        while (n + 3 < size) {
                memcpy(out + n, "{},", 3);
                n += 3;
        }
        memcpy(out + n, "{}", 2);
        return n + 2;
}

/* A list reply whose second entry carries 3.7 MB of empty objects (the
 * hostile agent's "fat" mode): entry i is {head i tail}. */
static char *fat_reply(const char *head, const char *tail, size_t n_entries, size_t *ret_len) {
        size_t fat = 3700000, cap = fat + n_entries * 256 + 64, len = 0;
        char *s = malloc(cap);
        assert_non_null(s);
        len += (size_t) sprintf(s, "{\"return\": [");
        for (size_t i = 0; i < n_entries; i++) {
                len += (size_t) sprintf(s + len, i ? ", " : "");
                len += (size_t) sprintf(s + len, "{%s%zu%s", head, i, tail);
                if (i == 1) {
                        len += (size_t) sprintf(s + len, ", \"fat\": [");
                        len += put_empty_objects(s + len, fat);
                        s[len++] = ']';
                }
                s[len++] = '}';
        }
        len += (size_t) sprintf(s + len, "]}");
        assert_true(len < cap);
        *ret_len = len;
        return s;
}

static void test_fat_entry_is_skipped(void **state) {
        size_t len;
        GuestInfo *g = NULL;

        char *json = fat_reply("\"user\": \"u", "\", \"login-time\": 1.5", 1000, &len);
        jansson_peak_reset();
        assert_int_equal(guest_info_from_agent_json(GUEST_KIND_USERS, json, len, &g), 0);
        /* 280 MB when the fat entry reached jansson */
        printf("# users: jansson held at most %zu KiB\n", jansson_peak / 1024);
        assert_true(jansson_peak < 4 * 1024 * 1024);
        assert_int_equal(g->n_users_reported, 1000);
        /* the users' byte budget (guest-builder.h) ends the list before
         * GUEST_USERS_MAX; every kept one is in order, the fat one left out */
        assert_true(g->n_users > 200 && g->n_users <= GUEST_USERS_MAX);
        assert_string_equal(g->users[0].name, "u0");
        for (size_t k = 1; k < g->n_users; k++) {
                char expect[32];
                snprintf(expect, sizeof expect, "u%zu", k + 1);
                assert_string_equal(g->users[k].name, expect);
        }
        guest_info_free(g);
        free(json);

        json = fat_reply("\"name\": \"vda\", \"mountpoint\": \"/mnt/", "\", \"type\": \"ext4\", \"disk\": []", 300,
                         &len);
        jansson_peak_reset();
        assert_int_equal(guest_info_from_agent_json(GUEST_KIND_FILESYSTEMS, json, len, &g), 0);
        printf("# filesystems: jansson held at most %zu KiB\n", jansson_peak / 1024);
        assert_true(jansson_peak < 4 * 1024 * 1024);
        assert_int_equal(g->n_filesystems_reported, 300);
        /* the filesystems' byte budget may end the list first */
        assert_true(g->n_filesystems > 200 && g->n_filesystems <= GUEST_FILESYSTEMS_MAX);
        assert_string_equal(g->filesystems[1].mount_point, "/mnt/2");
        guest_info_free(g);
        free(json);

        json = fat_reply("\"name\": \"eth", "\", \"ip-addresses\": []", 500, &len);
        jansson_peak_reset();
        assert_int_equal(guest_info_from_agent_json(GUEST_KIND_INTERFACES, json, len, &g), 0);
        printf("# interfaces: jansson held at most %zu KiB\n", jansson_peak / 1024);
        assert_true(jansson_peak < 4 * 1024 * 1024);
        assert_int_equal(g->n_interfaces_reported, 500);
        assert_true(g->n_interfaces > 200 && g->n_interfaces <= GUEST_INTERFACES_MAX);
        assert_string_equal(g->interfaces[1].name, "eth2");
        guest_info_free(g);
        free(json);
}

/* Elements each under their bound, but many: the total stops them. */
static void test_total_is_bounded(void **state) {
        size_t cap = 256 * 4096, len = 0;
        char *s = malloc(cap), name[3001];
        GuestInfo *g = NULL;

        assert_non_null(s);
        memset(name, 'n', sizeof name - 1);
        name[sizeof name - 1] = '\0';
        len += (size_t) sprintf(s, "{\"return\":[");
        for (int i = 0; i < 256; i++)
                len += (size_t) snprintf(s + len, cap - len, "%s{\"user\":\"%d\",\"pad\":\"%s\"}", i ? "," : "", i,
                                         name);
        len += (size_t) snprintf(s + len, cap - len, "]}");
        assert_true(len < cap);
        jansson_peak_reset();
        assert_int_equal(guest_info_from_agent_json(GUEST_KIND_USERS, s, len, &g), 0);
        assert_int_equal(g->n_users_reported, 256);
        /* ~3 KiB each (short names, so the builder's budget does not cut
         * first): 128 KiB hold 43 */
        assert_int_equal(g->n_users, JSON_KEPT_MAX / 3023);
        assert_string_equal(g->users[42].name, "42");
        guest_info_free(g);
        free(s);

        /* a list made of nothing but empty objects: the first 256 */
        cap = 4u << 20;
        s = malloc(cap);
        assert_non_null(s);
        len = (size_t) sprintf(s, "{\"return\":[");
        size_t n = put_empty_objects(s + len, cap - 64);
        len += n;
        len += (size_t) sprintf(s + len, "]}");
        jansson_peak_reset();
        assert_int_equal(guest_info_from_agent_json(GUEST_KIND_FILESYSTEMS, s, len, &g), 0);
        assert_true(jansson_peak < 1024 * 1024);
        assert_int_equal(g->n_filesystems_reported, (n + 1) / 3);
        assert_int_equal(g->n_filesystems, 0);
        guest_info_free(g);
        free(s);
}

/* The scan itself: what is kept of an array, and where a string may be cut. */
static void test_scan_keep(void **state) {
        static const char json[] = "[1, \"two\" ,[3,3],{\"4\":\"]\"},  55555 ,6]";
        char out[64];
        size_t n, count;
        JsonSpan all = { 0, sizeof json - 1 };
        JsonKeep keep = { .elements = 10, .element_max = 5, .total_max = sizeof out };

        assert_int_equal(json_scan_array(json, sizeof json - 1, all, &keep, out, &n, &count), 0);
        assert_int_equal(count, 6);
        /* {"4":"]"} is 9 bytes: skipped */
        assert_int_equal(n, strlen("1,\"two\",[3,3],55555,6"));
        assert_memory_equal(out, "1,\"two\",[3,3],55555,6", n);

        keep.elements = 2;
        assert_int_equal(json_scan_array(json, sizeof json - 1, all, &keep, out, &n, &count), 0);
        assert_int_equal(count, 6);
        assert_memory_equal(out, "1,\"two\"", n);

        /* the first that passes the total ends the kept part */
        keep = (JsonKeep){ .elements = 10, .element_max = 100, .total_max = 9 };
        assert_int_equal(json_scan_array(json, sizeof json - 1, all, &keep, out, &n, &count), 0);
        assert_int_equal(count, 6);
        assert_memory_equal(out, "1,\"two\"", n);

        keep.elements = 0;
        assert_int_equal(json_scan_array(json, sizeof json - 1, all, &keep, out, &n, &count), 0);
        assert_int_equal(n, 0);
        assert_int_equal(count, 6);

        static const char *const bad[] = { "[1,]", "[1 2]", "[", "[\"]", "{}", "[{]" };
        keep = (JsonKeep){ 10, 100, sizeof out };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                assert_int_equal(json_scan_array(bad[i], strlen(bad[i]), (JsonSpan){ 0, strlen(bad[i]) }, &keep, out,
                                                 &n, &count),
                                 -EINVAL);
}

static void test_string_prefix(void **state) {
        /* the first cut that ends between two characters */
        static const char s[] = "\"ab\\n\\u00e9\xe6\x97\xa5\\ud83d\\ude00z\"";
        JsonSpan all = { 0, sizeof s - 1 };
        static const size_t want[][2] = {
                { 0, 0 },   { 1, 0 },   { 2, 1 },   { 3, 2 },   { 4, 3 },   { 5, 3 },   { 6, 5 },   { 11, 5 },
                { 12, 11 }, { 14, 11 }, { 15, 14 }, { 21, 14 }, { 26, 14 }, { 27, 26 }, { 28, 27 }, { 100, 27 },
        };
        for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
                size_t n = json_string_prefix(s, all, want[i][0]);
                if (n != want[i][1])
                        fail_msg("max %zu: %zu, want %zu", want[i][0], n, want[i][1]);
        }
        assert_int_equal(json_string_prefix("12", (JsonSpan){ 0, 2 }, 100), 0);
}

static void test_garbage(void **state) {
        static const char *const bad[] = {
                "",
                "not json",
                "[]",
                "{}",
                "{\"return\": {}}",
                "{\"return\": 5}",
                "{\"error\": {\"class\": \"GenericError\", \"desc\": \"x\"}}",
                "{\"return\": [{\"user\": \"a\"}",  /* unterminated */
                "{\"return\": [{\"user\": \"a}]}",  /* unterminated string */
                "{\"return\": [{\"user\" \"a\"}]}", /* bad element, kept: jansson says so */
                "{\"return\": [{\"user\": \"a\"} {\"user\": \"b\"}]}",
                "{\"return\" [1]}",
                "{return: [1]}",
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                assert_int_equal(parse_err(GUEST_KIND_USERS, bad[i], strlen(bad[i])), -EINVAL);
        assert_int_equal(parse_err(GUEST_KIND_USERS, NULL, 0), -EINVAL);
        /* not a list kind */
        assert_int_equal(parse_err(GUEST_KIND_OS, "{\"return\": []}", 14), -EINVAL);
        /* too big to read at all */
        assert_int_equal(parse_err(GUEST_KIND_USERS, "{", AGENT_REPLY_JSON_MAX + 1), -E2BIG);
        /* a huge integer fails only this kind's parse */
        assert_int_equal(
                parse_err(GUEST_KIND_FILESYSTEMS, "{\"return\": [{\"mountpoint\": \"/\", \"used-bytes\": 1e400}]}", 52),
                -EINVAL);
}

static void test_wrong_types(void **state) {
        GuestInfo *g = parse_ok(GUEST_KIND_FILESYSTEMS,
                                "{\"return\": [{\"mountpoint\": \"/\", \"name\": 1, \"type\": [], \"used-bytes\": -1,"
                                " \"total-bytes\": 2, \"disk\": {\"serial\": \"x\"}}, 7, \"str\", null]}");
        assert_int_equal(g->n_filesystems_reported, 4);
        assert_int_equal(g->n_filesystems, 1);
        assert_null(g->filesystems[0].disk_name);
        assert_null(g->filesystems[0].fs_type);
        assert_false(g->filesystems[0].has_bytes);
        assert_int_equal(g->filesystems[0].n_disks, 0);
        guest_info_free(g);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_users),
                cmocka_unit_test(test_filesystems),
                cmocka_unit_test(test_interfaces),
                cmocka_unit_test(test_long_list_is_cut_and_counted),
                cmocka_unit_test(test_return_anywhere),
                cmocka_unit_test(test_strings_are_sanitized),
                cmocka_unit_test(test_garbage),
                cmocka_unit_test(test_wrong_types),
                cmocka_unit_test(test_fat_entry_is_skipped),
                cmocka_unit_test(test_total_is_bounded),
                cmocka_unit_test(test_scan_keep),
                cmocka_unit_test(test_string_prefix),
        };
        json_set_alloc_funcs(counting_malloc, counting_free);
        return cmocka_run_group_tests_name("unit: the agent's JSON replies", tests, NULL, NULL);
}
