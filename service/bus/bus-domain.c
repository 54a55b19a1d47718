#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus-domain.h"
#include "bus-errors.h"
#include "bus-paths.h"
#include "bus-polkit.h"
#include "bus-wire.h"
#include "guest-counters.h"
#include "guest-disks.h"
#include "interface-merge.h"
#include "ip-address.h"
#include "kubevirt-json.h"
#include "macro.h"

/* A Refresh() call waiting for a collection of its domain: linked into the
 * scheduler's list (collect) and into ours, so that either going away
 * first unlinks it from the other. */
typedef struct Waiter {
        CollectWaiter collect;
        struct Waiter *next, **prevp;
        sd_bus_message *message;
} Waiter;

/* One per interface in domain_interfaces, and the node enumerator. */
#define BUS_DOMAIN_SLOTS_MAX 8

struct BusDomain {
        sd_bus *bus;
        Manager *manager;
        Waiter *waiters;
        BusPolkit *polkit; /* NULL: Refresh() is not gated (the session bus) */
        /* Ours, not floating: unregistered before b is freed, so that no
         * call that comes later reaches a freed b. */
        sd_bus_slot *slots[BUS_DOMAIN_SLOTS_MAX];
        size_t n_slots;
};

#define POLKIT_ACTION_REFRESH "org.guestinfod.guestinfo1.refresh"

static Domain *find_domain(BusDomain *b, const char *path);

/* Methods reach the context through the vtable's registration userdata; the
 * per-object userdata (from the find callbacks) is the Domain. */
static BusDomain *context_of(sd_bus_message *message) {
        return sd_bus_slot_get_userdata(sd_bus_get_current_slot(sd_bus_message_get_bus(message)));
}

static void waiter_free(Waiter *w) {
        collect_waiter_cancel(&w->collect);
        *w->prevp = w->next;
        if (w->next)
                w->next->prevp = w->prevp;
        sd_bus_message_unref(w->message);
        free(w);
}

/* The collection that answers w ended (collect.h). */
static void on_refresh_done(CollectWaiter *cw, const char *error, bool gone) {
        Waiter *w = (Waiter *) ((char *) cw - offsetof(Waiter, collect));

        if (gone)
                (void) sd_bus_reply_method_errorf(w->message, BUS_ERROR_NO_SUCH_DOMAIN, "%s", error);
        else if (error)
                (void) sd_bus_reply_method_errorf(w->message, BUS_ERROR_AGENT_FAILED, "%s", error);
        else
                (void) sd_bus_reply_method_return(w->message, "");
        waiter_free(w);
}

static const char *str_or_empty(const char *s) {
        return s ? s : "";
}

/* The a{sv} that ends every entry that can grow: empty for now. */
static int append_extra(sd_bus_message *m) {
        int r = sd_bus_message_open_container(m, 'a', EXTRA_ENTRY_SIGNATURE);
        return r < 0 ? r : sd_bus_message_close_container(m);
}

/* ---- org.guestinfod.GuestInfo1.Domain ---- */

#define DEFINE_GETTER(fname, type, expr)                                                                               \
        static int fname(sd_bus *bus, const char *path, const char *interface, const char *property,                   \
                         sd_bus_message *reply, void *userdata, sd_bus_error *error) {                                 \
                Domain *d = userdata;                                                                                  \
                return sd_bus_message_append(reply, type, expr);                                                       \
        }

DEFINE_GETTER(property_get_name, "s", d->name)
DEFINE_GETTER(property_get_uuid, "s", d->uuid)
DEFINE_GETTER(property_get_state, "s", domain_state_to_string(d->state))
DEFINE_GETTER(property_get_persistent, "b", d->persistent)
DEFINE_GETTER(property_get_id, "i", d->id)
DEFINE_GETTER(property_get_agent_connected, "b", d->agent_connected)
DEFINE_GETTER(property_get_agent_transition, "t", d->agent_last_transition_usec)
DEFINE_GETTER(property_get_agent_probe, "t", d->agent_last_probe_usec)
DEFINE_GETTER(property_get_agent_version, "s", str_or_empty(d->agent_info ? d->agent_info->version : NULL))

