/* bus-wire.c against the D-Bus specification's marshalling, worked out by
 * hand for each shape the whole-tree replies use: alignment counted from
 * the start of the body, array lengths, padding to an array's first
 * element even when it has none, variants' signatures. And the builder's
 * byte budget (guest-builder.c) against what the daemon's own getters
 * marshal of what it built. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "bus-domain.h"
#include "bus-manager.h"
#include "bus-wire.h"
#include "guest-builder.h"
#include "guestinfo-names.h"
#include "interface-merge.h"

static sd_bus *bus;
static int peer = -1;

/* A bus on one end of a socketpair: enough to build messages. */
static int setup(void **state) {
        int fds[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        peer = fds[1];
        assert_true(sd_bus_new(&bus) >= 0);
        assert_true(sd_bus_set_fd(bus, fds[0], fds[0]) >= 0);
        assert_true(sd_bus_start(bus) >= 0);
        return 0;
}

static int teardown(void **state) {
        sd_bus_close_unref(bus);
        close(peer);
        return 0;
}

static sd_bus_message *message(void) {
        sd_bus_message *m = NULL;
        assert_true(sd_bus_message_new_signal(bus, &m, "/a", "a.b", "C") >= 0);
        return m;
}

static uint64_t sealed_size(sd_bus_message *m) {
        uint64_t size = 0;
        assert_true(sd_bus_message_seal(m, 1, 0) >= 0);
        assert_int_equal(wire_body_size(m, &size), 0);
        sd_bus_message_unref(m);
        return size;
}

static void test_basic_types(void **state) {
        sd_bus_message *m = message();
        /* s "abc": 4 + 3 + 1 = 8; y: 9; t at 16: 24; b at 24: 28; g "ss": 28 + 1 + 2 + 1 = 32 */
        assert_true(sd_bus_message_append(m, "sytbg", "abc", 7, (uint64_t) 1, 1, "ss") >= 0);
        assert_int_equal(sealed_size(m), 32);

        m = message();
        /* y: 1; n at 2: 4; d at 8: 16; o "/x" at 16: 16 + 4 + 2 + 1 = 23 */
        assert_true(sd_bus_message_append(m, "yndo", 1, 2, 1.5, "/x") >= 0);
        assert_int_equal(sealed_size(m), 23);
}

static void test_containers(void **state) {
        sd_bus_message *m = message();
        /* y: 1; empty a(t): length at 4 (8), padded to 8 for the struct: 8 */
        assert_true(sd_bus_message_append(m, "ya(t)", 1, 0) >= 0);
        assert_int_equal(sealed_size(m), 8);

        m = message();
        /* a{sv} of {"a", <u 1>}: length 4, pad to 8; "a" 8 + 4 + 1 + 1 = 14;
         * signature "u" 14 + 3 = 17; u at 20: 24 */
        assert_true(sd_bus_message_append(m, "a{sv}", 1, "a", "u", 1) >= 0);
        assert_int_equal(sealed_size(m), 24);

        m = message();
        /* (yas): y 1; as length at 4: 8; "ab" 8 + 4 + 2 + 1 = 15; "" at 16: 21 */
        assert_true(sd_bus_message_append(m, "(yas)", 1, 2, "ab", "") >= 0);
        assert_int_equal(sealed_size(m), 21);
}

/* Copying counts the same and copies everything. */
static void test_copy(void **state) {
        sd_bus_message *src = message(), *dst = message();
        uint64_t offset = 0, size = 0;

        assert_true(sd_bus_message_append(src, "oa{sa{sv}}", "/p", 1, "i.f", 2, "A", "s", "x", "B", "a(sb)", 1, "c",
                                          1) >= 0);
        assert_true(sd_bus_message_seal(src, 1, 0) >= 0);
        assert_true(sd_bus_message_rewind(src, true) >= 0);
        assert_true(wire_copy(dst, NULL, src, &offset) >= 0);
        assert_true(sd_bus_message_seal(dst, 2, 0) >= 0);
        assert_int_equal(wire_body_size(dst, &size), 0);
        assert_int_equal(offset, size);
        assert_int_equal(wire_body_size(src, &size), 0);
        assert_int_equal(offset, size);

        const char *p, *i, *a, *x, *b, *c;
        int enabled;
        assert_true(sd_bus_message_rewind(dst, true) >= 0);
        assert_true(sd_bus_message_read(dst, "oa{sa{sv}}", &p, 1, &i, 2, &a, "s", &x, &b, "a(sb)", 1, &c, &enabled) >
                    0);
        assert_string_equal(p, "/p");
        assert_string_equal(x, "x");
        assert_string_equal(c, "c");
        assert_int_equal(enabled, 1);
        sd_bus_message_unref(src);
        sd_bus_message_unref(dst);
}

/* As bytes: the same message as the D-Bus specification marshals it,
 * worked out by hand (little-endian, as this machine and sd-bus write). */
static void test_copy_as_bytes(void **state) {
        /* 92 bytes; the string's own NUL is not one of them */
        static const char expected[] =
                /* 0: o "/p"; 7: pad; 8: a{sa{sv}}'s length 76, pad to 16 */
                "\x02\0\0\0/p\0"
                "\0\x4c\0\0\0\0\0\0\0"
                /* 16: s "i.f"; 24: a{sv}'s length 60, pad to 32 */
                "\x03\0\0\0i.f\0\x3c\0\0\0\0\0\0\0"
                /* 32: s "A", g "s", pad, s "x" */
                "\x01\0\0\0A\0\x01s\0\0\0\0\x01\0\0\0x\0"
                /* 50: pad to 56; s "B", g "a(sb)" */
                "\0\0\0\0\0\0\x01\0\0\0B\0\x05"
                "a(sb)\0"
                /* 69: pad; 72: a(sb)'s length 12, pad to 80; s "c", pad, b true */
                "\0\0\0\x0c\0\0\0\0\0\0\0\x01\0\0\0c\0\0\0\x01\0\0\0";
        sd_bus_message *src = message();
        uint64_t offset = 0;
        BusBytes b;

        assert_true(sd_bus_message_append(src, "oa{sa{sv}}", "/p", 1, "i.f", 2, "A", "s", "x", "B", "a(sb)", 1, "c",
                                          1) >= 0);
        assert_true(sd_bus_message_seal(src, 1, 0) >= 0);
        assert_true(sd_bus_message_rewind(src, true) >= 0);
        bus_bytes_init(&b, 1 << 20);
        assert_int_equal(wire_copy(NULL, &b, src, &offset), 0);
        assert_false(b.failed);
        assert_int_equal(b.len, sizeof expected - 1);
        assert_int_equal(offset, sizeof expected - 1);
        assert_memory_equal(b.data, expected, sizeof expected - 1);
        bus_bytes_done(&b);

        /* every basic type: y n q i u x t d s o g b */
        sd_bus_message_unref(src);
        src = message();
        assert_true(sd_bus_message_append(src, "ynqiuxtdsogb", 1, -2, 3, -4, 5u, (int64_t) -6, (uint64_t) 7, 0.5, "s",
                                          "/o", "g", 1) >= 0);
        assert_true(sd_bus_message_seal(src, 1, 0) >= 0);
        assert_true(sd_bus_message_rewind(src, true) >= 0);
        bus_bytes_init(&b, 1 << 20);
        offset = 0;
        assert_int_equal(wire_copy(NULL, &b, src, &offset), 0);
        uint64_t size = 0;
        assert_int_equal(wire_body_size(src, &size), 0);
        assert_int_equal(b.len, size);
        int16_t n;
        int64_t x;
        double dbl;
        memcpy(&n, b.data + 2, 2);
        memcpy(&x, b.data + 16, 8);
        memcpy(&dbl, b.data + 32, 8);
        assert_int_equal(b.data[0], 1);
        assert_int_equal(n, -2);
        assert_int_equal(x, -6);
        assert_true(dbl == 0.5);
        bus_bytes_done(&b);
        sd_bus_message_unref(src);

        /* a descriptor is no bytes */
        src = message();
        assert_true(sd_bus_message_append(src, "h", 0) >= 0);
        assert_true(sd_bus_message_seal(src, 1, 0) >= 0);
        assert_true(sd_bus_message_rewind(src, true) >= 0);
        bus_bytes_init(&b, 1 << 20);
        offset = 0;
        assert_int_equal(wire_copy(NULL, &b, src, &offset), -EOPNOTSUPP);
        bus_bytes_done(&b);
        sd_bus_message_unref(src);
}

/* The bytes of the entries of the list property (interface, name) of d as
 * the daemon's getter marshals them: the body without the array's length
 * and its padding to the first struct. */
static uint64_t entries_on_wire(const char *interface, const char *name, Domain *d) {
        size_t n;
        const BusDomainInterface *interfaces = bus_domain_interfaces(&n);
        for (size_t i = 0; i < n; i++) {
                if (strcmp(interfaces[i].interface, interface) != 0)
                        continue;
                for (const sd_bus_vtable *v = interfaces[i].vtable + 1; v->type != _SD_BUS_VTABLE_END; v++) {
                        if (v->type != _SD_BUS_VTABLE_PROPERTY || strcmp(v->x.property.member, name) != 0)
                                continue;
                        sd_bus_message *m = message();
                        sd_bus_error error = SD_BUS_ERROR_NULL;
                        assert_true(v->x.property.get(bus, "/d", interface, name, m, d, &error) >= 0);
                        uint64_t size = sealed_size(m);
                        assert_true(size >= 8);
                        return size - 8;
                }
        }
        fail_msg("%s.%s: no such property", interface, name);
        return 0;
}

static char text[2048];

/* A text of len bytes of c (at most sizeof text - 1). */
static GuestText text_of(char c, size_t len) {
        memset(text, c, len);
        return (GuestText){ text, len };
}

/* Users of every length class, each costing what it takes on the wire,
 * rounded up by at most the padding before its t. */
static void test_budget_users_is_the_wire_size(void **state) {
        GuestBuilder b = { 0 };
        static const size_t lengths[] = { 0, 1, 2, 3, 4, 5, 7, 100, 255, 256 };
        Domain d = { 0 };

        assert_int_equal(guest_builder_begin_guest(&b, GUEST_KIND_USERS), 0);
        for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
                char name[300];
                memset(name, 'u', lengths[i] + 1);
                name[lengths[i] + 1] = '\0';
                GuestUserIn u = { .name = guest_text(name),
                                  .domain = i % 2 ? text_of('d', lengths[i]) : GUEST_TEXT_NONE,
                                  .login_time = 1700000000.25 };
                assert_int_equal(guest_builder_add_user(&b, &u), 0);
        }
        d.guest = b.guest;
        assert_int_equal(d.guest->n_users, sizeof lengths / sizeof *lengths);
        uint64_t wire = entries_on_wire(USERS_INTERFACE, "Users", &d);
        size_t spent = b.spent[GUEST_LIST_USERS];
        printf("# users: %zu bytes spent, %" PRIu64 " on the wire\n", spent, wire);
        assert_true(wire <= spent);
        assert_true(spent - wire <= 4 * d.guest->n_users);
        guest_builder_done(&b);
}

