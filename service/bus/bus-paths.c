#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "bus-paths.h"

int domain_object_path(const char *uuid, char **ret) {
        return sd_bus_path_encode(DOMAIN_PATH_PREFIX, uuid, ret);
}

int domain_object_path_buf(const char *uuid, char ret[static DOMAIN_OBJECT_PATH_MAX]) {
        static const char prefix[] = DOMAIN_PATH_PREFIX "/", hex[] = "0123456789abcdef";
        size_t n = strlen(uuid), k = sizeof prefix - 1;

        if (n == 0 || n > 36)
                return -EINVAL;
        memcpy(ret, prefix, k);
        /* sd_bus_path_encode()'s escaping: letters stay, digits too except
         * first, anything else becomes _XX (lowercase hex). */
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) uuid[i];
                bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'), digit = c >= '0' && c <= '9';
                if (alpha || (digit && i > 0))
                        ret[k++] = (char) c;
                else {
                        ret[k++] = '_';
                        ret[k++] = hex[c >> 4];
                        ret[k++] = hex[c & 15];
                }
        }
        ret[k] = '\0';
        return 0;
}

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int domain_uuid_from_path_buf(const char *path, char ret[static 37]) {
        static const char prefix[] = DOMAIN_PATH_PREFIX "/";
        size_t k = 0;

        if (strncmp(path, prefix, sizeof prefix - 1) != 0)
                return -ENXIO;
        /* sd_bus_path_encode() keeps [A-Za-z0-9] and writes anything else as _XX. */
        for (const char *p = path + sizeof prefix - 1; *p; p++) {
                if (k >= 36 || *p == '/')
                        return -ENXIO;
                if (*p != '_') {
                        ret[k++] = *p;
                        continue;
                }
                int hi = unhex(p[1]), lo = hi < 0 ? -1 : unhex(p[2]);
                if (lo < 0)
                        return -ENXIO;
                ret[k++] = (char) (hi << 4 | lo);
                p += 2;
        }
        if (k == 0)
                return -ENXIO;
        ret[k] = '\0';
        return 0;
}
