/* The writer (service/bus/bus-writer.c) on a private dbus-daemon: the
 * daemon's bus code serves a fleet with guest data through it (the fake
 * daemon connects as guestinfod does). A whole-fleet reply sent again with
 * its kept body (ListDomains) or from each domain's kept part
 * (ListSummaries, GetManagedObjects) must read exactly as the one
 * marshalled; a change of the model must be in the next reply, and only
 * the domain changed built again; several callers at once, with replies
 * of megabytes that fill the socket, each get theirs whole. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bus-manager.h"
#include "fake-daemon.h"
#include "guest-profiles.h"
#include "guestinfo-names.h"
#include "harness.h"
#include "intern.h"

#define OBJECT_MANAGER "org.freedesktop.DBus.ObjectManager"
/* Enough domains for a GetManagedObjects of megabytes: more than the pipe,
 * the socket and dbus-daemon hold at once. */
#define FLEET 1500
#define CALLERS 4

static Harness H;
static Manager *model;
static FakeDaemon server;

static int setup(void **state) {
        assert_int_equal(harness_setup(&H), 0);
        model = guest_profile_model(FLEET, guest_profile_ordinary(), guest_profile_ordinary_agent(), "vm", 0);
        assert_non_null(model);
        assert_int_equal(fake_daemon_start(&server, model, false), 0);
        return 0;
}

static int teardown(void **state) {
        fake_daemon_stop(&server);
        model = manager_free(model);
        harness_cleanup(&H);
        return 0;
}

/* The whole reply as text (every value, in order), to be compared. */
static char *dump(sd_bus_message *m) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        assert_non_null(f);
        assert_true(sd_bus_message_rewind(m, true) >= 0);
        assert_true(sd_bus_message_dump(m, f, SD_BUS_MESSAGE_DUMP_SUBTREE_ONLY) >= 0);
        assert_int_equal(fclose(f), 0);
        return text;
}

static char *call_text(sd_bus *bus, const char *path, const char *iface, const char *member) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = sd_bus_call_method(bus, BUS_NAME, path, iface, member, &error, &reply, NULL);
        if (r < 0)
                fail_msg("%s: %s", member, error.message);
        char *text = dump(reply);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&error);
        return text;
}

static BusWriterStats stats(void) {
        BusWriterStats s;
        assert_true(bus_writer_stats(server.bus, &s));
        return s;
}

static int rename_first(FakeDaemon *f, void *userdata) {
        Domain *d = manager_get_domain(model, "c0000000-0000-4000-8000-000000000000");
        if (!d || !d->guest)
                return -ENOENT;
        char *h = intern_copy(userdata);
        if (!h)
                return -ENOMEM;
        intern_unref(d->guest->hostname);
        d->guest->hostname = h;
        manager_domain_changed(model, d, DOMAIN_PROPERTY_OS_HOSTNAME);
        return 0;
}

/* Twice the same: the second from the kept body, and read the same; after a
 * change, built again. */
static void check_kept(const char *path, const char *iface, const char *member) {

        /* what an earlier test read is not for now */
        assert_int_equal(fake_daemon_call(&server, rename_first, "start.example"), 0);
        BusWriterStats s0 = stats();
        char *first = call_text(H.bus, path, iface, member);
        BusWriterStats s1 = stats();
        char *second = call_text(H.bus, path, iface, member);
        BusWriterStats s2 = stats();

        assert_true(strlen(first) > 100000);
        assert_string_equal(first, second);
        assert_int_equal(s1.kept_sent, s0.kept_sent);         /* marshalled */
        assert_int_equal(s1.kept_bodies, s0.kept_bodies + 1); /* and kept */
        assert_int_equal(s2.kept_sent, s1.kept_sent + 1);     /* sent again */
        assert_true(s2.kept_bytes > 0);

        assert_int_equal(fake_daemon_call(&server, rename_first, "renamed.example"), 0);
        char *third = call_text(H.bus, path, iface, member);
        BusWriterStats s3 = stats();
        assert_int_equal(s3.kept_sent, s2.kept_sent); /* built anew */
        assert_string_equal(third, first);            /* no name changed */
        char *fourth = call_text(H.bus, path, iface, member);
        assert_string_equal(third, fourth);
        assert_int_equal(stats().kept_sent, s3.kept_sent + 1);
        free(first);
        free(second);
        free(third);
        free(fourth);
}

