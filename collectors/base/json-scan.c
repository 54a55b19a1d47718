#include <errno.h>
#include <string.h>

#include "json-scan.h"

typedef struct Scan {
        const char *s;
        size_t len, pos;
} Scan;

static bool is_ws(char ch) {
        return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static void skip_ws(Scan *c) {
        while (c->pos < c->len && is_ws(c->s[c->pos]))
                c->pos++;
}

static bool at(const Scan *c, char ch) {
        return c->pos < c->len && c->s[c->pos] == ch;
}

/* At a '"': past its closing quote. */
static bool skip_string(Scan *c) {
        if (!at(c, '"'))
                return false;
        for (c->pos++; c->pos < c->len; c->pos++) {
                if (c->s[c->pos] == '\\')
                        c->pos++;
                else if (c->s[c->pos] == '"') {
                        c->pos++;
                        return true;
                }
        }
        return false;
}

/* Past one value. Containers are only balanced, not checked. */
static bool skip_value(Scan *c) {
        if (at(c, '"'))
                return skip_string(c);
        if (at(c, '{') || at(c, '[')) {
                size_t depth = 0;
                while (c->pos < c->len) {
                        char ch = c->s[c->pos];
                        if (ch == '"') {
                                if (!skip_string(c))
                                        return false;
                                continue;
                        }
                        if (ch == '{' || ch == '[')
                                depth++;
                        else if ((ch == '}' || ch == ']') && --depth == 0) {
                                c->pos++;
                                return true;
                        }
                        c->pos++;
                }
                return false;
        }
        size_t start = c->pos;
        while (c->pos < c->len && c->s[c->pos] && !is_ws(c->s[c->pos]) && !strchr(",:]}[{\"", c->s[c->pos]))
                c->pos++;
        return c->pos > start;
}

int json_scan_document(const char *json, size_t len, JsonSpan *ret) {
        Scan c = { .s = json, .len = len };

        if (!json)
                return -EINVAL;
        skip_ws(&c);
        ret->start = c.pos;
        if (!skip_value(&c))
                return -EINVAL;
        ret->end = c.pos;
        skip_ws(&c);
        return c.pos == len ? 0 : -EINVAL;
}

bool json_span_is(const char *json, JsonSpan span, char open) {
        return span.end > span.start && json[span.start] == open;
}

int json_scan_member(const char *json, size_t len, JsonSpan object, const char *key, JsonSpan *ret) {
        Scan c = { .s = json, .len = object.end <= len ? object.end : len, .pos = object.start };
        size_t key_len = strlen(key);

        if (!json_span_is(json, object, '{'))
                return -EINVAL;
        c.pos++;
        skip_ws(&c);
        if (at(&c, '}'))
                return -ENOENT;
        for (;;) {
                size_t start = c.pos;
                if (!skip_string(&c))
                        return -EINVAL;
                /* the raw name between the quotes: an escaped name never matches */
                bool match = c.pos - start == key_len + 2 && memcmp(json + start + 1, key, key_len) == 0;
                skip_ws(&c);
                if (!at(&c, ':'))
                        return -EINVAL;
                c.pos++;
                skip_ws(&c);
                size_t value = c.pos;
                if (!skip_value(&c))
                        return -EINVAL;
                if (match) {
                        *ret = (JsonSpan){ value, c.pos };
                        return 0;
                }
                skip_ws(&c);
                if (at(&c, '}'))
                        return -ENOENT;
                if (!at(&c, ','))
                        return -EINVAL;
                c.pos++;
                skip_ws(&c);
        }
}

int json_scan_array(const char *json, size_t len, JsonSpan array, const JsonKeep *keep, char *out, size_t *ret_len,
                    size_t *ret_count) {
        Scan c = { .s = json, .len = array.end <= len ? array.end : len, .pos = array.start };
        size_t count = 0, kept = 0, used = 0;
        bool full = false;

        if (!json_span_is(json, array, '['))
                return -EINVAL;
        c.pos++;
        skip_ws(&c);
        if (!at(&c, ']'))
                for (;;) {
                        size_t start = c.pos;
                        if (!skip_value(&c))
                                return -EINVAL;
                        size_t n = c.pos - start, need = n + (kept > 0);
                        count++;
                        if (!full && n <= keep->element_max) {
                                if (kept == keep->elements || used + need > keep->total_max)
                                        full = true;
                                else {
                                        if (kept > 0)
                                                out[used] = ',';
                                        memcpy(out + used + (kept > 0), json + start, n);
                                        used += need;
                                        kept++;
                                }
                        }
                        skip_ws(&c);
                        if (at(&c, ']'))
                                break;
                        if (!at(&c, ','))
                                return -EINVAL;
                        c.pos++;
                        skip_ws(&c);
                }
        *ret_len = used;
        *ret_count = count;
        return 0;
}

static bool in_set(char ch, const char *set) {
        return ch && strchr(set, ch);
}

size_t json_string_prefix(const char *json, JsonSpan string, size_t max) {
        size_t end, pos, safe;

        if (!json_span_is(json, string, '"') || string.end - string.start < 2 || max < 2)
                return 0;
        if (string.end - string.start <= max)
                return string.end - string.start - 1;
        end = string.end - 1; /* the closing quote */
        pos = safe = string.start + 1;
        while (pos < end) {
                size_t next = pos + 1;
                bool high = false; /* \uD800-\uDBFF: its low half must follow */
                if (json[pos] == '\\' && pos + 1 < end && json[pos + 1] == 'u') {
                        next = pos + 6;
                        high = pos + 3 < end && in_set(json[pos + 2], "dD") && in_set(json[pos + 3], "89abAB");
                } else if (json[pos] == '\\')
                        next = pos + 2;
                else if ((unsigned char) json[pos] >= 0xc0)
                        while (next < end && ((unsigned char) json[next] & 0xc0) == 0x80)
                                next++;
                if (next > end || next - string.start > max - 1)
                        break;
                pos = next;
                if (!high)
                        safe = pos;
        }
        return safe - string.start;
}
