/* guest-get-disks, from the agent's reply or from libvirt's typed
 * parameters, into bounded GuestDisks (guest-disks.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "guest-builder.h"
#include "guest-disks.h"
#include "guest-json.h"
#include "json-budget.h"
#include "json-return.h"

/* libvirt's indexes are ints; more digits than this is garbage. */
#define INDEX_DIGITS_MAX 9

/* What one disk is while it is read: views into the reply. */
typedef struct DiskIn {
        GuestText name, serial, bus, guest_alias, target;
        bool partition;
        GuestText deps[GUEST_DISK_DEPS_MAX];
        size_t n_deps;
} DiskIn;

static void disk_done(GuestDisk *d) {
        free(d->name);
        for (size_t i = 0; i < d->n_dependencies; i++)
                free(d->dependencies[i]);
        free(d->dependencies);
        free(d->serial);
        free(d->bus);
        free(d->guest_alias);
        free(d->target);
        free(d->source);
}

GuestDisks *guest_disks_free(GuestDisks *d) {
        if (!d)
                return NULL;
        for (size_t i = 0; i < d->n_items; i++)
                disk_done(&d->items[i]);
        free(d->items);
        free(d);
        return NULL;
}

static bool str_eq(const char *a, const char *b) {
        return a == b || (a && b && strcmp(a, b) == 0);
}

bool guest_disks_equal(const GuestDisks *a, const GuestDisks *b) {
        if (!a || !b)
                return a == b;
        if (a->n_items != b->n_items || a->n_reported != b->n_reported)
                return false;
        for (size_t i = 0; i < a->n_items; i++) {
                const GuestDisk *x = &a->items[i], *y = &b->items[i];
                if (!str_eq(x->name, y->name) || x->partition != y->partition || !str_eq(x->serial, y->serial) ||
                    !str_eq(x->bus, y->bus) || !str_eq(x->guest_alias, y->guest_alias) ||
                    !str_eq(x->target, y->target) || !str_eq(x->source, y->source) ||
                    x->n_dependencies != y->n_dependencies)
                        return false;
                for (size_t k = 0; k < x->n_dependencies; k++)
                        if (!str_eq(x->dependencies[k], y->dependencies[k]))
                                return false;
        }
        return true;
}

/* A sanitized copy of t within max bytes, charged to *spent; *ret NULL for
 * absent text. -ENOSPC when the budget is spent, -ENOMEM. */
static int take_text(GuestText t, size_t max, size_t *spent, char **ret) {
        *ret = NULL;
        if (!t.s)
                return 0;
        char *s = utf8_sanitize(t.s, t.len, max);
        if (!s)
                return -ENOMEM;
        size_t l = (4 + strlen(s) + 1 + 3) & ~(size_t) 3; /* as dbus-1 marshals it, padded */
        if (*spent + l > GUEST_DISKS_BUDGET) {
                free(s);
                return -ENOSPC;
        }
        *spent += l;
        *ret = s;
        return 0;
}

/* Adds one disk; a disk without a name, or past the budget, is dropped
 * (the budget's end drops the rest). Returns 0 or -ENOMEM. */
static int add_disk(GuestDisks *d, const DiskIn *in, size_t *spent, bool *full) {
        GuestDisk disk = { .partition = in->partition };
        size_t before = *spent;
        int r;

        if (*full || !in->name.s || d->n_items >= GUEST_DISKS_MAX)
                return 0;
        if (*spent + DISK_WIRE_FIXED > GUEST_DISKS_BUDGET) {
                *full = true;
                return 0;
        }
        *spent += DISK_WIRE_FIXED;
        r = take_text(in->name, GUEST_DISK_DEVICE_MAX, spent, &disk.name);
        if (r >= 0)
                r = take_text(in->serial, GUEST_DISK_SERIAL_MAX, spent, &disk.serial);
        if (r >= 0)
                r = take_text(in->bus, GUEST_DISK_BUS_MAX, spent, &disk.bus);
        if (r >= 0)
                r = take_text(in->guest_alias, GUEST_DISK_NAME_MAX, spent, &disk.guest_alias);
        if (r >= 0)
                r = take_text(in->target, GUEST_DISK_ALIAS_MAX, spent, &disk.target);
        if (r >= 0 && in->n_deps > 0 && !(disk.dependencies = calloc(in->n_deps, sizeof(char *))))
                r = -ENOMEM;
        for (size_t k = 0; r >= 0 && k < in->n_deps; k++) {
                char *s;
                if (!in->deps[k].s)
                        continue;
                r = take_text(in->deps[k], GUEST_DISK_DEVICE_MAX, spent, &s);
                if (r >= 0)
                        disk.dependencies[disk.n_dependencies++] = s;
        }
        if (r < 0) {
                disk_done(&disk);
                *spent = before;
                if (r == -ENOSPC) {
                        *full = true;
                        return 0;
                }
                return r;
        }
        d->items[d->n_items++] = disk;
        return 0;
}

