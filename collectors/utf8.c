#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest-data.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */
#define ELLIPSIS "\xe2\x80\xa6"    /* U+2026 */

/* Length of the well-formed UTF-8 character at s[0..len) that D-Bus accepts, or 0 if there is
 * none there; then *skip is the length of its maximal ill-formed subpart
 * (Unicode 15, §3.9 "U+FFFD Substitution of Maximal Subparts"), which
 * becomes one U+FFFD. The ranges are those of Table 3-7: they exclude
 * overlongs, surrogates and anything above U+10FFFF. */
static size_t utf8_char_len(const uint8_t *s, size_t len, size_t *skip) {
        uint8_t lo = 0x80, hi = 0xbf;
        size_t need;

        *skip = 1;
        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                need = 2;
        else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                need = 3;
                if (s[0] == 0xe0)
                        lo = 0xa0;
                else if (s[0] == 0xed)
                        hi = 0x9f;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                need = 4;
                if (s[0] == 0xf0)
                        lo = 0x90;
                else if (s[0] == 0xf4)
                        hi = 0x8f;
        } else
                return 0;

        for (size_t i = 1; i < need; i++) {
                /* Only the second byte has a lead-dependent range. */
                if (i >= len || s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xbf)) {
                        *skip = i;
                        return 0;
                }
        }

        /* Noncharacters (U+FDD0..U+FDEF, U+xFFFE, U+xFFFF) are valid UTF-8
         * but sd-bus refuses them in a string: one would make every
         * GetManagedObjects fail. They become U+FFFD like the rest. */
        uint32_t cp = need == 3 ? (uint32_t) (s[0] & 0x0f) << 12 | (uint32_t) (s[1] & 0x3f) << 6 | (s[2] & 0x3f)
                      : need == 4 ? (uint32_t) (s[0] & 0x07) << 18 | (uint32_t) (s[1] & 0x3f) << 12 |
                                            (uint32_t) (s[2] & 0x3f) << 6 | (s[3] & 0x3f)
                                  : 0;
        if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe) {
                *skip = need;
                return 0;
        }
        return need;
}

char *utf8_sanitize(const char *s, size_t len, size_t max) {
        const uint8_t *in = (const uint8_t *) s;
        size_t alloc, n = 0, fit = 0;
        char *out;

        if (!s)
                len = 0;

        /* Every input byte yields at most 3 output bytes (one U+FFFD). */
        alloc = len <= SIZE_MAX / 3 ? len * 3 : SIZE_MAX;
        if (alloc > max)
                alloc = max;
        if (alloc == SIZE_MAX)
                return NULL;
        out = malloc(alloc + 1);
        if (!out)
                return NULL;

        for (size_t i = 0; i < len;) {
                const char *c = (const char *) in + i;
                size_t skip, clen = utf8_char_len(in + i, len - i, &skip);

                if (clen == 0) {
                        c = REPLACEMENT;
                        clen = 3;
                        i += skip;
                } else {
                        i += clen;
                        if (c[0] == '\0')
                                continue;
                }

                if (clen > max - n) {
                        /* Cut after the last character that leaves room for
                         * the ellipsis; below 3 bytes even that does not
                         * fit, and the result is empty. */
                        n = fit;
                        if (max >= 3) {
                                memcpy(out + n, ELLIPSIS, 3);
                                n += 3;
                        }
                        break;
                }
                memcpy(out + n, c, clen);
                n += clen;
                if (max >= 3 && n <= max - 3)
                        fit = n;
        }
        out[n] = '\0';
        return out;
}

char *text_for_log(const char *s, size_t max) {
        char *t = utf8_sanitize(s, s ? strlen(s) : 0, max);
        if (!t)
                return NULL;
        for (char *p = t; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = '?';
        return t;
}
