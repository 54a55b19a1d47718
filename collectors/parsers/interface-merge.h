/* The domain's NICs merged with the guest's interfaces, as KubeVirt's
 * status.interfaces. */
#pragma once

#include <stddef.h>

#include "guest-data.h"

/* Merges the domain's NICs with the agent's interfaces (guest may be NULL:
 * no agent data). Rules: docs/dbus-api.md, "Interfaces". */
int interfaces_merge(const DomainDevices *devices, const GuestInfo *guest, MergedInterfaces **ret);
/* Where m comes from, as the bus lists it: "domain" and/or "guest-agent"
 * (static strings) into ret; returns how many. */
size_t merged_interface_sources(const MergedInterface *m, const char *ret[static 2]);
MergedInterfaces *merged_interfaces_free(MergedInterfaces *m);
bool merged_interfaces_equal(const MergedInterfaces *a, const MergedInterfaces *b);