/* Filesystems with disks, each disk's device and domain disk in its a{sv}. */
static void test_budget_filesystems_is_the_wire_size(void **state) {
        GuestBuilder b = { 0 };
        Domain d = { 0 };
        GuestDiskIn disks[3] = {
                { .serial = guest_text("serial-1"), .alias = guest_text("vda"), .device = guest_text("/dev/vda") },
                { .alias = guest_text("vdb") },
                { .serial = guest_text("s"), .device = guest_text("/dev/sdc") },
        };
        size_t n_disks = 0;

        assert_int_equal(guest_builder_begin_guest(&b, GUEST_KIND_FILESYSTEMS), 0);
        for (size_t i = 0; i < 10; i++) {
                GuestFilesystemIn fs = { .mount_point = text_of('/', 1 + 37 * i),
                                         .disk_name = guest_text(i % 3 ? "vda1" : NULL),
                                         .fs_type = guest_text("ext4"),
                                         .has_used = true,
                                         .has_total = true,
                                         .used_bytes = 1,
                                         .total_bytes = 2,
                                         .disks = disks,
                                         .n_disks = i % 4 };
                assert_int_equal(guest_builder_add_filesystem(&b, &fs), 0);
        }
        d.guest = b.guest;
        assert_int_equal(d.guest->n_filesystems, 10);
        for (size_t i = 0; i < d.guest->n_filesystems; i++)
                for (size_t k = 0; k < d.guest->filesystems[i].n_disks; k++) {
                        GuestFsDisk *disk = &d.guest->filesystems[i].disks[k];
                        free(disk->bus_type);
                        disk->bus_type = strdup("virtio"); /* as the collector fills it */
                        n_disks++;
                }
        uint64_t wire = entries_on_wire(FILESYSTEMS_INTERFACE, "Filesystems", &d);
        size_t spent = b.spent[GUEST_LIST_FILESYSTEMS];
        printf("# filesystems: %zu bytes spent, %" PRIu64 " on the wire\n", spent, wire);
        assert_true(n_disks > 0);
        assert_true(wire <= spent);
        /* the padding before each t, each bus type's reserve, the padding
         * before each of a disk's two a{sv} entries */
        assert_true(spent - wire <= 4 * d.guest->n_filesystems + 12 * n_disks);
        guest_builder_done(&b);
}

