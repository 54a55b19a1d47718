/* ListSummaries with guest data, which the test hypervisor cannot give (it
 * has no guest agent): the daemon's own bus code serves a model built the
 * way the daemon builds it (tests/helpers/fake-daemon.c) on a private bus.
 * ListSummaries must say, field by field, what GetManagedObjects and the
 * properties say. test-domains.c does the same against the real daemon and
 * libvirt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake-daemon.h"
#include "guestinfo-names.h"
#include "harness.h"
#include "summaries.h"

#define UUID(n) "a0000000-0000-4000-8000-00000000000" #n
#define NIC(mac, alias, ips)                                                                                           \
        "<interface type='network'><mac address='" mac "'/><source network='default'/>" ips "<alias name='" alias      \
        "'/></interface>"

static const char *const alpha_guest[] = {
        "os.id=debian",
        "os.pretty-name=Debian GNU/Linux 12 (bookworm)",
        "hostname=alpha.example",
        "if.count=3",
        "if.0.name=eth0",
        "if.0.hwaddr=52:54:00:aa:00:01",
        "if.0.addr.count=2",
        "if.0.addr.0.type=ipv6",
        "if.0.addr.0.addr=fe80::1",
        "if.0.addr.0.prefix=64",
        "if.0.addr.1.type=ipv4",
        "if.0.addr.1.addr=10.0.0.2",
        "if.0.addr.1.prefix=24",
        "if.1.name=lo",
        "if.1.hwaddr=00:00:00:00:00:00",
        "if.1.addr.count=1",
        "if.1.addr.0.type=ipv4",
        "if.1.addr.0.addr=127.0.0.1",
        "if.1.addr.0.prefix=8",
        "if.2.name=docker0",
        "if.2.hwaddr=02:42:00:00:00:01",
        "if.2.addr.count=1",
        "if.2.addr.0.type=ipv4",
        "if.2.addr.0.addr=172.17.0.1",
        "if.2.addr.0.prefix=16",
        NULL,
};
/* OS and hostname did not come (failed_kinds): exported, both "" */
static const char *const bravo_guest[] = { "if.count=0", NULL };
static const char *const charlie_guest[] = { "hostname=charlie", NULL };
static const char *const foxtrot_guest[] = {
        "os.pretty-name=Fedora Linux 40 (Server Edition)",
        "hostname=foxtrot",
        NULL,
};
/* A guest-only interface whose first address is empty (no prefix given). */
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
/* Invalid UTF-8, a noncharacter and a terminal escape, as a hostile guest
 * may send them: the model holds them sanitised, U+FFFD for the first two. */
static const char *const hotel_guest[] = {
        "os.pretty-name=Hotel \xef\xbf\xbf OS",
        "hostname=hotel\xff\x1b[31m",
        NULL,
};

static const FakeVm fleet[] = {
        { "alpha", UUID(1), DOMAIN_STATE_RUNNING, true,
          NIC("52:54:00:aa:00:01", "net0", "")
                  NIC("52:54:00:aa:00:02", "net1", "<ip address='192.0.2.50' prefix='24'/>"),
          alpha_guest, 0 },
        { "bravo", UUID(2), DOMAIN_STATE_RUNNING, true, NIC("52:54:00:bb:00:01", "net0", ""), bravo_guest,
          GUEST_KIND_OS | GUEST_KIND_HOSTNAME },
        { "charlie", UUID(3), DOMAIN_STATE_RUNNING, true, NULL, charlie_guest, GUEST_KIND_OS },
        /* agent connected, nothing collected yet */
        { "delta", UUID(4), DOMAIN_STATE_RUNNING, true, NIC("52:54:00:dd:00:01", "net0", ""), NULL, 0 },
        { "echo", UUID(5), DOMAIN_STATE_SHUTOFF, false,
          NIC("52:54:00:ee:00:01", "net0",
              "<ip address='2001:db8::5' family='ipv6' prefix='64'/><ip address='198.51.100.5' family='ipv4'/>"),
          NULL, 0 },
        /* paused: what was collected stays */
        { "foxtrot", UUID(6), DOMAIN_STATE_PAUSED, true, NULL, foxtrot_guest, 0 },
        { "golf", UUID(7), DOMAIN_STATE_RUNNING, true, NULL, golf_guest, 0 },
        { "hotel", UUID(8), DOMAIN_STATE_RUNNING, true, NULL, hotel_guest, 0 },
        { "\xc3\xad"
          "ndia",
          UUID(9), DOMAIN_STATE_SHUTOFF, false, NULL, NULL, 0 },
};

