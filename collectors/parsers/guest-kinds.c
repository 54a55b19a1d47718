#include <errno.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "guest-data.h"
#include "guest-counters.h"
#include "guest-disks.h"
#include "guest-kinds.h"

/* The bus names are the contract's (dbus/); the unit tests hold these
 * against the daemon's vtables. */
#define BUS_DOMAIN "org.guestinfod.GuestInfo1.Domain"
#define BUS_OS "org.guestinfod.GuestInfo1.OS"
#define BUS_USERS "org.guestinfod.GuestInfo1.Users"
#define BUS_FILESYSTEMS "org.guestinfod.GuestInfo1.Filesystems"
#define BUS_NETWORK "org.guestinfod.GuestInfo1.Network"

#define PROPERTIES(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_PROPERTIES ((const char *const[]){ NULL })
/* Three agent calls more per VM: every 5 minutes unless asked otherwise. */
#define COUNTERS_INTERVAL_SEC 300

const GuestKindInfo guest_kinds[GUEST_KIND_COUNT] = {
        {
                .kind = GUEST_KIND_AGENT,
                .name = "agent",
                .interval_sec = 300,
                .raw_command = "{\"execute\":\"guest-info\"}",
                .list_max = AGENT_COMMANDS_MAX,
                .interface = BUS_DOMAIN,
                .properties = PROPERTIES("AgentVersion", "AgentSupportedCommands"),
        },
        {
                .kind = GUEST_KIND_OS,
                .name = "os",
                .interval_sec = 60,
                .command = "guest-get-osinfo",
                .libvirt_type = VIR_DOMAIN_GUEST_INFO_OS,
                .interface = BUS_OS,
                .properties =
                        PROPERTIES("OperatingSystemId", "OperatingSystemName", "OperatingSystemPrettyName",
                                   "OperatingSystemVersion", "OperatingSystemVersionId", "KernelRelease",
                                   "KernelVersion", "Machine", "OperatingSystemVariant", "OperatingSystemVariantId"),
                .exported = true,
        },
        {
                .kind = GUEST_KIND_HOSTNAME,
                .name = "hostname",
                .interval_sec = 60,
                .command = "guest-get-host-name",
                .libvirt_type = VIR_DOMAIN_GUEST_INFO_HOSTNAME,
                .answered_key = "hostname",
                .interface = BUS_OS,
                .properties = PROPERTIES("Hostname"),
                .exported = true,
        },
        {
                .kind = GUEST_KIND_TIMEZONE,
                .name = "timezone",
                .interval_sec = 60,
                .command = "guest-get-timezone",
                .libvirt_type = VIR_DOMAIN_GUEST_INFO_TIMEZONE,
                .answered_key = "timezone.offset",
                .interface = BUS_OS,
                .properties = PROPERTIES("TimezoneName", "TimezoneOffset"),
                .exported = true,
        },
        {
                .kind = GUEST_KIND_USERS,
                .name = "users",
                .interval_sec = 10,
                .command = "guest-get-users",
                .libvirt_type = VIR_DOMAIN_GUEST_INFO_USERS,
                .answered_key = "user.count",
                .raw_command = "{\"execute\":\"guest-get-users\"}",
                .list_max = GUEST_USERS_MAX,
                .interface = BUS_USERS,
                .properties = PROPERTIES("Users", "UserCount"),
                .exported = true,
        },
        {
                .kind = GUEST_KIND_FILESYSTEMS,
                .name = "filesystems",
                .interval_sec = 60,
                .command = "guest-get-fsinfo",
                .libvirt_type = VIR_DOMAIN_GUEST_INFO_FILESYSTEM,
                .answered_key = "fs.count",
                .raw_command = "{\"execute\":\"guest-get-fsinfo\"}",
                .list_max = GUEST_FILESYSTEMS_MAX,
                .interface = BUS_FILESYSTEMS,
                .properties = PROPERTIES("Filesystems", "FilesystemCount"),
                .exported = true,
        },
        {
                .kind = GUEST_KIND_INTERFACES,
                .name = "interfaces",
                .interval_sec = 10,
                .command = "guest-network-get-interfaces",
                .libvirt_type = VIR_DOMAIN_GUEST_INFO_INTERFACES,
                .answered_key = "if.count",
                .raw_command = "{\"execute\":\"guest-network-get-interfaces\"}",
                .list_max = GUEST_INTERFACES_MAX,
                /* merged with the domain's NICs: the object always has it */
                .interface = BUS_NETWORK,
                .properties = PROPERTIES("Interfaces"),
        },
        {
                /* libvirt has no call for it: always the agent's own reply */
                .kind = GUEST_KIND_FSFREEZE,
                .name = "fsfreeze",
                .interval_sec = 10,
                .command = "guest-fsfreeze-status",
                .raw_command = "{\"execute\":\"guest-fsfreeze-status\"}",
                .interface = BUS_DOMAIN,
                .properties = PROPERTIES("FsFreezeStatus"),
        },
        {
                /* what virDomainGetGuestVcpus asks, read raw like the freeze */
                .kind = GUEST_KIND_VCPUS,
                .name = "vcpus",
                .interval_sec = 60,
                .command = "guest-get-vcpus",
                .raw_command = "{\"execute\":\"guest-get-vcpus\"}",
                .interface = BUS_OS,
                .properties = PROPERTIES("Vcpus"),
                .exported = true,
        },
        {
                /* libvirt 9.0 has no call for it */
                .kind = GUEST_KIND_LOAD,
                .name = "load",
                .interval_sec = 60,
                .command = "guest-get-load",
                .raw_command = "{\"execute\":\"guest-get-load\"}",
                .interface = BUS_OS,
                .properties = PROPERTIES("LoadAverage"),
                .exported = true,
        },
        {
                .kind = GUEST_KIND_DISKS,
                .name = "disks",
                .interval_sec = 60,
                .command = "guest-get-disks",
                .libvirt_type = VIR_DOMAIN_GUEST_INFO_DISKS,
                .answered_key = "disk.count",
                .raw_command = "{\"execute\":\"guest-get-disks\"}",
                .list_max = GUEST_DISKS_MAX,
                .interface = BUS_FILESYSTEMS,
                .properties = PROPERTIES("Disks", "DiskCount"),
                .exported = true,
        },
        {
                /* virDomainGetTime: not a guest-info kind, read on its own */
                .kind = GUEST_KIND_CLOCK,
                .name = "clock",
                .interval_sec = 60,
                .command = "guest-get-time",
                .interface = BUS_OS,
                .properties = PROPERTIES("ClockOffset"),
                .exported = true,
        },
        /* Counters change at every read: a property would signal each
         * time. Read on request (GetCounters) from what the last read
         * kept, at a long interval unless --interval says otherwise. */
        {
                /* libvirt's typed call drops the statistics */
                .kind = GUEST_KIND_NIC_COUNTERS,
                .name = "nic-counters",
                .interval_sec = COUNTERS_INTERVAL_SEC,
                .command = "guest-network-get-interfaces",
                .raw_command = "{\"execute\":\"guest-network-get-interfaces\"}",
                .list_max = GUEST_COUNTERS_MAX,
                .interface = BUS_DOMAIN,
                .properties = NO_PROPERTIES,
                .method = "GetCounters",
        },
        {
                .kind = GUEST_KIND_CPU_COUNTERS,
                .name = "cpu-counters",
                .interval_sec = COUNTERS_INTERVAL_SEC,
                .command = "guest-get-cpustats",
                .raw_command = "{\"execute\":\"guest-get-cpustats\"}",
                .interface = BUS_DOMAIN,
                .properties = NO_PROPERTIES,
                .method = "GetCounters",
        },
        {
                .kind = GUEST_KIND_DISK_COUNTERS,
                .name = "disk-counters",
                .interval_sec = COUNTERS_INTERVAL_SEC,
                .command = "guest-get-diskstats",
                .raw_command = "{\"execute\":\"guest-get-diskstats\"}",
                .list_max = GUEST_COUNTERS_MAX,
                .interface = BUS_DOMAIN,
                .properties = NO_PROPERTIES,
                .method = "GetCounters",
        },
};

int guest_kind_index(unsigned kind) {
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (guest_kinds[i].kind == kind)
                        return i;
        return -EINVAL;
}

int guest_kind_from_name(const char *name) {
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (name && strcmp(name, guest_kinds[i].name) == 0)
                        return i;
        return -EINVAL;
}