/* Guest-only interfaces as Network.Interfaces carries them: the builder
 * reserves the NIC's name and both sources for each. */
static void test_budget_interfaces_is_the_wire_size(void **state) {
        GuestBuilder b = { 0 };
        Domain d = { 0 };
        GuestAddressIn a[6] = {
                { .type = guest_text("ipv6"), .addr = guest_text("fe80::1"), .has_prefix = true, .prefix = 64 },
                { .type = guest_text("ipv4"), .addr = guest_text("10.0.2.15"), .has_prefix = true, .prefix = 24 },
                { .type = guest_text("ipv4"), .addr = guest_text("192.168.100.200") },
                { .type = guest_text("ipv6"), .addr = guest_text("2001:db8:1234:5678:9abc:def0:1234:5678") },
                { .type = guest_text("ipv4"), .addr = guest_text("1.2.3.4"), .has_prefix = true, .prefix = 8 },
                { .type = guest_text("ipv6"), .addr = guest_text("::1"), .has_prefix = true, .prefix = 128 },
        };
        size_t n_addresses = 0;

        assert_int_equal(guest_builder_begin_guest(&b, GUEST_KIND_INTERFACES), 0);
        for (size_t i = 0; i < 10; i++) {
                char name[32], mac[32];
                snprintf(name, sizeof name, "eth%zu%.*s", i, (int) i, "xxxxxxxxxx");
                snprintf(mac, sizeof mac, "52:54:00:00:00:%02zx", i);
                GuestInterfaceIn in = {
                        .name = guest_text(name), .mac = guest_text(mac), .addresses = a, .n_addresses = i % 7
                };
                assert_int_equal(guest_builder_add_interface(&b, &in), 0);
                n_addresses += i % 7;
        }
        d.guest = b.guest;
        assert_int_equal(interfaces_merge(NULL, d.guest, &d.interfaces), 0);
        assert_int_equal(d.interfaces->n_items, 10);
        uint64_t wire = entries_on_wire(NETWORK_INTERFACE, "Interfaces", &d);
        size_t spent = b.spent[GUEST_LIST_INTERFACES];
        printf("# interfaces: %zu bytes spent, %" PRIu64 " on the wire\n", spent, wire);
        assert_true(wire <= spent);
        /* per interface the NIC's name (12 for ""'s 8) and the sources (32
         * for ["guest-agent"]'s 20); per address at most its padding */
        assert_true(spent - wire <= 16 * d.interfaces->n_items + 8 * n_addresses);
        d.interfaces = merged_interfaces_free(d.interfaces);
        guest_builder_done(&b);
}

