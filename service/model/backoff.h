/* Reconnect delays: start small, double each failure, cap, reset on success. */
#pragma once

#include <stdint.h>

typedef struct Backoff {
        uint64_t initial_usec;
        uint64_t max_usec;
        uint64_t next_usec;
} Backoff;

void backoff_init(Backoff *b, uint64_t initial_usec, uint64_t max_usec);
/* The delay to wait before this attempt; the one after is twice as long. */
uint64_t backoff_next(Backoff *b);
void backoff_reset(Backoff *b);
