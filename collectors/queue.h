/* A thread-safe FIFO of intrusive items: how work and results cross threads.
 *
 * Producers never block. A consumer either sleeps on it (worker threads:
 * queue_pop_wait) or watches its eventfd from an event loop (the main thread:
 * queue_get_fd + queue_pop until empty). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct QueueItem {
        struct QueueItem *next;
} QueueItem;

typedef struct Queue Queue;

/* with_fd: also signal an eventfd on every push, for event loops. */
int queue_new(bool with_fd, Queue **ret);
/* Items still queued are handed to free_item (may be NULL). */
Queue *queue_free(Queue *q, void (*free_item)(QueueItem *item));

void queue_push(Queue *q, QueueItem *item);
QueueItem *queue_pop(Queue *q);
QueueItem *queue_pop_wait(Queue *q);
size_t queue_length(Queue *q);

/* Readable while something was pushed since the last queue_drain_fd(). */
int queue_get_fd(Queue *q);
void queue_drain_fd(Queue *q);
/* Makes the fd readable again, e.g. when a consumer stopped before the queue was empty. */
void queue_kick(Queue *q);

#define QUEUE_CONTAINER(ptr, type, member) ((type *) ((char *) (ptr) - offsetof(type, member)))
