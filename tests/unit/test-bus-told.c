/* bus-told.c: what the clients of a domain object were last told, and so
 * which of the properties marked changed a PropertiesChanged carries. The
 * model's values are set by hand; the fingerprints come from the domain
 * objects' own getters, on a bus that only builds messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent-share.h"
#include "bus-domain.h"
#include "bus-told.h"
#include "manager.h"

#define UUID "6695eb01-f6a4-8304-79aa-97f2502e193f"

typedef struct Fixture {
        sd_bus *bus;
        int peer;
        Manager *manager;
        BusDomain *domains;
        Domain *d;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof *f);
        int fds[2];

        /* A bus on one end of a socketpair: enough to build messages. */
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        f->peer = fds[1];
        assert_true(sd_bus_new(&f->bus) >= 0);
        assert_true(sd_bus_set_fd(f->bus, fds[0], fds[0]) >= 0);
        assert_true(sd_bus_start(f->bus) >= 0);

        assert_int_equal(manager_new(NULL, "test:///default", &f->manager), 0);
        VirtMsg *m = virt_msg_new(VIRT_MSG_CONNECTED);
        m->domains = calloc(1, sizeof *m->domains);
        m->n_domains = 1;
        m->domains[0] = (DomainInfo){ .uuid = UUID, .name = strdup("vm1"), .state = DOMAIN_STATE_RUNNING, .id = 1 };
        manager_apply(f->manager, m);
        f->d = manager_get_domain(f->manager, UUID);
        assert_non_null(f->d);
        assert_int_equal(bus_domain_new(f->bus, f->manager, false, &f->domains), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        bus_domain_free(f->domains);
        manager_free(f->manager);
        sd_bus_close_unref(f->bus);
        close(f->peer);
        free(f);
        return 0;
}

static DomainProperties changes(Fixture *f, DomainProperties properties) {
        return bus_told_changes(f->bus, f->domains, f->d, properties);
}

static void record(Fixture *f, DomainProperties properties) {
        bus_told_record(f->bus, f->domains, f->d, properties);
}

/* The guest data as a collection brings it: fresh allocations each time,
 * so equal values are equal contents, never the same pointers. */
static GuestInfo *guest_data(const char *hostname, const char *user) {
        GuestInfo *g = guest_info_new();
        assert_non_null(g);
        g->kinds = GUEST_KIND_ALL & ~(unsigned) GUEST_KIND_AGENT;
        g->os.id = strdup("debian");
        g->hostname = strdup(hostname);
        g->users = calloc(1, sizeof *g->users);
        g->users[0] = (GuestUser){ .name = strdup(user), .login_time = 1700000000.5 };
        g->n_users = g->n_users_reported = 1;
        return g;
}

