#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "intern.h"
#include "siphash.h"
#include "slab.h"

/* The count sits just before the text: the text is what holders see.
 * No hash kept: 4 bytes of header, as most strings are short. */
typedef struct Interned {
        uint32_t refs;
        char text[];
} Interned;

/* Most interned strings are short: they go in a slab (slab.h), tighter
 * than malloc's chunks; a longer one is malloc's. */
static Interned *entry_new(size_t size) {
        return size <= SLAB_BLOCK_MAX ? slab_alloc(size) : malloc(size);
}

static void entry_free(Interned *e) {
        size_t size = sizeof *e + strlen(e->text) + 1;
        if (size <= SLAB_BLOCK_MAX)
                slab_free(e, size);
        else
                free(e);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static Interned **slots; /* open addressing, linear probing; NULL: empty */
static size_t n_slots, n_used;
static unsigned long bytes_held;
static uint8_t key[16];
static pthread_once_t keyed = PTHREAD_ONCE_INIT;

static void make_key(void) {
        if (getrandom(key, sizeof key, GRND_NONBLOCK) != (ssize_t) sizeof key)
                for (size_t i = 0; i < sizeof key; i++)
                        key[i] = (uint8_t) (((uintptr_t) &lock >> (i % 8)) ^ (i * 131u));
}

/* Keyed, so that a guest cannot choose strings that all land in one run;
 * the key made once, before any thread's first hash. */
static uint64_t hash_text(const char *s, size_t len) {
        SipHash h;
        pthread_once(&keyed, make_key);
        siphash_init(&h, key);
        siphash_feed(&h, s, len);
        return siphash_final(&h);
}

static size_t find(const char *s, uint64_t hash) {
        size_t i = hash & (n_slots - 1);
        while (slots[i] && strcmp(slots[i]->text, s) != 0)
                i = (i + 1) & (n_slots - 1);
        return i;
}

/* Keeps the table at most three quarters full: the hash is keyed, so
 * runs stay short (2.5 probes to find a string on average, 8.5 to miss),
 * and a slot is 8 bytes for every string a fleet holds uniquely (at 10000
 * VMs of bench-cache, 320054 strings: 4 MiB of slots, not 8). */
static int grow(void) {
        size_t n = n_slots ? 2 * n_slots : 256;
        Interned **old = slots;
        size_t n_old = n_slots;

        slots = calloc(n, sizeof *slots);
        if (!slots) {
                slots = old;
                return -ENOMEM;
        }
        n_slots = n;
        for (size_t i = 0; i < n_old; i++)
                if (old[i])
                        slots[find(old[i]->text, hash_text(old[i]->text, strlen(old[i]->text)))] = old[i];
        free(old);
        return 0;
}

char *intern_take(char *s) {
        if (!s)
                return NULL;
        size_t len = strlen(s);
        uint64_t hash = hash_text(s, len);
        char *ret = NULL;

        pthread_mutex_lock(&lock);
        if ((n_used + 1) * 4 > n_slots * 3 && grow() < 0)
                goto out;
        size_t i = find(s, hash);
        if (!slots[i]) {
                Interned *e = entry_new(sizeof *e + len + 1);
                if (!e)
                        goto out;
                e->refs = 0;
                memcpy(e->text, s, len + 1);
                slots[i] = e;
                n_used++;
                bytes_held += sizeof *e + len + 1;
        }
        if (slots[i]->refs == UINT32_MAX) {
                /* held by as many as a count holds: s stays a copy of its own */
                pthread_mutex_unlock(&lock);
                return s;
        }
        slots[i]->refs++;
        ret = slots[i]->text;
out:
        pthread_mutex_unlock(&lock);
        free(s);
        return ret;
}

char *intern_copy(const char *s) {
        if (!s)
                return NULL;
        uint64_t hash = hash_text(s, strlen(s));

        pthread_mutex_lock(&lock);
        size_t i = n_slots ? find(s, hash) : 0;
        if (n_slots && slots[i] && slots[i]->refs < UINT32_MAX) {
                slots[i]->refs++;
                pthread_mutex_unlock(&lock);
                return slots[i]->text;
        }
        pthread_mutex_unlock(&lock);
        char *c = strdup(s);
        return c ? intern_take(c) : NULL;
}

void intern_unref(char *s) {
        if (!s)
                return;
        uint64_t hash = hash_text(s, strlen(s));

        pthread_mutex_lock(&lock);
        size_t i = n_slots ? find(s, hash) : 0;
        Interned *e = n_slots && slots[i] && slots[i]->text == s ? slots[i] : NULL;
        if (!e) {
                /* not from intern_take (a copy made elsewhere): its own */
                pthread_mutex_unlock(&lock);
                free(s);
                return;
        }
        if (--e->refs > 0) {
                pthread_mutex_unlock(&lock);
                return;
        }
        /* Out of the table; then the entries after it in its run move up
         * into the gap if their own slot is not between it and them. */
        slots[i] = NULL;
        n_used--;
        bytes_held -= sizeof *e + strlen(e->text) + 1;
        for (size_t j = (i + 1) & (n_slots - 1); slots[j]; j = (j + 1) & (n_slots - 1)) {
                size_t home = hash_text(slots[j]->text, strlen(slots[j]->text)) & (n_slots - 1);
                /* home in (i, j] cyclically: it stays */
                if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
                        continue;
                slots[i] = slots[j];
                slots[j] = NULL;
                i = j;
        }
        entry_free(e);
        pthread_mutex_unlock(&lock);
}

void intern_stats(unsigned long *strings, unsigned long *bytes) {
        pthread_mutex_lock(&lock);
        *strings = n_used;
        *bytes = bytes_held;
        pthread_mutex_unlock(&lock);
}

unsigned long intern_slab_bytes(void) {
        size_t bytes, blocks;
        pthread_mutex_lock(&lock);
        slab_stats(&bytes, &blocks);
        pthread_mutex_unlock(&lock);
        return bytes;
}
