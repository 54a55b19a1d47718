#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "bus-wire.h"

/* The D-Bus marshalling rules: every value starts at a multiple of its
 * alignment, counted from the start of the body (which is 8-aligned). The
 * alignment of a complete type starting with this type character. */
static unsigned wire_alignment(char type) {
        switch (type) {
        case 'y':
        case 'g':
        case 'v':
                return 1;
        case 'n':
        case 'q':
                return 2;
        case 'x':
        case 't':
        case 'd':
        case 'r':
        case 'e':
        case '(':
        case '{':
                return 8;
        default: /* b i u h s o a */
                return 4;
        }
}

static uint64_t basic_size(uint64_t offset, char type, const void *value) {
        switch (type) {
        case 'y':
                return offset + 1;
        case 'g':
                return offset + 1 + strlen(*(const char *const *) value) + 1;
        case 's':
        case 'o':
                return wire_string(offset, strlen(*(const char *const *) value));
        default: {
                unsigned a = wire_alignment(type);
                return wire_align(offset, a) + a;
        }
        }
}

/* One basic value as bytes. */
static int basic_bytes(BusBytes *b, char type, const void *value) {
        switch (type) {
        case 'y':
                bus_bytes_byte(b, *(const uint8_t *) value);
                return 0;
        case 'b':
                bus_bytes_bool(b, *(const int *) value);
                return 0;
        case 'g':
                bus_bytes_signature(b, *(const char *const *) value);
                return 0;
        case 's':
        case 'o':
                bus_bytes_string(b, *(const char *const *) value);
                return 0;
        case 'h':
                return -EOPNOTSUPP; /* a descriptor is not bytes */
        default:
                bus_bytes_fixed(b, value, wire_alignment(type));
                return 0;
        }
}

int wire_copy(sd_bus_message *dst, BusBytes *bytes, sd_bus_message *src, uint64_t *offset) {
        for (;;) {
                const char *contents;
                char type;
                int r;

                r = sd_bus_message_peek_type(src, &type, &contents);
                if (r <= 0)
                        return r; /* 0: the end of the container */

                if (type == 'a' || type == 'r' || type == 'e' || type == 'v') {
                        size_t at = 0, alignment = wire_alignment(contents[0]);
                        if (bytes && type == 'a')
                                at = bus_bytes_array_open(bytes, alignment);
                        else if (bytes && type == 'v')
                                bus_bytes_signature(bytes, contents);
                        else if (bytes)
                                bus_bytes_align(bytes, 8);
                        if (type == 'a')
                                /* the length, then padding to the first element even when there is none */
                                *offset = wire_align(wire_align(*offset, 4) + 4, wire_alignment(contents[0]));
                        else if (type == 'v')
                                *offset += 1 + strlen(contents) + 1;
                        else
                                *offset = wire_align(*offset, 8);
                        r = sd_bus_message_enter_container(src, type, contents);
                        if (r >= 0 && dst)
                                r = sd_bus_message_open_container(dst, type, contents);
                        if (r >= 0)
                                r = wire_copy(dst, bytes, src, offset);
                        if (r >= 0 && dst)
                                r = sd_bus_message_close_container(dst);
                        if (bytes && type == 'a')
                                bus_bytes_array_close(bytes, at, alignment);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(src);
                        if (r < 0)
                                return r;
                        continue;
                }

                union {
                        uint8_t u8;
                        uint16_t u16;
                        uint32_t u32;
                        uint64_t u64;
                        double d;
                        int fd;
                        const char *s;
                } value;
                r = sd_bus_message_read_basic(src, type, &value);
                if (r < 0)
                        return r;
                *offset = basic_size(*offset, type, &value);
                if (bytes) {
                        r = basic_bytes(bytes, type, &value);
                        if (r < 0)
                                return r;
                }
                if (dst) {
                        r = sd_bus_message_append_basic(dst, type,
                                                        type == 's' || type == 'o' || type == 'g'
                                                                ? (const void *) value.s
                                                                : (const void *) &value);
                        if (r < 0)
                                return r;
                }
        }
}

int wire_body_size(sd_bus_message *m, uint64_t *ret) {
        uint64_t offset = 0;
        int r = sd_bus_message_rewind(m, true);
        if (r >= 0)
                r = wire_copy(NULL, NULL, m, &offset);
        if (r < 0)
                return r;
        *ret = offset;
        return 0;
}
