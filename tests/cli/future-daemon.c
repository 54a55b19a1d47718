#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "future-daemon.h"
#include "guestinfo-names.h"
#include "guestinfo-paths.h"

/* The bus object of each domain; the data is fixed, the options say how it
 * is sent. */
typedef struct FutureVm {
        const char *name;
        const char *uuid;
        const char *state;
        bool agent_connected;
        bool guest_data;
        char path[DOMAIN_OBJECT_PATH_MAX];
} FutureVm;

static FutureVm vms[] = {
        /* a state added later: shown as it is */
        { "future", FUTURE_UUID, "migrating", true, true, "" },
        { "plain", PLAIN_UUID, "shutoff", false, false, "" },
};

static FutureOptions options;

static bool is_future(const FutureVm *vm) {
        return vm == &vms[0];
}

/* ---- values ---- */

/* An entry's a{sv} of fields added later: empty, or keys of every kind,
 * containers within containers among them. */
static int append_extra(sd_bus_message *m) {
        if (!options.extras)
                return sd_bus_message_append(m, EXTRA_SIGNATURE, 0);
        return sd_bus_message_append(m, EXTRA_SIGNATURE, 11, "queueCount", "u", 4, "linkState", "s", "up", "nested",
                                     "a{sv}", 2, "deep", "a(ss)", 1, "a", "b", "inner", "v", "i", -3, "bytes", "ay", 3,
                                     1, 2, 3, "byIndex", "a{ix}", 1, 1, (int64_t) 2, "ratio", "d", 0.5, "flag", "b", 1,
                                     "path", "o", "/org/example/Future", "signature", "g", "a{sv}", "tuple", "(sai)",
                                     "x", 2, 1, 2, "family", "s", "ipv4");
}

static int append_address(sd_bus_message *m, const char *family, const char *address, uint8_t prefix) {
        return sd_bus_message_append(m, ADDRESS_SIGNATURE, family, address, prefix);
}

/* Every address of the domain's interfaces, in their order: the Network
 * entries' and the summary's. */
