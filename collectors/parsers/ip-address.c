#include <string.h>

#include "ip-address.h"

/* The bytes of text before its prefix, *ret_prefix the prefix (0: none). */
static size_t address_len(const char *text, size_t len, bool ipv4, uint8_t *ret_prefix) {
        const char *slash = memrchr(text, '/', len);
        size_t digits = slash ? len - (size_t) (slash - text) - 1 : 0;
        unsigned prefix = 0;

        *ret_prefix = 0;
        if (!slash || slash == text || digits < 1 || digits > 3)
                return len;
        for (size_t i = 0; i < digits; i++) {
                char c = slash[1 + i];
                if (c < '0' || c > '9')
                        return len;
                prefix = prefix * 10 + (unsigned) (c - '0');
        }
        if (prefix > (ipv4 ? 32u : 128u))
                return len;
        *ret_prefix = (uint8_t) prefix;
        return (size_t) (slash - text);
}

size_t ip_address_text_len(const char *text, bool ipv4) {
        uint8_t prefix;
        size_t len = text ? strnlen(text, GUEST_STRING_MAX + 1) : 0;
        return len == 0 || len > GUEST_STRING_MAX ? 0 : address_len(text, len, ipv4, &prefix);
}

bool ip_address_split(const char *text, bool ipv4, IpAddressParts *ret) {
        size_t len = text ? strnlen(text, GUEST_STRING_MAX + 1) : 0;
        uint8_t prefix;

        if (len == 0 || len > GUEST_STRING_MAX)
                return false;
        size_t n = address_len(text, len, ipv4, &prefix);
        memcpy(ret->address, text, n);
        ret->address[n] = '\0';
        ret->prefix = prefix;
        ret->family = ipv4 ? "ipv4" : "ipv6";
        return true;
}