/* ListDomains' whole body is kept by the writer. */
static void test_list_domains_kept(void **state) {
        check_kept(MANAGER_PATH, MANAGER_INTERFACE, "ListDomains");
}

/* The first domain paused, or running again. */
static int pause_first(FakeDaemon *f, void *userdata) {
        Domain *d = manager_get_domain(model, "c0000000-0000-4000-8000-000000000000");
        if (!d)
                return -ENOENT;
        d->state = *(bool *) userdata ? DOMAIN_STATE_PAUSED : DOMAIN_STATE_RUNNING;
        manager_domain_changed(model, d, DOMAIN_PROPERTY_STATE);
        return 0;
}

static BusFragmentsStats parts(BusFragmentKind kind) {
        BusFragmentsStats s;
        bus_tree_fragments_stats(server.tree, kind, &s);
        return s;
}

/* ListSummaries and GetManagedObjects are each domain's kept part: read
 * twice, the second copies every part and reads the same; after one
 * domain changed (the model told, as the collectors tell it), that one is
 * built again and the change is in the reply. */
static void check_parts(BusFragmentKind kind, const char *iface, const char *member) {
        static unsigned n;
        char name[64];

        /* every domain changed: everything is built */
        assert_int_equal(fake_daemon_call(&server, rename_first, "start.example"), 0);
        BusFragmentsStats s0 = parts(kind);
        char *first = call_text(H.bus, MANAGER_PATH, iface, member);
        BusFragmentsStats s1 = parts(kind);
        char *second = call_text(H.bus, MANAGER_PATH, iface, member);
        BusFragmentsStats s2 = parts(kind);

        assert_true(strlen(first) > 100000);
        assert_non_null(strstr(first, "start.example"));
        assert_string_equal(first, second);
        assert_int_equal(s1.built, s0.built + FLEET);
        assert_int_equal(s1.copied, s0.copied);
        assert_int_equal(s2.built, s1.built);
        assert_int_equal(s2.copied, s1.copied + FLEET);
        assert_true(s2.bytes > (uint64_t) FLEET * 100);

        /* one domain changed: one built, the others copied */
        snprintf(name, sizeof name, "renamed-%u.example", ++n);
        assert_int_equal(fake_daemon_call_told(&server, rename_first, name), 0);
        char *third = call_text(H.bus, MANAGER_PATH, iface, member);
        BusFragmentsStats s3 = parts(kind);
        assert_int_equal(s3.built, s2.built + 1);
        assert_int_equal(s3.copied, s2.copied + FLEET - 1);
        assert_non_null(strstr(third, name));
        assert_null(strstr(third, "start.example"));
        char *fourth = call_text(H.bus, MANAGER_PATH, iface, member);
        assert_string_equal(third, fourth);
        assert_int_equal(parts(kind).built, s3.built);

        /* another property, told through the model: in the next reply */
        bool paused = true;
        assert_null(strstr(fourth, "\"paused\""));
        assert_int_equal(fake_daemon_call_told(&server, pause_first, &paused), 0);
        char *fifth = call_text(H.bus, MANAGER_PATH, iface, member);
        assert_int_equal(parts(kind).built, s3.built + 1);
        assert_non_null(strstr(fifth, "\"paused\""));
        paused = false;
        assert_int_equal(fake_daemon_call_told(&server, pause_first, &paused), 0);
        free(first);
        free(second);
        free(third);
        free(fourth);
        free(fifth);
}

static void test_list_summaries_parts(void **state) {
        check_parts(BUS_FRAGMENT_SUMMARY, MANAGER_INTERFACE, "ListSummaries");
}

/* The first domain persistent or not: no summary shows it. */
static int flip_persistent(FakeDaemon *f, void *userdata) {
        Domain *d = manager_get_domain(model, "c0000000-0000-4000-8000-000000000000");
        if (!d)
                return -ENOENT;
        d->persistent = !d->persistent;
        manager_domain_changed(model, d, DOMAIN_PROPERTY_PERSISTENT);
        return 0;
}

/* A change that no summary shows (most collections' is GuestDataStatus)
 * builds that domain's object again, and no summary. */
