/* guestinfoctl list reads one ListSummaries call, and prints exactly what it
 * prints from GetManagedObjects, which it still reads from an older
 * guestinfod (no ListSummaries). guestinfoctl watch, when GetManagedObjects
 * answers LimitsExceeded (a fleet too big for one bus message), shows the
 * same from ListDomains() and each object's GetAll; list, when
 * ListSummaries does, says why it cannot. With guest data, which the test hypervisor
 * cannot give: the daemon's own bus code serves a model built the way the
 * daemon builds it (tests/helpers/fake-daemon.c) on a private bus, once as
 * it is and once as an older guestinfod; the real guestinfoctl runs against
 * both. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>

#include <cmocka.h>

#include "ctl.h"
#include "fake-daemon.h"
#include "guestinfo-names.h"
#include "harness.h"

#define T 30 /* seconds any one guestinfoctl run may take */
#define UUID(n) "b0000000-0000-4000-8000-00000000000" #n
#define NIC(mac, ips) "<interface type='network'><mac address='" mac "'/><source network='default'/>" ips "</interface>"

static const char *const alpha_guest[] = {
        "os.pretty-name=Debian GNU/Linux 12 (bookworm)",
        "hostname=alpha.example",
        "if.count=2",
        "if.0.name=eth0",
        "if.0.hwaddr=52:54:00:aa:00:01",
        "if.0.addr.count=2",
        "if.0.addr.0.type=ipv6",
        "if.0.addr.0.addr=fe80::1",
        "if.0.addr.0.prefix=64",
        "if.0.addr.1.type=ipv4",
        "if.0.addr.1.addr=10.0.0.2",
        "if.0.addr.1.prefix=24",
        "if.1.name=docker0",
        "if.1.hwaddr=02:42:00:00:00:01",
        "if.1.addr.count=1",
        "if.1.addr.0.type=ipv4",
        "if.1.addr.0.addr=172.17.0.1",
        "if.1.addr.0.prefix=16",
        NULL,
};
static const char *const charlie_guest[] = { "hostname=charlie", NULL };
static const char *const foxtrot_guest[] = {
        "os.pretty-name=Fedora Linux 40 (Server Edition)",
        "hostname=foxtrot",
        NULL,
};
static const char *const hotel_guest[] = {
        "os.pretty-name=Hotel \xef\xbf\xbf OS",
        "hostname=hotel\xff\x1b[31m",
        NULL,
};
/* OS and hostname did not come: exported, both "" */
static const char *const bravo_guest[] = { "if.count=0", NULL };
/* the first address of its only interface is "": the next one is the IP */
static const char *const golf_guest[] = {
        "os.pretty-name=Alpine Linux v3.20",
        "hostname=golf",
        "if.count=1",
        "if.0.name=eth0",
        "if.0.hwaddr=52:54:00:99:00:01",
        "if.0.addr.count=2",
        "if.0.addr.0.type=ipv4",
        "if.0.addr.0.addr=",
        "if.0.addr.1.type=ipv4",
        "if.0.addr.1.addr=10.9.9.9",
        "if.0.addr.1.prefix=8",
        NULL,
};

static const FakeVm fleet[] = {
        { "alpha", UUID(1), DOMAIN_STATE_RUNNING, true,
          NIC("52:54:00:aa:00:01", "") NIC("52:54:00:aa:00:02", "<ip address='192.0.2.50' prefix='24'/>"), alpha_guest,
          0 },
        /* the OS interface without a name or hostname: JSON says "" */
        { "bravo", UUID(2), DOMAIN_STATE_RUNNING, true, NIC("52:54:00:bb:00:01", ""), bravo_guest,
          GUEST_KIND_OS | GUEST_KIND_HOSTNAME },
        { "charlie", UUID(3), DOMAIN_STATE_RUNNING, true, NULL, charlie_guest, GUEST_KIND_OS },
        /* agent connected, no guest data yet: JSON says null */
        { "delta", UUID(4), DOMAIN_STATE_RUNNING, true, NULL, NULL, 0 },
        { "echo", UUID(5), DOMAIN_STATE_SHUTOFF, false,
          NIC("52:54:00:ee:00:01",
              "<ip address='2001:db8::5' family='ipv6' prefix='64'/><ip address='198.51.100.5' family='ipv4'/>"),
          NULL, 0 },
        { "foxtrot", UUID(6), DOMAIN_STATE_PAUSED, true, NULL, foxtrot_guest, 0 },
        /* its first NIC's addresses: "", 10.9.9.9/8 (the agent's IPv4
         * replacing the XML's); its second's: 192.0.2.77 */
        { "golf", UUID(7), DOMAIN_STATE_RUNNING, true,
          NIC("52:54:00:99:00:01", "<ip address='192.0.2.99'/>") NIC("52:54:00:77:00:01", "<ip address='192.0.2.77'/>"),
          golf_guest, 0 },
        { "hotel", UUID(8), DOMAIN_STATE_RUNNING, true, NIC("52:54:00:88:00:01", ""), hotel_guest, 0 },
        { "\xc3\xad"
          "ndia",
          UUID(9), DOMAIN_STATE_SHUTOFF, false, NULL, NULL, 0 },
};

