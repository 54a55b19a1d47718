#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest-builder.h"
#include "intern.h"
#include "helpers.h"
#include "ip-address.h"

/* The single strings, at their caps, fit what the budget leaves them. */
_Static_assert(AGENT_VERSION_MAX + 3 * GUEST_OS_ID_MAX + 4 * GUEST_OS_TEXT_MAX + 2 * GUEST_KERNEL_MAX +
                               GUEST_MACHINE_MAX + GUEST_HOSTNAME_MAX + GUEST_TIMEZONE_MAX + 14 * 8 <=
                       GUEST_SCALARS_MAX,
               "the single strings' caps exceed their part of the budget");

/* Each list's cap is its kind's (guest-kinds.h). */
static const GuestKind list_kind[_GUEST_LIST_MAX] = {
        [GUEST_LIST_USERS] = GUEST_KIND_USERS,
        [GUEST_LIST_FILESYSTEMS] = GUEST_KIND_FILESYSTEMS,
        [GUEST_LIST_INTERFACES] = GUEST_KIND_INTERFACES,
        [GUEST_LIST_COMMANDS] = GUEST_KIND_AGENT,
};

static size_t list_cap(GuestList l) {
        return guest_kind_info(list_kind[l])->list_max;
}

static const size_t list_share[_GUEST_LIST_MAX] = {
        [GUEST_LIST_USERS] = GUEST_USERS_BUDGET,
        [GUEST_LIST_FILESYSTEMS] = GUEST_FILESYSTEMS_BUDGET,
        [GUEST_LIST_INTERFACES] = GUEST_INTERFACES_BUDGET,
        [GUEST_LIST_COMMANDS] = AGENT_COMMANDS_BUDGET,
};

static const size_t os_cap[_GUEST_OS_FIELD_MAX] = {
        [GUEST_OS_ID] = GUEST_OS_ID_MAX,
        [GUEST_OS_NAME] = GUEST_OS_TEXT_MAX,
        [GUEST_OS_PRETTY_NAME] = GUEST_OS_TEXT_MAX,
        [GUEST_OS_VERSION] = GUEST_OS_TEXT_MAX,
        [GUEST_OS_VERSION_ID] = GUEST_OS_ID_MAX,
        [GUEST_OS_KERNEL_RELEASE] = GUEST_KERNEL_MAX,
        [GUEST_OS_KERNEL_VERSION] = GUEST_KERNEL_MAX,
        [GUEST_OS_MACHINE] = GUEST_MACHINE_MAX,
        [GUEST_OS_VARIANT] = GUEST_OS_TEXT_MAX,
        [GUEST_OS_VARIANT_ID] = GUEST_OS_ID_MAX,
};

GuestText guest_text(const char *s) {
        return (GuestText){ s, s ? strlen(s) : 0 };
}

/* ---- strings ---- */

/* Text for people: sanitized, cut to cap. *ret NULL if absent. */
static int text_cut(GuestText t, size_t cap, char **ret) {
        *ret = NULL;
        if (!t.s)
                return 0;
        *ret = intern_take(utf8_sanitize(t.s, t.len, cap));
        return *ret ? 0 : -ENOMEM;
}

/* A structural value: sanitized, or absent (*ret NULL) if the guest sent
 * more than cap bytes or it is longer than cap once made valid. */
static int sanitize_whole(GuestText t, size_t cap, char **ret) {
        *ret = NULL;
        if (!t.s || t.len > cap)
                return 0;
        /* at most 3 bytes for 1 (U+FFFD): never cut here */
        char *s = utf8_sanitize(t.s, t.len, 3 * cap);
        if (!s)
                return -ENOMEM;
        if (strlen(s) > cap) {
                free(s);
                return 0;
        }
        *ret = s;
        return 0;
}

/* The same, interned (intern.h). */
static int text_whole(GuestText t, size_t cap, char **ret) {
        int r = sanitize_whole(t, cap, ret);
        if (r < 0 || !*ret)
                return r;
        *ret = intern_take(*ret);
        return *ret ? 0 : -ENOMEM;
}

static int replace(char **dst, GuestText t, size_t cap) {
        char *s;
        int r;

        if (!t.s)
                return 0;
        r = text_cut(t, cap, &s);
        if (r < 0)
                return r;
        intern_unref(*dst);
        *dst = s;
        return 0;
}

static bool text_is(GuestText t, const char *literal) {
        return t.s && t.len == strlen(literal) && memcmp(t.s, literal, t.len) == 0;
}

