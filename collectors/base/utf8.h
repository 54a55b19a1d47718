/* Text from anyone made safe: valid UTF-8 for D-Bus, and safe to show in a
 * log line or on a terminal. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Returns a copy of s (len bytes; s may hold NUL bytes and invalid UTF-8)
 * that is valid UTF-8 as D-Bus accepts it: invalid sequences and
 * noncharacters (U+FDD0..U+FDEF, U+xFFFE/U+xFFFF) become U+FFFD, NUL bytes
 * are dropped, and the result is cut at a character boundary to at most max
 * bytes, ending with "…" if cut. NULL on allocation failure. */
char *utf8_sanitize(const char *s, size_t len, size_t max);

/* Characters that drive a terminal or hide or reorder text on a screen: C0,
 * DEL and C1 controls, bidi controls, zero-width and other invisible
 * format characters. */
bool utf8_hides_text(uint32_t cp);

/* Like utf8_sanitize, for log lines and error messages quoting untrusted
 * text: also replaces each character utf8_hides_text() names (terminal
 * escapes, newlines, bidi overrides, zero-width spaces) with '?'. */
char *text_for_log(const char *s, size_t max);
