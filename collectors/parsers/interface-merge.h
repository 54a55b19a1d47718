/* The domain's NICs merged with the guest's interfaces, as KubeVirt's
 * status.interfaces. */
#pragma once

#include <stddef.h>

#include "guest-data.h"

/* Merges the domain's NICs with the agent's interfaces (guest may be NULL:
 * no agent data). Rules: docs/dbus-api.md, "Interfaces". */
int interfaces_merge(const DomainDevices *devices, const GuestInfo *guest, MergedInterfaces **ret);
MergedInterfaces *merged_interfaces_free(MergedInterfaces *m);
bool merged_interfaces_equal(const MergedInterfaces *a, const MergedInterfaces *b);
