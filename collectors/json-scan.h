/* Finding parts of a big JSON document without building it in memory.
 *
 * jansson needs about ten times the text for many small objects, so a guest
 * reply of megabytes is first only scanned: its structure is balanced,
 * strings and escapes respected, and the parts the daemon uses are located
 * (a member's value, the first elements of an array). Only those parts are
 * then handed to jansson, which checks them properly. Scanning allocates
 * nothing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct JsonSpan {
        size_t start, end; /* [start, end) of the text */
} JsonSpan;

/* The document is one value (balanced, strings closed) with only white
 * space around it. Returns its span, or -EINVAL. */
int json_scan_document(const char *json, size_t len, JsonSpan *ret);

/* The value of member key in the object at span (which must be an object).
 * Returns 0, -ENOENT if it has no such member, -EINVAL if span is no
 * object. The first of duplicate members counts. */
int json_scan_member(const char *json, size_t len, JsonSpan object, const char *key, JsonSpan *ret);

/* Whether the value at span is an array / an object. */
bool json_span_is(const char *json, JsonSpan span, char open);

/* The array at span: how many elements it has, and in *ret the text of its
 * first keep elements (without the brackets; empty when keep is 0 or the
 * array is). Returns 0 or -EINVAL. */
int json_scan_array(const char *json, size_t len, JsonSpan array, size_t keep, JsonSpan *ret, size_t *ret_count);
