/* A thread-safe FIFO of intrusive items: how work and results cross threads.
 *
 * Producers never block. A consumer either sleeps on it (worker threads:
 * queue_pop_wait) or watches its eventfd from an event loop (the main thread:
 * queue_get_fd + queue_pop until empty).
 *
 * Reference-counted: each side holds a reference, so a producer that outlives
 * its consumer (a worker still inside a call at exit) keeps the queue alive
 * on its own; the last reference frees it with what is still queued. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct QueueItem {
        struct QueueItem *next;
} QueueItem;

typedef struct Queue Queue;

/* with_fd: also signal an eventfd on every push, for event loops.
 * free_item (may be NULL) frees what is still queued when the last
 * reference goes. The caller holds the first reference. */
int queue_new(bool with_fd, void (*free_item)(QueueItem *item), Queue **ret);
Queue *queue_ref(Queue *q);
/* Accepts NULL; returns NULL. */
Queue *queue_unref(Queue *q);

void queue_push(Queue *q, QueueItem *item);
QueueItem *queue_pop(Queue *q);
QueueItem *queue_pop_wait(Queue *q);
size_t queue_length(Queue *q);

/* Readable while something was pushed since the last queue_drain_fd(). */
int queue_get_fd(Queue *q);
void queue_drain_fd(Queue *q);
/* Makes the fd readable again, e.g. when a consumer stopped before the queue was empty. */
void queue_kick(Queue *q);

#define QUEUE_CONTAINER(ptr, type, member) ((type *) ((char *) (ptr) -offsetof(type, member)))
