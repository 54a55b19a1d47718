/* guestinfoctl follows the clients' rule of the contract (the XML in dbus/,
 * Manager): it ignores the keys it does not know in every entry's trailing
 * a{sv}, properties and interfaces added later, and shows an address
 * family, a source or a domain state added later as it is, never failing.
 * A guestinfod of a later 1.x (tests/cli/future-daemon.c) serves the same
 * data twice, once with every a{sv} empty, as 1.0 sends it, once full of
 * keys of every type, nested containers among them: list, show and their
 * --json print the same bytes both times, and those bytes are right. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ctl.h"
#include "future-daemon.h"
#include "harness.h"

#define T 30 /* seconds any one guestinfoctl run may take */

static Harness H;

static int group_setup(void **state) {
        setenv("TZ", "UTC", 1);
        assert_int_equal(harness_setup(&H), 0);
        return 0;
}

static int group_teardown(void **state) {
        ctl_stop_all();
        harness_cleanup(&H);
        return 0;
}

/* guestinfoctl --user ARGS (up to three) against the daemon as options
 * say; it must succeed and say nothing on stderr. Returns its stdout. */
static char *run(FutureOptions options, bool tty, const char *a1, const char *a2, const char *a3) {
        FutureDaemon f;
        CtlResult r;

        assert_int_equal(future_daemon_start(&f, options), 0);
        int status = ctl_run(&r, tty, T, "--user", a1, a2, a3, NULL);
        future_daemon_stop(&f);
        if (status != 0 || r.err[0])
                fprintf(stderr, "guestinfoctl %s %s %s (extras: %d): exit %d\nstdout: %s\nstderr: %s\n", a1,
                        a2 ? a2 : "", a3 ? a3 : "", options.extras, status, r.out, r.err);
        assert_int_equal(status, 0);
        assert_string_equal(r.err, "");
        char *out = strdup(r.out);
        ctl_result_free(&r);
        return out;
}

/* The output with every a{sv} full equals the output with every a{sv}
 * empty, byte for byte; returns it. */
static char *same_with_extras(bool tty, const char *a1, const char *a2, const char *a3) {
        char *plain = run((FutureOptions){ .extras = false }, tty, a1, a2, a3);
        char *extras = run((FutureOptions){ .extras = true }, tty, a1, a2, a3);
        if (strcmp(plain, extras) != 0)
                fprintf(stderr, "%s %s %s, 1.0:\n%s\nwith fields added later:\n%s\n", a1, a2 ? a2 : "", a3 ? a3 : "",
                        plain, extras);
        assert_string_equal(plain, extras);
        free(extras);
        return plain;
}

static json_t *parse_json(const char *s) {
        json_error_t e;
        json_t *j = json_loads(s, 0, &e);
        if (!j)
                fprintf(stderr, "not JSON (%s): %s\n", e.text, s);
        assert_non_null(j);
        return j;
}

/* j as compact JSON with sorted keys, for exact comparisons. */
static void assert_json(json_t *j, const char *want) {
        char *got = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        assert_non_null(got);
        if (strcmp(got, want) != 0)
                fprintf(stderr, "JSON:\n%s\nwanted:\n%s\n", got, want);
        assert_string_equal(got, want);
        free(got);
}

