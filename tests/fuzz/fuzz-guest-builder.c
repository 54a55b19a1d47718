/* The builder of guest data, driven directly: whatever a parser could hand
 * it, in any order. Input: a program of operations, each an opcode byte
 * followed by its operands; a text operand is a length byte (0xff: 700
 * bytes, past every cap but the mount point's; 0xfd: 1100, past that too;
 * 0xfe: absent) followed by that many bytes (fewer if the input ends). A
 * number operand is 8 bytes, big-endian. Checked after
 * every run: the promises of guest-builder.h — every string valid UTF-8
 * within its field's cap, lists within their caps and shares, rules held. */
#include <stdint.h>
#include <stdio.h>

#include "fuzz-common.h"
#include "guest-builder.h"

typedef struct Input {
        const uint8_t *p, *end;
} Input;

static uint8_t byte(Input *in) {
        return in->p < in->end ? *in->p++ : 0;
}

static GuestText text(Input *in) {
        uint8_t l = byte(in);
        size_t len = l == 0xff ? 700 : l == 0xfd ? 1100 : l;
        if (l == 0xfe)
                return GUEST_TEXT_NONE;
        if (len > (size_t) (in->end - in->p))
                len = (size_t) (in->end - in->p);
        GuestText t = { (const char *) in->p, len };
        in->p += len;
        return t;
}

static uint64_t number(Input *in) {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
                v = v << 8 | byte(in);
        return v;
}

static void check_capped(const char *s, size_t cap) {
        check_string(s);
        if (s && strlen(s) > cap)
                abort();
}

static void check_mac(const char *s) {
        check_capped(s, GUEST_MAC_MAX);
        for (; s && *s; s++)
                if (*s >= 'A' && *s <= 'Z')
                        abort();
}

