#include "siphash.h"

static uint64_t rotl(uint64_t x, unsigned b) {
        return (x << b) | (x >> (64 - b));
}

static uint64_t read_le64(const uint8_t *p) {
        uint64_t w = 0;
        for (unsigned i = 0; i < 8; i++)
                w |= (uint64_t) p[i] << (8 * i);
        return w;
}

static void sip_round(uint64_t v[4]) {
        v[0] += v[1];
        v[1] = rotl(v[1], 13);
        v[1] ^= v[0];
        v[0] = rotl(v[0], 32);
        v[2] += v[3];
        v[3] = rotl(v[3], 16);
        v[3] ^= v[2];
        v[0] += v[3];
        v[3] = rotl(v[3], 21);
        v[3] ^= v[0];
        v[2] += v[1];
        v[1] = rotl(v[1], 17);
        v[1] ^= v[2];
        v[2] = rotl(v[2], 32);
}

/* One message word, with the two compression rounds of SipHash-2-4. */
static void compress(SipHash *s, uint64_t m) {
        s->v[3] ^= m;
        sip_round(s->v);
        sip_round(s->v);
        s->v[0] ^= m;
}

void siphash_init(SipHash *s, const uint8_t key[16]) {
        uint64_t k0 = read_le64(key), k1 = read_le64(key + 8);
        /* "somepseudorandomlygeneratedbytes" */
        s->v[0] = k0 ^ 0x736f6d6570736575ULL;
        s->v[1] = k1 ^ 0x646f72616e646f6dULL;
        s->v[2] = k0 ^ 0x6c7967656e657261ULL;
        s->v[3] = k1 ^ 0x7465646279746573ULL;
        s->tail = 0;
        s->len = 0;
}

void siphash_feed(SipHash *s, const void *data, size_t size) {
        const uint8_t *p = data;

        /* complete the pending word first */
        while (size > 0 && s->len % 8 != 0) {
                s->tail |= (uint64_t) *p++ << (8 * (s->len % 8));
                s->len++;
                size--;
                if (s->len % 8 == 0) {
                        compress(s, s->tail);
                        s->tail = 0;
                }
        }
        for (; size >= 8; p += 8, size -= 8, s->len += 8)
                compress(s, read_le64(p));
        for (; size > 0; size--, s->len++)
                s->tail |= (uint64_t) *p++ << (8 * (s->len % 8));
}

uint64_t siphash_final(SipHash *s) {
        /* the last word: the remaining bytes, the length's low byte on top */
        compress(s, s->tail | ((uint64_t) (s->len & 0xff) << 56));
        s->v[2] ^= 0xff;
        for (unsigned i = 0; i < 4; i++)
                sip_round(s->v);
        return s->v[0] ^ s->v[1] ^ s->v[2] ^ s->v[3];
}
