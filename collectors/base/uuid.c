#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "uuid.h"

int uuid_normalize(const char *in, char out[UUID_STRING_MAX]) {
        static const int dash_at[] = { 8, 13, 18, 23 };
        size_t len, k = 0, d = 0, e = 0;

        if (!in)
                return -EINVAL;
        len = strnlen(in, 64);
        if (len != 36 && len != 32)
                return -EINVAL;

        for (size_t i = 0; i < len; i++) {
                /* d walks the dashes of the input, e those of the output */
                if (len == 36 && d < 4 && (int) i == dash_at[d]) {
                        if (in[i] != '-')
                                return -EINVAL;
                        d++;
                        continue;
                }
                if (!isxdigit((unsigned char) in[i]))
                        return -EINVAL;
                if (e < 4 && (int) k == dash_at[e]) {
                        out[k++] = '-';
                        e++;
                }
                out[k++] = (char) tolower((unsigned char) in[i]);
        }
        out[k] = '\0';
        return 0;
}
