/* A message body written as bytes, in the machine's byte order as sd-bus
 * writes it, for the writer to send (bus-writer.h): for a reply of
 * thousands of small entries, sd-bus's checks at every element cost more
 * than the bus does. Offsets count from the body's start, which is 8-byte
 * aligned on the wire, so the alignment is the same there. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct BusBytes {
        uint8_t *data;
        size_t len, cap;
        size_t max;   /* more than this fails */
        bool failed;  /* out of memory or past max: the rest is not written */
        bool too_big; /* it was past max */
} BusBytes;

void bus_bytes_init(BusBytes *b, size_t max);
/* The bytes, to free; NULL if it failed (then they are freed). */
uint8_t *bus_bytes_take(BusBytes *b, size_t *ret_len);
void bus_bytes_done(BusBytes *b);

/* Room for n more bytes from now, so a body of a size known ahead is not
 * moved as it grows. */
void bus_bytes_reserve(BusBytes *b, size_t n);
/* n bytes as they are: a part written apart with the same alignment. */
void bus_bytes_raw(BusBytes *b, const void *p, size_t n);

void bus_bytes_align(BusBytes *b, size_t alignment);
void bus_bytes_byte(BusBytes *b, uint8_t v);
void bus_bytes_u32(BusBytes *b, uint32_t v);
void bus_bytes_bool(BusBytes *b, bool v);
/* A fixed-size value of size 2, 4 or 8 bytes, aligned to its size (n q i
 * u x t d). */
void bus_bytes_fixed(BusBytes *b, const void *p, size_t size);
/* A string or object path (s, o): valid UTF-8 without NUL, which the model
 * holds already. */
void bus_bytes_string(BusBytes *b, const char *s);
/* A signature (g, and a variant's): at most 255 bytes. */
void bus_bytes_signature(BusBytes *b, const char *s);
/* An array: open returns where its length goes, after which its elements
 * start aligned to element_alignment; close writes the length. */
size_t bus_bytes_array_open(BusBytes *b, size_t element_alignment);
void bus_bytes_array_close(BusBytes *b, size_t at, size_t element_alignment);
