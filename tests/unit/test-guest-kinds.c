/* The table of guest-data kinds (collectors/parsers/guest-kinds.c) against what the
 * daemon really has: the bus's vtables, the model's property bits, the
 * options. A kind added to one and not the other fails here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intern.h"
#include "bus-domain.h"
#include "collect.h"
#include "guest-disks.h"
#include "domain.h"
#include "guest-kinds.h"
#include "options.h"

static const sd_bus_vtable *vtable_of(const char *interface) {
        size_t n;
        const BusDomainInterface *ifaces = bus_domain_interfaces(&n);
        for (size_t i = 0; i < n; i++)
                if (strcmp(ifaces[i].interface, interface) == 0)
                        return ifaces[i].vtable;
        return NULL;
}

static bool vtable_has_property(const sd_bus_vtable *v, const char *name) {
        for (; v->type != _SD_BUS_VTABLE_END; v++)
                if (v->type == _SD_BUS_VTABLE_PROPERTY && strcmp(v->x.property.member, name) == 0)
                        return true;
        return false;
}

/* The kinds whose table entry names property name of interface. */
static unsigned kinds_naming(const char *interface, const char *name) {
        unsigned kinds = 0;
        for (int i = 0; i < GUEST_KIND_COUNT; i++) {
                if (strcmp(guest_kinds[i].interface, interface) != 0)
                        continue;
                for (const char *const *p = guest_kinds[i].properties; *p; p++)
                        if (strcmp(*p, name) == 0)
                                kinds |= guest_kinds[i].kind;
        }
        return kinds;
}

static void test_table_is_complete(void **state) {
        for (int i = 0; i < GUEST_KIND_COUNT; i++) {
                const GuestKindInfo *k = &guest_kinds[i];

                assert_int_equal(k->kind, 1u << i);
                assert_ptr_equal(guest_kind_info(k->kind), k);
                assert_int_equal(guest_kind_index(k->kind), i);
                assert_int_equal(guest_kind_from_name(k->name), i);
                assert_in_range(k->interval_sec, 1, COLLECT_INTERVAL_MAX_SEC);
                /* it feeds properties, or (the counters) a method */
                assert_true(k->properties[0] || k->method);
                assert_true(!k->method || (k->kind & GUEST_KIND_COUNTERS));
                /* The agent's kind is guest-info itself: always asked, and
                 * never of virDomainGetGuestInfo; every other kind is. */
                if (k->kind == GUEST_KIND_AGENT) {
                        assert_null(k->command);
                        assert_int_equal(k->libvirt_type, 0);
                        assert_non_null(k->raw_command);
                } else {
                        /* read through libvirt's guest info, or (no call
                         * there) raw; the clock through its own call */
                        assert_non_null(k->command);
                        assert_true(k->libvirt_type != 0 || k->raw_command || k->kind == GUEST_KIND_CLOCK);
                }
                /* A list libvirt may refuse to carry can be read raw, and
                 * libvirt's answer for it is recognized by its count. */
                if (k->list_max > 0 && k->libvirt_type) {
                        assert_non_null(k->raw_command);
                        assert_non_null(k->answered_key);
                        assert_non_null(strstr(k->answered_key, ".count"));
                }
                /* raw: the agent's own kind, a list, or a kind libvirt has no call for */
                if (k->raw_command && k->kind != GUEST_KIND_AGENT)
                        assert_true(k->list_max > 0 || k->libvirt_type == 0);
                for (int j = 0; j < i; j++) {
                        assert_string_not_equal(guest_kinds[j].name, k->name);
                        if (k->libvirt_type)
                                assert_int_not_equal(guest_kinds[j].libvirt_type, k->libvirt_type);
                }
        }
        assert_int_equal(guest_kind_index(0), -EINVAL);
        assert_int_equal(guest_kind_index(GUEST_KIND_OS | GUEST_KIND_USERS), -EINVAL);
        assert_int_equal(guest_kind_from_name("cpu"), -EINVAL);
        assert_int_equal(guest_kind_from_name(NULL), -EINVAL);
        assert_int_equal(GUEST_KIND_ALL, (1u << GUEST_KIND_COUNT) - 1);
        assert_int_equal(guest_kinds[GUEST_KIND_AGENT_INDEX].kind, GUEST_KIND_AGENT);
}

