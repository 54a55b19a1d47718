#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest-builder.h"
#include "guest-disks.h"
#include "guest-info.h"
#include "helpers.h"

/* ---- typed parameters ---- */

/* libvirt's indexes are ints; more digits than this is garbage. */
#define INDEX_DIGITS_MAX 9
/* Stands for "count" where an index would be ("user.count", "if.0.addr.count"). */
#define INDEX_COUNT SIZE_MAX

typedef enum List {
        LIST_NONE = -1,
        LIST_USER,
        LIST_FS,
        LIST_IF,
        _LIST_MAX,
} List;

static const struct {
        const char *prefix;
        const char *sub_prefix; /* the nested list, NULL if none */
        size_t sub_cap;
        GuestKind kind; /* the list's cap is its kind's */
} lists[_LIST_MAX] = {
        [LIST_USER] = { "user.", NULL, 0, GUEST_KIND_USERS },
        [LIST_FS] = { "fs.", "disk.", GUEST_FS_DISKS_MAX, GUEST_KIND_FILESYSTEMS },
        [LIST_IF] = { "if.", "addr.", GUEST_ADDRESSES_MAX, GUEST_KIND_INTERFACES },
};

static size_t list_cap(List l) {
        return guest_kind_info(lists[l].kind)->list_max;
}

/* A key of a list, "fs.1.disk.0.serial" = { LIST_FS, 1, sub, 0, "serial" }. */
typedef struct Key {
        List list;         /* LIST_NONE: see field */
        size_t index;      /* N, or INDEX_COUNT */
        bool sub;          /* fs.N.disk.*, if.N.addr.* */
        size_t sub_index;  /* M, or INDEX_COUNT */
        const char *field; /* what follows the indexes; for LIST_NONE the whole
                            * key if it may be a top-level one, else NULL */
} Key;

/* What the guest said about the size of a list (or of one nested list). */
typedef struct Extent {
        bool has_count;
        uint64_t count;
        size_t end; /* 1 + the highest index seen below the cap */
} Extent;

typedef struct Parser {
        const virTypedParameter *params;
        size_t n;
        Key *keys;
        Extent extent[_LIST_MAX];
        size_t slots[_LIST_MAX];       /* entries read per list */
        Extent *sub_extent[_LIST_MAX]; /* per slot of LIST_FS and LIST_IF */
        /* What the guest sent, as views into params, until it goes to the builder. */
        GuestUserIn *users;
        GuestFilesystemIn *fss; /* disks: allocated here */
        GuestInterfaceIn *ifs;  /* addresses: allocated here */
        GuestBuilder b;
} Parser;

static bool startswith(const char *s, const char *prefix, const char **rest) {
        size_t l = strlen(prefix);

        if (strncmp(s, prefix, l) != 0)
                return false;
        *rest = s + l;
        return true;
}

/* A strict decimal index followed by '.': no sign, no leading zero, no
 * space, at most INDEX_DIGITS_MAX digits. Advances *p past the dot. */
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

/* false: not a key of a list, or a malformed one. */
static bool parse_key(const char *name, Key *k) {
        const char *rest, *sub;

        for (List l = 0; l < _LIST_MAX; l++) {
                if (!startswith(name, lists[l].prefix, &rest))
                        continue;
                *k = (Key){ .list = l };
                if (strcmp(rest, "count") == 0) {
                        k->index = INDEX_COUNT;
                        k->field = rest;
                        return true;
                }
                if (!parse_index(&rest, &k->index))
                        return false;
                if (lists[l].sub_prefix && startswith(rest, lists[l].sub_prefix, &sub)) {
                        k->sub = true;
                        if (strcmp(sub, "count") == 0)
                                k->sub_index = INDEX_COUNT;
                        else if (!parse_index(&sub, &k->sub_index))
                                return false;
                        rest = sub;
                }
                k->field = rest;
                return *rest != '\0';
        }
        return false;
}

/* Any integer parameter as an unsigned number; false if negative or not an integer. */
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

static bool param_int(const virTypedParameter *p, int64_t *ret) {
        switch (p->type) {
        case VIR_TYPED_PARAM_INT:
                *ret = p->value.i;
                return true;
        case VIR_TYPED_PARAM_UINT:
                *ret = p->value.ui;
                return true;
        case VIR_TYPED_PARAM_LLONG:
                *ret = p->value.l;
                return true;
        case VIR_TYPED_PARAM_ULLONG:
                if (p->value.ul > INT64_MAX)
                        return false;
                *ret = (int64_t) p->value.ul;
                return true;
        default:
                return false;
        }
}

