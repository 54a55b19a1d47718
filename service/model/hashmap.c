#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"

typedef struct Entry {
        struct Entry *next;
        const char *key;
        void *value;
        uint64_t hash;
} Entry;

struct Hashmap {
        Entry **buckets;
        size_t n_buckets;
        size_t size;
};

/* FNV-1a: keys here are UUIDs and names, not attacker-chosen for collisions
 * at a scale that matters (libvirt limits the number of domains). */
static uint64_t hash_string(const char *s) {
        uint64_t h = 14695981039346656037ULL;
        for (; *s; s++) {
                h ^= (unsigned char) *s;
                h *= 1099511628211ULL;
        }
        return h;
}

Hashmap *hashmap_new(void) {
        Hashmap *h = calloc(1, sizeof *h);
        if (!h)
                return NULL;
        h->n_buckets = 16;
        h->buckets = calloc(h->n_buckets, sizeof *h->buckets);
        if (!h->buckets) {
                free(h);
                return NULL;
        }
        return h;
}

Hashmap *hashmap_free(Hashmap *h) {
        if (!h)
                return NULL;
        for (size_t b = 0; b < h->n_buckets; b++)
                for (Entry *e = h->buckets[b], *next; e; e = next) {
                        next = e->next;
                        free(e);
                }
        free(h->buckets);
        free(h);
        return NULL;
}

static int grow(Hashmap *h) {
        size_t n = h->n_buckets * 2;
        Entry **buckets = calloc(n, sizeof *buckets);
        if (!buckets)
                return -ENOMEM;
        for (size_t b = 0; b < h->n_buckets; b++)
                for (Entry *e = h->buckets[b], *next; e; e = next) {
                        next = e->next;
                        e->next = buckets[e->hash % n];
                        buckets[e->hash % n] = e;
                }
        free(h->buckets);
        h->buckets = buckets;
        h->n_buckets = n;
        return 0;
}

static Entry **find_slot(Hashmap *h, const char *key, uint64_t hash) {
        Entry **p = &h->buckets[hash % h->n_buckets];
        for (; *p; p = &(*p)->next)
                if ((*p)->hash == hash && strcmp((*p)->key, key) == 0)
                        break;
        return p;
}

int hashmap_put(Hashmap *h, const char *key, void *value) {
        uint64_t hash = hash_string(key);

        if (*find_slot(h, key, hash))
                return -EEXIST;
        if (h->size >= h->n_buckets && grow(h) < 0)
                return -ENOMEM;

        Entry *e = malloc(sizeof *e);
        if (!e)
                return -ENOMEM;
        *e = (Entry){ .next = h->buckets[hash % h->n_buckets], .key = key, .value = value, .hash = hash };
        h->buckets[hash % h->n_buckets] = e;
        h->size++;
        return 0;
}

void *hashmap_get(Hashmap *h, const char *key) {
        Entry *e = *find_slot(h, key, hash_string(key));
        return e ? e->value : NULL;
}

void *hashmap_remove(Hashmap *h, const char *key) {
        Entry **p = find_slot(h, key, hash_string(key));
        Entry *e = *p;
        if (!e)
                return NULL;
        void *value = e->value;
        *p = e->next;
        free(e);
        h->size--;
        return value;
}

size_t hashmap_size(Hashmap *h) {
        return h->size;
}

bool hashmap_iterate(Hashmap *h, HashmapIter *i, void **value) {
        Entry *e = i->entry;

        e = e ? e->next : NULL;
        while (!e) {
                if (i->bucket >= h->n_buckets)
                        return false;
                e = h->buckets[i->bucket++];
        }
        i->entry = e;
        *value = e->value;
        return true;
}
