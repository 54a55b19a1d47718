/* Events instead of waiting: which kinds of guest data a device added or
 * removed, a reboot and an agent's connection ask for, and when. The model
 * is driven with the messages the session sends (no libvirt, no pool:
 * submissions show as collecting/kinds, times as due_usec). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "device-events.h"
#include "domain-devices.h"
#include "helpers.h"
#include "ip-address.h"
#include "manager.h"

#define UUID_A "00000000-0000-0000-0000-00000000000a"
#define IF_INDEX 6 /* GUEST_KIND_INTERFACES */
#define SEC 1000000ULL

static Manager *current;
static DomainProperties changed_props;
static int exported_calls;

static void on_changed(Manager *m, Domain *d, DomainProperties props, void *u) {
        changed_props |= props;
}

static void on_exported(Manager *m, Domain *d, bool exported, void *u) {
        exported_calls += exported ? 1 : -1;
}

static const ManagerHooks hooks = {
        .domain_changed = on_changed,
        .domain_guest_exported = on_exported,
};

/* The domain's XML as the session reads it: one NIC per MAC given. */
static DomainDevices *devices(const char *mac1, const char *mac2) {
        char xml[1024];
        int k = snprintf(xml, sizeof xml, "<domain><devices>");
        const char *macs[] = { mac1, mac2 };
        for (int i = 0; i < 2; i++)
                if (macs[i])
                        k += snprintf(xml + k, sizeof xml - k,
                                      "<interface type='user'><mac address='%s'/><alias name='net%d'/></interface>",
                                      macs[i], i);
        snprintf(xml + k, sizeof xml - k, "</devices></domain>");
        DomainDevices *d = NULL;
        assert_int_equal(domain_devices_parse_xml(xml, strlen(xml), &d), 0);
        return d;
}

static VirtMsg *domain_msg(VirtMsgType type, AgentState agent, DomainDevices *devs) {
        VirtMsg *m = virt_msg_new(type);
        snprintf(m->domain.uuid, sizeof m->domain.uuid, "%s", UUID_A);
        m->domain.name = strdup("vm");
        m->domain.state = DOMAIN_STATE_RUNNING;
        m->domain.id = 1;
        m->domain.agent = agent;
        m->domain.agent_probe_usec = 1;
        m->domain.devices = devs;
        return m;
}

static VirtMsg *device_msg(const char *alias, bool added, AgentState agent, DomainDevices *devs) {
        VirtMsg *m = domain_msg(VIRT_MSG_DEVICE_EVENT, agent, devs);
        snprintf(m->device.alias, sizeof m->device.alias, "%s", alias);
        m->device.added = added;
        return m;
}

static void agent_event(Manager *m, AgentState agent) {
        VirtMsg *e = virt_msg_new(VIRT_MSG_AGENT_EVENT);
        snprintf(e->domain.uuid, sizeof e->domain.uuid, "%s", UUID_A);
        e->domain.agent = agent;
        e->domain.agent_probe_usec = 2;
        manager_apply(m, e);
}

static Domain *dom(void) {
        Domain *d = manager_get_domain(current, UUID_A);
        assert_non_null(d);
        return d;
}

/* The answer to the collection in flight; the guest's only interface has
 * the given addresses (NULL-terminated, IPv4 first: n_ipv4 of them). */
static void answer(const char *const *addresses, size_t n_ipv4) {
        Domain *d = dom();
        unsigned kinds = d->collect.kinds;
        VirtMsg *m = virt_msg_new(VIRT_MSG_GUEST_DATA);
        snprintf(m->domain.uuid, sizeof m->domain.uuid, "%s", UUID_A);
        m->data.job = d->collect.job;
        m->data.kinds_requested = kinds;
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (kinds & guest_kinds[i].kind)
                        m->data.outcome[i] = KIND_OUTCOME_OK;
        m->data.guest = guest_info_new();
        m->data.guest->kinds = kinds & ~(unsigned) GUEST_KIND_AGENT;
        if (kinds & GUEST_KIND_AGENT) {
                m->data.agent = calloc(1, sizeof *m->data.agent);
                m->data.agent->version = strdup("7.2.22");
                m->data.agent->commands = calloc(GUEST_KIND_COUNT, sizeof *m->data.agent->commands);
                for (int i = 0; i < GUEST_KIND_COUNT; i++)
                        if (guest_kinds[i].command)
                                m->data.agent->commands[m->data.agent->n_commands++] =
                                        (AgentCommand){ .name = strdup(guest_kinds[i].command), .enabled = true };
        }
        if (kinds & GUEST_KIND_INTERFACES) {
                GuestInterface *iface = calloc(1, sizeof *iface);
                iface->name = strdup("eth0");
                iface->mac = strdup("52:54:00:00:00:01");
                size_t n = 0;
                while (addresses && addresses[n])
                        n++;
                iface->addresses = calloc(n + 1, sizeof *iface->addresses);
                for (size_t i = 0; i < n; i++)
                        iface->addresses[i] = strdup(addresses[i]);
                iface->n_addresses = n;
                iface->n_ipv4 = n_ipv4;
                m->data.guest->interfaces = iface;
                m->data.guest->n_interfaces = m->data.guest->n_interfaces_reported = 1;
        }
        manager_apply(current, m);
}

