/* dbus/guestinfo-names.h against the XML beside it: the interfaces in dbus/
 * are exactly the header's, every method of the XML is in the header under
 * its interface, and the signatures the daemon and the client share are the
 * XML's. (The bus tests hold the running daemon's Introspect against the same
 * XML, so the daemon, the client and the contract agree.) */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "bus-errors.h"
#include "guestinfo-names.h"
#include "macro.h"

static const char *const interfaces[] = {
        MANAGER_INTERFACE, DOMAIN_INTERFACE, OS_INTERFACE, USERS_INTERFACE, FILESYSTEMS_INTERFACE, NETWORK_INTERFACE,
};

/* The interfaces a domain object can have at once. */
static const char *const domain_object_interfaces[] = {
        DOMAIN_INTERFACE, NETWORK_INTERFACE, OS_INTERFACE, USERS_INTERFACE, FILESYSTEMS_INTERFACE,
};

static const struct {
        const char *interface, *method;
} methods[] = {
        { MANAGER_INTERFACE, METHOD_LIST_DOMAINS },
        { MANAGER_INTERFACE, METHOD_LIST_SUMMARIES },
        { MANAGER_INTERFACE, METHOD_GET_DOMAIN_BY_NAME },
        { MANAGER_INTERFACE, METHOD_GET_DOMAIN_BY_UUID },
        { DOMAIN_INTERFACE, METHOD_REFRESH },
        { DOMAIN_INTERFACE, METHOD_GET_GUEST_OS_INFO },
        { DOMAIN_INTERFACE, METHOD_GET_USER_LIST },
        { DOMAIN_INTERFACE, METHOD_GET_FILESYSTEM_LIST },
        { DOMAIN_INTERFACE, METHOD_GET_INTERFACES },
        { DOMAIN_INTERFACE, METHOD_GET_COUNTERS },
        { USERS_INTERFACE, METHOD_LIST_USERS },
        { FILESYSTEMS_INTERFACE, METHOD_LIST_FILESYSTEMS },
};

static const char *const errors[] = {
        BUS_ERROR_NO_SUCH_DOMAIN,
        BUS_ERROR_NO_AGENT,
        BUS_ERROR_AGENT_FAILED,
};

static xmlDoc *docs[ELEMENTSOF(interfaces)];

static bool is_element(xmlNode *n, const char *name) {
        return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, (const xmlChar *) name) == 0;
}

static bool attr_is(xmlNode *n, const char *name, const char *value) {
        xmlChar *v = xmlGetProp(n, (const xmlChar *) name);
        bool same = v && xmlStrcmp(v, (const xmlChar *) value) == 0;
        xmlFree(v);
        return same;
}

static xmlNode *interface_node(const char *interface) {
        for (size_t i = 0; i < ELEMENTSOF(interfaces); i++) {
                if (strcmp(interfaces[i], interface) != 0)
                        continue;
                for (xmlNode *n = xmlDocGetRootElement(docs[i])->children; n; n = n->next)
                        if (is_element(n, "interface") && attr_is(n, "name", interface))
                                return n;
        }
        return NULL;
}

/* The <method> or <property> of that name in the interface, or NULL. */
static xmlNode *member(const char *interface, const char *kind, const char *name) {
        xmlNode *i = interface_node(interface);
        for (xmlNode *n = i ? i->children : NULL; n; n = n->next)
                if (is_element(n, kind) && attr_is(n, "name", name))
                        return n;
        return NULL;
}

static void assert_property_type(const char *interface, const char *property, const char *type) {
        xmlNode *p = member(interface, "property", property);
        if (!p)
                fail_msg("%s.%s: not in the XML", interface, property);
        if (!attr_is(p, "type", type))
                fail_msg("%s.%s: the XML's type is not %s", interface, property, type);
}

/* The method's only out argument has this type. */
static void assert_method_returns(const char *interface, const char *method, const char *type) {
        xmlNode *m = member(interface, "method", method);
        unsigned outs = 0;

        if (!m)
                fail_msg("%s.%s(): not in the XML", interface, method);
        for (xmlNode *a = m->children; a; a = a->next) {
                if (!is_element(a, "arg") || !attr_is(a, "direction", "out"))
                        continue;
                outs++;
                if (!attr_is(a, "type", type))
                        fail_msg("%s.%s(): the XML's result is not %s", interface, method, type);
        }
        assert_int_equal(outs, 1);
}