/* Sorted by line, i.e. by name; each ends with GuestDataReason. */
#define LINE(name, n, rest) name "|" UUID(n) "|" rest "\n"
// clang-format off
static const char expected[] =
        LINE("alpha", 1, "running|true|true|Debian GNU/Linux 12 (bookworm)|alpha.example|"
                         "[ipv4 10.0.0.2/24],[ipv6 fe80::1/64],[ipv4 192.0.2.50/24],[ipv4 172.17.0.1/16]|")
        LINE("bravo", 2, "running|true|true||||")
        LINE("charlie", 3, "running|true|true||charlie||")
        LINE("delta", 4, "running|true|false||||collecting")
        LINE("echo", 5, "shutoff|false|false|||[ipv4 198.51.100.5/0],[ipv6 2001:db8::5/64]|not-running")
        LINE("foxtrot", 6, "paused|true|true|Fedora Linux 40 (Server Edition)|foxtrot||paused")
        LINE("golf", 7, "running|true|true|Alpine Linux v3.20|golf|[ipv4 10.9.9.9/8]|")
        LINE("hotel", 8, "running|true|true|Hotel \xef\xbf\xbd OS|hotel\xef\xbf\xbd\x1b[31m||")
        LINE("\xc3\xad" "ndia", 9, "shutoff|false|false||||not-running");
// clang-format on

static Harness H;
static Manager *model;
static FakeDaemon server;

static int group_setup(void **state) {
        assert_int_equal(harness_setup(&H), 0);
        assert_int_equal(fake_model_new(fleet, sizeof fleet / sizeof *fleet, &model), 0);
        assert_int_equal(fake_daemon_start(&server, model, false), 0);
        return 0;
}

static int group_teardown(void **state) {
        fake_daemon_stop(&server);
        manager_free(model);
        harness_cleanup(&H);
        return 0;
}

/* golf's guest sent "" as its first address: the model keeps it (KubeVirt's
 * JSON shows it), Network.Interfaces leaves it out, as ListSummaries does;
 * the guest's interface is the only source. */
static void assert_golf_leaves_out_its_empty_address(void) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *name, *interface_name, *mac, *family, *address, *source;
        uint8_t prefix;
        char *path = NULL;

        harness_domain_path(UUID(7), &path);
        assert_true(sd_bus_get_property(H.bus, BUS_NAME, path, NETWORK_INTERFACE, "Interfaces", &error, &reply,
                                        "a" INTERFACE_SIGNATURE) >= 0);
        assert_int_equal(sd_bus_message_enter_container(reply, 'a', INTERFACE_SIGNATURE), 1);
        assert_int_equal(sd_bus_message_enter_container(reply, 'r', INTERFACE_FIELDS), 1);
        assert_int_equal(sd_bus_message_read(reply, "sss", &name, &interface_name, &mac), 1);
        assert_string_equal(name, "");
        assert_string_equal(interface_name, "eth0");
        assert_string_equal(mac, "52:54:00:99:00:01");
        assert_int_equal(sd_bus_message_read(reply, "a" ADDRESS_SIGNATURE, 1, &family, &address, &prefix), 1);
        assert_string_equal(family, "ipv4");
        assert_string_equal(address, "10.9.9.9");
        assert_int_equal(prefix, 8);
        assert_int_equal(sd_bus_message_read(reply, "as", 1, &source), 1);
        assert_string_equal(source, "guest-agent");
        assert_int_equal(sd_bus_message_read(reply, "a{sv}", 0), 1);
        assert_int_equal(sd_bus_message_exit_container(reply), 1);
        assert_int_equal(sd_bus_message_at_end(reply, false), 1);
        sd_bus_message_unref(reply);
        free(path);
}

static void test_summaries_with_guest_data_match_properties(void **state) {
        size_t n_summaries = 0, n_objects = 0;
        char *summaries = summaries_text(H.bus, &n_summaries), *objects = managed_objects_text(H.bus, &n_objects);

        assert_int_equal(n_summaries, sizeof fleet / sizeof *fleet);
        assert_int_equal(n_objects, sizeof fleet / sizeof *fleet);
        assert_string_equal(summaries, objects);
        assert_string_equal(summaries, expected);
        assert_golf_leaves_out_its_empty_address();
        /* and property by property */
        for (size_t i = 0; i < sizeof fleet / sizeof *fleet; i++) {
                char *line = properties_line(H.bus, fleet[i].uuid);
                char *hit = strstr(summaries, line);
                if (!hit)
                        fprintf(stderr, "not in ListSummaries: %s\n", line);
                assert_non_null(hit);
                assert_true(hit == summaries || hit[-1] == '\n');
                assert_int_equal(hit[strlen(line)], '\n');
                free(line);
        }
        free(summaries);
        free(objects);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_summaries_with_guest_data_match_properties),
        };
        return cmocka_run_group_tests_name("bus: ListSummaries with guest data", tests, group_setup, group_teardown);
}
