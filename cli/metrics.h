/* The metric families of a host, built from what guestinfod publishes: the
 * daemon's Manager properties and the VMs as vm_load_all() reads them. No
 * bus here: cmd-metrics.c reads, this file writes (and the bench and the
 * unit tests call it directly). docs/metrics.md lists the families. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prom-text.h"
#include "vm-data.h"

/* At most this many filesystem series per VM (capacity and used each);
 * the rest are counted in guestinfod_vm_filesystems_dropped. */
#define METRICS_MAX_FILESYSTEMS 32
/* At most this many kinds of guest data per VM get state and collected
 * series (the daemon publishes 10 today; more may come). */
#define METRICS_MAX_KINDS 16
/* At most this many NICs and disks per VM get counter series; the rest are
 * counted in guestinfod_vm_network_counters_dropped and
 * guestinfod_vm_disk_counters_dropped. */
#define METRICS_MAX_NICS 16
#define METRICS_MAX_DISKS 16

typedef struct MetricsDaemon {
        bool up; /* guestinfod answered; false: only guestinfod_up 0 is written */
        bool libvirt_connected;
        uint32_t domain_count;
        bool domain_count_known; /* the daemon has DomainCount */
        char *version;
} MetricsDaemon;

void metrics_daemon_done(MetricsDaemon *d);

/* Appends every family to t (t->failed if out of memory). */
void metrics_write(PromText *t, const MetricsDaemon *d, const Vm *vms, size_t n);

/* The same in pieces, for a text rebuilt from VMs rendered one at a time
 * (metrics-fleet.c): metrics_write() is metrics_write_daemon(), then, if
 * d->up, for each per-VM family its head and every VM's samples of it. */
#define METRICS_VM_FAMILIES 37
void metrics_write_daemon(PromText *t, const MetricsDaemon *d);
void metrics_write_family_head(PromText *t, size_t family);
/* Appends vm's samples of every per-VM family, family after family:
 * family f's are at offsets[f] to offsets[f + 1] of t->data. */
void metrics_write_vm(PromText *t, const Vm *vm, size_t offsets[METRICS_VM_FAMILIES + 1]);
