/* The daemon's named D-Bus errors: the one list, for the daemon and its clients. */
#pragma once

#include <systemd/sd-bus.h>

#define BUS_ERROR_NO_SUCH_DOMAIN "org.guestinfod.GuestInfo1.Error.NoSuchDomain"
#define BUS_ERROR_INVALID_ARGS "org.guestinfod.GuestInfo1.Error.InvalidArgs"
#define BUS_ERROR_NO_AGENT "org.guestinfod.GuestInfo1.Error.NoAgent"
#define BUS_ERROR_AGENT_FAILED "org.guestinfod.GuestInfo1.Error.AgentFailed"

extern const sd_bus_error_map bus_error_map[];

/* Client input or a name quoted in an error message: valid UTF-8 that sd-bus
 * sends, no control, bidi or zero-width characters, at most size - 1 bytes
 * (cut with an ellipsis), so that every call gets its reply. Returns buf. */
const char *bus_error_quote(const char *s, char *buf, size_t size);
#define BUS_ERROR_QUOTE_MAX 129 /* a buffer for a quote of 128 bytes */