static void test_summaries_left_by_other_changes(void **state) {
        char *summaries = call_text(H.bus, MANAGER_PATH, MANAGER_INTERFACE, "ListSummaries");
        char *objects = call_text(H.bus, MANAGER_PATH, OBJECT_MANAGER, "GetManagedObjects");
        BusFragmentsStats l0 = parts(BUS_FRAGMENT_SUMMARY), o0 = parts(BUS_FRAGMENT_OBJECT);
        assert_int_equal(fake_daemon_call_told(&server, flip_persistent, NULL), 0);
        char *summaries2 = call_text(H.bus, MANAGER_PATH, MANAGER_INTERFACE, "ListSummaries");
        char *objects2 = call_text(H.bus, MANAGER_PATH, OBJECT_MANAGER, "GetManagedObjects");
        assert_int_equal(parts(BUS_FRAGMENT_SUMMARY).built, l0.built);
        assert_int_equal(parts(BUS_FRAGMENT_SUMMARY).copied, l0.copied + FLEET);
        assert_int_equal(parts(BUS_FRAGMENT_OBJECT).built, o0.built + 1);
        assert_string_equal(summaries, summaries2);
        assert_string_not_equal(objects, objects2);
        assert_int_equal(fake_daemon_call_told(&server, flip_persistent, NULL), 0);
        free(summaries);
        free(summaries2);
        free(objects);
        free(objects2);
}

static void test_get_managed_objects_parts(void **state) {
        check_parts(BUS_FRAGMENT_OBJECT, OBJECT_MANAGER, "GetManagedObjects");
}

/* Every domain changed, every object's size known: sd-bus marshals the
 * whole, no part is built; the writer's copy of its body is cut into the
 * parts, which the next call copies, reading the same. */
static void test_get_managed_objects_cut(void **state) {
        char *before = call_text(H.bus, MANAGER_PATH, OBJECT_MANAGER, "GetManagedObjects");
        assert_int_equal(fake_daemon_call(&server, rename_first, "cut.example"), 0);
        BusFragmentsStats s0 = parts(BUS_FRAGMENT_OBJECT);
        BusWriterStats w0 = stats();
        char *first = call_text(H.bus, MANAGER_PATH, OBJECT_MANAGER, "GetManagedObjects");
        BusFragmentsStats s1 = parts(BUS_FRAGMENT_OBJECT);
        assert_int_equal(s1.built, s0.built);
        assert_int_equal(s1.copied, s0.copied);
        assert_int_equal(stats().kept_bodies, w0.kept_bodies + 1);
        char *second = call_text(H.bus, MANAGER_PATH, OBJECT_MANAGER, "GetManagedObjects");
        BusFragmentsStats s2 = parts(BUS_FRAGMENT_OBJECT);
        assert_int_equal(s2.built, s1.built);
        assert_int_equal(s2.copied, s1.copied + FLEET);
        assert_non_null(strstr(first, "cut.example"));
        assert_null(strstr(before, "cut.example"));
        assert_string_equal(first, second);
        /* the writer's copy is gone, cut */
        assert_int_equal(stats().kept_bytes, w0.kept_bytes);
        free(before);
        free(first);
        free(second);
}

/* In the serving thread: ListSummaries as sd-bus marshals it (the code
 * used without a writer), as text. */
static int summaries_by_sd_bus(FakeDaemon *f, void *userdata) {
        sd_bus_message *m = NULL;
        Domain *d;
        uint64_t offset = 8;
        int r = sd_bus_message_new_signal(f->bus, &m, MANAGER_PATH, MANAGER_INTERFACE, "Test");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', SUMMARY_SIGNATURE);
        HASHMAP_FOREACH (d, model->domains, i)
                if (r >= 0)
                        r = bus_manager_append_summary(m, d, &offset);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_seal(m, 1, 0);
        if (r >= 0)
                *(char **) userdata = dump(m);
        sd_bus_message_unref(m);
        return r < 0 ? r : 0;
}

/* The summaries the writer's path writes as bytes read as sd-bus's. */
static void test_summaries_as_bytes(void **state) {
        char *expected = NULL;
        assert_int_equal(fake_daemon_call(&server, summaries_by_sd_bus, &expected), 0);
        char *got = call_text(H.bus, MANAGER_PATH, MANAGER_INTERFACE, "ListSummaries");
        assert_true(strlen(expected) > 100000);
        assert_string_equal(got, expected);
        free(got);
        free(expected);
}

