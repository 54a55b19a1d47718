/* The guest's clock against the host's (virDomainGetTime, guest-get-time):
 * a guest clock that runs off after a pause or a migration is a classic
 * cause of trouble. Plain arithmetic: no libvirt, no bus. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* An offset moves by the time the reply took and the guest's drift at
 * every read; it is published again only once it moved this much, so a
 * steady clock sends no change signals. */
#define GUEST_CLOCK_THRESHOLD_USEC INT64_C(1000000)

/* The guest's time (seconds and nanoseconds since the epoch, as
 * virDomainGetTime gives it) less the host's (µs since the epoch, read
 * when the reply came): positive when the guest is ahead. Saturates at
 * INT64_MIN/MAX; a nanosecond field over 999999999 is -EINVAL. Returns 0. */
int guest_clock_offset_usec(long long guest_sec, unsigned guest_nsec, int64_t host_usec, int64_t *ret);

/* The agent's reply to guest-get-time, {"return": nanoseconds}. */
int guest_clock_from_agent_json(const char *json, unsigned long len, long long *ret_sec, unsigned *ret_nsec);

/* Whether measured differs enough from what was last published to be
 * published instead (never published: has_published false). */
bool guest_clock_offset_changed(bool has_published, int64_t published, int64_t measured);