/* ---- what an entry costs on the wire ----
 *
 * dbus-1 marshalling of the entries as the contract carries them
 * (guestinfo-names.h), rounded up: a string is its length (4), its bytes
 * and a NUL, padded to 4; a struct, a t and the first entry of an a{sv}
 * are aligned to 8, which costs at most 4 after anything padded to 4. An
 * entry that ends in its a{sv} ends aligned to 8, so the next one starts
 * without padding. */

static size_t str_cost(const char *s) {
        size_t n = 4 + (s ? strlen(s) : 0) + 1;
        return (n + 3) & ~(size_t) 3;
}

#define ENTRY_PAD 4  /* a struct after one that ends aligned to 4 only */
#define ALIGN8_PAD 4 /* a t after strings */
#define EXTRA_COST 8 /* the empty a{sv}: its length, padding to its first entry */
/* A disk's bus type comes later from the domain XML ("virtio"): room for it. */
#define BUS_TYPE_RESERVE 12
/* The NIC's alias, from the domain XML ("net0"), beside the guest's name. */
#define NIC_NAME_RESERVE 12
/* An address's (ssy): the family ("ipv4", "ipv6"), the address, the prefix. */
#define FAMILY_COST 12
/* An interface's sources, at most ["domain", "guest-agent"]. */
#define SOURCES_COST (4 + 12 + 16)

/* (ssta{sv}): name, domain, login time, more */
static size_t user_cost(const GuestUser *u) {
        return str_cost(u->name) + str_cost(u->domain) + ALIGN8_PAD + 8 + EXTRA_COST;
}

/* (ssstta(ssa{sv})a{sv}) without its disks: three strings, two sizes, the
 * disks' array (its length, padding to the first), more */
static size_t filesystem_cost(const GuestFilesystem *fs) {
        return str_cost(fs->disk_name) + str_cost(fs->mount_point) + str_cost(fs->fs_type) + ALIGN8_PAD + 16 + 8 +
               EXTRA_COST;
}

/* A string entry of an a{sv}, {key: <s value>}: aligned to 8, the key,
 * the signature "s" (3 bytes, padded to 4), the value; 0 when absent. */
static size_t extra_string_cost(const char *key, const char *value) {
        return value ? ALIGN8_PAD + str_cost(key) + 4 + str_cost(value) : 0;
}

/* (ssa{sv}): serial, bus type, more {Device, Target} (device, alias) */
static size_t disk_cost(const GuestFsDisk *d) {
        size_t bus = str_cost(d->bus_type);
        return str_cost(d->serial) + (bus > BUS_TYPE_RESERVE ? bus : BUS_TYPE_RESERVE) + EXTRA_COST +
               extra_string_cost("Target", d->alias) + extra_string_cost("Device", d->device);
}

/* (ssy) of an address as the model keeps it ("a/p"): the prefix travels as
 * its own byte, padded like a string's end. */
static size_t address_cost(const char *text, bool ipv4) {
        size_t len = ip_address_text_len(text, ipv4);
        return ENTRY_PAD + FAMILY_COST + ((4 + len + 1 + 3) & ~(size_t) 3) + 4;
}

/* (sssa(ssy)asa{sv}) of Network.Interfaces without its addresses: the NIC's
 * name, the guest's name, MAC, the addresses' array (its length, padding to
 * the first), the sources, more. */
static size_t interface_cost(const GuestInterface *iface) {
        return NIC_NAME_RESERVE + str_cost(iface->name) + str_cost(iface->mac) + 8 + SOURCES_COST + EXTRA_COST;
}

size_t guest_interface_cost(const GuestInterface *iface) {
        size_t cost = interface_cost(iface);

        for (size_t i = 0; i < iface->n_addresses; i++)
                cost += address_cost(iface->addresses[i], i < iface->n_ipv4);
        return cost;
}

/* (sb): name, enabled */
static size_t command_cost(const char *name) {
        return ENTRY_PAD + str_cost(name) + 4;
}

/* true (and spent) if cost fits what is left of the list's share; false
 * ends the list. */
static bool spend(GuestBuilder *b, GuestList l, size_t cost) {
        if (b->full[l] || cost > list_share[l] - b->spent[l]) {
                b->full[l] = true;
                return false;
        }
        b->spent[l] += cost;
        return true;
}

/* Room for one more entry of list l in *array (of *n); false when the list
 * is at its cap. Returns -ENOMEM, 0 (no room) or 1. */
