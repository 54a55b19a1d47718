/* The writer's reading of messages and addresses (service/bus/bus-frame.c,
 * bus_writer_socket_path): headers as sd-bus writes them, then cut and
 * broken ones, which must be refused and never read past their end. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bus-frame.h"
#include "bus-writer.h"

/* A header being built: the fixed part, then fields. */
typedef struct Header {
        uint8_t b[512];
        size_t len;
} Header;

static void put(Header *h, const void *p, size_t n) {
        assert_true(h->len + n <= sizeof h->b);
        memcpy(h->b + h->len, p, n);
        h->len += n;
}

static void pad(Header *h, size_t a) {
        while (h->len % a)
                h->b[h->len++] = 0;
}

static void put_u32(Header *h, uint32_t v) {
        pad(h, 4);
        put(h, &v, 4);
}

static void field(Header *h, uint8_t code, char type) {
        pad(h, 8);
        uint8_t f[4] = { code, 1, (uint8_t) type, 0 };
        put(h, f, 4);
}

static void field_string(Header *h, uint8_t code, char type, const char *s) {
        field(h, code, type);
        put_u32(h, (uint32_t) strlen(s));
        put(h, s, strlen(s) + 1);
}

/* A method return of body_len bytes, as sd-bus writes one (little-endian). */
static void method_return(Header *h, uint32_t body_len, uint32_t reply_serial, const char *destination) {
        memset(h, 0, sizeof *h);
        uint8_t fixed[4] = { 'l', BUS_FRAME_METHOD_RETURN, 1, 1 };
        put(h, fixed, 4);
        put_u32(h, body_len);
        put_u32(h, 77); /* its own serial */
        put_u32(h, 0);  /* the fields' length, below */
        field(h, 5, 'u');
        put_u32(h, reply_serial);
        field_string(h, 6, 's', destination);
        field(h, 8, 'g');
        uint8_t sig[] = { 13, 'a', '{', 'o', 'a', '{', 's', 'a', '{', 's', 'v', '}', '}', '}', 0 };
        put(h, sig, sizeof sig);
        uint32_t fields = (uint32_t) (h->len - BUS_FRAME_FIXED);
        memcpy(h->b + 12, &fields, 4);
        pad(h, 8);
}

static void test_method_return(void **state) {
        Header h;
        BusFrame f;

        method_return(&h, 4096, 12345, ":1.42");
        assert_int_equal(bus_frame_start(h.b, &f), 0);
        assert_false(f.big_endian);
        assert_int_equal(f.type, BUS_FRAME_METHOD_RETURN);
        assert_int_equal(f.body_len, 4096);
        assert_int_equal(f.header_len, h.len);
        assert_int_equal(f.header_len % 8, 0);
        assert_int_equal(bus_frame_fields(h.b, &f), 0);
        assert_int_equal(f.reply_serial, 12345);
        assert_string_equal(f.destination, ":1.42");

        bus_frame_set_body_len(h.b, &f, 8);
        assert_int_equal(bus_frame_start(h.b, &f), 0);
        assert_int_equal(f.body_len, 8);
}

static void test_big_endian(void **state) {
        uint8_t fixed[16] = { 'B', 4, 0, 1, 0, 0, 1, 0, 0, 0, 0, 9, 0, 0, 0, 0 };
        BusFrame f;
        assert_int_equal(bus_frame_start(fixed, &f), 0);
        assert_true(f.big_endian);
        assert_int_equal(f.body_len, 256);
        assert_int_equal(f.header_len, 16);
        bus_frame_set_body_len(fixed, &f, 0x01020304);
        assert_memory_equal(fixed + 4, ((uint8_t[]){ 1, 2, 3, 4 }), 4);
}

static void test_refused(void **state) {
        Header h;
        BusFrame f;

        method_return(&h, 8, 1, ":1.1");
        h.b[0] = 'x'; /* no such endianness */
        assert_int_equal(bus_frame_start(h.b, &f), -EBADMSG);
        method_return(&h, 8, 1, ":1.1");
        h.b[3] = 2; /* no such version */
        assert_int_equal(bus_frame_start(h.b, &f), -EBADMSG);
        method_return(&h, BUS_FRAME_MESSAGE_MAX, 1, ":1.1"); /* with its header, past the protocol's limit */
        assert_int_equal(bus_frame_start(h.b, &f), -EBADMSG);

        /* a destination whose length runs past the fields */
        method_return(&h, 8, 1, ":1.1");
        assert_int_equal(bus_frame_start(h.b, &f), 0);
        size_t at = 16 + 8 + 4; /* the second field's string length */
        uint32_t huge = 4000;
        memcpy(h.b + at, &huge, 4);
        assert_int_equal(bus_frame_fields(h.b, &f), -EBADMSG);

        /* a string without its NUL */
        method_return(&h, 8, 1, ":1.1");
        assert_int_equal(bus_frame_start(h.b, &f), 0);
        h.b[at + 4 + 4] = 'x';
        assert_int_equal(bus_frame_fields(h.b, &f), -EBADMSG);

        /* a field of a container type */
        method_return(&h, 8, 1, ":1.1");
        assert_int_equal(bus_frame_start(h.b, &f), 0);
        h.b[16 + 2] = 'a';
        assert_int_equal(bus_frame_fields(h.b, &f), -EBADMSG);

        /* every cut of the fields: refused or read within them */
        for (uint32_t cut = 0; cut < f.fields_len; cut++) {
                method_return(&h, 8, 1, ":1.1");
                memcpy(h.b + 12, &cut, 4);
                assert_int_equal(bus_frame_start(h.b, &f), 0);
                int r = bus_frame_fields(h.b, &f);
                assert_true(r == 0 || r == -EBADMSG);
                if (r == 0 && f.destination)
                        assert_true((size_t) (f.destination - (const char *) h.b) + strlen(f.destination) <
                                    16 + (size_t) cut);
        }
}

static void test_socket_path(void **state) {
        char path[108];

        assert_int_equal(bus_writer_socket_path("unix:path=/run/dbus/system_bus_socket", path, sizeof path), 0);
        assert_string_equal(path, "/run/dbus/system_bus_socket");
        assert_int_equal(bus_writer_socket_path("unix:guid=0123,path=/tmp/a%20b%2cc,x=y", path, sizeof path), 0);
        assert_string_equal(path, "/tmp/a b,c");
        assert_int_equal(bus_writer_socket_path("tcp:host=localhost,port=1;unix:path=/tmp/s", path, sizeof path), 0);
        assert_string_equal(path, "/tmp/s");
        assert_int_equal(bus_writer_socket_path("unix:abstract=/tmp/dbus-x", path, sizeof path), -EPROTONOSUPPORT);
        assert_int_equal(bus_writer_socket_path("unixexec:path=/bin/x", path, sizeof path), -EPROTONOSUPPORT);
        assert_int_equal(bus_writer_socket_path("", path, sizeof path), -EPROTONOSUPPORT);
        assert_int_equal(bus_writer_socket_path("unix:path=", path, sizeof path), -EINVAL);
        assert_int_equal(bus_writer_socket_path("unix:path=/tmp/%2", path, sizeof path), -EINVAL);
        assert_int_equal(bus_writer_socket_path("unix:path=/tmp/%00", path, sizeof path), -EINVAL);
        char longer[300] = "unix:path=/";
        memset(longer + strlen(longer), 'x', 200);
        assert_int_equal(bus_writer_socket_path(longer, path, sizeof path), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_method_return),
                cmocka_unit_test(test_big_endian),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_socket_path),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
