/* Interface merging (domain NICs + the agent's interfaces, KubeVirt's rules)
 * and the KubeVirt-shaped JSON documents, parsed back and checked key by key
 * against the seed's samples. Fixtures are built by hand. */
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

#include "domain-devices.h"
#include "guest-builder.h"
#include "guest-data.h"
#include "interface-merge.h"
#include "intern.h"
#include "kubevirt-json.h"

/* ---- fixtures ---- */

static char *xstrdup(const char *s) {
        char *d;

        if (!s)
                return NULL;
        d = strdup(s);
        assert_non_null(d);
        return d;
}

/* A guest's string: interned, as the builder makes them (intern.h). */
static char *gstrdup(const char *s) {
        return s ? intern_take(xstrdup(s)) : NULL;
}

static void *grow(void *p, size_t n, size_t size) {
        p = realloc(p, n * size);
        assert_non_null(p);
        return p;
}

/* A NULL-terminated list of addresses, copied. */
static char **addresses(va_list ap, uint32_t *n, char *(*copy)(const char *) ) {
        char **v = NULL;
        const char *a;

        *n = 0;
        while ((a = va_arg(ap, const char *))) {
                v = grow(v, *n + 1, sizeof *v);
                v[(*n)++] = copy(a);
        }
        return v;
}

static DomainDevices *devices_new(void) {
        DomainDevices *d = calloc(1, sizeof *d);
        assert_non_null(d);
        return d;
}

/* add_nic(d, alias, mac, n_ipv4, addresses..., NULL) */
static void add_nic(DomainDevices *d, const char *alias, const char *mac, size_t n_ipv4, ...) {
        DomainNic *nic;
        va_list ap;

        d->nics = grow(d->nics, d->n_nics + 1, sizeof *d->nics);
        nic = &d->nics[d->n_nics++];
        *nic = (DomainNic){ .alias = xstrdup(alias), .mac = xstrdup(mac), .n_ipv4 = n_ipv4 };
        va_start(ap, n_ipv4);
        nic->addresses = addresses(ap, &nic->n_addresses, xstrdup);
        va_end(ap);
}

static GuestInfo *guest_new(void) {
        GuestInfo *g = calloc(1, sizeof *g);
        assert_non_null(g);
        g->kinds = GUEST_KIND_ALL;
        return g;
}

/* add_iface(g, name, mac, n_ipv4, addresses..., NULL) */
static void add_iface(GuestInfo *g, const char *name, const char *mac, size_t n_ipv4, ...) {
        GuestInterface *i;
        va_list ap;

        g->interfaces = grow(g->interfaces, g->n_interfaces + 1, sizeof *g->interfaces);
        i = &g->interfaces[g->n_interfaces++];
        *i = (GuestInterface){ .name = gstrdup(name), .mac = gstrdup(mac), .n_ipv4 = n_ipv4 };
        va_start(ap, n_ipv4);
        i->addresses = addresses(ap, &i->n_addresses, gstrdup);
        va_end(ap);
        g->n_interfaces_reported = g->n_interfaces;
}

static void add_user(GuestInfo *g, const char *name, const char *domain, double login_time) {
        g->users = grow(g->users, g->n_users + 1, sizeof *g->users);
        g->users[g->n_users++] =
                (GuestUser){ .name = gstrdup(name), .domain = gstrdup(domain), .login_time = login_time };
        g->n_users_reported = g->n_users;
}

/* A filesystem with one disk if serial or bus is given. */
static void add_fs(GuestInfo *g, const char *disk_name, const char *mount_point, const char *fs_type, uint64_t used,
                   uint64_t total, const char *serial, const char *bus) {
        GuestFilesystem *f;

        g->filesystems = grow(g->filesystems, g->n_filesystems + 1, sizeof *g->filesystems);
        f = &g->filesystems[g->n_filesystems++];
        *f = (GuestFilesystem){ .disk_name = gstrdup(disk_name),
                                .mount_point = gstrdup(mount_point),
                                .fs_type = gstrdup(fs_type),
                                .used_bytes = used,
                                .total_bytes = total,
                                .has_bytes = used || total };
        if (serial || bus) {
                f->disks = calloc(1, sizeof *f->disks);
                assert_non_null(f->disks);
                f->disks[0] = (GuestFsDisk){ .serial = gstrdup(serial),
                                             .alias = gstrdup("vda"),
                                             .device = gstrdup("/dev/vda"),
                                             .bus_type = gstrdup(bus) };
                f->n_disks = 1;
        }
        g->n_filesystems_reported = g->n_filesystems;
}

static AgentInfo *agent_new(const char *version) {
        AgentInfo *a = calloc(1, sizeof *a);
        assert_non_null(a);
        a->version = xstrdup(version);
        return a;
}

static void add_command(AgentInfo *a, const char *name, bool enabled) {
        a->commands = grow(a->commands, a->n_commands + 1, sizeof *a->commands);
        a->commands[a->n_commands++] = (AgentCommand){ .name = xstrdup(name), .enabled = enabled };
        a->n_reported = a->n_commands;
}

/* The harness guest (tests/fixtures/harness-*): one NIC; the agent reports
 * lo, eth0 (the NIC) and dummy0 (guest only). */
static DomainDevices *harness_devices(void) {
        DomainDevices *d = devices_new();
        add_nic(d, "net0", "52:54:00:12:34:56", 0, NULL);
        return d;
}

static GuestInfo *harness_guest(void) {
        GuestInfo *g = guest_new();
        add_iface(g, "lo", "00:00:00:00:00:00", 1, "127.0.0.1/8", "::1/128", NULL);
        add_iface(g, "eth0", "52:54:00:12:34:56", 1, "10.0.2.15/24", "fd00:10::15/64", "fe80::5054:ff:fe12:3456/64",
                  NULL);
        add_iface(g, "dummy0", "02:00:00:00:99:05", 1, "10.99.0.5/24", "fd00:99::5/64", "fe80::ff:fe00:9905/64", NULL);
        return g;
}