static int grow(GuestBuilder *b, GuestList l, void **array, size_t n, size_t size) {
        size_t want;
        void *p;

        if (n >= list_cap(l))
                return 0;
        if (n < b->allocated[l])
                return 1;
        want = b->allocated[l] ? 2 * b->allocated[l] : 8;
        if (want > list_cap(l))
                want = list_cap(l);
        p = realloc(*array, want * size);
        if (!p)
                return -ENOMEM;
        *array = p;
        b->allocated[l] = want;
        return 1;
}

/* ---- begin, end ---- */

int guest_builder_begin_guest(GuestBuilder *b, unsigned kinds) {
        b->guest = guest_info_new();
        if (!b->guest)
                return -ENOMEM;
        b->guest->kinds = kinds;
        return 0;
}

int guest_builder_begin_agent(GuestBuilder *b) {
        b->agent = calloc(1, sizeof *b->agent);
        return b->agent ? 0 : -ENOMEM;
}

/* The array trimmed to its n entries: a list grows by doubling, and the
 * result is kept for as long as the guest says the same. */
static void *fit(void *array, size_t n, size_t size) {
        if (!array || n == 0)
                return array;
        void *p = realloc(array, n * size);
        return p ? p : array; /* a smaller block: failing keeps the larger one */
}

GuestInfo *guest_builder_take_guest(GuestBuilder *b) {
        GuestInfo *g = b->guest;
        b->guest = NULL;
        if (g) {
                g->users = fit(g->users, g->n_users, sizeof *g->users);
                /* one block per list, its entries' disks and addresses in it */
                guest_info_pack(g);
                if (!g->filesystems_packed)
                        g->filesystems = fit(g->filesystems, g->n_filesystems, sizeof *g->filesystems);
                if (!g->interfaces_packed)
                        g->interfaces = fit(g->interfaces, g->n_interfaces, sizeof *g->interfaces);
        }
        return g;
}

AgentInfo *guest_builder_take_agent(GuestBuilder *b) {
        AgentInfo *a = b->agent;
        b->agent = NULL;
        return a;
}

void guest_builder_done(GuestBuilder *b) {
        b->guest = guest_info_free(b->guest);
        b->agent = agent_info_free(b->agent);
}

/* ---- single values ---- */

int guest_builder_set_os(GuestBuilder *b, GuestOsField field, GuestText v) {
        GuestOS *os = &b->guest->os;
        char **fields[_GUEST_OS_FIELD_MAX] = {
                [GUEST_OS_ID] = &os->id,
                [GUEST_OS_NAME] = &os->name,
                [GUEST_OS_PRETTY_NAME] = &os->pretty_name,
                [GUEST_OS_VERSION] = &os->version,
                [GUEST_OS_VERSION_ID] = &os->version_id,
                [GUEST_OS_KERNEL_RELEASE] = &os->kernel_release,
                [GUEST_OS_KERNEL_VERSION] = &os->kernel_version,
                [GUEST_OS_MACHINE] = &os->machine,
                [GUEST_OS_VARIANT] = &os->variant,
                [GUEST_OS_VARIANT_ID] = &os->variant_id,
        };

        if ((unsigned) field >= _GUEST_OS_FIELD_MAX)
                return 0;
        return replace(fields[field], v, os_cap[field]);
}

int guest_builder_set_hostname(GuestBuilder *b, GuestText v) {
        return replace(&b->guest->hostname, v, GUEST_HOSTNAME_MAX);
}

int guest_builder_set_timezone_name(GuestBuilder *b, GuestText v) {
        return replace(&b->guest->timezone_name, v, GUEST_TIMEZONE_MAX);
}

void guest_builder_set_timezone_offset(GuestBuilder *b, int64_t seconds) {
        if (seconds < INT32_MIN || seconds > INT32_MAX)
                return;
        b->guest->timezone_offset = (int32_t) seconds;
        b->guest->has_timezone_offset = true;
}

int guest_builder_set_agent_version(GuestBuilder *b, GuestText v) {
        if (!b->agent)
                return 0;
        /* AgentInfo's own, not interned: it is shared whole (agent-share.c) */
        if (!v.s)
                return 0;
        char *s = utf8_sanitize(v.s, v.len, AGENT_VERSION_MAX);
        if (!s)
                return -ENOMEM;
        free(b->agent->version);
        b->agent->version = s;
        return 0;
}

