/* An address as the model keeps it ("10.0.2.15/24", "fe80::1": guest-data.h)
 * taken apart as the bus carries it: family, address text, prefix length. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest-data.h"

typedef struct IpAddressParts {
        const char *family;                 /* static: "ipv4" or "ipv6" */
        char address[GUEST_STRING_MAX + 1]; /* without the prefix */
        uint8_t prefix;                     /* 0: not known */
} IpAddressParts;

/* Splits text, an address of the given family (the model's IPv4-first
 * split says which): a trailing "/N" within the family's width is the
 * prefix, anything else stays part of the address. false, and *ret
 * untouched, for an empty text or one longer than the model keeps. */
bool ip_address_split(const char *text, bool ipv4, IpAddressParts *ret);
/* The length of the address ip_address_split() gives (0 where it gives
 * none), without copying it. */
size_t ip_address_text_len(const char *text, bool ipv4);
/* text (as the model keeps it) is an address other hosts could reach the
 * guest at: not unspecified, loopback, link-local or multicast. false for
 * what is not an address of the family at all. */
bool ip_address_is_routable(const char *text, bool ipv4);
