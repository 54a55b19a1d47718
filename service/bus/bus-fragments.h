/* Each domain's part of a whole-fleet reply as bytes (bus-bytes.h): its
 * summary for ListSummaries, its object for GetManagedObjects. A part is
 * kept while its domain's stamp (domain.h) stays the one it was built at,
 * so after a change of one domain a reply of ten thousand is that one
 * domain marshalled and the others' bytes copied; with nothing changed it
 * is all copied. What is kept is bounded (the daemon's --keep-replies):
 * past it, parts are built for the reply at hand and not kept; the parts
 * of a kind no reply used for a minute go. A summary's part follows the
 * domain's summary_stamp, which most collections leave. Main thread only;
 * the counters may be read from any. */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "bus-bytes.h"
#include "domain.h"
#include "macro.h"

typedef enum BusFragmentKind {
        BUS_FRAGMENT_SUMMARY,
        BUS_FRAGMENT_OBJECT,
        _BUS_FRAGMENT_KIND_MAX,
} BusFragmentKind;

typedef struct BusFragments BusFragments;

/* Writes d's part at the start of b (which stands for an 8-aligned offset
 * of the reply's body): 0, or < 0 (then the reply fails with it); a part of
 * no bytes is no entry (an object without interfaces). */
typedef int (*BusFragmentBuild)(BusBytes *b, Domain *d, void *userdata);

/* How long the parts of a kind stay unused, unless set. */
#define BUS_FRAGMENTS_IDLE_DEFAULT (60ULL * 1000 * 1000)

/* At most max bytes kept in all; event NULL: kept however long unused. */
int bus_fragments_new(sd_event *event, uint64_t max, BusFragments **ret);
BusFragments *bus_fragments_free(BusFragments *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusFragments *, bus_fragments_free);

/* From now on; what is kept past it goes. 0: nothing is kept. */
void bus_fragments_set_max(BusFragments *f, uint64_t bytes);

/* How long the parts of a kind stay unused (from event's thread). */
void bus_fragments_set_idle(BusFragments *f, uint64_t usec);

/* A reply used the parts of kind: they stay another idle time. Accepts
 * NULL. */
void bus_fragments_used(BusFragments *f, BusFragmentKind kind);

/* d changed or goes: its parts go now rather than when next asked. */
void bus_fragments_forget(BusFragments *f, const Domain *d);

/* Appends d's part to body as an array element (8-aligned): the kept
 * bytes if d's stamp is theirs, else what build writes (kept if they fit).
 * 1 if it was built, 0 if copied, < 0 if build failed. f NULL: built and
 * not kept. */
int bus_fragments_append(BusFragments *f, BusBytes *body, Domain *d, BusFragmentKind kind, BusFragmentBuild build,
                         void *userdata);

/* Whether d's part of kind is kept and still what d would give. */
bool bus_fragments_fresh(BusFragments *f, const Domain *d, BusFragmentKind kind);

/* Keeps the len bytes at p as d's part of kind, built when d's stamp (or
 * summary_stamp) was stamp (cut from a whole reply marshalled then), if
 * they fit. */
void bus_fragments_keep(BusFragments *f, const Domain *d, BusFragmentKind kind, uint64_t stamp, const uint8_t *p,
                        size_t len);

/* A size to reserve for the next body of kind: the last one's. */
size_t bus_fragments_last_size(BusFragments *f, BusFragmentKind kind);
void bus_fragments_set_last_size(BusFragments *f, BusFragmentKind kind, size_t size);

typedef struct BusFragmentsStats {
        uint64_t built;  /* parts built */
        uint64_t copied; /* parts copied from what was kept */
        uint64_t bytes;  /* kept now */
} BusFragmentsStats;

void bus_fragments_stats(BusFragments *f, BusFragmentKind kind, BusFragmentsStats *ret);
