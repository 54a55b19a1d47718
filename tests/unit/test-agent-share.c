/* Domains whose agents said the same share one AgentInfo; different ones,
 * or one that changes, do not; the last reference frees it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent-share.h"
#include "domain.h"

static AgentInfo *agent(const char *version, bool ping_enabled) {
        AgentInfo *a = calloc(1, sizeof *a);
        assert_non_null(a);
        a->version = strdup(version);
        a->commands = calloc(2, sizeof *a->commands);
        a->commands[0] = (AgentCommand){ strdup("guest-info"), true };
        a->commands[1] = (AgentCommand){ strdup("guest-ping"), ping_enabled };
        a->n_commands = a->n_reported = 2;
        return a;
}

static Domain *domain(const char *uuid) {
        DomainInfo info = { .state = DOMAIN_STATE_RUNNING, .agent = AGENT_STATE_CONNECTED };
        Domain *d;
        snprintf(info.uuid, sizeof info.uuid, "%s", uuid);
        info.name = strdup(uuid);
        assert_int_equal(domain_new(&info, &d), 0);
        domain_info_done(&info);
        return d;
}

static void give(Domain *d, AgentInfo *a) {
        GuestData data = { .agent = a };
        (void) domain_take_guest_data(d, &data);
}

static void test_equal_agents_share(void **state) {
        Domain *a = domain("00000000-0000-4000-8000-000000000001");
        Domain *b = domain("00000000-0000-4000-8000-000000000002");
        Domain *c = domain("00000000-0000-4000-8000-000000000003");

        give(a, agent("7.2.0", true));
        give(b, agent("7.2.0", true));
        give(c, agent("7.2.0", false)); /* one command disabled: another list */
        assert_ptr_equal(a->agent_info, b->agent_info);
        assert_ptr_not_equal(a->agent_info, c->agent_info);
        assert_int_equal(a->agent_info->share_refs, 2);
        assert_int_equal(agent_share_count(), 2);

        /* b's agent is upgraded: b moves to a list of its own */
        give(b, agent("8.0.0", true));
        assert_ptr_not_equal(a->agent_info, b->agent_info);
        assert_string_equal(a->agent_info->version, "7.2.0");
        assert_int_equal(a->agent_info->share_refs, 1);
        assert_int_equal(agent_share_count(), 3);

        /* the agent goes: its reference goes with it */
        (void) domain_drop_guest_data(c);
        assert_null(c->agent_info);
        assert_int_equal(agent_share_count(), 2);

        domain_free(a);
        domain_free(b);
        domain_free(c);
        assert_int_equal(agent_share_count(), 0);
}

/* An AgentInfo never shared (a test's, say) is freed as it is. */
static void test_private_is_freed(void **state) {
        assert_null(agent_unshare(agent("1.0", true)));
        assert_int_equal(agent_share_count(), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_equal_agents_share),
                cmocka_unit_test(test_private_is_freed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
