/* What the clients of each domain object were last told, property by
 * property, so that a PropertiesChanged carries only values other than
 * that: a value that changes and changes back within one 10 ms window of
 * the publisher is not sent again, nor a list refreshed to what it was.
 *
 * What is kept is a fingerprint per property (Domain.told): a keyed 64-bit
 * hash (SipHash, a key drawn at start) of the value as the property's own
 * getter marshals it, so it follows the vtables whatever the properties'
 * types, 8 bytes per property and domain. It is taken when the clients
 * learn the values: the bus name taken (the whole tree), InterfacesAdded,
 * each PropertiesChanged; an EXPLICIT property (never in a signal) counts
 * as told when it could have been read then. */
#pragma once

#include <systemd/sd-bus.h>

#include "bus-domain.h"

/* The properties bits of d, as they are now, are what the clients know.
 * Those whose interface d's object does not have are forgotten. */
void bus_told_record(sd_bus *bus, BusDomain *b, Domain *d, DomainProperties properties);

/* The clients know nothing of these any more (their interface went). */
void bus_told_forget(Domain *d, DomainProperties properties);

/* Of the properties bits of d, those to signal: whose value is not what
 * the clients were told, or was never told. They count as told from now
 * on: if the signal is not sent, bus_told_forget() them. Properties whose
 * interface d's object does not have are left out (and forgotten). Out of
 * memory: all of them, forgotten. */
DomainProperties bus_told_changes(sd_bus *bus, BusDomain *b, Domain *d, DomainProperties properties);
