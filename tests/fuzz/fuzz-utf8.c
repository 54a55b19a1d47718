/* utf8_sanitize(): whatever the bytes, valid UTF-8 within the limit;
 * text_for_log(): the same, and no character that hides text left. */
#include <stdint.h>

#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        size_t max = data[0] * 4; /* limits from 0 to 1020, cut points everywhere */
        char *s = utf8_sanitize((const char *) data + 1, size - 1, max);
        if (!s)
                abort();
        size_t len = strlen(s);
        if (len > max || !utf8_valid(s, len))
                abort();
        free(s);

        /* NUL-terminated input for text_for_log */
        char *in = malloc(size);
        if (!in)
                abort();
        memcpy(in, data + 1, size - 1);
        in[size - 1] = '\0';
        s = text_for_log(in, max);
        free(in);
        if (!s)
                abort();
        len = strlen(s);
        if (len > max || !utf8_valid(s, len))
                abort();
        for (const uint8_t *p = (const uint8_t *) s; *p;) {
                size_t n = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
                uint32_t cp = n == 1 ? *p : (uint32_t) (*p & (0x7f >> n));
                for (size_t k = 1; k < n; k++)
                        cp = cp << 6 | (p[k] & 0x3f);
                if (utf8_hides_text(cp))
                        abort();
                p += n;
        }
        free(s);
        return 0;
}
