/* Counting vCPUs from CPU lists and from the agent's reply. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "guest-json.h"
#include "guest-vcpus.h"
#include "json-scan.h"

#define BITS_WORD (8 * sizeof(uint64_t))
#define MAP_WORDS ((GUEST_VCPU_ID_MAX + 1 + BITS_WORD - 1) / BITS_WORD)
/* "0,2,4,..." of every id up to the max fits with room to spare */
#define CPULIST_MAX (128u * 1024)

typedef struct CpuMap {
        uint64_t w[MAP_WORDS];
} CpuMap;

static void map_set(CpuMap *m, unsigned id) {
        m->w[id / BITS_WORD] |= UINT64_C(1) << (id % BITS_WORD);
}

static bool map_has(const CpuMap *m, unsigned id) {
        return m->w[id / BITS_WORD] & (UINT64_C(1) << (id % BITS_WORD));
}

static unsigned map_count_in(const CpuMap *m, const CpuMap *within) {
        unsigned n = 0;
        for (size_t i = 0; i < MAP_WORDS; i++)
                n += (unsigned) __builtin_popcountll(m->w[i] & within->w[i]);
        return n;
}

static bool read_id(const char **p, unsigned *ret) {
        const char *s = *p;
        unsigned v = 0;
        size_t i = 0;

        for (; s[i] >= '0' && s[i] <= '9'; i++) {
                v = v * 10 + (unsigned) (s[i] - '0');
                if (v > GUEST_VCPU_ID_MAX)
                        return false;
        }
        if (i == 0)
                return false;
        *p = s + i;
        *ret = v;
        return true;
}

/* "0-3,5": ids and ranges, comma separated, nothing else. "" is empty. */
static int parse_cpulist(const char *s, CpuMap *m) {
        memset(m, 0, sizeof *m);
        if (!s || strnlen(s, CPULIST_MAX + 1) > CPULIST_MAX)
                return -EINVAL;
        if (*s == '\0')
                return 0;
        for (;;) {
                unsigned a, b;
                if (!read_id(&s, &a))
                        return -EINVAL;
                b = a;
                if (*s == '-') {
                        s++;
                        if (!read_id(&s, &b) || b < a)
                                return -EINVAL;
                }
                for (unsigned i = a; i <= b; i++)
                        map_set(m, i);
                if (*s == '\0')
                        return 0;
                if (*s++ != ',')
                        return -EINVAL;
        }
}

static const char *param_string(const virTypedParameter *params, size_t n, const char *name, bool *bad) {
        const char *v = NULL;
        for (size_t i = 0; i < n; i++)
                if (strcmp(params[i].field, name) == 0) {
                        if (params[i].type != VIR_TYPED_PARAM_STRING || !params[i].value.s)
                                *bad = true;
                        else
                                v = params[i].value.s;
                }
        return v;
}

int guest_vcpus_from_typed_params(const virTypedParameter *params, size_t n, GuestVcpus *ret) {
        bool bad = false;
        const char *vcpus = param_string(params, n, "vcpus", &bad);
        const char *online = param_string(params, n, "online", &bad);
        const char *offlinable = param_string(params, n, "offlinable", &bad);
        CpuMap *m = calloc(3, sizeof *m);
        int r = -EINVAL;

        if (!m)
                return -ENOMEM;
        if (!bad && vcpus && parse_cpulist(vcpus, &m[0]) == 0 && parse_cpulist(online ? online : "", &m[1]) == 0 &&
            parse_cpulist(offlinable ? offlinable : "", &m[2]) == 0) {
                *ret = (GuestVcpus){
                        .configured = map_count_in(&m[0], &m[0]),
                        .online = map_count_in(&m[1], &m[0]),
                        .offlinable = map_count_in(&m[2], &m[0]),
                };
                r = 0;
        }
        free(m);
        return r;
}

/* {"logical-id": 16383, "online": false, "can-offline": true} and spaces */
#define JSON_VCPU_MAX 128u
/* ~4700 vCPUs of qemu-ga's ~55 bytes reach jansson; its worst case (empty
 * objects) is then ~20 MB. */
#define JSON_VCPUS_KEPT_MAX (256u * 1024)

int guest_vcpus_from_agent_json(const char *json, size_t len, GuestVcpus *ret) {
        JsonKeep keep = { .elements = GUEST_VCPU_ID_MAX + 1,
                          .element_max = JSON_VCPU_MAX,
                          .total_max = JSON_VCPUS_KEPT_MAX };
        JsonSpan doc, span;
        size_t n, count;

        if (!json || len == 0 || len > AGENT_REPLY_JSON_MAX)
                return -EINVAL;
        if (json_scan_document(json, len, &doc) < 0 || json_scan_member(json, len, doc, "return", &span) < 0 ||
            !json_span_is(json, span, '['))
                return -EINVAL;
        char *text = malloc(keep.total_max + 3);
        if (!text)
                return -ENOMEM;
        if (json_scan_array(json, len, span, &keep, text + 1, &n, &count) < 0) {
                free(text);
                return -EINVAL;
        }
        text[0] = '[';
        text[n + 1] = ']';
        json_t *array = json_loadb(text, n + 2, 0, NULL);
        free(text);
        CpuMap *seen = calloc(1, sizeof *seen);
        GuestVcpus v = { 0 };
        int r = -EINVAL;

        if (seen && json_is_array(array)) {
                for (size_t i = 0; i < json_array_size(array); i++) {
                        json_t *o = json_array_get(array, i), *id = json_object_get(o, "logical-id");
                        if (!json_is_integer(id) || json_integer_value(id) < 0 ||
                            json_integer_value(id) > GUEST_VCPU_ID_MAX ||
                            map_has(seen, (unsigned) json_integer_value(id)))
                                continue;
                        map_set(seen, (unsigned) json_integer_value(id));
                        v.configured++;
                        v.online += json_is_true(json_object_get(o, "online"));
                        v.offlinable += json_is_true(json_object_get(o, "can-offline"));
                }
                *ret = v;
                r = 0;
        } else if (!seen)
                r = -ENOMEM;
        free(seen);
        json_decref(array);
        return r;
}
