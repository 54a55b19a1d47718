/* Unit tests of the guest's vCPU counts (guest-vcpus.h) and clock offset
 * (guest-clock.h): libvirt's CPU lists, qemu-ga's replies, hostile shapes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest-clock.h"
#include "guest-load.h"
#include "guest-vcpus.h"

#define P(k, v)                                                                                                        \
        { .field = k, .type = VIR_TYPED_PARAM_STRING, .value.s = (char *) (v) }

static void test_vcpus_typed(void **state) {
        (void) state;
        /* what libvirt 9.0 gives for 2 vCPUs with cpu1 taken offline */
        virTypedParameter p[] = { P("vcpus", "0-1"), P("online", "0"), P("offlinable", "1") };
        GuestVcpus v;

        assert_int_equal(guest_vcpus_from_typed_params(p, 3, &v), 0);
        assert_int_equal(v.configured, 2);
        assert_int_equal(v.online, 1);
        assert_int_equal(v.offlinable, 1);

        virTypedParameter q[] = { P("vcpus", "0-3,8,10-11"), P("online", "0-11"), P("offlinable", "") };
        assert_int_equal(guest_vcpus_from_typed_params(q, 3, &v), 0);
        assert_int_equal(v.configured, 7);
        assert_int_equal(v.online, 7); /* only ids vcpus lists */
        assert_int_equal(v.offlinable, 0);
}

static void test_vcpus_hostile(void **state) {
        (void) state;
        static const char *const bad[] = { "",   "1-", "-1", "3-1", "0,,1", "0 ", "a", "16384", "0-99999999999",
                                           "0,", "+1" };
        GuestVcpus v = { 0 };

        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                virTypedParameter p[] = { P("vcpus", "0-1"), P("online", bad[i]) };
                int r = guest_vcpus_from_typed_params(p, 2, &v);
                /* "" is a valid empty list: no CPU online */
                assert_int_equal(r, i == 0 ? 0 : -EINVAL);
        }
        virTypedParameter none[] = { P("online", "0") };
        assert_int_equal(guest_vcpus_from_typed_params(none, 1, &v), -EINVAL);
        virTypedParameter typed[] = { { .field = "vcpus", .type = VIR_TYPED_PARAM_INT, .value.i = 2 } };
        assert_int_equal(guest_vcpus_from_typed_params(typed, 1, &v), -EINVAL);
        virTypedParameter all[] = { P("vcpus", "0-16383"), P("online", "0-16383") };
        assert_int_equal(guest_vcpus_from_typed_params(all, 2, &v), 0);
        assert_int_equal(v.configured, 16384);
}

static void test_vcpus_json(void **state) {
        (void) state;
        static const char reply[] = "{\"return\":[{\"online\":true,\"can-offline\":false,\"logical-id\":0},"
                                    "{\"online\":false,\"can-offline\":true,\"logical-id\":1}]}";
        static const char odd[] = "{\"return\":[{\"online\":true,\"logical-id\":0},{\"online\":true,\"logical-id\":0},"
                                  "{\"online\":true,\"logical-id\":-1},{\"online\":\"yes\",\"logical-id\":2},"
                                  "{\"online\":true,\"logical-id\":99999},7,[]]}";
        GuestVcpus v;

        assert_int_equal(guest_vcpus_from_agent_json(reply, strlen(reply), &v), 0);
        assert_int_equal(v.configured, 2);
        assert_int_equal(v.online, 1);
        assert_int_equal(v.offlinable, 1);
        assert_int_equal(guest_vcpus_from_agent_json(odd, strlen(odd), &v), 0);
        assert_int_equal(v.configured, 2);
        assert_int_equal(v.online, 1);
        assert_int_equal(guest_vcpus_from_agent_json("{\"return\":{}}", 13, &v), -EINVAL);
        assert_int_equal(guest_vcpus_from_agent_json("{\"return\":[", 11, &v), -EINVAL);
}

static void test_clock(void **state) {
        (void) state;
        int64_t off;
        long long sec;
        unsigned nsec;

        assert_int_equal(guest_clock_offset_usec(1000, 500000000, INT64_C(990) * 1000000, &off), 0);
        assert_int_equal(off, INT64_C(10500000));
        assert_int_equal(guest_clock_offset_usec(1000, 0, INT64_C(1003600) * 1000000, &off), 0);
        assert_int_equal(off, -INT64_C(1002600) * 1000000);
        assert_int_equal(guest_clock_offset_usec(1000, 1000000000, 0, &off), -EINVAL);
        /* hostile: saturates */
        assert_int_equal(guest_clock_offset_usec(INT64_MAX, 999999999, INT64_MIN, &off), 0);
        assert_true(off == INT64_MAX);
        assert_int_equal(guest_clock_offset_usec(INT64_MIN, 0, INT64_MAX, &off), 0);
        assert_true(off == INT64_MIN);

        static const char reply[] = "{\"return\":1764700000123456789}";
        assert_int_equal(guest_clock_from_agent_json(reply, strlen(reply), &sec, &nsec), 0);
        assert_int_equal(sec, 1764700000);
        assert_int_equal(nsec, 123456789);
        assert_int_equal(guest_clock_from_agent_json("{\"return\":-1}", 13, &sec, &nsec), 0);
        assert_int_equal(sec, -1);
        assert_int_equal(nsec, 999999999);
        assert_int_equal(guest_clock_from_agent_json("{\"return\":1.5}", 14, &sec, &nsec), -EINVAL);
        assert_int_equal(guest_clock_from_agent_json("{\"return\":\"1\"}", 14, &sec, &nsec), -EINVAL);

        /* published again only past the threshold */
        assert_true(guest_clock_offset_changed(false, 0, 0));
        assert_false(guest_clock_offset_changed(true, 5000000, 5999999));
        assert_true(guest_clock_offset_changed(true, 5000000, 6000000));
        assert_true(guest_clock_offset_changed(true, 5000000, 4000000));
        assert_true(guest_clock_offset_changed(true, INT64_MIN, INT64_MAX));
        assert_false(guest_clock_offset_changed(true, INT64_MAX, INT64_MAX - 1));
}

static void test_load(void **state) {
        (void) state;
        static const char reply[] = "{\"return\": {\"load1\": 0.5, \"load5\": 0.25, \"load15\": 2}}";
        static const char *const bad[] = {
                "{\"return\": {\"load1\": 0.5, \"load5\": 0.25}}",
                "{\"return\": {\"load1\": \"0.5\", \"load5\": 0.25, \"load15\": 2}}",
                "{\"return\": {\"load1\": -1, \"load5\": 0.25, \"load15\": 2}}",
                "{\"return\": {\"load1\": 1e300, \"load5\": 0.25, \"load15\": 2}}",
                "{\"return\": [0.5, 0.25, 2]}",
                "{\"error\": {\"class\": \"CommandNotFound\"}}",
                "{\"return\": {\"load1\": 0.5,",
        };
        GuestLoad l;

        assert_int_equal(guest_load_from_agent_json(reply, strlen(reply), &l), 0);
        assert_true(l.load1 == 0.5 && l.load5 == 0.25 && l.load15 == 2);
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                assert_int_equal(guest_load_from_agent_json(bad[i], strlen(bad[i]), &l), -EINVAL);
        char big[8192];
        memset(big, ' ', sizeof big);
        memcpy(big, reply, strlen(reply));
        assert_int_equal(guest_load_from_agent_json(big, sizeof big, &l), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vcpus_typed), cmocka_unit_test(test_vcpus_hostile),
                cmocka_unit_test(test_vcpus_json),  cmocka_unit_test(test_clock),
                cmocka_unit_test(test_load),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
