/* A VM as guestinfod publishes it, read from the bus into plain C. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "address.h"
#include "bus-client.h"

typedef struct VmCommand {
        char *name;
        int enabled;
} VmCommand;

/* Every entry below comes with an a{sv} of fields added later: skipped, as
 * the contract asks of clients (docs/dbus-api.md). */

typedef struct VmInterface {
        char *name;           /* the domain NIC's alias, "" for guest-only entries */
        char *interface_name; /* the guest's */
        char *mac;
        VmAddress *addresses;
        size_t n_addresses;
        char **sources; /* "domain", "guest-agent", or ones added later */
        size_t n_sources;
} VmInterface;

typedef struct VmUser {
        char *name;
        char *domain;
        uint64_t login_usec; /* µs since the epoch */
} VmUser;

typedef struct VmDisk {
        char *serial;
        char *bus_type;
} VmDisk;

typedef struct VmFilesystem {
        char *disk_name;
        char *mount_point;
        char *type;
        uint64_t used_bytes;
        uint64_t total_bytes;
        VmDisk *disks;
        size_t n_disks;
} VmFilesystem;

/* Filesystems.Disks: one of the guest's block devices. */
typedef struct VmGuestDisk {
        char *name; /* the guest's device, "/dev/vda" */
        int partition;
        char **dependencies; /* NULL-terminated */
        char *serial, *bus, *target, *source;
} VmGuestDisk;

/* Domain.GetCounters: one NIC's or disk's counters (or the CPUs'), by the
 * agent's names, only those the guest sent. */
typedef struct VmCounter {
        char *key;
        uint64_t value;
} VmCounter;

typedef struct VmCounterSet {
        char *name; /* "eth0", "vda"; NULL for the CPUs */
        VmCounter *items;
        size_t n_items;
} VmCounterSet;

/* Domain.GuestDataStatus: one kind of guest data. */
typedef struct VmKindStatus {
        char *kind;
        char *state;             /* "fresh", "failed", ..., or one added later */
        uint64_t collected_usec; /* µs since the epoch; 0: never */
        char *message;           /* "" unless it failed or timed out */
} VmKindStatus;

typedef struct Vm {
        char *path;

        /* Domain */
        char *name;
        char *uuid;
        char *state;
        int persistent;
        int32_t id;
        int agent_connected;
        uint64_t agent_transition_usec;
        uint64_t agent_probe_usec;
        char *agent_version;
        VmCommand *commands;
        size_t n_commands;
        /* NULL from a guestinfod older than these properties */
        char *data_reason; /* GuestDataReason: "" while collected as usual */
        char *fsfreeze;    /* FsFreezeStatus: "frozen", "thawed", "" */
        VmKindStatus *kind_status;
        size_t n_kind_status;

        /* Network */
        VmInterface *interfaces;
        size_t n_interfaces;
        /* The addresses of the interfaces in their order, as ListSummaries
         * gives them (it gives no interfaces). */
        VmAddress *addresses;
        size_t n_addresses;

        /* OS, Users, Filesystems: exported only while the agent is connected
         * and has answered */
        bool has_guest_data;
        char *os_id;
        char *os_name;
        char *os_pretty_name;
        char *os_version;
        char *os_version_id;
        char *kernel_release;
        char *kernel_version;
        char *machine;
        char *os_variant;
        char *os_variant_id;
        char *hostname;
        char *timezone_name;
        int32_t timezone_offset;
        uint32_t vcpus_configured, vcpus_online, vcpus_offlinable; /* OS.Vcpus */
        double load[3];                                            /* OS.LoadAverage: 1, 5, 15 min */
        int64_t clock_offset_usec;                                 /* OS.ClockOffset: guest less host */
        VmUser *users;
        size_t n_users;
        uint32_t user_count;
        VmFilesystem *filesystems;
        size_t n_filesystems;
        uint32_t filesystem_count;
        VmGuestDisk *guest_disks;
        size_t n_guest_disks;
        uint32_t disk_count;

        /* Domain.GetCounters (vm_load, vm_load_counters) */
        VmCounterSet *nic_counters;
        size_t n_nic_counters;
        VmCounterSet cpu_counters;
        uint32_t counter_cpus;
        /* GetCounters' NicCount and DiskCount: the entries the guest listed,
         * before the daemon's cap; 0 from a daemon that does not say */
        uint32_t counter_nics_reported, counter_disks_reported;
        VmCounterSet *disk_counters;
        size_t n_disk_counters;
} Vm;