/* --keep-replies=0 keeps nothing; a budget smaller than the reply keeps
 * nothing either; both still answer right. */
static void test_budget(void **state) {
        for (int pass = 0; pass < 2; pass++) {
                bus_writer_set_kept_max(server.writer, pass == 0 ? 0 : 1000);
                /* a change first: what was kept before is not for now */
                assert_int_equal(fake_daemon_call(&server, rename_first, "budget.example"), 0);
                BusWriterStats s0 = stats();
                char *first = call_text(H.bus, MANAGER_PATH, MANAGER_INTERFACE, "ListDomains");
                char *second = call_text(H.bus, MANAGER_PATH, MANAGER_INTERFACE, "ListDomains");
                BusWriterStats s1 = stats();
                assert_string_equal(first, second);
                assert_int_equal(s1.kept_sent, s0.kept_sent);
                assert_int_equal(s1.kept_bodies, s0.kept_bodies);
                free(first);
                free(second);
        }
        bus_writer_set_kept_max(server.writer, BUS_WRITER_KEPT_DEFAULT);
}

static int set_parts_max(FakeDaemon *f, void *userdata) {
        bus_tree_set_kept_max(f->tree, *(uint64_t *) userdata);
        return 0;
}

/* The parts' budget: 0 keeps none, every read builds every part; a few
 * hundred bytes keep a summary or two; each reads the same. */
static void test_parts_budget(void **state) {
        uint64_t maxes[] = { 0, 1000, BUS_WRITER_KEPT_DEFAULT };
        char *expected = NULL;
        for (int pass = 0; pass < 3; pass++) {
                assert_int_equal(fake_daemon_call(&server, set_parts_max, &maxes[pass]), 0);
                BusFragmentsStats s0 = parts(BUS_FRAGMENT_SUMMARY);
                char *first = call_text(H.bus, MANAGER_PATH, MANAGER_INTERFACE, "ListSummaries");
                char *second = call_text(H.bus, MANAGER_PATH, MANAGER_INTERFACE, "ListSummaries");
                BusFragmentsStats s1 = parts(BUS_FRAGMENT_SUMMARY);
                assert_string_equal(first, second);
                if (expected)
                        assert_string_equal(first, expected);
                assert_true(s1.bytes <= maxes[pass]);
                if (pass == 0)
                        assert_int_equal(s1.built, s0.built + 2 * FLEET);
                else if (pass == 1) {
                        assert_true(s1.copied > s0.copied);
                        assert_true(s1.copied - s0.copied <= 1000 / 100);
                } else
                        assert_int_equal(s1.copied, s0.copied + FLEET);
                free(expected);
                expected = first;
                free(second);
        }
        free(expected);
}

static int set_idle(FakeDaemon *f, void *userdata) {
        bus_writer_set_idle(f->writer, *(uint64_t *) userdata);
        return 0;
}

static int set_parts_idle(FakeDaemon *f, void *userdata) {
        bus_tree_set_kept_idle(f->tree, *(uint64_t *) userdata);
        return 0;
}

/* A body nobody asks for again is dropped after the idle time. */
static void test_idle_bodies_dropped(void **state) {
        uint64_t short_idle = 200 * 1000, default_idle = 60ULL * 1000 * 1000;
        assert_int_equal(fake_daemon_call(&server, set_idle, &short_idle), 0);
        char *first = call_text(H.bus, MANAGER_PATH, MANAGER_INTERFACE, "ListDomains");
        assert_true(stats().kept_bytes > 0);
        for (int i = 0; i < 100 && stats().kept_bytes > 0; i++)
                usleep(20 * 1000);
        assert_int_equal(stats().kept_bytes, 0);
        /* and the next read builds it again, the same */
        BusWriterStats s0 = stats();
        char *second = call_text(H.bus, MANAGER_PATH, MANAGER_INTERFACE, "ListDomains");
        assert_string_equal(first, second);
        assert_int_equal(stats().kept_sent, s0.kept_sent);
        assert_int_equal(fake_daemon_call(&server, set_idle, &default_idle), 0);
        free(first);
        free(second);

        /* so are the parts of a call nobody makes again */
        assert_int_equal(fake_daemon_call(&server, set_parts_idle, &short_idle), 0);
        first = call_text(H.bus, MANAGER_PATH, MANAGER_INTERFACE, "ListSummaries");
        assert_true(parts(BUS_FRAGMENT_SUMMARY).bytes > 0);
        for (int i = 0; i < 100 && parts(BUS_FRAGMENT_SUMMARY).bytes > 0; i++)
                usleep(20 * 1000);
        assert_int_equal(parts(BUS_FRAGMENT_SUMMARY).bytes, 0);
        BusFragmentsStats p0 = parts(BUS_FRAGMENT_SUMMARY);
        second = call_text(H.bus, MANAGER_PATH, MANAGER_INTERFACE, "ListSummaries");
        assert_string_equal(first, second);
        assert_int_equal(parts(BUS_FRAGMENT_SUMMARY).built, p0.built + FLEET);
        assert_int_equal(fake_daemon_call(&server, set_parts_idle, &default_idle), 0);
        free(first);
        free(second);
}

