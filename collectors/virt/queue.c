#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "macro.h"
#include "queue.h"

struct Queue {
        pthread_mutex_t lock;
        pthread_cond_t nonempty;
        QueueItem *head, *tail;
        size_t length;
        int fd;
        atomic_uint n_ref;
        void (*free_item)(QueueItem *item);
};

DEFINE_TRIVIAL_CLEANUP_FUNC(Queue *, queue_unref);

int queue_new(bool with_fd, void (*free_item)(QueueItem *item), Queue **ret) {
        _cleanup_(queue_unrefp) Queue *q = calloc(1, sizeof *q);
        if (!q)
                return -ENOMEM;

        atomic_init(&q->n_ref, 1);
        q->free_item = free_item;
        q->fd = -1;
        pthread_mutex_init(&q->lock, NULL);
        pthread_cond_init(&q->nonempty, NULL);
        if (with_fd) {
                q->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                if (q->fd < 0)
                        return -errno;
        }
        *ret = TAKE_PTR(q);
        return 0;
}

Queue *queue_ref(Queue *q) {
        atomic_fetch_add(&q->n_ref, 1);
        return q;
}

Queue *queue_unref(Queue *q) {
        QueueItem *i;

        if (!q || atomic_fetch_sub(&q->n_ref, 1) > 1)
                return NULL;
        while ((i = queue_pop(q)))
                if (q->free_item)
                        q->free_item(i);
        if (q->fd >= 0)
                close(q->fd);
        pthread_cond_destroy(&q->nonempty);
        pthread_mutex_destroy(&q->lock);
        free(q);
        return NULL;
}

void queue_push(Queue *q, QueueItem *item) {
        item->next = NULL;

        pthread_mutex_lock(&q->lock);
        if (q->tail)
                q->tail->next = item;
        else
                q->head = item;
        q->tail = item;
        q->length++;
        pthread_cond_signal(&q->nonempty);
        pthread_mutex_unlock(&q->lock);

        queue_kick(q);
}

void queue_kick(Queue *q) {
        uint64_t one = 1;
        /* Can only fail if the counter would overflow: it is then readable anyway. */
        if (q->fd >= 0)
                (void) !write(q->fd, &one, sizeof one);
}

static QueueItem *pop_locked(Queue *q) {
        QueueItem *i = q->head;
        if (!i)
                return NULL;
        q->head = i->next;
        if (!q->head)
                q->tail = NULL;
        q->length--;
        i->next = NULL;
        return i;
}

QueueItem *queue_pop(Queue *q) {
        pthread_mutex_lock(&q->lock);
        QueueItem *i = pop_locked(q);
        pthread_mutex_unlock(&q->lock);
        return i;
}

QueueItem *queue_pop_wait(Queue *q) {
        pthread_mutex_lock(&q->lock);
        while (!q->head)
                pthread_cond_wait(&q->nonempty, &q->lock);
        QueueItem *i = pop_locked(q);
        pthread_mutex_unlock(&q->lock);
        return i;
}

size_t queue_length(Queue *q) {
        pthread_mutex_lock(&q->lock);
        size_t n = q->length;
        pthread_mutex_unlock(&q->lock);
        return n;
}

int queue_get_fd(Queue *q) {
        return q->fd;
}

void queue_drain_fd(Queue *q) {
        uint64_t value;
        if (q->fd >= 0)
                (void) !read(q->fd, &value, sizeof value);
}