/* A string parameter as the guest's text; absent for another type. */
static GuestText param_text(const virTypedParameter *p) {
        if (p->type != VIR_TYPED_PARAM_STRING || !p->value.s)
                return GUEST_TEXT_NONE;
        return guest_text(p->value.s);
}

/* A later parameter of the same key wins; one of another type is ignored. */
static void set_text(GuestText *dst, const virTypedParameter *p) {
        GuestText t = param_text(p);

        if (t.s)
                *dst = t;
}

/* Entries to allocate: the highest index seen, within the cap and the count. */
static size_t extent_slots(const Extent *e, size_t cap) {
        size_t n = e->end < cap ? e->end : cap;

        if (e->has_count && e->count < n)
                n = (size_t) e->count;
        return n;
}

static void extent_add(Extent *e, size_t index, const virTypedParameter *p, size_t cap) {
        if (index == INDEX_COUNT) {
                uint64_t v;

                /* A count that is not a non-negative integer is no count. */
                if (param_uint(p, &v)) {
                        e->has_count = true;
                        e->count = v;
                }
        } else if (index < cap && index + 1 > e->end)
                e->end = index + 1;
}

static int cmp_size(const void *a, const void *b) {
        size_t x = *(const size_t *) a, y = *(const size_t *) b;

        return x < y ? -1 : x > y;
}

/* How many entries the guest sent in list l, without a count: the distinct
 * indexes, wherever they are. */
static int distinct_indexes(Parser *p, List l, size_t *ret) {
        size_t *idx, n = 0, distinct = 0;

        idx = malloc(p->n * sizeof *idx);
        if (!idx)
                return -ENOMEM;
        for (size_t i = 0; i < p->n; i++)
                if (p->keys[i].list == l && p->keys[i].index != INDEX_COUNT)
                        idx[n++] = p->keys[i].index;
        qsort(idx, n, sizeof *idx, cmp_size);
        for (size_t i = 0; i < n; i++)
                if (i == 0 || idx[i] != idx[i - 1])
                        distinct++;
        free(idx);
        *ret = distinct;
        return 0;
}

static void parser_done(Parser *p) {
        free(p->keys);
        for (List l = 0; l < _LIST_MAX; l++)
                free(p->sub_extent[l]);
        for (size_t i = 0; p->fss && i < p->slots[LIST_FS]; i++)
                free((void *) p->fss[i].disks);
        for (size_t i = 0; p->ifs && i < p->slots[LIST_IF]; i++)
                free((void *) p->ifs[i].addresses);
        free(p->users);
        free(p->fss);
        free(p->ifs);
}

static void *calloc_or_null(size_t n, size_t size, bool *oom) {
        void *v;

        if (n == 0)
                return NULL;
        v = calloc(n, size);
        if (!v)
                *oom = true;
        return v;
}

/* The lists' sizes, and their views, all zeroed. */
static int allocate_lists(Parser *p) {
        bool oom = false;

        for (size_t i = 0; i < p->n; i++) {
                const Key *k = &p->keys[i];

                if (k->list != LIST_NONE && !k->sub)
                        extent_add(&p->extent[k->list], k->index, &p->params[i], list_cap(k->list));
        }
        for (List l = 0; l < _LIST_MAX; l++)
                p->slots[l] = extent_slots(&p->extent[l], list_cap(l));

        p->users = calloc_or_null(p->slots[LIST_USER], sizeof *p->users, &oom);
        p->fss = calloc_or_null(p->slots[LIST_FS], sizeof *p->fss, &oom);
        p->ifs = calloc_or_null(p->slots[LIST_IF], sizeof *p->ifs, &oom);
        p->sub_extent[LIST_FS] = calloc_or_null(p->slots[LIST_FS], sizeof(Extent), &oom);
        p->sub_extent[LIST_IF] = calloc_or_null(p->slots[LIST_IF], sizeof(Extent), &oom);
        if (oom)
                return -ENOMEM;

        /* The nested lists, within the entries kept. */
        for (size_t i = 0; i < p->n; i++) {
                const Key *k = &p->keys[i];

                if (k->list != LIST_NONE && k->sub && k->index < p->slots[k->list])
                        extent_add(&p->sub_extent[k->list][k->index], k->sub_index, &p->params[i],
                                   lists[k->list].sub_cap);
        }
        for (size_t i = 0; i < p->slots[LIST_FS]; i++) {
                size_t n = extent_slots(&p->sub_extent[LIST_FS][i], GUEST_FS_DISKS_MAX);

                p->fss[i].disks = calloc_or_null(n, sizeof(GuestDiskIn), &oom);
                p->fss[i].n_disks = p->fss[i].disks ? n : 0;
        }
        for (size_t i = 0; i < p->slots[LIST_IF]; i++) {
                size_t n = extent_slots(&p->sub_extent[LIST_IF][i], GUEST_ADDRESSES_MAX);

                p->ifs[i].addresses = calloc_or_null(n, sizeof(GuestAddressIn), &oom);
                p->ifs[i].n_addresses = p->ifs[i].addresses ? n : 0;
        }
        return oom ? -ENOMEM : 0;
}