void guest_builder_set_reported(GuestBuilder *b, GuestList list, uint64_t n) {
        size_t v = n > SIZE_MAX ? SIZE_MAX : (size_t) n;

        if (!b->guest && list != GUEST_LIST_COMMANDS)
                return;
        switch (list) {
        case GUEST_LIST_USERS:
                b->guest->n_users_reported = v;
                break;
        case GUEST_LIST_FILESYSTEMS:
                b->guest->n_filesystems_reported = v;
                break;
        case GUEST_LIST_INTERFACES:
                b->guest->n_interfaces_reported = v;
                break;
        case GUEST_LIST_COMMANDS:
                if (b->agent)
                        b->agent->n_reported = v;
                break;
        default:
                break;
        }
}

/* ---- lists ---- */

int guest_builder_add_user(GuestBuilder *b, const GuestUserIn *in) {
        GuestInfo *g = b->guest;
        GuestUser u = { .login_time = in->login_time };
        int r;

        /* A user is nothing without a name. */
        if (!in->name.s || b->full[GUEST_LIST_USERS])
                return 0;
        r = grow(b, GUEST_LIST_USERS, (void **) &g->users, g->n_users, sizeof *g->users);
        if (r <= 0)
                return r;
        r = text_cut(in->name, GUEST_USER_NAME_MAX, &u.name);
        if (r >= 0)
                r = text_cut(in->domain, GUEST_USER_DOMAIN_MAX, &u.domain);
        if (r >= 0 && spend(b, GUEST_LIST_USERS, user_cost(&u))) {
                g->users[g->n_users++] = u;
                return 0;
        }
        guest_user_done(&u);
        return r;
}

/* The disks of in, those with a name, into fs while they fit. */
static int add_disks(GuestBuilder *b, GuestFilesystem *fs, const GuestFilesystemIn *in) {
        size_t n = in->disks && in->n_disks < GUEST_FS_DISKS_MAX ? in->n_disks : in->disks ? GUEST_FS_DISKS_MAX : 0;

        if (n == 0)
                return 0;
        fs->disks = calloc(n, sizeof *fs->disks);
        if (!fs->disks)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const GuestDiskIn *di = &in->disks[i];
                GuestFsDisk d = { 0 };
                int r;

                /* A disk is known by any of its names. */
                if (!di->alias.s && !di->serial.s && !di->device.s)
                        continue;
                r = text_cut(di->serial, GUEST_DISK_SERIAL_MAX, &d.serial);
                if (r >= 0)
                        r = text_cut(di->alias, GUEST_DISK_ALIAS_MAX, &d.alias);
                if (r >= 0)
                        r = text_cut(di->device, GUEST_DISK_DEVICE_MAX, &d.device);
                if (r >= 0)
                        r = text_cut(di->bus_type, GUEST_DISK_BUS_MAX, &d.bus_type);
                if (r >= 0 && spend(b, GUEST_LIST_FILESYSTEMS, disk_cost(&d))) {
                        fs->disks[fs->n_disks++] = d;
                        continue;
                }
                guest_fs_disk_done(&d);
                if (r < 0)
                        return r;
                break; /* the share is spent */
        }
        return 0;
}

int guest_builder_add_filesystem(GuestBuilder *b, const GuestFilesystemIn *in) {
        GuestInfo *g = b->guest;
        GuestFilesystem fs = { 0 };
        int r;

        /* A filesystem is known by its mount point. */
        if (!in->mount_point.s || b->full[GUEST_LIST_FILESYSTEMS])
                return 0;
        r = grow(b, GUEST_LIST_FILESYSTEMS, (void **) &g->filesystems, g->n_filesystems, sizeof *g->filesystems);
        if (r <= 0)
                return r;
        r = text_cut(in->mount_point, GUEST_MOUNT_POINT_MAX, &fs.mount_point);
        if (r >= 0)
                r = text_cut(in->disk_name, GUEST_DISK_NAME_MAX, &fs.disk_name);
        if (r >= 0)
                r = text_cut(in->fs_type, GUEST_FS_TYPE_MAX, &fs.fs_type);
        /* Sizes come in pairs; half a pair is no size. */
        fs.has_bytes = in->has_used && in->has_total;
        if (fs.has_bytes) {
                fs.used_bytes = in->used_bytes;
                fs.total_bytes = in->total_bytes;
        }
        if (r >= 0 && spend(b, GUEST_LIST_FILESYSTEMS, filesystem_cost(&fs))) {
                r = add_disks(b, &fs, in);
                /* kept even then, so that a failure frees it with the rest */
                g->filesystems[g->n_filesystems++] = fs;
                return r;
        }
        guest_filesystem_done(&fs);
        return r;
}