static int property_get_agent_commands(sd_bus *bus, const char *path, const char *interface, const char *property,
                                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "(sb)");
        if (r < 0)
                return r;
        for (size_t i = 0; d->agent_info && i < d->agent_info->n_commands; i++) {
                r = sd_bus_message_append(reply, "(sb)", d->agent_info->commands[i].name,
                                          d->agent_info->commands[i].enabled);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

DEFINE_GETTER(property_get_guest_data_reason, "s", d->reason ? d->reason : "")
DEFINE_GETTER(property_get_fs_freeze_status, "s",
              guest_freeze_to_string(d->guest && (d->guest->kinds & GUEST_KIND_FSFREEZE) ? d->guest->fsfreeze
                                                                                         : GUEST_FREEZE_UNKNOWN))

static int property_get_guest_data_status(sd_bus *bus, const char *path, const char *interface, const char *property,
                                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        int r = sd_bus_message_open_container(reply, 'a', KIND_STATUS_SIGNATURE);
        for (int i = 0; r >= 0 && i < GUEST_KIND_COUNT; i++) {
                const KindStatus *st = &d->status[i];
                r = sd_bus_message_open_container(reply, 'r', KIND_STATUS_FIELDS);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "ssts", guest_kinds[i].name,
                                                  kind_state_to_string((KindState) st->state), kind_status_usec(st),
                                                  str_or_empty(kind_status_message(st)));
                if (r >= 0)
                        r = append_extra(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

/* Starts a collection and parks the call until it ends, or answers it from
 * a collection that just ended. */
static int start_refresh(BusDomain *b, Domain *d, sd_bus_message *message, sd_bus_error *error) {
        char quote[BUS_ERROR_QUOTE_MAX];
        const char *outcome = NULL;
        Waiter *w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->collect.done = on_refresh_done;
        int r = collect_refresh(&b->manager->collect, d, &w->collect, &outcome);
        if (r <= 0)
                free(w);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_setf(error, BUS_ERROR_NO_AGENT, "The guest agent of '%s' is not connected.",
                                         bus_error_quote(d->name, quote, sizeof quote));
        if (r == 0 && outcome)
                return sd_bus_error_set(error, BUS_ERROR_AGENT_FAILED, outcome);
        if (r == 0) {
                r = sd_bus_reply_method_return(message, "");
                return r < 0 ? r : 1;
        }

        w->message = sd_bus_message_ref(message);
        w->next = b->waiters;
        if (w->next)
                w->next->prevp = &w->next;
        w->prevp = &b->waiters;
        b->waiters = w;
        /* Answered from on_refresh_done(): the loop does not wait. */
        return 1;
}

static void on_refresh_authorized(sd_bus_message *message, int result, const char *why, void *userdata) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        BusDomain *b = userdata;
        Domain *d;
        int r;

        if (result <= 0) {
                char quote[300];
                (void) sd_bus_reply_method_errorf(message, SD_BUS_ERROR_ACCESS_DENIED, "Refresh is not allowed: %s.",
                                                  bus_error_quote(why ? why : "no reason given", quote, sizeof quote));
                return;
        }
        /* The domain may have gone while polkit thought. */
        d = find_domain(b, sd_bus_message_get_path(message));
        if (!d) {
                (void) sd_bus_reply_method_errorf(message, BUS_ERROR_NO_SUCH_DOMAIN, "The domain is gone.");
                return;
        }
        r = start_refresh(b, d, message, &error);
        if (r < 0 && sd_bus_error_is_set(&error))
                (void) sd_bus_reply_method_error(message, &error);
        else if (r < 0)
                (void) sd_bus_reply_method_errno(message, r, NULL);
        sd_bus_error_free(&error);
}

static int method_refresh(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        BusDomain *b = context_of(message);
        Domain *d = userdata;

        if (!b->polkit)
                return start_refresh(b, d, message, error);

        /* It costs the guest work: polkit decides, and answers later (or
         * now, from the answer it gave this sender a moment ago). */
        int r = bus_polkit_check_async(b->polkit, message, POLKIT_ACTION_REFRESH, on_refresh_authorized, b);
        if (r == -EBUSY)
                return sd_bus_error_set(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                        "Too many Refresh calls of this caller wait for polkit.");
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "Cannot ask polkit: %s", strerror(-r));
        return 1;
}

static int reply_json(sd_bus_message *message, char *json, sd_bus_error *error) {
        if (!json)
                return -ENOMEM;
        /* JSON escapes a control character in 6 bytes: a guest's strings at
         * their caps can make more than the bus carries. */
        _cleanup_(freep) char *text = json;
        if (wire_string(0, strlen(text)) > BUS_BODY_SIZE_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                         "%s() would be more than the %llu MiB a bus message may have: read the "
                                         "object's properties instead.",
                                         sd_bus_message_get_member(message), BUS_MESSAGE_SIZE_MAX >> 20);
        return sd_bus_reply_method_return(message, "s", text);
}

static int require_agent_data(Domain *d, sd_bus_error *error) {
        char quote[BUS_ERROR_QUOTE_MAX];
        if (!d->guest_exported)
                return sd_bus_error_setf(
                        error, BUS_ERROR_NO_AGENT,
                        "No guest agent data for '%s': the agent is not connected or has not answered.",
                        bus_error_quote(d->name, quote, sizeof quote));
        return 0;
}

static int method_get_guest_os_info(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        int r = require_agent_data(d, error);
        if (r < 0)
                return r;
        return reply_json(message, kubevirt_guestosinfo_json(d->agent_info, d->guest), error);
}

static int method_get_user_list(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        int r = require_agent_data(d, error);
        if (r < 0)
                return r;
        return reply_json(message, kubevirt_userlist_json(d->guest), error);
}

static int method_get_filesystem_list(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        int r = require_agent_data(d, error);
        if (r < 0)
                return r;
        return reply_json(message, kubevirt_filesystemlist_json(d->guest), error);
}

static int method_get_interfaces(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        return reply_json(message, kubevirt_interfaces_json(d->interfaces), error);
}

/* {name: value} of the counters the guest sent (bit i of has: names[i]). */
static int append_counter_values(sd_bus_message *m, const char *const *names, size_t n, const uint64_t *v,
                                 uint32_t has) {
        int r = sd_bus_message_open_container(m, 'a', "{st}");
        for (size_t i = 0; r >= 0 && i < n; i++)
                if (has & (UINT32_C(1) << i))
                        r = sd_bus_message_append(m, "{st}", names[i], v[i]);
        return r < 0 ? r : sd_bus_message_close_container(m);
}

static int append_counter_list(sd_bus_message *m, const GuestCounterList *l, const char *const *names, size_t n) {
        int r = sd_bus_message_open_container(m, 'a', COUNTER_ENTRY_SIGNATURE);
        for (size_t i = 0; r >= 0 && l && i < l->n_items; i++) {
                r = sd_bus_message_open_container(m, 'r', COUNTER_ENTRY_FIELDS);
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", l->items[i].name);
                if (r >= 0)
                        r = append_counter_values(m, names, n, l->items[i].v, l->items[i].has);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        return r < 0 ? r : sd_bus_message_close_container(m);
}

static uint32_t clamp_u32(size_t n) {
        return n < UINT32_MAX ? (uint32_t) n : UINT32_MAX;
}

/* What the last reads of the counter kinds kept: they change at every
 * read, so they are no properties. Empty until read (GuestDataStatus says
 * whether and when each kind was). */
static int method_get_counters(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Domain *d = userdata;
        const GuestCounters *c = d->guest ? d->guest->counters : NULL;
        static const GuestCpuCounters no_cpu;
        const GuestCpuCounters *cpu = c ? &c->cpu : &no_cpu;
        int r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0)
                r = append_counter_list(reply, c ? &c->nics : NULL, guest_nic_counter_names, _NIC_COUNTER_MAX);
        if (r >= 0)
                r = append_counter_values(reply, guest_cpu_counter_names, _CPU_COUNTER_MAX, cpu->v, cpu->has);
        if (r >= 0)
                r = append_counter_list(reply, c ? &c->disks : NULL, guest_disk_counter_names, _DISK_COUNTER_MAX);
        if (r >= 0)
                r = sd_bus_message_append(reply, "a{sv}", 3, "CpuCount", "u", clamp_u32(cpu->n_cpus), "NicCount", "u",
                                          clamp_u32(c ? c->nics.n_reported : 0), "DiskCount", "u",
                                          clamp_u32(c ? c->disks.n_reported : 0));
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static const sd_bus_vtable domain_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_get_name, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("UUID", "s", property_get_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Persistent", "b", property_get_persistent, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Id", "i", property_get_id, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AgentConnected", "b", property_get_agent_connected, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AgentLastTransitionTime", "t", property_get_agent_transition, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AgentLastProbeTime", "t", property_get_agent_probe, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AgentVersion", "s", property_get_agent_version, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* Big and rarely needed: only for who asks (Get), not in GetAll,
         * GetManagedObjects or InterfacesAdded; a change names it only. */
        SD_BUS_PROPERTY("AgentSupportedCommands", "a(sb)", property_get_agent_commands, 0,
                        SD_BUS_VTABLE_PROPERTY_EXPLICIT | SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("GuestDataStatus", "a" KIND_STATUS_SIGNATURE, property_get_guest_data_status, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("GuestDataReason", "s", property_get_guest_data_reason, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("FsFreezeStatus", "s", property_get_fs_freeze_status, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("Refresh", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_refresh,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetGuestOSInfo", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", json), method_get_guest_os_info,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetUserList", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", json), method_get_user_list,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetFilesystemList", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", json),
                                method_get_filesystem_list, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetInterfaces", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", json), method_get_interfaces,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS(METHOD_GET_COUNTERS, SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a" COUNTER_ENTRY_SIGNATURE, nics, "a{st}", cpu,
                                              "a" COUNTER_ENTRY_SIGNATURE, disks, EXTRA_SIGNATURE, more),
                                method_get_counters, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

/* ---- org.guestinfod.GuestInfo1.OS ---- */

static const GuestOS empty_os;
#define OS(d) ((d)->guest ? &(d)->guest->os : &empty_os)

DEFINE_GETTER(property_get_os_id, "s", str_or_empty(OS(d)->id))
DEFINE_GETTER(property_get_os_name, "s", str_or_empty(OS(d)->name))
DEFINE_GETTER(property_get_os_pretty_name, "s", str_or_empty(OS(d)->pretty_name))
DEFINE_GETTER(property_get_os_version, "s", str_or_empty(OS(d)->version))
DEFINE_GETTER(property_get_os_version_id, "s", str_or_empty(OS(d)->version_id))
DEFINE_GETTER(property_get_os_kernel_release, "s", str_or_empty(OS(d)->kernel_release))
DEFINE_GETTER(property_get_os_kernel_version, "s", str_or_empty(OS(d)->kernel_version))
DEFINE_GETTER(property_get_os_machine, "s", str_or_empty(OS(d)->machine))
DEFINE_GETTER(property_get_os_variant, "s", str_or_empty(OS(d)->variant))
DEFINE_GETTER(property_get_os_variant_id, "s", str_or_empty(OS(d)->variant_id))
DEFINE_GETTER(property_get_hostname, "s", str_or_empty(d->guest ? d->guest->hostname : NULL))
DEFINE_GETTER(property_get_timezone_name, "s", str_or_empty(d->guest ? d->guest->timezone_name : NULL))
DEFINE_GETTER(property_get_timezone_offset, "i", d->guest ? d->guest->timezone_offset : 0)

static int property_get_vcpus(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        const GuestInfo *g = d->guest;
        int r = sd_bus_message_open_container(reply, 'r', VCPUS_FIELDS);
        if (r >= 0)
                r = sd_bus_message_append(reply, "uuu", g ? g->vcpus_configured : 0, g ? g->vcpus_online : 0,
                                          g ? g->vcpus_offlinable : 0);
        if (r >= 0)
                r = append_extra(reply);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int property_get_load_average(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        const GuestInfo *g = d->guest;
        return sd_bus_message_append(reply, LOAD_AVERAGE_SIGNATURE, g ? g->load[0] : 0.0, g ? g->load[1] : 0.0,
                                     g ? g->load[2] : 0.0);
}

DEFINE_GETTER(property_get_clock_offset, "x", d->guest ? d->guest->clock_offset_usec : 0)

#define OS_PROPERTY(name, getter) SD_BUS_PROPERTY(name, "s", getter, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)

static const sd_bus_vtable os_vtable[] = {
        SD_BUS_VTABLE_START(0),
        OS_PROPERTY("OperatingSystemId", property_get_os_id),
        OS_PROPERTY("OperatingSystemName", property_get_os_name),
        OS_PROPERTY("OperatingSystemPrettyName", property_get_os_pretty_name),
        OS_PROPERTY("OperatingSystemVersion", property_get_os_version),
        OS_PROPERTY("OperatingSystemVersionId", property_get_os_version_id),
        OS_PROPERTY("KernelRelease", property_get_os_kernel_release),
        OS_PROPERTY("KernelVersion", property_get_os_kernel_version),
        OS_PROPERTY("Machine", property_get_os_machine),
        OS_PROPERTY("OperatingSystemVariant", property_get_os_variant),
        OS_PROPERTY("OperatingSystemVariantId", property_get_os_variant_id),
        OS_PROPERTY("Hostname", property_get_hostname),
        OS_PROPERTY("TimezoneName", property_get_timezone_name),
        SD_BUS_PROPERTY("TimezoneOffset", "i", property_get_timezone_offset, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Vcpus", VCPUS_SIGNATURE, property_get_vcpus, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LoadAverage", LOAD_AVERAGE_SIGNATURE, property_get_load_average, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ClockOffset", "x", property_get_clock_offset, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

/* ---- org.guestinfod.GuestInfo1.Users ---- */

static int append_users(sd_bus_message *m, const GuestInfo *g, size_t max) {
        int r = sd_bus_message_open_container(m, 'a', USER_SIGNATURE);
        if (r < 0)
                return r;
        for (size_t i = 0; g && i < g->n_users && i < max; i++) {
                r = sd_bus_message_open_container(m, 'r', USER_FIELDS);
                if (r >= 0)
                        r = sd_bus_message_append(m, "sst", str_or_empty(g->users[i].name),
                                                  str_or_empty(g->users[i].domain),
                                                  guest_user_login_usec(&g->users[i]));
                if (r >= 0)
                        r = append_extra(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

static int property_get_users(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        return append_users(reply, d->guest, SUMMARY_MAX);
}

DEFINE_GETTER(property_get_user_count, "u",
              (uint32_t) (d->guest && d->guest->n_users_reported < UINT32_MAX ? d->guest->n_users_reported
                          : d->guest                                          ? UINT32_MAX
                                                                              : 0))

static int method_list_users(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Domain *d = userdata;
        int r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = append_users(reply, d->guest, SIZE_MAX);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static const sd_bus_vtable users_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Users", "a" USER_SIGNATURE, property_get_users, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("UserCount", "u", property_get_user_count, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("ListUsers", SD_BUS_NO_ARGS, SD_BUS_RESULT("a" USER_SIGNATURE, users),
                                method_list_users, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

/* ---- org.guestinfod.GuestInfo1.Filesystems ---- */

/* What links a filesystem's disk to an entry of Disks: the guest's device
 * ("/dev/vda") and the domain disk ("vda"), when known. */
static int append_fs_disk_extra(sd_bus_message *m, const GuestFsDisk *disk) {
        int r = sd_bus_message_open_container(m, 'a', EXTRA_ENTRY_SIGNATURE);
        if (r >= 0 && disk->device)
                r = sd_bus_message_append(m, EXTRA_ENTRY_SIGNATURE, "Device", "s", disk->device);
        if (r >= 0 && disk->alias)
                r = sd_bus_message_append(m, EXTRA_ENTRY_SIGNATURE, "Target", "s", disk->alias);
        return r < 0 ? r : sd_bus_message_close_container(m);
}

static int append_disks(sd_bus_message *m, const GuestDisks *disks) {
        int r = sd_bus_message_open_container(m, 'a', DISK_SIGNATURE);
        for (size_t i = 0; r >= 0 && disks && i < disks->n_items; i++) {
                const GuestDisk *k = &disks->items[i];
                r = sd_bus_message_open_container(m, 'r', DISK_FIELDS);
                if (r >= 0)
                        r = sd_bus_message_append(m, "sb", str_or_empty(k->name), k->partition);
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "s");
                for (size_t j = 0; r >= 0 && j < k->n_dependencies; j++)
                        r = sd_bus_message_append(m, "s", str_or_empty(k->dependencies[j]));
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_append(m, "ssss", str_or_empty(k->serial), str_or_empty(k->bus),
                                                  str_or_empty(k->target), str_or_empty(k->source));
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', EXTRA_ENTRY_SIGNATURE);
                if (r >= 0 && k->guest_alias)
                        r = sd_bus_message_append(m, EXTRA_ENTRY_SIGNATURE, "Alias", "s", k->guest_alias);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        return r < 0 ? r : sd_bus_message_close_container(m);
}

static int property_get_disks(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        return append_disks(reply, d->guest ? d->guest->disks : NULL);
}

DEFINE_GETTER(property_get_disk_count, "u",
              (uint32_t) (d->guest && d->guest->disks && d->guest->disks->n_reported < UINT32_MAX
                                  ? d->guest->disks->n_reported
                          : d->guest && d->guest->disks ? UINT32_MAX
                                                        : 0))

static int append_filesystems(sd_bus_message *m, const GuestInfo *g, size_t max) {
        int r = sd_bus_message_open_container(m, 'a', FILESYSTEM_SIGNATURE);
        if (r < 0)
                return r;
        for (size_t i = 0; g && i < g->n_filesystems && i < max; i++) {
                const GuestFilesystem *f = &g->filesystems[i];
                r = sd_bus_message_open_container(m, 'r', FILESYSTEM_FIELDS);
                if (r >= 0)
                        r = sd_bus_message_append(m, "ssstt", str_or_empty(f->disk_name), str_or_empty(f->mount_point),
                                                  str_or_empty(f->fs_type), f->used_bytes, f->total_bytes);
                if (r < 0)
                        return r;
                r = sd_bus_message_open_container(m, 'a', FILESYSTEM_DISK_SIGNATURE);
                for (size_t k = 0; r >= 0 && k < f->n_disks; k++) {
                        r = sd_bus_message_open_container(m, 'r', FILESYSTEM_DISK_FIELDS);
                        if (r >= 0)
                                r = sd_bus_message_append(m, "ss", str_or_empty(f->disks[k].serial),
                                                          str_or_empty(f->disks[k].bus_type));
                        if (r >= 0)
                                r = append_fs_disk_extra(m, &f->disks[k]);
                        if (r >= 0)
                                r = sd_bus_message_close_container(m);
                }
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = append_extra(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

static int property_get_filesystems(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        return append_filesystems(reply, d->guest, SUMMARY_MAX);
}

DEFINE_GETTER(property_get_filesystem_count, "u",
              (uint32_t) (d->guest && d->guest->n_filesystems_reported < UINT32_MAX ? d->guest->n_filesystems_reported
                          : d->guest                                                ? UINT32_MAX
                                                                                    : 0))

static int method_list_filesystems(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Domain *d = userdata;
        int r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = append_filesystems(reply, d->guest, SIZE_MAX);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static const sd_bus_vtable filesystems_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Filesystems", "a" FILESYSTEM_SIGNATURE, property_get_filesystems, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("FilesystemCount", "u", property_get_filesystem_count, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("ListFilesystems", SD_BUS_NO_ARGS, SD_BUS_RESULT("a" FILESYSTEM_SIGNATURE, filesystems),
                                method_list_filesystems, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("Disks", "a" DISK_SIGNATURE, property_get_disks, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("DiskCount", "u", property_get_disk_count, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

/* ---- org.guestinfod.GuestInfo1.Network ---- */

/* One interface's addresses, as (family, address, prefix length). */
static int append_addresses(sd_bus_message *m, const MergedInterface *e) {
        int r = sd_bus_message_open_container(m, 'a', ADDRESS_SIGNATURE);
        for (size_t k = 0; r >= 0 && k < e->n_ip_addresses; k++) {
                IpAddressParts a;
                if (ip_address_split(e->ip_addresses[k], k < e->n_ipv4, &a))
                        r = sd_bus_message_append(m, ADDRESS_SIGNATURE, a.family, a.address, a.prefix);
        }
        return r < 0 ? r : sd_bus_message_close_container(m);
}

static int property_get_interfaces(sd_bus *bus, const char *path, const char *interface, const char *property,
                                   sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        const MergedInterfaces *m = d->interfaces;
        int r = sd_bus_message_open_container(reply, 'a', INTERFACE_SIGNATURE);
        if (r < 0)
                return r;
        for (size_t i = 0; m && i < m->n_items; i++) {
                const MergedInterface *e = &m->items[i];
                const char *sources[2];
                size_t n_sources = merged_interface_sources(e, sources);

                r = sd_bus_message_open_container(reply, 'r', INTERFACE_FIELDS);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "sss", str_or_empty(e->name), str_or_empty(e->interface_name),
                                                  str_or_empty(e->mac));
                if (r >= 0)
                        r = append_addresses(reply, e);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "s");
                for (size_t k = 0; r >= 0 && k < n_sources; k++)
                        r = sd_bus_message_append_basic(reply, 's', sources[k]);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = append_extra(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static const sd_bus_vtable network_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Interfaces", "a" INTERFACE_SIGNATURE, property_get_interfaces, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

/* ---- lookups ---- */

static Domain *find_domain(BusDomain *b, const char *path) {
        char uuid[UUID_STRING_MAX];
        /* Called once per vtable (5) for every object of GetManagedObjects:
         * no allocation here (a profile put the allocating decode at 17 %). */
        if (domain_uuid_from_path_buf(path, uuid) < 0)
                return NULL;
        return manager_get_domain(b->manager, uuid);
}

/* Answers "which domain lives at this path" from the model alone. */
static int domain_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                       sd_bus_error *error) {
        Domain *d = find_domain(userdata, path);
        if (!d)
                return 0;
        *found = d;
        return 1;
}

/* The same, for OS/Users/Filesystems: present only while exported. */
static int guest_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                      sd_bus_error *error) {
        Domain *d = find_domain(userdata, path);
        if (!d || !d->guest_exported)
                return 0;
        *found = d;
        return 1;
}

static int domain_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        BusDomain *b = userdata;
        size_t n = manager_domain_count(b->manager), k = 0;
        Domain *d;
        char **l = calloc(n + 1, sizeof *l);
        int r;

        if (!l)
                return -ENOMEM;
        HASHMAP_FOREACH (d, b->manager->domains, i) {
                r = domain_object_path(d->uuid, &l[k]);
                if (r < 0) {
                        for (size_t j = 0; j < k; j++)
                                free(l[j]);
                        free(l);
                        return r;
                }
                k++;
        }
        *nodes = l;
        return 1;
}

/* Registered in this order (sd-bus lists them the other way round). */
static const BusDomainInterface domain_interfaces[] = {
        { DOMAIN_INTERFACE, domain_vtable, domain_find },
        { NETWORK_INTERFACE, network_vtable, domain_find },
        { OS_INTERFACE, os_vtable, guest_find },
        { USERS_INTERFACE, users_vtable, guest_find },
        { FILESYSTEMS_INTERFACE, filesystems_vtable, guest_find },
};

const BusDomainInterface *bus_domain_interfaces(size_t *ret_n) {
        *ret_n = ELEMENTSOF(domain_interfaces);
        return domain_interfaces;
}

/* ---- change signals ---- */

static const struct {
        DomainProperties bit;
        const char *interface;
        const char *name;
} property_table[] = {
        { DOMAIN_PROPERTY_NAME, DOMAIN_INTERFACE, "Name" },
        { DOMAIN_PROPERTY_STATE, DOMAIN_INTERFACE, "State" },
        { DOMAIN_PROPERTY_PERSISTENT, DOMAIN_INTERFACE, "Persistent" },
        { DOMAIN_PROPERTY_ID, DOMAIN_INTERFACE, "Id" },
        { DOMAIN_PROPERTY_AGENT_CONNECTED, DOMAIN_INTERFACE, "AgentConnected" },
        { DOMAIN_PROPERTY_AGENT_LAST_TRANSITION_TIME, DOMAIN_INTERFACE, "AgentLastTransitionTime" },
        { DOMAIN_PROPERTY_AGENT_LAST_PROBE_TIME, DOMAIN_INTERFACE, "AgentLastProbeTime" },
        { DOMAIN_PROPERTY_AGENT_VERSION, DOMAIN_INTERFACE, "AgentVersion" },
        { DOMAIN_PROPERTY_AGENT_SUPPORTED_COMMANDS, DOMAIN_INTERFACE, "AgentSupportedCommands" },
        { DOMAIN_PROPERTY_OS_ID, OS_INTERFACE, "OperatingSystemId" },
        { DOMAIN_PROPERTY_OS_NAME, OS_INTERFACE, "OperatingSystemName" },
        { DOMAIN_PROPERTY_OS_PRETTY_NAME, OS_INTERFACE, "OperatingSystemPrettyName" },
        { DOMAIN_PROPERTY_OS_VERSION, OS_INTERFACE, "OperatingSystemVersion" },
        { DOMAIN_PROPERTY_OS_VERSION_ID, OS_INTERFACE, "OperatingSystemVersionId" },
        { DOMAIN_PROPERTY_OS_KERNEL_RELEASE, OS_INTERFACE, "KernelRelease" },
        { DOMAIN_PROPERTY_OS_KERNEL_VERSION, OS_INTERFACE, "KernelVersion" },
        { DOMAIN_PROPERTY_OS_MACHINE, OS_INTERFACE, "Machine" },
        { DOMAIN_PROPERTY_OS_VARIANT, OS_INTERFACE, "OperatingSystemVariant" },
        { DOMAIN_PROPERTY_OS_VARIANT_ID, OS_INTERFACE, "OperatingSystemVariantId" },
        { DOMAIN_PROPERTY_OS_HOSTNAME, OS_INTERFACE, "Hostname" },
        { DOMAIN_PROPERTY_OS_TIMEZONE_NAME, OS_INTERFACE, "TimezoneName" },
        { DOMAIN_PROPERTY_OS_TIMEZONE_OFFSET, OS_INTERFACE, "TimezoneOffset" },
        { DOMAIN_PROPERTY_USERS, USERS_INTERFACE, "Users" },
        { DOMAIN_PROPERTY_USER_COUNT, USERS_INTERFACE, "UserCount" },
        { DOMAIN_PROPERTY_FILESYSTEMS, FILESYSTEMS_INTERFACE, "Filesystems" },
        { DOMAIN_PROPERTY_FILESYSTEM_COUNT, FILESYSTEMS_INTERFACE, "FilesystemCount" },
        { DOMAIN_PROPERTY_INTERFACES, NETWORK_INTERFACE, "Interfaces" },
        { DOMAIN_PROPERTY_GUEST_DATA_STATUS, DOMAIN_INTERFACE, "GuestDataStatus" },
        { DOMAIN_PROPERTY_GUEST_DATA_REASON, DOMAIN_INTERFACE, "GuestDataReason" },
        { DOMAIN_PROPERTY_FS_FREEZE_STATUS, DOMAIN_INTERFACE, "FsFreezeStatus" },
        { DOMAIN_PROPERTY_OS_VCPUS, OS_INTERFACE, "Vcpus" },
        { DOMAIN_PROPERTY_OS_LOAD_AVERAGE, OS_INTERFACE, "LoadAverage" },
        { DOMAIN_PROPERTY_OS_CLOCK_OFFSET, OS_INTERFACE, "ClockOffset" },
        { DOMAIN_PROPERTY_DISKS, FILESYSTEMS_INTERFACE, "Disks" },
        { DOMAIN_PROPERTY_DISK_COUNT, FILESYSTEMS_INTERFACE, "DiskCount" },
};

const char *bus_domain_property_name(DomainProperties bit, const char **ret_interface) {
        for (size_t k = 0; k < ELEMENTSOF(property_table); k++)
                if (property_table[k].bit == bit) {
                        *ret_interface = property_table[k].interface;
                        return property_table[k].name;
                }
        return NULL;
}

int bus_domain_emit_changes(BusDomain *b, Domain *d, DomainProperties properties) {
        static const struct {
                const char *name;
                bool guest_only; /* exists only while the guest data is exported */
        } interfaces[] = {
                { DOMAIN_INTERFACE, false },     { OS_INTERFACE, true },       { USERS_INTERFACE, true },
                { FILESYSTEMS_INTERFACE, true }, { NETWORK_INTERFACE, false },
        };
        _cleanup_(freep) char *path = NULL;
        int r = domain_object_path(d->uuid, &path);
        if (r < 0)
                return r;

        for (size_t i = 0; i < ELEMENTSOF(interfaces); i++) {
                const char *names[ELEMENTSOF(property_table) + 1];
                size_t n = 0;
                for (size_t k = 0; k < ELEMENTSOF(property_table); k++)
                        if ((properties & property_table[k].bit) &&
                            strcmp(property_table[k].interface, interfaces[i].name) == 0)
                                names[n++] = property_table[k].name;
                if (n == 0 || (interfaces[i].guest_only && !d->guest_exported))
                        continue;
                names[n] = NULL;
                r = sd_bus_emit_properties_changed_strv(b->bus, path, interfaces[i].name, (char **) names);
                if (r < 0)
                        return r;
        }
        return 0;
}

int bus_domain_emit_guest_exported(BusDomain *b, Domain *d, bool exported) {
        _cleanup_(freep) char *path = NULL;
        int r = domain_object_path(d->uuid, &path);
        if (r < 0)
                return r;
        if (exported)
                return sd_bus_emit_interfaces_added(b->bus, path, OS_INTERFACE, USERS_INTERFACE, FILESYSTEMS_INTERFACE,
                                                    NULL);
        return sd_bus_emit_interfaces_removed(b->bus, path, OS_INTERFACE, USERS_INTERFACE, FILESYSTEMS_INTERFACE, NULL);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(BusDomain *, bus_domain_free);

_Static_assert(ELEMENTSOF(domain_interfaces) + 1 <= BUS_DOMAIN_SLOTS_MAX, "room for every slot");

int bus_domain_new(sd_bus *bus, Manager *m, bool use_polkit, BusDomain **ret) {
        _cleanup_(bus_domain_freep) BusDomain *b = calloc(1, sizeof *b);
        int r;

        if (!b)
                return -ENOMEM;
        b->bus = sd_bus_ref(bus);
        b->manager = m;
        r = use_polkit ? bus_polkit_new(&b->polkit) : 0;
        if (r < 0)
                return r;

        for (size_t i = 0; i < ELEMENTSOF(domain_interfaces); i++) {
                r = sd_bus_add_fallback_vtable(bus, &b->slots[b->n_slots], DOMAIN_PATH_PREFIX,
                                               domain_interfaces[i].interface, domain_interfaces[i].vtable,
                                               domain_interfaces[i].find, b);
                if (r < 0)
                        return r;
                b->n_slots++;
        }
        r = sd_bus_add_node_enumerator(bus, &b->slots[b->n_slots], DOMAIN_PATH_PREFIX, domain_enumerate, b);
        if (r < 0)
                return r;
        b->n_slots++;
        *ret = TAKE_PTR(b);
        return 0;
}

BusDomain *bus_domain_free(BusDomain *b) {
        if (!b)
                return NULL;
        /* No call reaches b from here on. */
        for (size_t i = 0; i < b->n_slots; i++)
                b->slots[i] = sd_bus_slot_unref(b->slots[i]);
        /* Calls still waiting for polkit are denied: they need b. */
        b->polkit = bus_polkit_free(b->polkit);
        while (b->waiters) {
                Waiter *w = b->waiters;
                (void) sd_bus_reply_method_errorf(w->message, BUS_ERROR_AGENT_FAILED, "guestinfod is shutting down.");
                waiter_free(w);
        }
        sd_bus_unref(b->bus);
        free(b);
        return NULL;
}
