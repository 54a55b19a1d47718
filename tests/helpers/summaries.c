#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guestinfo-names.h"
#include "harness.h"
#include "summaries.h"

/* Lines are sorted before comparing: the daemon's order is unspecified. */
static int compare_lines(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static char *sorted_text(char **lines, size_t n) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (n > 0)
                qsort(lines, n, sizeof *lines, compare_lines);
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "%s\n", lines[i]);
                free(lines[i]);
        }
        fclose(f);
        free(lines);
        return buf;
}

/* One domain as a line, the same from every source:
 * "name|uuid|state|agent|guest data|pretty name|hostname|address,...". The
 * addresses are appended by the caller (write_addresses). */
static FILE *start_line(char **buf, size_t *len, const char *name, const char *uuid, const char *state, int agent,
                        int guest_data, const char *pretty_name, const char *hostname) {
        FILE *f = open_memstream(buf, len);
        fprintf(f, "%s|%s|%s|%s|%s|%s|%s|", name, uuid, state, agent ? "true" : "false", guest_data ? "true" : "false",
                pretty_name, hostname);
        return f;
}

/* The a(ssy) m is at, each address as "[family address/prefix]", after
 * those already written (*first false once one is). */
static void write_addresses(sd_bus_message *m, FILE *f, bool *first) {
        const char *family, *address;
        uint8_t prefix;
        assert_int_equal(sd_bus_message_enter_container(m, 'a', ADDRESS_SIGNATURE), 1);
        while (sd_bus_message_read(m, ADDRESS_SIGNATURE, &family, &address, &prefix) > 0) {
                assert_true(strcmp(family, "ipv4") == 0 || strcmp(family, "ipv6") == 0);
                assert_true(address[0] != '\0');
                assert_null(strchr(address, '/'));
                fprintf(f, "%s[%s %s/%u]", *first ? "" : ",", family, address, prefix);
                *first = false;
        }
        assert_int_equal(sd_bus_message_exit_container(m), 1);
}

/* An empty a{sv}, where every entry ends (nothing is in it yet). */
static void read_empty_extra(sd_bus_message *m) {
        assert_int_equal(sd_bus_message_enter_container(m, 'a', EXTRA_ENTRY_SIGNATURE), 1);
        assert_int_equal(sd_bus_message_at_end(m, false), 1);
        assert_int_equal(sd_bus_message_exit_container(m), 1);
}

/* The summary's a{sv}: GuestDataReason alone (a pointer into m). */
static const char *read_summary_extra(sd_bus_message *m) {
        const char *key, *reason;
        assert_int_equal(sd_bus_message_enter_container(m, 'a', EXTRA_ENTRY_SIGNATURE), 1);
        assert_int_equal(sd_bus_message_read(m, EXTRA_ENTRY_SIGNATURE, &key, "s", &reason), 1);
        assert_string_equal(key, PROPERTY_GUEST_DATA_REASON);
        assert_int_equal(sd_bus_message_at_end(m, false), 1);
        assert_int_equal(sd_bus_message_exit_container(m), 1);
        return reason;
}

/* ListSummaries as sorted lines; each path is checked against the UUID. */
char *summaries_text(sd_bus *bus, size_t *ret_n) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char **lines = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, METHOD_LIST_SUMMARIES, &error, &reply,
                               "");
        if (r < 0)
                fprintf(stderr, "ListSummaries: %s: %s\n", error.name, error.message);
        assert_int_equal(r, 1);
        assert_string_equal(sd_bus_message_get_signature(reply, true), "a(osssbbssa(ssy)a{sv})");
        assert_int_equal(sd_bus_message_enter_container(reply, 'a', SUMMARY_SIGNATURE), 1);
        while ((r = sd_bus_message_enter_container(reply, 'r', SUMMARY_FIELDS)) > 0) {
                const char *path, *name, *uuid, *state, *pretty_name, *hostname;
                bool first = true;
                int agent, guest_data;
                char *line = NULL, *expected_path = NULL;
                size_t len = 0;

                assert_int_equal(sd_bus_message_read(reply, "osssbbss", &path, &name, &uuid, &state, &agent,
                                                     &guest_data, &pretty_name, &hostname),
                                 1);
                harness_domain_path(uuid, &expected_path);
                assert_string_equal(path, expected_path);
                free(expected_path);
                FILE *f = start_line(&line, &len, name, uuid, state, agent, guest_data, pretty_name, hostname);
                write_addresses(reply, f, &first);
                fprintf(f, "|%s", read_summary_extra(reply));
                fclose(f);
                assert_int_equal(sd_bus_message_exit_container(reply), 1);
                lines = realloc(lines, (n + 1) * sizeof *lines);
                lines[n++] = line;
        }
        assert_int_equal(r, 0);
        assert_int_equal(sd_bus_message_exit_container(reply), 1);
        sd_bus_message_unref(reply);
        *ret_n = n;
        return sorted_text(lines, n);
}

