/* For tests of code that must survive running out of memory: "of the
 * allocations from now on, skip succeed and the next one fails". A file
 * keeps one AllocFailure and asks alloc_failure_now() before each
 * allocation it wants testable. */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>

typedef struct AllocFailure {
        atomic_int after; /* allocations to let through before one fails; -1: none fails */
} AllocFailure;

#define ALLOC_FAILURE_INIT                                                                                             \
        { -1 }

static inline void alloc_failure_arm(AllocFailure *f, unsigned skip) {
        atomic_store(&f->after, (int) skip);
}

/* true if this allocation is the one that is to fail. */
static inline bool alloc_failure_now(AllocFailure *f) {
        int n = atomic_load(&f->after);
        while (n >= 0 && !atomic_compare_exchange_weak(&f->after, &n, n - 1))
                ;
        return n == 0;
}
