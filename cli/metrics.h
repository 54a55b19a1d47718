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
 * series (the daemon publishes 8 today; more may come). */
#define METRICS_MAX_KINDS 16

typedef struct MetricsDaemon {
        bool up; /* guestinfod answered; false: only guestinfod_up 0 is written */
        bool libvirt_connected;
        uint32_t domain_count;
        char *version;
} MetricsDaemon;

void metrics_daemon_done(MetricsDaemon *d);

/* Appends every family to t (t->failed if out of memory). */
void metrics_write(PromText *t, const MetricsDaemon *d, const Vm *vms, size_t n);