static Harness H;

static int group_setup(void **state) {
        assert_int_equal(harness_setup(&H), 0);
        return 0;
}

static int group_teardown(void **state) {
        harness_cleanup(&H);
        return 0;
}

typedef struct Run {
        CtlResult result;
        unsigned list_summaries, get_managed_objects; /* calls the daemon saw */
} Run;

/* guestinfoctl --user list ARGS (up to two) against the model, served as
 * guestinfod does it now (old: false) or did before ListSummaries. */
static void run_list(Manager *m, bool old, bool tty, const char *arg1, const char *arg2, Run *run) {
        FakeDaemon f;
        assert_int_equal(fake_daemon_start(&f, m, old), 0);
        int status = ctl_run(&run->result, tty, T, "--user", "list", arg1, arg2, NULL);
        run->list_summaries = atomic_load(&f.list_summaries_calls);
        run->get_managed_objects = atomic_load(&f.get_managed_objects_calls);
        fake_daemon_stop(&f);
        if (status != 0 || run->result.err[0])
                fprintf(stderr, "guestinfoctl list %s %s: exit %d, stderr: %s\n", arg1 ? arg1 : "", arg2 ? arg2 : "",
                        status, run->result.err);
        assert_int_equal(status, 0);
        assert_string_equal(run->result.err, "");
}

/* The output now equals the output from an older guestinfod byte for
 * byte; now it took one ListSummaries and nothing else. Returns the output. */
static char *same_as_before(Manager *m, bool tty, const char *arg) {
        Run now, before;

        run_list(m, false, tty, arg, NULL, &now);
        run_list(m, true, tty, arg, NULL, &before);
        if (strcmp(now.result.out, before.result.out) != 0)
                fprintf(stderr, "list %s%s, now:\n%s\nbefore ListSummaries:\n%s\n", arg ? arg : "",
                        tty ? " (terminal)" : "", now.result.out, before.result.out);
        assert_string_equal(now.result.out, before.result.out);
        assert_int_equal(now.list_summaries, 1);
        assert_int_equal(now.get_managed_objects, 0);
        /* the older one answered UnknownMethod, and was read as before */
        assert_int_equal(before.list_summaries, 1);
        assert_int_equal(before.get_managed_objects, 1);

        char *out = strdup(now.result.out);
        ctl_result_free(&now.result);
        ctl_result_free(&before.result);
        return out;
}

static void test_older_daemon_answers_unknown_method(void **state) {
        Manager *m = NULL;
        FakeDaemon f;
        sd_bus_error error = SD_BUS_ERROR_NULL;

        assert_int_equal(fake_model_new(fleet, 1, &m), 0);
        assert_int_equal(fake_daemon_start(&f, m, true), 0);
        int r = sd_bus_call_method(H.bus, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, METHOD_LIST_SUMMARIES, &error,
                                   NULL, "");
        fake_daemon_stop(&f);
        assert_true(r < 0);
        assert_string_equal(error.name, SD_BUS_ERROR_UNKNOWN_METHOD);
        sd_bus_error_free(&error);
        manager_free(m);
}