/* os.*, hostname, timezone.*: name is the parameter's field. */
static int fill_top(Parser *p, const char *name, const virTypedParameter *param, unsigned kinds) {
        static const char *const os_keys[_GUEST_OS_FIELD_MAX] = {
                [GUEST_OS_ID] = "os.id",
                [GUEST_OS_NAME] = "os.name",
                [GUEST_OS_PRETTY_NAME] = "os.pretty-name",
                [GUEST_OS_VERSION] = "os.version",
                [GUEST_OS_VERSION_ID] = "os.version-id",
                [GUEST_OS_KERNEL_RELEASE] = "os.kernel-release",
                [GUEST_OS_KERNEL_VERSION] = "os.kernel-version",
                [GUEST_OS_MACHINE] = "os.machine",
                [GUEST_OS_VARIANT] = "os.variant",
                [GUEST_OS_VARIANT_ID] = "os.variant-id",
        };

        if ((kinds & GUEST_KIND_OS) && strncmp(name, "os.", 3) == 0) {
                for (GuestOsField f = 0; f < _GUEST_OS_FIELD_MAX; f++)
                        if (strcmp(name, os_keys[f]) == 0)
                                return guest_builder_set_os(&p->b, f, param_text(param));
        } else if ((kinds & GUEST_KIND_HOSTNAME) && strcmp(name, "hostname") == 0)
                return guest_builder_set_hostname(&p->b, param_text(param));
        else if ((kinds & GUEST_KIND_TIMEZONE) && strcmp(name, "timezone.name") == 0)
                return guest_builder_set_timezone_name(&p->b, param_text(param));
        else if ((kinds & GUEST_KIND_TIMEZONE) && strcmp(name, "timezone.offset") == 0) {
                int64_t v;

                if (param_int(param, &v))
                        guest_builder_set_timezone_offset(&p->b, v);
        }
        return 0;
}

static void fill_user(Parser *p, const Key *k, const virTypedParameter *param) {
        GuestUserIn *u = &p->users[k->index];
        uint64_t ms;

        if (strcmp(k->field, "name") == 0)
                set_text(&u->name, param);
        else if (strcmp(k->field, "domain") == 0)
                set_text(&u->domain, param);
        else if (strcmp(k->field, "login-time") == 0 && param_uint(param, &ms))
                /* Whole seconds and the rest apart, so large values keep their ms. */
                u->login_time = (double) (ms / 1000) + (double) (ms % 1000) / 1000.0;
}

static void fill_filesystem(Parser *p, const Key *k, const virTypedParameter *param) {
        GuestFilesystemIn *fs = &p->fss[k->index];
        uint64_t v;

        if (k->sub) {
                GuestDiskIn *d;

                if (k->sub_index >= fs->n_disks)
                        return;
                d = (GuestDiskIn *) &fs->disks[k->sub_index];
                if (strcmp(k->field, "alias") == 0)
                        set_text(&d->alias, param);
                else if (strcmp(k->field, "serial") == 0)
                        set_text(&d->serial, param);
                else if (strcmp(k->field, "device") == 0)
                        set_text(&d->device, param);
                return;
        }
        if (strcmp(k->field, "name") == 0)
                set_text(&fs->disk_name, param);
        else if (strcmp(k->field, "mountpoint") == 0)
                set_text(&fs->mount_point, param);
        else if (strcmp(k->field, "fstype") == 0)
                set_text(&fs->fs_type, param);
        else if (strcmp(k->field, "total-bytes") == 0 && param_uint(param, &v)) {
                fs->total_bytes = v;
                fs->has_total = true;
        } else if (strcmp(k->field, "used-bytes") == 0 && param_uint(param, &v)) {
                fs->used_bytes = v;
                fs->has_used = true;
        }
}

