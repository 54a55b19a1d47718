/* The guest's clock offset, in saturating integer arithmetic. */
#include <errno.h>
#include <stdint.h>

#include <jansson.h>

#include "guest-clock.h"

static int64_t sat_add(int64_t a, int64_t b) {
        int64_t r;
        if (__builtin_add_overflow(a, b, &r))
                return b > 0 ? INT64_MAX : INT64_MIN;
        return r;
}

static int64_t sat_mul(int64_t a, int64_t b) {
        int64_t r;
        if (__builtin_mul_overflow(a, b, &r))
                return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
        return r;
}

int guest_clock_offset_usec(long long guest_sec, unsigned guest_nsec, int64_t host_usec, int64_t *ret) {
        if (guest_nsec > 999999999u)
                return -EINVAL;
        int64_t guest = sat_add(sat_mul((int64_t) guest_sec, 1000000), (int64_t) ((guest_nsec + 500) / 1000));
        int64_t neg = host_usec == INT64_MIN ? INT64_MAX : -host_usec;
        *ret = sat_add(guest, neg);
        return 0;
}

int guest_clock_from_agent_json(const char *json, unsigned long len, long long *ret_sec, unsigned *ret_nsec) {
        /* a number: nothing large to guard against */
        if (!json || len == 0 || len > 4096)
                return -EINVAL;
        json_t *doc = json_loadb(json, len, 0, NULL), *v = json_object_get(doc, "return");
        int r = -EINVAL;

        if (json_is_integer(v)) {
                json_int_t ns = json_integer_value(v);
                long long sec = ns / 1000000000, rem = ns % 1000000000;
                if (rem < 0)
                        rem += 1000000000, sec--;
                *ret_sec = sec;
                *ret_nsec = (unsigned) rem;
                r = 0;
        }
        json_decref(doc);
        return r;
}

bool guest_clock_offset_changed(bool has_published, int64_t published, int64_t measured) {
        if (!has_published)
                return true;
        /* |measured - published| >= threshold, without overflow */
        if (measured >= published)
                return (uint64_t) measured - (uint64_t) published >= (uint64_t) GUEST_CLOCK_THRESHOLD_USEC;
        return (uint64_t) published - (uint64_t) measured >= (uint64_t) GUEST_CLOCK_THRESHOLD_USEC;
}
