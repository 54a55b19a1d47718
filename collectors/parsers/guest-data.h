/* What a guest agent reported, parsed, bounded and made valid UTF-8.
 *
 * Everything here comes from an untrusted guest, and only the builder
 * (guest-builder.h) writes it. It guarantees, for every value:
 *   - every string is valid UTF-8, contains no NUL, and is at most its
 *     field's cap (guest-builder.h), never more than GUEST_STRING_MAX bytes
 *     (a longer text is cut at a character boundary and ends with "…",
 *     U+2026, to mark the cut; a longer MAC, address or command name is
 *     dropped);
 *   - every list holds at most its *_MAX entries and, with the others, at
 *     most the VM's byte budget (GUEST_DATA_BUDGET); the count the guest
 *     claimed is kept separately (n_reported) so truncation can be reported;
 *   - a missing string is NULL (never invented); a missing number is 0 with
 *     its has_* flag false where 0 would be ambiguous.
 * Plain data: no libvirt, no bus. Free with the matching *_free(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest-kinds.h"
#include "utf8.h"

#define GUEST_STRING_MAX 1024     /* bytes per string, after sanitizing: the largest cap */
#define GUEST_USERS_MAX 256       /* users kept (full list) */
#define GUEST_FILESYSTEMS_MAX 256 /* filesystems kept */
#define GUEST_FS_DISKS_MAX 16     /* disks per filesystem */
#define GUEST_INTERFACES_MAX 256  /* guest interfaces kept before merging */
#define GUEST_ADDRESSES_MAX 32    /* addresses per interface */
#define AGENT_COMMANDS_MAX 512    /* supported_commands kept */
#define DOMAIN_NICS_MAX 256       /* NICs read from the domain XML */
#define DOMAIN_DISKS_MAX 256      /* disks read from the domain XML */
#define SUMMARY_MAX 10            /* KubeVirt's cap for summaries and guest-only interfaces */

/* GuestKind, and what each kind is: guest-kinds.h. */

/* ---- agent: the raw guest-info command (JSON) ---- */

typedef struct AgentCommand {
        char *name;
        bool enabled;
} AgentCommand;

typedef struct AgentInfo {
        char *version; /* NULL if the agent did not say */
        AgentCommand *commands;
        size_t n_commands;
        size_t n_reported; /* entries in the agent's list, before the cap */
        /* The model's (service/model/agent-share.c): domains whose agents
         * said the same share one; 0: not shared. */
        unsigned share_refs;
        char share_key[17];
} AgentInfo;

AgentInfo *agent_info_free(AgentInfo *a);
/* true if the command is listed and enabled. */
bool agent_info_supports(const AgentInfo *a, const char *command);
/* The GuestKind bits whose commands a supports (GUEST_KIND_AGENT always). */
unsigned agent_info_supported_kinds(const AgentInfo *a);
/* The GuestKind bits whose commands a lists as disabled (by the guest's
 * admin, or while its filesystems are frozen). */
unsigned agent_info_disabled_kinds(const AgentInfo *a);

/* ---- guest info: virDomainGetGuestInfo's typed parameters ---- */

typedef struct GuestOS {
        char *id, *name, *pretty_name, *version, *version_id;
        char *kernel_release, *kernel_version, *machine, *variant, *variant_id;
} GuestOS;

typedef struct GuestUser {
        char *name;
        char *domain;      /* Windows guests; NULL otherwise */
        double login_time; /* seconds since the epoch (libvirt gives ms) */
} GuestUser;

/* The login time in microseconds since the epoch, rounded; 0 for a time
 * before the epoch or none, the largest value for one past it. */
uint64_t guest_user_login_usec(const GuestUser *u);

typedef struct GuestFsDisk {
        char *serial;   /* NULL if unknown */
        char *alias;    /* the domain's disk target, e.g. "vda" */
        char *device;   /* guest device node, e.g. "/dev/vda" */
        char *bus_type; /* filled from the domain XML by the collector, e.g. "virtio" */
} GuestFsDisk;

typedef struct GuestFilesystem {
        char *disk_name; /* fs.N.name, e.g. "vda1" */
        char *mount_point;
        char *fs_type;
        uint64_t used_bytes, total_bytes;
        GuestFsDisk *disks;
        uint32_t n_disks; /* at most GUEST_FS_DISKS_MAX */
        bool has_bytes;   /* the guest reported sizes */
} GuestFilesystem;

typedef struct GuestInterface {
        char *name;           /* guest's name, e.g. "eth0" */
        char *mac;            /* lowercase, as reported; NULL if none */
        char **addresses;     /* "10.0.2.15/24", "fd00::1/64": IPv4 first, then IPv6, else guest order */
        uint32_t n_addresses; /* at most GUEST_ADDRESSES_MAX */
        uint32_t n_ipv4;      /* the first n_ipv4 addresses are IPv4 */
} GuestInterface;

/* guest-fsfreeze-status: whether the guest's filesystems are frozen. */
typedef enum GuestFreeze {
        GUEST_FREEZE_UNKNOWN, /* not asked, or not said */
        GUEST_FREEZE_THAWED,
        GUEST_FREEZE_FROZEN,
} GuestFreeze;

