#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "guestinfo-names.h"
#include "vm-data.h"

/* ---- freeing ---- */

static void strv_free(char **l) {
        for (char **p = l; p && *p; p++)
                free(*p);
        free(l);
}

static void free_commands(Vm *vm) {
        for (size_t i = 0; i < vm->n_commands; i++)
                free(vm->commands[i].name);
        free(vm->commands);
        vm->commands = NULL;
        vm->n_commands = 0;
}

static void free_addresses(VmAddress *a, size_t n) {
        for (size_t i = 0; i < n; i++)
                vm_address_done(&a[i]);
        free(a);
}

static void free_interfaces(Vm *vm) {
        for (size_t i = 0; i < vm->n_interfaces; i++) {
                VmInterface *e = &vm->interfaces[i];
                free(e->name), free(e->interface_name), free(e->mac);
                free_addresses(e->addresses, e->n_addresses);
                strv_free(e->sources);
        }
        free(vm->interfaces);
        vm->interfaces = NULL;
        vm->n_interfaces = 0;
}

static void free_kind_status(Vm *vm) {
        for (size_t i = 0; i < vm->n_kind_status; i++)
                free(vm->kind_status[i].kind), free(vm->kind_status[i].state), free(vm->kind_status[i].message);
        free(vm->kind_status);
        vm->kind_status = NULL;
        vm->n_kind_status = 0;
}

static void free_users(Vm *vm) {
        for (size_t i = 0; i < vm->n_users; i++)
                free(vm->users[i].name), free(vm->users[i].domain);
        free(vm->users);
        vm->users = NULL;
        vm->n_users = 0;
}

static void free_filesystems(Vm *vm) {
        for (size_t i = 0; i < vm->n_filesystems; i++) {
                VmFilesystem *f = &vm->filesystems[i];
                free(f->disk_name), free(f->mount_point), free(f->type);
                for (size_t k = 0; k < f->n_disks; k++)
                        free(f->disks[k].serial), free(f->disks[k].bus_type);
                free(f->disks);
        }
        free(vm->filesystems);
        vm->filesystems = NULL;
        vm->n_filesystems = 0;
}

static void counter_set_done(VmCounterSet *s) {
        for (size_t i = 0; i < s->n_items; i++)
                free(s->items[i].key);
        free(s->items);
        free(s->name);
        *s = (VmCounterSet){};
}

static void free_counters(Vm *vm) {
        vm->counter_cpus = vm->counter_nics_reported = vm->counter_disks_reported = 0;
        for (size_t i = 0; i < vm->n_nic_counters; i++)
                counter_set_done(&vm->nic_counters[i]);
        for (size_t i = 0; i < vm->n_disk_counters; i++)
                counter_set_done(&vm->disk_counters[i]);
        free(vm->nic_counters), free(vm->disk_counters);
        counter_set_done(&vm->cpu_counters);
        vm->nic_counters = vm->disk_counters = NULL;
        vm->n_nic_counters = vm->n_disk_counters = 0;
}

uint64_t vm_counter(const VmCounterSet *set, const char *key) {
        for (size_t i = 0; set && i < set->n_items; i++)
                if (streq(set->items[i].key, key))
                        return set->items[i].value;
        return UINT64_MAX;
}

static void free_guest_disks(Vm *vm) {
        for (size_t i = 0; i < vm->n_guest_disks; i++) {
                VmGuestDisk *d = &vm->guest_disks[i];
                free(d->name), free(d->serial), free(d->bus), free(d->target), free(d->source);
                strv_free(d->dependencies);
        }
        free(vm->guest_disks);
        vm->guest_disks = NULL;
        vm->n_guest_disks = 0;
}

void vm_drop_lists(Vm *vm) {
        free_commands(vm);
        free_interfaces(vm);
        free_users(vm);
        free_guest_disks(vm);
        free_counters(vm);
        free_addresses(vm->addresses, vm->n_addresses);
        vm->addresses = NULL;
        vm->n_addresses = 0;
        for (size_t i = 0; i < vm->n_filesystems; i++) {
                VmFilesystem *f = &vm->filesystems[i];
                for (size_t k = 0; k < f->n_disks; k++)
                        free(f->disks[k].serial), free(f->disks[k].bus_type);
                free(f->disks);
                f->disks = NULL;
                f->n_disks = 0;
        }
}

void vm_done(Vm *vm) {
        char **strings[] = {
                &vm->path,           &vm->name,           &vm->uuid,           &vm->state,      &vm->agent_version,
                &vm->os_id,          &vm->os_name,        &vm->os_pretty_name, &vm->os_version, &vm->os_version_id,
                &vm->kernel_release, &vm->kernel_version, &vm->machine,        &vm->os_variant, &vm->os_variant_id,
                &vm->hostname,       &vm->timezone_name,  &vm->data_reason,    &vm->fsfreeze,
        };
        for (size_t i = 0; i < ELEMENTSOF(strings); i++)
                free(*strings[i]);
        free_commands(vm);
        free_kind_status(vm);
        free_interfaces(vm);
        free_users(vm);
        free_filesystems(vm);
        free_guest_disks(vm);
        free_counters(vm);
        free_addresses(vm->addresses, vm->n_addresses);
        *vm = (Vm){};
}

