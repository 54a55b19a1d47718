#include <errno.h>
#include <string.h>

#include "bus-frame.h"

enum { FIELD_REPLY_SERIAL = 5, FIELD_DESTINATION = 6 };

static uint32_t get_u32(const uint8_t *p, bool big_endian) {
        if (big_endian)
                return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
        return (uint32_t) p[3] << 24 | (uint32_t) p[2] << 16 | (uint32_t) p[1] << 8 | p[0];
}

static void put_u32(uint8_t *p, bool big_endian, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[big_endian ? 3 - i : i] = (uint8_t) (v >> (8 * i));
}

static size_t align_to(size_t offset, size_t alignment) {
        return (offset + alignment - 1) / alignment * alignment;
}

int bus_frame_start(const uint8_t *fixed, BusFrame *f) {
        *f = (BusFrame){ 0 };
        if (fixed[0] != 'l' && fixed[0] != 'B')
                return -EBADMSG;
        if (fixed[3] != 1) /* the protocol's only version */
                return -EBADMSG;
        f->big_endian = fixed[0] == 'B';
        f->type = fixed[1];
        f->body_len = get_u32(fixed + 4, f->big_endian);
        f->fields_len = get_u32(fixed + 12, f->big_endian);
        if (f->fields_len > BUS_FRAME_MESSAGE_MAX || f->body_len > BUS_FRAME_MESSAGE_MAX)
                return -EBADMSG;
        f->header_len = align_to(BUS_FRAME_FIXED + (size_t) f->fields_len, 8);
        if (f->header_len + f->body_len > BUS_FRAME_MESSAGE_MAX)
                return -EBADMSG;
        return 0;
}

/* A string's end from its 4-byte length at *at (aligned already): the byte
 * after its NUL, or 0 if it does not fit before end or is not terminated. */
static size_t string_end(const uint8_t *h, size_t at, size_t end, bool big_endian) {
        if (at + 4 > end)
                return 0;
        uint32_t len = get_u32(h + at, big_endian);
        if (len >= end - at - 4 || h[at + 4 + len] != 0)
                return 0;
        return at + 4 + len + 1;
}

int bus_frame_fields(const uint8_t *header, BusFrame *f) {
        size_t at = BUS_FRAME_FIXED, end = BUS_FRAME_FIXED + (size_t) f->fields_len;

        f->reply_serial = 0;
        f->destination = NULL;
        while (at < end) {
                /* each field a (y v), aligned to 8 from the message's start */
                at = align_to(at, 8);
                if (at + 3 > end)
                        return -EBADMSG;
                uint8_t code = header[at], sig_len = header[at + 1];
                if (sig_len != 1 || at + 4 > end || header[at + 3] != 0)
                        return -EBADMSG; /* every field holds one basic type */
                char type = (char) header[at + 2];
                at += 4;
                switch (type) {
                case 'u':
                        at = align_to(at, 4);
                        if (at + 4 > end)
                                return -EBADMSG;
                        if (code == FIELD_REPLY_SERIAL)
                                f->reply_serial = get_u32(header + at, f->big_endian);
                        at += 4;
                        break;
                case 's':
                case 'o': {
                        size_t start = align_to(at, 4);
                        at = string_end(header, start, end, f->big_endian);
                        if (at == 0)
                                return -EBADMSG;
                        if (code == FIELD_DESTINATION)
                                f->destination = (const char *) header + start + 4;
                        break;
                }
                case 'g':
                        if (at + 1 > end || at + 1 + header[at] >= end || header[at + 1 + header[at]] != 0)
                                return -EBADMSG;
                        at += 1 + (size_t) header[at] + 1;
                        break;
                default:
                        return -EBADMSG;
                }
        }
        return 0;
}

void bus_frame_set_body_len(uint8_t *header, const BusFrame *f, uint32_t len) {
        put_u32(header + 4, f->big_endian, len);
}
