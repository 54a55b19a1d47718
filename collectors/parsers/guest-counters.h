/* The guest's counters: per NIC (guest-network-get-interfaces'
 * "statistics", which libvirt's typed call drops), its CPUs summed
 * (guest-get-cpustats) and per disk (guest-get-diskstats), both qemu-ga
 * 7.1 and later. They change at every read, so they are offered on
 * request, never as properties. Bounded like all guest data: at most
 * GUEST_COUNTERS_MAX entries per list, names cut to their caps and valid
 * UTF-8; a missing or negative counter is 0 with its bit clear in has.
 * Plain data: no bus. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define GUEST_COUNTERS_MAX 256 /* NICs, disks kept; CPUs summed: any number */
/* a NIC: name, MAC, 8 statistics, addresses (skipped): as JSON_INTERFACE_MAX */
#define JSON_NIC_COUNTERS_MAX 8192u
/* a CPU's ten counters; a disk's name and ~20 counters */
#define JSON_CPU_COUNTERS_MAX 1024u
#define JSON_DISK_COUNTERS_MAX 2048u

enum {
        NIC_RX_BYTES,
        NIC_RX_PACKETS,
        NIC_RX_ERRS,
        NIC_RX_DROPPED,
        NIC_TX_BYTES,
        NIC_TX_PACKETS,
        NIC_TX_ERRS,
        NIC_TX_DROPPED,
        _NIC_COUNTER_MAX,
};

enum {
        CPU_USER,
        CPU_NICE,
        CPU_SYSTEM,
        CPU_IDLE,
        CPU_IOWAIT,
        CPU_IRQ,
        CPU_SOFTIRQ,
        CPU_STEAL,
        CPU_GUEST,
        CPU_GUESTNICE,
        _CPU_COUNTER_MAX,
};

enum {
        DISK_READ_IOS,
        DISK_READ_MERGES,
        DISK_READ_SECTORS,
        DISK_READ_TICKS,
        DISK_WRITE_IOS,
        DISK_WRITE_MERGES,
        DISK_WRITE_SECTORS,
        DISK_WRITE_TICKS,
        DISK_IOS_PGR,
        DISK_TOTAL_TICKS,
        DISK_WEIGHT_TICKS,
        DISK_DISCARD_IOS,
        DISK_DISCARD_MERGES,
        DISK_DISCARD_SECTORS,
        DISK_DISCARD_TICKS,
        DISK_FLUSH_IOS,
        DISK_FLUSH_TICKS,
        _DISK_COUNTER_MAX,
};

/* The agent's names of each counter, as the tables above order them. */
extern const char *const guest_nic_counter_names[_NIC_COUNTER_MAX];
extern const char *const guest_cpu_counter_names[_CPU_COUNTER_MAX];
extern const char *const guest_disk_counter_names[_DISK_COUNTER_MAX];

typedef struct GuestCounterEntry {
        char *name; /* NIC "eth0", disk "vda" */
        uint64_t v[_DISK_COUNTER_MAX];
        uint32_t has; /* bit i: v[i] was sent */
} GuestCounterEntry;

typedef struct GuestCounterList {
        GuestCounterEntry *items;
        size_t n_items, n_reported;
} GuestCounterList;

typedef struct GuestCpuCounters {
        uint64_t v[_CPU_COUNTER_MAX]; /* summed over the CPUs, saturating; the agent's units (ms on Linux) */
        uint32_t has;
        size_t n_cpus; /* entries counted */
} GuestCpuCounters;

void guest_counter_list_done(GuestCounterList *l);

struct GuestInfo; /* guest-data.h */

/* What GuestInfo keeps of the three counter kinds. */
typedef struct GuestCounters {
        GuestCounterList nics;  /* GUEST_KIND_NIC_COUNTERS */
        GuestCpuCounters cpu;   /* GUEST_KIND_CPU_COUNTERS */
        GuestCounterList disks; /* GUEST_KIND_DISK_COUNTERS */
} GuestCounters;

GuestCounters *guest_counters_free(GuestCounters *c);
/* Moves the counters of the kinds (GuestKind bits) from src into *dst
 * (allocated when NULL). Returns 0 or -ENOMEM. */
int guest_counters_take(GuestCounters **dst, GuestCounters *src, unsigned kinds);
/* A GuestInfo of kind (one counter kind) from the agent's reply to its
 * command. Returns 0, -EINVAL, -E2BIG or -ENOMEM. */
int guest_counters_info_from_agent_json(unsigned kind, const char *json, size_t len, struct GuestInfo **ret);

/* The replies, {"return":[...]}: 0, -EINVAL, -E2BIG or -ENOMEM. An entry
 * without a name is not kept (a NIC without "statistics" is kept with no
 * counter). */
int guest_nic_counters_from_agent_json(const char *json, size_t len, GuestCounterList *ret);
int guest_disk_counters_from_agent_json(const char *json, size_t len, GuestCounterList *ret);
int guest_cpu_counters_from_agent_json(const char *json, size_t len, GuestCpuCounters *ret);