/* ---- the agent's reply ---- */

static GuestText member_text(json_t *o, const char *name) {
        json_t *v = json_object_get(o, name);

        if (!json_is_string(v))
                return GUEST_TEXT_NONE;
        return (GuestText){ json_string_value(v), json_string_length(v) };
}

int guest_disks_from_agent_json(const char *json, size_t len, GuestDisks **ret) {
        JsonKeep keep = json_keep(GUEST_DISKS_MAX, JSON_DISK_MAX);
        json_t *parsed = NULL;
        size_t count = 0;
        int r;

        *ret = NULL;
        r = json_load_return_array(json, len, &keep, &parsed, &count);
        if (r < 0)
                return r;
        GuestDisks *d = calloc(1, sizeof *d);
        size_t m = json_array_size(parsed);
        if (!d || (m > 0 && !(d->items = calloc(m < GUEST_DISKS_MAX ? m : GUEST_DISKS_MAX, sizeof *d->items)))) {
                free(d);
                json_decref(parsed);
                return -ENOMEM;
        }
        d->n_reported = count;
        size_t spent = 0;
        bool full = false;
        for (size_t i = 0; r >= 0 && i < m; i++) {
                json_t *o = json_array_get(parsed, i), *deps = json_object_get(o, "dependencies");
                json_t *addr = json_object_get(o, "address");
                DiskIn in = {
                        .name = member_text(o, "name"),
                        .partition = json_is_true(json_object_get(o, "partition")),
                        .guest_alias = member_text(o, "alias"),
                        .serial = member_text(addr, "serial"),
                        .bus = member_text(addr, "bus-type"),
                };
                for (size_t k = 0; json_is_array(deps) && k < json_array_size(deps) && in.n_deps < GUEST_DISK_DEPS_MAX;
                     k++) {
                        json_t *v = json_array_get(deps, k);
                        if (json_is_string(v))
                                in.deps[in.n_deps++] = (GuestText){ json_string_value(v), json_string_length(v) };
                }
                r = add_disk(d, &in, &spent, &full);
        }
        json_decref(parsed);
        if (r < 0)
                return guest_disks_free(d), r;
        *ret = d;
        return 0;
}

/* ---- libvirt's typed parameters ---- */

static bool parse_index(const char **p, size_t *ret) {
        const char *s = *p;
        size_t v = 0, i = 0;

        for (; s[i] >= '0' && s[i] <= '9'; i++) {
                if (i == INDEX_DIGITS_MAX)
                        return false;
                v = v * 10 + (size_t) (s[i] - '0');
        }
        if (i == 0 || s[i] != '.' || (i > 1 && s[0] == '0'))
                return false;
        *p = s + i + 1;
        *ret = v;
        return true;
}

static GuestText param_text(const virTypedParameter *p) {
        if (p->type != VIR_TYPED_PARAM_STRING || !p->value.s)
                return GUEST_TEXT_NONE;
        return guest_text(p->value.s);
}

static void set_text(GuestText *dst, const virTypedParameter *p) {
        GuestText t = param_text(p);
        if (t.s)
                *dst = t;
}

static bool param_uint(const virTypedParameter *p, uint64_t *ret) {
        switch (p->type) {
        case VIR_TYPED_PARAM_INT:
                if (p->value.i < 0)
                        return false;
                *ret = (uint64_t) p->value.i;
                return true;
        case VIR_TYPED_PARAM_UINT:
                *ret = p->value.ui;
                return true;
        case VIR_TYPED_PARAM_LLONG:
                if (p->value.l < 0)
                        return false;
                *ret = (uint64_t) p->value.l;
                return true;
        case VIR_TYPED_PARAM_ULLONG:
                *ret = p->value.ul;
                return true;
        default:
                return false;
        }
}

