#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "cli.h"
#include "output.h"

int cli_error(int r, const char *format, ...) {
        char *message = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&message, format, ap) < 0)
                message = NULL;
        va_end(ap);
        /* one line, whatever a daemon's message contained, and nothing in
         * it that drives the terminal or reorders what it shows */
        for (char *p = message; p && *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = ' ';
        char *safe = message ? text_escape(message) : NULL;
        fprintf(stderr, "%s: %s\n", PROGRAM_NAME, safe ? safe : message ? message : format);
        free(safe);
        free(message);
        return r;
}

bool output_is_terminal(void) {
        return isatty(STDOUT_FILENO) > 0;
}

/* Characters that reorder or hide text on a screen (a hostname shown as
 * another one): bidi controls, zero-width and other invisible format
 * characters. C0, DEL and C1 are handled before. */
static bool hides_text(uint32_t cp) {
        return cp == 0xad || cp == 0x61c || cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) ||
               (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff ||
               (cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0xe0000 && cp <= 0xe007f);
}

char *text_escape(const char *s) {
        size_t len = strlen(s);
        /* at most 6 bytes out per byte in: "\u0085" for 2, "\x1b" for 1 */
        char *out = malloc(len * 6 + 1), *o = out;

        if (!out)
                return NULL;
        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                /* one UTF-8 sequence (D-Bus strings are valid UTF-8) */
                size_t n = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4, k = 1;
                uint32_t cp = n == 1 ? *p : (uint32_t) (*p & (0x7f >> n));
                for (; k < n && (p[k] & 0xc0) == 0x80; k++)
                        cp = cp << 6 | (p[k] & 0x3f);
                if (cp < 0x20 || cp == 0x7f)
                        o += sprintf(o, "\\x%02x", (unsigned) cp);
                else if ((cp >= 0x80 && cp <= 0x9f) || (hides_text(cp) && cp <= 0xffff))
                        o += sprintf(o, "\\u%04x", (unsigned) cp);
                else if (hides_text(cp))
                        o += sprintf(o, "\\U%08x", (unsigned) cp);
                else {
                        memcpy(o, p, k);
                        o += k;
                }
                p += k;
        }
        *o = '\0';
        return out;
}

size_t text_width(const char *s) {
        size_t width = 0;

        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                /* decode one UTF-8 sequence (D-Bus strings are valid UTF-8) */
                unsigned n = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
                wchar_t cp = n == 1 ? *p : *p & (0x3f >> (n - 1));
                size_t k = 1;
                for (; k < n && (p[k] & 0xc0) == 0x80; k++)
                        cp = (cp << 6) | (p[k] & 0x3f);
                p += k;
                int w = wcwidth(cp);
                width += w < 0 ? 1 : (size_t) w; /* unknown to the locale: assume one column */
        }
        return width;
}

void format_bytes(uint64_t bytes, char *buf, size_t size) {
        static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        double v = (double) bytes;
        size_t u = 0;

        if (bytes < 1024) {
                snprintf(buf, size, "%llu B", (unsigned long long) bytes);
                return;
        }
        v /= 1024;
        while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
                v /= 1024;
                u++;
        }
        snprintf(buf, size, "%.1f %s", v, units[u]);
}

/* 10000-01-01T00:00:00Z */
#define YEAR_10000_USEC (253402300800ULL * 1000000ULL)

bool time_usec_is_shown(uint64_t usec) {
        return usec > 0 && usec < YEAR_10000_USEC;
}

