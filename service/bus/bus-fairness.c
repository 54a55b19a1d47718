#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "bus-fairness.h"
#include "bus-writer.h"
#include "hashmap.h"
#include "helpers.h"
#include "log.h"

typedef struct Call {
        struct Call *next;
        sd_bus_message *message;
        BusFairnessHandler handler;
        void *userdata;
} Call;

/* A sender with calls waiting: in the map by name, and in one of the two
 * queues of turns. */
typedef struct Sender {
        struct Sender *next_turn;
        char *name;
        Call *head, *tail;
        size_t n_calls;
} Sender;

struct BusFairness {
        sd_bus *bus;
        /* Below the bus's priority: every message waiting on the bus is
         * handled (the cheap ones answered, the costly ones queued here)
         * before one costly call is answered. */
        sd_event_source *turn_source;
        /* Still, a fresh sender's call waits at most a slice: the bus's
         * messages can keep it busy for longer (a flood answered
         * LimitsExceeded one by one); a backlog waits for a quiet bus. */
        sd_event_source *deadline_source;
        /* While what was sent is still on its way out, the next call waits
         * (the bus's other replies would queue behind it): looked at again
         * after this. */
        sd_event_source *backlog_source;
        Hashmap *senders;
        /* A sender that had nothing waiting goes first (fresh); one with
         * more after its turn goes to the end of the ring: a flooder's
         * backlog never stands before somebody else's one call. */
        Sender *fresh_head, *fresh_tail;
        Sender *turns_head, *turns_tail;
        size_t n_calls;
        bool yielding;
        uint64_t slice_start_usec;
        uint64_t backlog_since_usec; /* the next call has waited for the backlog since */
};

#define STR(x) #x
#define XSTR(x) STR(x)
static const sd_bus_error too_many =
        SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_LIMITS_EXCEEDED,
                                "Too many calls waiting (at most " XSTR(BUS_FAIRNESS_PER_SENDER) " per sender, " XSTR(
                                        BUS_FAIRNESS_TOTAL) " in all): wait for the replies before asking again.");

static void call_free(Call *c) {
        sd_bus_message_unref(c->message);
        free(c);
}

static Sender *sender_free(Sender *s) {
        while (s->head) {
                Call *c = s->head;
                s->head = c->next;
                (void) sd_bus_reply_method_errorf(c->message, SD_BUS_ERROR_NO_SERVER, "guestinfod is shutting down.");
                call_free(c);
        }
        free(s->name);
        free(s);
        return NULL;
}

static void append_sender(Sender **head, Sender **tail, Sender *s) {
        s->next_turn = NULL;
        if (*tail)
                (*tail)->next_turn = s;
        else
                *head = s;
        *tail = s;
}

static Sender *pop_sender(Sender **head, Sender **tail) {
        Sender *s = *head;
        if (s) {
                *head = s->next_turn;
                if (!*head)
                        *tail = NULL;
                s->next_turn = NULL;
        }
        return s;
}

/* The next call in turn: the oldest of the first fresh sender, else of
 * the first in the ring; the sender goes to the end of the ring if it has
 * more. */
static Call *take_turn(BusFairness *f) {
        Sender *s = pop_sender(&f->fresh_head, &f->fresh_tail);
        if (!s)
                s = pop_sender(&f->turns_head, &f->turns_tail);
        if (!s)
                return NULL;

        Call *c = s->head;
        s->head = c->next;
        if (!s->head)
                s->tail = NULL;
        s->n_calls--;
        f->n_calls--;

        if (s->head)
                append_sender(&f->turns_head, &f->turns_tail, s);
        else {
                (void) hashmap_remove(f->senders, s->name);
                sender_free(s);
        }
        return c;
}

