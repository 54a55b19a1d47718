#include <arpa/inet.h>
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

bool ip_address_is_routable(const char *text, bool ipv4) {
        char buf[INET6_ADDRSTRLEN];
        unsigned char a[16];
        size_t len = ip_address_text_len(text, ipv4);

        if (len == 0 || len >= sizeof buf)
                return false;
        memcpy(buf, text, len);
        buf[len] = '\0';
        if (inet_pton(ipv4 ? AF_INET : AF_INET6, buf, a) != 1)
                return false;
        if (ipv4)
                /* 0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4 and above */
                return a[0] != 0 && a[0] != 127 && !(a[0] == 169 && a[1] == 254) && a[0] < 224;
        static const unsigned char zero[16];
        if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1))
                return false; /* :: and ::1 */
        if (a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
                return false; /* multicast, fe80::/10 */
        return true;
}
