/* The cross-thread queue: order, eventfd wake-ups, concurrent producers. */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "queue.h"

typedef struct Item {
        QueueItem item;
        int producer;
        int seq;
} Item;

static Item *item_new(int producer, int seq) {
        Item *i = calloc(1, sizeof *i);
        i->producer = producer;
        i->seq = seq;
        return i;
}

static bool fd_readable(int fd) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        return poll(&p, 1, 0) == 1;
}

static void test_fifo_and_fd(void **state) {
        Queue *q;

        assert_int_equal(queue_new(true, NULL, &q), 0);
        assert_false(fd_readable(queue_get_fd(q)));
        assert_null(queue_pop(q));

        for (int i = 0; i < 3; i++)
                queue_push(q, &item_new(0, i)->item);
        assert_true(fd_readable(queue_get_fd(q)));
        assert_int_equal(queue_length(q), 3);

        queue_drain_fd(q);
        assert_false(fd_readable(queue_get_fd(q)));
        for (int i = 0; i < 3; i++) {
                Item *it = QUEUE_CONTAINER(queue_pop(q), Item, item);
                assert_int_equal(it->seq, i);
                free(it);
        }
        assert_null(queue_pop(q));
        assert_int_equal(queue_length(q), 0);

        queue_kick(q);
        assert_true(fd_readable(queue_get_fd(q)));
        queue_unref(q);
}

static int freed;

static void free_item(QueueItem *i) {
        freed++;
        free(QUEUE_CONTAINER(i, Item, item));
}

static void test_free_hands_back_items(void **state) {
        Queue *q;
        freed = 0;
        assert_int_equal(queue_new(false, free_item, &q), 0);
        assert_int_equal(queue_get_fd(q), -1);
        queue_push(q, &item_new(0, 0)->item);
        queue_push(q, &item_new(0, 1)->item);
        /* leak checkers (valgrind, ASan) catch it if these are not freed */
        queue_unref(q);
        assert_int_equal(freed, 2);
}

typedef struct Late {
        Queue *q;
        pthread_mutex_t lock;
        pthread_cond_t go;
        bool released;
} Late;

/* A producer that outlives its consumer: it holds its own reference. */
static void *produce_late(void *p) {
        Late *l = p;
        pthread_mutex_lock(&l->lock);
        while (!l->released)
                pthread_cond_wait(&l->go, &l->lock);
        pthread_mutex_unlock(&l->lock);
        queue_push(l->q, &item_new(0, 0)->item);
        queue_unref(l->q);
        return NULL;
}

static void test_late_producer_keeps_queue(void **state) {
        Late l = { .lock = PTHREAD_MUTEX_INITIALIZER, .go = PTHREAD_COND_INITIALIZER };
        Queue *q;
        pthread_t t;

        freed = 0;
        assert_int_equal(queue_new(true, free_item, &q), 0);
        l.q = queue_ref(q);
        assert_int_equal(pthread_create(&t, NULL, produce_late, &l), 0);
        queue_push(q, &item_new(0, 1)->item);
        /* The consumer goes first: nothing is freed while the producer holds it. */
        assert_null(queue_unref(q));
        assert_int_equal(freed, 0);
        pthread_mutex_lock(&l.lock);
        l.released = true;
        pthread_cond_signal(&l.go);
        pthread_mutex_unlock(&l.lock);
        pthread_join(t, NULL);
        /* The last reference freed both items (ASan: no use after free, no leak). */
        assert_int_equal(freed, 2);
}

#define PRODUCERS 4
#define PER_PRODUCER 20000

typedef struct Producer {
        Queue *q;
        int id;
} Producer;

static void *produce(void *p) {
        Producer *pr = p;
        for (int i = 0; i < PER_PRODUCER; i++)
                queue_push(pr->q, &item_new(pr->id, i)->item);
        return NULL;
}

static void test_concurrent_producers(void **state) {
        Queue *q;
        pthread_t threads[PRODUCERS];
        Producer producers[PRODUCERS];
        int next[PRODUCERS] = { 0 };

        assert_int_equal(queue_new(false, NULL, &q), 0);
        for (int i = 0; i < PRODUCERS; i++) {
                producers[i] = (Producer){ q, i };
                assert_int_equal(pthread_create(&threads[i], NULL, produce, &producers[i]), 0);
        }
        /* Every item arrives exactly once, each producer's in its own order. */
        for (int n = 0; n < PRODUCERS * PER_PRODUCER; n++) {
                Item *it = QUEUE_CONTAINER(queue_pop_wait(q), Item, item);
                assert_int_equal(it->seq, next[it->producer]);
                next[it->producer]++;
                free(it);
        }
        for (int i = 0; i < PRODUCERS; i++) {
                pthread_join(threads[i], NULL);
                assert_int_equal(next[i], PER_PRODUCER);
        }
        assert_null(queue_pop(q));
        queue_unref(q);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fifo_and_fd),
                cmocka_unit_test(test_free_hands_back_items),
                cmocka_unit_test(test_late_producer_keeps_queue),
                cmocka_unit_test(test_concurrent_producers),
        };
        return cmocka_run_group_tests_name("queue", tests, NULL, NULL);
}