static void test_list_from_summaries(void **state) {
        Manager *m = NULL;
        char *out;

        assert_int_equal(fake_model_new(fleet, sizeof fleet / sizeof *fleet, &m), 0);

        out = same_as_before(m, false, NULL);
        /* the first non-empty address of the interfaces, in order: the
         * guest's IPv4 before its IPv6, golf's second address; "" guest data
         * shows as "-"; escaped; DATA: yes, or GuestDataReason */
        assert_string_equal(out,
                            "alpha\trunning\tyes\tyes\tDebian GNU/Linux 12 (bookworm)\talpha.example\t10.0.0.2/24\n"
                            "bravo\trunning\tyes\tyes\t-\t-\t-\n"
                            "charlie\trunning\tyes\tyes\t-\tcharlie\t-\n"
                            "delta\trunning\tyes\tcollecting\t-\t-\t-\n"
                            "echo\tshutoff\tno\tnot-running\t-\t-\t198.51.100.5\n"
                            "foxtrot\tpaused\tyes\tpaused\tFedora Linux 40 (Server Edition)\tfoxtrot\t-\n"
                            "golf\trunning\tyes\tyes\tAlpine Linux v3.20\tgolf\t10.9.9.9/8\n"
                            "hotel\trunning\tyes\tyes\tHotel \xef\xbf\xbd OS\thotel\xef\xbf\xbd\\x1b[31m\t-\n"
                            "\xc3\xad"
                            "ndia\tshutoff\tno\tnot-running\t-\t-\t-\n");
        free(out);

        out = same_as_before(m, true, NULL);
        /* widths in columns: U+FFFD is one, the escaped ESC four */
        assert_string_equal(
                out,
                "NAME     STATE    AGENT  DATA         OS                                HOSTNAME        IP\n"
                "alpha    running  yes    yes          Debian GNU/Linux 12 (bookworm)    alpha.example   10.0.0.2/24\n"
                "bravo    running  yes    yes          -                                 -               -\n"
                "charlie  running  yes    yes          -                                 charlie         -\n"
                "delta    running  yes    collecting   -                                 -               -\n"
                "echo     shutoff  no     not-running  -                                 -               198.51.100.5\n"
                "foxtrot  paused   yes    paused       Fedora Linux 40 (Server Edition)  foxtrot         -\n"
                "golf     running  yes    yes          Alpine Linux v3.20                golf            10.9.9.9/8\n"
                "hotel    running  yes    yes          Hotel \xef\xbf\xbd OS                        "
                "hotel\xef\xbf\xbd\\x1b[31m  -\n"
                "\xc3\xad"
                "ndia    shutoff  no     not-running  -                                 -               -\n");
        free(out);

        out = same_as_before(m, false, "--json");
        /* charlie's OS is there, without a name: "", not null */
        assert_non_null(strstr(out, "\"name\": \"charlie\""));
        assert_non_null(strstr(out, "\"osPrettyName\": \"\",\n    \"hostname\": \"charlie\""));
        /* the address as its parts; a prefix not known is null */
        assert_non_null(strstr(out, "\"osPrettyName\": null,\n    \"hostname\": null,\n    \"address\": {\n"
                                    "      \"family\": \"ipv4\",\n      \"address\": \"198.51.100.5\",\n"
                                    "      \"prefix\": null\n    }"));
        /* bravo's OS is there without a name or hostname, delta's is not */
        assert_non_null(strstr(out, "\"name\": \"bravo\",\n    \"uuid\": \"" UUID(
                                            2) "\",\n    \"state\": \"running\",\n"
                                               "    \"agentConnected\": true,\n    \"guestDataReason\": \"\",\n"
                                               "    \"osPrettyName\": \"\",\n    \"hostname\": \"\""));
        assert_non_null(strstr(out,
                               "\"name\": \"delta\",\n    \"uuid\": \"" UUID(
                                       4) "\",\n    \"state\": \"running\",\n"
                                          "    \"agentConnected\": true,\n    \"guestDataReason\": \"collecting\",\n"
                                          "    \"osPrettyName\": null,\n    \"hostname\": null"));
        assert_non_null(strstr(out, "\"hostname\": \"golf\",\n    \"address\": {\n      \"family\": \"ipv4\",\n"
                                    "      \"address\": \"10.9.9.9\",\n      \"prefix\": 8\n    }"));
        /* no address: null */
        assert_non_null(strstr(out, "\"hostname\": \"foxtrot\",\n    \"address\": null"));
        free(out);

        out = same_as_before(m, false, "--names");
        assert_string_equal(out, "alpha\nbravo\ncharlie\ndelta\necho\nfoxtrot\ngolf\nhotel\n\xc3\xad"
                                 "ndia\n");
        free(out);

        manager_free(m);
}