static const char *const routable[] = { "10.0.2.15/24", "fd00:10::15/64", NULL };

/* A domain whose agent is up and answered everything once: idle. */
static void usable_and_idle(void) {
        manager_apply(current,
                      domain_msg(VIRT_MSG_DOMAIN_UPDATED, AGENT_STATE_CONNECTED, devices("52:54:00:00:00:01", NULL)));
        assert_true(dom()->collect.collecting);
        answer(routable, 1);
        assert_false(dom()->collect.collecting);
        changed_props = 0;
}

/* µs from now until kind i is due; UINT64_MAX-ish if not soon. */
static uint64_t due_in(int i) {
        uint64_t now = now_usec(), due = dom()->collect.due_usec[i];
        return due > now ? due - now : 0;
}

static int setup(void **state) {
        assert_int_equal(manager_new(NULL, "test:///default", &current), 0);
        manager_set_hooks(current, &hooks, NULL);
        /* long intervals, so what is due soon is due because of an event */
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                current->collect.config.interval_usec[i] = 300 * SEC;
        manager_apply(current, virt_msg_new(VIRT_MSG_CONNECTED));
        changed_props = 0;
        exported_calls = 0;
        return 0;
}

static int teardown(void **state) {
        current = manager_free(current);
        return 0;
}

static void test_device_kinds_by_alias(void **state) {
        static const struct {
                const char *alias;
                unsigned now, settled;
        } cases[] = {
                { "net0", GUEST_KIND_INTERFACES, GUEST_KIND_INTERFACES },
                { "net12", GUEST_KIND_INTERFACES, GUEST_KIND_INTERFACES },
                { "virtio-disk1", 0, GUEST_KIND_FILESYSTEMS },
                { "scsi0-0-0-1", 0, GUEST_KIND_FILESYSTEMS },
                { "sata0-0-2", 0, GUEST_KIND_FILESYSTEMS },
                { "rng0", 0, 0 },
                { "input1", 0, 0 },
                { "dimm0", 0, 0 },
                /* may be either */
                { "hostdev0", GUEST_KIND_INTERFACES, GUEST_KIND_INTERFACES | GUEST_KIND_FILESYSTEMS },
                { "ua-mynic", GUEST_KIND_INTERFACES, GUEST_KIND_INTERFACES | GUEST_KIND_FILESYSTEMS },
                { "", GUEST_KIND_INTERFACES, GUEST_KIND_INTERFACES | GUEST_KIND_FILESYSTEMS },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                DeviceKinds k = device_event_kinds(cases[i].alias);
                print_message("%s\n", cases[i].alias);
                assert_int_equal(k.now, cases[i].now);
                assert_int_equal(k.settled, cases[i].settled);
        }
}

static void test_nic_added_without_agent_rereads_the_domain(void **state) {
        /* running, no agent: one NIC */
        manager_apply(current, domain_msg(VIRT_MSG_DOMAIN_UPDATED, AGENT_STATE_DISCONNECTED,
                                          devices("52:54:00:00:00:01", NULL)));
        assert_int_equal(dom()->interfaces->n_items, 1);
        changed_props = 0;

        /* a NIC plugged in: Interfaces has it, and nobody asks an agent */
        manager_apply(current, device_msg("net1", true, AGENT_STATE_DISCONNECTED,
                                          devices("52:54:00:00:00:01", "52:54:00:00:00:02")));
        assert_true(changed_props & DOMAIN_PROPERTY_INTERFACES);
        assert_int_equal(dom()->interfaces->n_items, 2);
        assert_false(dom()->collect.collecting);
        assert_int_equal(dom()->collect.seq, 0);

        /* and unplugged */
        changed_props = 0;
        manager_apply(current, device_msg("net1", false, AGENT_STATE_DISCONNECTED, devices("52:54:00:00:00:01", NULL)));
        assert_true(changed_props & DOMAIN_PROPERTY_INTERFACES);
        assert_int_equal(dom()->interfaces->n_items, 1);
}

