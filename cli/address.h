/* A network address as guestinfod publishes it, (family, address, prefix
 * length), and how the client shows it. The family is a string that may gain
 * values: one the client does not know is kept and shown as it is. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

typedef struct VmAddress {
        char *family; /* "ipv4", "ipv6", or one added later */
        char *address;
        uint8_t prefix; /* 0: not known */
} VmAddress;

void vm_address_done(VmAddress *a);

/* An IPv4 or IPv6 address with text: what the list's IP column may show. */
bool vm_address_is_ip(const VmAddress *a);

/* "10.0.2.15/24", "fe80::1/64", or the address alone when the prefix is not
 * known. malloc'ed; NULL only without memory. */
char *vm_address_text(const VmAddress *a);

/* {"family": "ipv4", "address": "10.0.2.15", "prefix": 24}, the prefix null
 * when not known. NULL only without memory. */
json_t *vm_address_json(const VmAddress *a);
