/* The guest data's own types (guest-data.h): allocating, freeing, moving
 * and comparing them. Every parser and the builder use these; none of this
 * reads untrusted input. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest-data.h"
#include "guest-counters.h"
#include "guest-disks.h"
#include "helpers.h"
#include "intern.h"

/* ---- allocation, moving, comparing ---- */

static const size_t os_fields[] = {
        offsetof(GuestOS, id),
        offsetof(GuestOS, name),
        offsetof(GuestOS, pretty_name),
        offsetof(GuestOS, version),
        offsetof(GuestOS, version_id),
        offsetof(GuestOS, kernel_release),
        offsetof(GuestOS, kernel_version),
        offsetof(GuestOS, machine),
        offsetof(GuestOS, variant),
        offsetof(GuestOS, variant_id),
};
#define N_OS_FIELDS (sizeof os_fields / sizeof *os_fields)

static char **os_field(GuestOS *os, size_t i) {
        return (char **) ((char *) os + os_fields[i]);
}

static const char *os_field_const(const GuestOS *os, size_t i) {
        return *(char *const *) ((const char *) os + os_fields[i]);
}

static void os_done(GuestOS *os) {
        for (size_t i = 0; i < N_OS_FIELDS; i++)
                intern_unref(*os_field(os, i));
        memset(os, 0, sizeof *os);
}

void guest_user_done(GuestUser *u) {
        intern_unref(u->name);
        intern_unref(u->domain);
}

static void users_free(GuestUser *users, size_t n) {
        for (size_t i = 0; i < n; i++)
                guest_user_done(&users[i]);
        free(users);
}

void guest_fs_disk_done(GuestFsDisk *d) {
        intern_unref(d->serial);
        intern_unref(d->alias);
        intern_unref(d->device);
        intern_unref(d->bus_type);
}

static void filesystem_strings_done(GuestFilesystem *fs) {
        intern_unref(fs->disk_name);
        intern_unref(fs->mount_point);
        intern_unref(fs->fs_type);
        for (size_t i = 0; i < fs->n_disks; i++)
                guest_fs_disk_done(&fs->disks[i]);
}

void guest_filesystem_done(GuestFilesystem *fs) {
        filesystem_strings_done(fs);
        free(fs->disks);
}

/* packed: the disks are in the list's block (GuestInfo.filesystems_packed). */
static void filesystems_free(GuestFilesystem *fss, size_t n, bool packed) {
        for (size_t i = 0; i < n; i++) {
                filesystem_strings_done(&fss[i]);
                if (!packed)
                        free(fss[i].disks);
        }
        free(fss);
}

static void interface_strings_done(GuestInterface *iface) {
        intern_unref(iface->name);
        intern_unref(iface->mac);
        for (size_t i = 0; i < iface->n_addresses; i++)
                intern_unref(iface->addresses[i]);
}

void guest_interface_done(GuestInterface *iface) {
        interface_strings_done(iface);
        free(iface->addresses);
}

static void interfaces_free(GuestInterface *ifaces, size_t n, bool packed) {
        for (size_t i = 0; i < n; i++) {
                interface_strings_done(&ifaces[i]);
                if (!packed)
                        free(ifaces[i].addresses);
        }
        free(ifaces);
}

void guest_info_pack(GuestInfo *g) {
        size_t n_disks = 0, n_addresses = 0;

        if (!g)
                return;
        if (g->n_filesystems > 0 && !g->filesystems_packed) {
                for (size_t i = 0; i < g->n_filesystems; i++)
                        n_disks += g->filesystems[i].n_disks;
                GuestFilesystem *fss = malloc(g->n_filesystems * sizeof *fss + n_disks * sizeof(GuestFsDisk));
                if (fss) {
                        GuestFsDisk *d = (GuestFsDisk *) (fss + g->n_filesystems);
                        for (size_t i = 0; i < g->n_filesystems; i++) {
                                GuestFilesystem *fs = &g->filesystems[i];
                                fss[i] = *fs;
                                fss[i].disks = fs->n_disks > 0 ? d : NULL;
                                if (fs->n_disks > 0)
                                        memcpy(d, fs->disks, fs->n_disks * sizeof *d);
                                d += fs->n_disks;
                                free(fs->disks);
                        }
                        free(g->filesystems);
                        g->filesystems = fss;
                        g->filesystems_packed = true;
                }
        }
        if (g->n_interfaces > 0 && !g->interfaces_packed) {
                for (size_t i = 0; i < g->n_interfaces; i++)
                        n_addresses += g->interfaces[i].n_addresses;
                GuestInterface *ifs = malloc(g->n_interfaces * sizeof *ifs + n_addresses * sizeof(char *));
                if (ifs) {
                        char **a = (char **) (ifs + g->n_interfaces);
                        for (size_t i = 0; i < g->n_interfaces; i++) {
                                GuestInterface *iface = &g->interfaces[i];
                                ifs[i] = *iface;
                                ifs[i].addresses = iface->n_addresses > 0 ? a : NULL;
                                if (iface->n_addresses > 0)
                                        memcpy(a, iface->addresses, iface->n_addresses * sizeof *a);
                                a += iface->n_addresses;
                                free(iface->addresses);
                        }
                        free(g->interfaces);
                        g->interfaces = ifs;
                        g->interfaces_packed = true;
                }
        }
}