static int group_setup(void **state) {
        const char *root = getenv("MESON_SOURCE_ROOT");
        char path[4096];

        assert_non_null(root);
        for (size_t i = 0; i < ELEMENTSOF(interfaces); i++) {
                snprintf(path, sizeof path, "%s/dbus/%s.xml", root, interfaces[i]);
                docs[i] = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
                if (!docs[i])
                        fail_msg("%s: missing or not XML", path);
        }
        return 0;
}

static int group_teardown(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(interfaces); i++)
                xmlFreeDoc(docs[i]);
        return 0;
}

/* Each interface is dbus/<name>.xml declaring that name, and there is no
 * other interface file in dbus/. */
static void test_interfaces(void **state) {
        char dir[4096];
        unsigned files = 0;

        for (size_t i = 0; i < ELEMENTSOF(interfaces); i++) {
                assert_non_null(interface_node(interfaces[i]));
                assert_int_equal(strncmp(interfaces[i], INTERFACE_PREFIX, strlen(INTERFACE_PREFIX)), 0);
        }
        assert_string_equal(BUS_NAME ".", INTERFACE_PREFIX);

        snprintf(dir, sizeof dir, "%s/dbus", getenv("MESON_SOURCE_ROOT"));
        DIR *d = opendir(dir);
        assert_non_null(d);
        for (struct dirent *e; (e = readdir(d));) {
                size_t n = strlen(e->d_name);
                if (n < 4 || strcmp(e->d_name + n - 4, ".xml") != 0)
                        continue;
                bool known = false;
                for (size_t i = 0; i < ELEMENTSOF(interfaces); i++)
                        known = known ||
                                (strlen(interfaces[i]) == n - 4 && strncmp(e->d_name, interfaces[i], n - 4) == 0);
                if (!known)
                        fail_msg("dbus/%s: an interface guestinfo-names.h does not name", e->d_name);
                files++;
        }
        closedir(d);
        assert_int_equal(files, ELEMENTSOF(interfaces));
}

/* Every method of the header is in the XML under its interface, and every
 * method of the XML is in the header. */
static void test_methods(void **state) {
        unsigned in_xml = 0;

        for (size_t i = 0; i < ELEMENTSOF(methods); i++)
                if (!member(methods[i].interface, "method", methods[i].method))
                        fail_msg("%s.%s(): not in the XML", methods[i].interface, methods[i].method);

        for (size_t i = 0; i < ELEMENTSOF(interfaces); i++)
                for (xmlNode *n = interface_node(interfaces[i])->children; n; n = n->next) {
                        if (!is_element(n, "method"))
                                continue;
                        in_xml++;
                        bool known = false;
                        for (size_t k = 0; k < ELEMENTSOF(methods); k++)
                                known = known || (strcmp(methods[k].interface, interfaces[i]) == 0 &&
                                                  attr_is(n, "name", methods[k].method));
                        if (!known) {
                                xmlChar *name = xmlGetProp(n, (const xmlChar *) "name");
                                fail_msg("%s.%s(): a method guestinfo-names.h does not name", interfaces[i],
                                         (const char *) name);
                        }
                }
        assert_int_equal(in_xml, ELEMENTSOF(methods));
}