/* ListSummaries' and ListDomains' count while they are built is the size of
 * what they built: domains with and without guest data and addresses. */
static void test_summary_count_is_the_wire_size(void **state) {
        static const char *const names[] = { "a", "vm-with-a-longer-name", "\xc3\xadndia" };
        GuestBuilder b = { 0 };
        GuestAddressIn a[] = {
                { .type = guest_text("ipv6"), .addr = guest_text("fe80::1"), .has_prefix = true, .prefix = 64 },
                { .type = guest_text("ipv4"), .addr = guest_text("10.0.2.15"), .has_prefix = true, .prefix = 24 },
                { .type = guest_text("ipv4"), .addr = guest_text("") },
                { .type = guest_text("ipv4"), .addr = guest_text("192.0.2.7") },
        };
        GuestInterfaceIn in = { .name = guest_text("eth0"), .mac = guest_text("52:54:00:00:00:01") };
        Domain d[3] = { 0 };

        assert_int_equal(guest_builder_begin_guest(&b, GUEST_KIND_ALL), 0);
        assert_int_equal(guest_builder_set_os(&b, GUEST_OS_PRETTY_NAME, guest_text("Debian GNU/Linux 12")), 0);
        assert_int_equal(guest_builder_set_hostname(&b, guest_text("host")), 0);
        for (size_t k = 1; k <= sizeof a / sizeof *a; k++) {
                in.addresses = a;
                in.n_addresses = k;
                assert_int_equal(guest_builder_add_interface(&b, &in), 0);
        }
        GuestInfo *g = guest_builder_take_guest(&b);
        for (size_t i = 0; i < 3; i++) {
                snprintf(d[i].uuid, sizeof d[i].uuid, "a0000000-0000-4000-8000-00000000000%zu", i);
                d[i].name = (char *) names[i];
                d[i].state = i ? DOMAIN_STATE_RUNNING : DOMAIN_STATE_SHUTOFF;
                d[i].agent_connected = d[i].guest_exported = i == 2;
                d[i].guest = i == 2 ? g : NULL;
                assert_int_equal(interfaces_merge(NULL, i ? g : NULL, &d[i].interfaces), 0);
        }

        for (int list = 0; list < 2; list++) {
                sd_bus_message *m = message();
                uint64_t offset = 8, size = 0; /* the array's length, padded to its first struct */
                assert_true(sd_bus_message_open_container(m, 'a', list ? SUMMARY_SIGNATURE : DOMAIN_ENTRY_SIGNATURE) >=
                            0);
                for (size_t i = 0; i < 3; i++) {
                        int r = list ? bus_manager_append_summary(m, &d[i], &offset)
                                     : bus_manager_append_domain_entry(m, &d[i], &offset);
                        assert_true(r >= 0);
                }
                assert_true(sd_bus_message_close_container(m) >= 0);
                assert_true(sd_bus_message_seal(m, 1, 0) >= 0);
                assert_int_equal(wire_body_size(m, &size), 0);
                printf("# %s of 3 domains: %" PRIu64 " bytes\n", list ? "ListSummaries" : "ListDomains", size);
                assert_int_equal(offset, size);
                sd_bus_message_unref(m);
        }
        for (size_t i = 0; i < 3; i++)
                merged_interfaces_free(d[i].interfaces);
        guest_info_free(g);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_basic_types),
                cmocka_unit_test(test_containers),
                cmocka_unit_test(test_copy),
                cmocka_unit_test(test_copy_as_bytes),
                cmocka_unit_test(test_budget_users_is_the_wire_size),
                cmocka_unit_test(test_budget_filesystems_is_the_wire_size),
                cmocka_unit_test(test_budget_interfaces_is_the_wire_size),
                cmocka_unit_test(test_summary_count_is_the_wire_size),
        };
        return cmocka_run_group_tests_name("unit: sizes on the wire", tests, setup, teardown);
}
