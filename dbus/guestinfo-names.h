/* The names of the published API, beside the XML that defines it: the bus
 * name, the object paths, the interfaces, the errors, the methods and the
 * signatures that the daemon, its client and the tests share. Header only,
 * no code. test-dbus-names holds this list against the XML in dbus/; the
 * bus tests hold the running daemon's Introspect against the same XML. */
#pragma once

#define BUS_NAME "org.guestinfod.GuestInfo1"

/* Objects */
#define MANAGER_PATH "/org/guestinfod/GuestInfo1"
#define DOMAIN_PATH_PREFIX "/org/guestinfod/GuestInfo1/domain"

/* Interfaces: each one is dbus/<name>.xml. */
#define INTERFACE_PREFIX "org.guestinfod.GuestInfo1."
#define MANAGER_INTERFACE "org.guestinfod.GuestInfo1.Manager"
#define DOMAIN_INTERFACE "org.guestinfod.GuestInfo1.Domain"
#define OS_INTERFACE "org.guestinfod.GuestInfo1.OS"
#define USERS_INTERFACE "org.guestinfod.GuestInfo1.Users"
#define FILESYSTEMS_INTERFACE "org.guestinfod.GuestInfo1.Filesystems"
#define NETWORK_INTERFACE "org.guestinfod.GuestInfo1.Network"

/* Errors (docs/dbus-api.md), with their errno in bus_error_map. Invalid
 * arguments get the standard org.freedesktop.DBus.Error.InvalidArgs
 * (SD_BUS_ERROR_INVALID_ARGS); these are what only guestinfod can say. */
#define BUS_ERROR_NO_SUCH_DOMAIN "org.guestinfod.GuestInfo1.Error.NoSuchDomain"
#define BUS_ERROR_NO_AGENT "org.guestinfod.GuestInfo1.Error.NoAgent"
#define BUS_ERROR_AGENT_FAILED "org.guestinfod.GuestInfo1.Error.AgentFailed"

/* Manager methods */
#define METHOD_LIST_DOMAINS "ListDomains"
#define METHOD_LIST_SUMMARIES "ListSummaries"
#define METHOD_GET_DOMAIN_BY_NAME "GetDomainByName"
#define METHOD_GET_DOMAIN_BY_UUID "GetDomainByUUID"
/* Domain methods */
#define METHOD_REFRESH "Refresh"
#define METHOD_GET_GUEST_OS_INFO "GetGuestOSInfo"
#define METHOD_GET_USER_LIST "GetUserList"
#define METHOD_GET_FILESYSTEM_LIST "GetFilesystemList"
#define METHOD_GET_INTERFACES "GetInterfaces"
#define METHOD_GET_COUNTERS "GetCounters"
/* Users and Filesystems methods */
#define METHOD_LIST_USERS "ListUsers"
#define METHOD_LIST_FILESYSTEMS "ListFilesystems"

/* Properties a client asks for by name (the others come with GetAll). */
#define PROPERTY_CONNECTED "Connected"                             /* Manager */
#define PROPERTY_AGENT_SUPPORTED_COMMANDS "AgentSupportedCommands" /* Domain */
#define PROPERTY_GUEST_DATA_STATUS "GuestDataStatus"               /* Domain */
#define PROPERTY_GUEST_DATA_REASON "GuestDataReason"               /* Domain */
#define PROPERTY_FS_FREEZE_STATUS "FsFreezeStatus"                 /* Domain */

/* The elements of the arrays on the wire: FIELDS is what a reader enters
 * (sd_bus_message_enter_container(m, 'r', FIELDS)), SIGNATURE the element.
 * Every entry that can grow ends in EXTRA_SIGNATURE, a dictionary of fields
 * added later: readers skip keys they do not know. */
#define EXTRA_SIGNATURE "a{sv}"
#define EXTRA_ENTRY_SIGNATURE "{sv}"
#define DOMAIN_ENTRY_FIELDS "sso" /* ListDomains: name, UUID, path */
#define DOMAIN_ENTRY_SIGNATURE "(" DOMAIN_ENTRY_FIELDS ")"
#define ADDRESS_FIELDS "ssy" /* family ("ipv4", "ipv6"), address, prefix length */
#define ADDRESS_SIGNATURE "(" ADDRESS_FIELDS ")"
/* ListSummaries: path, name, UUID, state, agent connected, guest data,
 * pretty OS name, hostname, addresses, more */
#define SUMMARY_FIELDS "osssbbssa" ADDRESS_SIGNATURE EXTRA_SIGNATURE
#define SUMMARY_SIGNATURE "(" SUMMARY_FIELDS ")"
#define AGENT_COMMAND_FIELDS "sb" /* AgentSupportedCommands: name, enabled */
#define AGENT_COMMAND_SIGNATURE "(" AGENT_COMMAND_FIELDS ")"
/* Users, ListUsers: name, domain, login time (µs since the epoch), more */
#define USER_FIELDS "sst" EXTRA_SIGNATURE
#define USER_SIGNATURE "(" USER_FIELDS ")"
#define FILESYSTEM_DISK_FIELDS "ss" EXTRA_SIGNATURE /* serial, bus type, more */
#define FILESYSTEM_DISK_SIGNATURE "(" FILESYSTEM_DISK_FIELDS ")"
/* Filesystems, ListFilesystems: disk, mount point, type, used, total, disks, more */
#define FILESYSTEM_FIELDS "ssstta" FILESYSTEM_DISK_SIGNATURE EXTRA_SIGNATURE
#define FILESYSTEM_SIGNATURE "(" FILESYSTEM_FIELDS ")"
/* Network.Interfaces: name, interface name, MAC, addresses, sources, more */
#define INTERFACE_FIELDS "sssa" ADDRESS_SIGNATURE "as" EXTRA_SIGNATURE
#define INTERFACE_SIGNATURE "(" INTERFACE_FIELDS ")"
/* Domain.GuestDataStatus: kind, state, collected (µs since the epoch, 0:
 * never), last failure's message, more */
#define KIND_STATUS_FIELDS                                                                                             \
        "sst"                                                                                                          \
        "s" EXTRA_SIGNATURE
#define KIND_STATUS_SIGNATURE "(" KIND_STATUS_FIELDS ")"
/* OS.Vcpus: configured, online, offlinable, more */
#define VCPUS_FIELDS "uuu" EXTRA_SIGNATURE
#define VCPUS_SIGNATURE "(" VCPUS_FIELDS ")"
/* OS.LoadAverage: over 1, 5 and 15 minutes */
#define LOAD_AVERAGE_SIGNATURE "(ddd)"
/* Filesystems.Disks: guest device, partition, dependencies, serial, bus,
 * domain disk target, its source, more */
#define DISK_FIELDS "sbasssss" EXTRA_SIGNATURE
#define DISK_SIGNATURE "(" DISK_FIELDS ")"
/* Domain.GetCounters: NICs and disks each (name, counters by the agent's
 * names); the guest's CPUs summed, by name; more */
#define COUNTER_ENTRY_FIELDS "sa{st}"
#define COUNTER_ENTRY_SIGNATURE "(" COUNTER_ENTRY_FIELDS ")"
#define COUNTERS_SIGNATURE "a" COUNTER_ENTRY_SIGNATURE "a{st}a" COUNTER_ENTRY_SIGNATURE EXTRA_SIGNATURE
