#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-fragments.h"
#include "hashmap.h"

/* One domain's parts. */
typedef struct Entry {
        char uuid[UUID_STRING_MAX];
        struct {
                uint64_t stamp; /* the domain's when built; 0: none kept */
                uint8_t *data;
                size_t len;
        } part[_BUS_FRAGMENT_KIND_MAX];
} Entry;

typedef struct Counters {
        atomic_uint_fast64_t built, copied, bytes;
} Counters;

struct BusFragments {
        Hashmap *entries; /* Entry by UUID */
        uint64_t max, bytes;
        BusBytes scratch; /* where parts are built, reused */
        size_t last_size[_BUS_FRAGMENT_KIND_MAX];
        Counters counters[_BUS_FRAGMENT_KIND_MAX];
        /* a kind's parts go once no reply used them for idle_usec */
        sd_event_source *expiry;
        uint64_t idle_usec, used_usec[_BUS_FRAGMENT_KIND_MAX];
};

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static void drop_kind(BusFragments *f, BusFragmentKind kind);

static int on_expiry(sd_event_source *source, uint64_t usec, void *userdata) {
        BusFragments *f = userdata;
        uint64_t now = now_usec(), next = 0;
        for (int k = 0; k < _BUS_FRAGMENT_KIND_MAX; k++) {
                if (!f->used_usec[k])
                        continue;
                if (now >= f->used_usec[k] + f->idle_usec) {
                        drop_kind(f, k);
                        f->used_usec[k] = 0;
                } else if (!next || f->used_usec[k] + f->idle_usec < next)
                        next = f->used_usec[k] + f->idle_usec;
        }
        if (next) {
                (void) sd_event_source_set_time(source, next);
                (void) sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
        }
        return 0;
}

int bus_fragments_new(sd_event *event, uint64_t max, BusFragments **ret) {
        _cleanup_(bus_fragments_freep) BusFragments *f = calloc(1, sizeof *f);
        if (!f)
                return -ENOMEM;
        f->entries = hashmap_new();
        if (!f->entries)
                return -ENOMEM;
        f->max = max;
        f->idle_usec = BUS_FRAGMENTS_IDLE_DEFAULT;
        if (event) {
                int r = sd_event_add_time(event, &f->expiry, CLOCK_MONOTONIC, 0, 0, on_expiry, f);
                if (r < 0)
                        return r;
                (void) sd_event_source_set_enabled(f->expiry, SD_EVENT_OFF);
        }
        *ret = TAKE_PTR(f);
        return 0;
}

void bus_fragments_set_idle(BusFragments *f, uint64_t usec) {
        f->idle_usec = usec;
        if (f->expiry) {
                /* looked at again now, with the new time */
                (void) sd_event_source_set_time(f->expiry, now_usec());
                (void) sd_event_source_set_enabled(f->expiry, SD_EVENT_ONESHOT);
        }
}

void bus_fragments_used(BusFragments *f, BusFragmentKind kind) {
        if (!f)
                return;
        f->used_usec[kind] = now_usec();
        int enabled = SD_EVENT_OFF;
        if (f->expiry && sd_event_source_get_enabled(f->expiry, &enabled) >= 0 && enabled == SD_EVENT_OFF) {
                (void) sd_event_source_set_time(f->expiry, f->used_usec[kind] + f->idle_usec);
                (void) sd_event_source_set_enabled(f->expiry, SD_EVENT_ONESHOT);
        }
}

static void drop_part(BusFragments *f, Entry *e, BusFragmentKind kind) {
        f->bytes -= e->part[kind].len;
        atomic_fetch_sub_explicit(&f->counters[kind].bytes, e->part[kind].len, memory_order_relaxed);
        free(e->part[kind].data);
        e->part[kind].data = NULL;
        e->part[kind].len = 0;
        e->part[kind].stamp = 0;
}

static void drop_entry(BusFragments *f, Entry *e) {
        for (int k = 0; k < _BUS_FRAGMENT_KIND_MAX; k++)
                drop_part(f, e, k);
        free(e);
}

static void drop_kind(BusFragments *f, BusFragmentKind kind) {
        Entry *e;
        HASHMAP_FOREACH (e, f->entries, i)
                drop_part(f, e, kind);
}

static void drop_all(BusFragments *f) {
        Entry *e;
        HASHMAP_FOREACH (e, f->entries, i)
                drop_entry(f, e);
        hashmap_free(f->entries);
        f->entries = NULL;
}

BusFragments *bus_fragments_free(BusFragments *f) {
        if (!f)
                return NULL;
        if (f->entries)
                drop_all(f);
        sd_event_source_disable_unref(f->expiry);
        bus_bytes_done(&f->scratch);
        free(f);
        return NULL;
}

