/* Small blocks (at most SLAB_BLOCK_MAX bytes) packed tightly, for the
 * interned strings: malloc's smallest chunk is 32 bytes and each has 8
 * bytes of its own, where most interned strings need 16 or 24. Blocks are
 * carved from 64 KiB slabs, one size per slab (by 8 bytes); a slab goes
 * back to the kernel once its last block is freed. Not thread-safe: the
 * caller locks. */
#pragma once

#include <stddef.h>

#define SLAB_BLOCK_MAX 64

/* size bytes (1..SLAB_BLOCK_MAX), aligned to 8; NULL if out of memory or
 * size is out of range. */
void *slab_alloc(size_t size);
/* Frees p, from slab_alloc(size) with the same size; NULL: nothing. */
void slab_free(void *p, size_t size);

/* Bytes of the slabs mapped now, and the blocks handed out in them. */
void slab_stats(size_t *bytes, size_t *blocks);