static MergedInterfaces *merge(const DomainDevices *d, const GuestInfo *g) {
        MergedInterfaces *m = NULL;
        assert_int_equal(interfaces_merge(d, g, &m), 0);
        assert_non_null(m);
        return m;
}

/* item's addresses are exactly the NULL-terminated list. */
static void check_addresses(const MergedInterface *it, ...) {
        const char *a;
        size_t n = 0;
        va_list ap;

        va_start(ap, it);
        while ((a = va_arg(ap, const char *))) {
                assert_true(n < it->n_ip_addresses);
                assert_string_equal(it->ip_addresses[n], a);
                n++;
        }
        va_end(ap);
        assert_int_equal(it->n_ip_addresses, n);
}

static void check_item(const MergedInterface *it, const char *name, const char *interface_name, const char *mac,
                       const char *info_source) {
        assert_non_null(it->name);
        assert_string_equal(it->name, name);
        if (interface_name)
                assert_string_equal(it->interface_name, interface_name);
        else
                assert_null(it->interface_name);
        assert_string_equal(it->mac, mac);
        assert_string_equal(it->info_source, info_source);
}

/* ---- JSON helpers ---- */

static json_t *parse(char *s) {
        json_error_t err;
        json_t *j;

        assert_non_null(s);
        j = json_loads(s, JSON_REJECT_DUPLICATES, &err);
        if (!j)
                fail_msg("not JSON (%s): %s", err.text, s);
        free(s);
        return j;
}

/* obj is an object with exactly the NULL-terminated keys. */
static void check_keys(const json_t *obj, ...) {
        const char *k;
        size_t n = 0;
        va_list ap;

        assert_true(json_is_object(obj));
        va_start(ap, obj);
        while ((k = va_arg(ap, const char *))) {
                if (!json_object_get(obj, k)) {
                        char *s = json_dumps(obj, JSON_COMPACT);
                        fail_msg("key \"%s\" missing in %s", k, s);
                }
                n++;
        }
        va_end(ap);
        if (json_object_size(obj) != n) {
                char *s = json_dumps(obj, JSON_COMPACT);
                fail_msg("expected %zu keys, got %s", n, s);
        }
}

static const char *get_string(const json_t *obj, const char *key) {
        json_t *v = json_object_get(obj, key);
        if (!json_is_string(v))
                fail_msg("\"%s\" is not a string", key);
        return json_string_value(v);
}

static json_int_t get_integer(const json_t *obj, const char *key) {
        json_t *v = json_object_get(obj, key);
        if (!json_is_integer(v))
                fail_msg("\"%s\" is not an integer", key);
        return json_integer_value(v);
}

/* A real (not an integer), within a microsecond: cmocka's float assertion
 * works in float, too coarse for seconds since the epoch. */
static void check_real(const json_t *obj, const char *key, double expected) {
        json_t *v = json_object_get(obj, key);
        double diff;

        if (!json_is_real(v))
                fail_msg("\"%s\" is not a real", key);
        diff = json_real_value(v) - expected;
        if (diff > 1e-6 || diff < -1e-6)
                fail_msg("\"%s\" is %.6f, expected %.6f", key, json_real_value(v), expected);
}

static json_t *get_array(const json_t *obj, const char *key, size_t size) {
        json_t *v = json_object_get(obj, key);
        if (!json_is_array(v))
                fail_msg("\"%s\" is not an array", key);
        assert_int_equal(json_array_size(v), size);
        return v;
}

/* ---- merging ---- */

static void test_merge_harness(void **state) {
        DomainDevices *d = harness_devices();
        GuestInfo *g = harness_guest();
        MergedInterfaces *m = merge(d, g);

        /* lo dropped, eth0 merged into net0, dummy0 guest-only */
        assert_int_equal(m->n_items, 2);
        assert_int_equal(m->n_guest_only_dropped, 0);
        check_item(&m->items[0], "net0", "eth0", "52:54:00:12:34:56", "domain, guest-agent");
        check_addresses(&m->items[0], "10.0.2.15/24", "fd00:10::15/64", "fe80::5054:ff:fe12:3456/64", NULL);
        check_item(&m->items[1], "", "dummy0", "02:00:00:00:99:05", "guest-agent");
        check_addresses(&m->items[1], "10.99.0.5/24", "fd00:99::5/64", "fe80::ff:fe00:9905/64", NULL);
        /* one block: the header, the items, their addresses in order */
        assert_true(m->packed);
        assert_ptr_equal(m->items, (MergedInterface *) (m + 1));
        assert_ptr_equal(m->items[0].ip_addresses, (char **) (m->items + 2));
        assert_ptr_equal(m->items[1].ip_addresses, m->items[0].ip_addresses + 3);

        /* the result holds its strings: they outlive the guest's and the
         * domain's (use after free under ASan and valgrind otherwise) */
        guest_info_free(g);
        domain_devices_free(d);
        check_item(&m->items[0], "net0", "eth0", "52:54:00:12:34:56", "domain, guest-agent");
        check_addresses(&m->items[0], "10.0.2.15/24", "fd00:10::15/64", "fe80::5054:ff:fe12:3456/64", NULL);

        json_t *j = parse(kubevirt_interfaces_json(m));
        assert_true(json_is_array(j));
        assert_int_equal(json_array_size(j), 2);
        json_t *net0 = json_array_get(j, 0), *dummy0 = json_array_get(j, 1);
        check_keys(net0, "name", "interfaceName", "mac", "ipAddress", "ipAddresses", "infoSource", NULL);
        assert_string_equal(get_string(net0, "name"), "net0");
        assert_string_equal(get_string(net0, "interfaceName"), "eth0");
        assert_string_equal(get_string(net0, "mac"), "52:54:00:12:34:56");
        assert_string_equal(get_string(net0, "ipAddress"), "10.0.2.15/24");
        assert_string_equal(get_string(net0, "infoSource"), "domain, guest-agent");
        json_t *ips = get_array(net0, "ipAddresses", 3);
        assert_string_equal(json_string_value(json_array_get(ips, 0)), "10.0.2.15/24");
        assert_string_equal(json_string_value(json_array_get(ips, 1)), "fd00:10::15/64");
        assert_string_equal(json_string_value(json_array_get(ips, 2)), "fe80::5054:ff:fe12:3456/64");
        /* guest-only: no "name" at all (KubeVirt's omitempty) */
        check_keys(dummy0, "interfaceName", "mac", "ipAddress", "ipAddresses", "infoSource", NULL);
        assert_string_equal(get_string(dummy0, "interfaceName"), "dummy0");
        assert_string_equal(get_string(dummy0, "mac"), "02:00:00:00:99:05");
        assert_string_equal(get_string(dummy0, "ipAddress"), "10.99.0.5/24");
        assert_string_equal(get_string(dummy0, "infoSource"), "guest-agent");
        get_array(dummy0, "ipAddresses", 3);
        json_decref(j);

        merged_interfaces_free(m);
}

