#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "wire-size.h"

static size_t align_of(char type) {
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

static size_t align(size_t off, size_t a) {
        return (off + a - 1) / a * a;
}

static int walk(sd_bus_message *m, size_t *off);

static int value(sd_bus_message *m, char type, const char *contents, size_t *off) {
        int r;

        *off = align(*off, align_of(type));
        switch (type) {
        case 's':
        case 'o':
        case 'g': {
                const char *s;
                if ((r = sd_bus_message_read_basic(m, type, &s)) < 0)
                        return r;
                *off += (type == 'g' ? 1 : 4) + strlen(s) + 1;
                return 0;
        }
        case 'a': {
                if ((r = sd_bus_message_enter_container(m, 'a', contents)) < 0)
                        return r;
                *off += 4;
                /* the padding to the first element counts even when empty */
                *off = align(*off, align_of(contents[0]));
                if ((r = walk(m, off)) < 0)
                        return r;
                return sd_bus_message_exit_container(m);
        }
        case 'v':
                *off += 1 + strlen(contents) + 1; /* its signature */
                /* fall through */
        case 'r':
        case 'e':
                if ((r = sd_bus_message_enter_container(m, type, contents)) < 0 || (r = walk(m, off)) < 0)
                        return r;
                return sd_bus_message_exit_container(m);
        default: {
                union {
                        uint8_t y;
                        int b;
                        uint16_t q;
                        uint32_t u;
                        uint64_t t;
                        double d;
                } v;
                static const char sizes[] = "y1b4n2q2i4u4x8t8d8h4";
                const char *p = strchr(sizes, type);
                if (!p || (p - sizes) % 2 != 0)
                        return -EINVAL;
                if ((r = sd_bus_message_read_basic(m, type, &v)) < 0)
                        return r;
                *off += (size_t) (p[1] - '0');
                return 0;
        }
        }
}

static int walk(sd_bus_message *m, size_t *off) {
        char type;
        const char *contents;
        int r;

        while ((r = sd_bus_message_peek_type(m, &type, &contents)) > 0)
                if ((r = value(m, type, contents, off)) < 0)
                        return r;
        return r;
}

int bus_wire_size(sd_bus_message *m, size_t *ret) {
        size_t off = 0;
        int r = sd_bus_message_rewind(m, true);

        if (r >= 0)
                r = walk(m, &off);
        (void) sd_bus_message_rewind(m, true);
        if (r < 0)
                return r;
        *ret = off;
        return 0;
}