GuestInfo *guest_info_new(void) {
        return calloc(1, sizeof(GuestInfo));
}

GuestInfo *guest_info_free(GuestInfo *g) {
        if (!g)
                return NULL;
        os_done(&g->os);
        intern_unref(g->hostname);
        intern_unref(g->timezone_name);
        users_free(g->users, g->n_users);
        filesystems_free(g->filesystems, g->n_filesystems, g->filesystems_packed);
        interfaces_free(g->interfaces, g->n_interfaces, g->interfaces_packed);
        guest_disks_free(g->disks);
        guest_counters_free(g->counters);
        free(g);
        return NULL;
}

void guest_info_take_kinds(GuestInfo *dst, GuestInfo *src) {
        unsigned k;

        if (!dst || !src || dst == src)
                return;
        k = src->kinds;
        /* src->kinds stays: the caller may still want to know what moved. */
        if (k & GUEST_KIND_OS) {
                os_done(&dst->os);
                dst->os = src->os;
                memset(&src->os, 0, sizeof src->os);
        }
        if (k & GUEST_KIND_HOSTNAME) {
                intern_unref(dst->hostname);
                dst->hostname = src->hostname;
                src->hostname = NULL;
        }
        if (k & GUEST_KIND_TIMEZONE) {
                intern_unref(dst->timezone_name);
                dst->timezone_name = src->timezone_name;
                dst->timezone_offset = src->timezone_offset;
                dst->has_timezone_offset = src->has_timezone_offset;
                src->timezone_name = NULL;
                src->timezone_offset = 0;
                src->has_timezone_offset = false;
        }
        if (k & GUEST_KIND_USERS) {
                users_free(dst->users, dst->n_users);
                dst->users = src->users;
                dst->n_users = src->n_users;
                dst->n_users_reported = src->n_users_reported;
                src->users = NULL;
                src->n_users = src->n_users_reported = 0;
        }
        if (k & GUEST_KIND_FILESYSTEMS) {
                filesystems_free(dst->filesystems, dst->n_filesystems, dst->filesystems_packed);
                dst->filesystems = src->filesystems;
                dst->n_filesystems = src->n_filesystems;
                dst->n_filesystems_reported = src->n_filesystems_reported;
                dst->filesystems_packed = src->filesystems_packed;
                src->filesystems = NULL;
                src->n_filesystems = src->n_filesystems_reported = 0;
                src->filesystems_packed = false;
        }
        if (k & GUEST_KIND_INTERFACES) {
                interfaces_free(dst->interfaces, dst->n_interfaces, dst->interfaces_packed);
                dst->interfaces = src->interfaces;
                dst->n_interfaces = src->n_interfaces;
                dst->n_interfaces_reported = src->n_interfaces_reported;
                dst->interfaces_packed = src->interfaces_packed;
                src->interfaces = NULL;
                src->n_interfaces = src->n_interfaces_reported = 0;
                src->interfaces_packed = false;
        }
        if (k & GUEST_KIND_FSFREEZE)
                dst->fsfreeze = src->fsfreeze;
        if (k & GUEST_KIND_VCPUS) {
                dst->vcpus_configured = src->vcpus_configured;
                dst->vcpus_online = src->vcpus_online;
                dst->vcpus_offlinable = src->vcpus_offlinable;
        }
        if (k & GUEST_KIND_LOAD)
                memcpy(dst->load, src->load, sizeof dst->load);
        if (k & GUEST_KIND_DISKS) {
                guest_disks_free(dst->disks);
                dst->disks = src->disks;
                src->disks = NULL;
        }
        if (k & GUEST_KIND_CLOCK)
                dst->clock_offset_usec = src->clock_offset_usec;
        if ((k & GUEST_KIND_COUNTERS) && src->counters) {
                if (!dst->counters) {
                        dst->counters = src->counters;
                        src->counters = NULL;
                } else
                        (void) guest_counters_take(&dst->counters, src->counters, k); /* dst has them: no allocation */
        }
        dst->kinds |= k;
}

const char *guest_freeze_to_string(GuestFreeze f) {
        return f == GUEST_FREEZE_FROZEN ? "frozen" : f == GUEST_FREEZE_THAWED ? "thawed" : "";
}

