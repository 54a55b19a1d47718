/* Unit tests of the builder of guest data (collectors/parsers/guest-builder.c): the
 * cap of each field, the byte budget of each list and the counts; and that
 * the two parsers (typed parameters, the agent's JSON) hand the same guest
 * to it and get the same result. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest-builder.h"
#include "guest-data.h"
#include "guest-info.h"
#include "guest-json.h"

#define ELLIPSIS "\xe2\x80\xa6"
#define BIG 10000

static char big[BIG + 1];

static int setup(void **state) {
        memset(big, 'x', BIG);
        /* libvirt's typed parameters need it, as the daemon has it */
        return virInitialize() < 0 ? -1 : 0;
}

static GuestText text_of(char c, size_t len) {
        static char buf[8][BIG + 1];
        static int turn;
        char *b = buf[turn++ % 8];
        memset(b, c, len);
        b[len] = '\0';
        return (GuestText){ b, len };
}

static bool endswith(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

static void assert_cut(const char *s, size_t cap) {
        assert_non_null(s);
        assert_int_equal(strlen(s), cap);
        assert_true(endswith(s, ELLIPSIS));
}

static GuestInfo *begin(GuestBuilder *b, unsigned kinds) {
        *b = (GuestBuilder){ 0 };
        assert_int_equal(guest_builder_begin_guest(b, kinds), 0);
        return b->guest;
}

/* ---- caps per field ---- */

static void test_text_caps(void **state) {
        static const size_t os_caps[_GUEST_OS_FIELD_MAX] = {
                GUEST_OS_ID_MAX,  GUEST_OS_TEXT_MAX, GUEST_OS_TEXT_MAX, GUEST_OS_TEXT_MAX, GUEST_OS_ID_MAX,
                GUEST_KERNEL_MAX, GUEST_KERNEL_MAX,  GUEST_MACHINE_MAX, GUEST_OS_TEXT_MAX, GUEST_OS_ID_MAX,
        };
        GuestText t = { big, BIG };
        GuestBuilder b;
        GuestInfo *g = begin(&b, GUEST_KIND_ALL);

        for (GuestOsField f = 0; f < _GUEST_OS_FIELD_MAX; f++)
                assert_int_equal(guest_builder_set_os(&b, f, t), 0);
        assert_int_equal(guest_builder_set_hostname(&b, t), 0);
        assert_int_equal(guest_builder_set_timezone_name(&b, t), 0);
        assert_cut(g->os.id, os_caps[GUEST_OS_ID]);
        assert_cut(g->os.name, os_caps[GUEST_OS_NAME]);
        assert_cut(g->os.pretty_name, os_caps[GUEST_OS_PRETTY_NAME]);
        assert_cut(g->os.version, os_caps[GUEST_OS_VERSION]);
        assert_cut(g->os.version_id, os_caps[GUEST_OS_VERSION_ID]);
        assert_cut(g->os.kernel_release, os_caps[GUEST_OS_KERNEL_RELEASE]);
        assert_cut(g->os.kernel_version, os_caps[GUEST_OS_KERNEL_VERSION]);
        assert_cut(g->os.machine, os_caps[GUEST_OS_MACHINE]);
        assert_cut(g->os.variant, os_caps[GUEST_OS_VARIANT]);
        assert_cut(g->os.variant_id, os_caps[GUEST_OS_VARIANT_ID]);
        assert_cut(g->hostname, GUEST_HOSTNAME_MAX);
        assert_cut(g->timezone_name, GUEST_TIMEZONE_MAX);
        /* all of them together fit the budget's part for single values */
        size_t sum = 0;
        const char *all[] = { g->os.id,         g->os.name,           g->os.pretty_name,    g->os.version,
                              g->os.version_id, g->os.kernel_release, g->os.kernel_version, g->os.machine,
                              g->os.variant,    g->os.variant_id,     g->hostname,          g->timezone_name };
        for (size_t i = 0; i < sizeof all / sizeof *all; i++)
                sum += strlen(all[i]) + 8;
        assert_true(sum + AGENT_VERSION_MAX + 8 <= GUEST_SCALARS_MAX);

        /* a value at its cap is kept whole */
        assert_int_equal(guest_builder_set_hostname(&b, text_of('h', GUEST_HOSTNAME_MAX)), 0);
        assert_int_equal(strlen(g->hostname), GUEST_HOSTNAME_MAX);
        assert_int_equal(strspn(g->hostname, "h"), GUEST_HOSTNAME_MAX);
        /* absent leaves it; a later value replaces it */
        assert_int_equal(guest_builder_set_hostname(&b, GUEST_TEXT_NONE), 0);
        assert_int_equal(strlen(g->hostname), GUEST_HOSTNAME_MAX);
        assert_int_equal(guest_builder_set_hostname(&b, guest_text("vm1")), 0);
        assert_string_equal(g->hostname, "vm1");

        /* the lists' text fields */
        GuestUserIn u = { .name = t, .domain = t };
        assert_int_equal(guest_builder_add_user(&b, &u), 0);
        assert_cut(g->users[0].name, GUEST_USER_NAME_MAX);
        assert_cut(g->users[0].domain, GUEST_USER_DOMAIN_MAX);
        GuestDiskIn d = { .serial = t, .alias = t, .device = t, .bus_type = t };
        GuestFilesystemIn fs = { .disk_name = t, .mount_point = t, .fs_type = t, .disks = &d, .n_disks = 1 };
        assert_int_equal(guest_builder_add_filesystem(&b, &fs), 0);
        assert_cut(g->filesystems[0].mount_point, GUEST_MOUNT_POINT_MAX);
        assert_cut(g->filesystems[0].disk_name, GUEST_DISK_NAME_MAX);
        assert_cut(g->filesystems[0].fs_type, GUEST_FS_TYPE_MAX);
        assert_int_equal(g->filesystems[0].n_disks, 1);
        assert_cut(g->filesystems[0].disks[0].serial, GUEST_DISK_SERIAL_MAX);
        assert_cut(g->filesystems[0].disks[0].alias, GUEST_DISK_ALIAS_MAX);
        assert_cut(g->filesystems[0].disks[0].device, GUEST_DISK_DEVICE_MAX);
        assert_cut(g->filesystems[0].disks[0].bus_type, GUEST_DISK_BUS_MAX);
        GuestInterfaceIn iface = { .name = t };
        assert_int_equal(guest_builder_add_interface(&b, &iface), 0);
        assert_cut(g->interfaces[0].name, GUEST_INTERFACE_NAME_MAX);
        guest_builder_done(&b);

        assert_int_equal(guest_builder_begin_agent(&b), 0);
        assert_int_equal(guest_builder_set_agent_version(&b, t), 0);
        assert_cut(b.agent->version, AGENT_VERSION_MAX);
        guest_builder_done(&b);
        assert_null(b.guest);
        assert_null(b.agent);
}

/* A MAC, an address or a command name over its cap is dropped, not cut. */
static void test_structural_caps(void **state) {
        GuestBuilder b;
        GuestInfo *g = begin(&b, GUEST_KIND_INTERFACES);
        /* InfiniBand: a 20-byte hardware address */
        const char *ib = "80:00:02:08:FE:80:00:00:00:00:00:00:00:02:C9:03:00:A1:B2:C3";
        char mac_at_cap[GUEST_MAC_MAX + 2];
        memset(mac_at_cap, 'A', sizeof mac_at_cap);
        mac_at_cap[GUEST_MAC_MAX] = '\0';

        GuestInterfaceIn in[] = {
                { .name = guest_text("ib0"), .mac = guest_text(ib) },
                { .name = guest_text("at"), .mac = guest_text(mac_at_cap) },
                { .name = guest_text("over"), .mac = text_of('b', GUEST_MAC_MAX + 1) },
                { .name = guest_text("huge"), .mac = { big, BIG } },
        };
        for (size_t i = 0; i < 4; i++)
                assert_int_equal(guest_builder_add_interface(&b, &in[i]), 0);
        assert_int_equal(g->n_interfaces, 4);
        assert_string_equal(g->interfaces[0].mac, "80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:a1:b2:c3");
        assert_int_equal(strlen(g->interfaces[1].mac), GUEST_MAC_MAX);
        assert_int_equal(strspn(g->interfaces[1].mac, "a"), GUEST_MAC_MAX);
        /* the interface stays, without a MAC */
        assert_string_equal(g->interfaces[2].name, "over");
        assert_null(g->interfaces[2].mac);
        assert_null(g->interfaces[3].mac);
        /* a MAC that grows past its cap once made valid (3 bytes per bad byte) */
        char bad[GUEST_MAC_MAX];
        memset(bad, 0xff, sizeof bad);
        GuestInterfaceIn grown = { .name = guest_text("grown"), .mac = { bad, 30 } };
        assert_int_equal(guest_builder_add_interface(&b, &grown), 0);
        assert_null(g->interfaces[4].mac);

        /* addresses: at the cap kept (with the prefix), past it dropped */
        char v6[GUEST_ADDRESS_MAX + 1];
        snprintf(v6, sizeof v6, "fe80::1%%");
        memset(v6 + strlen(v6), 'z', GUEST_ADDRESS_MAX - strlen(v6));
        v6[GUEST_ADDRESS_MAX] = '\0';
        GuestAddressIn a[] = {
                { .type = guest_text("ipv6"), .addr = guest_text(v6), .has_prefix = true, .prefix = 64 },
                { .type = guest_text("ipv6"), .addr = text_of('1', GUEST_ADDRESS_MAX + 1) },
                { .type = guest_text("ipv4"), .addr = guest_text("10.0.0.1"), .has_prefix = true, .prefix = 33 },
                { .type = guest_text("ipv4"), .addr = guest_text("10.0.0.2"), .has_prefix = true, .prefix = 8 },
                { .type = guest_text("ipx"), .addr = guest_text("1.2.3.4") },
                { .type = guest_text("ipv4") },
                { .type = { "ipv4x", 4 }, .addr = guest_text("10.0.0.3") },
        };
        GuestInterfaceIn with = { .name = guest_text("eth0"), .addresses = a, .n_addresses = 7 };
        assert_int_equal(guest_builder_add_interface(&b, &with), 0);
        GuestInterface *it = &g->interfaces[5];
        assert_int_equal(it->n_addresses, 4);
        assert_int_equal(it->n_ipv4, 3);
        /* IPv4 first; a prefix past the width is left out */
        assert_string_equal(it->addresses[0], "10.0.0.1");
        assert_string_equal(it->addresses[1], "10.0.0.2/8");
        /* the type is compared by its length too: "ipv4x" cut to 4 is ipv4 */
        assert_string_equal(it->addresses[2], "10.0.0.3");
        assert_int_equal(strlen(it->addresses[3]), GUEST_ADDRESS_MAX + 3);
        assert_true(endswith(it->addresses[3], "zzz/64"));
        guest_builder_done(&b);

        /* command names */
        assert_int_equal(guest_builder_begin_agent(&b), 0);
        guest_builder_set_reported(&b, GUEST_LIST_COMMANDS, 3);
        assert_int_equal(agent_builder_add_command(&b, text_of('c', AGENT_COMMAND_NAME_MAX), true), 0);
        assert_int_equal(agent_builder_add_command(&b, text_of('d', AGENT_COMMAND_NAME_MAX + 1), true), 0);
        assert_int_equal(agent_builder_add_command(&b, guest_text("guest-ping"), false), 0);
        assert_int_equal(b.agent->n_commands, 2);
        assert_int_equal(b.agent->n_reported, 3);
        assert_int_equal(strlen(b.agent->commands[0].name), AGENT_COMMAND_NAME_MAX);
        assert_string_equal(b.agent->commands[1].name, "guest-ping");
        assert_false(b.agent->commands[1].enabled);
        AgentInfo *agent = guest_builder_take_agent(&b);
        assert_null(b.agent);
        guest_builder_done(&b);
        assert_true(agent_info_supports(agent, agent->commands[0].name));
        agent_info_free(agent);
}

/* ---- the byte budget ---- */

/* A string's bytes on the wire (length, bytes, NUL, padding to 4). */
static size_t wire(size_t len) {
        return (4 + len + 1 + 3) & ~(size_t) 3;
}

static void test_budget_users(void **state) {
        GuestBuilder b;
        GuestInfo *g = begin(&b, GUEST_KIND_USERS);
        GuestUserIn big_user = { .name = { big, BIG }, .domain = { big, BIG } };
        /* (ssta{sv}): two strings, the t aligned to 8, the empty a{sv} */
        size_t cost = wire(GUEST_USER_NAME_MAX) + wire(GUEST_USER_DOMAIN_MAX) + 4 + 8 + 8;

        guest_builder_set_reported(&b, GUEST_LIST_USERS, 1000);
        for (int i = 0; i < 1000; i++)
                assert_int_equal(guest_builder_add_user(&b, &big_user), 0);
        /* as many as the share holds, far below the count cap */
        assert_int_equal(g->n_users, GUEST_USERS_BUDGET / cost);
        assert_true(g->n_users < GUEST_USERS_MAX);
        assert_int_equal(g->n_users_reported, 1000);
        assert_true(b.spent[GUEST_LIST_USERS] <= GUEST_USERS_BUDGET);
        assert_true(b.full[GUEST_LIST_USERS]);
        /* the tail: once spent, even a small one is dropped (no holes) */
        size_t n = g->n_users;
        GuestUserIn small = { .name = guest_text("root") };
        assert_int_equal(guest_builder_add_user(&b, &small), 0);
        assert_int_equal(g->n_users, n);
        GuestInfo *taken = guest_builder_take_guest(&b);
        guest_builder_done(&b);
        guest_info_free(taken);

        /* ordinary users: the count cap, not the budget, holds them */
        g = begin(&b, GUEST_KIND_USERS);
        for (int i = 0; i < 300; i++) {
                char name[32];
                snprintf(name, sizeof name, "user%03d", i);
                GuestUserIn u = { .name = guest_text(name), .domain = guest_text("CORP") };
                assert_int_equal(guest_builder_add_user(&b, &u), 0);
        }
        assert_int_equal(g->n_users, GUEST_USERS_MAX);
        assert_string_equal(g->users[255].name, "user255");
        guest_builder_done(&b);
}

static void test_budget_filesystems(void **state) {
        GuestBuilder b;
        GuestInfo *g = begin(&b, GUEST_KIND_FILESYSTEMS);
        GuestText t = { big, BIG };
        GuestDiskIn disks[40];
        for (size_t i = 0; i < 40; i++)
                disks[i] = (GuestDiskIn){ .serial = t, .alias = t, .device = t };
        GuestFilesystemIn fs = { .mount_point = t, .disk_name = t, .fs_type = t, .disks = disks, .n_disks = 40 };

        for (int i = 0; i < 100; i++)
                assert_int_equal(guest_builder_add_filesystem(&b, &fs), 0);
        assert_true(b.spent[GUEST_LIST_FILESYSTEMS] <= GUEST_FILESYSTEMS_BUDGET);
        assert_true(b.full[GUEST_LIST_FILESYSTEMS]);
        assert_true(g->n_filesystems >= 1 && g->n_filesystems < 5);
        /* every one but the last whole (its disks capped at 16); the last
         * keeps the disks that fit */
        for (size_t i = 0; i + 1 < g->n_filesystems; i++)
                assert_int_equal(g->filesystems[i].n_disks, GUEST_FS_DISKS_MAX);
        assert_true(g->filesystems[g->n_filesystems - 1].n_disks <= GUEST_FS_DISKS_MAX);
        guest_builder_done(&b);
}

static void test_budget_interfaces(void **state) {
        GuestBuilder b;
        GuestInfo *g = begin(&b, GUEST_KIND_INTERFACES);
        GuestAddressIn a[GUEST_ADDRESSES_MAX + 8];
        for (size_t i = 0; i < sizeof a / sizeof *a; i++)
                a[i] = (GuestAddressIn){ .type = guest_text(i % 2 ? "ipv6" : "ipv4"),
                                         .addr = text_of('a', GUEST_ADDRESS_MAX),
                                         .has_prefix = true,
                                         .prefix = 24 };
        GuestInterfaceIn in = { .name = { big, BIG },
                                .mac = text_of('m', GUEST_MAC_MAX),
                                .addresses = a,
                                .n_addresses = sizeof a / sizeof *a };

        guest_builder_set_reported(&b, GUEST_LIST_INTERFACES, 100000);
        for (int i = 0; i < 1000; i++)
                assert_int_equal(guest_builder_add_interface(&b, &in), 0);
        assert_int_equal(g->n_interfaces_reported, 100000);
        assert_true(b.spent[GUEST_LIST_INTERFACES] <= GUEST_INTERFACES_BUDGET);
        /* each whole interface: 32 addresses of 64 bytes, each a (ssy) with
         * its padding, the family and the prefix's byte; the NIC's name, the
         * address array, the sources and the empty a{sv} */
        size_t addresses = GUEST_ADDRESSES_MAX * (4 + 12 + wire(GUEST_ADDRESS_MAX) + 4);
        size_t whole = 12 + wire(GUEST_INTERFACE_NAME_MAX) + wire(GUEST_MAC_MAX) + 8 + addresses + 32 + 8;
        assert_int_equal(g->n_interfaces, GUEST_INTERFACES_BUDGET / whole + 1);
        for (size_t i = 0; i + 1 < g->n_interfaces; i++) {
                assert_int_equal(g->interfaces[i].n_addresses, GUEST_ADDRESSES_MAX);
                assert_int_equal(g->interfaces[i].n_ipv4, GUEST_ADDRESSES_MAX / 2);
        }
        /* the last keeps the addresses that fit, IPv4 first */
        GuestInterface *last = &g->interfaces[g->n_interfaces - 1];
        assert_true(last->n_addresses < GUEST_ADDRESSES_MAX);
        assert_true(last->n_ipv4 == (last->n_addresses < 16 ? last->n_addresses : 16));
        guest_builder_done(&b);
}

static void test_budget_commands(void **state) {
        GuestBuilder b = { 0 };
        char name[AGENT_COMMAND_NAME_MAX + 1];

        assert_int_equal(guest_builder_begin_agent(&b), 0);
        guest_builder_set_reported(&b, GUEST_LIST_COMMANDS, 100000);
        for (int i = 0; i < 1000; i++) {
                memset(name, 'c', AGENT_COMMAND_NAME_MAX);
                name[AGENT_COMMAND_NAME_MAX] = '\0';
                snprintf(name, sizeof name, "%04d", i);
                name[4] = '-';
                assert_int_equal(agent_builder_add_command(&b, guest_text(name), true), 0);
        }
        size_t cost = 4 + wire(AGENT_COMMAND_NAME_MAX) + 4;
        assert_int_equal(b.agent->n_commands, AGENT_COMMANDS_BUDGET / cost);
        assert_int_equal(b.agent->n_reported, 100000);
        assert_true(b.spent[GUEST_LIST_COMMANDS] <= AGENT_COMMANDS_BUDGET);
        guest_builder_done(&b);
}

/* The shares add up to the VM's budget, which is the order of 88 KiB. */
static void test_budget_total(void **state) {
        assert_int_equal(GUEST_DATA_BUDGET, GUEST_USERS_BUDGET + GUEST_FILESYSTEMS_BUDGET + GUEST_INTERFACES_BUDGET +
                                                    AGENT_COMMANDS_BUDGET + GUEST_DISKS_BUDGET +
                                                    2 * GUEST_COUNTERS_BUDGET + GUEST_SCALARS_MAX);
        assert_int_equal(GUEST_DATA_BUDGET, 88 * 1024);
}

/* ---- both parsers, one builder ---- */

typedef struct Params {
        virTypedParameterPtr p;
        int n, max;
} Params;

static void add_s(Params *ps, const char *key, const char *v) {
        assert_int_equal(virTypedParamsAddString(&ps->p, &ps->n, &ps->max, key, v), 0);
}

static void add_u(Params *ps, const char *key, unsigned v) {
        assert_int_equal(virTypedParamsAddUInt(&ps->p, &ps->n, &ps->max, key, v), 0);
}

/* The same hostile guest, as libvirt's typed parameters and as the agent's
 * own replies: long names, long MACs, addresses at and past their cap, far
 * more entries than kept. The builder makes of both the same data. */
static void test_parsers_agree(void **state) {
        Params ps = { 0 };
        char key[VIR_TYPED_PARAM_FIELD_LENGTH], *users = NULL, *fss = NULL, *ifs = NULL;
        size_t lu = 0, lf = 0, li = 0;
        FILE *fu = open_memstream(&users, &lu), *ff = open_memstream(&fss, &lf), *fi = open_memstream(&ifs, &li);
        /* past every text cap; a serial past its own (replies stay small) */
        const char *name = text_of('n', GUEST_MOUNT_POINT_MAX + 10).s, *mac = text_of('M', GUEST_MAC_MAX).s;
        const char *serial = text_of('s', 2 * GUEST_DISK_SERIAL_MAX).s;
        const char *addr_ok = text_of('1', GUEST_ADDRESS_MAX).s, *addr_long = text_of('2', GUEST_ADDRESS_MAX + 1).s;
        const int n = 40;

        add_u(&ps, "user.count", n);
        add_u(&ps, "fs.count", n);
        add_u(&ps, "if.count", n);
        fputs("{\"return\":[", fu);
        fputs("{\"return\":[", ff);
        fputs("{\"return\":[", fi);
        for (int i = 0; i < n; i++) {
                snprintf(key, sizeof key, "user.%d.name", i);
                add_s(&ps, key, name);
                snprintf(key, sizeof key, "user.%d.domain", i);
                add_s(&ps, key, name);
                fprintf(fu, "%s{\"user\":\"%s\",\"domain\":\"%s\"}", i ? "," : "", name, name);

                snprintf(key, sizeof key, "fs.%d.mountpoint", i);
                add_s(&ps, key, name);
                snprintf(key, sizeof key, "fs.%d.fstype", i);
                add_s(&ps, key, name);
                snprintf(key, sizeof key, "fs.%d.disk.count", i);
                add_u(&ps, key, 20);
                fprintf(ff, "%s{\"mountpoint\":\"%s\",\"type\":\"%s\",\"disk\":[", i ? "," : "", name, name);
                for (int d = 0; d < 20; d++) {
                        snprintf(key, sizeof key, "fs.%d.disk.%d.serial", i, d);
                        add_s(&ps, key, serial);
                        fprintf(ff, "%s{\"serial\":\"%s\"}", d ? "," : "", serial);
                }
                fputs("]}", ff);

                snprintf(key, sizeof key, "if.%d.name", i);
                add_s(&ps, key, name);
                snprintf(key, sizeof key, "if.%d.hwaddr", i);
                add_s(&ps, key, i % 2 ? mac : addr_long);
                snprintf(key, sizeof key, "if.%d.addr.count", i);
                add_u(&ps, key, 40);
                fprintf(fi, "%s{\"name\":\"%s\",\"hardware-address\":\"%s\",\"ip-addresses\":[", i ? "," : "", name,
                        i % 2 ? mac : addr_long);
                for (int a = 0; a < 40; a++) {
                        const char *type = a % 3 ? "ipv4" : "ipv6", *v = a % 5 ? addr_ok : addr_long;
                        snprintf(key, sizeof key, "if.%d.addr.%d.type", i, a);
                        add_s(&ps, key, type);
                        snprintf(key, sizeof key, "if.%d.addr.%d.addr", i, a);
                        add_s(&ps, key, v);
                        snprintf(key, sizeof key, "if.%d.addr.%d.prefix", i, a);
                        add_u(&ps, key, (unsigned) a);
                        fprintf(fi, "%s{\"ip-address-type\":\"%s\",\"ip-address\":\"%s\",\"prefix\":%d}", a ? "," : "",
                                type, v, a);
                }
                fputs("]}", fi);
        }
        fputs("]}", fu);
        fputs("]}", ff);
        fputs("]}", fi);
        fclose(fu);
        fclose(ff);
        fclose(fi);

        GuestInfo *typed = NULL, *ju = NULL, *jf = NULL, *ji = NULL;
        assert_int_equal(guest_info_from_typed_params(ps.p, ps.n, GUEST_KIND_ALL, &typed), 0);
        assert_int_equal(guest_info_from_agent_json(GUEST_KIND_USERS, users, lu, &ju), 0);
        assert_int_equal(guest_info_from_agent_json(GUEST_KIND_FILESYSTEMS, fss, lf, &jf), 0);
        assert_int_equal(guest_info_from_agent_json(GUEST_KIND_INTERFACES, ifs, li, &ji), 0);

        /* cut by the budget, counted as the guest claimed */
        assert_true(typed->n_users > 0 && typed->n_users < (size_t) n);
        assert_true(typed->n_filesystems > 0 && typed->n_filesystems < (size_t) n);
        assert_true(typed->n_interfaces > 0 && typed->n_interfaces < (size_t) n);
        assert_int_equal(typed->n_users_reported, n);
        assert_int_equal(ju->n_users_reported, n);
        assert_true(guest_users_equal(typed->users, typed->n_users, ju->users, ju->n_users));
        assert_int_equal(typed->n_filesystems_reported, n);
        assert_int_equal(jf->n_filesystems_reported, n);
        assert_true(
                guest_filesystems_equal(typed->filesystems, typed->n_filesystems, jf->filesystems, jf->n_filesystems));
        assert_int_equal(ji->n_interfaces_reported, n);
        assert_int_equal(typed->n_interfaces, ji->n_interfaces);
        for (size_t i = 0; i < typed->n_interfaces; i++) {
                GuestInterface *x = &typed->interfaces[i], *y = &ji->interfaces[i];
                assert_string_equal(x->name, y->name);
                assert_true((x->mac == NULL) == (y->mac == NULL));
                if (x->mac)
                        assert_string_equal(x->mac, y->mac);
                assert_int_equal(x->n_addresses, y->n_addresses);
                assert_int_equal(x->n_ipv4, y->n_ipv4);
                for (size_t k = 0; k < x->n_addresses; k++)
                        assert_string_equal(x->addresses[k], y->addresses[k]);
        }
        /* the long MAC is gone, the one at its cap lowercased */
        assert_null(typed->interfaces[0].mac);
        assert_int_equal(strspn(typed->interfaces[1].mac, "m"), GUEST_MAC_MAX);

        guest_info_free(typed);
        guest_info_free(ju);
        guest_info_free(jf);
        guest_info_free(ji);
        virTypedParamsFree(ps.p, ps.n);
        free(users);
        free(fss);
        free(ifs);
}

/* ---- one block per list ---- */

/* What the builder hands over holds each list in one block, its entries'
 * disks and addresses after them in order (entries without any have
 * none), and moves whole between guests, packed or not. */
static void test_packed(void **state) {
        GuestBuilder b;
        GuestInfo *g = begin(&b, GUEST_KIND_FILESYSTEMS | GUEST_KIND_INTERFACES);
        GuestDiskIn disks[3] = {
                { .alias = guest_text("vda"), .serial = guest_text("S1") },
                { .device = guest_text("/dev/vdb") },
                { .serial = guest_text("S3") },
        };
        GuestDiskIn nameless = { .bus_type = guest_text("virtio") };
        GuestFilesystemIn fss[3] = {
                { .mount_point = guest_text("/"), .disks = disks, .n_disks = 2 },
                { .mount_point = guest_text("/none"), .disks = &nameless, .n_disks = 1 },
                { .mount_point = guest_text("/srv"), .disks = disks, .n_disks = 3 },
        };
        GuestAddressIn a[3] = {
                { .type = guest_text("ipv6"), .addr = guest_text("fd00::1"), .has_prefix = true, .prefix = 64 },
                { .type = guest_text("ipv4"), .addr = guest_text("10.0.0.1"), .has_prefix = true, .prefix = 24 },
                { .type = guest_text("ipx"), .addr = guest_text("1") },
        };
        GuestInterfaceIn ifs[3] = {
                { .name = guest_text("eth0"), .addresses = a, .n_addresses = 2 },
                { .name = guest_text("eth1"), .addresses = &a[2], .n_addresses = 1 },
                { .name = guest_text("lo") },
        };

        for (int i = 0; i < 3; i++) {
                assert_int_equal(guest_builder_add_filesystem(&b, &fss[i]), 0);
                assert_int_equal(guest_builder_add_interface(&b, &ifs[i]), 0);
        }
        GuestInfo *t = guest_builder_take_guest(&b);
        guest_builder_done(&b);
        assert_ptr_equal(t, g);
        assert_true(t->filesystems_packed);
        assert_true(t->interfaces_packed);

        assert_int_equal(t->n_filesystems, 3);
        GuestFsDisk *d = (GuestFsDisk *) (t->filesystems + 3);
        assert_ptr_equal(t->filesystems[0].disks, d);
        assert_int_equal(t->filesystems[0].n_disks, 2);
        assert_string_equal(d[0].alias, "vda");
        assert_string_equal(d[0].serial, "S1");
        assert_string_equal(d[1].device, "/dev/vdb");
        assert_null(t->filesystems[1].disks);
        assert_int_equal(t->filesystems[1].n_disks, 0);
        assert_ptr_equal(t->filesystems[2].disks, d + 2);
        assert_int_equal(t->filesystems[2].n_disks, 3);
        assert_string_equal(d[4].serial, "S3");
        assert_string_equal(t->filesystems[2].mount_point, "/srv");

        assert_int_equal(t->n_interfaces, 3);
        char **addr = (char **) (t->interfaces + 3);
        assert_ptr_equal(t->interfaces[0].addresses, addr);
        assert_int_equal(t->interfaces[0].n_addresses, 2);
        assert_int_equal(t->interfaces[0].n_ipv4, 1);
        assert_string_equal(addr[0], "10.0.0.1/24");
        assert_string_equal(addr[1], "fd00::1/64");
        assert_null(t->interfaces[1].addresses);
        assert_null(t->interfaces[2].addresses);
        assert_string_equal(t->interfaces[2].name, "lo");

        /* into a guest whose lists were made by hand (not packed), and back */
        GuestInfo *h = guest_info_new();
        assert_non_null(h);
        h->filesystems = calloc(1, sizeof *h->filesystems);
        assert_non_null(h->filesystems);
        h->filesystems[0].disks = calloc(1, sizeof *h->filesystems[0].disks);
        assert_non_null(h->filesystems[0].disks);
        h->filesystems[0].n_disks = 1;
        h->n_filesystems = 1;
        h->interfaces = calloc(1, sizeof *h->interfaces);
        assert_non_null(h->interfaces);
        h->interfaces[0].addresses = calloc(1, sizeof(char *));
        assert_non_null(h->interfaces[0].addresses);
        h->interfaces[0].addresses[0] = strdup("10.9.9.9");
        h->interfaces[0].n_addresses = 1;
        h->n_interfaces = 1;
        h->kinds = GUEST_KIND_FILESYSTEMS | GUEST_KIND_INTERFACES;

        guest_info_take_kinds(t, h); /* t's packed lists freed, h's taken */
        assert_false(t->filesystems_packed);
        assert_false(t->interfaces_packed);
        assert_string_equal(t->interfaces[0].addresses[0], "10.9.9.9");
        assert_null(h->filesystems);
        guest_info_pack(t);
        assert_true(t->filesystems_packed);
        assert_true(t->interfaces_packed);
        assert_ptr_equal(t->interfaces[0].addresses, (char **) (t->interfaces + 1));
        assert_string_equal(t->interfaces[0].addresses[0], "10.9.9.9");
        guest_info_take_kinds(h, t);
        assert_true(h->filesystems_packed);
        assert_true(h->interfaces_packed);
        assert_false(t->filesystems_packed);
        guest_info_free(t);
        guest_info_free(h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_text_caps),
                cmocka_unit_test(test_structural_caps),
                cmocka_unit_test(test_budget_users),
                cmocka_unit_test(test_budget_filesystems),
                cmocka_unit_test(test_budget_interfaces),
                cmocka_unit_test(test_budget_commands),
                cmocka_unit_test(test_budget_total),
                cmocka_unit_test(test_parsers_agree),
                cmocka_unit_test(test_packed),
        };
        return cmocka_run_group_tests_name("guest data builder", tests, setup, NULL);
}