/* Every property the table names exists on the interface it says. */
static void test_properties_exist_on_the_bus(void **state) {
        for (int i = 0; i < GUEST_KIND_COUNT; i++) {
                const sd_bus_vtable *v = vtable_of(guest_kinds[i].interface);
                assert_non_null(v);
                for (const char *const *p = guest_kinds[i].properties; *p; p++) {
                        if (!vtable_has_property(v, *p))
                                fail_msg("kind %s: %s has no property %s", guest_kinds[i].name,
                                         guest_kinds[i].interface, *p);
                        /* fed by this kind alone */
                        assert_int_equal(kinds_naming(guest_kinds[i].interface, *p), guest_kinds[i].kind);
                }
        }
}

/* The model's bits for a kind are exactly the properties the table names. */
static void test_model_bits_match_the_table(void **state) {
        for (int i = 0; i < GUEST_KIND_COUNT; i++) {
                DomainProperties bits = domain_kind_properties(guest_kinds[i].kind);
                size_t n_bits = 0, n_names = 0;

                for (DomainProperties bit = 1; bit; bit <<= 1) {
                        if (!(bits & bit))
                                continue;
                        const char *interface = NULL, *name = bus_domain_property_name(bit, &interface);
                        assert_non_null(name);
                        if (!(kinds_naming(interface, name) & guest_kinds[i].kind))
                                fail_msg("kind %s feeds %s.%s, which the table does not name", guest_kinds[i].name,
                                         interface, name);
                        n_bits++;
                }
                for (const char *const *p = guest_kinds[i].properties; *p; p++)
                        n_names++;
                assert_int_equal(n_bits, n_names);
        }
        /* what InterfacesAdded carries: the exported kinds' properties */
        DomainProperties exported = 0;
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (guest_kinds[i].exported)
                        exported |= domain_kind_properties(guest_kinds[i].kind);
        assert_int_equal(domain_exported_properties(), exported);
        assert_int_not_equal(exported, 0);
}

/* Every property of an interface that only guest data feeds is fed by
 * some kind; on the others, what a reply changes is named by a kind. */
static void test_every_guest_property_is_fed(void **state) {
        size_t n;
        const BusDomainInterface *ifaces = bus_domain_interfaces(&n);
        const char *agent_interface = guest_kind_info(GUEST_KIND_AGENT)->interface;

        for (size_t i = 0; i < n; i++) {
                bool named = false;
                for (int k = 0; k < GUEST_KIND_COUNT; k++)
                        named |= strcmp(guest_kinds[k].interface, ifaces[i].interface) == 0;
                if (!named || strcmp(ifaces[i].interface, agent_interface) == 0)
                        continue;
                for (const sd_bus_vtable *v = ifaces[i].vtable; v->type != _SD_BUS_VTABLE_END; v++)
                        if (v->type == _SD_BUS_VTABLE_PROPERTY &&
                            !kinds_naming(ifaces[i].interface, v->x.property.member))
                                fail_msg("%s.%s is fed by no kind", ifaces[i].interface, v->x.property.member);
        }
}

/* A reply that differs in every kind changes exactly the properties the
 * kinds feed: none is missing from the model's bits, none is extra. */
