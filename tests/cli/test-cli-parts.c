/* The client's pure parts: which exit status each bus error gives (access
 * denied included: a real denial needs the system bus policy and polkit, see
 * the system suite), terminal escaping, widths and formats. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <cmocka.h>

#include "address.h"
#include "bus-client.h"
#include "guestinfo-names.h"
#include "cli.h"
#include "output.h"
#include "vm-data.h"

static int code_for_name(const char *name) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_error_set(&e, name, "some message");
        int code = exit_code_for_error(r, &e);
        sd_bus_error_free(&e);
        return code;
}

static void test_exit_codes_by_error_name(void **state) {
        static const struct {
                const char *name;
                int code;
        } table[] = {
                { BUS_ERROR_NO_SUCH_DOMAIN, EXIT_NO_SUCH_VM },
                { "org.freedesktop.DBus.Error.UnknownObject", EXIT_NO_SUCH_VM },
                { BUS_ERROR_NO_AGENT, EXIT_NO_AGENT },
                { BUS_ERROR_AGENT_FAILED, EXIT_FAILED },
                /* the standard error the daemon gives for a bad argument */
                { "org.freedesktop.DBus.Error.InvalidArgs", EXIT_USAGE },
                { "org.freedesktop.DBus.Error.ServiceUnknown", EXIT_NOT_RUNNING },
                { "org.freedesktop.DBus.Error.NameHasNoOwner", EXIT_NOT_RUNNING },
                { "org.freedesktop.DBus.Error.Spawn.ChildExited", EXIT_NOT_RUNNING },
                { "org.freedesktop.systemd1.UnitMasked", EXIT_NOT_RUNNING },
                { "org.freedesktop.DBus.Error.Disconnected", EXIT_NOT_RUNNING },
                /* the bus policy, and the daemon's polkit refusal */
                { "org.freedesktop.DBus.Error.AccessDenied", EXIT_ACCESS_DENIED },
                { "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired", EXIT_ACCESS_DENIED },
                { "org.freedesktop.DBus.Error.AuthFailed", EXIT_ACCESS_DENIED },
                { "org.freedesktop.DBus.Error.NoReply", EXIT_TIMEOUT },
                { "org.freedesktop.DBus.Error.Timeout", EXIT_TIMEOUT },
                { "org.freedesktop.DBus.Error.Failed", EXIT_FAILED },
                { "org.example.Whatever", EXIT_FAILED },
        };
        for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
                int code = code_for_name(table[i].name);
                if (code != table[i].code)
                        fprintf(stderr, "%s: exit %d, expected %d\n", table[i].name, code, table[i].code);
                assert_int_equal(code, table[i].code);
        }
}

static void test_exit_codes_by_errno(void **state) {
        sd_bus_error e = SD_BUS_ERROR_NULL;

        /* no error name: sd-bus failing locally */
        assert_int_equal(exit_code_for_error(-ETIMEDOUT, NULL), EXIT_TIMEOUT);
        assert_int_equal(exit_code_for_error(-ECONNRESET, NULL), EXIT_NOT_RUNNING);
        assert_int_equal(exit_code_for_error(-ENOENT, NULL), EXIT_NOT_RUNNING);
        assert_int_equal(exit_code_for_error(-EACCES, NULL), EXIT_ACCESS_DENIED);
        assert_int_equal(exit_code_for_error(-ENOMEM, NULL), EXIT_FAILED);
        /* sd-bus's "System.Error.E..." wrapping an errno */
        assert_int_equal(exit_code_for_error(sd_bus_error_set_errno(&e, ECONNRESET), &e), EXIT_NOT_RUNNING);
        sd_bus_error_free(&e);
        assert_int_equal(exit_code_for_error(sd_bus_error_set_errno(&e, ETIMEDOUT), &e), EXIT_TIMEOUT);
        sd_bus_error_free(&e);
}

