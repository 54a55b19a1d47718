/* End to end: events instead of waiting. Two real VMs, one with qemu-ga,
 * one without an agent; the daemon polls interfaces only every 300 s, so
 * only an event can explain a NIC seen within seconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest.h"
#include "harness.h"

#define BUS_NAME "org.guestinfod.GuestInfo1"
#define NETWORK_IFACE "org.guestinfod.GuestInfo1.Network"

#define AGENT_VM "ev-agent"
#define AGENT_UUID "93000000-0000-4000-8000-000000000001"
#define PLAIN_VM "ev-plain"
#define PLAIN_UUID "93000000-0000-4000-8000-000000000002"
#define NIC_MAC "52:54:00:ee:00:01"

static Harness H;
static char agent_path[256], plain_path[256], nic_xml[400];

static void set_path(char *buf, size_t size, const char *uuid) {
        char *p = NULL;
        harness_domain_path(uuid, &p);
        snprintf(buf, size, "%s", p);
        free(p);
}

static int group_setup(void **state) {
        char dir[512];

        assert_int_equal(harness_setup(&H), 0);
        snprintf(dir, sizeof dir, "%s/guest", H.dir);
        assert_int_equal(guest_build(&H, "guest.env", dir), 0);
        assert_int_equal(harness_start_libvirtd(&H, "qemu"), 0);
        assert_int_equal(guest_define(&H, AGENT_VM, AGENT_UUID, "guest.env", dir, true), 0);
        assert_int_equal(guest_define(&H, PLAIN_VM, PLAIN_UUID, "guest.env", dir, false), 0);
        set_path(agent_path, sizeof agent_path, AGENT_UUID);
        set_path(plain_path, sizeof plain_path, PLAIN_UUID);
        snprintf(nic_xml, sizeof nic_xml, "%s/nic.xml", H.dir);
        FILE *f = fopen(nic_xml, "we");
        assert_non_null(f);
        fprintf(f, "<interface type='user'><mac address='" NIC_MAC "'/><model type='virtio'/></interface>\n");
        fclose(f);

        /* only events, no polls, can explain what changes within seconds */
        assert_int_equal(harness_start_daemon(&H, H.uri, 60, "--interval=interfaces=300", "--interval=agent=300",
                                              "--interval=os=300", "--interval=hostname=300", "--interval=timezone=300",
                                              "--interval=users=300", "--interval=filesystems=300", "--log-level=debug",
                                              NULL),
                         0);
        setenv("DBUS_SESSION_BUS_ADDRESS", H.bus_address, 1);
        assert_int_equal(harness_virsh(&H, "start %s", AGENT_VM), 0);
        assert_int_equal(harness_virsh(&H, "start %s", PLAIN_VM), 0);
        assert_true(harness_wait_line(&H, "InterfacesAdded " AGENT_UUID " Filesystems(", 120000));
        return 0;
}

static int group_teardown(void **state) {
        int status = harness_stop_daemon(&H);
        harness_cleanup(&H);
        assert_int_equal(status, 0);
        return 0;
}

/* Interfaces of path as busctl prints it (malloc'ed). */
static char *interfaces(const char *path) {
        char *out = NULL;
        char *argv[] = {
                "busctl", "--user", "get-property", BUS_NAME, (char *) path, NETWORK_IFACE, "Interfaces", NULL
        };
        if (harness_run(argv, 10, &out) != 0) {
                free(out);
                return strdup("");
        }
        return out;
}

/* Waits until Interfaces of path shows (or no longer shows) needle;
 * returns the seconds it took, or -1 after timeout_s. */
static double wait_interfaces(const char *path, const char *needle, bool present, double timeout_s) {
        double t0 = harness_now();
        while (harness_now() - t0 < timeout_s) {
                char *s = interfaces(path);
                bool has = strstr(s, needle) != NULL;
                free(s);
                if (has == present)
                        return harness_now() - t0;
                harness_settle(&H, 100);
        }
        return -1;
}

static void plug_and_unplug(const char *vm, const char *path, bool agent) {
        double t0 = harness_now();
        assert_int_equal(harness_virsh(&H, "attach-device %s %s --live", vm, nic_xml), 0);
        double added = wait_interfaces(path, NIC_MAC, true, 10);
        printf("# %s: hot-plugged NIC in Interfaces after %.2f s\n", vm, added);
        assert_true(added >= 0);
        if (agent) {
                /* the agent's name for it: collected after the event, not polled */
                double named = wait_interfaces(path, "\"eth1\"", true, 20);
                printf("# %s: the guest's name for it (eth1) after %.2f s\n", vm, harness_now() - t0);
                assert_true(named >= 0);
        }
        assert_int_equal(harness_virsh(&H, "detach-device %s %s --live", vm, nic_xml), 0);
        double removed = wait_interfaces(path, NIC_MAC, false, 10);
        printf("# %s: unplugged NIC gone from Interfaces after %.2f s\n", vm, removed);
        assert_true(removed >= 0);
        if (agent)
                assert_true(wait_interfaces(path, "\"eth1\"", false, 10) >= 0);
}

static void test_nic_hotplug_with_agent(void **state) {
        plug_and_unplug(AGENT_VM, agent_path, true);
}

static void test_nic_hotplug_without_agent(void **state) {
        plug_and_unplug(PLAIN_VM, plain_path, false);
}

/* Collections of everything of the agent's VM in the daemon's debug log. */
static unsigned full_collections(void) {
        char line[4096];
        unsigned n = 0;
        FILE *f = fopen(H.daemon_log, "re");
        while (f && fgets(line, sizeof line, f))
                if (strstr(line, " (everything) from the agent of '" AGENT_VM "'"))
                        n++;
        if (f)
                fclose(f);
        return n;
}

static void test_reboot_collects_again_once_the_agent_is_back(void **state) {
        unsigned before = full_collections();
        harness_clear_lines(&H);
        double t0 = harness_now();
        assert_int_equal(harness_virsh(&H, "reboot %s --mode agent", AGENT_VM), 0);
        assert_true(harness_wait_line(&H, "InterfacesRemoved " AGENT_UUID, 30000));
        assert_true(harness_wait_line(&H, "InterfacesAdded " AGENT_UUID " Filesystems(", 90000));
        printf("# reboot: guest data published again after %.1f s\n", harness_now() - t0);
        /* and everything once more after the boot settled (the reboot
         * event's own doing: the agent's reconnection asks only once) */
        double deadline = harness_now() + 30;
        while (full_collections() < before + 2 && harness_now() < deadline)
                harness_settle(&H, 200);
        printf("# reboot: %u collections of everything after it\n", full_collections() - before);
        assert_true(full_collections() >= before + 2);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nic_hotplug_with_agent),
                cmocka_unit_test(test_nic_hotplug_without_agent),
                cmocka_unit_test(test_reboot_collects_again_once_the_agent_is_back),
        };
        return cmocka_run_group_tests_name("e2e: events", tests, group_setup, group_teardown);
}
