#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom-text.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */
#define ELLIPSIS "\xe2\x80\xa6"    /* U+2026 */

void prom_text_done(PromText *t) {
        free(t->data);
        *t = (PromText){};
}

void prom_text_reset(PromText *t) {
        t->len = 0;
        t->failed = false;
        if (t->data)
                t->data[0] = '\0';
}

static bool reserve(PromText *t, size_t more) {
        if (t->failed)
                return false;
        if (t->len + more + 1 <= t->size)
                return true;
        size_t size = t->size ? t->size : 4096;
        while (size < t->len + more + 1)
                size *= 2;
        char *p = realloc(t->data, size);
        if (!p) {
                t->failed = true;
                return false;
        }
        t->data = p;
        t->size = size;
        return true;
}

static void append(PromText *t, const char *s, size_t n) {
        if (!reserve(t, n))
                return;
        memcpy(t->data + t->len, s, n);
        t->len += n;
        t->data[t->len] = '\0';
}

void prom_text_append(PromText *t, const char *s, size_t n) {
        append(t, s, n);
}

static void append_str(PromText *t, const char *s) {
        append(t, s, strlen(s));
}

/* The length of the valid UTF-8 sequence at s (1 to 4), or 0 if it is not
 * one: overlong forms, surrogates and values past U+10FFFF are invalid. */
static size_t utf8_sequence(const unsigned char *s) {
        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                return (s[1] & 0xc0) == 0x80 ? 2 : 0;
        if (s[0] >= 0xe0 && s[0] <= 0xef) {
                if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
                        return 0;
                if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0))
                        return 0;
                return 3;
        }
        if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
                        return 0;
                if ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
                        return 0;
                return 4;
        }
        return 0;
}

/* Writes the escaped form of one character (its bytes in c, n of them)
 * to out, returns its length (at most 4). */
static size_t escape_char(const char *c, size_t n, char *out) {
        switch (c[0]) {
        case '\\':
                memcpy(out, "\\\\", 2);
                return 2;
        case '"':
                memcpy(out, "\\\"", 2);
                return 2;
        case '\n':
                memcpy(out, "\\n", 2);
                return 2;
        default:
                memcpy(out, c, n);
                return n;
        }
}

/* The bytes of the value once invalid bytes are replaced. */
static size_t sanitized_length(const unsigned char *s) {
        size_t n = 0;
        while (*s) {
                if (*s < 0x80) {
                        n++, s++;
                        continue;
                }
                size_t k = utf8_sequence(s);
                n += k ? k : strlen(REPLACEMENT);
                s += k ? k : 1;
        }
        return n;
}

size_t prom_label_value(const char *value, char *buf, size_t size) {
        const unsigned char *s = (const unsigned char *) (value ? value : "");
        size_t limit = PROM_LABEL_VALUE_MAX, raw = 0, len = 0; /* bytes taken of the bound, bytes written */
        bool cut;

        if (size < PROM_LABEL_BUF_MAX)
                return size;
        /* too long: keep room for the ellipsis */
        cut = sanitized_length(s) > limit;
        if (cut)
                limit -= strlen(ELLIPSIS);
        while (*s) {
                /* the common case first: plain ASCII, copied as it is */
                if (*s < 0x80 && *s != '\\' && *s != '"' && *s != '\n') {
                        if (raw + 1 > limit)
                                break;
                        buf[len++] = (char) *s++;
                        raw++;
                        continue;
                }
                size_t n = utf8_sequence(s);
                const char *c = n ? (const char *) s : REPLACEMENT;
                size_t cn = n ? n : strlen(REPLACEMENT);
                if (raw + cn > limit)
                        break;
                len += escape_char(c, cn, buf + len);
                raw += cn;
                s += n ? n : 1;
        }
        if (cut) {
                memcpy(buf + len, ELLIPSIS, strlen(ELLIPSIS));
                len += strlen(ELLIPSIS);
        }
        buf[len] = '\0';
        return len;
}

static void append_escaped_help(PromText *t, const char *help) {
        for (const char *p = help; *p; p++) {
                if (*p == '\\')
                        append_str(t, "\\\\");
                else if (*p == '\n')
                        append_str(t, "\\n");
                else
                        append(t, p, 1);
        }
}

void prom_family(PromText *t, const char *name, const char *type, const char *help) {
        append_str(t, "# HELP ");
        append_str(t, name);
        append_str(t, " ");
        append_escaped_help(t, help);
        append_str(t, "\n# TYPE ");
        append_str(t, name);
        append_str(t, " ");
        append_str(t, type);
        append_str(t, "\n");
}

static void sample_start(PromText *t, const char *name, const PromLabel *labels, size_t n_labels) {
        char value[PROM_LABEL_BUF_MAX];

        append_str(t, name);
        if (n_labels == 0)
                return;
        append_str(t, "{");
        for (size_t i = 0; i < n_labels; i++) {
                size_t n = prom_label_value(labels[i].value, value, sizeof value);
                if (i > 0)
                        append_str(t, ",");
                append_str(t, labels[i].name);
                append_str(t, "=\"");
                append(t, value, n);
                append_str(t, "\"");
        }
        append_str(t, "}");
}

void prom_sample_u64(PromText *t, const char *name, const PromLabel *labels, size_t n_labels, uint64_t value) {
        char number[32];

        sample_start(t, name, labels, n_labels);
        snprintf(number, sizeof number, " %" PRIu64 "\n", value);
        append_str(t, number);
}

void prom_sample_double(PromText *t, const char *name, const PromLabel *labels, size_t n_labels, double value) {
        char number[40];

        sample_start(t, name, labels, n_labels);
        if (isnan(value))
                snprintf(number, sizeof number, " NaN\n");
        else if (isinf(value))
                snprintf(number, sizeof number, " %sInf\n", value > 0 ? "+" : "-");
        else
                /* %.17g: every double back as it was, in the C locale's "." */
                snprintf(number, sizeof number, " %.17g\n", value);
        append_str(t, number);
}

void prom_sample_thousandths(PromText *t, const char *name, const PromLabel *labels, size_t n_labels, uint64_t value) {
        char number[40];
        uint64_t fraction = value % 1000;
        int digits = 3;

        sample_start(t, name, labels, n_labels);
        if (fraction == 0) {
                snprintf(number, sizeof number, " %" PRIu64 "\n", value / 1000);
                append_str(t, number);
                return;
        }
        /* no trailing zeros: 1.5, not 1.500 */
        for (; fraction % 10 == 0; fraction /= 10)
                digits--;
        snprintf(number, sizeof number, " %" PRIu64 ".%0*" PRIu64 "\n", value / 1000, digits, fraction);
        append_str(t, number);
}