static int address_family(const GuestAddressIn *a) {
        return text_is(a->type, "ipv4") ? 4 : text_is(a->type, "ipv6") ? 6 : 0;
}

/* "addr/prefix", or the bare address if the prefix is missing or past the
 * family's width; NULL in *ret if the address is absent or over its cap. */
static int address_string(const GuestAddressIn *a, int family, char **ret) {
        char *bare, *s;
        int r = text_whole(a->addr, GUEST_ADDRESS_MAX, &bare);

        *ret = NULL;
        if (r < 0 || !bare)
                return r;
        if (!a->has_prefix || a->prefix > (family == 4 ? 32u : 128u)) {
                *ret = bare;
                return 0;
        }
        r = asprintf(&s, "%s/%" PRIu64, bare, a->prefix);
        intern_unref(bare);
        if (r < 0)
                return -ENOMEM;
        *ret = intern_take(s);
        return *ret ? 0 : -ENOMEM;
}

/* IPv4 first, then IPv6, each in the guest's order, while they fit. */
static int add_addresses(GuestBuilder *b, GuestInterface *iface, const GuestInterfaceIn *in) {
        size_t n = !in->addresses ? 0 : in->n_addresses < GUEST_ADDRESSES_MAX ? in->n_addresses : GUEST_ADDRESSES_MAX;
        size_t count = 0;

        for (size_t i = 0; i < n; i++)
                if (address_family(&in->addresses[i]) != 0 && in->addresses[i].addr.s)
                        count++;
        if (count == 0)
                return 0;
        iface->addresses = calloc(count, sizeof *iface->addresses);
        if (!iface->addresses)
                return -ENOMEM;
        for (int family = 4; family <= 6; family += 2)
                for (size_t i = 0; i < n; i++) {
                        char *s;
                        int r;

                        if (address_family(&in->addresses[i]) != family)
                                continue;
                        r = address_string(&in->addresses[i], family, &s);
                        if (r < 0)
                                return r;
                        if (!s)
                                continue;
                        if (!spend(b, GUEST_LIST_INTERFACES, address_cost(s, family == 4))) {
                                intern_unref(s);
                                return 0;
                        }
                        iface->addresses[iface->n_addresses++] = s;
                        if (family == 4)
                                iface->n_ipv4++;
                }
        return 0;
}

int guest_builder_add_interface(GuestBuilder *b, const GuestInterfaceIn *in) {
        GuestInfo *g = b->guest;
        GuestInterface iface = { 0 };
        int r;

        /* An interface is nothing without a name. */
        if (!in->name.s || b->full[GUEST_LIST_INTERFACES])
                return 0;
        r = grow(b, GUEST_LIST_INTERFACES, (void **) &g->interfaces, g->n_interfaces, sizeof *g->interfaces);
        if (r <= 0)
                return r;
        r = text_cut(in->name, GUEST_INTERFACE_NAME_MAX, &iface.name);
        if (r >= 0)
                r = sanitize_whole(in->mac, GUEST_MAC_MAX, &iface.mac);
        ascii_lower(iface.mac); /* before it is shared */
        if (iface.mac) {
                iface.mac = intern_take(iface.mac);
                if (!iface.mac && r >= 0)
                        r = -ENOMEM;
        }
        if (r >= 0 && spend(b, GUEST_LIST_INTERFACES, interface_cost(&iface))) {
                r = add_addresses(b, &iface, in);
                g->interfaces[g->n_interfaces++] = iface;
                return r;
        }
        guest_interface_done(&iface);
        return r;
}

int agent_builder_add_command(GuestBuilder *b, GuestText name, bool enabled) {
        AgentInfo *a = b->agent;
        char *s;
        int r;

        if (!name.s || b->full[GUEST_LIST_COMMANDS])
                return 0;
        r = grow(b, GUEST_LIST_COMMANDS, (void **) &a->commands, a->n_commands, sizeof *a->commands);
        if (r <= 0)
                return r;
        r = sanitize_whole(name, AGENT_COMMAND_NAME_MAX, &s); /* AgentInfo is shared whole (agent-share.c) */
        if (r < 0 || !s)
                return r;
        if (!spend(b, GUEST_LIST_COMMANDS, command_cost(s))) {
                free(s);
                return 0;
        }
        a->commands[a->n_commands++] = (AgentCommand){ .name = s, .enabled = enabled };
        return 0;
}
