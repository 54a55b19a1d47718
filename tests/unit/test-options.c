/* The daemon's command line: defaults, every flag, every kind of bad usage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"

#define PARSE(o, err, ...)                                                                                             \
        ({                                                                                                             \
                char *_argv[] = { "guestinfod", __VA_ARGS__, NULL };                                                   \
                options_parse((int) (sizeof _argv / sizeof *_argv) - 1, _argv, (o), (err), sizeof(err));               \
        })

static void test_defaults(void **state) {
        Options o;
        char err[256];
        char *argv[] = { "guestinfod", NULL };

        assert_int_equal(options_parse(1, argv, &o, err, sizeof err), 1);
        assert_string_equal(o.uri, "qemu:///system");
        assert_int_equal(o.bus, BUS_KIND_SYSTEM);
        assert_int_equal(o.log_level, LOG_LEVEL_INFO);
        assert_int_equal(o.collect.workers, 4);
        assert_int_equal(o.collect.agent_timeout, 10);
        assert_int_equal(o.collect.interval_usec[guest_kind_from_name("users")], 10000000);
        assert_int_equal(o.collect.interval_usec[guest_kind_from_name("os")], 60000000);
        assert_int_equal(o.collect.interval_usec[guest_kind_from_name("agent")], 300000000);
        assert_int_equal(o.keep_replies_bytes, 48 << 20);
}

static void test_flags(void **state) {
        Options o;
        char err[256];

        assert_int_equal(PARSE(&o, err, "--connect", "test:///default", "--user", "--log-level=debug"), 1);
        assert_string_equal(o.uri, "test:///default");
        assert_int_equal(o.bus, BUS_KIND_USER);
        assert_int_equal(o.log_level, LOG_LEVEL_DEBUG);

        assert_int_equal(PARSE(&o, err, "-c", "qemu+ssh://host/system", "--user", "--system", "-l", "error"), 1);
        assert_string_equal(o.uri, "qemu+ssh://host/system");
        assert_int_equal(o.bus, BUS_KIND_SYSTEM);
        assert_int_equal(o.log_level, LOG_LEVEL_ERROR);

        assert_int_equal(PARSE(&o, err, "--workers=8", "--agent-timeout", "3", "--interval", "users=2",
                               "--interval=filesystems=120"),
                         1);
        assert_int_equal(o.collect.workers, 8);
        assert_int_equal(o.collect.agent_timeout, 3);
        assert_int_equal(o.collect.interval_usec[guest_kind_from_name("users")], 2000000);
        assert_int_equal(o.collect.interval_usec[guest_kind_from_name("filesystems")], 120000000);
        /* the others keep their defaults */
        assert_int_equal(o.collect.interval_usec[guest_kind_from_name("interfaces")], 10000000);

        assert_int_equal(PARSE(&o, err, "--agent-timeout=keep"), 1);
        assert_true(o.collect.agent_timeout < 0);

        assert_int_equal(PARSE(&o, err, "--keep-replies=0"), 1);
        assert_int_equal(o.keep_replies_bytes, 0);
        assert_int_equal(PARSE(&o, err, "--keep-replies", "512"), 1);
        assert_int_equal(o.keep_replies_bytes, 512ULL << 20);
}

static void test_bad_usage(void **state) {
        Options o;
        char err[256];

        assert_int_equal(PARSE(&o, err, "--bogus"), -EINVAL);
        assert_string_equal(err, "unknown option '--bogus'");

        assert_int_equal(PARSE(&o, err, "--connect"), -EINVAL);
        assert_string_equal(err, "option '--connect' needs an argument");

        assert_int_equal(PARSE(&o, err, "--connect="), -EINVAL);
        assert_non_null(strstr(err, "needs a libvirt URI"));
        /* it is published and logged as it is: text only */
        assert_int_equal(PARSE(&o, err, "--connect=test:///\xef\xb7\x90"), -EINVAL);
        assert_non_null(strstr(err, "printable UTF-8"));
        assert_int_equal(PARSE(&o, err, "--connect=test:///\x1b[2J"), -EINVAL);
        assert_int_equal(PARSE(&o, err, "--connect=test:///caf\xc3\xa9"), 1);

        assert_int_equal(PARSE(&o, err, "--log-level", "loud"), -EINVAL);
        assert_non_null(strstr(err, "unknown log level 'loud'"));

        assert_int_equal(PARSE(&o, err, "qemu:///system"), -EINVAL);
        assert_string_equal(err, "unexpected argument 'qemu:///system'");

        const char *bad_values[][2] = {
                { "--workers=0", "--workers needs a number from 1 to 64, got '0'" },
                { "--workers=65", NULL },
                { "--workers=4x", NULL },
                { "--workers=", NULL },
                { "--workers=-1", NULL },
                { "--agent-timeout=0", NULL },
                { "--agent-timeout=301", NULL },
                { "--agent-timeout=forever", NULL },
                { "--interval=users", NULL },
                { "--interval=cpu=5", NULL },
                { "--interval=users=0", "--interval users needs seconds from 1 to 86400, got '0'" },
                { "--interval=users=99999999999999999999", NULL },
                { "--interval==5", NULL },
                { "--keep-replies=513", "--keep-replies needs MiB from 0 to 512, got '513'" },
                { "--keep-replies=-1", NULL },
                { "--keep-replies=1G", NULL },
                { "--keep-replies=", NULL },
        };
        for (size_t i = 0; i < sizeof bad_values / sizeof *bad_values; i++) {
                assert_int_equal(PARSE(&o, err, (char *) bad_values[i][0]), -EINVAL);
                assert_true(strlen(err) > 0);
                if (bad_values[i][1])
                        assert_string_equal(err, bad_values[i][1]);
        }

        /* a later good parse is not confused by an earlier bad one */
        assert_int_equal(PARSE(&o, err, "--user"), 1);
        assert_int_equal(o.bus, BUS_KIND_USER);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_flags),
                cmocka_unit_test(test_bad_usage),
        };
        return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
