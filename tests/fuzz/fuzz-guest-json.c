/* The agent's own replies for users, filesystems and interfaces, as any
 * guest may send them. The first byte picks the kind. */
#include <stdint.h>

#include "fuzz-common.h"

static const unsigned kinds[] = { GUEST_KIND_USERS, GUEST_KIND_FILESYSTEMS, GUEST_KIND_INTERFACES };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        GuestInfo *g = NULL;

        if (size < 1)
                return 0;
        unsigned kind = kinds[data[0] % 3];
        if (guest_info_from_agent_json(kind, (const char *) data + 1, size - 1, &g) < 0)
                return 0;
        if (g->kinds != kind || g->n_users > GUEST_USERS_MAX || g->n_filesystems > GUEST_FILESYSTEMS_MAX ||
            g->n_interfaces > GUEST_INTERFACES_MAX || g->n_users > g->n_users_reported ||
            g->n_filesystems > g->n_filesystems_reported || g->n_interfaces > g->n_interfaces_reported)
                abort();
        for (size_t i = 0; i < g->n_users; i++) {
                if (!g->users[i].name)
                        abort();
                check_string(g->users[i].name);
                check_string(g->users[i].domain);
        }
        for (size_t i = 0; i < g->n_filesystems; i++) {
                GuestFilesystem *fs = &g->filesystems[i];
                if (!fs->mount_point || fs->n_disks > GUEST_FS_DISKS_MAX)
                        abort();
                check_string(fs->mount_point);
                check_string(fs->disk_name);
                check_string(fs->fs_type);
                for (size_t k = 0; k < fs->n_disks; k++) {
                        check_string(fs->disks[k].serial);
                        check_string(fs->disks[k].device);
                        check_string(fs->disks[k].bus_type);
                }
        }
        for (size_t i = 0; i < g->n_interfaces; i++) {
                GuestInterface *it = &g->interfaces[i];
                if (!it->name || it->n_addresses > GUEST_ADDRESSES_MAX || it->n_ipv4 > it->n_addresses)
                        abort();
                check_string(it->name);
                check_string(it->mac);
                for (size_t k = 0; k < it->n_addresses; k++)
                        check_string(it->addresses[k]);
        }
        if (!guest_users_equal(g->users, g->n_users, g->users, g->n_users) ||
            !guest_filesystems_equal(g->filesystems, g->n_filesystems, g->filesystems, g->n_filesystems))
                abort();
        guest_info_free(g);
        return 0;
}