bool guest_os_equal(const GuestOS *a, const GuestOS *b) {
        if (!a || !b)
                return a == b;
        for (size_t i = 0; i < N_OS_FIELDS; i++)
                if (!streq_ptr(os_field_const(a, i), os_field_const(b, i)))
                        return false;
        return true;
}

bool guest_users_equal(const GuestUser *a, size_t na, const GuestUser *b, size_t nb) {
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++)
                if (!streq_ptr(a[i].name, b[i].name) || !streq_ptr(a[i].domain, b[i].domain) ||
                    a[i].login_time != b[i].login_time)
                        return false;
        return true;
}

uint64_t guest_user_login_usec(const GuestUser *u) {
        double usec = u->login_time * 1e6;
        if (!(usec > 0)) /* NaN too */
                return 0;
        if (usec >= 18446744073709551616.0) /* 2^64 */
                return UINT64_MAX;
        usec += 0.5;
        return usec >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t) usec;
}

static bool fs_disks_equal(const GuestFsDisk *a, const GuestFsDisk *b) {
        return streq_ptr(a->serial, b->serial) && streq_ptr(a->alias, b->alias) && streq_ptr(a->device, b->device) &&
               streq_ptr(a->bus_type, b->bus_type);
}

bool guest_filesystems_equal(const GuestFilesystem *a, size_t na, const GuestFilesystem *b, size_t nb) {
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++) {
                const GuestFilesystem *x = &a[i], *y = &b[i];

                if (!streq_ptr(x->disk_name, y->disk_name) || !streq_ptr(x->mount_point, y->mount_point) ||
                    !streq_ptr(x->fs_type, y->fs_type) || x->used_bytes != y->used_bytes ||
                    x->total_bytes != y->total_bytes || x->has_bytes != y->has_bytes || x->n_disks != y->n_disks)
                        return false;
                for (size_t j = 0; j < x->n_disks; j++)
                        if (!fs_disks_equal(&x->disks[j], &y->disks[j]))
                                return false;
        }
        return true;
}

void guest_info_fill_bus_types(GuestInfo *g, const DomainDevices *devices) {
        if (!g || !devices)
                return;
        for (size_t i = 0; i < g->n_filesystems; i++) {
                GuestFilesystem *fs = &g->filesystems[i];

                for (size_t j = 0; j < fs->n_disks; j++) {
                        GuestFsDisk *disk = &fs->disks[j];
                        const char *bus = NULL;

                        /* Without an alias (the agent's own reply) its bus type stands. */
                        if (!disk->alias)
                                continue;
                        for (size_t k = 0; k < devices->n_disks; k++)
                                if (streq_ptr(devices->disks[k].target, disk->alias)) {
                                        bus = devices->disks[k].bus;
                                        break;
                                }
                        intern_unref(disk->bus_type);
                        /* No way to report a failed copy: the bus stays unknown. */
                        disk->bus_type = bus ? intern_take(strdup(bus)) : NULL;
                }
        }
}

/* ---- the agent's version and commands ---- */

AgentInfo *agent_info_free(AgentInfo *a) {
        if (!a)
                return NULL;
        for (size_t i = 0; i < a->n_commands; i++)
                free(a->commands[i].name);
        free(a->commands);
        free(a->version);
        free(a);
        return NULL;
}

bool agent_info_supports(const AgentInfo *a, const char *command) {
        if (!a || !command)
                return false;
        for (size_t i = 0; i < a->n_commands; i++)
                if (strcmp(a->commands[i].name, command) == 0)
                        return a->commands[i].enabled;
        return false;
}

unsigned agent_info_disabled_kinds(const AgentInfo *a) {
        unsigned kinds = 0;
        for (size_t i = 0; a && i < a->n_commands; i++)
                for (size_t k = 0; !a->commands[i].enabled && k < GUEST_KIND_COUNT; k++)
                        if (guest_kinds[k].command && strcmp(a->commands[i].name, guest_kinds[k].command) == 0)
                                kinds |= guest_kinds[k].kind;
        return kinds;
}

unsigned agent_info_supported_kinds(const AgentInfo *a) {
        unsigned kinds = GUEST_KIND_AGENT;

        for (size_t i = 0; i < GUEST_KIND_COUNT; i++)
                if (guest_kinds[i].command && agent_info_supports(a, guest_kinds[i].command))
                        kinds |= guest_kinds[i].kind;
        return kinds;
}

bool agent_commands_equal(const AgentInfo *a, const AgentInfo *b) {
        if (!a || !b)
                return a == b;
        /* n_reported too: it says whether the list was cut. */
        if (!streq_ptr(a->version, b->version) || a->n_commands != b->n_commands || a->n_reported != b->n_reported)
                return false;
        for (size_t i = 0; i < a->n_commands; i++)
                if (a->commands[i].enabled != b->commands[i].enabled ||
                    strcmp(a->commands[i].name, b->commands[i].name) != 0)
                        return false;
        return true;
}
