/* The size of a message's body as D-Bus marshals it (the dbus-1 wire
 * format: every value aligned to its type, strings with their length and
 * NUL, arrays with their length). sd-bus does not say; this walks the body
 * and adds it up, so a test can hold a reply against a byte budget. */
#pragma once

#include <stddef.h>

#include <systemd/sd-bus.h>

/* Body bytes of m (rewound before and after); a negative errno if it cannot
 * be read. */
int bus_wire_size(sd_bus_message *m, size_t *ret);