static void test_list(void **state) {
        char *out = same_with_extras(false, "list", NULL, NULL);
        /* the state added later as it is; the IP: the first IPv4 or IPv6
         * address, not the one of a family added later before it */
        assert_string_equal(
                out, "future\tmigrating\tyes\tyes\tDebian GNU/Linux 12 (bookworm)\tfuture.example\t10.0.2.15/24\n"
                     "plain\tshutoff\tno\tno\t-\t-\t192.0.2.9/24\n");
        free(out);

        out = same_with_extras(true, "list", NULL, NULL);
        assert_string_equal(
                out, "NAME    STATE      AGENT  DATA  OS                              HOSTNAME        IP\n"
                     "future  migrating  yes    yes   Debian GNU/Linux 12 (bookworm)  future.example  10.0.2.15/24\n"
                     "plain   shutoff    no     no    -                               -               192.0.2.9/24\n");
        free(out);

        out = same_with_extras(false, "list", "--json", NULL);
        json_t *j = parse_json(out);
        assert_json(
                j,
                "[{\"address\":{\"address\":\"10.0.2.15\",\"family\":\"ipv4\",\"prefix\":24},"
                "\"agentConnected\":true,\"guestDataReason\":null,\"hostname\":\"future.example\",\"name\":\"future\","
                "\"osPrettyName\":\"Debian GNU/Linux 12 (bookworm)\",\"state\":\"migrating\","
                "\"uuid\":\"" FUTURE_UUID "\"},"
                "{\"address\":{\"address\":\"192.0.2.9\",\"family\":\"ipv4\",\"prefix\":24},"
                "\"agentConnected\":false,\"guestDataReason\":null,\"hostname\":null,\"name\":\"plain\","
                "\"osPrettyName\":null,"
                "\"state\":\"shutoff\",\"uuid\":\"" PLAIN_UUID "\"}]");
        json_decref(j);
        free(out);
}

/* From GetManagedObjects (no ListSummaries), where the added interface and
 * properties come too: the same list. */
static void test_list_from_managed_objects(void **state) {
        const char *args[] = { NULL, "--json" };
        for (size_t i = 0; i < 2; i++) {
                char *summaries = run((FutureOptions){ .extras = true }, false, "list", args[i], NULL);
                char *plain = run((FutureOptions){ .no_summaries = true }, false, "list", args[i], NULL);
                char *extras =
                        run((FutureOptions){ .extras = true, .no_summaries = true }, false, "list", args[i], NULL);
                assert_string_equal(plain, summaries);
                assert_string_equal(extras, summaries);
                free(summaries), free(plain), free(extras);
        }
}

static void test_show_text(void **state) {
        char *out = same_with_extras(false, "show", "future", NULL);
        assert_string_equal(
                out, "Domain\n"
                     "  Name:             future\n"
                     "  UUID:             " FUTURE_UUID "\n"
                     "  State:            migrating\n"
                     "  Id:               7\n"
                     "  Persistent:       yes\n"
                     "\n"
                     "Agent\n"
                     "  Connected:        yes\n"
                     "  Last transition:  2023-11-14 22:15:00 UTC\n"
                     "  Last probe:       2023-11-14 22:16:40 UTC\n"
                     "  Version:          9.9.9\n"
                     "  Commands:         2 (1 enabled)\n"
                     "\n"
                     "OS\n"
                     "  Pretty name:      Debian GNU/Linux 12 (bookworm)\n"
                     "  Name:             Debian GNU/Linux\n"
                     "  Id:               debian\n"
                     "  Version:          12 (bookworm)\n"
                     "  Version id:       12\n"
                     "  Kernel release:   6.1.0-18-amd64\n"
                     "  Kernel version:   #1 SMP Debian 6.1.76-1\n"
                     "  Machine:          x86_64\n"
                     "  Hostname:         future.example\n"
                     "  Timezone:         JST (UTC+09:00)\n"
                     "\n"
                     "Interfaces\n"
                     "  NAME  INTERFACE  MAC                IP ADDRESSES                    SOURCE\n"
                     "  net0  eth0       52:54:00:00:00:01  zz:1/7 10.0.2.15/24 fe80::1/64  domain, guest-agent\n"
                     "  -     docker0    02:42:00:00:00:01  172.17.0.1                      guest-agent, "
                     "hypervisor-probe\n"
                     "\n"
                     "Filesystems (1)\n"
                     "  MOUNT POINT  TYPE  DEVICE  USED     TOTAL    DISKS\n"
                     "  /            ext4  vda1    1.0 GiB  4.0 GiB  SER1 (virtio), - (scsi)\n"
                     "\n"
                     "Users (3)\n"
                     "  NAME   DOMAIN  LOGIN TIME\n"
                     "  alice  -       2023-11-14 22:13:20 UTC\n"
                     "  bob    CORP    -\n"
                     "  carol  -       -\n");
        free(out);

        out = same_with_extras(false, "show", "plain", NULL);
        assert_non_null(strstr(out, "\nNo guest data: the guest agent is not connected.\n\nInterfaces\n"
                                    "  NAME  INTERFACE  MAC                IP ADDRESSES  SOURCE\n"
                                    "  net0  -          52:54:00:00:00:02  192.0.2.9/24  domain\n"));
        free(out);
}