static void test_escape_keeps_the_terminal_safe(void **state) {
        char *s;

        s = text_escape("plain ünïcode");
        assert_string_equal(s, "plain ünïcode");
        free(s);
        /* ESC, BEL, newline, tab, DEL */
        s = text_escape("a\x1b]0;pwned\x07"
                        "b\nc\td\x7f");
        assert_string_equal(s, "a\\x1b]0;pwned\\x07b\\x0ac\\x09d\\x7f");
        free(s);
        /* C1 controls: U+009B is a CSI on some terminals */
        s = text_escape("x\xc2\x9b"
                        "31my");
        assert_string_equal(s, "x\\u009b31my");
        free(s);
        /* bidi controls and invisible characters: a hostname that shows as
         * another one on screen */
        s = text_escape("evil\xe2\x80\xaegpj.exe \xe2\x81\xa6x\xe2\x81\xa9 a\xe2\x80\x8b"
                        "b \xef\xbb\xbf"
                        "\xd8\x9c\xe2\x80\x8f\xe2\x81\xa0 t\xf3\xa0\x80\x81");
        assert_string_equal(s, "evil\\u202egpj.exe \\u2066x\\u2069 a\\u200bb \\ufeff\\u061c\\u200f\\u2060 "
                               "t\\U000e0001");
        free(s);
        /* letters of every length are kept */
        s = text_escape("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xe2\x82\xac \xf0\x9f\x98\x80");
        assert_string_equal(s, "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xe2\x82\xac \xf0\x9f\x98\x80");
        free(s);
}

/* An error line quoting what a daemon said (a domain name, a guest's
 * text): one line, nothing that drives the terminal or reorders text. */
static void test_error_line_is_safe_text(void **state) {
        char path[] = "/tmp/test-cli-parts.XXXXXX", line[512] = "";
        int fd = mkstemp(path), saved = dup(STDERR_FILENO);
        assert_true(fd >= 0 && saved >= 0);
        fflush(stderr);
        assert_true(dup2(fd, STDERR_FILENO) >= 0);
        assert_int_equal(cli_error(3, "No domain named '%s'.", "www.bank\xe2\x80\xaemoc\xc2\x9b\x1b[2J\nx\xe2\x80\x8b"),
                         3);
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        FILE *f = fdopen(fd, "r");
        rewind(f);
        assert_non_null(fgets(line, sizeof line, f));
        assert_null(fgets(line + strlen(line), (int) (sizeof line - strlen(line)), f)); /* one line */
        fclose(f);
        unlink(path);
        assert_string_equal(line, "guestinfoctl: No domain named 'www.bank\\u202emoc\\u009b [2J x\\u200b'.\n");
}

static void test_widths(void **state) {
        assert_int_equal(text_width(""), 0);
        assert_int_equal(text_width("abc"), 3);
        /* one column per character, whatever the bytes */
        assert_int_equal(text_width("ünï"), 3);
}

static void test_formats(void **state) {
        char buf[64];

        format_bytes(0, buf, sizeof buf);
        assert_string_equal(buf, "0 B");
        format_bytes(1023, buf, sizeof buf);
        assert_string_equal(buf, "1023 B");
        format_bytes(1536, buf, sizeof buf);
        assert_string_equal(buf, "1.5 KiB");
        format_bytes(16ULL * 1024 * 1024, buf, sizeof buf);
        assert_string_equal(buf, "16.0 MiB");
        format_bytes(3927900160ULL, buf, sizeof buf);
        assert_string_equal(buf, "3.7 GiB");

        setenv("TZ", "UTC", 1);
        format_time_usec(1700000000ULL * 1000000ULL, buf, sizeof buf);
        assert_string_equal(buf, "2023-11-14 22:13:20 UTC");
        format_utc_offset(32400, buf, sizeof buf);
        assert_string_equal(buf, "+09:00");
        format_utc_offset(-12600, buf, sizeof buf);
        assert_string_equal(buf, "-03:30");
        format_utc_offset(0, buf, sizeof buf);
        assert_string_equal(buf, "+00:00");

        json_t *t = json_time_usec(1700000000ULL * 1000000ULL + 500000);
        assert_string_equal(json_string_value(t), "2023-11-14T22:13:20Z");
        json_decref(t);
        t = json_time_usec(0);
        assert_true(json_is_null(t));
        json_decref(t);

        /* a guest's login time may be any number: only what a clock shows */
        assert_false(time_usec_is_shown(0));
        assert_true(time_usec_is_shown(1));
        assert_true(time_usec_is_shown(253402300799999999ULL)); /* 9999-12-31T23:59:59.999999Z */
        assert_false(time_usec_is_shown(253402300800000000ULL));
        assert_false(time_usec_is_shown(UINT64_MAX));
        t = json_time_usec(253402300799999999ULL);
        assert_string_equal(json_string_value(t), "9999-12-31T23:59:59Z");
        json_decref(t);
        t = json_time_usec(UINT64_MAX);
        assert_true(json_is_null(t));
        json_decref(t);
}

