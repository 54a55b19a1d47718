/* Checks shared by the fuzz targets: what every parser promises about what
 * it hands out (collectors/parsers/guest-data.h). A broken promise aborts, which
 * libFuzzer reports as a crash with the input that caused it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "agent-info.h"
#include "domain-devices.h"
#include "guest-data.h"
#include "guest-json.h"
#include "interface-merge.h"

/* UTF-8 as D-Bus takes it: no overlongs, surrogates, code points past
 * U+10FFFF or noncharacters. */
static inline bool utf8_valid(const char *s, size_t len) {
        const unsigned char *p = (const unsigned char *) s, *end = p + len;
        while (p < end) {
                unsigned c = *p;
                size_t n;
                unsigned min;
                if (c < 0x80) {
                        p++;
                        continue;
                } else if ((c & 0xe0) == 0xc0)
                        n = 1, min = 0x80, c &= 0x1f;
                else if ((c & 0xf0) == 0xe0)
                        n = 2, min = 0x800, c &= 0x0f;
                else if ((c & 0xf8) == 0xf0)
                        n = 3, min = 0x10000, c &= 0x07;
                else
                        return false;
                if ((size_t) (end - p) <= n)
                        return false;
                for (size_t i = 1; i <= n; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                        c = (c << 6) | (p[i] & 0x3f);
                }
                if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                        return false;
                /* noncharacters: sd-bus refuses them */
                if ((c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe)
                        return false;
                p += n + 1;
        }
        return true;
}

/* A string the parsers produced: NULL, or bounded valid UTF-8. */
static inline void check_string(const char *s) {
        if (!s)
                return;
        size_t len = strlen(s);
        if (len > GUEST_STRING_MAX || !utf8_valid(s, len))
                abort();
}