void bus_fragments_set_max(BusFragments *f, uint64_t bytes) {
        f->max = bytes;
        if (f->bytes <= bytes)
                return;
        Hashmap *fresh = hashmap_new();
        if (!fresh)
                return; /* the parts go as their domains change */
        drop_all(f);
        f->entries = fresh;
}

void bus_fragments_forget(BusFragments *f, const Domain *d) {
        if (!f)
                return;
        Entry *e = hashmap_remove(f->entries, d->uuid);
        if (e)
                drop_entry(f, e);
}

/* Keeps the len bytes at p as d's part at stamp: false if they do not fit. */
static bool keep(BusFragments *f, const Domain *d, BusFragmentKind kind, uint64_t stamp, const uint8_t *p, size_t len) {
        Entry *e = hashmap_get(f->entries, d->uuid);
        if (e)
                drop_part(f, e, kind);
        if (len > f->max - f->bytes)
                return false;
        if (!e) {
                e = calloc(1, sizeof *e);
                if (!e)
                        return false;
                memcpy(e->uuid, d->uuid, sizeof e->uuid);
                if (hashmap_put(f->entries, e->uuid, e) < 0) {
                        free(e);
                        return false;
                }
        }
        uint8_t *copy = malloc(len ? len : 1);
        if (!copy)
                return false;
        memcpy(copy, p, len);
        e->part[kind].data = copy;
        e->part[kind].len = len;
        e->part[kind].stamp = stamp;
        f->bytes += len;
        atomic_fetch_add_explicit(&f->counters[kind].bytes, len, memory_order_relaxed);
        return true;
}

/* What a part of kind is valid for. */
static uint64_t stamp_of(const Domain *d, BusFragmentKind kind) {
        return kind == BUS_FRAGMENT_SUMMARY ? d->summary_stamp : d->stamp;
}

static void append_part(BusBytes *body, const uint8_t *p, size_t len) {
        if (len == 0)
                return; /* no entry */
        bus_bytes_align(body, 8);
        bus_bytes_raw(body, p, len);
}

int bus_fragments_append(BusFragments *f, BusBytes *body, Domain *d, BusFragmentKind kind, BusFragmentBuild build,
                         void *userdata) {
        int r;

        if (!f) {
                /* straight into the body, where an entry starts; no entry,
                 * no padding (the array's length would count it) */
                size_t before = body->len;
                bus_bytes_align(body, 8);
                size_t start = body->len;
                r = build(body, d, userdata);
                if (r >= 0 && !body->failed && body->len == start)
                        body->len = before;
                return r < 0 ? r : 1;
        }
        Entry *e = hashmap_get(f->entries, d->uuid);
        if (e && e->part[kind].stamp == stamp_of(d, kind) && e->part[kind].data) {
                append_part(body, e->part[kind].data, e->part[kind].len);
                atomic_fetch_add_explicit(&f->counters[kind].copied, 1, memory_order_relaxed);
                return 0;
        }

        BusBytes *b = &f->scratch;
        b->len = 0;
        b->failed = b->too_big = false;
        b->max = body->max;
        r = build(b, d, userdata);
        if (r < 0)
                return r;
        if (b->failed) {
                /* too big for a body: so is the body it would join */
                if (b->too_big)
                        body->failed = body->too_big = true;
                else
                        body->failed = true;
                return 1;
        }
        append_part(body, b->data, b->len);
        (void) keep(f, d, kind, stamp_of(d, kind), b->data, b->len);
        atomic_fetch_add_explicit(&f->counters[kind].built, 1, memory_order_relaxed);
        return 1;
}

bool bus_fragments_fresh(BusFragments *f, const Domain *d, BusFragmentKind kind) {
        Entry *e = f ? hashmap_get(f->entries, d->uuid) : NULL;
        return e && e->part[kind].stamp == stamp_of(d, kind) && e->part[kind].data;
}

void bus_fragments_keep(BusFragments *f, const Domain *d, BusFragmentKind kind, uint64_t stamp, const uint8_t *p,
                        size_t len) {
        if (f)
                (void) keep(f, d, kind, stamp, p, len);
}

size_t bus_fragments_last_size(BusFragments *f, BusFragmentKind kind) {
        return f ? f->last_size[kind] : 0;
}

void bus_fragments_set_last_size(BusFragments *f, BusFragmentKind kind, size_t size) {
        if (f)
                f->last_size[kind] = size;
}

void bus_fragments_stats(BusFragments *f, BusFragmentKind kind, BusFragmentsStats *ret) {
        *ret = (BusFragmentsStats){
                .built = atomic_load_explicit(&f->counters[kind].built, memory_order_relaxed),
                .copied = atomic_load_explicit(&f->counters[kind].copied, memory_order_relaxed),
                .bytes = atomic_load_explicit(&f->counters[kind].bytes, memory_order_relaxed),
        };
}