static void test_merge_mac_case(void **state) {
        DomainDevices *d = devices_new();
        GuestInfo *g = guest_new();
        MergedInterfaces *m;

        add_nic(d, "net0", "52:54:00:ab:cd:ef", 0, NULL);
        add_nic(d, "net1", "52:54:00:AA:BB:CC", 0, NULL);
        add_iface(g, "eth0", "52:54:00:AB:CD:EF", 1, "10.0.0.1/24", NULL);
        add_iface(g, "eth1", "52:54:00:aa:bb:cc", 1, "10.0.1.1/24", NULL);
        m = merge(d, g);

        assert_int_equal(m->n_items, 2);
        /* the domain's spelling of the MAC is kept */
        check_item(&m->items[0], "net0", "eth0", "52:54:00:ab:cd:ef", "domain, guest-agent");
        check_addresses(&m->items[0], "10.0.0.1/24", NULL);
        check_item(&m->items[1], "net1", "eth1", "52:54:00:AA:BB:CC", "domain, guest-agent");
        check_addresses(&m->items[1], "10.0.1.1/24", NULL);

        merged_interfaces_free(m);
        guest_info_free(g);
        domain_devices_free(d);
}

static void test_merge_guest_only_cap(void **state) {
        DomainDevices *d = devices_new();
        GuestInfo *g = guest_new();
        MergedInterfaces *m;
        char name[16], mac[32], addr[32];

        add_nic(d, "net0", "52:54:00:00:00:01", 0, NULL);
        add_iface(g, "lo", "00:00:00:00:00:00", 1, "127.0.0.1/8", NULL);
        for (int i = 0; i < 12; i++) {
                snprintf(name, sizeof name, "veth%d", i);
                snprintf(mac, sizeof mac, "02:00:00:00:00:%02x", i);
                snprintf(addr, sizeof addr, "10.1.%d.1/24", i);
                add_iface(g, name, mac, 1, addr, NULL);
        }
        m = merge(d, g);

        /* net0 (no agent match) + the first 10 guest-only, in the agent's order;
         * lo is neither kept nor counted */
        assert_int_equal(m->n_items, 11);
        assert_int_equal(m->n_guest_only_dropped, 2);
        check_item(&m->items[0], "net0", NULL, "52:54:00:00:00:01", "domain");
        check_addresses(&m->items[0], NULL);
        for (int i = 0; i < 10; i++) {
                snprintf(name, sizeof name, "veth%d", i);
                snprintf(mac, sizeof mac, "02:00:00:00:00:%02x", i);
                snprintf(addr, sizeof addr, "10.1.%d.1/24", i);
                check_item(&m->items[1 + i], "", name, mac, "guest-agent");
                check_addresses(&m->items[1 + i], addr, NULL);
        }
        merged_interfaces_free(m);

        /* exactly 10 guest-only: nothing dropped */
        for (int i = 10; i < 12; i++) {
                GuestInterface *it = &g->interfaces[i + 1];
                guest_interface_done(it);
        }
        g->n_interfaces = g->n_interfaces_reported = 11;
        m = merge(d, g);
        assert_int_equal(m->n_items, 11);
        assert_int_equal(m->n_guest_only_dropped, 0);
        merged_interfaces_free(m);

        /* merged interfaces do not count against the cap */
        add_nic(d, "net1", "02:00:00:00:00:00", 0, NULL);
        add_iface(g, "veth10", "02:00:00:00:00:0a", 0, NULL);
        m = merge(d, g);
        assert_int_equal(m->n_items, 12);
        assert_int_equal(m->n_guest_only_dropped, 0);
        check_item(&m->items[1], "net1", "veth0", "02:00:00:00:00:00", "domain, guest-agent");
        check_item(&m->items[11], "", "veth10", "02:00:00:00:00:0a", "guest-agent");
        merged_interfaces_free(m);

        guest_info_free(g);
        domain_devices_free(d);
}

static void test_merge_shared_mac(void **state) {
        DomainDevices *d = devices_new();
        GuestInfo *g = guest_new();
        MergedInterfaces *m;

        add_nic(d, "net0", "52:54:00:00:00:0a", 0, NULL);
        add_nic(d, "net1", "52:54:00:00:00:0a", 0, NULL);
        add_iface(g, "eth0", "52:54:00:00:00:0a", 1, "10.0.0.10/24", NULL);
        /* a second agent interface with the MAC (a VLAN on eth0, say) */
        add_iface(g, "eth0.100", "52:54:00:00:00:0a", 1, "10.100.0.10/24", NULL);
        m = merge(d, g);

        /* both NICs take the first agent interface; it is not listed again */
        assert_int_equal(m->n_items, 3);
        check_item(&m->items[0], "net0", "eth0", "52:54:00:00:00:0a", "domain, guest-agent");
        check_addresses(&m->items[0], "10.0.0.10/24", NULL);
        check_item(&m->items[1], "net1", "eth0", "52:54:00:00:00:0a", "domain, guest-agent");
        check_addresses(&m->items[1], "10.0.0.10/24", NULL);
        check_item(&m->items[2], "", "eth0.100", "52:54:00:00:00:0a", "guest-agent");
        check_addresses(&m->items[2], "10.100.0.10/24", NULL);
        assert_int_equal(m->n_guest_only_dropped, 0);

        merged_interfaces_free(m);
        guest_info_free(g);
        domain_devices_free(d);
}

