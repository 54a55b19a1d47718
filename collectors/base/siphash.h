/* SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012): a 64-bit hash keyed with 128 secret bits, so that nobody who does
 * not know the key can choose two inputs that collide. Fed in pieces. */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct SipHash {
        uint64_t v[4];
        uint64_t tail; /* the bytes of the incomplete last word, little-endian */
        size_t len;    /* bytes fed so far */
} SipHash;

/* key: 16 bytes, read as two little-endian words. */
void siphash_init(SipHash *s, const uint8_t key[16]);
void siphash_feed(SipHash *s, const void *data, size_t size);
uint64_t siphash_final(SipHash *s);
