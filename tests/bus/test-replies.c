/* Every method replies, whatever its input: the error messages that quote a
 * caller's argument or a domain's name are valid UTF-8, bounded and free of
 * characters that fake text on a screen, so sd-bus can always send them.
 * Before this test, a UUID argument cut inside a character at byte 64, or a
 * domain named with a noncharacter, made the error unsendable: the caller
 * waited for its timeout. Each call here waits at most CALL_TIMEOUT_USEC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define BUS_NAME "org.guestinfod.GuestInfo1"
#define MANAGER_PATH "/org/guestinfod/GuestInfo1"
#define MANAGER_IFACE "org.guestinfod.GuestInfo1.Manager"
#define DOMAIN_IFACE "org.guestinfod.GuestInfo1.Domain"
#define ODD_UUID "11111111-2222-3333-4444-0000000000dd"
#define CALL_TIMEOUT_USEC (5 * 1000000ULL)
#define QUOTE_BOUND 400 /* bytes of an error message quoting something */

#define RLO "\xe2\x80\xae"     /* U+202E RIGHT-TO-LEFT OVERRIDE */
#define ZWSP "\xe2\x80\x8b"    /* U+200B ZERO WIDTH SPACE */
#define C1_CSI "\xc2\x9b"      /* U+009B, a C1 control */
#define NONCHAR "\xef\xb7\x90" /* U+FDD0: libvirt takes it in a name, sd-bus refuses it */

static Harness H;

static int group_setup(void **state) {
        assert_int_equal(harness_setup_test_daemon(&H, 30, NULL), 0);
        return 0;
}

static int group_teardown(void **state) {
        int status = harness_stop_daemon(&H);
        harness_cleanup(&H);
        assert_int_equal(status, 0);
        return 0;
}

/* Calls method with one string argument (or none); must fail with
 * want_error within the time limit. Returns the error's message (owned). */
static char *call_error(const char *path, const char *iface, const char *method, const char *arg,
                        const char *want_error) {
        sd_bus_message *call = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;

        assert_true(sd_bus_message_new_method_call(H.bus, &call, BUS_NAME, path, iface, method) >= 0);
        if (arg)
                assert_true(sd_bus_message_append(call, "s", arg) >= 0);
        double t0 = harness_now();
        int r = sd_bus_call(H.bus, call, CALL_TIMEOUT_USEC, &error, &reply);
        if (r >= 0 || !error.name || strcmp(error.name, want_error) != 0)
                fprintf(stderr, "%s(%zu bytes): r=%d %s: %s after %.1f s, wanted %s\n", method, arg ? strlen(arg) : 0,
                        r, error.name ? error.name : "-", error.message ? error.message : "", harness_now() - t0,
                        want_error);
        assert_true(r < 0);
        assert_non_null(error.name);
        assert_string_equal(error.name, want_error);
        char *msg = strdup(error.message ? error.message : "");
        sd_bus_error_free(&error);
        sd_bus_message_unref(call);
        sd_bus_message_unref(reply);
        return msg;
}

static void assert_clean_text(const char *msg) {
        if (strstr(msg, RLO) || strstr(msg, ZWSP) || strstr(msg, C1_CSI) || strstr(msg, NONCHAR))
                fprintf(stderr, "error message quotes a character that fakes text: %s\n", msg);
        assert_null(strstr(msg, RLO));
        assert_null(strstr(msg, ZWSP));
        assert_null(strstr(msg, C1_CSI));
        assert_null(strstr(msg, NONCHAR));
        assert_true(strlen(msg) <= QUOTE_BOUND);
}

/* A UUID argument with a character of 2, 3 or 4 bytes at every offset
 * around the old cut at byte 64. */
static void test_uuid_cut_inside_a_character(void **state) {
        const char *chars[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80" };
        char arg[200];
        for (size_t c = 0; c < sizeof chars / sizeof *chars; c++)
                for (size_t prefix = 59; prefix <= 64; prefix++) {
                        memset(arg, 'a', prefix);
                        snprintf(arg + prefix, sizeof arg - prefix, "%s-and-more", chars[c]);
                        char *msg = call_error(MANAGER_PATH, MANAGER_IFACE, "GetDomainByUUID", arg,
                                               "org.freedesktop.DBus.Error.InvalidArgs");
                        assert_clean_text(msg);
                        free(msg);
                }
}

/* Long and odd arguments: answered, quoted bounded and clean. */
static void test_odd_arguments(void **state) {
        char big[1100];
        size_t n = 0;
        /* 1023 bytes of 3-byte characters: the longest name looked up */
        while (n + 3 < 1024) {
                memcpy(big + n, "\xe2\x82\xac", 3);
                n += 3;
        }
        big[n] = '\0';
        const char *odd[] = { big, "evil" RLO "gpj.exe", "a" ZWSP "b", "csi" C1_CSI "31m", "tab\there\nnewline" };
        for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
                char *msg = call_error(MANAGER_PATH, MANAGER_IFACE, "GetDomainByName", odd[i],
                                       "org.guestinfod.GuestInfo1.Error.NoSuchDomain");
                assert_clean_text(msg);
                assert_null(strchr(msg, '\n'));
                free(msg);
                msg = call_error(MANAGER_PATH, MANAGER_IFACE, "GetDomainByUUID", odd[i],
                                 "org.freedesktop.DBus.Error.InvalidArgs");
                assert_clean_text(msg);
                free(msg);
        }
}

/* A domain whose name libvirt took, but which sd-bus would refuse or a
 * terminal would show as something else: its errors still reach the caller. */
static void test_errors_quoting_a_domain_name(void **state) {
        char xml[400], *path = NULL;
        snprintf(xml, sizeof xml, "%s/odd.xml", H.dir);
        FILE *f = fopen(xml, "we");
        assert_non_null(f);
        fprintf(f, "<domain type='test'><name>odd" RLO NONCHAR ZWSP "name</name><uuid>" ODD_UUID "</uuid>"
                   "<memory>8192</memory><os><type>hvm</type></os></domain>\n");
        fclose(f);
        assert_int_equal(harness_virsh(&H, "define %s", xml), 0);
        assert_int_equal(harness_domain_path(ODD_UUID, &path), 0);
        /* the daemon has it once its object answers (Ping needs no name) */
        bool found = false;
        for (int i = 0; i < 100 && !found; i++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                found = sd_bus_call_method(H.bus, BUS_NAME, path, "org.freedesktop.DBus.Peer", "Ping", &e, NULL, "") >=
                                0 &&
                        sd_bus_call_method(H.bus, BUS_NAME, path, DOMAIN_IFACE, "GetInterfaces", &e, NULL, "") >= 0;
                sd_bus_error_free(&e);
                if (!found)
                        harness_settle(&H, 100);
        }
        assert_true(found);

        char *msg = call_error(path, DOMAIN_IFACE, "Refresh", NULL, "org.guestinfod.GuestInfo1.Error.NoAgent");
        assert_clean_text(msg);
        assert_non_null(strstr(msg, "odd"));
        free(msg);
        msg = call_error(path, DOMAIN_IFACE, "GetGuestOSInfo", NULL, "org.guestinfod.GuestInfo1.Error.NoAgent");
        assert_clean_text(msg);
        free(msg);
        free(path);
        assert_int_equal(harness_virsh(&H, "undefine %s", ODD_UUID), 0);
        assert_true(harness_daemon_running(&H));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_uuid_cut_inside_a_character),
                cmocka_unit_test(test_odd_arguments),
                cmocka_unit_test(test_errors_quoting_a_domain_name),
        };
        return cmocka_run_group_tests_name("bus: every method replies", tests, group_setup, group_teardown);
}