/* Many NICs sharing one MAC show the guest's interface with each, but the
 * guest's part stays within its share of the VM's byte budget. */
static void test_merge_shared_mac_budget(void **state) {
        DomainDevices *d = devices_new();
        GuestInfo *g = guest_new();
        MergedInterfaces *m;
        char addr[GUEST_ADDRESS_MAX + 4];

        for (int i = 0; i < DOMAIN_NICS_MAX; i++) {
                char alias[16];
                snprintf(alias, sizeof alias, "net%d", i);
                add_nic(d, alias, "52:54:00:00:00:0a", 0, NULL);
        }
        add_iface(g, "eth0", "52:54:00:00:00:0a", 0, NULL);
        GuestInterface *it = &g->interfaces[0];
        it->addresses = calloc(GUEST_ADDRESSES_MAX, sizeof *it->addresses);
        assert_non_null(it->addresses);
        memset(addr, '1', GUEST_ADDRESS_MAX);
        strcpy(addr + GUEST_ADDRESS_MAX, "/24");
        for (; it->n_addresses < GUEST_ADDRESSES_MAX; it->n_addresses++, it->n_ipv4++)
                it->addresses[it->n_addresses] = gstrdup(addr);
        m = merge(d, g);

        size_t cost = guest_interface_cost(it), with_guest = 0;
        assert_int_equal(m->n_items, DOMAIN_NICS_MAX);
        for (size_t i = 0; i < m->n_items; i++)
                if (m->items[i].interface_name) {
                        /* the first ones, in order */
                        assert_int_equal(i, with_guest);
                        with_guest++;
                } else
                        check_item(&m->items[i], m->items[i].name, NULL, "52:54:00:00:00:0a", "domain");
        assert_int_equal(with_guest, GUEST_INTERFACES_BUDGET / cost);
        assert_true(with_guest > 0 && with_guest < DOMAIN_NICS_MAX);

        merged_interfaces_free(m);
        guest_info_free(g);
        domain_devices_free(d);
}

static void test_merge_ipv6_only(void **state) {
        DomainDevices *d = devices_new();
        GuestInfo *g = guest_new();
        MergedInterfaces *m;

        add_nic(d, "net0", "52:54:00:00:00:06", 0, NULL);
        add_iface(g, "eth0", "52:54:00:00:00:06", 0, "fd00::6/64", "fe80::6/64", NULL);
        m = merge(d, g);

        assert_int_equal(m->n_items, 1);
        check_item(&m->items[0], "net0", "eth0", "52:54:00:00:00:06", "domain, guest-agent");
        check_addresses(&m->items[0], "fd00::6/64", "fe80::6/64", NULL);

        json_t *j = parse(kubevirt_interfaces_json(m));
        assert_int_equal(json_array_size(j), 1);
        assert_string_equal(get_string(json_array_get(j, 0), "ipAddress"), "fd00::6/64");
        get_array(json_array_get(j, 0), "ipAddresses", 2);
        json_decref(j);

        merged_interfaces_free(m);
        guest_info_free(g);
        domain_devices_free(d);
}

static void test_merge_families_kept(void **state) {
        DomainDevices *d = devices_new();
        GuestInfo *g = guest_new();
        MergedInterfaces *m;

        /* the domain knows an IPv4 address, the agent only IPv6: both kept */
        add_nic(d, "net0", "52:54:00:00:00:07", 1, "192.168.7.7/24", NULL);
        add_iface(g, "eth0", "52:54:00:00:00:07", 0, "fd00::7/64", NULL);
        /* the domain knows both, the agent only IPv4: the agent's IPv4, the domain's IPv6 */
        add_nic(d, "net1", "52:54:00:00:00:08", 1, "192.168.8.8/24", "fd00::8/64", NULL);
        add_iface(g, "eth1", "52:54:00:00:00:08", 1, "10.8.8.8/24", NULL);
        /* the agent reports nothing at all: the domain's addresses stay */
        add_nic(d, "net2", "52:54:00:00:00:09", 1, "192.168.9.9/24", "fd00::9/64", NULL);
        add_iface(g, "eth2", "52:54:00:00:00:09", 0, NULL);
        /* the agent has both families: the domain's are replaced */
        add_nic(d, "net3", "52:54:00:00:00:0a", 1, "192.168.10.10/24", "fd00::a/64", NULL);
        add_iface(g, "eth3", "52:54:00:00:00:0a", 1, "10.10.10.10/24", "fd00::aa/64", NULL);
        m = merge(d, g);

        assert_int_equal(m->n_items, 4);
        check_item(&m->items[0], "net0", "eth0", "52:54:00:00:00:07", "domain, guest-agent");
        check_addresses(&m->items[0], "192.168.7.7/24", "fd00::7/64", NULL);
        check_item(&m->items[1], "net1", "eth1", "52:54:00:00:00:08", "domain, guest-agent");
        check_addresses(&m->items[1], "10.8.8.8/24", "fd00::8/64", NULL);
        check_item(&m->items[2], "net2", "eth2", "52:54:00:00:00:09", "domain, guest-agent");
        check_addresses(&m->items[2], "192.168.9.9/24", "fd00::9/64", NULL);
        check_item(&m->items[3], "net3", "eth3", "52:54:00:00:00:0a", "domain, guest-agent");
        check_addresses(&m->items[3], "10.10.10.10/24", "fd00::aa/64", NULL);

        merged_interfaces_free(m);
        guest_info_free(g);
        domain_devices_free(d);
}