static void test_show_json(void **state) {
        char *out = same_with_extras(false, "show", "--json", "future");
        json_t *j = parse_json(out);
        assert_string_equal(json_string_value(json_object_get(j, "state")), "migrating");
        /* addresses of every family, as they are; prefix 0 is null */
        assert_json(json_object_get(j, "interfaces"),
                    "[{\"addresses\":[{\"address\":\"zz:1\",\"family\":\"ipx\",\"prefix\":7},"
                    "{\"address\":\"10.0.2.15\",\"family\":\"ipv4\",\"prefix\":24},"
                    "{\"address\":\"fe80::1\",\"family\":\"ipv6\",\"prefix\":64}],"
                    "\"interfaceName\":\"eth0\",\"mac\":\"52:54:00:00:00:01\",\"name\":\"net0\","
                    "\"sources\":[\"domain\",\"guest-agent\"]},"
                    "{\"addresses\":[{\"address\":\"172.17.0.1\",\"family\":\"ipv4\",\"prefix\":null}],"
                    "\"interfaceName\":\"docker0\",\"mac\":\"02:42:00:00:00:01\",\"name\":\"\","
                    "\"sources\":[\"guest-agent\",\"hypervisor-probe\"]}]");
        /* login times as the agent's times are: RFC 3339, null for 0 and
         * for a time no clock shows */
        assert_json(json_object_get(j, "users"),
                    "[{\"domain\":\"\",\"loginTime\":\"2023-11-14T22:13:20Z\",\"userName\":\"alice\"},"
                    "{\"domain\":\"CORP\",\"loginTime\":null,\"userName\":\"bob\"},"
                    "{\"domain\":\"\",\"loginTime\":null,\"userName\":\"carol\"}]");
        assert_int_equal(json_integer_value(json_object_get(j, "userCount")), 3);
        assert_json(json_object_get(j, "filesystems"),
                    "[{\"disk\":[{\"busType\":\"virtio\",\"serial\":\"SER1\"},{\"busType\":\"scsi\",\"serial\":\"\"}],"
                    "\"diskName\":\"vda1\",\"fileSystemType\":\"ext4\",\"mountPoint\":\"/\","
                    "\"totalBytes\":4294967296,\"usedBytes\":1073741824}]");
        assert_json(json_object_get(j, "os"),
                    "{\"id\":\"debian\",\"kernelRelease\":\"6.1.0-18-amd64\",\"kernelVersion\":\"#1 SMP Debian "
                    "6.1.76-1\",\"machine\":\"x86_64\",\"name\":\"Debian GNU/Linux\",\"prettyName\":\"Debian "
                    "GNU/Linux 12 (bookworm)\",\"variant\":\"\",\"variantId\":\"\",\"version\":\"12 (bookworm)\","
                    "\"versionId\":\"12\"}");
        assert_json(json_object_get(j, "agent"),
                    "{\"connected\":true,\"fsFreezeStatus\":null,\"lastProbeTime\":\"2023-11-14T22:16:40Z\","
                    "\"lastTransitionTime\":\"2023-11-14T22:15:00Z\",\"supportedCommands\":[{\"enabled\":true,"
                    "\"name\":\"guest-info\"},{\"enabled\":false,\"name\":\"guest-future-command\"}],"
                    "\"version\":\"9.9.9\"}");
        /* this guestinfod has no GuestDataStatus, GuestDataReason */
        assert_true(json_is_null(json_object_get(j, "guestData")));
        /* nothing else: what was added later is not shown */
        assert_true(json_is_null(json_object_get(j, "vcpus")));
        assert_true(json_is_null(json_object_get(j, "loadAverage")));
        assert_true(json_is_null(json_object_get(j, "disks")));
        assert_true(json_is_null(json_object_get(j, "diskCount")));
        assert_true(json_is_null(json_object_get(j, "clockOffsetSeconds")));
        assert_true(json_is_null(json_object_get(j, "counters")));
        assert_int_equal(json_object_size(j), 21);
        json_decref(j);
        free(out);
}