/* ---- a fleet too big for one bus message ---- */

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

typedef struct WatchRun {
        char *present; /* the "present" lines, without their time, sorted */
        unsigned get_managed_objects, list_domains, get_all;
} WatchRun;

/* guestinfoctl --user watch [--json] [vm] against the model, the daemon
 * refusing the calls in refuse: its first n lines, then nothing more for a
 * while; it ends cleanly on SIGTERM. */
static void run_watch(Manager *m, unsigned refuse, bool json, const char *vm, size_t n, WatchRun *run) {
        FakeDaemon f;
        CtlProcess p;
        char **lines = calloc(n, sizeof *lines), *extra;
        size_t len = 0;
        FILE *out;

        assert_int_equal(fake_daemon_start(&f, m, false), 0);
        atomic_store(&f.refuse, refuse);
        if (json)
                assert_int_equal(ctl_start(&p, "--user", "watch", "--json", vm, NULL), 0);
        else
                assert_int_equal(ctl_start(&p, "--user", "watch", vm, NULL), 0);
        for (size_t i = 0; i < n; i++) {
                lines[i] = ctl_next_line(&p, T * 1000);
                if (!lines[i])
                        fprintf(stderr, "watch: line %zu of %zu did not come\n", i + 1, n);
                assert_non_null(lines[i]);
        }
        extra = ctl_next_line(&p, 500);
        if (extra)
                fprintf(stderr, "watch: one line too many: %s\n", extra);
        assert_null(extra);
        assert_int_equal(ctl_stop(&p, SIGTERM), 0);
        run->get_managed_objects = atomic_load(&f.get_managed_objects_calls);
        run->list_domains = atomic_load(&f.list_domains_calls);
        run->get_all = atomic_load(&f.get_all_calls);
        fake_daemon_stop(&f);

        /* JSON: {"time":"…","event":…; text: "HH:MM:SS vm event …" */
        out = open_memstream(&run->present, &len);
        for (size_t i = 0; i < n; i++) {
                char *rest = json ? strstr(lines[i], "\"event\":") : lines[i] + 9;
                assert_non_null(rest);
                assert_non_null(strstr(lines[i], json ? "\"event\":\"present\"" : " present"));
                memmove(lines[i], rest, strlen(rest) + 1);
        }
        qsort(lines, n, sizeof *lines, compare_strings);
        for (size_t i = 0; i < n; i++) {
                fprintf(out, "%s\n", lines[i]);
                free(lines[i]);
        }
        fclose(out);
        free(lines);
}

static void test_watch_reads_objects_when_the_tree_is_too_big(void **state) {
        const size_t n = sizeof fleet / sizeof *fleet;
        Manager *m = NULL;

        assert_int_equal(fake_model_new(fleet, n, &m), 0);
        for (int json = 0; json < 2; json++) {
                WatchRun whole = {}, by_object = {};
                run_watch(m, 0, json, NULL, n, &whole);
                run_watch(m, FAKE_REFUSE_GET_MANAGED_OBJECTS, json, NULL, n, &by_object);
                if (strcmp(whole.present, by_object.present) != 0)
                        fprintf(stderr, "from GetManagedObjects:\n%s\nobject by object:\n%s\n", whole.present,
                                by_object.present);
                /* the same lines, guest data and all */
                assert_string_equal(whole.present, by_object.present);
                assert_non_null(strstr(by_object.present,
                                       json ? "\"OperatingSystemPrettyName\":\"Debian GNU/Linux 12 (bookworm)\""
                                            : "OperatingSystemPrettyName=\"Debian GNU/Linux 12 (bookworm)\""));
                assert_int_equal(whole.get_managed_objects, 1);
                assert_int_equal(whole.get_all, 0);
                /* refused once, then the list and every interface of every VM */
                assert_int_equal(by_object.get_managed_objects, 1);
                assert_int_equal(by_object.list_domains, 1);
                assert_int_equal(by_object.get_all, n * 5);
                free(whole.present);
                free(by_object.present);
        }

        /* one VM: its object alone */
        WatchRun whole = {}, by_object = {};
        run_watch(m, 0, true, "golf", 1, &whole);
        run_watch(m, FAKE_REFUSE_GET_MANAGED_OBJECTS, true, "golf", 1, &by_object);
        assert_string_equal(whole.present, by_object.present);
        assert_non_null(strstr(by_object.present, "\"vm\":\"golf\""));
        assert_int_equal(by_object.list_domains, 0);
        assert_int_equal(by_object.get_all, 5);
        free(whole.present);
        free(by_object.present);
        manager_free(m);
}

