/* The daemon's named D-Bus errors (their names are in dbus/guestinfo-names.h)
 * and the errno each maps to, for the daemon and its clients. */
#pragma once

#include <systemd/sd-bus.h>

#include "guestinfo-names.h"

extern const sd_bus_error_map bus_error_map[];

/* Client input or a name quoted in an error message: valid UTF-8 that sd-bus
 * sends, no control, bidi or zero-width characters, at most size - 1 bytes
 * (cut with an ellipsis), so that every call gets its reply. Returns buf. */
const char *bus_error_quote(const char *s, char *buf, size_t size);
#define BUS_ERROR_QUOTE_MAX 129 /* a buffer for a quote of 128 bytes */