static void test_nic_added_asks_interfaces_now_and_after_settling(void **state) {
        usable_and_idle();
        uint64_t seq = dom()->collect.seq;
        assert_true(due_in(IF_INDEX) > 200 * SEC);

        manager_apply(current, device_msg("net1", true, AGENT_STATE_CONNECTED,
                                          devices("52:54:00:00:00:01", "52:54:00:00:00:02")));
        assert_true(changed_props & DOMAIN_PROPERTY_INTERFACES);
        /* interfaces only, at once */
        assert_true(dom()->collect.collecting);
        assert_int_equal(dom()->collect.seq, seq + 1);
        assert_int_equal(dom()->collect.kinds, GUEST_KIND_INTERFACES | GUEST_KIND_FSFREEZE);
        answer(routable, 1);
        /* again once the guest has named it, not at the interval */
        assert_true(due_in(IF_INDEX) > 3 * SEC && due_in(IF_INDEX) <= DEVICE_SETTLE_USEC);
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (i != IF_INDEX)
                        assert_true(due_in(i) > 200 * SEC);
}

static void test_disk_added_asks_filesystems_after_settling(void **state) {
        usable_and_idle();
        uint64_t seq = dom()->collect.seq;
        int fs = guest_kind_index(GUEST_KIND_FILESYSTEMS);

        manager_apply(current,
                      device_msg("virtio-disk1", true, AGENT_STATE_CONNECTED, devices("52:54:00:00:00:01", NULL)));
        /* nothing yet: the guest has not mounted it */
        assert_false(dom()->collect.collecting);
        assert_int_equal(dom()->collect.seq, seq);
        assert_true(due_in(fs) > 3 * SEC && due_in(fs) <= DEVICE_SETTLE_USEC);
        assert_true(due_in(IF_INDEX) > 200 * SEC);
}

static void test_device_event_during_a_collection(void **state) {
        usable_and_idle();
        int fs = guest_kind_index(GUEST_KIND_FILESYSTEMS);

        /* a collection of filesystems and interfaces in flight... */
        dom()->collect.due_usec[fs] = dom()->collect.due_usec[IF_INDEX] = 0;
        collect_schedule(&current->collect);
        assert_int_equal(dom()->collect.kinds, GUEST_KIND_FILESYSTEMS | GUEST_KIND_INTERFACES | GUEST_KIND_FSFREEZE);
        uint64_t seq = dom()->collect.seq;
        /* ...when a NIC arrives: interfaces right after it, ... */
        manager_apply(current, device_msg("net1", true, AGENT_STATE_CONNECTED,
                                          devices("52:54:00:00:00:01", "52:54:00:00:00:02")));
        assert_int_equal(dom()->collect.pending_kinds & GUEST_KIND_INTERFACES, GUEST_KIND_INTERFACES);
        answer(routable, 1);
        assert_true(dom()->collect.collecting);
        assert_int_equal(dom()->collect.seq, seq + 1);
        assert_int_equal(dom()->collect.kinds & GUEST_KIND_INTERFACES, GUEST_KIND_INTERFACES);
        answer(routable, 1);
        /* ... and the settled read is not lost to the one that was in flight */
        assert_true(due_in(IF_INDEX) <= DEVICE_SETTLE_USEC);
        assert_true(due_in(fs) > 200 * SEC);
}

static void test_interfaces_fast_until_a_routable_address(void **state) {
        static const char *const local_only[] = { "127.0.0.1/8", "169.254.3.4/16", "::1/128", "fe80::1/64", NULL };
        static const char *const v6_only[] = { "fe80::1/64", "2001:db8::5/64", NULL };

        manager_apply(current,
                      domain_msg(VIRT_MSG_DOMAIN_UPDATED, AGENT_STATE_CONNECTED, devices("52:54:00:00:00:01", NULL)));
        assert_int_equal(dom()->collect.kinds, GUEST_KIND_ALL);
        /* no address yet, or only local ones: interfaces again in 2 s */
        answer(NULL, 0);
        assert_true(due_in(IF_INDEX) > 1 * SEC && due_in(IF_INDEX) <= COLLECT_ADDRESS_POLL_USEC);
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (i != IF_INDEX)
                        assert_true(due_in(i) > 200 * SEC);
        dom()->collect.due_usec[IF_INDEX] = 0;
        collect_schedule(&current->collect);
        assert_int_equal(dom()->collect.kinds, GUEST_KIND_INTERFACES | GUEST_KIND_FSFREEZE);
        answer(local_only, 2);
        assert_true(due_in(IF_INDEX) <= COLLECT_ADDRESS_POLL_USEC);

        /* a routable one (IPv6 will do): back to the interval */
        dom()->collect.due_usec[IF_INDEX] = 0;
        collect_schedule(&current->collect);
        answer(v6_only, 0);
        assert_true(due_in(IF_INDEX) > 200 * SEC);
        assert_int_equal(dom()->collect.address_wait_until_usec, 0);

        /* the next agent session polls quickly again; but not past the cap */
        agent_event(current, AGENT_STATE_DISCONNECTED);
        agent_event(current, AGENT_STATE_CONNECTED);
        assert_int_equal(dom()->collect.kinds, GUEST_KIND_ALL);
        assert_true(dom()->collect.address_wait_until_usec > now_usec());
        dom()->collect.address_wait_until_usec = now_usec() - 1;
        answer(NULL, 0);
        assert_true(due_in(IF_INDEX) > 200 * SEC);
}