static void test_signatures(void **state) {
        assert_method_returns(MANAGER_INTERFACE, METHOD_LIST_DOMAINS, "a" DOMAIN_ENTRY_SIGNATURE);
        assert_method_returns(MANAGER_INTERFACE, METHOD_LIST_SUMMARIES, "a" SUMMARY_SIGNATURE);
        assert_method_returns(MANAGER_INTERFACE, METHOD_GET_DOMAIN_BY_NAME, "o");
        assert_method_returns(MANAGER_INTERFACE, METHOD_GET_DOMAIN_BY_UUID, "o");
        assert_method_returns(USERS_INTERFACE, METHOD_LIST_USERS, "a" USER_SIGNATURE);
        assert_method_returns(FILESYSTEMS_INTERFACE, METHOD_LIST_FILESYSTEMS, "a" FILESYSTEM_SIGNATURE);
        assert_method_returns(DOMAIN_INTERFACE, METHOD_GET_GUEST_OS_INFO, "s");

        assert_property_type(MANAGER_INTERFACE, PROPERTY_CONNECTED, "b");
        assert_property_type(DOMAIN_INTERFACE, PROPERTY_AGENT_SUPPORTED_COMMANDS, "a" AGENT_COMMAND_SIGNATURE);
        assert_property_type(USERS_INTERFACE, "Users", "a" USER_SIGNATURE);
        assert_property_type(FILESYSTEMS_INTERFACE, "Filesystems", "a" FILESYSTEM_SIGNATURE);
        assert_property_type(NETWORK_INTERFACE, "Interfaces", "a" INTERFACE_SIGNATURE);
        assert_property_type(OS_INTERFACE, "OperatingSystemPrettyName", "s");
        assert_property_type(OS_INTERFACE, "Hostname", "s");

        /* the shapes themselves, spelled out once */
        assert_string_equal("a" SUMMARY_SIGNATURE, "a(osssbbssa(ssy)a{sv})");
        assert_string_equal("a" INTERFACE_SIGNATURE, "a(sssa(ssy)asa{sv})");
        assert_string_equal("a" USER_SIGNATURE, "a(ssta{sv})");
        assert_string_equal("a" FILESYSTEM_SIGNATURE, "a(ssstta(ssa{sv})a{sv})");
}

/* No property name repeats across the interfaces of one domain object, so
 * Properties.GetAll("") means something. */
static void test_property_names_unique(void **state) {
        const char *seen[128];
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(domain_object_interfaces); i++)
                for (xmlNode *p = interface_node(domain_object_interfaces[i])->children; p; p = p->next) {
                        if (!is_element(p, "property"))
                                continue;
                        xmlChar *name = xmlGetProp(p, (const xmlChar *) "name");
                        assert_non_null(name);
                        for (size_t k = 0; k < n; k++)
                                if (strcmp(seen[k], (const char *) name) == 0)
                                        fail_msg("%s: on two interfaces of a domain object", (const char *) name);
                        assert_true(n < ELEMENTSOF(seen));
                        seen[n++] = (const char *) name;
                }
        assert_true(n > 20);
        for (size_t k = 0; k < n; k++)
                xmlFree((xmlChar *) seen[k]);
}

/* The paths follow the bus name; the errors are the daemon's, each mapped to
 * an errno, and documented. */
static void test_paths_and_errors(void **state) {
        char path[sizeof BUS_NAME + 1] = "/", doc[4096];

        for (const char *s = BUS_NAME; *s; s++)
                path[s - BUS_NAME + 1] = *s == '.' ? '/' : *s;
        assert_string_equal(MANAGER_PATH, path);
        assert_string_equal(DOMAIN_PATH_PREFIX, MANAGER_PATH "/domain");

        snprintf(doc, sizeof doc, "%s/docs/dbus-api.md", getenv("MESON_SOURCE_ROOT"));
        FILE *f = fopen(doc, "re");
        assert_non_null(f);
        static char text[1 << 20];
        size_t n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = '\0';

        size_t mapped = 0;
        while (bus_error_map[mapped].name)
                mapped++;
        assert_int_equal(mapped, ELEMENTSOF(errors));
        /* invalid arguments get the standard error, not one of ours */
        for (size_t i = 0; i < mapped; i++)
                assert_null(strstr(bus_error_map[i].name, "InvalidArgs"));
        for (size_t i = 0; i < ELEMENTSOF(errors); i++) {
                assert_int_equal(strncmp(errors[i], BUS_NAME ".Error.", strlen(BUS_NAME ".Error.")), 0);
                assert_string_equal(bus_error_map[i].name, errors[i]);
                if (!strstr(text, errors[i] + strlen(BUS_NAME ".")))
                        fail_msg("%s: not in docs/dbus-api.md", errors[i]);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_interfaces),       cmocka_unit_test(test_methods),
                cmocka_unit_test(test_signatures),       cmocka_unit_test(test_property_names_unique),
                cmocka_unit_test(test_paths_and_errors),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