void vm_free_many(Vm *vms, size_t n) {
        for (size_t i = 0; i < n; i++)
                vm_done(&vms[i]);
        free(vms);
}

/* ---- reading ---- */

/* Appends one zeroed element; NULL when out of memory. */
static void *grow(void **array, size_t *n, size_t size) {
        char *a = realloc(*array, (*n + 1) * size);
        if (!a)
                return NULL;
        *array = a;
        memset(a + *n * size, 0, size);
        return a + (*n)++ * size;
}

static int set_string(char **field, const char *s) {
        char *copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

typedef int (*PropertyReader)(sd_bus_message *m, Vm *vm, size_t offset);

typedef struct Property {
        const char *name;
        const char *signature;
        PropertyReader read;
        size_t offset; /* of the field in Vm, for the basic types */
} Property;

static int read_string(sd_bus_message *m, Vm *vm, size_t offset) {
        const char *s;
        int r = sd_bus_message_read_basic(m, 's', &s);
        return r < 0 ? r : set_string((char **) ((char *) vm + offset), s);
}

/* b, i, u, t: sd-bus writes an int, int32_t, uint32_t, uint64_t. */
#define DEFINE_BASIC_READER(fname, type)                                                                               \
        static int fname(sd_bus_message *m, Vm *vm, size_t offset) {                                                   \
                return sd_bus_message_read_basic(m, type, (char *) vm + offset);                                       \
        }
DEFINE_BASIC_READER(read_bool, 'b')
DEFINE_BASIC_READER(read_int32, 'i')
DEFINE_BASIC_READER(read_uint32, 'u')
DEFINE_BASIC_READER(read_uint64, 't')
DEFINE_BASIC_READER(read_int64, 'x')

static int read_commands(sd_bus_message *m, Vm *vm, size_t offset) {
        const char *name;
        int enabled, r;

        free_commands(vm);
        r = sd_bus_message_enter_container(m, 'a', AGENT_COMMAND_SIGNATURE);
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, AGENT_COMMAND_SIGNATURE, &name, &enabled)) > 0) {
                VmCommand *c = grow((void **) &vm->commands, &vm->n_commands, sizeof *c);
                if (!c || !(c->name = strdup(name)))
                        return -ENOMEM;
                c->enabled = enabled;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

/* The entry's trailing a{sv} of fields added later: none is known here, so
 * every key, of whatever type, is skipped. */
static int skip_extra(sd_bus_message *m) {
        return sd_bus_message_skip(m, EXTRA_SIGNATURE);
}

/* An a(ssy) of addresses, appended to *addresses. */
static int read_addresses(sd_bus_message *m, VmAddress **addresses, size_t *n) {
        const char *family, *address;
        uint8_t prefix;
        int r;

        r = sd_bus_message_enter_container(m, 'a', ADDRESS_SIGNATURE);
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, ADDRESS_SIGNATURE, &family, &address, &prefix)) > 0) {
                VmAddress *a = grow((void **) addresses, n, sizeof *a);
                if (!a || set_string(&a->family, family) < 0 || set_string(&a->address, address) < 0)
                        return -ENOMEM;
                a->prefix = prefix;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int read_interfaces(sd_bus_message *m, Vm *vm, size_t offset) {
        const char *name, *interface_name, *mac;
        int r;

        free_interfaces(vm);
        r = sd_bus_message_enter_container(m, 'a', INTERFACE_SIGNATURE);
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'r', INTERFACE_FIELDS)) > 0) {
                VmInterface *e = grow((void **) &vm->interfaces, &vm->n_interfaces, sizeof *e);
                if (!e)
                        return -ENOMEM;
                r = sd_bus_message_read(m, "sss", &name, &interface_name, &mac);
                if (r < 0)
                        return r;
                if (set_string(&e->name, name) < 0 || set_string(&e->interface_name, interface_name) < 0 ||
                    set_string(&e->mac, mac) < 0)
                        return -ENOMEM;
                r = read_addresses(m, &e->addresses, &e->n_addresses);
                if (r < 0)
                        return r;
                r = sd_bus_message_read_strv(m, &e->sources);
                if (r < 0)
                        return r;
                while (e->sources && e->sources[e->n_sources])
                        e->n_sources++;
                r = skip_extra(m);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int read_users(sd_bus_message *m, Vm *vm, size_t offset) {
        const char *name, *domain;
        uint64_t login;
        int r;

        free_users(vm);
        r = sd_bus_message_enter_container(m, 'a', USER_SIGNATURE);
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'r', USER_FIELDS)) > 0) {
                VmUser *u = grow((void **) &vm->users, &vm->n_users, sizeof *u);
                if (!u)
                        return -ENOMEM;
                r = sd_bus_message_read(m, "sst", &name, &domain, &login);
                if (r < 0)
                        return r;
                if (set_string(&u->name, name) < 0 || set_string(&u->domain, domain) < 0)
                        return -ENOMEM;
                u->login_usec = login;
                r = skip_extra(m);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int read_filesystems(sd_bus_message *m, Vm *vm, size_t offset) {
        const char *disk, *mount, *type, *serial, *bus_type;
        int r;

        free_filesystems(vm);
        r = sd_bus_message_enter_container(m, 'a', FILESYSTEM_SIGNATURE);
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'r', FILESYSTEM_FIELDS)) > 0) {
                VmFilesystem *f = grow((void **) &vm->filesystems, &vm->n_filesystems, sizeof *f);
                if (!f)
                        return -ENOMEM;
                r = sd_bus_message_read(m, "ssstt", &disk, &mount, &type, &f->used_bytes, &f->total_bytes);
                if (r < 0)
                        return r;
                if (set_string(&f->disk_name, disk) < 0 || set_string(&f->mount_point, mount) < 0 ||
                    set_string(&f->type, type) < 0)
                        return -ENOMEM;
                r = sd_bus_message_enter_container(m, 'a', FILESYSTEM_DISK_SIGNATURE);
                if (r < 0)
                        return r;
                while ((r = sd_bus_message_enter_container(m, 'r', FILESYSTEM_DISK_FIELDS)) > 0) {
                        VmDisk *d = grow((void **) &f->disks, &f->n_disks, sizeof *d);
                        if (!d)
                                return -ENOMEM;
                        r = sd_bus_message_read(m, "ss", &serial, &bus_type);
                        if (r < 0)
                                return r;
                        if (set_string(&d->serial, serial) < 0 || set_string(&d->bus_type, bus_type) < 0)
                                return -ENOMEM;
                        r = skip_extra(m);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m); /* the disks */
                if (r >= 0)
                        r = skip_extra(m);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int read_guest_disks(sd_bus_message *m, Vm *vm, size_t offset) {
        const char *name, *serial, *bus, *target, *source;
        int partition, r;

        free_guest_disks(vm);
        r = sd_bus_message_enter_container(m, 'a', DISK_SIGNATURE);
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'r', DISK_FIELDS)) > 0) {
                VmGuestDisk *d = grow((void **) &vm->guest_disks, &vm->n_guest_disks, sizeof *d);
                if (!d)
                        return -ENOMEM;
                r = sd_bus_message_read(m, "sb", &name, &partition);
                if (r >= 0)
                        r = sd_bus_message_read_strv(m, &d->dependencies);
                if (r >= 0)
                        r = sd_bus_message_read(m, "ssss", &serial, &bus, &target, &source);
                if (r < 0)
                        return r;
                d->partition = partition;
                if (set_string(&d->name, name) < 0 || set_string(&d->serial, serial) < 0 ||
                    set_string(&d->bus, bus) < 0 || set_string(&d->target, target) < 0 ||
                    set_string(&d->source, source) < 0)
                        return -ENOMEM;
                r = skip_extra(m);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

/* An a{st} of counters into s. */
static int read_counter_values(sd_bus_message *m, VmCounterSet *s) {
        const char *key;
        uint64_t value;
        int r = sd_bus_message_enter_container(m, 'a', "{st}");
        while (r >= 0 && (r = sd_bus_message_read(m, "{st}", &key, &value)) > 0) {
                VmCounter *c = grow((void **) &s->items, &s->n_items, sizeof *c);
                if (!c || set_string(&c->key, key) < 0)
                        return -ENOMEM;
                c->value = value;
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int read_counter_list(sd_bus_message *m, VmCounterSet **sets, size_t *n) {
        const char *name;
        int r = sd_bus_message_enter_container(m, 'a', COUNTER_ENTRY_SIGNATURE);
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'r', COUNTER_ENTRY_FIELDS)) > 0) {
                VmCounterSet *s = grow((void **) sets, n, sizeof *s);
                if (!s)
                        return -ENOMEM;
                r = sd_bus_message_read(m, "s", &name);
                if (r >= 0 && set_string(&s->name, name) < 0)
                        r = -ENOMEM;
                if (r >= 0)
                        r = read_counter_values(m, s);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

/* GetCounters' reply: NICs, CPUs, disks, more. */
static int read_counters(sd_bus_message *m, Vm *vm, size_t offset) {
        const char *key;
        free_counters(vm);
        int r = read_counter_list(m, &vm->nic_counters, &vm->n_nic_counters);
        if (r >= 0)
                r = read_counter_values(m, &vm->cpu_counters);
        if (r >= 0)
                r = read_counter_list(m, &vm->disk_counters, &vm->n_disk_counters);
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', EXTRA_ENTRY_SIGNATURE);
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &key);
                if (r >= 0 && streq(key, "CpuCount") && sd_bus_message_verify_type(m, 'v', "u") > 0)
                        r = sd_bus_message_read(m, "v", "u", &vm->counter_cpus);
                else if (r >= 0 && streq(key, "NicCount") && sd_bus_message_verify_type(m, 'v', "u") > 0)
                        r = sd_bus_message_read(m, "v", "u", &vm->counter_nics_reported);
                else if (r >= 0 && streq(key, "DiskCount") && sd_bus_message_verify_type(m, 'v', "u") > 0)
                        r = sd_bus_message_read(m, "v", "u", &vm->counter_disks_reported);
                else if (r >= 0)
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int read_vcpus(sd_bus_message *m, Vm *vm, size_t offset) {
        int r = sd_bus_message_enter_container(m, 'r', VCPUS_FIELDS);
        if (r >= 0)
                r = sd_bus_message_read(m, "uuu", &vm->vcpus_configured, &vm->vcpus_online, &vm->vcpus_offlinable);
        if (r >= 0)
                r = skip_extra(m);
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int read_load_average(sd_bus_message *m, Vm *vm, size_t offset) {
        int r = sd_bus_message_read(m, LOAD_AVERAGE_SIGNATURE, &vm->load[0], &vm->load[1], &vm->load[2]);
        return r < 0 ? r : 0;
}

static int read_kind_status(sd_bus_message *m, Vm *vm, size_t offset) {
        const char *kind, *state, *message;
        uint64_t collected;
        int r;

        free_kind_status(vm);
        r = sd_bus_message_enter_container(m, 'a', KIND_STATUS_SIGNATURE);
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'r', KIND_STATUS_FIELDS)) > 0) {
                r = sd_bus_message_read(m, "ssts", &kind, &state, &collected, &message);
                if (r < 0)
                        return r;
                VmKindStatus *k = grow((void **) &vm->kind_status, &vm->n_kind_status, sizeof *k);
                if (!k || set_string(&k->kind, kind) < 0 || set_string(&k->state, state) < 0 ||
                    set_string(&k->message, message) < 0)
                        return -ENOMEM;
                k->collected_usec = collected;
                r = skip_extra(m);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

#define FIELD(name, sig, reader, member)                                                                               \
        { name, sig, reader, offsetof(Vm, member) }
#define LIST(name, sig, reader)                                                                                        \
        { name, sig, reader, 0 }

static const Property domain_properties[] = {
        FIELD("Name", "s", read_string, name),
        FIELD("UUID", "s", read_string, uuid),
        FIELD("State", "s", read_string, state),
        FIELD("Persistent", "b", read_bool, persistent),
        FIELD("Id", "i", read_int32, id),
        FIELD("AgentConnected", "b", read_bool, agent_connected),
        FIELD("AgentLastTransitionTime", "t", read_uint64, agent_transition_usec),
        FIELD("AgentLastProbeTime", "t", read_uint64, agent_probe_usec),
        FIELD("AgentVersion", "s", read_string, agent_version),
        LIST(PROPERTY_AGENT_SUPPORTED_COMMANDS, "a" AGENT_COMMAND_SIGNATURE, read_commands),
        LIST(PROPERTY_GUEST_DATA_STATUS, "a" KIND_STATUS_SIGNATURE, read_kind_status),
        FIELD(PROPERTY_GUEST_DATA_REASON, "s", read_string, data_reason),
        FIELD(PROPERTY_FS_FREEZE_STATUS, "s", read_string, fsfreeze),
        {},
};

static const Property network_properties[] = {
        LIST("Interfaces", "a" INTERFACE_SIGNATURE, read_interfaces),
        {},
};

static const Property os_properties[] = {
        FIELD("OperatingSystemId", "s", read_string, os_id),
        FIELD("OperatingSystemName", "s", read_string, os_name),
        FIELD("OperatingSystemPrettyName", "s", read_string, os_pretty_name),
        FIELD("OperatingSystemVersion", "s", read_string, os_version),
        FIELD("OperatingSystemVersionId", "s", read_string, os_version_id),
        FIELD("KernelRelease", "s", read_string, kernel_release),
        FIELD("KernelVersion", "s", read_string, kernel_version),
        FIELD("Machine", "s", read_string, machine),
        FIELD("OperatingSystemVariant", "s", read_string, os_variant),
        FIELD("OperatingSystemVariantId", "s", read_string, os_variant_id),
        FIELD("Hostname", "s", read_string, hostname),
        FIELD("TimezoneName", "s", read_string, timezone_name),
        FIELD("TimezoneOffset", "i", read_int32, timezone_offset),
        LIST("Vcpus", VCPUS_SIGNATURE, read_vcpus),
        LIST("LoadAverage", LOAD_AVERAGE_SIGNATURE, read_load_average),
        FIELD("ClockOffset", "x", read_int64, clock_offset_usec),
        {},
};

static const Property users_properties[] = {
        LIST("Users", "a" USER_SIGNATURE, read_users),
        FIELD("UserCount", "u", read_uint32, user_count),
        {},
};

static const Property filesystems_properties[] = {
        LIST("Filesystems", "a" FILESYSTEM_SIGNATURE, read_filesystems),
        FIELD("FilesystemCount", "u", read_uint32, filesystem_count),
        LIST("Disks", "a" DISK_SIGNATURE, read_guest_disks),
        FIELD("DiskCount", "u", read_uint32, disk_count),
        {},
};

static const Property *properties_of(const char *interface) {
        static const struct {
                const char *interface;
                const Property *properties;
        } table[] = {
                { DOMAIN_INTERFACE, domain_properties },
                { NETWORK_INTERFACE, network_properties },
                { OS_INTERFACE, os_properties },
                { USERS_INTERFACE, users_properties },
                { FILESYSTEMS_INTERFACE, filesystems_properties },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(table[i].interface, interface))
                        return table[i].properties;
        return NULL;
}

/* The a{sv} m is at, each property looked up in the tables given; returns
 * the number of properties read from the table os (may be NULL). */
static int read_properties(sd_bus_message *m, const Property *const *tables, size_t n_tables, const Property *os,
                           Vm *vm) {
        int r, n_os = 0;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const Property *p = NULL, *table = NULL;
                const char *name, *contents;

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, NULL, &contents);
                if (r < 0)
                        return r;
                for (size_t t = 0; t < n_tables && !p; t++)
                        for (const Property *q = tables[t]; q && q->name; q++)
                                if (streq(q->name, name) && streq(q->signature, contents)) {
                                        p = q;
                                        table = tables[t];
                                }
                if (p) {
                        r = sd_bus_message_enter_container(m, 'v', contents);
                        if (r >= 0)
                                r = p->read(m, vm, p->offset);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                        if (table == os)
                                n_os++;
                } else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : n_os;
}

int vm_read_properties(sd_bus_message *m, const char *interface, Vm *vm) {
        const Property *properties = properties_of(interface);
        int r = read_properties(m, &properties, 1, NULL, vm);
        return r < 0 ? r : 0;
}

static const VmAddress *first_ip(const VmAddress *a, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (vm_address_is_ip(&a[i]))
                        return &a[i];
        return NULL;
}

const VmAddress *vm_primary_address(const Vm *vm) {
        for (size_t i = 0; i < vm->n_interfaces; i++) {
                const VmAddress *a = first_ip(vm->interfaces[i].addresses, vm->interfaces[i].n_addresses);
                if (a)
                        return a;
        }
        return first_ip(vm->addresses, vm->n_addresses);
}

/* ---- loading ---- */

static int parse_failed(int r) {
        return cli_error(-EIO, "Failed to parse guestinfod's answer: %s", strerror(-r));
}

/* One object of GetManagedObjects: the a{sa{sv}} m is at. */
static int read_object(sd_bus_message *m, Vm *vm) {
        const char *interface;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                r = sd_bus_message_read(m, "s", &interface);
                if (r < 0)
                        return r;
                if (streq(interface, OS_INTERFACE))
                        vm->has_guest_data = true;
                r = properties_of(interface) ? vm_read_properties(m, interface, vm) : sd_bus_message_skip(m, "a{sv}");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int compare_by_name(const void *a, const void *b) {
        const Vm *x = a, *y = b;
        return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

/* quiet_too_big: -E2BIG, unsaid, for a LimitsExceeded answer. */
static int load_tree(BusClient *c, bool quiet_too_big, VmLoaded loaded, Vm **ret, size_t *ret_n) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Vm *vms = NULL;
        size_t n = 0;
        const char *path;
        int r;

        r = bus_client_call(c, MANAGER_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", &error, &reply,
                            NULL);
        if (r < 0 && sd_bus_error_has_name(&error, SD_BUS_ERROR_LIMITS_EXCEEDED))
                return quiet_too_big ? -E2BIG : bus_client_report_too_big(c, &error, "listed");
        if (r < 0)
                return bus_client_report(c, r, &error, NULL);

        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                r = sd_bus_message_read(reply, "o", &path);
                if (r < 0)
                        break;
                if (strncmp(path, DOMAIN_PATH_PREFIX "/", strlen(DOMAIN_PATH_PREFIX "/")) == 0) {
                        Vm *vm = grow((void **) &vms, &n, sizeof *vm);
                        r = vm ? set_string(&vm->path, path) : -ENOMEM;
                        if (r >= 0)
                                r = read_object(reply, vm);
                        if (r >= 0 && loaded)
                                loaded(vm);
                } else
                        r = sd_bus_message_skip(reply, "a{sa{sv}}");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0) {
                vm_free_many(vms, n);
                return parse_failed(r);
        }
        if (n > 0)
                qsort(vms, n, sizeof *vms, compare_by_name);
        *ret = vms;
        *ret_n = n;
        return 0;
}

/* The summary's a{sv}: GuestDataReason, and keys added later (skipped). */
static int read_summary_extra(sd_bus_message *m, Vm *vm) {
        const char *key, *contents;
        int r = sd_bus_message_enter_container(m, 'a', EXTRA_ENTRY_SIGNATURE);
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &key);
                if (r >= 0)
                        r = sd_bus_message_peek_type(m, NULL, &contents);
                if (r < 0)
                        return r;
                if (streq(key, PROPERTY_GUEST_DATA_REASON) && streq(contents, "s")) {
                        r = sd_bus_message_enter_container(m, 'v', "s");
                        if (r >= 0)
                                r = read_string(m, vm, offsetof(Vm, data_reason));
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                } else
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

/* One object's GetAll("") (every interface's properties in one a{sv}:
 * their names are unique across the object) into vm, as its answer comes.
 * The calls go out a window at a time: round trips overlap (over ssh, -H,
 * they are what costs), and the daemon never holds more than the window's
 * replies for us. */
#define EACH_WINDOW 16

typedef struct EachCall {
        struct Each *each;
        Vm *vm;
        sd_bus_slot *slot;
} EachCall;

typedef struct Each {
        BusClient *client;
        size_t pending;
        int error; /* the first failure, said */
} Each;

static int on_each_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        static const Property *const tables[] = { domain_properties, network_properties, os_properties,
                                                  users_properties, filesystems_properties };
        EachCall *call = userdata;
        Each *e = call->each;
        const sd_bus_error *error = sd_bus_message_get_error(m);
        int r;

        e->pending--;
        call->slot = sd_bus_slot_unref(call->slot);
        if (e->error < 0)
                return 0;
        if (error) {
                /* gone meanwhile: left out (no path, see vm_load_each) */
                if (bus_error_is_absent(error) || sd_bus_error_has_name(error, BUS_ERROR_NO_SUCH_DOMAIN)) {
                        vm_done(call->vm);
                        return 0;
                }
                e->error = bus_client_report(e->client, -sd_bus_error_get_errno(error), error, NULL);
                return 0;
        }
        r = read_properties(m, tables, ELEMENTSOF(tables), os_properties, call->vm);
        if (r < 0) {
                e->error = parse_failed(r);
                return 0;
        }
        /* the guest data interfaces come and go together */
        call->vm->has_guest_data = r > 0;
        return 0;
}

