/* bus-wire.c against the D-Bus specification's marshalling, worked out by
 * hand for each shape the whole-tree replies use: alignment counted from
 * the start of the body, array lengths, padding to an array's first
 * element even when it has none, variants' signatures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "bus-wire.h"

static sd_bus *bus;
static int peer = -1;

/* A bus on one end of a socketpair: enough to build messages. */
static int setup(void **state) {
        int fds[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        peer = fds[1];
        assert_true(sd_bus_new(&bus) >= 0);
        assert_true(sd_bus_set_fd(bus, fds[0], fds[0]) >= 0);
        assert_true(sd_bus_start(bus) >= 0);
        return 0;
}

static int teardown(void **state) {
        sd_bus_close_unref(bus);
        close(peer);
        return 0;
}

static sd_bus_message *message(void) {
        sd_bus_message *m = NULL;
        assert_true(sd_bus_message_new_signal(bus, &m, "/a", "a.b", "C") >= 0);
        return m;
}

static uint64_t sealed_size(sd_bus_message *m) {
        uint64_t size = 0;
        assert_true(sd_bus_message_seal(m, 1, 0) >= 0);
        assert_int_equal(wire_body_size(m, &size), 0);
        sd_bus_message_unref(m);
        return size;
}

static void test_basic_types(void **state) {
        sd_bus_message *m = message();
        /* s "abc": 4 + 3 + 1 = 8; y: 9; t at 16: 24; b at 24: 28; g "ss": 28 + 1 + 2 + 1 = 32 */
        assert_true(sd_bus_message_append(m, "sytbg", "abc", 7, (uint64_t) 1, 1, "ss") >= 0);
        assert_int_equal(sealed_size(m), 32);

        m = message();
        /* y: 1; n at 2: 4; d at 8: 16; o "/x" at 16: 16 + 4 + 2 + 1 = 23 */
        assert_true(sd_bus_message_append(m, "yndo", 1, 2, 1.5, "/x") >= 0);
        assert_int_equal(sealed_size(m), 23);
}

static void test_containers(void **state) {
        sd_bus_message *m = message();
        /* y: 1; empty a(t): length at 4 (8), padded to 8 for the struct: 8 */
        assert_true(sd_bus_message_append(m, "ya(t)", 1, 0) >= 0);
        assert_int_equal(sealed_size(m), 8);

        m = message();
        /* a{sv} of {"a", <u 1>}: length 4, pad to 8; "a" 8 + 4 + 1 + 1 = 14;
         * signature "u" 14 + 3 = 17; u at 20: 24 */
        assert_true(sd_bus_message_append(m, "a{sv}", 1, "a", "u", 1) >= 0);
        assert_int_equal(sealed_size(m), 24);

        m = message();
        /* (yas): y 1; as length at 4: 8; "ab" 8 + 4 + 2 + 1 = 15; "" at 16: 21 */
        assert_true(sd_bus_message_append(m, "(yas)", 1, 2, "ab", "") >= 0);
        assert_int_equal(sealed_size(m), 21);
}

/* Copying counts the same and copies everything. */
static void test_copy(void **state) {
        sd_bus_message *src = message(), *dst = message();
        uint64_t offset = 0, size = 0;

        assert_true(sd_bus_message_append(src, "oa{sa{sv}}", "/p", 1, "i.f", 2, "A", "s", "x", "B", "a(sb)", 1, "c",
                                          1) >= 0);
        assert_true(sd_bus_message_seal(src, 1, 0) >= 0);
        assert_true(sd_bus_message_rewind(src, true) >= 0);
        assert_true(wire_copy(dst, src, &offset) >= 0);
        assert_true(sd_bus_message_seal(dst, 2, 0) >= 0);
        assert_int_equal(wire_body_size(dst, &size), 0);
        assert_int_equal(offset, size);
        assert_int_equal(wire_body_size(src, &size), 0);
        assert_int_equal(offset, size);

        const char *p, *i, *a, *x, *b, *c;
        int enabled;
        assert_true(sd_bus_message_rewind(dst, true) >= 0);
        assert_true(sd_bus_message_read(dst, "oa{sa{sv}}", &p, 1, &i, 2, &a, "s", &x, &b, "a(sb)", 1, &c, &enabled) >
                    0);
        assert_string_equal(p, "/p");
        assert_string_equal(x, "x");
        assert_string_equal(c, "c");
        assert_int_equal(enabled, 1);
        sd_bus_message_unref(src);
        sd_bus_message_unref(dst);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_basic_types),
                cmocka_unit_test(test_containers),
                cmocka_unit_test(test_copy),
        };
        return cmocka_run_group_tests_name("unit: sizes on the wire", tests, setup, teardown);
}
