/* The cross-thread queue: order, eventfd wake-ups, concurrent producers. */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
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

        assert_int_equal(queue_new(true, &q), 0);
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
        queue_free(q, NULL);
}

static void free_item(QueueItem *i) {
        free(QUEUE_CONTAINER(i, Item, item));
}

static void test_free_hands_back_items(void **state) {
        Queue *q;
        assert_int_equal(queue_new(false, &q), 0);
        assert_int_equal(queue_get_fd(q), -1);
        queue_push(q, &item_new(0, 0)->item);
        queue_push(q, &item_new(0, 1)->item);
        /* leak checkers (valgrind, ASan) catch it if these are not freed */
        queue_free(q, free_item);
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

        assert_int_equal(queue_new(false, &q), 0);
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
        queue_free(q, NULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fifo_and_fd),
                cmocka_unit_test(test_free_hands_back_items),
                cmocka_unit_test(test_concurrent_producers),
        };
        return cmocka_run_group_tests_name("queue", tests, NULL, NULL);
}
