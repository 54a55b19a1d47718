/* Strings a fleet repeats (OS names, kernels, mount points, file system
 * types, user and interface names), held once for every guest that says
 * them, with a count of their holders. Thread-safe: the collectors' workers
 * make them, the main thread drops them. An interned string is never
 * changed and never given to free(): intern_unref() drops it. */
#pragma once

/* The one copy of s, s itself freed; NULL (s freed too) if out of memory.
 * s NULL: NULL. */
char *intern_take(char *s);

/* The one copy of s's text (s is left alone), for one more holder; NULL if
 * out of memory or s NULL. */
char *intern_copy(const char *s);

/* Drops one holder of s (from intern_take); a string that is not the
 * table's copy (made elsewhere, e.g. by a test) is freed; NULL: nothing. */
void intern_unref(char *s);

/* Distinct strings held, and the bytes they take (their text and count). */
void intern_stats(unsigned long *strings, unsigned long *bytes);

/* Bytes the short strings' slabs map (slab.h): memory outside malloc's
 * accounting (mallinfo). */
unsigned long intern_slab_bytes(void);
