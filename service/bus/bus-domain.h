/* The per-domain objects, served from the model through fallback vtables:
 * org.guestinfod.GuestInfo1.Domain and .Network always, .OS, .Users and
 * .Filesystems while the agent is connected and has answered. */
#pragma once

#include <systemd/sd-bus.h>

#include "manager.h"

typedef struct BusDomain BusDomain;

/* One interface of the domain objects: its vtable and the find callback
 * that says whether a path has it (userdata: the BusDomain). */
typedef struct BusDomainInterface {
        const char *interface;
        const sd_bus_vtable *vtable;
        sd_bus_object_find_t find;
} BusDomainInterface;
/* The interfaces in the order they are registered. */
const BusDomainInterface *bus_domain_interfaces(size_t *ret_n);

/* The property a DomainProperty bit stands for, and its interface; NULL if
 * none. */
const char *bus_domain_property_name(DomainProperties bit, const char **ret_interface);

/* use_polkit: Refresh() asks polkit first (the system bus). */
int bus_domain_new(sd_bus *bus, Manager *m, bool use_polkit, BusDomain **ret);
/* Answers every Refresh() still waiting with an error. Accepts NULL. */
BusDomain *bus_domain_free(BusDomain *b);

/* PropertiesChanged for the properties bits of d, one signal per interface. */
int bus_domain_emit_changes(BusDomain *b, Domain *d, DomainProperties properties);
/* InterfacesAdded / InterfacesRemoved for OS, Users, Filesystems. */
int bus_domain_emit_guest_exported(BusDomain *b, Domain *d, bool exported);
