/* A string-keyed hash map. Keys are borrowed: they must live in the value
 * (e.g. a domain's own UUID) for as long as the entry exists. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct Hashmap Hashmap;

typedef struct HashmapIter {
        size_t bucket;
        void *entry;
} HashmapIter;

#define HASHMAP_ITER_INIT ((HashmapIter){ 0, NULL })

Hashmap *hashmap_new(void);
/* Frees the map, not the values. Accepts NULL. */
Hashmap *hashmap_free(Hashmap *h);

/* -EEXIST if the key is taken, -ENOMEM. */
int hashmap_put(Hashmap *h, const char *key, void *value);
void *hashmap_get(Hashmap *h, const char *key);
/* Returns the value that was stored, or NULL. */
void *hashmap_remove(Hashmap *h, const char *key);
size_t hashmap_size(Hashmap *h);

/* Iteration order is unspecified; do not modify the map while iterating. */
bool hashmap_iterate(Hashmap *h, HashmapIter *i, void **value);

#define HASHMAP_FOREACH(v, h, i) for (HashmapIter i = HASHMAP_ITER_INIT; hashmap_iterate((h), &i, (void **) &(v));)