static void test_a_full_reply_changes_every_kind(void **state) {
        Domain *d = calloc(1, sizeof *d);
        GuestData data = { 0 };
        GuestInfo *g = guest_info_new();

        assert_non_null(d);
        assert_non_null(g);
        data.agent = calloc(1, sizeof *data.agent);
        data.agent->version = strdup("9.0");
        data.agent->commands = calloc(1, sizeof *data.agent->commands);
        data.agent->commands[0] = (AgentCommand){ .name = strdup("guest-info"), .enabled = true };
        data.agent->n_commands = data.agent->n_reported = 1;

        g->kinds = GUEST_KIND_ALL & ~(unsigned) GUEST_KIND_AGENT;
        char **os[] = { &g->os.id,         &g->os.name,           &g->os.pretty_name,    &g->os.version,
                        &g->os.version_id, &g->os.kernel_release, &g->os.kernel_version, &g->os.machine,
                        &g->os.variant,    &g->os.variant_id };
        for (size_t i = 0; i < sizeof os / sizeof *os; i++)
                *os[i] = intern_take(strdup("x"));
        g->hostname = intern_take(strdup("guest"));
        g->timezone_name = intern_take(strdup("CET"));
        g->timezone_offset = 3600;
        g->has_timezone_offset = true;
        g->users = calloc(1, sizeof *g->users);
        g->users[0].name = intern_take(strdup("root"));
        g->n_users = g->n_users_reported = 1;
        g->filesystems = calloc(1, sizeof *g->filesystems);
        g->filesystems[0].mount_point = intern_take(strdup("/"));
        g->n_filesystems = g->n_filesystems_reported = 1;
        g->interfaces = calloc(1, sizeof *g->interfaces);
        g->interfaces[0].name = intern_take(strdup("eth0"));
        g->interfaces[0].mac = intern_take(strdup("52:54:00:00:00:01"));
        g->n_interfaces = g->n_interfaces_reported = 1;
        g->fsfreeze = GUEST_FREEZE_FROZEN;
        g->vcpus_configured = g->vcpus_online = 2;
        g->load[0] = 0.5;
        g->disks = calloc(1, sizeof *g->disks);
        g->disks->items = calloc(1, sizeof *g->disks->items);
        g->disks->items[0].name = strdup("/dev/vda");
        g->disks->n_items = g->disks->n_reported = 1;
        g->clock_offset_usec = -3600 * INT64_C(1000000);
        data.guest = g;

        assert_int_equal(domain_take_guest_data(d, &data), domain_kind_properties(GUEST_KIND_ALL));
        guest_info_free(data.guest);
        domain_free(d);
}

/* The help lists every kind with its default, as the table has them. */
static void test_help_lists_every_kind(void **state) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        FILE *saved = stdout;

        assert_non_null(f);
        stdout = f;
        options_help("guestinfod");
        stdout = saved;
        fclose(f);
        /* the descriptions are wrapped: join them again */
        char *flat = calloc(1, size + 1);
        size_t k = 0;
        for (size_t i = 0; i < size; i++) {
                if (text[i] == '\n') {
                        while (i + 1 < size && text[i + 1] == ' ')
                                i++;
                        flat[k++] = ' ';
                } else
                        flat[k++] = text[i];
        }
        for (int i = 0; i < GUEST_KIND_COUNT; i++) {
                char word[64];
                snprintf(word, sizeof word, " %s", guest_kinds[i].name);
                assert_non_null(strstr(flat, word));
        }
        assert_non_null(strstr(flat, "KIND is agent, nic-counters, cpu-counters, disk-counters (default 300), os, "
                                     "hostname, timezone, filesystems, vcpus, load, disks, clock (60), users, "
                                     "interfaces, fsfreeze (10); may be repeated"));
        free(flat);
        free(text);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table_is_complete),
                cmocka_unit_test(test_properties_exist_on_the_bus),
                cmocka_unit_test(test_model_bits_match_the_table),
                cmocka_unit_test(test_every_guest_property_is_fed),
                cmocka_unit_test(test_a_full_reply_changes_every_kind),
                cmocka_unit_test(test_help_lists_every_kind),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
