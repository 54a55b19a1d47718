/* The calls that answer with the whole tree: GetManagedObjects,
 * ListSummaries and ListDomains of the manager object, and Introspect of
 * the domain objects' parent (one <node/> per domain). A bus filter sees
 * them before sd-bus does and queues them for their sender's turn
 * (bus-fairness.h). GetManagedObjects is answered from the model here: the
 * domain objects' own vtables are walked as sd-bus walks them (same
 * interfaces, same properties, EXPLICIT and HIDDEN ones left out), and the
 * bytes are counted while the reply is built, so a tree the bus would
 * refuse (its sender disconnected) is answered with
 * org.freedesktop.DBus.Error.LimitsExceeded instead. */
#pragma once

#include <systemd/sd-bus.h>

#include "bus-domain.h"
#include "bus-fairness.h"
#include "bus-fragments.h"
#include "macro.h"
#include "manager.h"

typedef struct BusTree BusTree;

/* domains and fairness must outlive the BusTree. */
int bus_tree_new(sd_bus *bus, Manager *m, BusDomain *domains, BusFairness *fairness, BusTree **ret);
BusTree *bus_tree_free(BusTree *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusTree *, bus_tree_free);

/* d changed or goes away: what was kept of it goes. With a writer
 * (bus-writer.h) GetManagedObjects and ListSummaries are written as bytes
 * and each domain's part is kept (bus-fragments.h). Without one the tree
 * remembers each object's size and, while every object's is known and the
 * whole is far below the limit, writes the reply as sd-bus does, without
 * counting it again. Accepts NULL. */
void bus_tree_forget(BusTree *t, const Domain *d);

/* The most the kept parts may hold (the daemon's --keep-replies), and how
 * long those of a call nobody makes stay (a minute unless set). */
void bus_tree_set_kept_max(BusTree *t, uint64_t bytes);
void bus_tree_set_kept_idle(BusTree *t, uint64_t usec);

/* What the parts of kind cost and saved, for tests and benchmarks. */
void bus_tree_fragments_stats(BusTree *t, BusFragmentKind kind, BusFragmentsStats *ret);