/* Sends the GetAll of call->vm. */
static int each_send(Each *e, EachCall *call) {
        int r = sd_bus_call_method_async(e->client->bus, &call->slot, BUS_NAME, call->vm->path,
                                         "org.freedesktop.DBus.Properties", "GetAll", on_each_reply, call, "s", "");
        if (r < 0)
                return cli_error(errno_from_exit_code(exit_code_for_error(r, NULL)), "Failed to ask guestinfod: %s",
                                 strerror(-r));
        e->pending++;
        return 0;
}

/* Runs the bus until fewer than max calls are pending. */
static int each_wait(Each *e, size_t max) {
        while (e->pending >= max && e->pending > 0) {
                int r = sd_bus_process(e->client->bus, NULL);
                if (r == 0)
                        r = sd_bus_wait(e->client->bus, UINT64_MAX); /* each call has its timeout */
                if (r < 0)
                        return cli_error(ERRNO_NOT_RUNNING, "Lost the connection to %s: %s", e->client->where,
                                         strerror(-r));
        }
        return 0;
}

static int load_each_properties(BusClient *c, Vm *vms, size_t n, VmLoaded loaded) {
        Each e = { .client = c };
        EachCall *calls = calloc(n ? n : 1, sizeof *calls);
        size_t done = 0;
        int r = 0;

        if (!calls)
                return cli_error(-ENOMEM, "Out of memory.");
        (void) sd_bus_set_method_call_timeout(c->bus, c->timeout_usec);
        for (size_t i = 0; i < n && r == 0 && e.error == 0; i++) {
                calls[i] = (EachCall){ .each = &e, .vm = &vms[i] };
                r = each_wait(&e, EACH_WINDOW);
                if (r == 0)
                        r = each_send(&e, &calls[i]);
                /* what is in can be trimmed now, in order */
                for (; loaded && done < i && !calls[done].slot; done++)
                        if (vms[done].path)
                                loaded(&vms[done]);
        }
        if (r == 0)
                r = each_wait(&e, 1);
        for (size_t i = 0; i < n; i++)
                sd_bus_slot_unref(calls[i].slot);
        for (; r == 0 && e.error == 0 && loaded && done < n; done++)
                if (vms[done].path)
                        loaded(&vms[done]);
        free(calls);
        return r < 0 ? r : e.error;
}