/* "thawed", "frozen"; "" while unknown. */
const char *guest_freeze_to_string(GuestFreeze f);

typedef struct GuestInfo {
        unsigned kinds; /* GuestKind bits this reply covers */
        /* The builder packs a list and what its entries hold (disks,
         * addresses) into one block once built: then the entries' arrays
         * are not freed apart. A list made otherwise leaves these false. */
        bool filesystems_packed, interfaces_packed;
        bool has_timezone_offset;

        GuestOS os;
        char *hostname;
        char *timezone_name;
        int32_t timezone_offset; /* seconds east of UTC */
        GuestFreeze fsfreeze;

        GuestUser *users;
        size_t n_users, n_users_reported;
        GuestFilesystem *filesystems;
        size_t n_filesystems, n_filesystems_reported;
        GuestInterface *interfaces;
        size_t n_interfaces, n_interfaces_reported;
        /* guest-get-vcpus: vCPUs the guest sees, online, offlinable */
        unsigned vcpus_configured, vcpus_online, vcpus_offlinable;
        /* guest-get-load: the 1, 5 and 15 minute load averages */
        double load[3];
        /* guest-get-disks: the guest's block devices; NULL if none */
        struct GuestDisks *disks;
        /* virDomainGetTime: the guest's clock less the host's, in µs */
        int64_t clock_offset_usec;
        /* the counters (guest-counters.h); NULL until read */
        struct GuestCounters *counters;
} GuestInfo;

GuestInfo *guest_info_new(void);
GuestInfo *guest_info_free(GuestInfo *g);
/* Free what one entry holds (not the entry), of a list not packed. */
void guest_user_done(GuestUser *u);
void guest_fs_disk_done(GuestFsDisk *d);
void guest_filesystem_done(GuestFilesystem *fs);
void guest_interface_done(GuestInterface *iface);

/* Packs g's filesystems with their disks, and its interfaces with their
 * addresses, each list in one exact block (filesystems_packed,
 * interfaces_packed); out of memory, a list stays as it is. */
void guest_info_pack(GuestInfo *g);

/* Moves the data of every kind in src->kinds from src into dst (dst's old
 * data of those kinds is freed; src is left empty of them) and adds the kinds
 * to dst->kinds. Other kinds of dst stay as they were. */
void guest_info_take_kinds(GuestInfo *dst, GuestInfo *src);

/* Deep equality, for "did this property change". NULL equals NULL. */
bool guest_os_equal(const GuestOS *a, const GuestOS *b);
bool guest_users_equal(const GuestUser *a, size_t na, const GuestUser *b, size_t nb);
bool guest_filesystems_equal(const GuestFilesystem *a, size_t na, const GuestFilesystem *b, size_t nb);
bool agent_commands_equal(const AgentInfo *a, const AgentInfo *b);

/* ---- the domain's own view: its live XML ---- */

typedef struct DomainNic {
        char *alias;          /* <alias name='net0'/>; NULL if the domain is not running */
        char *mac;            /* lowercase */
        char **addresses;     /* <ip address='' prefix=''/> of the NIC, as "a/p": rarely set */
        uint32_t n_addresses; /* at most GUEST_ADDRESSES_MAX */
        uint32_t n_ipv4;
} DomainNic;

typedef struct DomainDisk {
        char *target; /* <target dev='vda'/> */
        char *bus;    /* <target bus='virtio'/> */
        char *serial; /* <serial>, what the guest sees as the disk's serial; NULL if none */
        char *source; /* <source file|dev|name=''>, or "pool/volume"; NULL if none */
} DomainDisk;

typedef struct DomainDevices {
        DomainNic *nics;
        size_t n_nics;
        DomainDisk *disks;
        size_t n_disks;
} DomainDevices;

/* Sets each filesystem disk's bus_type from the domain disk whose target
 * equals the disk's alias (a disk without an alias keeps its own). */
void guest_info_fill_bus_types(GuestInfo *g, const DomainDevices *devices);

/* ---- merged interfaces, as KubeVirt's status.interfaces ---- */

typedef struct MergedInterface {
        char *name;           /* domain NIC alias ("" for guest-only) */
        char *interface_name; /* guest's name (NULL for domain-only) */
        char *mac;
        char **ip_addresses;     /* "a/p" or "a", IPv4 first */
        const char *info_source; /* static: "domain", "guest-agent", "domain, guest-agent" */
        uint32_t n_ip_addresses; /* at most GUEST_ADDRESSES_MAX (a NIC's or the guest's) */
        uint32_t n_ipv4;         /* the first n_ipv4 addresses are IPv4 */
} MergedInterface;

typedef struct MergedInterfaces {
        MergedInterface *items;
        size_t n_items;
        size_t n_guest_only_dropped; /* guest-only interfaces beyond SUMMARY_MAX */
        /* interfaces_merge's result is one block: this header, the items,
         * their addresses; while it builds, they are apart */
        bool packed;
} MergedInterfaces;
