/* Writing Prometheus's text exposition format (version 0.0.4) into a
 * growing buffer: HELP and TYPE lines, and samples whose label values come
 * from guests and so are made valid UTF-8, bounded and escaped here, in one
 * place. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest label value written, in bytes before escaping; a longer one
 * is cut on a character boundary and ends in "…" (within these bytes). */
#define PROM_LABEL_VALUE_MAX 256

typedef struct PromText {
        char *data; /* NUL-terminated while not failed */
        size_t len, size;
        bool failed; /* out of memory: the text is incomplete */
} PromText;

typedef struct PromLabel {
        const char *name; /* a fixed, valid label name */
        const char *value;
} PromLabel;

void prom_text_done(PromText *t);
/* Empties the text, keeping its memory. */
void prom_text_reset(PromText *t);

/* n bytes of text already in the format (a piece written before), as
 * they are. */
void prom_text_append(PromText *t, const char *s, size_t n);

/* "# HELP name help" and "# TYPE name type": type is "gauge", "counter",
 * ... name a fixed, valid metric name; help is escaped as the format wants. */
void prom_family(PromText *t, const char *name, const char *type, const char *help);
/* One sample line: name{labels} value, with integer text for value. */
void prom_sample_u64(PromText *t, const char *name, const PromLabel *labels, size_t n_labels, uint64_t value);
/* The same with a float, NaN and ±Inf as the format spells them. */
void prom_sample_double(PromText *t, const char *name, const PromLabel *labels, size_t n_labels, double value);

/* The same with value / 1000 as exact decimal text ("12.345", "3"): a
 * count of milliseconds as seconds, without a binary float's "12.345000000000001". */
void prom_sample_thousandths(PromText *t, const char *name, const PromLabel *labels, size_t n_labels, uint64_t value);

/* The label value as written between the quotes (valid UTF-8, at most
 * PROM_LABEL_VALUE_MAX bytes before escaping, escaped) into buf of size
 * bytes, NUL-terminated; returns its length, or size if buf is too small.
 * 4 * PROM_LABEL_VALUE_MAX + 1 bytes are always enough. */
size_t prom_label_value(const char *value, char *buf, size_t size);
#define PROM_LABEL_BUF_MAX (4 * PROM_LABEL_VALUE_MAX + 1)
