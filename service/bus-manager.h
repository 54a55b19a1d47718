/* The manager object: org.guestinfod.GuestInfo1.Manager and the ObjectManager. */
#pragma once

#include <systemd/sd-bus.h>

#include "manager.h"

int bus_manager_register(sd_bus *bus, Manager *m);

/* Fills names (room for 4 + NULL) with the property names for these bits. */
void bus_manager_property_names(unsigned properties, const char **names);