int vm_load_each(BusClient *c, VmLoaded loaded, Vm **ret, size_t *ret_n) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Vm *vms = NULL;
        size_t n = 0;
        const char *path;
        int r;

        r = bus_client_call(c, MANAGER_PATH, MANAGER_INTERFACE, METHOD_LIST_DOMAINS, &error, &reply, NULL);
        if (r < 0 && sd_bus_error_has_name(&error, SD_BUS_ERROR_LIMITS_EXCEEDED))
                return bus_client_report_too_big(c, &error, "listed");
        if (r < 0)
                return bus_client_report(c, r, &error, NULL);
        r = sd_bus_message_enter_container(reply, 'a', DOMAIN_ENTRY_SIGNATURE);
        while (r >= 0 && (r = sd_bus_message_read(reply, DOMAIN_ENTRY_SIGNATURE, NULL, NULL, &path)) > 0) {
                Vm *vm = grow((void **) &vms, &n, sizeof *vm);
                if (!vm || set_string(&vm->path, path) < 0) {
                        vm_free_many(vms, n);
                        return cli_error(-ENOMEM, "Out of memory.");
                }
        }
        if (r < 0) {
                vm_free_many(vms, n);
                return parse_failed(r);
        }

        /* one call per VM; the ones gone meanwhile are left out */
        r = load_each_properties(c, vms, n, loaded);
        if (r < 0) {
                vm_free_many(vms, n);
                return r;
        }
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) {
                if (!vms[i].path)
                        continue;
                if (kept != i)
                        vms[kept] = vms[i], vms[i] = (Vm){};
                kept++;
        }
        if (kept > 0)
                qsort(vms, kept, sizeof *vms, compare_by_name);
        *ret = vms;
        *ret_n = kept;
        return 0;
}