static void test_merge_no_agent(void **state) {
        DomainDevices *d = devices_new();
        GuestInfo *g;
        MergedInterfaces *m;

        add_nic(d, "net0", "52:54:00:00:00:01", 0, NULL);
        add_nic(d, NULL, "52:54:00:00:00:02", 1, "192.168.2.2/24", NULL); /* not running: no alias */
        m = merge(d, NULL);

        assert_int_equal(m->n_items, 2);
        assert_int_equal(m->n_guest_only_dropped, 0);
        check_item(&m->items[0], "net0", NULL, "52:54:00:00:00:01", "domain");
        check_addresses(&m->items[0], NULL);
        check_item(&m->items[1], "", NULL, "52:54:00:00:00:02", "domain");
        check_addresses(&m->items[1], "192.168.2.2/24", NULL);

        json_t *j = parse(kubevirt_interfaces_json(m));
        assert_int_equal(json_array_size(j), 2);
        /* no guest name and no address: those keys are left out */
        check_keys(json_array_get(j, 0), "name", "mac", "infoSource", NULL);
        assert_string_equal(get_string(json_array_get(j, 0), "infoSource"), "domain");
        check_keys(json_array_get(j, 1), "mac", "ipAddress", "ipAddresses", "infoSource", NULL);
        assert_string_equal(get_string(json_array_get(j, 1), "ipAddress"), "192.168.2.2/24");
        json_decref(j);
        merged_interfaces_free(m);

        /* an agent with no interface data merges nothing */
        g = guest_new();
        m = merge(d, g);
        assert_int_equal(m->n_items, 2);
        check_item(&m->items[0], "net0", NULL, "52:54:00:00:00:01", "domain");
        check_item(&m->items[1], "", NULL, "52:54:00:00:00:02", "domain");
        merged_interfaces_free(m);
        guest_info_free(g);

        /* no devices either: nothing */
        m = merge(NULL, NULL);
        assert_int_equal(m->n_items, 0);
        assert_int_equal(m->n_guest_only_dropped, 0);
        assert_true(m->packed);
        assert_null(m->items);
        merged_interfaces_free(m);

        /* only lo: room was made for it, none is kept */
        g = guest_new();
        add_iface(g, "lo", "00:00:00:00:00:00", 1, "127.0.0.1/8", NULL);
        m = merge(NULL, g);
        assert_int_equal(m->n_items, 0);
        assert_null(m->items);
        merged_interfaces_free(m);
        guest_info_free(g);

        /* no devices, an agent: its interfaces, lo left out */
        g = harness_guest();
        m = merge(NULL, g);
        assert_int_equal(m->n_items, 2);
        check_item(&m->items[0], "", "eth0", "52:54:00:12:34:56", "guest-agent");
        check_item(&m->items[1], "", "dummy0", "02:00:00:00:99:05", "guest-agent");
        merged_interfaces_free(m);
        guest_info_free(g);

        assert_int_equal(interfaces_merge(d, NULL, NULL), -EINVAL);
        domain_devices_free(d);
}

static void test_merged_equal(void **state) {
        DomainDevices *d = harness_devices();
        GuestInfo *g = harness_guest();
        MergedInterfaces *a = merge(d, g), *b = merge(d, g), *c;
        char *saved;

        assert_true(merged_interfaces_equal(NULL, NULL));
        assert_false(merged_interfaces_equal(a, NULL));
        assert_false(merged_interfaces_equal(NULL, a));
        assert_true(merged_interfaces_equal(a, a));
        assert_true(merged_interfaces_equal(a, b));

        /* each field counts */
        saved = b->items[0].ip_addresses[2];
        b->items[0].ip_addresses[2] = (char *) "fe80::1/64";
        assert_false(merged_interfaces_equal(a, b));
        b->items[0].ip_addresses[2] = saved;
        assert_true(merged_interfaces_equal(a, b));

        b->items[0].n_ip_addresses--;
        assert_false(merged_interfaces_equal(a, b));
        b->items[0].n_ip_addresses++;

        b->items[1].info_source = "domain";
        assert_false(merged_interfaces_equal(a, b));
        b->items[1].info_source = a->items[1].info_source;

        saved = b->items[1].interface_name;
        b->items[1].interface_name = NULL;
        assert_false(merged_interfaces_equal(a, b));
        assert_false(merged_interfaces_equal(b, a));
        b->items[1].interface_name = saved;

        saved = b->items[0].name;
        b->items[0].name = (char *) "net1";
        assert_false(merged_interfaces_equal(a, b));
        b->items[0].name = saved;

        saved = b->items[0].mac;
        b->items[0].mac = (char *) "52:54:00:12:34:57";
        assert_false(merged_interfaces_equal(a, b));
        b->items[0].mac = saved;

        b->n_guest_only_dropped = 1;
        assert_false(merged_interfaces_equal(a, b));
        b->n_guest_only_dropped = 0;
        assert_true(merged_interfaces_equal(a, b));

        /* fewer items */
        c = merge(d, NULL);
        assert_false(merged_interfaces_equal(a, c));
        merged_interfaces_free(c);

        merged_interfaces_free(a);
        merged_interfaces_free(b);
        guest_info_free(g);
        domain_devices_free(d);
}

/* ---- JSON documents ---- */

static AgentInfo *harness_agent(void) {
        AgentInfo *a = agent_new("7.2.0");
        add_command(a, "guest-info", true);
        add_command(a, "guest-exec", false);
        return a;
}

