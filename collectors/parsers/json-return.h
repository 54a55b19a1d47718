/* The "return" array of an agent's reply, scanned first and only its first
 * elements within a JsonKeep handed to jansson (json-budget.h says why). */
#pragma once

#include <stddef.h>

#include <jansson.h>

#include "json-scan.h"

/* The kept elements, parsed, made valid UTF-8 first (jansson refuses
 * invalid UTF-8 anywhere), and in *ret_count how many the array has in
 * all. Returns 0, -EINVAL (no {"return":[...]}), -E2BIG (over
 * AGENT_REPLY_JSON_MAX) or -ENOMEM. */
int json_load_return_array(const char *json, size_t len, const JsonKeep *keep, json_t **ret, size_t *ret_count);