/* A full collection now, with a routable address, and when the next is due. */
static void full_collection_answered(void) {
        assert_true(dom()->collect.collecting);
        assert_int_equal(dom()->collect.kinds, GUEST_KIND_ALL);
        answer(routable, 1);
}

static void test_reboot_collects_everything_after_the_agent_is_back(void **state) {
        usable_and_idle();

        /* virsh reboot: the agent goes, the guest reboots, the agent is back */
        agent_event(current, AGENT_STATE_DISCONNECTED);
        manager_apply(current,
                      domain_msg(VIRT_MSG_REBOOTED, AGENT_STATE_DISCONNECTED, devices("52:54:00:00:00:01", NULL)));
        assert_false(dom()->collect.collecting);
        agent_event(current, AGENT_STATE_CONNECTED);
        full_collection_answered();
        /* everything again once the boot settled */
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                assert_true(due_in(i) > 8 * SEC && due_in(i) <= COLLECT_BOOT_SETTLE_USEC);
        /* the timer at that time */
        memset(dom()->collect.due_usec, 0, sizeof dom()->collect.due_usec);
        dom()->collect.settle_usec = now_usec();
        collect_schedule(&current->collect);
        full_collection_answered();
        /* then the intervals */
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                assert_true(due_in(i) > 200 * SEC);

        /* an agent that only restarts: no second collection */
        agent_event(current, AGENT_STATE_DISCONNECTED);
        agent_event(current, AGENT_STATE_CONNECTED);
        full_collection_answered();
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                assert_true(due_in(i) > 200 * SEC);
}

static void test_reset_before_the_agent_is_seen_to_go(void **state) {
        usable_and_idle();
        assert_true(dom()->guest_exported);
        exported_calls = 0;

        /* virsh reset: the reboot event comes while libvirt still counts the
         * agent connected. What the old boot said goes at once... */
        manager_apply(current,
                      domain_msg(VIRT_MSG_REBOOTED, AGENT_STATE_CONNECTED, devices("52:54:00:00:00:01", NULL)));
        assert_int_equal(exported_calls, -1);
        assert_null(dom()->guest);
        assert_null(dom()->agent_info);
        /* ...nothing is asked of the agent that is going... */
        assert_false(dom()->collect.collecting);
        /* ...and everything once the boot settled, even with no event */
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                assert_true(due_in(i) > 8 * SEC && due_in(i) <= COLLECT_BOOT_SETTLE_USEC);

        /* the disconnection follows after all: everything when it is back, twice */
        agent_event(current, AGENT_STATE_DISCONNECTED);
        agent_event(current, AGENT_STATE_CONNECTED);
        full_collection_answered();
        assert_int_equal(exported_calls, 0);
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                assert_true(due_in(i) <= COLLECT_BOOT_SETTLE_USEC);
}

static void test_routable_addresses(void **state) {
        static const struct {
                const char *text;
                bool ipv4, routable;
        } cases[] = {
                { "10.0.2.15/24", true, true },    { "192.168.1.2", true, true },     { "127.0.0.1/8", true, false },
                { "169.254.0.9/16", true, false }, { "0.0.0.0", true, false },        { "224.0.0.1", true, false },
                { "fd00:10::15/64", false, true }, { "2001:db8::1", false, true },    { "fe80::1/64", false, false },
                { "febf::1", false, false },       { "::1/128", false, false },       { "::", false, false },
                { "ff02::1", false, false },       { "not an address", true, false }, { "10.0.2.15", false, false },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                print_message("%s\n", cases[i].text);
                assert_int_equal(ip_address_is_routable(cases[i].text, cases[i].ipv4), cases[i].routable);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_device_kinds_by_alias),
                cmocka_unit_test(test_routable_addresses),
                cmocka_unit_test_setup_teardown(test_nic_added_without_agent_rereads_the_domain, setup, teardown),
                cmocka_unit_test_setup_teardown(test_nic_added_asks_interfaces_now_and_after_settling, setup, teardown),
                cmocka_unit_test_setup_teardown(test_disk_added_asks_filesystems_after_settling, setup, teardown),
                cmocka_unit_test_setup_teardown(test_device_event_during_a_collection, setup, teardown),
                cmocka_unit_test_setup_teardown(test_interfaces_fast_until_a_routable_address, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reboot_collects_everything_after_the_agent_is_back, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_reset_before_the_agent_is_seen_to_go, setup, teardown),
        };
        return cmocka_run_group_tests_name("unit: events", tests, NULL, NULL);
}
