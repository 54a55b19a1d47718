/* The VMs of --textfile between rewrites, each with its series already
 * written: a rewrite after a change renders only the VMs that changed and
 * rebuilds the text from the pieces, family after family (the format wants
 * every series of a family together under its HELP and TYPE), VMs in name
 * order, byte for byte what metrics_write() gives for the same VMs. */
#pragma once

#include <stddef.h>

#include "metrics.h"

typedef struct MetricsFleetVm {
        char *path; /* the key */
        char *name; /* the order of the text */
        char *text; /* its samples, family after family */
        size_t offsets[METRICS_VM_FAMILIES + 1];
} MetricsFleetVm;

typedef struct MetricsFleet {
        MetricsFleetVm *vms; /* sorted by path */
        size_t n, allocated;
        PromText scratch; /* one VM's text while it is written, kept */
} MetricsFleet;

void metrics_fleet_done(MetricsFleet *f);
void metrics_fleet_clear(MetricsFleet *f);

/* Replaces every VM with these (each with its path). Returns 0 or -ENOMEM
 * (then the fleet is empty). */
int metrics_fleet_replace_all(MetricsFleet *f, const Vm *vms, size_t n);
/* Adds vm, or replaces the VM of its path. Returns 0 or -ENOMEM (then the
 * fleet is unchanged). */
int metrics_fleet_set(MetricsFleet *f, const Vm *vm);
/* Removes the VM of path, if there is one. */
void metrics_fleet_remove(MetricsFleet *f, const char *path);
/* Whether the fleet has a VM of path. */
bool metrics_fleet_has(const MetricsFleet *f, const char *path);

/* The whole text into t (emptied first); t->failed if out of memory. */
void metrics_fleet_write(const MetricsFleet *f, const MetricsDaemon *d, PromText *t);
