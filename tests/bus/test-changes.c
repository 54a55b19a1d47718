/* The daemon's publisher in process (service/bus/bus-publisher.c), on the
 * harness's private bus, with a model the test changes by hand: each
 * PropertiesChanged carries only values the clients were not told, also
 * when a value changes and changes back within one 10 ms window or one
 * pass of the loop, for the domain's own properties, the guest data's
 * lists and the explicit AgentSupportedCommands (invalidated). A client
 * connection of the test records the signals. Deterministic: nothing but
 * the test changes the model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent-share.h"
#include "bus-publisher.h"
#include "harness.h"

#define UUID "6695eb01-f6a4-8304-79aa-97f2502e193f"

static Harness H;
static sd_bus *daemon_bus;
static sd_event *event;
static Manager *model;
static Publisher *publisher;
static Domain *dom;
static unsigned invalidated_commands; /* PropertiesChanged that named AgentSupportedCommands */

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *name;
        int r = sd_bus_message_skip(m, "sa{sv}");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "s");
        while (r >= 0 && (r = sd_bus_message_read(m, "s", &name)) > 0)
                if (strcmp(name, "AgentSupportedCommands") == 0)
                        invalidated_commands++;
        return 0;
}

/* Runs the daemon's loop and the client's for ms milliseconds. */
static void pump(int ms) {
        double end = harness_now() + ms / 1000.0;
        do {
                while (sd_event_run(event, 0) > 0)
                        ;
                harness_settle(&H, 1);
        } while (harness_now() < end);
}