int vm_load_paths(BusClient *c, VmLoaded loaded, Vm *vms, size_t n) {
        return load_each_properties(c, vms, n, loaded);
}

/* ---- counters of many VMs ---- */

/* The guest data is published and a counter kind was collected. */
static bool has_counters(const Vm *vm) {
        static const char *const kinds[] = { "nic-counters", "cpu-counters", "disk-counters" };
        for (size_t i = 0; vm->path && vm->has_guest_data && i < vm->n_kind_status; i++)
                for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
                        if (vm->kind_status[i].collected_usec != 0 && streq(vm->kind_status[i].kind, kinds[k]))
                                return true;
        return false;
}

static int on_counters_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        EachCall *call = userdata;
        Each *e = call->each;
        const sd_bus_error *error = sd_bus_message_get_error(m);
        int r;

        e->pending--;
        call->slot = sd_bus_slot_unref(call->slot);
        if (e->error < 0)
                return 0;
        if (error) {
                /* gone meanwhile, or a guestinfod older than the method */
                if (bus_error_is_absent(error) || sd_bus_error_has_name(error, BUS_ERROR_NO_SUCH_DOMAIN) ||
                    sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_METHOD))
                        return 0;
                e->error = bus_client_report(e->client, -sd_bus_error_get_errno(error), error, call->vm->name);
                return 0;
        }
        r = read_counters(m, call->vm, 0);
        if (r < 0) {
                free_counters(call->vm);
                e->error = parse_failed(r);
        }
        return 0;
}