static GuestInfo *full_guest(void) {
        GuestInfo *g = guest_new();

        g->os = (GuestOS){ .id = gstrdup("guestos"),
                           .name = gstrdup("GuestOS Linux"),
                           .pretty_name = gstrdup("GuestOS Linux 42.1 (Test Edition)"),
                           .version = gstrdup("42.1 (Test Edition)"),
                           .version_id = gstrdup("42.1"),
                           .kernel_release = gstrdup("6.1.0-56-amd64"),
                           .kernel_version = gstrdup("#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)"),
                           .machine = gstrdup("x86_64"),
                           .variant = gstrdup("Test Edition"),
                           .variant_id = gstrdup("test") };
        g->hostname = gstrdup("guestinfo-test");
        g->timezone_name = gstrdup("JST");
        g->timezone_offset = 32400;
        g->has_timezone_offset = true;
        add_user(g, "fedora", NULL, 1580467675.876078);
        add_user(g, "Administrator", "WORKGROUP", 1700000100.5);
        add_fs(g, "vda1", "/", "ext4", 1029201920, 3927900160, "GI-DATA-0001", "virtio");
        return g;
}

static void test_guestosinfo(void **state) {
        AgentInfo *a = harness_agent();
        GuestInfo *g = full_guest();
        json_t *j, *v, *item;

        g->kinds |= GUEST_KIND_FSFREEZE;
        g->fsfreeze = GUEST_FREEZE_FROZEN;
        j = parse(kubevirt_guestosinfo_json(a, g));
        /* the seed's keys (fsInfo, guestAgentVersion, hostname, metadata, os,
         * timezone) and the newer supportedCommands, userList and
         * fsFreezeStatus (omitted until the agent said) */
        check_keys(j, "fsInfo", "guestAgentVersion", "hostname", "metadata", "os", "timezone", "supportedCommands",
                   "userList", "fsFreezeStatus", NULL);
        assert_string_equal(get_string(j, "fsFreezeStatus"), "frozen");
        assert_string_equal(get_string(j, "guestAgentVersion"), "7.2.0");
        assert_string_equal(get_string(j, "hostname"), "guestinfo-test");
        assert_string_equal(get_string(j, "timezone"), "JST, 32400");

        v = json_object_get(j, "metadata");
        check_keys(v, "creationTimestamp", NULL);
        assert_true(json_is_null(json_object_get(v, "creationTimestamp")));

        v = json_object_get(j, "os");
        check_keys(v, "id", "kernelRelease", "kernelVersion", "machine", "name", "prettyName", "version", "versionId",
                   NULL);
        assert_string_equal(get_string(v, "id"), "guestos");
        assert_string_equal(get_string(v, "kernelRelease"), "6.1.0-56-amd64");
        assert_string_equal(get_string(v, "kernelVersion"), "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)");
        assert_string_equal(get_string(v, "machine"), "x86_64");
        assert_string_equal(get_string(v, "name"), "GuestOS Linux");
        assert_string_equal(get_string(v, "prettyName"), "GuestOS Linux 42.1 (Test Edition)");
        assert_string_equal(get_string(v, "version"), "42.1 (Test Edition)");
        assert_string_equal(get_string(v, "versionId"), "42.1");

        v = get_array(j, "supportedCommands", 2);
        item = json_array_get(v, 0);
        check_keys(item, "name", "enabled", NULL);
        assert_string_equal(get_string(item, "name"), "guest-info");
        assert_true(json_is_true(json_object_get(item, "enabled")));
        item = json_array_get(v, 1);
        check_keys(item, "name", "enabled", NULL);
        assert_string_equal(get_string(item, "name"), "guest-exec");
        assert_true(json_is_false(json_object_get(item, "enabled")));

        v = get_array(j, "userList", 2);
        item = json_array_get(v, 0);
        /* as the seed's userlist sample: no domain on Linux */
        check_keys(item, "userName", "loginTime", NULL);
        assert_string_equal(get_string(item, "userName"), "fedora");
        check_real(item, "loginTime", 1580467675.876078);
        item = json_array_get(v, 1);
        check_keys(item, "userName", "domain", "loginTime", NULL);
        assert_string_equal(get_string(item, "domain"), "WORKGROUP");
        check_real(item, "loginTime", 1700000100.5);

        v = json_object_get(j, "fsInfo");
        check_keys(v, "disks", NULL);
        v = get_array(v, "disks", 1);
        item = json_array_get(v, 0);
        check_keys(item, "diskName", "fileSystemType", "mountPoint", "totalBytes", "usedBytes", "disk", NULL);
        assert_string_equal(get_string(item, "diskName"), "vda1");
        assert_string_equal(get_string(item, "fileSystemType"), "ext4");
        assert_string_equal(get_string(item, "mountPoint"), "/");
        assert_int_equal(get_integer(item, "totalBytes"), 3927900160);
        assert_int_equal(get_integer(item, "usedBytes"), 1029201920);
        v = get_array(item, "disk", 1);
        check_keys(json_array_get(v, 0), "serial", "busType", NULL);
        assert_string_equal(get_string(json_array_get(v, 0), "serial"), "GI-DATA-0001");
        assert_string_equal(get_string(json_array_get(v, 0), "busType"), "virtio");
        json_decref(j);

        /* a negative offset */
        g->timezone_offset = -18000;
        intern_unref(g->timezone_name);
        g->timezone_name = gstrdup("EST");
        j = parse(kubevirt_guestosinfo_json(a, g));
        assert_string_equal(get_string(j, "timezone"), "EST, -18000");
        json_decref(j);

        agent_info_free(a);
        guest_info_free(g);
}