static int group_setup(void **state) {
        assert_int_equal(harness_setup(&H), 0);
        assert_true(sd_bus_match_signal(H.bus, NULL, NULL, NULL, "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                        on_properties_changed, NULL) >= 0);
        return 0;
}

static int group_teardown(void **state) {
        harness_cleanup(&H);
        return 0;
}

/* A model with one running domain, published as the daemon publishes it:
 * the first full list in, the name taken. */
static int setup(void **state) {
        sd_bus_message *reply = NULL;
        assert_true(sd_bus_open_user(&daemon_bus) >= 0);
        assert_true(sd_event_new(&event) >= 0);
        assert_true(sd_bus_attach_event(daemon_bus, event, SD_EVENT_PRIORITY_NORMAL) >= 0);
        assert_int_equal(manager_new(NULL, "test:///default", &model), 0);
        assert_int_equal(publisher_new(daemon_bus, event, model, false, &publisher), 0);

        VirtMsg *m = virt_msg_new(VIRT_MSG_CONNECTED);
        m->domains = calloc(1, sizeof *m->domains);
        m->n_domains = 1;
        m->domains[0] = (DomainInfo){ .uuid = UUID, .name = strdup("vm1"), .state = DOMAIN_STATE_RUNNING, .id = 1 };
        manager_apply(model, m);
        dom = manager_get_domain(model, UUID);
        assert_non_null(dom);
        /* the name ours, and the idle record of what it published done */
        int owned = 0;
        for (int i = 0; i < 200 && !owned; i++) {
                pump(10);
                assert_true(sd_bus_call_method(H.bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                               "org.freedesktop.DBus", "NameHasOwner", NULL, &reply, "s",
                                               "org.guestinfod.GuestInfo1") >= 0);
                assert_true(sd_bus_message_read(reply, "b", &owned) >= 0);
                reply = sd_bus_message_unref(reply);
        }
        assert_true(owned);
        pump(50);
        harness_clear_lines(&H);
        invalidated_commands = 0;
        return 0;
}

static int teardown(void **state) {
        publisher = publisher_free(publisher);
        model = manager_free(model);
        daemon_bus = sd_bus_flush_close_unref(daemon_bus);
        event = sd_event_unref(event);
        harness_settle(&H, 50);
        return 0;
}

static void changed(DomainProperties properties) {
        manager_domain_changed(model, dom, properties);
}

/* The domain's State lines, in order. */
/* The State values signalled, in order (the same signal may name other
 * properties after it). */
static size_t state_lines(const char **values, size_t max) {
        static char words[16][32];
        size_t n = 0;
        for (size_t i = 0; i < H.n_lines; i++) {
                const char *s = strstr(H.lines[i], "PropertiesChanged " UUID) ? strstr(H.lines[i], " State=") : NULL;
                if (s && n < max && n < 16) {
                        s += strlen(" State=");
                        snprintf(words[n], sizeof words[n], "%.*s", (int) strcspn(s, " "), s);
                        values[n] = words[n];
                        n++;
                }
        }
        return n;
}

/* Paused and back in one pass of the loop: the clients have running, from
 * the tree published: nothing is sent. Then paused, signalled at once; then
 * running and paused again within its window: the window's end has nothing
 * to say. */
static void test_state_back_and_forth(void **state) {
        const char *values[16];

        dom->state = DOMAIN_STATE_PAUSED;
        changed(DOMAIN_PROPERTY_STATE);
        dom->state = DOMAIN_STATE_RUNNING;
        changed(DOMAIN_PROPERTY_STATE);
        pump(50);
        assert_int_equal(H.n_lines, 0);

        dom->state = DOMAIN_STATE_PAUSED;
        changed(DOMAIN_PROPERTY_STATE);
        while (sd_event_run(event, 0) > 0)
                ; /* sent: the window opens */
        dom->state = DOMAIN_STATE_RUNNING;
        changed(DOMAIN_PROPERTY_STATE);
        while (sd_event_run(event, 0) > 0)
                ; /* within the window, waits */
        dom->state = DOMAIN_STATE_PAUSED;
        changed(DOMAIN_PROPERTY_STATE);
        pump(50);
        size_t n = state_lines(values, 16);
        if (n != 1)
                fprintf(stderr, "%s\n", harness_lines(&H));
        /* the running may have gone out if the loop took longer than the window */
        assert_true(n == 1 || n == 3);
        assert_string_equal(values[0], "paused");
        if (n == 3) {
                assert_string_equal(values[1], "running");
                assert_string_equal(values[2], "paused");
        }

        /* a real change still goes out, with only what changed */
        harness_clear_lines(&H);
        dom->state = DOMAIN_STATE_RUNNING;
        dom->id = 7;
        changed(DOMAIN_PROPERTY_STATE | DOMAIN_PROPERTY_ID | DOMAIN_PROPERTY_NAME);
        pump(50);
        assert_int_equal(H.n_lines, 1);
        assert_string_equal(H.lines[0],
                            "PropertiesChanged " UUID " State=running Id=7 GuestDataReason=agent-not-connected");
}

static GuestInfo *guest_data(const char *user) {
        GuestInfo *g = guest_info_new();
        assert_non_null(g);
        g->kinds = GUEST_KIND_ALL & ~(unsigned) GUEST_KIND_AGENT;
        g->hostname = strdup("vm1host");
        g->users = calloc(1, sizeof *g->users);
        g->users[0] = (GuestUser){ .name = strdup(user), .login_time = 1700000000.5 };
        g->n_users = g->n_users_reported = 1;
        return g;
}

static void set_guest(GuestInfo *g) {
        guest_info_free(dom->guest);
        dom->guest = g;
}

static void export(bool exported) {
        dom->guest_exported = exported;
        model->hooks->domain_guest_exported(model, dom, exported, model->hooks_userdata);
}

/* OS, Users, Filesystems: InterfacesAdded tells their values, so the
 * collection's own change bits right after it send nothing; a users list
 * refreshed to an equal one sends nothing; one that changes and changes
 * back in one pass neither. Removed and added again: told again. */
static void test_guest_lists(void **state) {
        const DomainProperties guest = domain_exported_properties();

        set_guest(guest_data("root"));
        export(true);
        changed(guest); /* as a first collection reports it */
        pump(50);
        assert_int_equal(H.n_lines, 1);
        assert_non_null(strstr(H.lines[0], "InterfacesAdded " UUID));

        harness_clear_lines(&H);
        set_guest(guest_data("root"));
        changed(DOMAIN_PROPERTY_USERS | DOMAIN_PROPERTY_USER_COUNT);
        pump(30);
        set_guest(guest_data("alice"));
        changed(DOMAIN_PROPERTY_USERS);
        set_guest(guest_data("root"));
        changed(DOMAIN_PROPERTY_USERS);
        pump(50);
        assert_int_equal(H.n_lines, 0);

        set_guest(guest_data("alice"));
        changed(DOMAIN_PROPERTY_USERS);
        pump(50);
        assert_int_equal(H.n_lines, 1);
        assert_non_null(strstr(H.lines[0], "PropertiesChanged " UUID " Users="));

        /* gone and back: what InterfacesAdded carries is what counts */
        harness_clear_lines(&H);
        export(false);
        set_guest(guest_data("root"));
        export(true);
        pump(30);
        set_guest(guest_data("alice"));
        changed(DOMAIN_PROPERTY_USERS);
        set_guest(guest_data("root"));
        changed(DOMAIN_PROPERTY_USERS);
        pump(50);
        assert_int_equal(H.n_lines, 2);
        assert_non_null(strstr(H.lines[0], "InterfacesRemoved " UUID));
        assert_non_null(strstr(H.lines[1], "InterfacesAdded " UUID));
}

static AgentInfo *agent(bool ping_enabled) {
        AgentInfo *a = calloc(1, sizeof *a);
        a->version = strdup("7.2.0");
        a->commands = calloc(2, sizeof *a->commands);
        a->commands[0] = (AgentCommand){ strdup("guest-info"), true };
        a->commands[1] = (AgentCommand){ strdup("guest-ping"), ping_enabled };
        a->n_commands = a->n_reported = 2;
        return a;
}

static void set_agent(AgentInfo *a) {
        agent_unshare(dom->agent_info);
        dom->agent_info = a;
}

/* AgentSupportedCommands travels as an invalidation: sent when the list
 * differs from the one the clients could read when last told, only then. */
static void test_commands_invalidated_only_when_changed(void **state) {
        const DomainProperties agent_bits = DOMAIN_PROPERTY_AGENT_VERSION | DOMAIN_PROPERTY_AGENT_SUPPORTED_COMMANDS;

        set_agent(agent(true));
        changed(agent_bits);
        pump(50);
        assert_int_equal(invalidated_commands, 1);
        assert_int_equal(H.n_lines, 1);
        assert_string_equal(H.lines[0], "PropertiesChanged " UUID " AgentVersion=7.2.0");

        harness_clear_lines(&H);
        set_agent(agent(true)); /* the next guest-info: the same */
        changed(agent_bits);
        pump(30);
        set_agent(agent(false));
        changed(DOMAIN_PROPERTY_AGENT_SUPPORTED_COMMANDS);
        set_agent(agent(true));
        changed(DOMAIN_PROPERTY_AGENT_SUPPORTED_COMMANDS);
        pump(50);
        assert_int_equal(invalidated_commands, 1);
        assert_int_equal(H.n_lines, 0);

        set_agent(agent(false));
        changed(DOMAIN_PROPERTY_AGENT_SUPPORTED_COMMANDS);
        pump(50);
        assert_int_equal(invalidated_commands, 2);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_state_back_and_forth, setup, teardown),
                cmocka_unit_test_setup_teardown(test_guest_lists, setup, teardown),
                cmocka_unit_test_setup_teardown(test_commands_invalidated_only_when_changed, setup, teardown),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