/* The counter called key of set, or UINT64_MAX. */
uint64_t vm_counter(const VmCounterSet *set, const char *key);

void vm_done(Vm *vm);
/* Frees the VM's interfaces, addresses, users, commands and disks, and its
 * filesystems' disks (the counts stay). */
void vm_drop_lists(Vm *vm);
void vm_free_many(Vm *vms, size_t n);

/* Reads the a{sv} m is at into vm, for one of guestinfod's interfaces.
 * Properties it does not know, or of another type, are skipped. */
int vm_read_properties(sd_bus_message *m, const char *interface, Vm *vm);

/* The first IPv4 or IPv6 address with text of the interfaces, in their
 * order (for a VM read by vm_load_summaries(), of addresses), or NULL: an
 * address of a family the client does not know is not taken for an IP. */
const VmAddress *vm_primary_address(const Vm *vm);

/* Every VM, sorted by name, from one GetManagedObjects call (summaries of
 * users and filesystems). Returns 0 or -errno (cli.h), having said why. */
int vm_load_all(BusClient *c, Vm **ret, size_t *ret_n);
/* Called with each VM once it is read: a caller that needs less of it can
 * free the rest at once (a fleet's worth of lists is big). */
typedef void (*VmLoaded)(Vm *vm);

/* vm_load_all(), but -E2BIG, having said nothing, when the tree is too big
 * for one bus message (LimitsExceeded); loaded may be NULL. */
int vm_load_tree(BusClient *c, VmLoaded loaded, Vm **ret, size_t *ret_n);

/* Every VM, sorted by name, for a fleet too big for one GetManagedObjects:
 * ListDomains, then one GetAll("") per VM (the first 10 users and
 * filesystems, as in the tree; AgentSupportedCommands left out); a VM gone
 * meanwhile is left out. Returns 0 or -errno (cli.h), having said why. */
int vm_load_each(BusClient *c, VmLoaded loaded, Vm **ret, size_t *ret_n);

/* vm_load_each() for the VMs of vms[0..n), each with its path set: a VM
 * gone meanwhile is left empty (vm_done(): no path). Returns 0 or -errno
 * (cli.h), having said why. */
int vm_load_paths(BusClient *c, VmLoaded loaded, Vm *vms, size_t n);

/* Every VM, sorted by name, from one ListSummaries call: path, name, UUID,
 * state, AgentConnected, has_guest_data, and with guest data the OS's pretty
 * name and the hostname; addresses; nothing else. Returns 0; -EOPNOTSUPP,
 * having said nothing, if guestinfod is older than ListSummaries; or the
 * -errno (cli.h), having said why. */
int vm_load_summaries(BusClient *c, Vm **ret, size_t *ret_n);

/* Domain.GetCounters for each VM of vms[0..n) (with its path and
 * GuestDataStatus read) with guest data whose GuestDataStatus says a
 * counter kind was collected, a window of calls in flight as vm_load_each() sends them: a
 * fleet without counters costs no call. A VM gone meanwhile, or a
 * guestinfod without the method, keeps no counters. Returns 0 or -errno
 * (cli.h), having said why. */
int vm_load_counters(BusClient *c, Vm *vms, size_t n);

/* One VM with its full lists of users and filesystems. Returns 0 or the
 * -errno (cli.h), having said why; vm_name is for messages. */
int vm_load(BusClient *c, const char *path, const char *vm_name, Vm *ret);