static void test_lists(void **state) {
        GuestInfo *g = full_guest();
        json_t *j, *item;

        /* the seed's userlist sample, key for key */
        j = parse(kubevirt_userlist_json(g));
        check_keys(j, "items", "metadata", NULL);
        assert_int_equal(json_object_size(json_object_get(j, "metadata")), 0);
        assert_true(json_is_object(json_object_get(j, "metadata")));
        item = json_array_get(get_array(j, "items", 2), 0);
        check_keys(item, "loginTime", "userName", NULL);
        assert_string_equal(get_string(item, "userName"), "fedora");
        check_real(item, "loginTime", 1580467675.876078);
        json_decref(j);

        /* the seed's filesystemlist sample, plus the newer disk list */
        j = parse(kubevirt_filesystemlist_json(g));
        check_keys(j, "items", "metadata", NULL);
        assert_int_equal(json_object_size(json_object_get(j, "metadata")), 0);
        assert_true(json_is_object(json_object_get(j, "metadata")));
        item = json_array_get(get_array(j, "items", 1), 0);
        check_keys(item, "diskName", "fileSystemType", "mountPoint", "totalBytes", "usedBytes", "disk", NULL);
        assert_int_equal(get_integer(item, "totalBytes"), 3927900160);
        assert_int_equal(get_integer(item, "usedBytes"), 1029201920);
        json_decref(j);

        /* no disk list: exactly the seed's keys; unknown sizes stay, as 0 */
        add_fs(g, "vda2", "/boot", "xfs", 0, 0, NULL, NULL);
        j = parse(kubevirt_filesystemlist_json(g));
        item = json_array_get(get_array(j, "items", 2), 1);
        check_keys(item, "diskName", "fileSystemType", "mountPoint", "totalBytes", "usedBytes", NULL);
        assert_int_equal(get_integer(item, "totalBytes"), 0);
        assert_int_equal(get_integer(item, "usedBytes"), 0);
        json_decref(j);

        guest_info_free(g);
}

static void test_caps(void **state) {
        GuestInfo *g = guest_new();
        json_t *j, *v;
        char name[32];

        for (int i = 0; i < 15; i++) {
                snprintf(name, sizeof name, "user%d", i);
                add_user(g, name, NULL, 1700000000.0 + i);
        }
        for (int i = 0; i < 12; i++) {
                snprintf(name, sizeof name, "/mnt/%d", i);
                add_fs(g, "vdb", name, "ext4", (uint64_t) i, 1000, NULL, NULL);
        }

        /* summaries: the first 10 */
        j = parse(kubevirt_guestosinfo_json(NULL, g));
        v = get_array(j, "userList", 10);
        assert_string_equal(get_string(json_array_get(v, 0), "userName"), "user0");
        /* a whole number of seconds is still a real */
        check_real(json_array_get(v, 0), "loginTime", 1700000000.0);
        assert_string_equal(get_string(json_array_get(v, 9), "userName"), "user9");
        v = get_array(json_object_get(j, "fsInfo"), "disks", 10);
        assert_string_equal(get_string(json_array_get(v, 0), "mountPoint"), "/mnt/0");
        assert_string_equal(get_string(json_array_get(v, 9), "mountPoint"), "/mnt/9");
        json_decref(j);

        /* full lists: all */
        j = parse(kubevirt_userlist_json(g));
        v = get_array(j, "items", 15);
        assert_string_equal(get_string(json_array_get(v, 14), "userName"), "user14");
        json_decref(j);
        j = parse(kubevirt_filesystemlist_json(g));
        v = get_array(j, "items", 12);
        assert_string_equal(get_string(json_array_get(v, 11), "mountPoint"), "/mnt/11");
        assert_int_equal(get_integer(json_array_get(v, 11), "usedBytes"), 11);
        json_decref(j);

        guest_info_free(g);
}

static void test_null_inputs(void **state) {
        AgentInfo *a = harness_agent();
        GuestInfo *g = full_guest();
        json_t *j;
        char *s;

        j = parse(kubevirt_guestosinfo_json(NULL, NULL));
        check_keys(j, "metadata", NULL);
        check_keys(json_object_get(j, "metadata"), "creationTimestamp", NULL);
        json_decref(j);

        j = parse(kubevirt_guestosinfo_json(a, NULL));
        check_keys(j, "guestAgentVersion", "supportedCommands", "metadata", NULL);
        json_decref(j);

        j = parse(kubevirt_guestosinfo_json(NULL, g));
        check_keys(j, "fsInfo", "hostname", "metadata", "os", "timezone", "userList", NULL);
        json_decref(j);

        j = parse(kubevirt_userlist_json(NULL));
        check_keys(j, "items", "metadata", NULL);
        get_array(j, "items", 0);
        json_decref(j);

        j = parse(kubevirt_filesystemlist_json(NULL));
        check_keys(j, "items", "metadata", NULL);
        get_array(j, "items", 0);
        json_decref(j);

        s = kubevirt_interfaces_json(NULL);
        assert_non_null(s);
        assert_string_equal(s, "[]");
        free(s);

        /* compact output */
        s = kubevirt_userlist_json(NULL);
        assert_non_null(s);
        assert_string_equal(s, "{\"items\":[],\"metadata\":{}}");
        free(s);

        agent_info_free(a);
        guest_info_free(g);
}

static void test_null_strings_omitted(void **state) {
        AgentInfo *a = agent_new(NULL);
        GuestInfo *g = guest_new();
        json_t *j, *item;

        add_command(a, "guest-ping", true);
        g->os.name = gstrdup("Windows");
        add_user(g, NULL, "CORP", 1.5);
        add_fs(g, "C:", NULL, "NTFS", 0, 0, NULL, "sata");

        j = parse(kubevirt_guestosinfo_json(a, g));
        /* no version, hostname or timezone: those keys are absent, not null */
        check_keys(j, "supportedCommands", "os", "userList", "fsInfo", "metadata", NULL);
        check_keys(json_object_get(j, "os"), "name", NULL);
        item = json_array_get(get_array(j, "userList", 1), 0);
        check_keys(item, "domain", "loginTime", NULL);
        item = json_array_get(get_array(json_object_get(j, "fsInfo"), "disks", 1), 0);
        check_keys(item, "diskName", "fileSystemType", "totalBytes", "usedBytes", "disk", NULL);
        check_keys(json_array_get(get_array(item, "disk", 1), 0), "busType", NULL);
        json_decref(j);

        /* an offset without a name is still a timezone */
        g->has_timezone_offset = true;
        j = parse(kubevirt_guestosinfo_json(a, g));
        assert_string_equal(get_string(j, "timezone"), ", 0");
        json_decref(j);

        /* empty lists are left out of the summary (KubeVirt's omitempty), fsInfo stays */
        guest_info_free(g);
        g = guest_new();
        agent_info_free(a);
        a = agent_new("1.0");
        j = parse(kubevirt_guestosinfo_json(a, g));
        check_keys(j, "guestAgentVersion", "os", "fsInfo", "metadata", NULL);
        check_keys(json_object_get(j, "os"), NULL);
        get_array(json_object_get(j, "fsInfo"), "disks", 0);
        json_decref(j);

        agent_info_free(a);
        guest_info_free(g);
}

