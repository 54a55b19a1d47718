/* utf8_sanitize(): whatever the bytes, valid UTF-8 within the limit. */
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
        return 0;
}
