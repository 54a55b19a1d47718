#include <stdlib.h>
#include <string.h>

#include "bus-bytes.h"

void bus_bytes_init(BusBytes *b, size_t max) {
        *b = (BusBytes){ .max = max };
}

void bus_bytes_done(BusBytes *b) {
        free(b->data);
        *b = (BusBytes){ 0 };
}

uint8_t *bus_bytes_take(BusBytes *b, size_t *ret_len) {
        uint8_t *p = b->failed ? NULL : b->data;
        *ret_len = b->failed ? 0 : b->len;
        if (b->failed)
                free(b->data);
        *b = (BusBytes){ 0 };
        return p;
}

/* Room for n more bytes; false once it failed. */
static bool reserve(BusBytes *b, size_t n) {
        if (b->failed)
                return false;
        if (n > b->max - b->len) {
                b->failed = b->too_big = true;
                return false;
        }
        if (b->len + n <= b->cap)
                return true;
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
                cap *= 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p) {
                b->failed = true;
                return false;
        }
        b->data = p;
        b->cap = cap;
        return true;
}

void bus_bytes_reserve(BusBytes *b, size_t n) {
        /* a hint: past max, what fits */
        if (n > b->max - b->len)
                n = b->max - b->len;
        if (b->failed || b->len + n <= b->cap)
                return;
        uint8_t *p = realloc(b->data, b->len + n);
        if (p) {
                b->data = p;
                b->cap = b->len + n;
        }
}

void bus_bytes_raw(BusBytes *b, const void *p, size_t n) {
        if (n == 0 || !reserve(b, n))
                return;
        memcpy(b->data + b->len, p, n);
        b->len += n;
}

void bus_bytes_align(BusBytes *b, size_t alignment) {
        size_t pad = (alignment - b->len % alignment) % alignment;
        if (pad == 0 || !reserve(b, pad))
                return;
        memset(b->data + b->len, 0, pad);
        b->len += pad;
}

void bus_bytes_byte(BusBytes *b, uint8_t v) {
        bus_bytes_raw(b, &v, 1);
}

void bus_bytes_u32(BusBytes *b, uint32_t v) {
        bus_bytes_align(b, 4);
        bus_bytes_raw(b, &v, 4);
}

void bus_bytes_bool(BusBytes *b, bool v) {
        bus_bytes_u32(b, v ? 1 : 0);
}

void bus_bytes_fixed(BusBytes *b, const void *p, size_t size) {
        bus_bytes_align(b, size);
        bus_bytes_raw(b, p, size);
}

void bus_bytes_string(BusBytes *b, const char *s) {
        size_t n = strlen(s);
        if (n > UINT32_MAX) {
                b->failed = true;
                return;
        }
        bus_bytes_u32(b, (uint32_t) n);
        bus_bytes_raw(b, s, n + 1);
}

void bus_bytes_signature(BusBytes *b, const char *s) {
        size_t n = strlen(s);
        if (n > 255) {
                b->failed = true;
                return;
        }
        bus_bytes_byte(b, (uint8_t) n);
        bus_bytes_raw(b, s, n + 1);
}

size_t bus_bytes_array_open(BusBytes *b, size_t element_alignment) {
        bus_bytes_u32(b, 0);
        size_t at = b->len - 4;
        bus_bytes_align(b, element_alignment);
        return at;
}

void bus_bytes_array_close(BusBytes *b, size_t at, size_t element_alignment) {
        if (b->failed)
                return;
        /* the length counts from the first element, after the padding */
        size_t start = at + 4;
        start += (element_alignment - start % element_alignment) % element_alignment;
        uint32_t len = (uint32_t) (b->len - start);
        memcpy(b->data + at, &len, 4);
}
