#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "agent-share.h"
#include "domain-devices.h"
#include "guest-clock.h"
#include "guest-disks.h"
#include "domain.h"
#include "interface-merge.h"

static bool streq_null(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

static size_t min_size(size_t a, size_t b) {
        return a < b ? a : b;
}

/* log_name is name itself when that is safe for a log line. */
static void free_log_name(Domain *d) {
        if (d->log_name != d->name)
                free(d->log_name);
        d->log_name = NULL;
}

/* Derives the names of d from libvirt's (see domain.h). Returns
 * DOMAIN_PROPERTY_NAME if the published one changed, 0, or -ENOMEM. */
static int set_names(Domain *d, const char *libvirt) {
        size_t len = strlen(libvirt);

        if (d->name && (d->libvirt_name || d->name_is_libvirts) &&
            strcmp(libvirt, d->libvirt_name ? d->libvirt_name : d->name) == 0)
                return 0;

        char *name = utf8_sanitize(libvirt, len, DOMAIN_NAME_PUBLISHED_MAX);
        char *log_name = name ? text_for_log(name, DOMAIN_NAME_LOG_MAX) : NULL;
        bool is_libvirts = name && strcmp(name, libvirt) == 0;
        bool keep = !is_libvirts && len <= DOMAIN_NAME_LOOKUP_MAX;
        char *libvirt_name = keep ? strdup(libvirt) : NULL;
        if (!name || !log_name || (keep && !libvirt_name)) {
                free(name);
                free(log_name);
                free(libvirt_name);
                return -ENOMEM;
        }

        /* Most names are safe for a log line as they are: one copy. */
        if (strcmp(log_name, name) == 0) {
                free(log_name);
                log_name = name;
        }

        int changed = !d->name || strcmp(d->name, name) != 0 ? DOMAIN_PROPERTY_NAME : 0;
        free_log_name(d);
        free(d->name);
        free(d->libvirt_name);
        d->name = name;
        d->libvirt_name = libvirt_name;
        d->log_name = log_name;
        d->name_is_libvirts = is_libvirts;
        return changed;
}

bool domain_has_libvirt_name(const Domain *d, const char *name) {
        if (d->libvirt_name)
                return strcmp(d->libvirt_name, name) == 0;
        return d->name_is_libvirts && strcmp(d->name, name) == 0;
}

bool domain_has_published_name(const Domain *d, const char *name) {
        return strcmp(d->name, name) == 0;
}

void domain_touch(Domain *d, bool summary) {
        /* models live on several threads in tests and benchmarks */
        static atomic_uint_fast64_t stamps;
        d->stamp = atomic_fetch_add_explicit(&stamps, 1, memory_order_relaxed) + 1;
        if (summary)
                d->summary_stamp = d->stamp;
}

int domain_new(DomainInfo *info, Domain **ret) {
        Domain *d = calloc(1, sizeof *d);
        if (!d)
                return -ENOMEM;
        domain_touch(d, true);

        memcpy(d->uuid, info->uuid, sizeof d->uuid);
        d->uuid[UUID_STRING_MAX - 1] = '\0';
        if (set_names(d, info->name ? info->name : "") < 0) {
                free(d);
                return -ENOMEM;
        }
        d->state = info->state;
        d->persistent = info->persistent;
        d->id = info->id;
        /* An agent seen connected at first sight counts as a transition. */
        domain_update_agent(d, info->agent, info->agent_probe_usec);
        d->devices = info->devices;
        info->devices = NULL;
        (void) interfaces_merge(d->devices, NULL, &d->interfaces);
        d->reason = domain_guest_data_reason(d);
        *ret = d;
        return 0;
}

Domain *domain_free(Domain *d) {
        if (!d)
                return NULL;
        agent_unshare(d->agent_info);
        guest_info_free(d->guest);
        domain_devices_free(d->devices);
        merged_interfaces_free(d->interfaces);
        free(d->collect.full_error);
        for (size_t i = 0; i < GUEST_KIND_COUNT; i++)
                kind_status_done(&d->status[i]);
        free_log_name(d);
        free(d->name);
        free(d->libvirt_name);
        free(d);
        return NULL;
}

bool domain_agent_usable(const Domain *d) {
        return d->state == DOMAIN_STATE_RUNNING && d->agent_connected;
}

/* Recomputes the merged interfaces; DOMAIN_PROPERTY_INTERFACES if they changed. */
static DomainProperties remerge_interfaces(Domain *d) {
        const GuestInfo *guest = d->guest && (d->guest->kinds & GUEST_KIND_INTERFACES) ? d->guest : NULL;
        MergedInterfaces *merged = NULL;

        if (interfaces_merge(d->devices, guest, &merged) < 0)
                return 0; /* out of memory: keep what is published */
        if (d->interfaces && merged_interfaces_equal(d->interfaces, merged)) {
                merged_interfaces_free(merged);
                return 0;
        }
        merged_interfaces_free(d->interfaces);
        d->interfaces = merged;
        return DOMAIN_PROPERTY_INTERFACES;
}

int domain_update(Domain *d, DomainInfo *info, DomainProperties *ret_changed) {
        int r = set_names(d, info->name ? info->name : "");
        if (r < 0)
                return r;
        DomainProperties changed = (DomainProperties) r;
        if (d->state != info->state) {
                d->state = info->state;
                changed |= DOMAIN_PROPERTY_STATE;
        }
        if (d->persistent != info->persistent) {
                d->persistent = info->persistent;
                changed |= DOMAIN_PROPERTY_PERSISTENT;
        }
        if (d->id != info->id) {
                d->id = info->id;
                changed |= DOMAIN_PROPERTY_ID;
        }
        changed |= domain_update_agent(d, info->agent, info->agent_probe_usec);
        if (info->devices) {
                domain_devices_free(d->devices);
                d->devices = info->devices;
                info->devices = NULL;
                changed |= remerge_interfaces(d);
        }
        *ret_changed = changed;
        return 0;
}

DomainProperties domain_update_agent(Domain *d, AgentState agent, uint64_t usec) {
        DomainProperties changed = 0;
        bool connected;

        if (agent > AGENT_STATE_UNKNOWN && agent < _AGENT_STATE_MAX)
                d->agent_state = agent;
        switch (agent) {
        case AGENT_STATE_NO_CHANNEL:
        case AGENT_STATE_INACTIVE:
                /* No agent to ask: not a probe, but certainly not connected
                 * (destroy and shutdown send no agent event). */
                connected = false;
                break;
        case AGENT_STATE_DISCONNECTED:
        case AGENT_STATE_CONNECTED:
                connected = agent == AGENT_STATE_CONNECTED;
                if (d->agent_last_probe_usec != usec) {
                        d->agent_last_probe_usec = usec;
                        changed |= DOMAIN_PROPERTY_AGENT_LAST_PROBE_TIME;
                }
                break;
        default:
                return 0;
        }

        if (d->agent_connected != connected) {
                d->agent_connected = connected;
                d->agent_last_transition_usec = usec;
                changed |= DOMAIN_PROPERTY_AGENT_CONNECTED | DOMAIN_PROPERTY_AGENT_LAST_TRANSITION_TIME;
        }
        return changed;
}

bool domain_frozen(const Domain *d) {
        return d->guest && (d->guest->kinds & GUEST_KIND_FSFREEZE) && d->guest->fsfreeze == GUEST_FREEZE_FROZEN;
}

/* The kinds that bring guest data, beside the agent's own and the freeze. */
#define DATA_KINDS (GUEST_KIND_ALL & ~GUEST_KIND_FROZEN_ANSWERS)

/* Why the agent gave nothing (yet): its own kind's state, else the data's. */
static const char *unanswered_reason(const Domain *d) {
        unsigned timed_out = 0, failed = 0;
        for (int i = 0; i < GUEST_KIND_COUNT; i++) {
                unsigned kind = guest_kinds[i].kind;
                KindState st = d->status[i].state;
                timed_out |= st == KIND_STATE_TIMED_OUT ? kind : 0;
                failed |= st == KIND_STATE_FAILED ? kind : 0;
        }
        if (timed_out & (GUEST_KIND_AGENT | DATA_KINDS))
                return DOMAIN_REASON_AGENT_TIMED_OUT;
        if (failed & (GUEST_KIND_AGENT | DATA_KINDS))
                return DOMAIN_REASON_AGENT_FAILED;
        return DOMAIN_REASON_COLLECTING;
}

const char *domain_guest_data_reason(const Domain *d) {
        if (d->libvirt_disconnected)
                return DOMAIN_REASON_LIBVIRT_DISCONNECTED;
        if (d->state == DOMAIN_STATE_PAUSED || d->state == DOMAIN_STATE_PMSUSPENDED)
                return DOMAIN_REASON_PAUSED;
        if (d->state != DOMAIN_STATE_RUNNING)
                return DOMAIN_REASON_NOT_RUNNING;
        if (d->agent_state == AGENT_STATE_NO_CHANNEL)
                return DOMAIN_REASON_NO_AGENT_CHANNEL;
        if (!d->agent_connected)
                return DOMAIN_REASON_AGENT_NOT_CONNECTED;
        if (domain_frozen(d))
                return DOMAIN_REASON_FROZEN;
        if (d->guest_exported)
                return "";
        if (d->agent_info && !(agent_info_supported_kinds(d->agent_info) & DATA_KINDS))
                return DOMAIN_REASON_AGENT_LACKS_COMMANDS;
        return unanswered_reason(d);
}

DomainProperties domain_update_reason(Domain *d) {
        const char *r = domain_guest_data_reason(d);
        if (d->reason && strcmp(d->reason, r) == 0)
                return 0;
        d->reason = r;
        return DOMAIN_PROPERTY_GUEST_DATA_REASON;
}

static DomainProperties os_changes(const GuestOS *a, const GuestOS *b) {
        DomainProperties c = 0;
        c |= streq_null(a->id, b->id) ? 0 : DOMAIN_PROPERTY_OS_ID;
        c |= streq_null(a->name, b->name) ? 0 : DOMAIN_PROPERTY_OS_NAME;
        c |= streq_null(a->pretty_name, b->pretty_name) ? 0 : DOMAIN_PROPERTY_OS_PRETTY_NAME;
        c |= streq_null(a->version, b->version) ? 0 : DOMAIN_PROPERTY_OS_VERSION;
        c |= streq_null(a->version_id, b->version_id) ? 0 : DOMAIN_PROPERTY_OS_VERSION_ID;
        c |= streq_null(a->kernel_release, b->kernel_release) ? 0 : DOMAIN_PROPERTY_OS_KERNEL_RELEASE;
        c |= streq_null(a->kernel_version, b->kernel_version) ? 0 : DOMAIN_PROPERTY_OS_KERNEL_VERSION;
        c |= streq_null(a->machine, b->machine) ? 0 : DOMAIN_PROPERTY_OS_MACHINE;
        c |= streq_null(a->variant, b->variant) ? 0 : DOMAIN_PROPERTY_OS_VARIANT;
        c |= streq_null(a->variant_id, b->variant_id) ? 0 : DOMAIN_PROPERTY_OS_VARIANT_ID;
        return c;
}

static DomainProperties os_kind_changes(const GuestInfo *old, const GuestInfo *fresh) {
        return os_changes(&old->os, &fresh->os);
}

static DomainProperties hostname_changes(const GuestInfo *old, const GuestInfo *fresh) {
        return streq_null(old->hostname, fresh->hostname) ? 0 : DOMAIN_PROPERTY_OS_HOSTNAME;
}

static DomainProperties timezone_changes(const GuestInfo *old, const GuestInfo *fresh) {
        DomainProperties c = 0;
        if (!streq_null(old->timezone_name, fresh->timezone_name))
                c |= DOMAIN_PROPERTY_OS_TIMEZONE_NAME;
        if (old->timezone_offset != fresh->timezone_offset)
                c |= DOMAIN_PROPERTY_OS_TIMEZONE_OFFSET;
        return c;
}

static DomainProperties users_changes(const GuestInfo *old, const GuestInfo *fresh) {
        DomainProperties c = 0;
        /* The property is the summary: only its first SUMMARY_MAX count. */
        if (!guest_users_equal(old->users, min_size(old->n_users, SUMMARY_MAX), fresh->users,
                               min_size(fresh->n_users, SUMMARY_MAX)))
                c |= DOMAIN_PROPERTY_USERS;
        if (old->n_users_reported != fresh->n_users_reported)
                c |= DOMAIN_PROPERTY_USER_COUNT;
        return c;
}

static DomainProperties filesystems_changes(const GuestInfo *old, const GuestInfo *fresh) {
        DomainProperties c = 0;
        if (!guest_filesystems_equal(old->filesystems, min_size(old->n_filesystems, SUMMARY_MAX), fresh->filesystems,
                                     min_size(fresh->n_filesystems, SUMMARY_MAX)))
                c |= DOMAIN_PROPERTY_FILESYSTEMS;
        if (old->n_filesystems_reported != fresh->n_filesystems_reported)
                c |= DOMAIN_PROPERTY_FILESYSTEM_COUNT;
        return c;
}

static DomainProperties vcpus_changes(const GuestInfo *old, const GuestInfo *fresh) {
        return old->vcpus_configured == fresh->vcpus_configured && old->vcpus_online == fresh->vcpus_online &&
                               old->vcpus_offlinable == fresh->vcpus_offlinable
                       ? 0
                       : DOMAIN_PROPERTY_OS_VCPUS;
}

static DomainProperties load_changes(const GuestInfo *old, const GuestInfo *fresh) {
        return memcmp(old->load, fresh->load, sizeof old->load) == 0 ? 0 : DOMAIN_PROPERTY_OS_LOAD_AVERAGE;
}

static DomainProperties disks_changes(const GuestInfo *old, const GuestInfo *fresh) {
        size_t n_old = old->disks ? old->disks->n_reported : 0, n_fresh = fresh->disks ? fresh->disks->n_reported : 0;
        return (guest_disks_equal(old->disks, fresh->disks) ? 0 : DOMAIN_PROPERTY_DISKS) |
               (n_old == n_fresh ? 0 : DOMAIN_PROPERTY_DISK_COUNT);
}

static DomainProperties clock_changes(const GuestInfo *old, const GuestInfo *fresh) {
        return old->clock_offset_usec == fresh->clock_offset_usec ? 0 : DOMAIN_PROPERTY_OS_CLOCK_OFFSET;
}

static DomainProperties fsfreeze_changes(const GuestInfo *old, const GuestInfo *fresh) {
        return old->fsfreeze == fresh->fsfreeze ? 0 : DOMAIN_PROPERTY_FS_FREEZE_STATUS;
}

/* The properties each kind feeds, as bits (guest-kinds.h names them; the
 * unit tests hold the two together), and which of them a new reply of that
 * kind changes. The agent's kind is an AgentInfo, the interfaces are merged
 * with the domain's NICs: both are compared apart. */
static const struct {
        GuestKind kind;
        DomainProperties properties;
        DomainProperties (*changes)(const GuestInfo *old, const GuestInfo *fresh);
} kind_properties[GUEST_KIND_COUNT] = {
        { GUEST_KIND_AGENT, DOMAIN_PROPERTY_AGENT_VERSION | DOMAIN_PROPERTY_AGENT_SUPPORTED_COMMANDS, NULL },
        { GUEST_KIND_OS,
          DOMAIN_PROPERTY_OS_ID | DOMAIN_PROPERTY_OS_NAME | DOMAIN_PROPERTY_OS_PRETTY_NAME |
                  DOMAIN_PROPERTY_OS_VERSION | DOMAIN_PROPERTY_OS_VERSION_ID | DOMAIN_PROPERTY_OS_KERNEL_RELEASE |
                  DOMAIN_PROPERTY_OS_KERNEL_VERSION | DOMAIN_PROPERTY_OS_MACHINE | DOMAIN_PROPERTY_OS_VARIANT |
                  DOMAIN_PROPERTY_OS_VARIANT_ID,
          os_kind_changes },
        { GUEST_KIND_HOSTNAME, DOMAIN_PROPERTY_OS_HOSTNAME, hostname_changes },
        { GUEST_KIND_TIMEZONE, DOMAIN_PROPERTY_OS_TIMEZONE_NAME | DOMAIN_PROPERTY_OS_TIMEZONE_OFFSET,
          timezone_changes },
        { GUEST_KIND_USERS, DOMAIN_PROPERTY_USERS | DOMAIN_PROPERTY_USER_COUNT, users_changes },
        { GUEST_KIND_FILESYSTEMS, DOMAIN_PROPERTY_FILESYSTEMS | DOMAIN_PROPERTY_FILESYSTEM_COUNT, filesystems_changes },
        { GUEST_KIND_INTERFACES, DOMAIN_PROPERTY_INTERFACES, NULL },
        { GUEST_KIND_FSFREEZE, DOMAIN_PROPERTY_FS_FREEZE_STATUS, fsfreeze_changes },
        { GUEST_KIND_VCPUS, DOMAIN_PROPERTY_OS_VCPUS, vcpus_changes },
        { GUEST_KIND_LOAD, DOMAIN_PROPERTY_OS_LOAD_AVERAGE, load_changes },
        { GUEST_KIND_DISKS, DOMAIN_PROPERTY_DISKS | DOMAIN_PROPERTY_DISK_COUNT, disks_changes },
        { GUEST_KIND_CLOCK, DOMAIN_PROPERTY_OS_CLOCK_OFFSET, clock_changes },
        /* the counters feed a method, no property */
        { GUEST_KIND_NIC_COUNTERS, 0, NULL },
        { GUEST_KIND_CPU_COUNTERS, 0, NULL },
        { GUEST_KIND_DISK_COUNTERS, 0, NULL },
};

DomainProperties domain_kind_properties(unsigned kinds) {
        DomainProperties p = 0;
        for (size_t i = 0; i < GUEST_KIND_COUNT; i++)
                if (kinds & kind_properties[i].kind)
                        p |= kind_properties[i].properties;
        return p;
}

DomainProperties domain_exported_properties(void) {
        unsigned kinds = 0;
        for (size_t i = 0; i < GUEST_KIND_COUNT; i++)
                if (guest_kinds[i].exported)
                        kinds |= guest_kinds[i].kind;
        return domain_kind_properties(kinds);
}

/* What changes on the bus when the kinds of `fresh` replace those of `old`. */
static DomainProperties guest_changes(const GuestInfo *old, const GuestInfo *fresh) {
        static const GuestInfo empty = { 0 };
        DomainProperties c = 0;

        if (!old)
                old = &empty;
        for (size_t i = 0; i < GUEST_KIND_COUNT; i++)
                if ((fresh->kinds & kind_properties[i].kind) && kind_properties[i].changes)
                        c |= kind_properties[i].changes(old, fresh);
        return c;
}

DomainProperties domain_take_guest_data(Domain *d, GuestData *data) {
        DomainProperties changed = 0;

        if (data->agent) {
                const char *old_version = d->agent_info ? d->agent_info->version : NULL;
                if (!streq_null(old_version, data->agent->version))
                        changed |= DOMAIN_PROPERTY_AGENT_VERSION;
                if (!d->agent_info || !agent_commands_equal(d->agent_info, data->agent))
                        changed |= DOMAIN_PROPERTY_AGENT_SUPPORTED_COMMANDS;
                agent_unshare(d->agent_info);
                d->agent_info = agent_share(data->agent);
                data->agent = NULL;
        }

        if (data->guest) {
                /* The offset moves by the reply's time and the drift at every
                 * read: it is published again only once it moved enough. */
                if ((data->guest->kinds & GUEST_KIND_CLOCK) && d->guest && (d->guest->kinds & GUEST_KIND_CLOCK) &&
                    !guest_clock_offset_changed(true, d->guest->clock_offset_usec, data->guest->clock_offset_usec))
                        data->guest->clock_offset_usec = d->guest->clock_offset_usec;
                changed |= guest_changes(d->guest, data->guest);
                if (!d->guest) {
                        d->guest = data->guest;
                        data->guest = NULL;
                } else
                        guest_info_take_kinds(d->guest, data->guest);
        }

        if (data->devices) {
                domain_devices_free(d->devices);
                d->devices = data->devices;
                data->devices = NULL;
        }
        changed |= remerge_interfaces(d);
        return changed;
}

DomainProperties domain_drop_guest_data(Domain *d) {
        DomainProperties changed = 0;

        if (d->agent_info) {
                if (d->agent_info->version)
                        changed |= DOMAIN_PROPERTY_AGENT_VERSION;
                if (d->agent_info->n_commands > 0)
                        changed |= DOMAIN_PROPERTY_AGENT_SUPPORTED_COMMANDS;
                d->agent_info = agent_unshare(d->agent_info);
        }
        /* OS, Users and Filesystems disappear as whole interfaces: no
         * PropertiesChanged for them. */
        /* failing_kinds stays: a flapping agent is not re-reported each time */
        if (d->guest && d->guest->fsfreeze != GUEST_FREEZE_UNKNOWN)
                changed |= DOMAIN_PROPERTY_FS_FREEZE_STATUS;
        for (size_t i = 0; i < GUEST_KIND_COUNT; i++)
                if (kind_status_reset(&d->status[i]))
                        changed |= DOMAIN_PROPERTY_GUEST_DATA_STATUS;
        d->guest = guest_info_free(d->guest);
        changed |= remerge_interfaces(d);
        return changed;
}
