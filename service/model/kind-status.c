#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "kind-status.h"

static const char *const names[_KIND_STATE_MAX] = {
        [KIND_STATE_NOT_ASKED] = "not-asked", [KIND_STATE_FRESH] = "fresh",   [KIND_STATE_UNSUPPORTED] = "unsupported",
        [KIND_STATE_DISABLED] = "disabled",   [KIND_STATE_FAILED] = "failed", [KIND_STATE_TIMED_OUT] = "timed-out",
        [KIND_STATE_FROZEN] = "frozen",
};

const char *kind_state_to_string(KindState s) {
        return s >= 0 && s < _KIND_STATE_MAX ? names[s] : "not-asked";
}

/* The messages of every status, by number less one: few statuses hold
 * one (a failure's reason), so a status keeps 4 bytes, not a pointer.
 * Freed numbers are handed out again. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* models of other threads share it */
static char **messages;
static uint32_t n_messages, *free_numbers, n_free;

static const char *message_of(uint32_t number) {
        const char *m = NULL;
        pthread_mutex_lock(&lock);
        if (number > 0 && number <= n_messages)
                m = messages[number - 1];
        pthread_mutex_unlock(&lock);
        return m;
}

static void message_drop(uint32_t number) {
        char *m = NULL;
        pthread_mutex_lock(&lock);
        if (number > 0 && number <= n_messages && messages[number - 1]) {
                m = messages[number - 1];
                messages[number - 1] = NULL;
                free_numbers[n_free++] = number; /* room for every number: see message_add_locked */
        }
        pthread_mutex_unlock(&lock);
        free(m);
}

/* Numbers the copy; 0 if out of memory (the copy is the caller's then). */
static uint32_t message_add_locked(char *copy) {
        if (n_free == 0) {
                if (n_messages == UINT32_MAX - 1)
                        return 0;
                size_t n = n_messages ? 2 * (size_t) n_messages : 64;
                if (n > UINT32_MAX - 1)
                        n = UINT32_MAX - 1;
                char **m = realloc(messages, n * sizeof *m);
                if (m)
                        messages = m;
                uint32_t *f = m ? realloc(free_numbers, n * sizeof *f) : NULL;
                if (f)
                        free_numbers = f;
                if (!m || !f)
                        return 0;
                /* the new numbers, the lowest handed out first */
                for (size_t i = n; i > n_messages; i--) {
                        messages[i - 1] = NULL;
                        free_numbers[n_free++] = (uint32_t) i;
                }
                n_messages = (uint32_t) n;
        }
        uint32_t number = free_numbers[--n_free];
        messages[number - 1] = copy;
        return number;
}

/* A copy of text under a new number; 0 if out of memory. */
static uint32_t message_add(const char *text) {
        char *copy = strdup(text);
        if (!copy)
                return 0;
        pthread_mutex_lock(&lock);
        uint32_t number = message_add_locked(copy);
        pthread_mutex_unlock(&lock);
        if (number == 0)
                free(copy);
        return number;
}

uint64_t kind_status_usec(const KindStatus *s) {
        return (uint64_t) s->usec_high << 32 | s->usec_low;
}

const char *kind_status_message(const KindStatus *s) {
        return message_of(s->message);
}

size_t kind_status_messages(void) {
        pthread_mutex_lock(&lock);
        size_t n = n_messages - n_free;
        pthread_mutex_unlock(&lock);
        return n;
}

int kind_status_set(KindStatus *s, KindState state, uint64_t collected_usec, const char *message) {
        if (collected_usec > KIND_STATUS_USEC_MAX)
                collected_usec = KIND_STATUS_USEC_MAX;
        bool same_message = streq_ptr(kind_status_message(s), message);
        bool changed = s->state != state || kind_status_usec(s) != collected_usec || !same_message;
        int r = 0;

        s->state = state;
        s->usec_low = (uint32_t) collected_usec;
        s->usec_high = (uint32_t) (collected_usec >> 32);
        if (!same_message) {
                message_drop(s->message);
                s->message = message ? message_add(message) : 0;
                if (message && s->message == 0)
                        r = -ENOMEM;
        }
        return r < 0 ? r : changed;
}

bool kind_status_reset(KindStatus *s) {
        return kind_status_set(s, KIND_STATE_NOT_ASKED, 0, NULL) > 0;
}

void kind_status_done(KindStatus *s) {
        message_drop(s->message);
        s->message = 0;
}
