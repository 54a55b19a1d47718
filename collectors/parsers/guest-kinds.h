/* The kinds of guest data, described once: what each is called, how often
 * it is read, how it is asked for, how much of it is kept and what it feeds
 * on the bus. Adding a kind starts here. Plain data: no libvirt, no bus. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Kinds of guest data, collected and refreshed separately: bit i is
 * guest_kinds[i]. */
typedef enum GuestKind {
        GUEST_KIND_AGENT = 1u << 0,       /* guest-info: version, supported commands */
        GUEST_KIND_OS = 1u << 1,          /* guest-get-osinfo */
        GUEST_KIND_HOSTNAME = 1u << 2,    /* guest-get-host-name */
        GUEST_KIND_TIMEZONE = 1u << 3,    /* guest-get-timezone */
        GUEST_KIND_USERS = 1u << 4,       /* guest-get-users */
        GUEST_KIND_FILESYSTEMS = 1u << 5, /* guest-get-fsinfo (+ guest-get-disks) */
        GUEST_KIND_INTERFACES = 1u << 6,  /* guest-network-get-interfaces */
        GUEST_KIND_FSFREEZE = 1u << 7,    /* guest-fsfreeze-status */
        GUEST_KIND_VCPUS = 1u << 8,       /* guest-get-vcpus */
        GUEST_KIND_LOAD = 1u << 9,        /* guest-get-load (qemu-ga 10.0) */
        GUEST_KIND_DISKS = 1u << 10,      /* guest-get-disks */
        GUEST_KIND_CLOCK = 1u << 11,      /* guest-get-time, through virDomainGetTime */
        /* counters: offered by Domain.GetCounters, never as properties */
        GUEST_KIND_NIC_COUNTERS = 1u << 12,  /* guest-network-get-interfaces' statistics */
        GUEST_KIND_CPU_COUNTERS = 1u << 13,  /* guest-get-cpustats (qemu-ga 7.1) */
        GUEST_KIND_DISK_COUNTERS = 1u << 14, /* guest-get-diskstats (qemu-ga 7.1) */
        GUEST_KIND_ALL = (1u << 15) - 1,
} GuestKind;

#define GUEST_KIND_COUNT 15 /* bits of GuestKind */
#define GUEST_KIND_COUNTERS (GUEST_KIND_NIC_COUNTERS | GUEST_KIND_CPU_COUNTERS | GUEST_KIND_DISK_COUNTERS)
#define GUEST_KIND_AGENT_INDEX 0 /* the agent's own kind comes first: the others depend on it */
#define GUEST_KIND_FSFREEZE_INDEX 7

/* What the agent still answers while the guest's filesystems are frozen
 * (qemu-ga disables every other command until the thaw). */
#define GUEST_KIND_FROZEN_ANSWERS (GUEST_KIND_AGENT | GUEST_KIND_FSFREEZE)

typedef struct GuestKindInfo {
        GuestKind kind;
        const char *name;              /* as --interval takes it, and in log lines */
        unsigned interval_sec;         /* default refresh interval */
        const char *command;           /* the agent command it needs (supported and enabled);
                                      * NULL: always asked (guest-info itself) */
        unsigned libvirt_type;         /* its VIR_DOMAIN_GUEST_INFO_* flag; 0: not asked of
                                      * virDomainGetGuestInfo */
        const char *answered_key;      /* the typed parameter that says libvirt answered for it
                                      * (libvirt drops a kind whose reply was late or too big);
                                      * NULL: none says so */
        const char *raw_command;       /* the agent's own command (JSON), read when libvirt does
                                      * not carry the kind: always for the agent's, for a list
                                      * once libvirt could not carry it; NULL: never */
        size_t list_max;               /* entries kept of its list; 0: not a list */
        const char *interface;         /* the bus interface it feeds */
        const char *const *properties; /* its properties there, NULL-terminated (none for the
                                      * counters, which change at every read) */
        const char *method;            /* the method there that returns it; NULL: its properties do */
        bool exported;                 /* its interface is on a domain object only while the
                                      * agent's data is (InterfacesAdded carries its values) */
} GuestKindInfo;

extern const GuestKindInfo guest_kinds[GUEST_KIND_COUNT];

/* What kind (one GuestKind bit) is. */
static inline const GuestKindInfo *guest_kind_info(GuestKind kind) {
        return &guest_kinds[__builtin_ctz((unsigned) kind)];
}

/* The index of kind (one GuestKind bit) in guest_kinds, or -EINVAL. */
int guest_kind_index(unsigned kind);
/* The index of the kind called name, or -EINVAL. */
int guest_kind_from_name(const char *name);
