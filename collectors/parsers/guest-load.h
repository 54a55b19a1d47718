/* The guest's load averages over 1, 5 and 15 minutes (guest-get-load,
 * qemu-ga 10.0 and later; libvirt 9.0 has no typed call for it, so the
 * agent's own reply is read). Plain data: no bus. */
#pragma once

#include <stddef.h>

/* A load past this is no load a guest has: refused. */
#define GUEST_LOAD_MAX 1e6

typedef struct GuestLoad {
        double load1, load5, load15;
} GuestLoad;

/* {"return":{"load1":0.5,"load5":0.25,"load15":0.1}}. Returns 0, or
 * -EINVAL when a value is missing, not a number, negative or past
 * GUEST_LOAD_MAX, or the reply is longer than 4 KiB. */
int guest_load_from_agent_json(const char *json, size_t len, GuestLoad *ret);
