/* The manager object: org.guestinfod.GuestInfo1.Manager and the ObjectManager. */
#pragma once

#include <systemd/sd-bus.h>

#include "bus-fairness.h"
#include "bus-fragments.h"
#include "manager.h"

#define BUS_MANAGER_SLOTS 2

/* Registers the manager object with m as its userdata. ret_slots: room for
 * BUS_MANAGER_SLOTS slots the caller owns and unrefs (which unregisters)
 * before m is freed; NULL: floating, for a bus freed before m. */
int bus_manager_register(sd_bus *bus, Manager *m, sd_bus_slot **ret_slots);

/* Fills names (room for 4 + NULL) with the property names for these bits. */
void bus_manager_property_names(unsigned properties, const char **names);

/* ListDomains' and ListSummaries' replies, or LimitsExceeded when the bus
 * would refuse them (bus-tree.c calls them in the sender's turn). fairness
 * may be NULL; so may fragments, where each summary is kept (then nothing
 * is). */
int bus_manager_reply_list_domains(sd_bus_message *message, Manager *m, BusFairness *fairness);
int bus_manager_reply_list_summaries(sd_bus_message *message, Manager *m, BusFragments *fragments,
                                     BusFairness *fairness);

/* One (sso) of ListDomains / one summary of ListSummaries into reply (inside
 * its array), *offset advancing by its bytes on the wire: what the two
 * replies count against the bus's limit while they are built. */
int bus_manager_append_domain_entry(sd_bus_message *reply, const Domain *d, uint64_t *offset);
int bus_manager_append_summary(sd_bus_message *reply, const Domain *d, uint64_t *offset);