/* A change that comes while the objects are read follows every "present"
 * line: the signal comes before the object's properties, and waits. */
static void test_watch_changes_while_reading_objects(void **state) {
        const size_t n = sizeof fleet / sizeof *fleet;
        Manager *m = NULL;
        FakeDaemon f;
        CtlProcess p;

        assert_int_equal(fake_model_new(fleet, n, &m), 0);
        assert_int_equal(fake_daemon_start(&f, m, false), 0);
        atomic_store(&f.refuse, FAKE_REFUSE_GET_MANAGED_OBJECTS | FAKE_CHANGE_BEFORE_GET_ALL);
        assert_int_equal(ctl_start(&p, "--user", "watch", "--json", NULL), 0);
        for (size_t i = 0; i < 2 * n; i++) {
                char *line = ctl_next_line(&p, T * 1000);
                if (!line || !strstr(line, i < n ? "\"event\":\"present\"" : "\"event\":\"changed\""))
                        fprintf(stderr, "watch: line %zu: %s\n", i + 1, line ? line : "(none)");
                assert_non_null(line);
                assert_non_null(strstr(line, i < n ? "\"event\":\"present\"" : "\"event\":\"changed\""));
                if (i >= n) {
                        /* with the VM's name: it was shown before */
                        assert_non_null(strstr(line, "\"vm\":\""));
                        assert_non_null(strstr(line, "\"interface\":\"Domain\",\"properties\":{\"State\":"));
                }
                free(line);
        }
        assert_int_equal(ctl_stop(&p, SIGTERM), 0);
        fake_daemon_stop(&f);
        manager_free(m);
}

/* guestinfoctl ARGS against the model, the daemon refusing refuse: exit 1
 * and one line saying the fleet is too big. */
static void assert_too_big(Manager *m, bool old, unsigned refuse, const char *command, const char *what) {
        FakeDaemon f;
        CtlResult res;

        assert_int_equal(fake_daemon_start(&f, m, old), 0);
        atomic_store(&f.refuse, refuse);
        int status = ctl_run(&res, false, T, "--user", command, NULL);
        fake_daemon_stop(&f);
        if (status != 1)
                fprintf(stderr, "%s: exit %d, stderr: %s\n", command, status, res.err);
        assert_int_equal(status, 1);
        assert_int_equal(ctl_count_lines(res.err), 1);
        assert_non_null(strstr(res.err, "Too many VMs on "));
        assert_non_null(strstr(res.err, what));
        assert_non_null(strstr(res.err, "would not fit in one bus message"));
        ctl_result_free(&res);
}

static void test_too_big_to_list(void **state) {
        Manager *m = NULL;

        assert_int_equal(fake_model_new(fleet, 3, &m), 0);
        assert_too_big(m, false, FAKE_REFUSE_LIST_SUMMARIES, "list", "to be listed");
        /* an older guestinfod, read with GetManagedObjects */
        assert_too_big(m, true, FAKE_REFUSE_GET_MANAGED_OBJECTS, "list", "to be listed");
        assert_too_big(m, false, FAKE_REFUSE_GET_MANAGED_OBJECTS | FAKE_REFUSE_LIST_DOMAINS, "watch", "to be watched");
        manager_free(m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_older_daemon_answers_unknown_method),
                cmocka_unit_test(test_list_from_summaries),
                cmocka_unit_test(test_watch_reads_objects_when_the_tree_is_too_big),
                cmocka_unit_test(test_watch_changes_while_reading_objects),
                cmocka_unit_test(test_too_big_to_list),
        };
        return cmocka_run_group_tests_name("cli: list from ListSummaries, watch of a big fleet", tests, group_setup,
                                           group_teardown);
}
