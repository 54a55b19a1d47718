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

void bus_bytes_align(BusBytes *b, size_t alignment);
void bus_bytes_byte(BusBytes *b, uint8_t v);
void bus_bytes_u32(BusBytes *b, uint32_t v);
void bus_bytes_bool(BusBytes *b, bool v);
/* A string or object path (s, o): valid UTF-8 without NUL, which the model
 * holds already. */
void bus_bytes_string(BusBytes *b, const char *s);
/* A signature (g, and a variant's): at most 255 bytes. */
void bus_bytes_signature(BusBytes *b, const char *s);
/* An array: open returns where its length goes, after which its elements
 * start aligned to element_alignment; close writes the length. */
size_t bus_bytes_array_open(BusBytes *b, size_t element_alignment);
void bus_bytes_array_close(BusBytes *b, size_t at, size_t element_alignment);
