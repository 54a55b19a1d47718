/* The daemon stopped while calls are in flight: every call is answered (by
 * the daemon, or by the bus once it is gone), and the exit is clean: under
 * ASan, no registration reaches what the publisher freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "harness.h"

#define BUS_NAME "org.guestinfod.GuestInfo1"
#define MANAGER_PATH "/org/guestinfod/GuestInfo1"
#define MANAGER_IFACE "org.guestinfod.GuestInfo1.Manager"
#define DOMAIN_IFACE "org.guestinfod.GuestInfo1.Domain"
#define TEST_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f" /* the "test" domain of test:///default */
#define ROUNDS 3
#define CALLS 400

static Harness H;

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        (*(unsigned *) userdata)++;
        return 0;
}

static void test_stop_with_calls_in_flight(void **state) {
        char *domain_path = NULL;
        assert_int_equal(harness_domain_path(TEST_UUID, &domain_path), 0);

        for (int round = 0; round < ROUNDS; round++) {
                unsigned answered = 0;
                int r = harness_start_daemon(&H, "test:///default", 30, NULL);
                if (r < 0)
                        fprintf(stderr, "guestinfod did not become ready (%d), see %s\n", r, H.daemon_log);
                assert_int_equal(r, 0);

                for (int i = 0; i < CALLS; i++) {
                        switch (i % 4) {
                        case 0:
                                r = sd_bus_call_method_async(H.bus, NULL, BUS_NAME, MANAGER_PATH, MANAGER_IFACE,
                                                             "ListSummaries", on_reply, &answered, "");
                                break;
                        case 1:
                                r = sd_bus_call_method_async(H.bus, NULL, BUS_NAME, MANAGER_PATH,
                                                             "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                                             on_reply, &answered, "");
                                break;
                        case 2:
                                r = sd_bus_call_method_async(H.bus, NULL, BUS_NAME, domain_path,
                                                             "org.freedesktop.DBus.Properties", "GetAll", on_reply,
                                                             &answered, "s", DOMAIN_IFACE);
                                break;
                        default:
                                r = sd_bus_call_method_async(H.bus, NULL, BUS_NAME, domain_path, DOMAIN_IFACE,
                                                             "Refresh", on_reply, &answered, "");
                                break;
                        }
                        assert_true(r >= 0);
                }
                assert_true(sd_bus_flush(H.bus) >= 0);
                /* Some answered, most still queued or being handled. */
                harness_settle(&H, 5 * round);
                int status = harness_stop_daemon(&H);
                assert_int_equal(status, 0);

                double start = harness_now();
                while (answered < CALLS && harness_now() - start < 10)
                        harness_settle(&H, 50);
                printf("# round %d: %u of %d calls answered\n", round, answered, CALLS);
                assert_int_equal(answered, CALLS);
        }
        free(domain_path);
}

static int group_setup(void **state) {
        assert_int_equal(harness_init(&H), 0);
        assert_int_equal(harness_start_bus(&H), 0);
        assert_int_equal(harness_connect_client(&H), 0);
        return 0;
}

static int group_teardown(void **state) {
        harness_cleanup(&H);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stop_with_calls_in_flight),
        };
        return cmocka_run_group_tests_name("publisher-stop", tests, group_setup, group_teardown);
}
