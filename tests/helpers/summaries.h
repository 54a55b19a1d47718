/* What guestinfod says about its domains, read three ways and written as
 * the same text, one line per domain:
 *   name|uuid|state|agent|guest data|pretty name|hostname|[family address/prefix],...|reason
 * (guest data: whether the object has the OS interface; the OS values ""
 * when it has not; the addresses of Network.Interfaces, each in brackets,
 * the prefix 0 when unknown; the reason: GuestDataReason), the lines sorted: equal
 * texts mean the same values, field by field. They fail the cmocka test on
 * a bad answer. */
#pragma once

#include <stddef.h>

#include <systemd/sd-bus.h>

/* One ListSummaries call; each object path is checked against its UUID,
 * the reply's signature against a(osssbbssa(ssy)a{sv}). *ret_n: domains. */
char *summaries_text(sd_bus *bus, size_t *ret_n);
/* One GetManagedObjects call; domain objects only. */
char *managed_objects_text(sd_bus *bus, size_t *ret_n);
/* One domain's line (no newline) from Properties.Get, property by property. */
char *properties_line(sd_bus *bus, const char *uuid);