static void check(const GuestBuilder *b) {
        const GuestInfo *g = b->guest;
        const AgentInfo *a = b->agent;

        for (int l = 0; l < _GUEST_LIST_MAX; l++)
                if (b->spent[l] > (l == GUEST_LIST_USERS         ? GUEST_USERS_BUDGET
                                   : l == GUEST_LIST_FILESYSTEMS ? GUEST_FILESYSTEMS_BUDGET
                                   : l == GUEST_LIST_INTERFACES  ? GUEST_INTERFACES_BUDGET
                                                                 : AGENT_COMMANDS_BUDGET))
                        abort();
        check_capped(g->os.id, GUEST_OS_ID_MAX);
        check_capped(g->os.name, GUEST_OS_TEXT_MAX);
        check_capped(g->os.pretty_name, GUEST_OS_TEXT_MAX);
        check_capped(g->os.version, GUEST_OS_TEXT_MAX);
        check_capped(g->os.version_id, GUEST_OS_ID_MAX);
        check_capped(g->os.kernel_release, GUEST_KERNEL_MAX);
        check_capped(g->os.kernel_version, GUEST_KERNEL_MAX);
        check_capped(g->os.machine, GUEST_MACHINE_MAX);
        check_capped(g->os.variant, GUEST_OS_TEXT_MAX);
        check_capped(g->os.variant_id, GUEST_OS_ID_MAX);
        check_capped(g->hostname, GUEST_HOSTNAME_MAX);
        check_capped(g->timezone_name, GUEST_TIMEZONE_MAX);
        if (g->n_users > GUEST_USERS_MAX || g->n_filesystems > GUEST_FILESYSTEMS_MAX ||
            g->n_interfaces > GUEST_INTERFACES_MAX)
                abort();
        for (size_t i = 0; i < g->n_users; i++) {
                if (!g->users[i].name)
                        abort();
                check_capped(g->users[i].name, GUEST_USER_NAME_MAX);
                check_capped(g->users[i].domain, GUEST_USER_DOMAIN_MAX);
        }
        for (size_t i = 0; i < g->n_filesystems; i++) {
                const GuestFilesystem *f = &g->filesystems[i];
                if (!f->mount_point || f->n_disks > GUEST_FS_DISKS_MAX ||
                    (!f->has_bytes && (f->used_bytes || f->total_bytes)))
                        abort();
                check_capped(f->mount_point, GUEST_MOUNT_POINT_MAX);
                check_capped(f->disk_name, GUEST_DISK_NAME_MAX);
                check_capped(f->fs_type, GUEST_FS_TYPE_MAX);
                for (size_t k = 0; k < f->n_disks; k++) {
                        const GuestFsDisk *d = &f->disks[k];
                        if (!d->serial && !d->alias && !d->device)
                                abort();
                        check_capped(d->serial, GUEST_DISK_SERIAL_MAX);
                        check_capped(d->alias, GUEST_DISK_ALIAS_MAX);
                        check_capped(d->device, GUEST_DISK_DEVICE_MAX);
                        check_capped(d->bus_type, GUEST_DISK_BUS_MAX);
                }
        }
        for (size_t i = 0; i < g->n_interfaces; i++) {
                const GuestInterface *n = &g->interfaces[i];
                if (!n->name || n->n_addresses > GUEST_ADDRESSES_MAX || n->n_ipv4 > n->n_addresses)
                        abort();
                check_capped(n->name, GUEST_INTERFACE_NAME_MAX);
                check_mac(n->mac);
                for (size_t k = 0; k < n->n_addresses; k++) {
                        /* the address and "/128" at most */
                        check_capped(n->addresses[k], GUEST_ADDRESS_MAX + 4);
                }
        }
        if (a) {
                check_capped(a->version, AGENT_VERSION_MAX);
                if (a->n_commands > AGENT_COMMANDS_MAX)
                        abort();
                for (size_t i = 0; i < a->n_commands; i++) {
                        if (!a->commands[i].name)
                                abort();
                        check_capped(a->commands[i].name, AGENT_COMMAND_NAME_MAX);
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Input in = { data, data + size };
        GuestBuilder b = { 0 };
        GuestDiskIn disks[GUEST_FS_DISKS_MAX + 2];
        GuestAddressIn addrs[GUEST_ADDRESSES_MAX + 2];

        if (guest_builder_begin_guest(&b, GUEST_KIND_ALL) < 0 || guest_builder_begin_agent(&b) < 0) {
                guest_builder_done(&b);
                return 0;
        }
        while (in.p < in.end) {
                int r = 0;
                uint8_t op = byte(&in);

                switch (op % 10) {
                case 0:
                        r = guest_builder_set_os(&b, (GuestOsField) (byte(&in) % (_GUEST_OS_FIELD_MAX + 1)), text(&in));
                        break;
                case 1:
                        r = guest_builder_set_hostname(&b, text(&in));
                        break;
                case 2:
                        r = guest_builder_set_timezone_name(&b, text(&in));
                        guest_builder_set_timezone_offset(&b, (int64_t) number(&in));
                        break;
                case 3:
                        r = guest_builder_set_agent_version(&b, text(&in));
                        break;
                case 4:
                        guest_builder_set_reported(&b, (GuestList) (byte(&in) % (_GUEST_LIST_MAX + 1)), number(&in));
                        break;
                case 5: {
                        GuestUserIn u = { .name = text(&in), .domain = text(&in), .login_time = (double) number(&in) };
                        r = guest_builder_add_user(&b, &u);
                        break;
                }
                case 6: {
                        GuestFilesystemIn f = { .disk_name = text(&in),
                                                .mount_point = text(&in),
                                                .fs_type = text(&in) };
                        uint8_t flags = byte(&in);
                        f.has_used = flags & 1;
                        f.has_total = flags & 2;
                        f.used_bytes = number(&in);
                        f.total_bytes = number(&in);
                        f.n_disks = byte(&in) % (GUEST_FS_DISKS_MAX + 3);
                        for (size_t k = 0; k < f.n_disks; k++)
                                disks[k] = (GuestDiskIn){ text(&in), text(&in), text(&in), text(&in) };
                        f.disks = f.n_disks ? disks : NULL;
                        r = guest_builder_add_filesystem(&b, &f);
                        break;
                }
                case 7: {
                        GuestInterfaceIn n = { .name = text(&in), .mac = text(&in) };
                        n.n_addresses = byte(&in) % (GUEST_ADDRESSES_MAX + 3);
                        for (size_t k = 0; k < n.n_addresses; k++) {
                                uint8_t t = byte(&in);
                                addrs[k] = (GuestAddressIn){
                                        .type = t % 4 == 0   ? guest_text("ipv4")
                                                : t % 4 == 1 ? guest_text("ipv6")
                                                             : text(&in),
                                        .addr = text(&in),
                                        .has_prefix = t & 4,
                                        .prefix = byte(&in),
                                };
                        }
                        n.addresses = n.n_addresses ? addrs : NULL;
                        r = guest_builder_add_interface(&b, &n);
                        break;
                }
                case 8:
                        r = agent_builder_add_command(&b, text(&in), byte(&in) & 1);
                        break;
                default: {
                        /* many small entries at once, to reach the shares */
                        uint8_t what = byte(&in), count = byte(&in);
                        GuestText t = text(&in);
                        for (unsigned k = 0; r >= 0 && k < count * 4u; k++) {
                                GuestUserIn u = { .name = t };
                                GuestInterfaceIn n = { .name = t, .mac = t };
                                r = what % 3 == 0   ? guest_builder_add_user(&b, &u)
                                    : what % 3 == 1 ? guest_builder_add_interface(&b, &n)
                                                    : agent_builder_add_command(&b, t, true);
                        }
                        break;
                }
                }
                if (r < 0)
                        break;
        }
        check(&b);
        GuestInfo *g = guest_builder_take_guest(&b);
        AgentInfo *a = guest_builder_take_agent(&b);
        guest_builder_done(&b);
        if (!guest_users_equal(g->users, g->n_users, g->users, g->n_users) || !agent_commands_equal(a, a))
                abort();
        guest_info_free(g);
        agent_info_free(a);
        return 0;
}
