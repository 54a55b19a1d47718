#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

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
        uint32_t cp = need == 3   ? (uint32_t) (s[0] & 0x0f) << 12 | (uint32_t) (s[1] & 0x3f) << 6 | (s[2] & 0x3f)
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

bool utf8_hides_text(uint32_t cp) {
        return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||        /* C0, DEL, C1 */
               cp == 0xad ||                                     /* soft hyphen */
               cp == 0x61c || cp == 0x180e ||                    /* Arabic letter mark, Mongolian vowel separator */
               (cp >= 0x200b && cp <= 0x200f) ||                 /* zero-width, LRM, RLM */
               (cp >= 0x2028 && cp <= 0x202e) ||                 /* line/paragraph separators, bidi embeddings */
               (cp >= 0x2060 && cp <= 0x206f) ||                 /* word joiner, invisible operators, bidi isolates */
               cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) || /* BOM, interlinear annotations */
               (cp >= 0xe0000 && cp <= 0xe007f);                 /* tags */
}

char *text_for_log(const char *s, size_t max) {
        char *t = utf8_sanitize(s, s ? strlen(s) : 0, max);
        if (!t)
                return NULL;
        /* Valid UTF-8 now: decode, and write each hiding character as one
         * '?' (never longer than what it replaces, so in place). */
        uint8_t *in = (uint8_t *) t, *out = in;
        while (*in) {
                size_t n = *in < 0x80 ? 1 : *in < 0xe0 ? 2 : *in < 0xf0 ? 3 : 4;
                uint32_t cp = n == 1 ? *in : (uint32_t) (*in & (0x7f >> n));
                for (size_t k = 1; k < n; k++)
                        cp = cp << 6 | (in[k] & 0x3f);
                if (utf8_hides_text(cp))
                        *out++ = '?';
                else {
                        memmove(out, in, n);
                        out += n;
                }
                in += n;
        }
        *out = '\0';
        return t;
}
