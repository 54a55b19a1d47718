/* The model as a state machine: results from the collectors in, hook calls
 * out. No libvirt, no bus: every call the bus layer would see is recorded. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "manager.h"

#define UUID_A "00000000-0000-0000-0000-00000000000a"
#define UUID_B "00000000-0000-0000-0000-00000000000b"
#define UUID_C "00000000-0000-0000-0000-00000000000c"

typedef struct Record {
        char log[4096]; /* every hook call, one "event;" each */
        int synced;
        char connect_error[128];
} Record;

static void record(Record *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void record(Record *r, const char *fmt, ...) {
        va_list ap;
        size_t n = strlen(r->log);
        va_start(ap, fmt);
        vsnprintf(r->log + n, sizeof r->log - n, fmt, ap);
        va_end(ap);
}

static void on_added(Manager *m, Domain *d, void *u) {
        record(u, "added %s %s %s;", d->uuid + 35, d->name, domain_state_to_string(d->state));
}
static void on_removed(Manager *m, Domain *d, void *u) {
        /* still in the model while the bus announces it */
        assert_ptr_equal(manager_get_domain(m, d->uuid), d);
        record(u, "removed %s;", d->uuid + 35);
}
static void on_changed(Manager *m, Domain *d, DomainProperties props, void *u) {
        record(u, "changed %s 0x%" PRIx64 ";", d->uuid + 35, props);
}
static void on_manager_changed(Manager *m, unsigned props, void *u) {
        record(u, "manager 0x%x;", props);
}
static void on_synced(Manager *m, void *u) {
        ((Record *) u)->synced++;
        record(u, "synced;");
}
static void on_connect_failed(Manager *m, const char *error, void *u) {
        snprintf(((Record *) u)->connect_error, 128, "%s", error);
}

static const ManagerHooks hooks = {
        .domain_added = on_added,
        .domain_removed = on_removed,
        .domain_changed = on_changed,
        .manager_changed = on_manager_changed,
        .synced = on_synced,
        .connect_failed = on_connect_failed,
};

static DomainInfo info(const char *uuid, const char *name, DomainState state, bool persistent, int id) {
        DomainInfo i = { .state = state, .persistent = persistent, .id = id };
        snprintf(i.uuid, sizeof i.uuid, "%s", uuid);
        i.name = strdup(name);
        return i;
}

static VirtMsg *connected(size_t n, ...) {
        VirtMsg *m = virt_msg_new(VIRT_MSG_CONNECTED);
        va_list ap;
        m->domains = calloc(n ? n : 1, sizeof *m->domains);
        m->n_domains = n;
        va_start(ap, n);
        for (size_t i = 0; i < n; i++)
                m->domains[i] = va_arg(ap, DomainInfo);
        va_end(ap);
        return m;
}

static VirtMsg *updated(DomainInfo i) {
        VirtMsg *m = virt_msg_new(VIRT_MSG_DOMAIN_UPDATED);
        m->domain = i;
        return m;
}

static VirtMsg *simple(VirtMsgType type, const char *uuid, const char *error) {
        VirtMsg *m = virt_msg_new(type);
        if (uuid)
                snprintf(m->domain.uuid, sizeof m->domain.uuid, "%s", uuid);
        if (error)
                m->error = strdup(error);
        return m;
}

static int setup(void **state) {
        Manager *m;
        Record *r = calloc(1, sizeof *r);
        assert_int_equal(manager_new(NULL, "test:///default", &m), 0);
        manager_set_hooks(m, &hooks, r);
        *state = m;
        return 0;
}

static int teardown(void **state) {
        Manager *m = *state;
        free(m->hooks_userdata);
        manager_free(m);
        return 0;
}

#define LOG(m) (((Record *) (m)->hooks_userdata)->log)

static const char *dom_reason(Manager *m, const char *uuid) {
        Domain *d = manager_get_domain(m, uuid);
        assert_non_null(d);
        return d->reason;
}
#define CLEAR(m) (LOG(m)[0] = '\0')

static void test_first_sync(void **state) {
        Manager *m = *state;

        manager_apply(m, connected(2, info(UUID_A, "alpha", DOMAIN_STATE_RUNNING, true, 1),
                                   info(UUID_B, "beta", DOMAIN_STATE_SHUTOFF, true, -1)));
        assert_string_equal(LOG(m), "added a alpha running;manager 0x2;added b beta shutoff;manager 0x2;"
                                    "manager 0x1;synced;");
        assert_true(m->connected);
        assert_int_equal(manager_domain_count(m), 2);
        assert_ptr_equal(manager_find_domain_by_name(m, "beta"), manager_get_domain(m, UUID_B));
        assert_null(manager_find_domain_by_name(m, "gamma"));
}

static void test_updates_signal_only_real_changes(void **state) {
        Manager *m = *state;

        manager_apply(m, connected(1, info(UUID_A, "alpha", DOMAIN_STATE_SHUTOFF, true, -1)));
        CLEAR(m);

        /* the same values again: nothing to say */
        manager_apply(m, updated(info(UUID_A, "alpha", DOMAIN_STATE_SHUTOFF, true, -1)));
        assert_string_equal(LOG(m), "");

        /* start: State and Id, and why there is no guest data */
        manager_apply(m, updated(info(UUID_A, "alpha", DOMAIN_STATE_RUNNING, true, 3)));
        assert_string_equal(LOG(m), "changed a 0x1000000a;");
}

/* The generations that say whether a kept whole-fleet reply still holds:
 * any change moves the tree's; only what a summary shows moves the
 * summaries'. */
static void test_generations(void **state) {
        Manager *m = *state;

        manager_apply(m, connected(1, info(UUID_A, "alpha", DOMAIN_STATE_RUNNING, true, 1)));
        Domain *d = manager_get_domain(m, UUID_A);
        uint64_t tree = m->generation, summaries = m->summaries_generation;

        manager_domain_changed(m, d, DOMAIN_PROPERTY_GUEST_DATA_STATUS | DOMAIN_PROPERTY_USERS);
        assert_true(m->generation > tree);
        assert_int_equal(m->summaries_generation, summaries);

        for (DomainProperties p = 1; p; p <<= 1) {
                if (!(p & DOMAIN_SUMMARY_PROPERTIES))
                        continue;
                tree = m->generation, summaries = m->summaries_generation;
                manager_domain_changed(m, d, p);
                assert_true(m->generation > tree);
                assert_true(m->summaries_generation > summaries);
        }

        /* a domain added or gone: both */
        tree = m->generation, summaries = m->summaries_generation;
        manager_apply(m, updated(info(UUID_B, "beta", DOMAIN_STATE_SHUTOFF, true, -1)));
        assert_true(m->generation > tree);
        assert_true(m->summaries_generation > summaries);
}

static void test_rename_keeps_one_object(void **state) {
        Manager *m = *state;

        manager_apply(m, connected(1, info(UUID_A, "alpha", DOMAIN_STATE_SHUTOFF, true, -1)));
        CLEAR(m);
        manager_apply(m, updated(info(UUID_A, "omega", DOMAIN_STATE_SHUTOFF, true, -1)));
        assert_string_equal(LOG(m), "changed a 0x1;");
        assert_int_equal(manager_domain_count(m), 1);
        assert_string_equal(manager_get_domain(m, UUID_A)->name, "omega");
        assert_null(manager_find_domain_by_name(m, "alpha"));
}

/* libvirt's names are untrusted: the model publishes a sanitized, bounded
 * one and still finds a domain by libvirt's own. */
static void test_untrusted_names(void **state) {
        Manager *m = *state;
        char long_name[1100], cut[300];
        Domain *d;

        memset(long_name, 'x', 1000);
        long_name[1000] = '\0';
        manager_apply(m, connected(3,
                                   info(UUID_A,
                                        "a\xef\xb7\x90"
                                        "b",
                                        DOMAIN_STATE_SHUTOFF, true, -1),
                                   info(UUID_B, long_name, DOMAIN_STATE_SHUTOFF, true, -1),
                                   info(UUID_C,
                                        "a\xef\xb7\x91"
                                        "b",
                                        DOMAIN_STATE_SHUTOFF, true, -1)));
        d = manager_get_domain(m, UUID_A);
        assert_string_equal(d->name, "a\xef\xbf\xbd"
                                     "b");
        assert_string_equal(d->log_name, "a\xef\xbf\xbd"
                                         "b");
        assert_ptr_equal(d->log_name, d->name); /* the same text: one copy */
        assert_ptr_equal(manager_find_domain_by_name(m, "a\xef\xb7\x90"
                                                        "b"),
                         d);
        assert_ptr_equal(manager_find_domain_by_name(m, "a\xef\xb7\x91"
                                                        "b"),
                         manager_get_domain(m, UUID_C));
        /* both publish "a\uFFFDb": that name picks neither */
        assert_null(manager_find_domain_by_name(m, "a\xef\xbf\xbd"
                                                   "b"));

        d = manager_get_domain(m, UUID_B);
        assert_int_equal(strlen(d->name), DOMAIN_NAME_PUBLISHED_MAX);
        memset(cut, 'x', DOMAIN_NAME_PUBLISHED_MAX - 3);
        strcpy(cut + DOMAIN_NAME_PUBLISHED_MAX - 3, "\xe2\x80\xa6");
        assert_string_equal(d->name, cut);
        assert_ptr_equal(manager_find_domain_by_name(m, long_name), d);
        assert_ptr_equal(manager_find_domain_by_name(m, cut), d);

        /* a change that the published name does not show is no rename on
         * the bus, but the lookup follows it */
        CLEAR(m);
        long_name[999] = 'y';
        manager_apply(m, updated(info(UUID_B, long_name, DOMAIN_STATE_SHUTOFF, true, -1)));
        assert_string_equal(LOG(m), "");
        assert_ptr_equal(manager_find_domain_by_name(m, long_name), d);
        long_name[999] = 'x';
        assert_null(manager_find_domain_by_name(m, long_name));

        /* one too long to look up is found by its published name */
        char longer[DOMAIN_NAME_LOOKUP_MAX + 2];
        memset(longer, 'z', sizeof longer - 1);
        longer[sizeof longer - 1] = '\0';
        manager_apply(m, updated(info(UUID_A, longer, DOMAIN_STATE_SHUTOFF, true, -1)));
        d = manager_get_domain(m, UUID_A);
        assert_null(d->libvirt_name);
        assert_null(manager_find_domain_by_name(m, longer));
        assert_ptr_equal(manager_find_domain_by_name(m, d->name), d);

        /* control characters are kept on the bus, not in logs */
        manager_apply(m, updated(info(UUID_C, "c\rd\x1b[0m", DOMAIN_STATE_SHUTOFF, true, -1)));
        d = manager_get_domain(m, UUID_C);
        assert_string_equal(d->name, "c\rd\x1b[0m");
        assert_null(d->libvirt_name);
        assert_null(strchr(d->log_name, '\r'));
        assert_null(strchr(d->log_name, '\x1b'));
        assert_ptr_not_equal(d->log_name, d->name);
        assert_ptr_equal(manager_find_domain_by_name(m, "c\rd\x1b[0m"), d);
        /* and back to a plain name: one copy again (the other freed) */
        manager_apply(m, updated(info(UUID_C, "plain", DOMAIN_STATE_SHUTOFF, true, -1)));
        assert_ptr_equal(d->log_name, d->name);
        assert_string_equal(d->log_name, "plain");
        manager_apply(m, updated(info(UUID_C, "c\rd", DOMAIN_STATE_SHUTOFF, true, -1)));
        assert_ptr_not_equal(d->log_name, d->name);
}

static void test_new_and_gone(void **state) {
        Manager *m = *state;

        manager_apply(m, connected(0));
        CLEAR(m);
        manager_apply(m, updated(info(UUID_C, "transient", DOMAIN_STATE_RUNNING, false, 7)));
        assert_string_equal(LOG(m), "added c transient running;manager 0x2;");
        CLEAR(m);
        manager_apply(m, simple(VIRT_MSG_DOMAIN_GONE, UUID_C, NULL));
        assert_string_equal(LOG(m), "removed c;manager 0x2;");
        assert_int_equal(manager_domain_count(m), 0);
        CLEAR(m);
        /* gone twice (a late event): no second signal */
        manager_apply(m, simple(VIRT_MSG_DOMAIN_GONE, UUID_C, NULL));
        assert_string_equal(LOG(m), "");
}

static void test_disconnect_and_resync(void **state) {
        Manager *m = *state;

        manager_apply(m, connected(2, info(UUID_A, "alpha", DOMAIN_STATE_RUNNING, true, 1),
                                   info(UUID_B, "beta", DOMAIN_STATE_SHUTOFF, true, -1)));
        CLEAR(m);

        manager_apply(m, simple(VIRT_MSG_DISCONNECTED, NULL, "end of file from libvirt"));
        /* Connected, then every domain's GuestDataReason (in the map's order) */
        assert_non_null(strstr(LOG(m), "manager 0x1;"));
        assert_non_null(strstr(LOG(m), "changed a 0x10000000;"));
        assert_non_null(strstr(LOG(m), "changed b 0x10000000;"));
        assert_int_equal(strlen(LOG(m)), strlen("manager 0x1;changed a 0x10000000;changed b 0x10000000;"));
        assert_string_equal(dom_reason(m, UUID_A), DOMAIN_REASON_LIBVIRT_DISCONNECTED);
        assert_false(m->connected);
        /* objects stay while disconnected */
        assert_int_equal(manager_domain_count(m), 2);
        CLEAR(m);

        /* a failed attempt changes nothing visible */
        manager_apply(m, simple(VIRT_MSG_CONNECT_FAILED, NULL, "Connection refused"));
        assert_string_equal(LOG(m), "");
        assert_false(m->connected);

        /* back: a stopped, b vanished, c new; no second "synced" */
        manager_apply(m, connected(2, info(UUID_A, "alpha", DOMAIN_STATE_SHUTOFF, true, -1),
                                   info(UUID_C, "gamma", DOMAIN_STATE_PAUSED, true, 4)));
        assert_string_equal(LOG(m), "changed a 0xa;added c gamma paused;manager 0x2;removed b;manager 0x2;manager 0x1;"
                                    "changed a 0x10000000;");
        assert_string_equal(dom_reason(m, UUID_A), DOMAIN_REASON_NOT_RUNNING);
        assert_string_equal(dom_reason(m, UUID_C), DOMAIN_REASON_PAUSED);
        assert_true(m->connected);
        assert_int_equal(((Record *) m->hooks_userdata)->synced, 1);
        assert_int_equal(manager_domain_count(m), 2);
        CLEAR(m);

        /* an identical resync says nothing at all */
        manager_apply(m, connected(2, info(UUID_A, "alpha", DOMAIN_STATE_SHUTOFF, true, -1),
                                   info(UUID_C, "gamma", DOMAIN_STATE_PAUSED, true, 4)));
        assert_string_equal(LOG(m), "");
}

static void test_first_connect_failure(void **state) {
        Manager *m = *state;
        Record *r = m->hooks_userdata;

        manager_apply(m, simple(VIRT_MSG_CONNECT_FAILED, NULL, "no such file"));
        assert_string_equal(r->connect_error, "no such file");
        assert_int_equal(r->synced, 0);
        assert_false(m->connected);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_first_sync, setup, teardown),
                cmocka_unit_test_setup_teardown(test_updates_signal_only_real_changes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rename_keeps_one_object, setup, teardown),
                cmocka_unit_test_setup_teardown(test_generations, setup, teardown),
                cmocka_unit_test_setup_teardown(test_untrusted_names, setup, teardown),
                cmocka_unit_test_setup_teardown(test_new_and_gone, setup, teardown),
                cmocka_unit_test_setup_teardown(test_disconnect_and_resync, setup, teardown),
                cmocka_unit_test_setup_teardown(test_first_connect_failure, setup, teardown),
        };
        return cmocka_run_group_tests_name("manager", tests, NULL, NULL);
}
