/* The manager object: org.guestinfod.GuestInfo1.Manager and the ObjectManager. */
#pragma once

#include <systemd/sd-bus.h>

#include "bus-fairness.h"
#include "manager.h"

int bus_manager_register(sd_bus *bus, Manager *m);

/* Fills names (room for 4 + NULL) with the property names for these bits. */
void bus_manager_property_names(unsigned properties, const char **names);

/* ListDomains' and ListSummaries' replies, or LimitsExceeded when the bus
 * would refuse them (bus-tree.c calls them in the sender's turn). fairness
 * may be NULL. */
int bus_manager_reply_list_domains(sd_bus_message *message, Manager *m, BusFairness *fairness);
int bus_manager_reply_list_summaries(sd_bus_message *message, Manager *m, BusFairness *fairness);
