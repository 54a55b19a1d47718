#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guest-json.h"
#include "json-return.h"
#include "utf8.h"

int json_load_return_array(const char *json, size_t len, const JsonKeep *keep, json_t **ret, size_t *ret_count) {
        JsonSpan doc, array;
        size_t n, count;

        *ret = NULL;
        if (!json || len == 0)
                return -EINVAL;
        if (len > AGENT_REPLY_JSON_MAX)
                return -E2BIG;
        if (json_scan_document(json, len, &doc) < 0 || json_scan_member(json, len, doc, "return", &array) < 0 ||
            !json_span_is(json, array, '['))
                return -EINVAL;
        char *kept = malloc(keep->total_max);
        if (!kept)
                return -ENOMEM;
        if (json_scan_array(json, len, array, keep, kept, &n, &count) < 0) {
                free(kept);
                return -EINVAL;
        }
        /* U+FFFD: up to 3 bytes for 1 */
        char *elements = utf8_sanitize(kept, n, 3 * n + 1);
        free(kept);
        if (!elements)
                return -ENOMEM;
        size_t el = strlen(elements);
        char *text = malloc(el + 3);
        if (!text) {
                free(elements);
                return -ENOMEM;
        }
        text[0] = '[';
        memcpy(text + 1, elements, el);
        text[el + 1] = ']';
        free(elements);
        json_t *parsed = json_loadb(text, el + 2, JSON_ALLOW_NUL, NULL);
        free(text);
        if (!json_is_array(parsed)) {
                json_decref(parsed);
                return -EINVAL;
        }
        *ret = parsed;
        *ret_count = count;
        return 0;
}