void format_time_usec(uint64_t usec, char *buf, size_t size) {
        time_t t = (time_t) (usec / 1000000);
        struct tm tm;

        if (!localtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                snprintf(buf, size, "@%llu", (unsigned long long) (usec / 1000000));
}

void format_utc_offset(int32_t seconds, char *buf, size_t size) {
        long a = labs((long) seconds);
        snprintf(buf, size, "%c%02ld:%02ld", seconds < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
}

json_t *json_time_usec(uint64_t usec) {
        time_t t = (time_t) (usec / 1000000);
        struct tm tm;
        char buf[64];

        if (!time_usec_is_shown(usec) || !gmtime_r(&t, &tm) ||
            strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return json_null();
        return json_string(buf);
}

json_t *json_string_or_null(const char *s) {
        return s ? json_string(s) : json_null();
}

int output_flush(void) {
        if (fflush(stdout) != 0 || ferror(stdout))
                return cli_error(-EIO, "Failed to write the output: %s", strerror(errno));
        return 0;
}

int json_print(json_t *j, bool indent) {
        int r;

        if (!j)
                return cli_error(-ENOMEM, "Out of memory.");
        r = json_dumpf(j, stdout, indent ? JSON_INDENT(2) : JSON_COMPACT);
        json_decref(j);
        if (r < 0 || putchar('\n') == EOF)
                return cli_error(-EIO, "Failed to write the output: %s", strerror(errno));
        return output_flush();
}

struct Table {
        size_t n_columns;
        const char *const *headers;
        char **cells; /* n_rows × n_columns */
        size_t n_rows;
};

Table *table_new(size_t n_columns, const char *const *headers) {
        Table *t = calloc(1, sizeof *t);
        if (!t)
                return NULL;
        t->n_columns = n_columns;
        t->headers = headers;
        return t;
}

void table_free(Table *t) {
        if (!t)
                return;
        for (size_t i = 0; i < t->n_rows * t->n_columns; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t);
}

int table_add_row(Table *t, const char *const *cells) {
        char **grown = realloc(t->cells, (t->n_rows + 1) * t->n_columns * sizeof *grown);
        if (!grown)
                return -ENOMEM;
        t->cells = grown;
        char **row = t->cells + t->n_rows * t->n_columns;
        for (size_t i = 0; i < t->n_columns; i++) {
                row[i] = text_escape(cells[i] && cells[i][0] ? cells[i] : "-");
                if (!row[i]) {
                        for (size_t k = 0; k < i; k++)
                                free(row[k]);
                        return -ENOMEM;
                }
        }
        t->n_rows++;
        return 0;
}

static void print_row(const Table *t, const char *const *row, const size_t *widths, bool aligned, const char *indent) {
        fputs(aligned ? indent : "", stdout);
        for (size_t i = 0; i < t->n_columns; i++) {
                fputs(row[i], stdout);
                if (i + 1 == t->n_columns)
                        break;
                if (aligned)
                        printf("%*s", (int) (widths[i] - text_width(row[i]) + 2), "");
                else
                        putchar('\t');
        }
        putchar('\n');
}

void table_print(const Table *t, bool aligned, const char *indent) {
        size_t widths[t->n_columns];

        for (size_t i = 0; i < t->n_columns; i++) {
                widths[i] = text_width(t->headers[i]);
                for (size_t r = 0; r < t->n_rows; r++) {
                        size_t w = text_width(t->cells[r * t->n_columns + i]);
                        if (w > widths[i])
                                widths[i] = w;
                }
        }
        if (aligned)
                print_row(t, t->headers, widths, true, indent);
        for (size_t r = 0; r < t->n_rows; r++)
                print_row(t, (const char *const *) t->cells + r * t->n_columns, widths, aligned, indent);
}

static const struct {
        int code, r;
} exit_errnos[] = {
        { EXIT_USAGE, ERRNO_USAGE },
        { EXIT_NO_SUCH_VM, ERRNO_NO_SUCH_VM },
        { EXIT_NOT_RUNNING, ERRNO_NOT_RUNNING },
        { EXIT_ACCESS_DENIED, ERRNO_ACCESS_DENIED },
        { EXIT_NO_AGENT, ERRNO_NO_AGENT },
        { EXIT_TIMEOUT, ERRNO_TIMEOUT },
};

int exit_code_from_errno(int r) {
        if (r >= 0)
                return EXIT_OK;
        for (size_t i = 0; i < ELEMENTSOF(exit_errnos); i++)
                if (exit_errnos[i].r == r)
                        return exit_errnos[i].code;
        return EXIT_FAILED;
}

int errno_from_exit_code(int code) {
        if (code == EXIT_OK)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(exit_errnos); i++)
                if (exit_errnos[i].code == code)
                        return exit_errnos[i].r;
        return -EIO;
}