/* Reads the string variant of an a{sv} entry into *ret (a pointer into m). */
static void read_string_variant(sd_bus_message *m, const char **ret) {
        assert_int_equal(sd_bus_message_read(m, "v", "s", ret), 1);
}

/* The addresses of Network.Interfaces, the a(sssa(ssy)asa{sv}) m is at, as
 * write_addresses() writes them: what ListSummaries gives. */
static void write_interface_addresses(sd_bus_message *m, FILE *f) {
        bool first = true;
        assert_int_equal(sd_bus_message_enter_container(m, 'a', INTERFACE_SIGNATURE), 1);
        while (sd_bus_message_enter_container(m, 'r', INTERFACE_FIELDS) > 0) {
                assert_true(sd_bus_message_skip(m, "sss") >= 0);
                write_addresses(m, f, &first);
                assert_true(sd_bus_message_skip(m, "as") >= 0);
                read_empty_extra(m);
                assert_int_equal(sd_bus_message_exit_container(m), 1);
        }
        assert_int_equal(sd_bus_message_exit_container(m), 1);
}

/* GetManagedObjects as the same lines: Domain's Name, UUID, State,
 * AgentConnected; whether the object has OS; OS's OperatingSystemPrettyName
 * and Hostname if it has, else ""; every address of Network.Interfaces. */
char *managed_objects_text(sd_bus *bus, size_t *ret_n) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char **lines = NULL;
        size_t n = 0;

        assert_int_equal(sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                                            "GetManagedObjects", &error, &reply, ""),
                         1);
        assert_int_equal(sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}"), 1);
        while (sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}") > 0) {
                const char *path, *name = NULL, *uuid = NULL, *state = NULL, *pretty_name = "", *hostname = "",
                                  *reason = NULL;
                int agent = -1;
                bool guest_data = false;
                char *addresses = NULL, *line = NULL;
                size_t alen = 0;
                FILE *af = open_memstream(&addresses, &alen);

                assert_int_equal(sd_bus_message_read(reply, "o", &path), 1);
                assert_int_equal(sd_bus_message_enter_container(reply, 'a', "{sa{sv}}"), 1);
                while (sd_bus_message_enter_container(reply, 'e', "sa{sv}") > 0) {
                        const char *iface, *prop;
                        assert_int_equal(sd_bus_message_read(reply, "s", &iface), 1);
                        if (strcmp(iface, OS_INTERFACE) == 0)
                                guest_data = true;
                        assert_int_equal(sd_bus_message_enter_container(reply, 'a', "{sv}"), 1);
                        while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
                                assert_int_equal(sd_bus_message_read(reply, "s", &prop), 1);
                                bool domain = strcmp(iface, DOMAIN_INTERFACE) == 0;
                                bool os = strcmp(iface, OS_INTERFACE) == 0;
                                if (domain && strcmp(prop, "Name") == 0)
                                        read_string_variant(reply, &name);
                                else if (domain && strcmp(prop, "UUID") == 0)
                                        read_string_variant(reply, &uuid);
                                else if (domain && strcmp(prop, "State") == 0)
                                        read_string_variant(reply, &state);
                                else if (domain && strcmp(prop, PROPERTY_GUEST_DATA_REASON) == 0)
                                        read_string_variant(reply, &reason);
                                else if (domain && strcmp(prop, "AgentConnected") == 0)
                                        assert_int_equal(sd_bus_message_read(reply, "v", "b", &agent), 1);
                                else if (os && strcmp(prop, "OperatingSystemPrettyName") == 0)
                                        read_string_variant(reply, &pretty_name);
                                else if (os && strcmp(prop, "Hostname") == 0)
                                        read_string_variant(reply, &hostname);
                                else if (strcmp(iface, NETWORK_INTERFACE) == 0 && strcmp(prop, "Interfaces") == 0) {
                                        assert_int_equal(
                                                sd_bus_message_enter_container(reply, 'v', "a" INTERFACE_SIGNATURE), 1);
                                        write_interface_addresses(reply, af);
                                        assert_int_equal(sd_bus_message_exit_container(reply), 1);
                                } else
                                        assert_true(sd_bus_message_skip(reply, "v") >= 0);
                                assert_int_equal(sd_bus_message_exit_container(reply), 1);
                        }
                        assert_int_equal(sd_bus_message_exit_container(reply), 1);
                        assert_int_equal(sd_bus_message_exit_container(reply), 1);
                }
                assert_int_equal(sd_bus_message_exit_container(reply), 1);
                assert_int_equal(sd_bus_message_exit_container(reply), 1);
                fclose(af);
                if (strncmp(path, DOMAIN_PATH_PREFIX "/", strlen(DOMAIN_PATH_PREFIX "/")) != 0) {
                        free(addresses);
                        continue;
                }
                assert_non_null(name);
                assert_non_null(uuid);
                assert_non_null(state);
                assert_true(agent >= 0);
                assert_non_null(reason);
                size_t len = 0;
                FILE *f = start_line(&line, &len, name, uuid, state, agent, guest_data, pretty_name, hostname);
                fputs(addresses, f);
                fprintf(f, "|%s", reason);
                fclose(f);
                free(addresses);
                lines = realloc(lines, (n + 1) * sizeof *lines);
                lines[n++] = line;
        }
        assert_int_equal(sd_bus_message_exit_container(reply), 1);
        sd_bus_message_unref(reply);
        *ret_n = n;
        return sorted_text(lines, n);
}

