/* guestinfoctl show, the real binary, with what a hostile guest can make
 * the daemon publish: login times no clock shows (NaN, 1e300, negative; the
 * raw agent reply carries any double, which the daemon publishes as 0 or
 * the largest µs value) and a hostname and user names with bidi overrides,
 * zero-width and C1 characters, which would show on a terminal as other
 * text. The text output shows "-" for such a time and escapes such
 * characters; --json says null for such a time and keeps the text as it is.
 * The daemon's own bus code serves the model (tests/helpers/fake-daemon.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ctl.h"
#include "fake-daemon.h"
#include "harness.h"

#define T 30
#define UUID_H "c0000000-0000-4000-8000-000000000001"
#define RLO "\xe2\x80\xae"
#define ZWSP "\xe2\x80\x8b"
#define CSI "\xc2\x9b"

static const char *const guest[] = {
        "hostname=www.bank" RLO "moc.evil",
        "user.count=4",
        "user.0.name=nan",
        "user.1.name=huge",
        "user.2.name=negative",
        "user.3.name=ad" ZWSP "min" CSI "31m",
        NULL,
};
static const FakeVm vms[] = {
        { "spoof", UUID_H, DOMAIN_STATE_RUNNING, true, NULL, guest, 0 },
};

static Harness H;
static Manager *M;

static int group_setup(void **state) {
        setenv("TZ", "UTC", 1);
        assert_int_equal(harness_setup(&H), 0);
        assert_int_equal(fake_model_new(vms, 1, &M), 0);
        Domain *d = manager_get_domain(M, UUID_H);
        assert_non_null(d);
        assert_non_null(d->guest);
        assert_int_equal(d->guest->n_users, 4);
        d->guest->users[0].login_time = NAN;
        d->guest->users[1].login_time = 1e300;
        d->guest->users[2].login_time = -5.5;
        d->guest->users[3].login_time = 1700000000.25;
        return 0;
}

static int group_teardown(void **state) {
        manager_free(M);
        harness_cleanup(&H);
        return 0;
}

static void show(bool json, CtlResult *r) {
        FakeDaemon f;
        assert_int_equal(fake_daemon_start(&f, M, false), 0);
        int status = json ? ctl_run(r, false, T, "--user", "--json", "show", "spoof", NULL)
                          : ctl_run(r, false, T, "--user", "show", "spoof", NULL);
        fake_daemon_stop(&f);
        if (status != 0)
                fprintf(stderr, "guestinfoctl show%s: exit %d\nstdout: %s\nstderr: %s\n", json ? " --json" : "", status,
                        r->out, r->err);
        assert_int_equal(status, 0);
}

/* The users table's row of a user, as printed. */
static const char *row_of(const char *out, const char *user) {
        static char line[256];
        for (const char *p = out; (p = strstr(p, user)); p++)
                if (p > out && p[-1] == ' ' && p[strlen(user)] == ' ') {
                        const char *start = p, *end = strchr(p, '\n');
                        snprintf(line, sizeof line, "%.*s", (int) (end ? end - start : (long) strlen(start)), start);
                        return line;
                }
        fail_msg("no row for %s in:\n%s", user, out);
        return NULL;
}

static void test_text_shows_no_such_time_and_no_spoof(void **state) {
        CtlResult r;
        show(false, &r);
        /* no time for what is not one */
        const char *bad[] = { "nan", "huge", "negative" };
        for (size_t i = 0; i < 3; i++) {
                const char *row = row_of(r.out, bad[i]);
                size_t n = strlen(row);
                if (n < 2 || strcmp(row + n - 2, " -") != 0)
                        fprintf(stderr, "row '%s' shows a login time\n", row);
                assert_true(n >= 2 && strcmp(row + n - 2, " -") == 0);
        }
        assert_non_null(strstr(row_of(r.out, "ad\\u200bmin\\u009b31m"), "2023-11-14 22:13:20 UTC"));
        /* the hostname as it is, escaped: it cannot pass for www.bank.com */
        assert_non_null(strstr(r.out, "www.bank\\u202emoc.evil"));
        assert_null(strstr(r.out, RLO));
        assert_null(strstr(r.out, ZWSP));
        assert_null(strstr(r.out, CSI));
        ctl_result_free(&r);
}

static void test_json_keeps_the_values(void **state) {
        CtlResult r;
        show(true, &r);
        json_error_t e;
        json_t *j = json_loads(r.out, 0, &e);
        if (!j)
                fprintf(stderr, "not JSON (%s): %s\n", e.text, r.out);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "hostname")), "www.bank" RLO "moc.evil");
        json_t *users = json_object_get(j, "users");
        assert_int_equal(json_array_size(users), 4);
        for (size_t i = 0; i < 3; i++)
                assert_true(json_is_null(json_object_get(json_array_get(users, i), "loginTime")));
        /* RFC 3339, as the agent's times */
        assert_string_equal(json_string_value(json_object_get(json_array_get(users, 3), "loginTime")),
                            "2023-11-14T22:13:20Z");
        assert_string_equal(json_string_value(json_object_get(json_array_get(users, 3), "userName")),
                            "ad" ZWSP "min" CSI "31m");
        json_decref(j);
        ctl_result_free(&r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_text_shows_no_such_time_and_no_spoof),
                cmocka_unit_test(test_json_keeps_the_values),
        };
        return cmocka_run_group_tests_name("cli: show with hostile guest data", tests, group_setup, group_teardown);
}