typedef struct Answer {
        char *text;
        bool done;
} Answer;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Answer *a = userdata;
        a->done = true;
        if (!sd_bus_message_is_method_error(m, NULL))
                a->text = dump(m);
        return 0;
}

/* CALLERS connections ask GetManagedObjects and ListSummaries at once,
 * twice over (every reply copied from the kept parts, while other replies
 * of megabytes are on their way): each reads what one caller alone reads. */
static void test_callers_at_once(void **state) {
        char *objects = call_text(H.bus, MANAGER_PATH, OBJECT_MANAGER, "GetManagedObjects");
        char *summaries = call_text(H.bus, MANAGER_PATH, MANAGER_INTERFACE, "ListSummaries");
        sd_bus *buses[CALLERS];
        BusFragmentsStats o0 = parts(BUS_FRAGMENT_OBJECT), l0 = parts(BUS_FRAGMENT_SUMMARY);

        for (int i = 0; i < CALLERS; i++)
                assert_true(sd_bus_open_user(&buses[i]) >= 0);
        for (int round = 0; round < 2; round++) {
                Answer answers[CALLERS][2] = { 0 };
                for (int i = 0; i < CALLERS; i++) {
                        assert_true(sd_bus_call_method_async(buses[i], NULL, BUS_NAME, MANAGER_PATH, OBJECT_MANAGER,
                                                             "GetManagedObjects", on_reply, &answers[i][0], NULL) >= 0);
                        assert_true(sd_bus_call_method_async(buses[i], NULL, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE,
                                                             "ListSummaries", on_reply, &answers[i][1], NULL) >= 0);
                }
                for (int i = 0; i < CALLERS; i++)
                        for (int k = 0; k < 2; k++) {
                                for (int tries = 0; tries < 6000 && !answers[i][k].done; tries++)
                                        if (sd_bus_process(buses[i], NULL) == 0)
                                                (void) sd_bus_wait(buses[i], 10 * 1000);
                                assert_true(answers[i][k].done);
                                assert_non_null(answers[i][k].text);
                                assert_string_equal(answers[i][k].text, k == 0 ? objects : summaries);
                                free(answers[i][k].text);
                        }
        }
        /* every reply of both rounds copied every part */
        assert_int_equal(parts(BUS_FRAGMENT_OBJECT).built, o0.built);
        assert_int_equal(parts(BUS_FRAGMENT_OBJECT).copied, o0.copied + 2 * CALLERS * FLEET);
        assert_int_equal(parts(BUS_FRAGMENT_SUMMARY).built, l0.built);
        assert_int_equal(parts(BUS_FRAGMENT_SUMMARY).copied, l0.copied + 2 * CALLERS * FLEET);
        for (int i = 0; i < CALLERS; i++)
                sd_bus_flush_close_unref(buses[i]);
        free(objects);
        free(summaries);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_summaries_as_bytes),
                cmocka_unit_test(test_list_domains_kept),
                cmocka_unit_test(test_list_summaries_parts),
                cmocka_unit_test(test_get_managed_objects_parts),
                cmocka_unit_test(test_get_managed_objects_cut),
                cmocka_unit_test(test_summaries_left_by_other_changes),
                cmocka_unit_test(test_callers_at_once),
                cmocka_unit_test(test_budget),
                cmocka_unit_test(test_parts_budget),
                cmocka_unit_test(test_idle_bodies_dropped),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
