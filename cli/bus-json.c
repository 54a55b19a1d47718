#include <stdbool.h>
#include <stdint.h>

#include "bus-json.h"

static json_t *read_basic(sd_bus_message *m, char type) {
        union {
                uint8_t y;
                int b;
                int16_t n;
                uint16_t q;
                int32_t i;
                uint32_t u;
                int64_t x;
                uint64_t t;
                double d;
                const char *s;
                int h;
        } v;

        if (sd_bus_message_read_basic(m, type, &v) <= 0)
                return NULL;
        switch (type) {
        case 'y':
                return json_integer(v.y);
        case 'b':
                return json_boolean(v.b);
        case 'n':
                return json_integer(v.n);
        case 'q':
                return json_integer(v.q);
        case 'i':
                return json_integer(v.i);
        case 'u':
                return json_integer(v.u);
        case 'x':
                return json_integer(v.x);
        case 't':
                /* JSON integers here are signed 64-bit */
                return json_integer(v.t > (uint64_t) INT64_MAX ? INT64_MAX : (json_int_t) v.t);
        case 'd':
                return json_real(v.d);
        case 's':
        case 'o':
        case 'g':
                return json_string(v.s);
        default: /* 'h': a file descriptor means nothing in text */
                return json_null();
        }
}

/* The members of the container m is in, until its end. */
static json_t *read_members(sd_bus_message *m, bool dictionary) {
        json_t *out = dictionary ? json_object() : json_array();
        int r;

        while (out && (r = sd_bus_message_at_end(m, false)) == 0) {
                if (dictionary) {
                        /* each entry is {key value}; the key is a string here */
                        const char *contents;
                        json_t *key = NULL, *value = NULL;
                        if (sd_bus_message_peek_type(m, NULL, &contents) > 0 &&
                            sd_bus_message_enter_container(m, 'e', contents) > 0) {
                                key = bus_read_json(m);
                                value = bus_read_json(m);
                                sd_bus_message_exit_container(m);
                        }
                        if (!json_is_string(key) || !value ||
                            json_object_set_new(out, json_string_value(key), value) < 0) {
                                json_decref(key);
                                json_decref(out);
                                return NULL;
                        }
                        json_decref(key);
                } else if (json_array_append_new(out, bus_read_json(m)) < 0) {
                        json_decref(out);
                        return NULL;
                }
        }
        if (r < 0) {
                json_decref(out);
                return NULL;
        }
        return out;
}

json_t *bus_read_json(sd_bus_message *m) {
        const char *contents;
        json_t *out;
        char type;

        if (sd_bus_message_peek_type(m, &type, &contents) <= 0)
                return NULL;
        if (!contents)
                return read_basic(m, type);

        if (sd_bus_message_enter_container(m, type, contents) <= 0)
                return NULL;
        if (type == 'v')
                out = bus_read_json(m);
        else
                /* a{sv}, a{ss}, ...: objects; other arrays and structs: arrays */
                out = read_members(m, type == 'a' && contents[0] == '{' &&
                                              (contents[1] == 's' || contents[1] == 'o' || contents[1] == 'g'));
        if (sd_bus_message_exit_container(m) < 0) {
                json_decref(out);
                return NULL;
        }
        return out;
}
