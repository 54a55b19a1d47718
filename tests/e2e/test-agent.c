/* End to end: real tiny VMs running the real qemu-ga under a hand-started
 * libvirtd with the QEMU driver (TCG), guestinfod on a private bus.
 *
 * One scenario in order: boot, agent killed and back, daemon restarted, a VM
 * without an agent, destroy. Each step prints how long it took. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "guest.h"
#include "harness.h"

#define DOMAIN_IFACE "org.guestinfod.GuestInfo1.Domain"
#define AGENT_VM "e2e-agent"
#define AGENT_UUID "e2e00000-0000-4000-8000-000000000001"
#define PLAIN_VM "e2e-plain"
#define PLAIN_UUID "e2e00000-0000-4000-8000-000000000002"

static Harness H;
static char agent_path[256], plain_path[256];

static uint64_t realtime_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

static int group_setup(void **state) {
        char guest_dir[512], *path;

        assert_int_equal(harness_setup(&H), 0);

        snprintf(guest_dir, sizeof guest_dir, "%s/guest", H.dir);
        double t0 = harness_now();
        assert_int_equal(guest_build(&H, "guest.env", guest_dir), 0);
        printf("# guest built in %.1f s\n", harness_now() - t0);

        t0 = harness_now();
        assert_int_equal(harness_start_libvirtd(&H, "qemu"), 0);
        printf("# libvirtd (QEMU driver) up in %.1f s\n", harness_now() - t0);
        assert_int_equal(guest_define(&H, AGENT_VM, AGENT_UUID, "guest.env", guest_dir, true), 0);
        assert_int_equal(guest_define(&H, PLAIN_VM, PLAIN_UUID, "guest.env", guest_dir, false), 0);

        assert_int_equal(harness_start_daemon(&H, H.uri, 60, "--interval=users=1", "--interval=interfaces=1", NULL), 0);
        harness_domain_path(AGENT_UUID, &path);
        snprintf(agent_path, sizeof agent_path, "%s", path);
        free(path);
        harness_domain_path(PLAIN_UUID, &path);
        snprintf(plain_path, sizeof plain_path, "%s", path);
        free(path);
        return 0;
}

static int group_teardown(void **state) {
        int status = harness_stop_daemon(&H);
        harness_cleanup(&H);
        assert_int_equal(status, 0);
        return 0;
}

static int test_setup(void **state) {
        harness_settle(&H, 50);
        harness_clear_lines(&H);
        return 0;
}

static int test_teardown(void **state) {
        assert_true(harness_daemon_running(&H));
        return 0;
}

static bool agent_connected(const char *path) {
        int b = -1;
        assert_int_equal(harness_get_property(&H, path, DOMAIN_IFACE, "AgentConnected", 'b', &b), 0);
        return b;
}

static uint64_t property_t(const char *path, const char *name) {
        uint64_t t = 0;
        assert_int_equal(harness_get_property(&H, path, DOMAIN_IFACE, name, 't', &t), 0);
        return t;
}

static void test_boot_agent_connects(void **state) {
        char *s = NULL;

        assert_false(agent_connected(agent_path));
        assert_int_equal(property_t(agent_path, "AgentLastTransitionTime"), 0);

        double t0 = harness_now();
        uint64_t before = realtime_usec();
        assert_int_equal(harness_virsh(&H, "start %s", AGENT_VM), 0);
        assert_true(harness_wait_line(&H, "PropertiesChanged " AGENT_UUID " State=running", 30000));
        printf("# start to State=running: %.1f s\n", harness_now() - t0);
        assert_true(harness_wait_line(&H, "PropertiesChanged " AGENT_UUID " AgentConnected=true", 60000));
        printf("# start to AgentConnected=true: %.1f s\n", harness_now() - t0);

        assert_int_equal(harness_get_property(&H, agent_path, DOMAIN_IFACE, "State", 's', &s), 0);
        assert_string_equal(s, "running");
        free(s);
        assert_true(agent_connected(agent_path));
        uint64_t transition = property_t(agent_path, "AgentLastTransitionTime");
        assert_true(transition >= before);
        assert_true(transition <= realtime_usec());
        assert_true(property_t(agent_path, "AgentLastProbeTime") >= transition);
}

static void test_agent_killed_and_back(void **state) {
        uint64_t t1 = property_t(agent_path, "AgentLastTransitionTime");

        assert_true(agent_connected(agent_path));
        double t0 = harness_now();
        assert_int_equal(guest_kill_agent(&H, AGENT_VM), 0);

        assert_true(harness_wait_line(&H, "PropertiesChanged " AGENT_UUID " AgentConnected=false", 30000));
        printf("# agent killed: AgentConnected=false after %.1f s\n", harness_now() - t0);
        uint64_t t2 = property_t(agent_path, "AgentLastTransitionTime");
        assert_true(t2 > t1);

        assert_true(harness_wait_line(&H, "PropertiesChanged " AGENT_UUID " AgentConnected=true", 60000));
        printf("# agent restarted in the guest: AgentConnected=true after %.1f s\n", harness_now() - t0);
        uint64_t t3 = property_t(agent_path, "AgentLastTransitionTime");
        assert_true(t3 > t2);
        assert_true(agent_connected(agent_path));
}

static void test_daemon_restart_reads_live_xml(void **state) {
        assert_int_equal(harness_stop_daemon(&H), 0); /* exit status 0 */
        assert_int_equal(harness_start_daemon(&H, H.uri, 60, "--interval=users=1", "--interval=interfaces=1", NULL), 0);
        printf("# guestinfod restarted, ready in %.3f s\n", H.ready_seconds);
        /* no agent event fires for an agent that stays connected: the live XML says it */
        assert_true(agent_connected(agent_path));
        assert_true(property_t(agent_path, "AgentLastProbeTime") > 0);
}

