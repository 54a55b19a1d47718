#include <string.h>

#include "ip-address.h"

bool ip_address_split(const char *text, bool ipv4, IpAddressParts *ret) {
        size_t len = text ? strnlen(text, GUEST_STRING_MAX + 1) : 0;
        unsigned prefix = 0;

        if (len == 0 || len > GUEST_STRING_MAX)
                return false;
        const char *slash = memrchr(text, '/', len);
        size_t digits = slash ? len - (size_t) (slash - text) - 1 : 0;
        bool has_prefix = slash && slash != text && digits >= 1 && digits <= 3;
        for (size_t i = 0; has_prefix && i < digits; i++) {
                char c = slash[1 + i];
                has_prefix = c >= '0' && c <= '9';
                prefix = prefix * 10 + (unsigned) (c - '0');
        }
        if (has_prefix && prefix > (ipv4 ? 32u : 128u))
                has_prefix = false;

        size_t n = has_prefix ? (size_t) (slash - text) : len;
        memcpy(ret->address, text, n);
        ret->address[n] = '\0';
        ret->prefix = has_prefix ? (uint8_t) prefix : 0;
        ret->family = ipv4 ? "ipv4" : "ipv6";
        return true;
}