int vm_load_counters(BusClient *c, Vm *vms, size_t n) {
        Each e = { .client = c };
        EachCall *calls = NULL;
        size_t n_calls = 0;
        int r = 0;

        for (size_t i = 0; i < n; i++)
                n_calls += has_counters(&vms[i]);
        if (n_calls == 0)
                return 0;
        calls = calloc(n_calls, sizeof *calls);
        if (!calls)
                return cli_error(-ENOMEM, "Out of memory.");
        (void) sd_bus_set_method_call_timeout(c->bus, c->timeout_usec);
        for (size_t i = 0, k = 0; i < n && r == 0 && e.error == 0; i++) {
                if (!has_counters(&vms[i]))
                        continue;
                calls[k] = (EachCall){ .each = &e, .vm = &vms[i] };
                r = each_wait(&e, EACH_WINDOW);
                if (r == 0) {
                        r = sd_bus_call_method_async(c->bus, &calls[k].slot, BUS_NAME, vms[i].path, DOMAIN_INTERFACE,
                                                     METHOD_GET_COUNTERS, on_counters_reply, &calls[k], NULL);
                        if (r < 0)
                                r = cli_error(errno_from_exit_code(exit_code_for_error(r, NULL)),
                                              "Failed to ask guestinfod: %s", strerror(-r));
                        else {
                                e.pending++;
                                r = 0;
                        }
                }
                k++;
        }
        if (r == 0)
                r = each_wait(&e, 1);
        for (size_t k = 0; k < n_calls; k++)
                sd_bus_slot_unref(calls[k].slot);
        free(calls);
        return r < 0 ? r : e.error;
}

