/* The guest's counters from the agent's own replies (guest-counters.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guest-builder.h"
#include "guest-data.h"
#include "guest-counters.h"
#include "guest-kinds.h"
#include "json-budget.h"
#include "json-return.h"

const char *const guest_nic_counter_names[_NIC_COUNTER_MAX] = {
        "rx-bytes", "rx-packets", "rx-errs", "rx-dropped", "tx-bytes", "tx-packets", "tx-errs", "tx-dropped",
};

const char *const guest_cpu_counter_names[_CPU_COUNTER_MAX] = {
        "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guestnice",
};

const char *const guest_disk_counter_names[_DISK_COUNTER_MAX] = {
        "read-ios",       "read-merges",     "read-sectors",  "read-ticks",  "write-ios",    "write-merges",
        "write-sectors",  "write-ticks",     "ios-pgr",       "total-ticks", "weight-ticks", "discard-ios",
        "discard-merges", "discard-sectors", "discard-ticks", "flush-ios",   "flush-ticks",
};

void guest_counter_list_done(GuestCounterList *l) {
        for (size_t i = 0; l && i < l->n_items; i++)
                free(l->items[i].name);
        if (l)
                free(l->items), *l = (GuestCounterList){ 0 };
}

/* The counters of o named by names into v and has. */
static void read_counters(json_t *o, const char *const *names, size_t n, uint64_t *v, uint32_t *has) {
        for (size_t i = 0; json_is_object(o) && i < n; i++) {
                json_t *x = json_object_get(o, names[i]);
                if (json_is_integer(x) && json_integer_value(x) >= 0) {
                        v[i] = (uint64_t) json_integer_value(x);
                        *has |= UINT32_C(1) << i;
                }
        }
}

/* What an entry costs as GetCounters carries it, (sa{st}), rounded up:
 * the struct's padding, its name, the array's length and padding, and
 * per counter an entry's padding, its key and its value. */
static size_t entry_cost(const GuestCounterEntry *e, const char *const *names, size_t n_names) {
        size_t cost = 4 + ((4 + strlen(e->name) + 1 + 3) & ~(size_t) 3) + 8;
        for (size_t i = 0; i < n_names; i++)
                if (e->has & (UINT32_C(1) << i))
                        cost += 4 + ((4 + strlen(names[i]) + 1 + 3) & ~(size_t) 3) + 8;
        return cost;
}

static int read_list(const char *json, size_t len, size_t element_max, const char *stats_member,
                     const char *const *names, size_t n_names, size_t name_max, GuestCounterList *ret) {
        JsonKeep keep = json_keep(GUEST_COUNTERS_MAX, element_max);
        GuestCounterList l = { 0 };
        json_t *array = NULL;
        size_t count = 0, spent = 0;
        int r = json_load_return_array(json, len, &keep, &array, &count);

        *ret = l;
        if (r < 0)
                return r;
        l.n_reported = count;
        size_t m = json_array_size(array);
        if (m > 0 && !(l.items = calloc(m, sizeof *l.items)))
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < m; i++) {
                json_t *o = json_array_get(array, i), *name = json_object_get(o, "name");
                GuestCounterEntry *e = &l.items[l.n_items];
                if (!json_is_string(name))
                        continue;
                if (!(e->name = utf8_sanitize(json_string_value(name), json_string_length(name), name_max))) {
                        r = -ENOMEM;
                        break;
                }
                read_counters(json_object_get(o, stats_member), names, n_names, e->v, &e->has);
                /* the list's share of the budget spent: this one and the rest are dropped */
                spent += entry_cost(e, names, n_names);
                if (spent > GUEST_COUNTERS_BUDGET) {
                        free(e->name);
                        *e = (GuestCounterEntry){ 0 };
                        break;
                }
                l.n_items++;
        }
        json_decref(array);
        if (r < 0) {
                guest_counter_list_done(&l);
                return r;
        }
        /* room for every entry was taken; the budget may have kept fewer */
        if (l.n_items < m) {
                GuestCounterEntry *fit = l.n_items ? realloc(l.items, l.n_items * sizeof *l.items) : NULL;
                if (fit || l.n_items == 0) {
                        if (l.n_items == 0)
                                free(l.items);
                        l.items = fit;
                }
        }
        *ret = l;
        return 0;
}