static void fill_interface(Parser *p, const Key *k, const virTypedParameter *param) {
        GuestInterfaceIn *iface = &p->ifs[k->index];

        if (k->sub) {
                GuestAddressIn *a;

                if (k->sub_index >= iface->n_addresses)
                        return;
                a = (GuestAddressIn *) &iface->addresses[k->sub_index];
                if (strcmp(k->field, "type") == 0)
                        set_text(&a->type, param);
                else if (strcmp(k->field, "addr") == 0)
                        set_text(&a->addr, param);
                else if (strcmp(k->field, "prefix") == 0)
                        a->has_prefix = param_uint(param, &a->prefix);
                return;
        }
        if (strcmp(k->field, "name") == 0)
                set_text(&iface->name, param);
        else if (strcmp(k->field, "hwaddr") == 0)
                set_text(&iface->mac, param);
}

static int fill(Parser *p, unsigned kinds) {
        for (size_t i = 0; i < p->n; i++) {
                const Key *k = &p->keys[i];
                const virTypedParameter *param = &p->params[i];

                if (k->list == LIST_NONE) {
                        int r = k->field ? fill_top(p, k->field, param, kinds) : 0;
                        if (r < 0)
                                return r;
                } else if (k->index >= p->slots[k->list])
                        continue; /* counts, and entries beyond the cap or the count */
                else if (k->list == LIST_USER)
                        fill_user(p, k, param);
                else if (k->list == LIST_FS)
                        fill_filesystem(p, k, param);
                else
                        fill_interface(p, k, param);
        }
        return 0;
}

/* The entries, in index order, to the builder. */
static int build_lists(Parser *p) {
        int r = 0;

        for (size_t i = 0; r >= 0 && i < p->slots[LIST_USER]; i++)
                r = guest_builder_add_user(&p->b, &p->users[i]);
        for (size_t i = 0; r >= 0 && i < p->slots[LIST_FS]; i++)
                r = guest_builder_add_filesystem(&p->b, &p->fss[i]);
        for (size_t i = 0; r >= 0 && i < p->slots[LIST_IF]; i++)
                r = guest_builder_add_interface(&p->b, &p->ifs[i]);
        return r;
}

int guest_info_from_typed_params(const virTypedParameter *params, int n, unsigned kinds, GuestInfo **ret) {
        Parser p = { .params = params, .n = params && n > 0 ? (size_t) n : 0 };
        int r;

        r = guest_builder_begin_guest(&p.b, kinds);
        if (r < 0)
                return r;

        if (p.n > 0) {
                p.keys = calloc(p.n, sizeof *p.keys);
                if (!p.keys) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        for (size_t i = 0; i < p.n; i++) {
                Key *k = &p.keys[i];

                /* libvirt terminates the field; do not count on it. */
                if (strnlen(params[i].field, VIR_TYPED_PARAM_FIELD_LENGTH) == VIR_TYPED_PARAM_FIELD_LENGTH)
                        *k = (Key){ .list = LIST_NONE };
                else if (!parse_key(params[i].field, k))
                        *k = (Key){ .list = LIST_NONE, .field = params[i].field };
                else if (!(kinds & lists[k->list].kind))
                        *k = (Key){ .list = LIST_NONE };
        }

        r = allocate_lists(&p);
        if (r < 0)
                goto fail;
        r = fill(&p, kinds);
        if (r < 0)
                goto fail;

        {
                static const GuestList reported[_LIST_MAX] = {
                        [LIST_USER] = GUEST_LIST_USERS,
                        [LIST_FS] = GUEST_LIST_FILESYSTEMS,
                        [LIST_IF] = GUEST_LIST_INTERFACES,
                };
                for (List l = 0; l < _LIST_MAX; l++) {
                        size_t distinct;

                        if (p.extent[l].has_count)
                                guest_builder_set_reported(&p.b, reported[l], p.extent[l].count);
                        else if ((r = distinct_indexes(&p, l, &distinct)) < 0)
                                goto fail;
                        else
                                guest_builder_set_reported(&p.b, reported[l], distinct);
                }
        }

        r = build_lists(&p);
        if (r < 0)
                goto fail;
        parser_done(&p);
        GuestInfo *g = guest_builder_take_guest(&p.b);
        /* the guest's own disks: a list of their own, bounded there */
        if ((kinds & GUEST_KIND_DISKS) && (r = guest_disks_from_typed_params(params, p.n, &g->disks)) < 0) {
                guest_info_free(g);
                return r;
        }
        *ret = g;
        return 0;

fail:
        parser_done(&p);
        guest_builder_done(&p.b);
        return r;
}
