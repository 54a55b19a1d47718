#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "metrics-fleet.h"

static void fleet_vm_done(MetricsFleetVm *v) {
        free(v->path);
        free(v->name);
        free(v->text);
        *v = (MetricsFleetVm){};
}

void metrics_fleet_clear(MetricsFleet *f) {
        for (size_t i = 0; i < f->n; i++)
                fleet_vm_done(&f->vms[i]);
        f->n = 0;
}

void metrics_fleet_done(MetricsFleet *f) {
        metrics_fleet_clear(f);
        free(f->vms);
        prom_text_done(&f->scratch);
        *f = (MetricsFleet){};
}

static char *dup_or_empty(const char *s) {
        return strdup(s ? s : "");
}

/* vm's series into out (the scratch buffer copied out at its size: a VM's
 * text is a few KiB, the scratch keeps the memory). */
static int render(MetricsFleet *f, const Vm *vm, MetricsFleetVm *out) {
        MetricsFleetVm v = {};

        prom_text_reset(&f->scratch);
        metrics_write_vm(&f->scratch, vm, v.offsets);
        if (f->scratch.failed)
                return -ENOMEM;
        v.path = dup_or_empty(vm->path);
        v.name = dup_or_empty(vm->name);
        v.text = malloc(f->scratch.len + 1);
        if (!v.path || !v.name || !v.text) {
                fleet_vm_done(&v);
                return -ENOMEM;
        }
        memcpy(v.text, f->scratch.data ? f->scratch.data : "", f->scratch.len);
        v.text[f->scratch.len] = '\0';
        *out = v;
        return 0;
}

static int compare_path(const void *a, const void *b) {
        const MetricsFleetVm *x = a, *y = b;
        return strcmp(x->path, y->path);
}

/* The index of path in f->vms, or where it would go (*found false). */
static size_t find(const MetricsFleet *f, const char *path, bool *found) {
        size_t lo = 0, hi = f->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(f->vms[mid].path, path);
                if (c == 0) {
                        *found = true;
                        return mid;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *found = false;
        return lo;
}

static bool reserve(MetricsFleet *f, size_t n) {
        if (n <= f->allocated)
                return true;
        size_t size = f->allocated ? f->allocated : 64;
        while (size < n)
                size *= 2;
        MetricsFleetVm *p = realloc(f->vms, size * sizeof *p);
        if (!p)
                return false;
        f->vms = p;
        f->allocated = size;
        return true;
}

int metrics_fleet_replace_all(MetricsFleet *f, const Vm *vms, size_t n) {
        metrics_fleet_clear(f);
        if (!reserve(f, n))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (render(f, &vms[i], &f->vms[f->n]) < 0) {
                        metrics_fleet_clear(f);
                        return -ENOMEM;
                }
                f->n++;
        }
        if (f->n > 1)
                qsort(f->vms, f->n, sizeof *f->vms, compare_path);
        return 0;
}

int metrics_fleet_set(MetricsFleet *f, const Vm *vm) {
        MetricsFleetVm v;
        bool found;

        if (!reserve(f, f->n + 1) || render(f, vm, &v) < 0)
                return -ENOMEM;
        size_t i = find(f, v.path, &found);
        if (found) {
                fleet_vm_done(&f->vms[i]);
                f->vms[i] = v;
                return 0;
        }
        memmove(&f->vms[i + 1], &f->vms[i], (f->n - i) * sizeof *f->vms);
        f->vms[i] = v;
        f->n++;
        return 0;
}

void metrics_fleet_remove(MetricsFleet *f, const char *path) {
        bool found;
        size_t i = find(f, path, &found);
        if (!found)
                return;
        fleet_vm_done(&f->vms[i]);
        memmove(&f->vms[i], &f->vms[i + 1], (f->n - i - 1) * sizeof *f->vms);
        f->n--;
}

bool metrics_fleet_has(const MetricsFleet *f, const char *path) {
        bool found;
        (void) find(f, path, &found);
        return found;
}

/* By name as vm-data.c sorts the VMs for metrics_write(); the path for
 * two of one name. */
static int compare_name(const void *a, const void *b) {
        const MetricsFleetVm *x = *(const MetricsFleetVm *const *) a, *y = *(const MetricsFleetVm *const *) b;
        int c = strcmp(x->name, y->name);
        return c ? c : strcmp(x->path, y->path);
}

void metrics_fleet_write(const MetricsFleet *f, const MetricsDaemon *d, PromText *t) {
        const MetricsFleetVm **order = NULL;

        prom_text_reset(t);
        metrics_write_daemon(t, d);
        if (!d->up)
                return;
        if (f->n > 0) {
                order = malloc(f->n * sizeof *order);
                if (!order) {
                        t->failed = true;
                        return;
                }
                for (size_t i = 0; i < f->n; i++)
                        order[i] = &f->vms[i];
                qsort(order, f->n, sizeof *order, compare_name);
        }
        for (size_t family = 0; family < METRICS_VM_FAMILIES; family++) {
                metrics_write_family_head(t, family);
                for (size_t i = 0; i < f->n; i++) {
                        const MetricsFleetVm *v = order[i];
                        prom_text_append(t, v->text + v->offsets[family], v->offsets[family + 1] - v->offsets[family]);
                }
        }
        free(order);
}