static char *address_dump(VmAddress a) {
        json_t *j = vm_address_json(&a);
        char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(j);
        return s;
}

static void test_addresses(void **state) {
        VmAddress v4 = { "ipv4", "10.0.2.15", 24 }, v6 = { "ipv6", "fe80::1", 64 }, bare = { "ipv4", "192.0.2.1", 0 },
                  future = { "ipx", "zz:1", 7 }, empty = { "ipv4", "", 0 };
        char *s;

        s = vm_address_text(&v4);
        assert_string_equal(s, "10.0.2.15/24");
        free(s);
        s = vm_address_text(&v6);
        assert_string_equal(s, "fe80::1/64");
        free(s);
        /* prefix 0: not known, so not shown */
        s = vm_address_text(&bare);
        assert_string_equal(s, "192.0.2.1");
        free(s);
        /* a family added later: shown as it is */
        s = vm_address_text(&future);
        assert_string_equal(s, "zz:1/7");
        free(s);

        s = address_dump(v4);
        assert_string_equal(s, "{\"address\":\"10.0.2.15\",\"family\":\"ipv4\",\"prefix\":24}");
        free(s);
        s = address_dump(bare);
        assert_string_equal(s, "{\"address\":\"192.0.2.1\",\"family\":\"ipv4\",\"prefix\":null}");
        free(s);
        s = address_dump(future);
        assert_string_equal(s, "{\"address\":\"zz:1\",\"family\":\"ipx\",\"prefix\":7}");
        free(s);

        assert_true(vm_address_is_ip(&v4));
        assert_true(vm_address_is_ip(&v6));
        assert_false(vm_address_is_ip(&future));
        assert_false(vm_address_is_ip(&empty));

        /* the list's IP: the first IPv4 or IPv6 address with text, in the
         * interfaces' order; of the summary's addresses without interfaces */
        VmAddress first[] = { future, empty }, second[] = { v6, v4 };
        VmInterface nics[] = { { .addresses = first, .n_addresses = 2 }, { .addresses = second, .n_addresses = 2 } };
        Vm vm = { .interfaces = nics, .n_interfaces = 2 };
        assert_ptr_equal(vm_primary_address(&vm), &second[0]);
        vm.n_interfaces = 1;
        assert_null(vm_primary_address(&vm));
        VmAddress summary[] = { future, bare };
        vm = (Vm){ .addresses = summary, .n_addresses = 2 };
        assert_ptr_equal(vm_primary_address(&vm), &summary[1]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exit_codes_by_error_name),
                cmocka_unit_test(test_exit_codes_by_errno),
                cmocka_unit_test(test_escape_keeps_the_terminal_safe),
                cmocka_unit_test(test_error_line_is_safe_text),
                cmocka_unit_test(test_widths),
                cmocka_unit_test(test_formats),
                cmocka_unit_test(test_addresses),
        };
        return cmocka_run_group_tests_name("cli: parts", tests, NULL, NULL);
}
