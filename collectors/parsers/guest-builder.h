/* The one builder of untrusted guest data: the only code that writes strings
 * and lists into a GuestInfo or an AgentInfo. The parsers (typed parameters:
 * guest-info.c; the agent's JSON: guest-json.c, agent-info.c) only decode
 * and hand over what the guest said, as views into their own buffers; the
 * builder applies the rules, the same for every source:
 *   - every string is made valid UTF-8 for D-Bus (utf8_sanitize) and held to
 *     the cap of its field (below);
 *   - a user, an interface or a filesystem needs its name (mount point); a
 *     disk needs one of its names; sizes count only in pairs; a MAC is
 *     lowercased (ASCII only); addresses need a known type and go IPv4
 *     first, then IPv6, each in the guest's order; a prefix past the
 *     family's width is left out;
 *   - lists keep at most their *_MAX entries (guest-data.h) and, together,
 *     at most GUEST_DATA_BUDGET bytes (below); the count the guest claimed is
 *     kept apart (n_*_reported), so that a cut shows.
 * Plain data: no libvirt, no JSON, no bus. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest-data.h"

/* ---- caps per field, in bytes of the sanitized string ----
 *
 * A value over a structural cap is dropped: cut, a MAC or an address would
 * name another one, and a cut command name names no command. */
#define GUEST_MAC_MAX                                                                                                  \
        64 /* Ethernet "aa:bb:cc:dd:ee:ff" is 17; InfiniBand's 20-byte
                                   * hardware address 59; dropped when longer */
#define GUEST_ADDRESS_MAX                                                                                              \
        64 /* before "/prefix": IPv6 text is at most 45 (IPv4-mapped),
                                   * a zone "%ifname" adds at most 16; dropped when longer */
#define AGENT_COMMAND_NAME_MAX                                                                                         \
        64 /* qemu-ga's longest is 32 ("guest-ssh-remove-authorized-keys");
                                   * dropped when longer */
/* Text for people: a longer one is cut at a character boundary and ends
 * with "…" (U+2026). */
#define AGENT_VERSION_MAX 64         /* "7.2.0", "107.0.1" */
#define GUEST_OS_ID_MAX 64           /* os-release ID, VERSION_ID, VARIANT_ID: short tokens */
#define GUEST_OS_TEXT_MAX 256        /* NAME, PRETTY_NAME, VERSION, VARIANT: free text, one line */
#define GUEST_KERNEL_MAX 128         /* uname -r, uname -v: 64 on Linux (utsname); Windows' are shorter */
#define GUEST_MACHINE_MAX 64         /* uname -m: "x86_64", "aarch64" */
#define GUEST_HOSTNAME_MAX 255       /* a DNS name is at most 253 characters; Windows' shorter */
#define GUEST_TIMEZONE_MAX 64        /* "JST"; Windows' "Tokyo Standard Time"; IANA names ~30 */
#define GUEST_USER_NAME_MAX 256      /* LOGIN_NAME_MAX; a Windows UPN (user@domain) fits too */
#define GUEST_USER_DOMAIN_MAX 255    /* a Windows domain: a DNS name at most */
#define GUEST_MOUNT_POINT_MAX 1024   /* a path: PATH_MAX is 4096, but past 1 KiB no one reads it */
#define GUEST_FS_TYPE_MAX 64         /* "ext4", "fuse.sshfs", "NTFS" */
#define GUEST_DISK_NAME_MAX 128      /* "vda1", "dm-0", Windows' "\\?\Volume{GUID}\" (49) */
#define GUEST_DISK_SERIAL_MAX 128    /* ATA/virtio/NVMe serials are 20, SCSI's VPD ones longer */
#define GUEST_DISK_ALIAS_MAX 64      /* libvirt's disk target: "vda", "sdb" */
#define GUEST_DISK_DEVICE_MAX 256    /* "/dev/vda", "/dev/disk/by-id/…", "\\.\PhysicalDrive0" */
#define GUEST_DISK_BUS_MAX 32        /* qemu-ga's bus types; the longest is "file-backed-virtual" */
#define GUEST_INTERFACE_NAME_MAX 256 /* Linux: 15 (IFNAMSIZ); Windows names go to 256 */

/* ---- the byte budget of one VM ----
 *
 * What the guest can make the daemon publish about its VM, counted as it
 * travels on D-Bus (the dbus-1 marshalling of ListUsers, ListFilesystems,
 * the agent's commands, an interface's name, MAC and addresses as
 * Network.Interfaces carries them, each entry with its empty a{sv}; a
 * disk's alias and device count too, as they are kept, though not
 * published). Each
 * list has its own share, so that one kind never costs another (they are
 * collected and replaced separately): once a list's share is spent, the
 * rest of that list is dropped — the entry that does not fit and every one
 * after it; an entry whose own part fits keeps the addresses (disks) that
 * fit, in order, and ends the list. The single strings (OS, hostname,
 * timezone, agent version) are held by their caps: together at most
 * GUEST_SCALARS_MAX. */
#define GUEST_USERS_BUDGET (12u * 1024)
#define GUEST_FILESYSTEMS_BUDGET (16u * 1024)
#define GUEST_INTERFACES_BUDGET (16u * 1024)
#define AGENT_COMMANDS_BUDGET (16u * 1024)
/* Disks (guest-disks.c charges it, as Filesystems.Disks carries them) */
#define GUEST_DISKS_BUDGET (8u * 1024)
/* Each counter list, NICs and disks, as GetCounters carries it
 * (guest-counters.c charges it); the CPUs' sum is fixed */