int guest_disks_from_typed_params(const virTypedParameter *params, size_t n, GuestDisks **ret) {
        GuestDisks *d = calloc(1, sizeof *d);
        DiskIn *in = calloc(GUEST_DISKS_MAX, sizeof *in);
        uint64_t count = 0;
        bool has_count = false;
        size_t end = 0;
        int r = 0;

        *ret = NULL;
        if (!d || !in) {
                free(d);
                free(in);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                const char *k = params[i].field, *rest;
                size_t idx, dep;

                if (strncmp(k, "disk.", 5) != 0)
                        continue;
                rest = k + 5;
                if (strcmp(rest, "count") == 0) {
                        has_count = param_uint(&params[i], &count);
                        continue;
                }
                if (!parse_index(&rest, &idx) || idx >= GUEST_DISKS_MAX)
                        continue;
                if (idx + 1 > end)
                        end = idx + 1;
                DiskIn *x = &in[idx];
                if (strcmp(rest, "name") == 0)
                        set_text(&x->name, &params[i]);
                else if (strcmp(rest, "partition") == 0 && params[i].type == VIR_TYPED_PARAM_BOOLEAN)
                        x->partition = params[i].value.b != 0;
                else if (strcmp(rest, "serial") == 0)
                        set_text(&x->serial, &params[i]);
                else if (strcmp(rest, "alias") == 0)
                        set_text(&x->target, &params[i]);
                else if (strcmp(rest, "guest_alias") == 0)
                        set_text(&x->guest_alias, &params[i]);
                else if (strcmp(rest, "guest_bus") == 0)
                        set_text(&x->bus, &params[i]);
                else if (strncmp(rest, "dependency.", 11) == 0) {
                        rest += 11;
                        if (parse_index(&rest, &dep) && dep < GUEST_DISK_DEPS_MAX && strcmp(rest, "name") == 0) {
                                set_text(&x->deps[dep], &params[i]);
                                if (dep + 1 > x->n_deps)
                                        x->n_deps = dep + 1;
                        }
                }
        }
        size_t slots = has_count && count < end ? (size_t) count : end;
        d->n_reported = has_count ? (size_t) (count > SIZE_MAX ? SIZE_MAX : count) : end;
        if (slots > 0 && !(d->items = calloc(slots, sizeof *d->items)))
                r = -ENOMEM;
        size_t spent = 0;
        bool full = false;
        for (size_t i = 0; r >= 0 && i < slots; i++)
                r = add_disk(d, &in[i], &spent, &full);
        free(in);
        if (r < 0)
                return guest_disks_free(d), r;
        *ret = d;
        return 0;
}

/* ---- the domain's disks ---- */

int guest_disks_link_domain(GuestDisks *d, const DomainDevices *devices) {
        if (!d || !devices)
                return 0;
        for (size_t i = 0; i < d->n_items; i++) {
                GuestDisk *g = &d->items[i];
                const DomainDisk *match = NULL;

                for (size_t k = 0; !match && k < devices->n_disks; k++) {
                        const DomainDisk *dd = &devices->disks[k];
                        if (g->target ? str_eq(g->target, dd->target)
                                      : (g->serial && !g->partition && str_eq(g->serial, dd->serial)))
                                match = dd;
                }
                if (!match)
                        continue;
                if (!g->target && !(g->target = strdup(match->target)))
                        return -ENOMEM;
                /* libvirt 9.0's typed parameters carry no bus: the domain's */
                if (!g->bus && match->bus && !(g->bus = strdup(match->bus)))
                        return -ENOMEM;
                free(g->source);
                g->source = NULL;
                if (match->source && !(g->source = strdup(match->source)))
                        return -ENOMEM;
        }
        return 0;
}

const GuestDisk *guest_disks_find(const GuestDisks *d, const char *name) {
        if (!d || !name)
                return NULL;
        for (size_t i = 0; i < d->n_items; i++) {
                const char *n = d->items[i].name;
                if (!n)
                        continue;
                if (strcmp(n, name) == 0)
                        return &d->items[i];
                if (strncmp(n, "/dev/", 5) == 0 && strcmp(n + 5, name) == 0)
                        return &d->items[i];
        }
        return NULL;
}
