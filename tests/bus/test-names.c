/* Domain names are untrusted: libvirt accepts noncharacters (which sd-bus
 * refuses in a string), control characters and names of any length. The
 * daemon on a private bus, a hand-started libvirtd with the test
 * hypervisor, virsh defining such domains: every call still answers, the
 * bus shows a sanitized and bounded name, lookups by name keep working. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "summaries.h"

#define BUS_NAME "org.guestinfod.GuestInfo1"
#define MANAGER_PATH "/org/guestinfod/GuestInfo1"
#define MANAGER_IFACE "org.guestinfod.GuestInfo1.Manager"
#define DOMAIN_IFACE "org.guestinfod.GuestInfo1.Domain"
#define TIMEOUT_MS 10000
#define FFFD "\xef\xbf\xbd"     /* U+FFFD, what a noncharacter becomes */
#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, the mark of a cut */
#define PUBLISHED_MAX 256       /* DOMAIN_NAME_PUBLISHED_MAX */
#define LONG_LEN 600            /* a long name, still short enough to look up */

typedef struct Named {
        const char *uuid;
        const char *xml_name;  /* as written in the domain XML */
        const char *published; /* what the bus must show; NULL: computed */
} Named;

static Harness H;
static char long_name[LONG_LEN + 1], long_published[PUBLISHED_MAX + 1];

static const Named names[] = {
        { "11111111-2222-3333-4444-00000000fd01", "bad&#xFDD0;name", "bad" FFFD "name" },
        { "11111111-2222-3333-4444-00000000fd02", "nc&#xFDEF;&#x1FFFF;&#x10FFFF;x", "nc" FFFD FFFD FFFD "x" },
        /* valid for D-Bus: published as it is */
        { "11111111-2222-3333-4444-00000000fd03", "cr&#13;c1&#x85;bidi&#x202E;zw&#x200B;",
          "cr\rc1\xc2\x85"
          "bidi\xe2\x80\xae"
          "zw\xe2\x80\x8b" },
        /* two names that sanitize alike */
        { "11111111-2222-3333-4444-00000000fd04", "twin&#xFDD0;", "twin" FFFD },
        { "11111111-2222-3333-4444-00000000fd05", "twin&#xFDD1;", "twin" FFFD },
        { "11111111-2222-3333-4444-00000000fd06", long_name, long_published },
};
#define N_NAMES (sizeof names / sizeof *names)

static const char *domain_file(size_t i) {
        static char path[400];
        snprintf(path, sizeof path, "%s/named-%zu.xml", H.dir, i);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fprintf(f,
                "<domain type='test'><name>%s</name><uuid>%s</uuid><memory>8192</memory>"
                "<os><type>hvm</type></os><devices>"
                "<disk type='file' device='disk'><source file='/nonexistent/d&#xFDD0;.img'/>"
                "<target dev='vd&#xFDD0;a' bus='virtio'/><serial>s&#xFDD0;</serial>"
                "<address type='pci' domain='0' bus='0' slot='5' function='0'/></disk>"
                "<interface type='network'><mac address='52:54:00:00:fd:%02zx'/><source network='default'/>"
                "</interface></devices></domain>\n",
                names[i].xml_name, names[i].uuid, i);
        fclose(f);
        return path;
}

static int group_setup(void **state) {
        memset(long_name, 'L', LONG_LEN);
        memset(long_published, 'L', PUBLISHED_MAX - 3);
        memcpy(long_published + PUBLISHED_MAX - 3, ELLIPSIS, 3);

        assert_int_equal(harness_setup_test_daemon(&H, 30, "--log-level=debug", NULL), 0);

        /* libvirt takes them all */
        for (size_t i = 0; i < N_NAMES; i++)
                assert_int_equal(harness_virsh(&H, "define %s", domain_file(i)), 0);
        char needle[100];
        snprintf(needle, sizeof needle, "DomainCount=%zu", N_NAMES + 1);
        assert_true(harness_wait_line(&H, needle, TIMEOUT_MS));
        harness_settle(&H, 200);
        return 0;
}

static int group_teardown(void **state) {
        int status = harness_stop_daemon(&H);
        harness_cleanup(&H);
        assert_int_equal(status, 0);
        return 0;
}

static int test_teardown(void **state) {
        assert_true(harness_daemon_running(&H));
        return 0;
}

static const Named *named_by_uuid(const char *uuid) {
        for (size_t i = 0; i < N_NAMES; i++)
                if (strcmp(names[i].uuid, uuid) == 0)
                        return &names[i];
        return NULL;
}

/* Each one announced, with its published name. */
static void test_interfaces_added(void **state) {
        for (size_t i = 0; i < N_NAMES; i++) {
                char needle[PUBLISHED_MAX + 100];
                snprintf(needle, sizeof needle, "InterfacesAdded %s Domain(Name=%s UUID=", names[i].uuid,
                         names[i].published);
                if (!harness_wait_line(&H, needle, 1))
                        fprintf(stderr, "no %s\nsignals:\n%s\n", needle, harness_lines(&H));
                assert_true(harness_wait_line(&H, needle, 1));
        }
}