static int append_addresses(sd_bus_message *m, const FutureVm *vm, int nic) {
        int r = sd_bus_message_open_container(m, 'a', ADDRESS_SIGNATURE);
        if (r < 0)
                return r;
        if (is_future(vm) && (nic < 0 || nic == 0)) {
                /* a family added later, first: not taken for the IP */
                r = append_address(m, "ipx", "zz:1", 7);
                if (r >= 0)
                        r = append_address(m, "ipv4", "10.0.2.15", 24);
                if (r >= 0)
                        r = append_address(m, "ipv6", "fe80::1", 64);
        }
        if (r >= 0 && is_future(vm) && (nic < 0 || nic == 1))
                r = append_address(m, "ipv4", "172.17.0.1", 0);
        if (r >= 0 && !is_future(vm))
                r = append_address(m, "ipv4", "192.0.2.9", 24);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

static int append_interface(sd_bus_message *m, const FutureVm *vm, int nic, const char *name,
                            const char *interface_name, const char *mac, const char *source1, const char *source2) {
        int r = sd_bus_message_open_container(m, 'r', INTERFACE_FIELDS);
        if (r >= 0)
                r = sd_bus_message_append(m, "sss", name, interface_name, mac);
        if (r >= 0)
                r = append_addresses(m, vm, nic);
        if (r >= 0)
                r = source2 ? sd_bus_message_append(m, "as", 2, source1, source2)
                            : sd_bus_message_append(m, "as", 1, source1);
        if (r >= 0)
                r = append_extra(m);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

static int append_interfaces(sd_bus_message *m, const FutureVm *vm) {
        int r = sd_bus_message_open_container(m, 'a', INTERFACE_SIGNATURE);
        if (r >= 0 && is_future(vm)) {
                r = append_interface(m, vm, 0, "net0", "eth0", "52:54:00:00:00:01", "domain", "guest-agent");
                /* guest-only, from a source added later */
                if (r >= 0)
                        r = append_interface(m, vm, 1, "", "docker0", "02:42:00:00:00:01", "guest-agent",
                                             "hypervisor-probe");
        } else if (r >= 0)
                r = append_interface(m, vm, 0, "net0", "", "52:54:00:00:00:02", "domain", NULL);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

static int append_user(sd_bus_message *m, const char *name, const char *domain, uint64_t login_usec) {
        int r = sd_bus_message_open_container(m, 'r', USER_FIELDS);
        if (r >= 0)
                r = sd_bus_message_append(m, "sst", name, domain, login_usec);
        if (r >= 0)
                r = append_extra(m);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

static int append_users(sd_bus_message *m) {
        int r = sd_bus_message_open_container(m, 'a', USER_SIGNATURE);
        if (r >= 0)
                r = append_user(m, "alice", "", 1700000000250000ULL);
        /* 0: not known; past the year 9999: no time a clock shows */
        if (r >= 0)
                r = append_user(m, "bob", "CORP", 0);
        if (r >= 0)
                r = append_user(m, "carol", "", UINT64_MAX);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

static int append_filesystems(sd_bus_message *m) {
        int r = sd_bus_message_open_container(m, 'a', FILESYSTEM_SIGNATURE);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'r', FILESYSTEM_FIELDS);
        if (r >= 0)
                r = sd_bus_message_append(m, "ssstt", "vda1", "/", "ext4", (uint64_t) 1073741824,
                                          (uint64_t) 4294967296);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', FILESYSTEM_DISK_SIGNATURE);
        for (int i = 0; r >= 0 && i < 2; i++) {
                r = sd_bus_message_open_container(m, 'r', FILESYSTEM_DISK_FIELDS);
                if (r >= 0)
                        r = sd_bus_message_append(m, "ss", i ? "" : "SER1", i ? "scsi" : "virtio");
                if (r >= 0)
                        r = append_extra(m);
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
        return sd_bus_message_close_container(m);
}

/* ---- Manager ---- */

static FutureVm *vm_by_name(const char *name) {
        for (size_t i = 0; i < sizeof vms / sizeof *vms; i++)
                if (strcmp(vms[i].name, name) == 0)
                        return &vms[i];
        return NULL;
}

static FutureVm *vm_by_uuid(const char *uuid) {
        char path[DOMAIN_OBJECT_PATH_MAX];
        if (domain_path_from_uuid(uuid, path) < 0)
                return NULL;
        for (size_t i = 0; i < sizeof vms / sizeof *vms; i++)
                if (strcmp(vms[i].path, path) == 0)
                        return &vms[i];
        return NULL;
}

static int method_get_domain_by_name(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *name;
        int r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        /* the standard error, as 1.0 gives it */
        if (!name[0] || strlen(name) > 1024)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Domain name is longer than 1024 bytes.");
        FutureVm *vm = vm_by_name(name);
        if (!vm)
                return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_DOMAIN, "No domain named '%s'.", name);
        return sd_bus_reply_method_return(m, "o", vm->path);
}

static int method_get_domain_by_uuid(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *uuid;
        int r = sd_bus_message_read(m, "s", &uuid);
        if (r < 0)
                return r;
        FutureVm *vm = vm_by_uuid(uuid);
        if (!vm)
                return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_DOMAIN, "No domain with UUID '%s'.", uuid);
        return sd_bus_reply_method_return(m, "o", vm->path);
}

static int method_list_domains(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', DOMAIN_ENTRY_SIGNATURE);
        for (size_t i = 0; r >= 0 && i < sizeof vms / sizeof *vms; i++)
                r = sd_bus_message_append(reply, DOMAIN_ENTRY_SIGNATURE, vms[i].name, vms[i].uuid, vms[i].path);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

static int method_list_summaries(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', SUMMARY_SIGNATURE);
        for (size_t i = 0; r >= 0 && i < sizeof vms / sizeof *vms; i++) {
                const FutureVm *vm = &vms[i];
                r = sd_bus_message_open_container(reply, 'r', SUMMARY_FIELDS);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "osssbbss", vm->path, vm->name, vm->uuid, vm->state,
                                                  vm->agent_connected, vm->guest_data,
                                                  vm->guest_data ? "Debian GNU/Linux 12 (bookworm)" : "",
                                                  vm->guest_data ? "future.example" : "");
                if (r >= 0)
                        r = append_addresses(reply, vm, -1);
                if (r >= 0)
                        r = append_extra(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

static int get_manager(sd_bus *bus, const char *path, const char *interface, const char *property,
                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        if (strcmp(property, "Connected") == 0)
                return sd_bus_message_append(reply, "b", 1);
        return sd_bus_message_append(reply, "u", (uint32_t) (sizeof vms / sizeof *vms));
}

/* sd-bus takes one vtable per interface and object: one with
 * ListSummaries, one without. */
#define MANAGER_MEMBERS                                                                                                \
        SD_BUS_PROPERTY("Connected", "b", get_manager, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),                        \
                SD_BUS_PROPERTY("DomainCount", "u", get_manager, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),              \
                SD_BUS_METHOD(METHOD_LIST_DOMAINS, "", "a" DOMAIN_ENTRY_SIGNATURE, method_list_domains, 0),            \
                SD_BUS_METHOD(METHOD_GET_DOMAIN_BY_NAME, "s", "o", method_get_domain_by_name, 0),                      \
                SD_BUS_METHOD(METHOD_GET_DOMAIN_BY_UUID, "s", "o", method_get_domain_by_uuid, 0)

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        MANAGER_MEMBERS,
        SD_BUS_METHOD(METHOD_LIST_SUMMARIES, "", "a" SUMMARY_SIGNATURE, method_list_summaries, 0),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable manager_without_summaries_vtable[] = {
        SD_BUS_VTABLE_START(0),
        MANAGER_MEMBERS,
        SD_BUS_VTABLE_END,
};

/* ---- a domain ---- */

static int get_domain(sd_bus *bus, const char *path, const char *interface, const char *property, sd_bus_message *reply,
                      void *userdata, sd_bus_error *error) {
        const FutureVm *vm = userdata;
        bool future = is_future(vm);

        if (strcmp(property, "Name") == 0)
                return sd_bus_message_append(reply, "s", vm->name);
        if (strcmp(property, "UUID") == 0)
                return sd_bus_message_append(reply, "s", vm->uuid);
        if (strcmp(property, "State") == 0)
                return sd_bus_message_append(reply, "s", vm->state);
        if (strcmp(property, "Persistent") == 0)
                return sd_bus_message_append(reply, "b", 1);
        if (strcmp(property, "Id") == 0)
                return sd_bus_message_append(reply, "i", future ? 7 : -1);
        if (strcmp(property, "AgentConnected") == 0)
                return sd_bus_message_append(reply, "b", vm->agent_connected);
        if (strcmp(property, "AgentLastTransitionTime") == 0)
                return sd_bus_message_append(reply, "t", future ? UINT64_C(1700000100000000) : UINT64_C(0));
        if (strcmp(property, "AgentLastProbeTime") == 0)
                return sd_bus_message_append(reply, "t", future ? UINT64_C(1700000200000000) : UINT64_C(0));
        if (strcmp(property, "AgentVersion") == 0)
                return sd_bus_message_append(reply, "s", future ? "9.9.9" : "");
        if (strcmp(property, PROPERTY_AGENT_SUPPORTED_COMMANDS) == 0)
                return future ? sd_bus_message_append(reply, "a" AGENT_COMMAND_SIGNATURE, 2, "guest-info", 1,
                                                      "guest-future-command", 0)
                              : sd_bus_message_append(reply, "a" AGENT_COMMAND_SIGNATURE, 0);
        /* a property added later */
        return append_extra(reply);
}

static int get_network(sd_bus *bus, const char *path, const char *interface, const char *property,
                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return append_interfaces(reply, userdata);
}

static int get_os(sd_bus *bus, const char *path, const char *interface, const char *property, sd_bus_message *reply,
                  void *userdata, sd_bus_error *error) {
        static const struct {
                const char *name, *value;
        } strings[] = {
                { "OperatingSystemId", "debian" },
                { "OperatingSystemName", "Debian GNU/Linux" },
                { "OperatingSystemPrettyName", "Debian GNU/Linux 12 (bookworm)" },
                { "OperatingSystemVersion", "12 (bookworm)" },
                { "OperatingSystemVersionId", "12" },
                { "KernelRelease", "6.1.0-18-amd64" },
                { "KernelVersion", "#1 SMP Debian 6.1.76-1" },
                { "Machine", "x86_64" },
                { "OperatingSystemVariant", "" },
                { "OperatingSystemVariantId", "" },
                { "Hostname", "future.example" },
                { "TimezoneName", "JST" },
                /* added later */
                { "OperatingSystemCodename", "bookworm" },
        };
        if (strcmp(property, "TimezoneOffset") == 0)
                return sd_bus_message_append(reply, "i", 32400);
        if (strcmp(property, "OperatingSystemSupportEnd") == 0)
                return sd_bus_message_append(reply, "t", UINT64_C(1780000000000000));
        for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
                if (strcmp(property, strings[i].name) == 0)
                        return sd_bus_message_append(reply, "s", strings[i].value);
        return -ENOENT;
}

static int get_users(sd_bus *bus, const char *path, const char *interface, const char *property, sd_bus_message *reply,
                     void *userdata, sd_bus_error *error) {
        if (strcmp(property, "UserCount") == 0)
                return sd_bus_message_append(reply, "u", 3);
        return append_users(reply);
}

static int get_filesystems(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        if (strcmp(property, "FilesystemCount") == 0)
                return sd_bus_message_append(reply, "u", 1);
        return append_filesystems(reply);
}

/* ListUsers, ListFilesystems: the whole list, as the property has it. */
static int method_list(sd_bus_message *m, int (*append)(sd_bus_message *)) {
        sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = append(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

static int method_list_users(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return method_list(m, append_users);
}

static int method_list_filesystems(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return method_list(m, append_filesystems);
}

#define PROPERTY(name, signature, getter) SD_BUS_PROPERTY(name, signature, getter, 0, 0)

#define DOMAIN_MEMBERS                                                                                                 \
        PROPERTY("Name", "s", get_domain), PROPERTY("UUID", "s", get_domain), PROPERTY("State", "s", get_domain),      \
                PROPERTY("Persistent", "b", get_domain), PROPERTY("Id", "i", get_domain),                              \
                PROPERTY("AgentConnected", "b", get_domain), PROPERTY("AgentLastTransitionTime", "t", get_domain),     \
                PROPERTY("AgentLastProbeTime", "t", get_domain), PROPERTY("AgentVersion", "s", get_domain),            \
                SD_BUS_PROPERTY(PROPERTY_AGENT_SUPPORTED_COMMANDS, "a" AGENT_COMMAND_SIGNATURE, get_domain, 0,         \
                                SD_BUS_VTABLE_PROPERTY_EXPLICIT)

static const sd_bus_vtable domain_vtable[] = {
        SD_BUS_VTABLE_START(0),
        DOMAIN_MEMBERS,
        SD_BUS_VTABLE_END,
};

/* What a later Domain interface may add: a property of a type no client reads. */
static const sd_bus_vtable domain_later_vtable[] = {
        SD_BUS_VTABLE_START(0),
        DOMAIN_MEMBERS,
        PROPERTY("AgentFuture", EXTRA_SIGNATURE, get_domain),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable network_vtable[] = {
        SD_BUS_VTABLE_START(0),
        PROPERTY("Interfaces", "a" INTERFACE_SIGNATURE, get_network),
        SD_BUS_VTABLE_END,
};

#define OS_MEMBERS                                                                                                     \
        PROPERTY("OperatingSystemId", "s", get_os), PROPERTY("OperatingSystemName", "s", get_os),                      \
                PROPERTY("OperatingSystemPrettyName", "s", get_os), PROPERTY("OperatingSystemVersion", "s", get_os),   \
                PROPERTY("OperatingSystemVersionId", "s", get_os), PROPERTY("KernelRelease", "s", get_os),             \
                PROPERTY("KernelVersion", "s", get_os), PROPERTY("Machine", "s", get_os),                              \
                PROPERTY("OperatingSystemVariant", "s", get_os), PROPERTY("OperatingSystemVariantId", "s", get_os),    \
                PROPERTY("Hostname", "s", get_os), PROPERTY("TimezoneName", "s", get_os),                              \
                PROPERTY("TimezoneOffset", "i", get_os)

static const sd_bus_vtable os_vtable[] = {
        SD_BUS_VTABLE_START(0),
        OS_MEMBERS,
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable os_later_vtable[] = {
        SD_BUS_VTABLE_START(0),
        OS_MEMBERS,
        PROPERTY("OperatingSystemCodename", "s", get_os),
        PROPERTY("OperatingSystemSupportEnd", "t", get_os),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable users_vtable[] = {
        SD_BUS_VTABLE_START(0),
        PROPERTY("Users", "a" USER_SIGNATURE, get_users),
        PROPERTY("UserCount", "u", get_users),
        SD_BUS_METHOD(METHOD_LIST_USERS, "", "a" USER_SIGNATURE, method_list_users, 0),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable filesystems_vtable[] = {
        SD_BUS_VTABLE_START(0),
        PROPERTY("Filesystems", "a" FILESYSTEM_SIGNATURE, get_filesystems),
        PROPERTY("FilesystemCount", "u", get_filesystems),
        SD_BUS_METHOD(METHOD_LIST_FILESYSTEMS, "", "a" FILESYSTEM_SIGNATURE, method_list_filesystems, 0),
        SD_BUS_VTABLE_END,
};

/* An interface added later, on a domain with guest data. */
static const sd_bus_vtable later_vtable[] = {
        SD_BUS_VTABLE_START(0),
        PROPERTY("Anything", EXTRA_SIGNATURE, get_domain),
        SD_BUS_VTABLE_END,
};

#define LATER_INTERFACE INTERFACE_PREFIX "Later"

/* ---- serving ---- */

static int register_vm(sd_bus *bus, FutureVm *vm) {
        int r = sd_bus_add_object_vtable(bus, NULL, vm->path, DOMAIN_INTERFACE,
                                         options.extras ? domain_later_vtable : domain_vtable, vm);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, vm->path, NETWORK_INTERFACE, network_vtable, vm);
        if (r < 0 || !vm->guest_data)
                return r;
        r = sd_bus_add_object_vtable(bus, NULL, vm->path, OS_INTERFACE, options.extras ? os_later_vtable : os_vtable,
                                     vm);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, vm->path, USERS_INTERFACE, users_vtable, vm);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, vm->path, FILESYSTEMS_INTERFACE, filesystems_vtable, vm);
        if (r >= 0 && options.extras)
                r = sd_bus_add_object_vtable(bus, NULL, vm->path, LATER_INTERFACE, later_vtable, vm);
        return r;
}

static void *serve(void *userdata) {
        FutureDaemon *f = userdata;
        while (!atomic_load(&f->stop)) {
                int r = sd_bus_process(f->bus, NULL);
                if (r < 0)
                        break;
                if (r == 0 && sd_bus_wait(f->bus, 50 * 1000) < 0)
                        break;
        }
        return NULL;
}

int future_daemon_start(FutureDaemon *f, FutureOptions o) {
        int r;

        *f = (FutureDaemon){};
        options = o;
        for (size_t i = 0; i < sizeof vms / sizeof *vms; i++)
                if (domain_path_from_uuid(vms[i].uuid, vms[i].path) < 0)
                        return -EINVAL;
        r = sd_bus_open_user(&f->bus);
        if (r >= 0)
                r = sd_bus_add_object_vtable(f->bus, NULL, MANAGER_PATH, MANAGER_INTERFACE,
                                             o.no_summaries ? manager_without_summaries_vtable : manager_vtable, NULL);
        if (r >= 0)
                r = sd_bus_add_object_manager(f->bus, NULL, MANAGER_PATH);
        for (size_t i = 0; r >= 0 && i < sizeof vms / sizeof *vms; i++)
                r = register_vm(f->bus, &vms[i]);
        if (r >= 0)
                r = sd_bus_request_name(f->bus, BUS_NAME, 0);
        if (r >= 0)
                r = -pthread_create(&f->thread, NULL, serve, f);
        if (r < 0) {
                future_daemon_stop(f);
                return r;
        }
        f->running = true;
        return 0;
}

void future_daemon_stop(FutureDaemon *f) {
        if (f->running) {
                atomic_store(&f->stop, true);
                pthread_join(f->thread, NULL);
                f->running = false;
        }
        if (f->bus)
                (void) sd_bus_release_name(f->bus, BUS_NAME);
        f->bus = sd_bus_flush_close_unref(f->bus);
}
