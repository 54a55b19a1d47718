/* Turns for the calls whose cost grows with the fleet (bus-tree.h lists
 * them). Each waits in its sender's queue; the senders are served one call
 * at a time, a sender that had nothing waiting before those with a
 * backlog, from a defer source below the bus's priority: every message
 * waiting on the bus is handled first (the cheap ones answered, the costly
 * ones queued), or after BUS_FAIRNESS_SLICE_USEC for a sender with nothing
 * else waiting. One sender may have BUS_FAIRNESS_PER_SENDER calls waiting;
 * more are answered at once with org.freedesktop.DBus.Error.LimitsExceeded.
 * A long reply gives the bus's other callers a turn while it is built
 * (bus_fairness_yield). */
#pragma once

#include <stdint.h>

#include <systemd/sd-bus.h>

#include "macro.h"

#define BUS_FAIRNESS_PER_SENDER 8
#define BUS_FAIRNESS_TOTAL 1024
/* The longest a reply being built keeps the other callers waiting. */
#define BUS_FAIRNESS_SLICE_USEC (10 * 1000ULL)
/* The next whole-tree call waits while more than this is still being sent
 * (bus_writer_backlog), looking again every BUS_FAIRNESS_BACKLOG_WAIT_USEC. */
#define BUS_FAIRNESS_BACKLOG_MAX (256 * 1024ULL)
#define BUS_FAIRNESS_BACKLOG_WAIT_USEC (1000ULL)

typedef struct BusFairness BusFairness;

/* Builds and sends the reply to call (a negative errno: an error reply). */
typedef int (*BusFairnessHandler)(sd_bus_message *call, void *userdata);

/* The bus must be attached to an event loop. */
int bus_fairness_new(sd_bus *bus, BusFairness **ret);
/* Answers every waiting call with an error. Accepts NULL. */
BusFairness *bus_fairness_free(BusFairness *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusFairness *, bus_fairness_free);

/* Queues call for its sender's turn, or answers LimitsExceeded when that
 * sender (or everybody) has too many waiting. Returns 1 (the call is
 * answered later or already) or a negative errno. */
int bus_fairness_submit(BusFairness *f, sd_bus_message *call, BusFairnessHandler handler, void *userdata);

/* Called often by a handler building a long reply: once a slice is over,
 * handles the messages waiting on the bus (the model cannot change
 * meanwhile: only the bus is processed). Accepts NULL. */
void bus_fairness_yield(BusFairness *f);