static void test_list_domains(void **state) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *name, *uuid, *path;
        size_t seen = 0;

        int r = sd_bus_call_method(H.bus, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "ListDomains", &error, &reply, "");
        if (r < 0)
                fprintf(stderr, "ListDomains: %s\n", error.message);
        assert_int_equal(r, 1);
        assert_true(sd_bus_message_enter_container(reply, 'a', "(sso)") > 0);
        while (sd_bus_message_read(reply, "(sso)", &name, &uuid, &path) > 0) {
                const Named *n = named_by_uuid(uuid);
                if (!n)
                        continue;
                assert_string_equal(name, n->published);
                assert_true(strlen(name) <= PUBLISHED_MAX);
                seen++;
        }
        assert_int_equal(seen, N_NAMES);
        sd_bus_message_unref(reply);
}

static void test_summaries_and_managed_objects(void **state) {
        size_t n_summaries = 0, n_objects = 0;
        char *summaries = summaries_text(H.bus, &n_summaries), *objects = managed_objects_text(H.bus, &n_objects);

        /* the test hypervisor's own "test" and ours */
        assert_int_equal(n_summaries, N_NAMES + 1);
        assert_int_equal(n_objects, N_NAMES + 1);
        assert_string_equal(summaries, objects);
        for (size_t i = 0; i < N_NAMES; i++) {
                char line[PUBLISHED_MAX + 100];
                snprintf(line, sizeof line, "%s|%s|shutoff|", names[i].published, names[i].uuid);
                assert_non_null(strstr(summaries, line));
        }
        free(summaries), free(objects);
}

static void test_name_property(void **state) {
        for (size_t i = 0; i < N_NAMES; i++) {
                char *path = NULL, *name = NULL;
                harness_domain_path(names[i].uuid, &path);
                assert_int_equal(harness_get_property(&H, path, DOMAIN_IFACE, "Name", 's', &name), 0);
                assert_string_equal(name, names[i].published);
                free(path), free(name);
        }
}

static int get_domain_by_name(const char *name, char **ret_path, sd_bus_error *error) {
        sd_bus_message *reply = NULL;
        const char *path;
        int r = sd_bus_call_method(H.bus, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "GetDomainByName", error, &reply, "s",
                                   name);
        if (r < 0)
                return r;
        assert_int_equal(sd_bus_message_read(reply, "o", &path), 1);
        *ret_path = strdup(path);
        sd_bus_message_unref(reply);
        return 0;
}

static void expect_found(const char *name, const char *uuid) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char *path = NULL, *expected = NULL;
        int r = get_domain_by_name(name, &path, &error);
        if (r < 0)
                fprintf(stderr, "GetDomainByName(%.40s): %s\n", name, error.message);
        assert_int_equal(r, 0);
        harness_domain_path(uuid, &expected);
        assert_string_equal(path, expected);
        free(path), free(expected);
}

static void test_lookups(void **state) {
        /* libvirt's own name, which the bus shows cut */
        expect_found(long_name, names[5].uuid);
        /* the published name, the one a client can know of a name sd-bus
         * cannot carry */
        for (size_t i = 0; i < N_NAMES; i++)
                if (i != 3 && i != 4)
                        expect_found(names[i].published, names[i].uuid);

        /* "twin\uFFFD" names two domains: neither is picked */
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char *path = NULL;
        assert_true(get_domain_by_name("twin" FFFD, &path, &error) < 0);
        assert_string_equal(error.name, "org.guestinfod.GuestInfo1.Error.NoSuchDomain");
        sd_bus_error_free(&error);
}

static void test_rename_and_log(void **state) {
        harness_clear_lines(&H);
        /* by UUID: virsh takes no noncharacter on its command line */
        assert_int_equal(harness_virsh(&H, "domrename %s %s", names[0].uuid, "renamed"), 0);
        assert_true(harness_wait_line(&H, "PropertiesChanged 11111111-2222-3333-4444-00000000fd01 Name=renamed",
                                      TIMEOUT_MS));
        expect_found("renamed", names[0].uuid);

        /* log lines quote names made safe: no raw carriage return, no
         * noncharacter */
        assert_true(harness_daemon_log_contains(&H, "(11111111-2222-3333-4444-00000000fd03) appeared"));
        assert_false(harness_daemon_log_contains(&H, "cr\rc1"));
        assert_false(harness_daemon_log_contains(&H, "bad\xef\xb7\x90"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_interfaces_added, test_teardown),
                cmocka_unit_test_teardown(test_list_domains, test_teardown),
                cmocka_unit_test_teardown(test_summaries_and_managed_objects, test_teardown),
                cmocka_unit_test_teardown(test_name_property, test_teardown),
                cmocka_unit_test_teardown(test_lookups, test_teardown),
                cmocka_unit_test_teardown(test_rename_and_log, test_teardown),
        };
        return cmocka_run_group_tests_name("bus: names", tests, group_setup, group_teardown);
}
