/* Asking polkit, asynchronously, whether the sender of a method call may do
 * an action. The loop never waits: the answer comes through a callback.
 *
 * A caller cannot make polkit work without bound: one check is in flight per
 * sender, action and interactivity, later calls of the same sender wait for
 * its answer, and the answer is kept for POLKIT_CACHE_USEC for that sender's
 * unique bus name (never reused on a bus). */
#pragma once

#include <stdint.h>

#include <systemd/sd-bus.h>

/* How long an answer of polkit is reused for the same unique name: a rule
 * change reaches an already connected caller within this time. */
#define POLKIT_CACHE_USEC (5 * 1000000ULL)
/* Senders remembered at once; the system bus allows 2048 connections. */
#define POLKIT_CACHE_MAX 4096
/* Calls of one sender waiting for the same answer. */
#define POLKIT_WAITERS_MAX 256

typedef struct BusPolkit BusPolkit;

/* result: 1 authorized, 0 not (why says so), < 0 polkit failed (why says how). */
typedef void (*PolkitCallback)(sd_bus_message *request, int result, const char *why, void *userdata);

int bus_polkit_new(BusPolkit **ret);
/* Calls the callback of every call still waiting with -ECANCELED. Accepts NULL. */
BusPolkit *bus_polkit_free(BusPolkit *p);

/* Checks action for the sender of request (subject "system-bus-name"),
 * allowing interaction if the caller allowed it. Keeps a reference to request
 * until cb ran; cb may run before this returns (a cached answer). Returns
 * -EBUSY if too many calls of that sender wait already. */
int bus_polkit_check_async(BusPolkit *p, sd_bus_message *request, const char *action, PolkitCallback cb,
                           void *userdata);
