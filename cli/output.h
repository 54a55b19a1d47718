/* What the client prints: aligned tables or tab-separated lines, values made
 * readable (sizes, times) and safe for a terminal, and JSON. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* stdout is a terminal: tables get a header and aligned columns. */
bool output_is_terminal(void);

/* s with control characters (C0, DEL as \xNN, C1 as \uNNNN) and characters
 * that reorder or hide text (bidi controls, zero-width and other invisible
 * format characters, as \uNNNN or \UNNNNNNNN) escaped, so nothing a guest
 * reports can drive the terminal or pass for other text. malloc'ed; NULL
 * only without memory. */
char *text_escape(const char *s);

/* Columns the escaped string takes on a terminal. */
size_t text_width(const char *s);

/* "512 B", "3.9 GiB". */
void format_bytes(uint64_t bytes, char *buf, size_t size);
/* A time of µs since the epoch that a clock shows: after the epoch (0 is
 * "never") and before the year 10000. A guest's login time may be anything. */
bool time_usec_is_shown(uint64_t usec);
/* Local time "2023-11-14 22:13:20 UTC" of µs since the epoch. */
void format_time_usec(uint64_t usec, char *buf, size_t size);
/* "+09:00" for 32400 seconds east of UTC. */
void format_utc_offset(int32_t seconds, char *buf, size_t size);

/* RFC 3339 UTC time of µs since the epoch, or JSON null for a time no clock
 * shows (time_usec_is_shown). */
json_t *json_time_usec(uint64_t usec);
/* A JSON string, or null for NULL. */
json_t *json_string_or_null(const char *s);

/* Flushes stdout: 0, or -errno (cli.h) having said why not. */
int output_flush(void);

/* Prints one JSON document (indented) or one JSON line; takes j's reference.
 * Returns 0 or -errno (cli.h), having said why. */
int json_print(json_t *j, bool indent);

typedef struct Table Table;

/* A table of n_columns columns; headers are shown only on a terminal. */
Table *table_new(size_t n_columns, const char *const *headers);
void table_free(Table *t);
/* Copies and escapes n_columns cells; NULL or "" shows as "-". */
int table_add_row(Table *t, const char *const *cells);
/* aligned: header and padded columns, each line prefixed with indent;
 * otherwise one tab-separated line per row, no header. */
void table_print(const Table *t, bool aligned, const char *indent);
