/* A domain's object path, as code the daemon, guestinfoctl and the tests
 * share: DOMAIN_PATH_PREFIX "/" and the UUID's 32 hex digits, lowercase, no
 * dashes. No escaping scheme: any binding builds and parses it with a string
 * operation, and exactly one spelling names each domain. Header only. */
#pragma once

#include <errno.h>
#include <string.h>

#include "guestinfo-names.h"

#define DOMAIN_OBJECT_PATH_MAX (sizeof(DOMAIN_PATH_PREFIX "/") + 32)
#define DOMAIN_UUID_STRING_MAX 37 /* "6695eb01-f6a4-8304-79aa-97f2502e193f" and its NUL */

static inline int guestinfo_hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* The path of the domain with this UUID (any case, dashes anywhere);
 * -EINVAL unless it has exactly 32 hex digits. */
static inline int domain_path_from_uuid(const char *uuid, char ret[static DOMAIN_OBJECT_PATH_MAX]) {
        static const char prefix[] = DOMAIN_PATH_PREFIX "/", hex[] = "0123456789abcdef";
        size_t k = sizeof prefix - 1, digits = 0;

        memcpy(ret, prefix, k);
        for (const char *p = uuid; *p; p++) {
                if (*p == '-')
                        continue;
                int v = guestinfo_hex_digit(*p);
                if (v < 0 || digits == 32)
                        return -EINVAL;
                ret[k++] = hex[v];
                digits++;
        }
        if (digits != 32)
                return -EINVAL;
        ret[k] = '\0';
        return 0;
}

/* The UUID, lowercase and dashed, of the domain whose object path this is;
 * -ENXIO if it is not one, in exactly the spelling above. */
static inline int domain_uuid_from_path(const char *path, char ret[static DOMAIN_UUID_STRING_MAX]) {
        static const char prefix[] = DOMAIN_PATH_PREFIX "/";
        size_t k = 0;

        if (strncmp(path, prefix, sizeof prefix - 1) != 0)
                return -ENXIO;
        path += sizeof prefix - 1;
        if (strlen(path) != 32)
                return -ENXIO;
        for (size_t i = 0; i < 32; i++) {
                if (guestinfo_hex_digit(path[i]) < 0 || (path[i] >= 'A' && path[i] <= 'F'))
                        return -ENXIO;
                if (i == 8 || i == 12 || i == 16 || i == 20)
                        ret[k++] = '-';
                ret[k++] = path[i];
        }
        ret[k] = '\0';
        return 0;
}
