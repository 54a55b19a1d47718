#include "backoff.h"

void backoff_init(Backoff *b, uint64_t initial_usec, uint64_t max_usec) {
        b->initial_usec = initial_usec;
        b->max_usec = max_usec < initial_usec ? initial_usec : max_usec;
        b->next_usec = initial_usec;
}

uint64_t backoff_next(Backoff *b) {
        uint64_t delay = b->next_usec;
        b->next_usec = delay > b->max_usec / 2 ? b->max_usec : delay * 2;
        return delay;
}

void backoff_reset(Backoff *b) {
        b->next_usec = b->initial_usec;
}