static void set_guest(Domain *d, GuestInfo *g) {
        guest_info_free(d->guest);
        d->guest = g;
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

static void set_agent(Domain *d, AgentInfo *a) {
        agent_unshare(d->agent_info);
        d->agent_info = a;
}

/* What InterfacesAdded carried is told: a change is sent once, a change
 * back to the value told is not, whatever happened in between. */
static void test_change_and_change_back(void **state) {
        Fixture *f = *state;
        Domain *d = f->d;

        /* never told: sent whatever it is */
        assert_int_equal(changes(f, DOMAIN_PROPERTY_STATE), DOMAIN_PROPERTY_STATE);
        record(f, ~0u);

        d->state = DOMAIN_STATE_PAUSED;
        d->state = DOMAIN_STATE_RUNNING;
        assert_int_equal(changes(f, DOMAIN_PROPERTY_STATE), 0);

        d->state = DOMAIN_STATE_PAUSED;
        assert_int_equal(changes(f, DOMAIN_PROPERTY_STATE), DOMAIN_PROPERTY_STATE);
        /* paused is now what the clients have */
        d->state = DOMAIN_STATE_RUNNING;
        d->state = DOMAIN_STATE_PAUSED;
        assert_int_equal(changes(f, DOMAIN_PROPERTY_STATE), 0);

        /* of several marked, only those that differ */
        d->state = DOMAIN_STATE_RUNNING;
        d->id = 2;
        assert_int_equal(changes(f, DOMAIN_PROPERTY_STATE | DOMAIN_PROPERTY_ID | DOMAIN_PROPERTY_NAME |
                                            DOMAIN_PROPERTY_PERSISTENT | DOMAIN_PROPERTY_INTERFACES),
                         DOMAIN_PROPERTY_STATE | DOMAIN_PROPERTY_ID);
        assert_int_equal(changes(f, DOMAIN_PROPERTY_STATE | DOMAIN_PROPERTY_ID), 0);

        /* values of other types: times, booleans */
        d->agent_last_probe_usec = 5;
        d->agent_connected = true;
        assert_int_equal(changes(f, DOMAIN_PROPERTY_AGENT_LAST_PROBE_TIME | DOMAIN_PROPERTY_AGENT_CONNECTED),
                         DOMAIN_PROPERTY_AGENT_LAST_PROBE_TIME | DOMAIN_PROPERTY_AGENT_CONNECTED);
        d->agent_connected = false;
        d->agent_connected = true;
        assert_int_equal(changes(f, DOMAIN_PROPERTY_AGENT_CONNECTED), 0);

        /* forgotten: sent again */
        bus_told_forget(d, DOMAIN_PROPERTY_ID);
        assert_int_equal(changes(f, DOMAIN_PROPERTY_ID | DOMAIN_PROPERTY_STATE), DOMAIN_PROPERTY_ID);
}

/* OS, Users, Filesystems: nothing to send while their interfaces are not
 * on the object; InterfacesAdded tells their values; a collection that
 * brings the same values (new allocations) sends nothing; a list that
 * changes and changes back is not sent again. */
static void test_guest_data(void **state) {
        Fixture *f = *state;
        Domain *d = f->d;
        const DomainProperties guest = domain_exported_properties();

        record(f, ~0u);
        set_guest(d, guest_data("vm1host", "root"));
        assert_int_equal(changes(f, guest), 0); /* not exported: not on the object */
        assert_int_equal(d->told_known & guest, 0);

        d->guest_exported = true;
        record(f, guest); /* InterfacesAdded */
        assert_true((d->told_known & guest) == guest);
        set_guest(d, guest_data("vm1host", "root"));
        assert_int_equal(changes(f, guest), 0);

        set_guest(d, guest_data("vm1host", "alice"));
        assert_int_equal(changes(f, DOMAIN_PROPERTY_USERS | DOMAIN_PROPERTY_USER_COUNT), DOMAIN_PROPERTY_USERS);
        set_guest(d, guest_data("other", "root"));
        set_guest(d, guest_data("vm1host", "alice"));
        assert_int_equal(changes(f, DOMAIN_PROPERTY_USERS | DOMAIN_PROPERTY_OS_HOSTNAME), 0);

        /* a login time is part of the value */
        GuestInfo *g = guest_data("vm1host", "alice");
        g->users[0].login_time += 1;
        set_guest(d, g);
        assert_int_equal(changes(f, DOMAIN_PROPERTY_USERS), DOMAIN_PROPERTY_USERS);

        /* InterfacesRemoved, then InterfacesAdded: told again from there */
        d->guest_exported = false;
        bus_told_forget(d, guest);
        d->guest_exported = true;
        assert_int_equal(changes(f, DOMAIN_PROPERTY_OS_HOSTNAME), DOMAIN_PROPERTY_OS_HOSTNAME);
        record(f, guest);
        assert_int_equal(changes(f, guest), 0);
}

/* AgentSupportedCommands is explicit (never in a signal, only invalidated):
 * invalidated only when it differs from what could be read when the
 * clients last heard of it. */
static void test_explicit_commands(void **state) {
        Fixture *f = *state;
        Domain *d = f->d;
        const DomainProperties agent_bits = DOMAIN_PROPERTY_AGENT_VERSION | DOMAIN_PROPERTY_AGENT_SUPPORTED_COMMANDS;

        set_agent(d, agent(true));
        record(f, ~0u);
        assert_true((d->told_known & agent_bits) == agent_bits);
        set_agent(d, agent(true));
        assert_int_equal(changes(f, agent_bits), 0);

        set_agent(d, agent(false));
        assert_int_equal(changes(f, agent_bits), DOMAIN_PROPERTY_AGENT_SUPPORTED_COMMANDS);
        set_agent(d, agent(true));
        set_agent(d, agent(false));
        assert_int_equal(changes(f, agent_bits), 0);

        /* the agent gone: the list is empty, the version "" */
        set_agent(d, NULL);
        assert_int_equal(changes(f, agent_bits), agent_bits);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_change_and_change_back, setup, teardown),
                cmocka_unit_test_setup_teardown(test_guest_data, setup, teardown),
                cmocka_unit_test_setup_teardown(test_explicit_commands, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