int vm_load_all(BusClient *c, Vm **ret, size_t *ret_n) {
        return load_tree(c, false, NULL, ret, ret_n);
}

int vm_load_tree(BusClient *c, VmLoaded loaded, Vm **ret, size_t *ret_n) {
        return load_tree(c, true, loaded, ret, ret_n);
}

/* One struct of ListSummaries into vm. */
static int read_summary(sd_bus_message *m, Vm *vm) {
        const char *path, *name, *uuid, *state, *pretty_name, *hostname;
        int agent_connected, guest_data, r;

        r = sd_bus_message_read(m, "osssbbss", &path, &name, &uuid, &state, &agent_connected, &guest_data, &pretty_name,
                                &hostname);
        if (r < 0)
                return r;
        if (set_string(&vm->path, path) < 0 || set_string(&vm->name, name) < 0 || set_string(&vm->uuid, uuid) < 0 ||
            set_string(&vm->state, state) < 0)
                return -ENOMEM;
        vm->agent_connected = agent_connected;
        vm->has_guest_data = guest_data;
        if (vm->has_guest_data &&
            (set_string(&vm->os_pretty_name, pretty_name) < 0 || set_string(&vm->hostname, hostname) < 0))
                return -ENOMEM;

        r = read_addresses(m, &vm->addresses, &vm->n_addresses);
        if (r < 0)
                return r;
        return read_summary_extra(m, vm);
}

