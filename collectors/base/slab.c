#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "slab.h"

/* Under AddressSanitizer a freed block is poisoned until it is handed out
 * again, as malloc's would be: a use after free still shows. */
#if defined(__SANITIZE_ADDRESS__)
#define SLAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_ASAN 1
#endif
#endif
#ifdef SLAB_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void) (p), (void) (n))
#define UNPOISON(p, n) ((void) (p), (void) (n))
#endif

#define SLAB_SIZE (64u * 1024)       /* aligned to its size: a block finds its slab */
#define SLAB_HEADER 64u              /* the Slab, rounded up; blocks start after it */
#define CLASSES (SLAB_BLOCK_MAX / 8) /* 8, 16, ..., 64 bytes */

typedef struct Slab Slab;
struct Slab {
        Slab *prev, *next; /* among its class's slabs with room */
        void *free;        /* its freed blocks, each holding the next */
        uint32_t used;     /* blocks handed out */
        uint32_t carved;   /* blocks ever carved (from the start, in order) */
        uint32_t capacity; /* blocks it holds */
        uint32_t size;     /* of each */
        bool has_room;     /* in the list below */
};
_Static_assert(sizeof(Slab) <= SLAB_HEADER, "a slab's header fits before its blocks");

static Slab *room[CLASSES]; /* slabs with a free or uncarved block, by class */
static size_t n_slabs, n_blocks;

static size_t class_of(size_t size) {
        return (size + 7) / 8 - 1;
}

static Slab *slab_of(void *p) {
        return (Slab *) ((uintptr_t) p & ~(uintptr_t) (SLAB_SIZE - 1));
}

static void link_room(Slab *s, size_t c) {
        s->prev = NULL;
        s->next = room[c];
        if (room[c])
                room[c]->prev = s;
        room[c] = s;
        s->has_room = true;
}

static void unlink_room(Slab *s, size_t c) {
        if (s->prev)
                s->prev->next = s->next;
        else
                room[c] = s->next;
        if (s->next)
                s->next->prev = s->prev;
        s->prev = s->next = NULL;
        s->has_room = false;
}

/* One slab, aligned to SLAB_SIZE: twice that mapped, the rest unmapped. */
static Slab *slab_new(size_t c) {
        char *p = mmap(NULL, 2 * SLAB_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return NULL;
        uintptr_t start = ((uintptr_t) p + SLAB_SIZE - 1) & ~(uintptr_t) (SLAB_SIZE - 1);
        size_t head = start - (uintptr_t) p;
        if (head > 0)
                (void) munmap(p, head);
        (void) munmap((char *) start + SLAB_SIZE, SLAB_SIZE - head);

        Slab *s = (Slab *) start;
        *s = (Slab){
                .size = (uint32_t) ((c + 1) * 8),
                .capacity = (uint32_t) ((SLAB_SIZE - SLAB_HEADER) / ((c + 1) * 8)),
        };
        POISON((char *) s + SLAB_HEADER, SLAB_SIZE - SLAB_HEADER);
        link_room(s, c);
        n_slabs++;
        return s;
}

void *slab_alloc(size_t size) {
        if (size == 0 || size > SLAB_BLOCK_MAX)
                return NULL;
        size_t c = class_of(size);
        Slab *s = room[c] ? room[c] : slab_new(c);
        if (!s)
                return NULL;

        void *p;
        if (s->free) {
                p = s->free;
                UNPOISON(p, s->size);
                memcpy(&s->free, p, sizeof s->free);
        } else {
                p = (char *) s + SLAB_HEADER + (size_t) s->carved * s->size;
                UNPOISON(p, s->size);
                s->carved++;
        }
        s->used++;
        n_blocks++;
        if (!s->free && s->carved == s->capacity)
                unlink_room(s, c); /* full */
        return p;
}

void slab_free(void *p, size_t size) {
        if (!p)
                return;
        size_t c = class_of(size);
        Slab *s = slab_of(p);

        memcpy(p, &s->free, sizeof s->free);
        s->free = p;
        POISON(p, s->size);
        s->used--;
        n_blocks--;
        if (!s->has_room)
                link_room(s, c);
        /* Empty: back to the kernel, unless it is the class's only slab
         * with room (then the next string of its size needs no new one). */
        if (s->used == 0 && (room[c] != s || s->next)) {
                unlink_room(s, c);
                UNPOISON(s, SLAB_SIZE);
                (void) munmap(s, SLAB_SIZE);
                n_slabs--;
        }
}

void slab_stats(size_t *bytes, size_t *blocks) {
        *bytes = n_slabs * SLAB_SIZE;
        *blocks = n_blocks;
}
