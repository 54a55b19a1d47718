/* Finding parts of a big JSON document without building it in memory.
 *
 * jansson needs about ten times the text for many small objects, so a guest
 * reply of megabytes is first only scanned: its structure is balanced,
 * strings and escapes respected, and the parts the daemon uses are located
 * (a member's value, the first elements of an array). Only those parts are
 * then handed to jansson, which checks them properly, and only within a
 * budget of bytes (JsonKeep), since jansson needs ~80 times the text for
 * nothing but empty objects. Scanning allocates nothing and reads each byte
 * a bounded number of times. */
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

/* How much of an array is handed on. */
typedef struct JsonKeep {
        size_t elements;    /* elements kept at most */
        size_t element_max; /* bytes of one element at most: a bigger one is skipped */
        size_t total_max;   /* bytes of all kept elements, commas between them included */
} JsonKeep;

/* The array at span: in *ret_count how many elements it has (all of them),
 * in out (which holds keep->total_max bytes) the text of the first elements
 * that fit keep, joined by commas, *ret_len bytes, no brackets, not
 * terminated. An element over element_max is skipped and the next ones are
 * still kept: one fat entry costs only itself. The first element that would
 * pass total_max ends what is kept. Returns 0, or -EINVAL when span is no
 * well-formed array. */
int json_scan_array(const char *json, size_t len, JsonSpan array, const JsonKeep *keep, char *out, size_t *ret_len,
                    size_t *ret_count);

/* The string at span cut to at most max bytes with its quotes: the length
 * of its text to copy (opening quote included, closing one not), ending
 * between two characters (not inside an escape, a surrogate pair or a UTF-8
 * sequence), so that the copy and a '"' are a JSON string of the first
 * characters of span. The whole string less its closing quote when it fits;
 * 0 when span is no string or max < 2. */
size_t json_string_prefix(const char *json, JsonSpan string, size_t max);
