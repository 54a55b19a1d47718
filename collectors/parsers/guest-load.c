/* guest-get-load's reply: three numbers, each checked. */
#include <errno.h>
#include <math.h>

#include <jansson.h>

#include "guest-load.h"

/* three numbers and their names: a longer reply is no such reply */
#define LOAD_REPLY_MAX 4096u

static int member_load(json_t *o, const char *name, double *ret) {
        json_t *v = json_object_get(o, name);

        if (!json_is_number(v))
                return -EINVAL;
        double d = json_number_value(v);
        if (!isfinite(d) || d < 0 || d > GUEST_LOAD_MAX)
                return -EINVAL;
        *ret = d;
        return 0;
}

int guest_load_from_agent_json(const char *json, size_t len, GuestLoad *ret) {
        GuestLoad l;
        int r = -EINVAL;

        if (!json || len == 0 || len > LOAD_REPLY_MAX)
                return -EINVAL;
        json_t *doc = json_loadb(json, len, 0, NULL), *o = json_object_get(doc, "return");
        if (json_is_object(o) && member_load(o, "load1", &l.load1) == 0 && member_load(o, "load5", &l.load5) == 0 &&
            member_load(o, "load15", &l.load15) == 0) {
                *ret = l;
                r = 0;
        }
        json_decref(doc);
        return r;
}