static void arm_deadline(BusFairness *f) {
        int r = sd_event_source_set_time_relative(f->deadline_source, BUS_FAIRNESS_SLICE_USEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(f->deadline_source, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Failed to schedule a waiting call, ignoring: %m");
}

static int on_backlog(sd_event_source *source, uint64_t usec, void *userdata) {
        BusFairness *f = userdata;
        if (f->n_calls > 0)
                (void) sd_event_source_set_enabled(f->turn_source, SD_EVENT_ON);
        return 0;
}

static int on_turn(sd_event_source *source, void *userdata) {
        BusFairness *f = userdata;

        /* A whole tree goes out in microseconds when it was kept: without
         * this, a flood of them would stand before every other reply. It
         * waits a slice at most: a socket the bus does not drain must not
         * stop the calls. */
        if (f->n_calls > 0 && bus_writer_backlog(f->bus) > BUS_FAIRNESS_BACKLOG_MAX) {
                uint64_t now = now_usec();
                if (!f->backlog_since_usec)
                        f->backlog_since_usec = now;
                if (now < f->backlog_since_usec + BUS_FAIRNESS_SLICE_USEC) {
                        (void) sd_event_source_set_enabled(f->turn_source, SD_EVENT_OFF);
                        if (sd_event_source_set_time_relative(f->backlog_source, BUS_FAIRNESS_BACKLOG_WAIT_USEC) >= 0)
                                (void) sd_event_source_set_enabled(f->backlog_source, SD_EVENT_ONESHOT);
                        return 0;
                }
        }
        f->backlog_since_usec = 0;
        Call *c = take_turn(f);

        if (c) {
                f->slice_start_usec = now_usec();
                int r = c->handler(c->message, c->userdata);
                if (r < 0) {
                        log_debug_errno(r, "Failed to answer a waiting call: %m");
                        (void) sd_bus_reply_method_errno(c->message, r, NULL);
                }
                call_free(c);
        }
        if (f->n_calls == 0)
                (void) sd_event_source_set_enabled(f->turn_source, SD_EVENT_OFF);
        if (f->fresh_head)
                arm_deadline(f);
        else
                (void) sd_event_source_set_enabled(f->deadline_source, SD_EVENT_OFF);
        return 0;
}

static int on_deadline(sd_event_source *source, uint64_t usec, void *userdata) {
        return on_turn(source, userdata);
}

int bus_fairness_submit(BusFairness *f, sd_bus_message *call, BusFairnessHandler handler, void *userdata) {
        const char *name = sd_bus_message_get_sender(call);
        int r;

        if (!name)
                name = ""; /* a direct connection: one peer */
        Sender *s = hashmap_get(f->senders, name);
        if ((s && s->n_calls >= BUS_FAIRNESS_PER_SENDER) || f->n_calls >= BUS_FAIRNESS_TOTAL)
                /* Answered now, with a constant text: a flood's excess costs
                 * nothing but these replies, and the others wait behind them. */
                return sd_bus_reply_method_error(call, &too_many) < 0 ? -EIO : 1;

        Call *c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->message = sd_bus_message_ref(call);
        c->handler = handler;
        c->userdata = userdata;

        if (!s) {
                s = calloc(1, sizeof *s);
                if (s)
                        s->name = strdup(name);
                if (!s || !s->name || (r = hashmap_put(f->senders, s->name, s)) < 0) {
                        if (s)
                                free(s->name);
                        free(s);
                        call_free(c);
                        return -ENOMEM;
                }
                append_sender(&f->fresh_head, &f->fresh_tail, s);
        }
        if (s->tail)
                s->tail->next = c;
        else
                s->head = c;
        s->tail = c;
        s->n_calls++;
        f->n_calls++;

        if (s->n_calls == 1 && f->fresh_head == s)
                arm_deadline(f);
        r = sd_event_source_set_enabled(f->turn_source, SD_EVENT_ON);
        if (r < 0)
                log_warning_errno(r, "Failed to schedule a waiting call, ignoring: %m");
        return 1;
}

void bus_fairness_yield(BusFairness *f) {
        if (!f || f->yielding)
                return;
        uint64_t now = now_usec();
        if (now < f->slice_start_usec + BUS_FAIRNESS_SLICE_USEC)
                return;

        /* Only the bus: nothing else runs, so the model the reply is built
         * from stays as it is; the costly calls that come in are queued. */
        f->yielding = true;
        while (now_usec() < now + BUS_FAIRNESS_SLICE_USEC) {
                int r = sd_bus_process(f->bus, NULL);
                if (r <= 0)
                        break;
        }
        f->yielding = false;
        f->slice_start_usec = now_usec();
}

int bus_fairness_new(sd_bus *bus, BusFairness **ret) {
        _cleanup_(bus_fairness_freep) BusFairness *f = calloc(1, sizeof *f);
        sd_event *event = sd_bus_get_event(bus);
        int r;

        if (!f)
                return -ENOMEM;
        if (!event)
                return -EINVAL;
        f->bus = sd_bus_ref(bus);
        f->senders = hashmap_new();
        if (!f->senders)
                return -ENOMEM;
        r = sd_event_add_defer(event, &f->turn_source, on_turn, f);
        if (r < 0)
                return r;
        r = sd_event_source_set_priority(f->turn_source, SD_EVENT_PRIORITY_NORMAL + 1);
        if (r >= 0)
                r = sd_event_source_set_enabled(f->turn_source, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time_relative(event, &f->deadline_source, CLOCK_MONOTONIC, BUS_FAIRNESS_SLICE_USEC,
                                               1000, on_deadline, f);
        if (r >= 0)
                r = sd_event_source_set_enabled(f->deadline_source, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time_relative(event, &f->backlog_source, CLOCK_MONOTONIC,
                                               BUS_FAIRNESS_BACKLOG_WAIT_USEC, 100, on_backlog, f);
        if (r >= 0)
                r = sd_event_source_set_enabled(f->backlog_source, SD_EVENT_OFF);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(f);
        return 0;
}

BusFairness *bus_fairness_free(BusFairness *f) {
        if (!f)
                return NULL;
        for (Sender *s;
             (s = pop_sender(&f->fresh_head, &f->fresh_tail)) || (s = pop_sender(&f->turns_head, &f->turns_tail));) {
                (void) hashmap_remove(f->senders, s->name);
                sender_free(s);
        }
        hashmap_free(f->senders);
        sd_event_source_disable_unref(f->turn_source);
        sd_event_source_disable_unref(f->deadline_source);
        sd_event_source_disable_unref(f->backlog_source);
        sd_bus_unref(f->bus);
        free(f);
        return NULL;
}