#define GUEST_COUNTERS_BUDGET (8u * 1024)
#define GUEST_SCALARS_MAX (4u * 1024)
#define GUEST_DATA_BUDGET                                                                                              \
        (GUEST_USERS_BUDGET + GUEST_FILESYSTEMS_BUDGET + GUEST_INTERFACES_BUDGET + AGENT_COMMANDS_BUDGET +             \
         GUEST_DISKS_BUDGET + 2 * GUEST_COUNTERS_BUDGET + GUEST_SCALARS_MAX) /* 88 KiB */

/* ---- what a parser hands over ---- */

/* Bytes as the guest sent them: any bytes, NUL included. s NULL: absent
 * (not sent, or not a string). */
typedef struct GuestText {
        const char *s;
        size_t len;
} GuestText;

#define GUEST_TEXT_NONE ((GuestText){ NULL, 0 })
/* A C string, or absent if NULL. */
GuestText guest_text(const char *s);

typedef enum GuestOsField {
        GUEST_OS_ID,
        GUEST_OS_NAME,
        GUEST_OS_PRETTY_NAME,
        GUEST_OS_VERSION,
        GUEST_OS_VERSION_ID,
        GUEST_OS_KERNEL_RELEASE,
        GUEST_OS_KERNEL_VERSION,
        GUEST_OS_MACHINE,
        GUEST_OS_VARIANT,
        GUEST_OS_VARIANT_ID,
        _GUEST_OS_FIELD_MAX,
} GuestOsField;

typedef struct GuestUserIn {
        GuestText name, domain;
        double login_time; /* seconds since the epoch */
} GuestUserIn;

typedef struct GuestDiskIn {
        GuestText serial, alias, device, bus_type;
} GuestDiskIn;

typedef struct GuestFilesystemIn {
        GuestText disk_name, mount_point, fs_type;
        bool has_used, has_total;
        uint64_t used_bytes, total_bytes;
        const GuestDiskIn *disks; /* the first GUEST_FS_DISKS_MAX are read */
        size_t n_disks;
} GuestFilesystemIn;

typedef struct GuestAddressIn {
        GuestText type; /* "ipv4", "ipv6"; anything else drops the address */
        GuestText addr;
        bool has_prefix;
        uint64_t prefix;
} GuestAddressIn;

typedef struct GuestInterfaceIn {
        GuestText name, mac;
        const GuestAddressIn *addresses; /* the first GUEST_ADDRESSES_MAX are read */
        size_t n_addresses;
} GuestInterfaceIn;

/* ---- building ---- */

typedef enum GuestList {
        GUEST_LIST_USERS,
        GUEST_LIST_FILESYSTEMS,
        GUEST_LIST_INTERFACES,
        GUEST_LIST_COMMANDS,
        _GUEST_LIST_MAX,
} GuestList;

typedef struct GuestBuilder {
        GuestInfo *guest;
        AgentInfo *agent;
        size_t spent[_GUEST_LIST_MAX]; /* bytes of each list's share */
        bool full[_GUEST_LIST_MAX];    /* share spent: the rest is dropped */
        size_t allocated[_GUEST_LIST_MAX];
} GuestBuilder;

/* Starts a GuestInfo of these kinds (they become its kinds even if nothing
 * of one is added) / an AgentInfo. Returns 0 or -ENOMEM. */
int guest_builder_begin_guest(GuestBuilder *b, unsigned kinds);
int guest_builder_begin_agent(GuestBuilder *b);

/* Single values; a later call replaces the earlier value. An absent text
 * leaves the field as it is. Return 0 or -ENOMEM. */
int guest_builder_set_os(GuestBuilder *b, GuestOsField field, GuestText v);
int guest_builder_set_hostname(GuestBuilder *b, GuestText v);
int guest_builder_set_timezone_name(GuestBuilder *b, GuestText v);
/* Seconds east of UTC; out of int32 range is no offset. */
void guest_builder_set_timezone_offset(GuestBuilder *b, int64_t seconds);
int guest_builder_set_agent_version(GuestBuilder *b, GuestText v);

/* How many entries the guest says the list has (its count, or what it
 * sent), kept as n_*_reported whatever is kept. */
void guest_builder_set_reported(GuestBuilder *b, GuestList list, uint64_t n);

/* Entries in the guest's order. An entry that breaks a rule is skipped;
 * one past the list's cap or its share is dropped. Return 0 or -ENOMEM
 * (then the builder is still consistent: guest_builder_done frees it). */
int guest_builder_add_user(GuestBuilder *b, const GuestUserIn *u);
int guest_builder_add_filesystem(GuestBuilder *b, const GuestFilesystemIn *fs);
int guest_builder_add_interface(GuestBuilder *b, const GuestInterfaceIn *iface);
int agent_builder_add_command(GuestBuilder *b, GuestText name, bool enabled);

/* What an interface of the guest costs of GUEST_INTERFACES_BUDGET, its
 * addresses included: the merged interfaces hold the guest's part to the
 * same share when NICs share a MAC (interface-merge.c). */
size_t guest_interface_cost(const GuestInterface *iface);

/* Hands over what was built (and forgets it). */
GuestInfo *guest_builder_take_guest(GuestBuilder *b);
AgentInfo *guest_builder_take_agent(GuestBuilder *b);
/* Frees whatever was not taken. */
void guest_builder_done(GuestBuilder *b);
