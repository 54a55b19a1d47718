/* The per-domain objects: org.guestinfod.GuestInfo1.Domain, served from the
 * model through one fallback vtable. */
#pragma once

#include <systemd/sd-bus.h>

#include "manager.h"

int bus_domain_register(sd_bus *bus, Manager *m);

/* Fills names (room for 16 + NULL) with the property names for these bits. */
void bus_domain_property_names(unsigned properties, const char **names);
