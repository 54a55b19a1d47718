/* D-Bus message framing, as far as the writer needs it (bus-writer.c):
 * where a message ends, and which call a method return answers. The
 * bytes are what sd-bus wrote, but they are checked all the same. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The fixed part of every header: endianness, type, flags, version, body
 * length, serial, and the length of the header fields' array. */
#define BUS_FRAME_FIXED 16
/* A header's fields that the writer looks into; bigger ones pass unread. */
#define BUS_FRAME_FIELDS_MAX (64u * 1024)
/* The protocol's largest message (2^27 bytes). */
#define BUS_FRAME_MESSAGE_MAX (128u * 1024 * 1024)

enum { BUS_FRAME_METHOD_RETURN = 2 };

typedef struct BusFrame {
        bool big_endian;
        uint8_t type;
        uint32_t body_len;
        uint32_t fields_len;
        size_t header_len; /* the fixed part and the fields, padded to 8: where the body starts */
        /* bus_frame_fields(): 0 and NULL when absent */
        uint32_t reply_serial;
        const char *destination; /* in the header's bytes, NUL-terminated there */
} BusFrame;

/* The message's sizes from its first BUS_FRAME_FIXED bytes; -EBADMSG if they
 * are not the start of a message. */
int bus_frame_start(const uint8_t *fixed, BusFrame *f);

/* The reply serial and destination, from the whole header (f->header_len
 * bytes); -EBADMSG if the fields are malformed. */
int bus_frame_fields(const uint8_t *header, BusFrame *f);

/* Writes len as the body length of the header. */
void bus_frame_set_body_len(uint8_t *header, const BusFrame *f, uint32_t len);
