/* What of a guest agent's reply reaches jansson (json-scan.h), and why.
 *
 * jansson needs ~80 bytes of memory per byte of text made of nothing but
 * empty objects (3.7 MB of them: 280 MB), ~10 per byte of a real reply. So
 * each list element has a bound by what it holds, about ten times its usual
 * size, and a reply a total: at most JSON_KEPT_MAX bytes of a list reach
 * jansson, ~10 MB of its memory at the worst. An element over its bound is
 * skipped but counted; the tail past the total is only counted. */
#pragma once

#include "json-scan.h"

/* 512 commands of ~80 bytes, 256 users of ~60, 256 filesystems of ~330 or
 * interfaces of ~300 fit; the published data is smaller still. */
#define JSON_KEPT_MAX (128u * 1024)
/* {"enabled": true, "name": "guest-get-memory-block-info", "success-response": true} */
#define JSON_COMMAND_MAX 512u
/* user and domain (GUEST_STRING_MAX each, once sanitized), login-time */
#define JSON_USER_MAX 4096u
/* mountpoint, name, type, sizes, up to GUEST_FS_DISKS_MAX disks of ~250 bytes */
#define JSON_FILESYSTEM_MAX 8192u
/* name, MAC, statistics, addresses of ~70 bytes (GUEST_ADDRESSES_MAX kept) */
#define JSON_INTERFACE_MAX 8192u
/* guest-info's version, a string cut to this much text: more than its
 * GUEST_STRING_MAX bytes even when written as \u escapes */
#define JSON_VERSION_MAX 8192u

static inline JsonKeep json_keep(size_t elements, size_t element_max) {
        return (JsonKeep){ .elements = elements, .element_max = element_max, .total_max = JSON_KEPT_MAX };
}