/* A string property; with absent (else NULL), "" if the object has no such
 * interface, and *absent says so. */
static char *get_string(sd_bus *bus, const char *path, const char *iface, const char *prop, bool *absent) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char *s = NULL;
        int r = sd_bus_get_property_string(bus, BUS_NAME, path, iface, prop, &error, &s);
        if (absent)
                *absent = false;
        if (r < 0 && absent &&
            sd_bus_error_has_names(&error, SD_BUS_ERROR_UNKNOWN_INTERFACE, SD_BUS_ERROR_UNKNOWN_OBJECT,
                                   SD_BUS_ERROR_UNKNOWN_PROPERTY)) {
                *absent = true;
                s = strdup("");
        } else if (r < 0)
                fprintf(stderr, "%s %s.%s: %s\n", path, iface, prop, error.message);
        sd_bus_error_free(&error);
        assert_non_null(s);
        return s;
}

/* One domain's line from Properties.Get, property by property; guest data
 * false and OS's "" when the object has no OS interface. */
char *properties_line(sd_bus *bus, const char *uuid) {
        char *path = NULL, *name = NULL, *id = NULL, *state = NULL, *pretty_name = NULL, *hostname = NULL, *line = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int agent = -1;
        bool no_os = false, no_hostname = false;
        size_t len = 0;

        harness_domain_path(uuid, &path);
        name = get_string(bus, path, DOMAIN_INTERFACE, "Name", NULL);
        id = get_string(bus, path, DOMAIN_INTERFACE, "UUID", NULL);
        state = get_string(bus, path, DOMAIN_INTERFACE, "State", NULL);
        assert_true(sd_bus_get_property_trivial(bus, BUS_NAME, path, DOMAIN_INTERFACE, "AgentConnected", &error, 'b',
                                                &agent) >= 0);
        pretty_name = get_string(bus, path, OS_INTERFACE, "OperatingSystemPrettyName", &no_os);
        hostname = get_string(bus, path, OS_INTERFACE, "Hostname", &no_hostname);
        assert_int_equal(no_os, no_hostname);
        FILE *f = start_line(&line, &len, name, id, state, agent, !no_os, pretty_name, hostname);
        /* the reply is at the value, inside the variant */
        assert_true(sd_bus_get_property(bus, BUS_NAME, path, NETWORK_INTERFACE, "Interfaces", &error, &reply,
                                        "a" INTERFACE_SIGNATURE) >= 0);
        write_interface_addresses(reply, f);
        char *reason = get_string(bus, path, DOMAIN_INTERFACE, PROPERTY_GUEST_DATA_REASON, NULL);
        fprintf(f, "|%s", reason);
        fclose(f);
        sd_bus_message_unref(reply);
        free(path), free(name), free(id), free(state), free(pretty_name), free(hostname), free(reason);
        return line;
}