/* The first n lines of guestinfoctl --user watch [ARG] against the daemon,
 * without their time, in the order they came. */
static char *watch_lines(FutureOptions options, const char *arg, size_t n) {
        FutureDaemon f;
        CtlProcess p;
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);

        assert_int_equal(future_daemon_start(&f, options), 0);
        assert_int_equal(ctl_start(&p, "--user", "watch", arg, NULL), 0);
        for (size_t i = 0; i < n; i++) {
                char *line = ctl_next_line(&p, T * 1000);
                assert_non_null(line);
                /* "HH:MM:SS …" or {"time":"…","event":… */
                const char *rest = arg ? strstr(line, "\"event\":") : line + 9;
                assert_non_null(rest);
                fprintf(out, "%s\n", rest);
                free(line);
        }
        assert_int_equal(ctl_stop(&p, SIGTERM), 0);
        future_daemon_stop(&f);
        fclose(out);
        return text;
}

static void test_watch(void **state) {
        /* the text lines show the headline properties only: the same */
        char *plain = watch_lines((FutureOptions){ .extras = false }, NULL, 2);
        char *extras = watch_lines((FutureOptions){ .extras = true }, NULL, 2);
        const char *want = "future present State=migrating AgentConnected=yes "
                           "OperatingSystemPrettyName=\"Debian GNU/Linux 12 (bookworm)\" Hostname=future.example\n";
        assert_non_null(strstr(plain, want));
        assert_non_null(strstr(plain, "plain present State=shutoff AgentConnected=no\n"));
        assert_non_null(strstr(extras, want));
        assert_non_null(strstr(extras, "plain present State=shutoff AgentConnected=no\n"));
        free(plain), free(extras);

        /* --json: the properties as on the bus, what was added later too */
        extras = watch_lines((FutureOptions){ .extras = true }, "--json", 2);
        assert_non_null(strstr(extras, "\"Later\":{\"Anything\":{"));
        assert_non_null(strstr(extras, "\"nested\":{\"deep\":[[\"a\",\"b\"]],\"inner\":-3}"));
        assert_non_null(
                strstr(extras, "\"Interfaces\":[[\"net0\",\"eth0\",\"52:54:00:00:00:01\",[[\"ipx\",\"zz:1\",7],"));
        assert_non_null(strstr(extras, "\"OperatingSystemCodename\":\"bookworm\""));
        free(extras);
}

/* The daemon's InvalidArgs is the standard one now: still bad usage,
 * said in one line about the name. */
static void test_invalid_name(void **state) {
        FutureDaemon f;
        CtlResult r;
        char name[1101];

        memset(name, 'x', 1100);
        name[1100] = '\0';
        assert_int_equal(future_daemon_start(&f, (FutureOptions){ .extras = true }), 0);
        int status = ctl_run(&r, false, T, "--user", "show", name, NULL);
        future_daemon_stop(&f);
        if (status != 2)
                fprintf(stderr, "exit %d: %s\n", status, r.err);
        assert_int_equal(status, 2);
        assert_int_equal(ctl_count_lines(r.err), 1);
        assert_non_null(strstr(r.err, "guestinfoctl: Invalid VM name 'xxx"));
        assert_non_null(strstr(r.err, "': Domain name is longer than 1024 bytes.\n"));
        assert_string_equal(r.out, "");
        ctl_result_free(&r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_list),      cmocka_unit_test(test_list_from_managed_objects),
                cmocka_unit_test(test_show_text), cmocka_unit_test(test_show_json),
                cmocka_unit_test(test_watch),     cmocka_unit_test(test_invalid_name),
        };
        return cmocka_run_group_tests_name("cli: fields added later", tests, group_setup, group_teardown);
}