int vm_load_summaries(BusClient *c, Vm **ret, size_t *ret_n) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Vm *vms = NULL;
        size_t n = 0;
        int r;

        r = bus_client_call(c, MANAGER_PATH, MANAGER_INTERFACE, METHOD_LIST_SUMMARIES, &error, &reply, NULL);
        /* An older guestinfod: its Manager interface has no such method. */
        if (r < 0 && sd_bus_error_has_names(&error, SD_BUS_ERROR_UNKNOWN_METHOD, SD_BUS_ERROR_UNKNOWN_INTERFACE))
                return -EOPNOTSUPP;
        if (r < 0 && sd_bus_error_has_name(&error, SD_BUS_ERROR_LIMITS_EXCEEDED))
                return bus_client_report_too_big(c, &error, "listed");
        if (r < 0)
                return bus_client_report(c, r, &error, NULL);

        r = sd_bus_message_enter_container(reply, 'a', SUMMARY_SIGNATURE);
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', SUMMARY_FIELDS)) > 0) {
                Vm *vm = grow((void **) &vms, &n, sizeof *vm);
                r = vm ? read_summary(reply, vm) : -ENOMEM;
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0) {
                vm_free_many(vms, n);
                return parse_failed(r);
        }
        if (n > 0)
                qsort(vms, n, sizeof *vms, compare_by_name);
        *ret = vms;
        *ret_n = n;
        return 0;
}

/* GetAll of one interface into vm. Returns 1 if read, 0 if the object has
 * no such interface now, or -errno having said why. */
static int load_interface(BusClient *c, const char *path, const char *interface, const char *vm_name, Vm *vm) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = bus_client_get_all(c, path, interface, &error, &reply);
        if (r < 0 && bus_error_is_absent(&error) && !streq(interface, DOMAIN_INTERFACE))
                return 0;
        if (r < 0)
                return bus_client_report(c, r, &error, vm_name);
        r = vm_read_properties(reply, interface, vm);
        if (r < 0)
                return parse_failed(r);
        return 1;
}

/* ListUsers or ListFilesystems: the full list, replacing the summary. */
static int load_list(BusClient *c, const char *path, const char *interface, const char *method, PropertyReader read,
                     const char *vm_name, Vm *vm) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = bus_client_call(c, path, interface, method, &error, &reply, NULL);
        if (r < 0 && bus_error_is_absent(&error))
                return 0;
        if (r < 0)
                return bus_client_report(c, r, &error, vm_name);
        r = read(reply, vm, 0);
        if (r < 0)
                return parse_failed(r);
        return 1;
}

/* AgentSupportedCommands: not in GetAll (it is big and rarely needed), so
 * asked for by name. */
static int load_commands(BusClient *c, const char *path, const char *vm_name, Vm *vm) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = bus_client_call(c, path, "org.freedesktop.DBus.Properties", "Get", &error, &reply, "ss", DOMAIN_INTERFACE,
                            PROPERTY_AGENT_SUPPORTED_COMMANDS);
        if (r < 0)
                return bus_client_report(c, r, &error, vm_name);
        r = sd_bus_message_enter_container(reply, 'v', "a" AGENT_COMMAND_SIGNATURE);
        if (r >= 0)
                r = read_commands(reply, vm, 0);
        if (r < 0)
                return parse_failed(r);
        return 1;
}

int vm_load(BusClient *c, const char *path, const char *vm_name, Vm *ret) {
        Vm vm = {};
        int r;

        if (set_string(&vm.path, path) < 0)
                return cli_error(-ENOMEM, "Out of memory.");
        r = load_interface(c, path, DOMAIN_INTERFACE, vm_name, &vm);
        if (r > 0)
                r = load_commands(c, path, vm_name, &vm);
        if (r > 0)
                r = load_interface(c, path, NETWORK_INTERFACE, vm_name, &vm);
        if (r >= 0)
                r = load_interface(c, path, OS_INTERFACE, vm_name, &vm);
        /* The agent may go away between two calls: then there is no guest
         * data, rather than half of it. */
        if (r > 0)
                r = load_interface(c, path, USERS_INTERFACE, vm_name, &vm);
        if (r > 0)
                r = load_list(c, path, USERS_INTERFACE, METHOD_LIST_USERS, read_users, vm_name, &vm);
        if (r > 0)
                r = load_interface(c, path, FILESYSTEMS_INTERFACE, vm_name, &vm);
        if (r > 0)
                r = load_list(c, path, FILESYSTEMS_INTERFACE, METHOD_LIST_FILESYSTEMS, read_filesystems, vm_name, &vm);
        /* the counters, from a guestinfod that has them */
        if (r >= 0) {
                int k = load_list(c, path, DOMAIN_INTERFACE, METHOD_GET_COUNTERS, read_counters, vm_name, &vm);
                if (k < 0)
                        r = k;
        }
        if (r < 0) {
                vm_done(&vm);
                return r;
        }
        vm.has_guest_data = r > 0;
        *ret = vm;
        return 0;
}