static void test_big_numbers(void **state) {
        GuestInfo *g = guest_new();
        json_t *j, *item;

        /* a guest can claim more than a signed 64-bit integer holds */
        add_fs(g, "vdz", "/z", "ext4", UINT64_MAX, (uint64_t) INT64_MAX + 1, NULL, NULL);
        add_fs(g, "vdy", "/y", "ext4", (uint64_t) INT64_MAX, 1ull << 40, NULL, NULL);
        j = parse(kubevirt_filesystemlist_json(g));
        item = json_array_get(get_array(j, "items", 2), 0);
        assert_int_equal(get_integer(item, "usedBytes"), INT64_MAX);
        assert_int_equal(get_integer(item, "totalBytes"), INT64_MAX);
        item = json_array_get(get_array(j, "items", 2), 1);
        assert_int_equal(get_integer(item, "usedBytes"), INT64_MAX);
        assert_int_equal(get_integer(item, "totalBytes"), 1ll << 40);
        json_decref(j);
        guest_info_free(g);
}

/* The parsers never let invalid UTF-8 through; if one ever did, the document
 * fails as a whole instead of crashing or losing a field silently. */
static void test_rejected_string(void **state) {
        AgentInfo *a = harness_agent();
        GuestInfo *g = full_guest();
        MergedInterfaces *m;

        intern_unref(g->hostname);
        g->hostname = gstrdup("bad\xff");
        assert_null(kubevirt_guestosinfo_json(a, g));
        intern_unref(g->hostname);
        g->hostname = NULL;
        /* the rest still builds */
        char *s = kubevirt_guestosinfo_json(a, g);
        assert_non_null(s);
        free(s);

        intern_unref(g->users[1].domain);
        g->users[1].domain = gstrdup("\xc3");
        assert_null(kubevirt_userlist_json(g));
        assert_null(kubevirt_guestosinfo_json(NULL, g));

        intern_unref(g->filesystems[0].disks[0].serial);
        g->filesystems[0].disks[0].serial = gstrdup("\x80");
        assert_null(kubevirt_filesystemlist_json(g));

        free(a->commands[1].name);
        a->commands[1].name = xstrdup("\xfe");
        assert_null(kubevirt_guestosinfo_json(a, NULL));

        DomainDevices *d = harness_devices();
        GuestInfo *hg = harness_guest();
        intern_unref(hg->interfaces[2].addresses[2]);
        hg->interfaces[2].addresses[2] = gstrdup("fe80::\xff");
        m = merge(d, hg);
        assert_null(kubevirt_interfaces_json(m));
        merged_interfaces_free(m);

        guest_info_free(hg);
        domain_devices_free(d);
        agent_info_free(a);
        guest_info_free(g);
}

/* Found by tools/fuzz (fuzz-domain-xml, fuzz-guest-info): a NIC or a guest
 * interface without any address has a NULL array, and offsetting it was
 * undefined behaviour (UBSan: "applying zero offset to null pointer"). */
static void test_fuzz_regression_no_addresses(void **state) {
        DomainNic nic = { .alias = (char *) "net0", .mac = (char *) "52:54:00:00:00:01" };
        DomainDevices devices = { .nics = &nic, .n_nics = 1 };
        GuestInterface ifaces[] = {
                { .name = (char *) "eth0", .mac = (char *) "52:54:00:00:00:01" },
                { .name = (char *) "eth1", .mac = (char *) "52:54:00:00:00:02" },
        };
        GuestInfo guest = { .kinds = GUEST_KIND_INTERFACES, .interfaces = ifaces, .n_interfaces = 2 };
        MergedInterfaces *m = NULL;

        assert_int_equal(interfaces_merge(&devices, NULL, &m), 0);
        assert_int_equal(m->n_items, 1);
        assert_int_equal(m->items[0].n_ip_addresses, 0);
        merged_interfaces_free(m);

        assert_int_equal(interfaces_merge(&devices, &guest, &m), 0);
        assert_int_equal(m->n_items, 2);
        assert_int_equal(m->items[0].n_ip_addresses, 0);
        assert_string_equal(m->items[0].info_source, "domain, guest-agent");
        assert_string_equal(m->items[1].info_source, "guest-agent");
        assert_int_equal(m->items[1].n_ip_addresses, 0);
        merged_interfaces_free(m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_merge_harness),
                cmocka_unit_test(test_merge_mac_case),
                cmocka_unit_test(test_merge_guest_only_cap),
                cmocka_unit_test(test_merge_shared_mac),
                cmocka_unit_test(test_merge_shared_mac_budget),
                cmocka_unit_test(test_merge_ipv6_only),
                cmocka_unit_test(test_merge_families_kept),
                cmocka_unit_test(test_merge_no_agent),
                cmocka_unit_test(test_merged_equal),
                cmocka_unit_test(test_guestosinfo),
                cmocka_unit_test(test_lists),
                cmocka_unit_test(test_caps),
                cmocka_unit_test(test_null_inputs),
                cmocka_unit_test(test_null_strings_omitted),
                cmocka_unit_test(test_big_numbers),
                cmocka_unit_test(test_rejected_string),
                cmocka_unit_test(test_fuzz_regression_no_addresses),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