int guest_nic_counters_from_agent_json(const char *json, size_t len, GuestCounterList *ret) {
        return read_list(json, len, JSON_NIC_COUNTERS_MAX, "statistics", guest_nic_counter_names, _NIC_COUNTER_MAX,
                         GUEST_INTERFACE_NAME_MAX, ret);
}

int guest_disk_counters_from_agent_json(const char *json, size_t len, GuestCounterList *ret) {
        return read_list(json, len, JSON_DISK_COUNTERS_MAX, "stats", guest_disk_counter_names, _DISK_COUNTER_MAX,
                         GUEST_DISK_NAME_MAX, ret);
}

int guest_cpu_counters_from_agent_json(const char *json, size_t len, GuestCpuCounters *ret) {
        /* every CPU counts: ~150 bytes each, 128 KiB hold ~850 */
        JsonKeep keep = json_keep(SIZE_MAX, JSON_CPU_COUNTERS_MAX);
        GuestCpuCounters c = { 0 };
        json_t *array = NULL;
        size_t count = 0;
        int r = json_load_return_array(json, len, &keep, &array, &count);

        if (r < 0)
                return r;
        for (size_t i = 0; i < json_array_size(array); i++) {
                json_t *o = json_array_get(array, i);
                uint64_t v[_CPU_COUNTER_MAX] = { 0 };
                uint32_t has = 0;
                if (!json_is_object(o))
                        continue;
                read_counters(o, guest_cpu_counter_names, _CPU_COUNTER_MAX, v, &has);
                for (size_t k = 0; k < _CPU_COUNTER_MAX; k++)
                        if (__builtin_add_overflow(c.v[k], v[k], &c.v[k]))
                                c.v[k] = UINT64_MAX;
                c.has |= has;
                c.n_cpus++;
        }
        json_decref(array);
        *ret = c;
        return 0;
}

GuestCounters *guest_counters_free(GuestCounters *c) {
        if (!c)
                return NULL;
        guest_counter_list_done(&c->nics);
        guest_counter_list_done(&c->disks);
        free(c);
        return NULL;
}

int guest_counters_take(GuestCounters **dst, GuestCounters *src, unsigned kinds) {
        if (!src || !(kinds & GUEST_KIND_COUNTERS))
                return 0;
        if (!*dst && !(*dst = calloc(1, sizeof **dst)))
                return -ENOMEM;
        if (kinds & GUEST_KIND_NIC_COUNTERS) {
                guest_counter_list_done(&(*dst)->nics);
                (*dst)->nics = src->nics;
                src->nics = (GuestCounterList){ 0 };
        }
        if (kinds & GUEST_KIND_CPU_COUNTERS)
                (*dst)->cpu = src->cpu;
        if (kinds & GUEST_KIND_DISK_COUNTERS) {
                guest_counter_list_done(&(*dst)->disks);
                (*dst)->disks = src->disks;
                src->disks = (GuestCounterList){ 0 };
        }
        return 0;
}

int guest_counters_info_from_agent_json(unsigned kind, const char *json, size_t len, GuestInfo **ret) {
        GuestCounters *c = calloc(1, sizeof *c);
        int r;

        if (!c)
                return -ENOMEM;
        r = kind == GUEST_KIND_NIC_COUNTERS    ? guest_nic_counters_from_agent_json(json, len, &c->nics)
            : kind == GUEST_KIND_CPU_COUNTERS  ? guest_cpu_counters_from_agent_json(json, len, &c->cpu)
            : kind == GUEST_KIND_DISK_COUNTERS ? guest_disk_counters_from_agent_json(json, len, &c->disks)
                                               : -EINVAL;
        GuestInfo *g = r >= 0 ? guest_info_new() : NULL;
        if (r >= 0 && !g)
                r = -ENOMEM;
        if (r < 0) {
                guest_counters_free(c);
                return r;
        }
        g->kinds = kind;
        g->counters = c;
        *ret = g;
        return 0;
}
