/* The AgentConnected condition: reading the live XML, and the transitions of
 * the model (when the connected flag, the transition and probe times move). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent-channel.h"
#include "domain.h"

#define DOMAIN_XML(channels)                                                                                           \
        "<domain type='qemu' id='3'><name>vm</name><devices>"                                                          \
        "<channel type='pty'><target type='virtio' name='org.qemu.spice.0'/></channel>" channels "</devices></domain>"

static AgentState parse(const char *xml) {
        AgentState s = AGENT_STATE_UNKNOWN;
        int r = agent_state_from_domain_xml(xml, strlen(xml), &s);
        return r < 0 ? (AgentState) r : s;
}

static void test_parse_live_xml(void **state) {
        assert_int_equal(parse(DOMAIN_XML("<channel type='unix'><source mode='bind'/>"
                                          "<target type='virtio' name='org.qemu.guest_agent.0' state='connected'/>"
                                          "<alias name='channel0'/></channel>")),
                         AGENT_STATE_CONNECTED);
        assert_int_equal(parse(DOMAIN_XML("<channel type='unix'>"
                                          "<target type='virtio' name='org.qemu.guest_agent.0' state='disconnected'/>"
                                          "</channel>")),
                         AGENT_STATE_DISCONNECTED);
        /* no state yet (QEMU has not reported one) */
        assert_int_equal(parse(DOMAIN_XML("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/>"
                                          "</channel>")),
                         AGENT_STATE_DISCONNECTED);
        /* only other channels, or none at all */
        assert_int_equal(parse(DOMAIN_XML("")), AGENT_STATE_NO_CHANNEL);
        assert_int_equal(parse("<domain type='test'><name>x</name></domain>"), AGENT_STATE_NO_CHANNEL);
        /* a "state='connected'" on another channel does not count */
        assert_int_equal(parse(DOMAIN_XML("<channel type='unix'><target type='virtio' name='com.example.other' "
                                          "state='connected'/></channel>")),
                         AGENT_STATE_NO_CHANNEL);
}

static void test_parse_rejects_garbage(void **state) {
        AgentState s;

        assert_int_equal(parse(""), -EINVAL);
        assert_int_equal(parse("<domain"), -EINVAL);
        assert_int_equal(parse("<network><name>default</name></network>"), -EINVAL);
        assert_int_equal(parse("not xml at all"), -EINVAL);
        assert_int_equal(agent_state_from_domain_xml(NULL, 0, &s), -EINVAL);
        /* no network access, no external entities */
        assert_int_equal(parse("<!DOCTYPE domain [<!ENTITY x SYSTEM 'http://127.0.0.1:1/x'>]>"
                               "<domain><name>&x;</name></domain>"),
                         AGENT_STATE_NO_CHANNEL);
}

static Domain *new_domain(void) {
        DomainInfo info = { .uuid = "00000000-0000-0000-0000-000000000001",
                            .name = "vm",
                            .state = DOMAIN_STATE_RUNNING,
                            .id = 1,
                            .agent = AGENT_STATE_DISCONNECTED,
                            .agent_probe_usec = 100 };
        Domain *d;
        assert_int_equal(domain_new(&info, &d), 0);
        return d;
}

static void test_transitions(void **state) {
        Domain *d = new_domain();

        /* first sight, disconnected: probed, never transitioned */
        assert_false(d->agent_connected);
        assert_int_equal(d->agent_last_probe_usec, 100);
        assert_int_equal(d->agent_last_transition_usec, 0);

        /* connected */
        assert_int_equal(domain_update_agent(d, AGENT_STATE_CONNECTED, 200),
                         DOMAIN_PROPERTY_AGENT_CONNECTED | DOMAIN_PROPERTY_AGENT_LAST_TRANSITION_TIME |
                                 DOMAIN_PROPERTY_AGENT_LAST_PROBE_TIME);
        assert_true(d->agent_connected);
        assert_int_equal(d->agent_last_transition_usec, 200);

        /* probed again, still connected: only the probe time moves */
        assert_int_equal(domain_update_agent(d, AGENT_STATE_CONNECTED, 300), DOMAIN_PROPERTY_AGENT_LAST_PROBE_TIME);
        assert_int_equal(d->agent_last_transition_usec, 200);
        assert_int_equal(d->agent_last_probe_usec, 300);

        /* unknown (the XML could not be read): nothing changes */
        assert_int_equal(domain_update_agent(d, AGENT_STATE_UNKNOWN, 400), 0);
        assert_true(d->agent_connected);

        /* destroyed: no agent event comes, the stopped domain clears it */
        assert_int_equal(domain_update_agent(d, AGENT_STATE_INACTIVE, 500),
                         DOMAIN_PROPERTY_AGENT_CONNECTED | DOMAIN_PROPERTY_AGENT_LAST_TRANSITION_TIME);
        assert_false(d->agent_connected);
        assert_int_equal(d->agent_last_transition_usec, 500);
        assert_int_equal(d->agent_last_probe_usec, 300);

        /* still stopped: nothing */
        assert_int_equal(domain_update_agent(d, AGENT_STATE_INACTIVE, 600), 0);
        domain_free(d);
}

static void test_no_channel_is_quietly_never_connected(void **state) {
        DomainInfo info = { .uuid = "00000000-0000-0000-0000-000000000002",
                            .name = "plain",
                            .state = DOMAIN_STATE_RUNNING,
                            .id = 2,
                            .agent = AGENT_STATE_NO_CHANNEL,
                            .agent_probe_usec = 100 };
        Domain *d;
        assert_int_equal(domain_new(&info, &d), 0);
        assert_false(d->agent_connected);
        assert_int_equal(d->agent_last_probe_usec, 0);
        assert_int_equal(d->agent_last_transition_usec, 0);
        assert_int_equal(domain_update_agent(d, AGENT_STATE_NO_CHANNEL, 200), 0);
        /* and a full update with the same values says nothing either */
        DomainProperties changed = ~(DomainProperties) 0;
        assert_int_equal(domain_update(d, &info, &changed), 0);
        assert_int_equal(changed, 0);
        domain_free(d);
}

static void test_connected_at_first_sight(void **state) {
        DomainInfo info = { .uuid = "00000000-0000-0000-0000-000000000003",
                            .name = "up",
                            .state = DOMAIN_STATE_RUNNING,
                            .id = 3,
                            .agent = AGENT_STATE_CONNECTED,
                            .agent_probe_usec = 700 };
        Domain *d;
        assert_int_equal(domain_new(&info, &d), 0);
        assert_true(d->agent_connected);
        assert_int_equal(d->agent_last_transition_usec, 700);
        assert_int_equal(d->agent_last_probe_usec, 700);
        domain_free(d);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_live_xml),
                cmocka_unit_test(test_parse_rejects_garbage),
                cmocka_unit_test(test_transitions),
                cmocka_unit_test(test_no_channel_is_quietly_never_connected),
                cmocka_unit_test(test_connected_at_first_sight),
        };
        return cmocka_run_group_tests_name("agent state", tests, NULL, NULL);
}
