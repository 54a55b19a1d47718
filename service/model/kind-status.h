/* How fresh each kind of a domain's guest data is, and why it is not:
 * what GuestDataStatus publishes. Plain data: no bus, no libvirt. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef enum KindState {
        KIND_STATE_NOT_ASKED,   /* not collected in this agent session yet */
        KIND_STATE_FRESH,       /* the latest collection answered */
        KIND_STATE_UNSUPPORTED, /* the agent does not list its command */
        KIND_STATE_DISABLED,    /* the agent lists it, disabled by the guest's admin */
        KIND_STATE_FAILED,      /* the latest collection failed: message says why */
        KIND_STATE_TIMED_OUT,   /* the agent did not answer in time */
        KIND_STATE_FROZEN,      /* not asked: the guest's filesystems are frozen */
        _KIND_STATE_MAX,
} KindState;

/* "not-asked", "fresh", "unsupported", "disabled", "failed", "timed-out",
 * "frozen". */
const char *kind_state_to_string(KindState s);

/* 56 bits of µs since the epoch reach the year 4253. */
#define KIND_STATUS_USEC_BITS 56
#define KIND_STATUS_USEC_MAX ((UINT64_C(1) << KIND_STATUS_USEC_BITS) - 1)

/* 12 bytes: one for each kind of every domain. The time is split in two
 * words (it is read with kind_status_usec()); the failure's message, rare,
 * is kept apart, by number (kind_status_message()), in one table for
 * every model (locked). A status itself is its domain's: one thread's. */
typedef struct KindStatus {
        uint32_t usec_low;                               /* of collected_usec (below) */
        uint32_t usec_high : KIND_STATUS_USEC_BITS - 32; /* CLOCK_REALTIME µs of the collection its value is
                                                          * from; 0: none */
        uint32_t state : 64 - KIND_STATUS_USEC_BITS;     /* KindState */
        uint32_t message; /* the latest failure's reason (sanitized, bounded), by number; 0: none */
} KindStatus;

_Static_assert(_KIND_STATE_MAX <= 1 << (64 - KIND_STATUS_USEC_BITS), "a KindStatus holds every state");

/* Sets s; message is copied (NULL: none); a time past
 * KIND_STATUS_USEC_MAX is held as that. Returns whether anything changed,
 * or -ENOMEM (then the message is dropped, the rest set). */
int kind_status_set(KindStatus *s, KindState state, uint64_t collected_usec, const char *message);
/* Back to "not asked", no value. Returns whether anything changed. */
bool kind_status_reset(KindStatus *s);
/* Drops what s holds (its message), when its domain goes. */
void kind_status_done(KindStatus *s);

/* CLOCK_REALTIME µs of the collection s's value is from; 0: none. */
uint64_t kind_status_usec(const KindStatus *s);
/* The latest failure's reason; NULL: none. Valid until s changes. */
const char *kind_status_message(const KindStatus *s);
/* Messages held now, for every status (tests look). */
size_t kind_status_messages(void);
