/* UUIDs as callers type them. */
#pragma once

#define UUID_STRING_MAX 37 /* 36 characters and the NUL */

/* Accepts "6695eb01-f6a4-8304-79aa-97f2502e193f" in any case, or the same 32
 * hex digits without dashes. Writes the canonical lowercase dashed form.
 * Returns 0 or -EINVAL. */
int uuid_normalize(const char *in, char out[UUID_STRING_MAX]);
