/* The size of a message on the wire, as dbus-daemon counts it against its
 * max_message_size: sd-bus has no getter for it, so the replies that grow
 * with the fleet count their marshalled bytes while they are built. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "bus-bytes.h"

/* dbus-daemon's default max_message_size (Debian's system and session bus
 * configurations keep it): a bigger message makes the bus disconnect its
 * sender. */
#define BUS_MESSAGE_SIZE_MAX (32ULL * 1024 * 1024)
/* Room kept for a reply's header: reply serial, destination, sender (the
 * bus adds it) and signature, each bus name at most 255 bytes. */
#define BUS_HEADER_SIZE_MAX 4096ULL
/* The most a reply's body may hold. */
#define BUS_BODY_SIZE_MAX (BUS_MESSAGE_SIZE_MAX - BUS_HEADER_SIZE_MAX)

static inline uint64_t wire_align(uint64_t offset, unsigned alignment) {
        return (offset + alignment - 1) & ~(uint64_t) (alignment - 1);
}

/* The offset after a string or object path of len bytes written at offset. */
static inline uint64_t wire_string(uint64_t offset, size_t len) {
        return wire_align(offset, 4) + 4 + len + 1;
}

/* The offset after a boolean (or any 4-byte value) written at offset. */
static inline uint64_t wire_uint32(uint64_t offset) {
        return wire_align(offset, 4) + 4;
}

/* Copies the rest of src's current container (src sealed and being read)
 * into dst and as bytes into bytes (bus-bytes.h; its alignment counted
 * from its start), adding to *offset what it takes on the wire, starting
 * there. dst and bytes NULL: only counts. A unix fd is no bytes:
 * -EOPNOTSUPP. */
int wire_copy(sd_bus_message *dst, BusBytes *bytes, sd_bus_message *src, uint64_t *offset);

/* The size of the body of a sealed message (it is rewound). */
int wire_body_size(sd_bus_message *m, uint64_t *ret);