static void test_vm_without_agent(void **state) {
        double t0 = harness_now();
        assert_int_equal(harness_virsh(&H, "start %s", PLAIN_VM), 0);
        assert_true(harness_wait_line(&H, "PropertiesChanged " PLAIN_UUID " State=running", 30000));
        /* long enough for an agent to have connected if there were one */
        harness_settle(&H, 15000);
        printf("# VM without agent: %.1f s running, never connected\n", harness_now() - t0);

        for (size_t i = 0; i < H.n_lines; i++)
                if (strstr(H.lines[i], PLAIN_UUID))
                        assert_null(strstr(H.lines[i], "Agent"));
        assert_false(agent_connected(plain_path));
        assert_int_equal(property_t(plain_path, "AgentLastTransitionTime"), 0);
        assert_int_equal(property_t(plain_path, "AgentLastProbeTime"), 0);
        /* no error, no noise: the daemon never even names it */
        assert_false(harness_daemon_log_contains(&H, PLAIN_VM));
        assert_int_equal(harness_virsh(&H, "destroy %s", PLAIN_VM), 0);
}

/* libvirtd crashes while the VM runs and collections are in flight (users
 * and interfaces are asked for every second here); a new libvirtd picks the
 * QEMU up again. */
static void test_libvirtd_killed_and_restarted(void **state) {
        uint32_t count_before = 0, count_after = 0;

        assert_true(agent_connected(agent_path));
        assert_int_equal(harness_get_property(&H, "/org/guestinfod/GuestInfo1", "org.guestinfod.GuestInfo1.Manager",
                                              "DomainCount", 'u', &count_before),
                         0);
        assert_int_equal(harness_kill_libvirtd(&H), 0);
        assert_true(harness_wait_line(&H, "PropertiesChanged manager Connected=false", 20000));

        double t0 = harness_now();
        setenv("LIBVIRTD_KEEP_STATE", "1", 1);
        int r = harness_start_libvirtd(&H, "qemu");
        unsetenv("LIBVIRTD_KEEP_STATE");
        assert_int_equal(r, 0);
        assert_true(harness_wait_line(&H, "PropertiesChanged manager Connected=true", 60000));
        printf("# libvirtd SIGKILLed and restarted: reconnected and re-synced in %.1f s\n", harness_now() - t0);
        harness_settle(&H, 1000);

        /* nothing added twice, nothing lost, the agent still connected */
        for (size_t i = 0; i < H.n_lines; i++)
                assert_null(strstr(H.lines[i], "InterfacesAdded " AGENT_UUID " Domain("));
        assert_int_equal(harness_get_property(&H, "/org/guestinfod/GuestInfo1", "org.guestinfod.GuestInfo1.Manager",
                                              "DomainCount", 'u', &count_after),
                         0);
        assert_int_equal(count_after, count_before);
        assert_true(agent_connected(agent_path));
        char *s = NULL;
        assert_int_equal(harness_get_property(&H, agent_path, DOMAIN_IFACE, "State", 's', &s), 0);
        assert_string_equal(s, "running");
        free(s);
}

static void test_destroy_clears_agent(void **state) {
        uint64_t before = realtime_usec();
        double t0 = harness_now();

        assert_true(agent_connected(agent_path));
        assert_int_equal(harness_virsh(&H, "destroy %s", AGENT_VM), 0);
        /* libvirt usually sends no agent event on destroy: the stopped state clears it */
        assert_true(harness_wait_line(&H, "PropertiesChanged " AGENT_UUID " State=shutoff", 30000));
        printf("# destroy to State=shutoff AgentConnected=false: %.3f s\n", harness_now() - t0);
        /* and AgentConnected=false is announced, in that signal or its own
         * (QEMU closing the channel may race the Stopped event) */
        assert_true(harness_wait_line(&H, "PropertiesChanged " AGENT_UUID, 1));
        assert_true(harness_wait_line(&H, "AgentConnected=false", 5000));
        assert_false(agent_connected(agent_path));
        assert_true(property_t(agent_path, "AgentLastTransitionTime") >= before);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_boot_agent_connects, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_agent_killed_and_back, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_daemon_restart_reads_live_xml, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_vm_without_agent, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_libvirtd_killed_and_restarted, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_destroy_clears_agent, test_setup, test_teardown),
        };
        return cmocka_run_group_tests_name("e2e: agent", tests, group_setup, group_teardown);
}
