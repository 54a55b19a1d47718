/* guestinfoctl watch [VM]: guestinfod's signals, one line per change, until
 * Ctrl-C. First one "present" line per VM, so the reader knows where things
 * stand (and that the watch is live), then:
 *
 *   added / removed    a VM object appears / goes (InterfacesAdded/Removed)
 *   changed            PropertiesChanged of a VM
 *   guest-data         the agent's data (OS, Users, Filesystems) appears or goes
 *   daemon-changed     PropertiesChanged of the manager (Connected, DomainCount)
 *   daemon-stopped / daemon-started   guestinfod leaves / (re)joins the bus;
 *                      a start is followed by "present" lines again
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "bus-json.h"
#include "bus-paths.h"
#include "commands.h"
#include "output.h"

#define OUR_PREFIX "org.guestinfod.GuestInfo1."

typedef struct Name {
        char *path;
        char *name;
} Name;

typedef struct Watch {
        BusClient *client;
        bool json;
        const char *only_path; /* NULL: every VM */
        Name *names;           /* object path → VM name, for lines about a path */
        size_t n_names;
        sd_event *event;
        int error; /* why the loop ended, if not asked to (-errno, said already) */
} Watch;

/* ---- VM names by object path ---- */

static Name *name_find(Watch *w, const char *path) {
        for (size_t i = 0; i < w->n_names; i++)
                if (streq(w->names[i].path, path))
                        return &w->names[i];
        return NULL;
}

static void name_set(Watch *w, const char *path, const char *name) {
        Name *n = name_find(w, path);
        char *copy = strdup(name);

        if (!copy)
                return;
        if (!n) {
                Name *grown = realloc(w->names, (w->n_names + 1) * sizeof *grown);
                if (!grown) {
                        free(copy);
                        return;
                }
                w->names = grown;
                n = &w->names[w->n_names];
                *n = (Name){ .path = strdup(path) };
                if (!n->path) {
                        free(copy);
                        return;
                }
                w->n_names++;
        }
        free(n->name);
        n->name = copy;
}

static void name_drop(Watch *w, const char *path) {
        Name *n = name_find(w, path);
        if (!n)
                return;
        free(n->path);
        free(n->name);
        *n = w->names[--w->n_names];
}

static void names_free(Watch *w) {
        for (size_t i = 0; i < w->n_names; i++)
                free(w->names[i].path), free(w->names[i].name);
        free(w->names);
}

/* ---- output ---- */

static bool is_domain_path(const char *path) {
        return strncmp(path, DOMAIN_PATH_PREFIX "/", strlen(DOMAIN_PATH_PREFIX "/")) == 0;
}

static bool wanted(Watch *w, const char *path) {
        return is_domain_path(path) && (!w->only_path || streq(w->only_path, path));
}

/* A property value as text: strings quoted when needed, times readable. */
static void value_text(FILE *f, const char *name, json_t *v) {
        size_t n = strlen(name);

        if (json_is_string(v)) {
                _cleanup_(freep) char *e = text_escape(json_string_value(v));
                bool quote = e && (!e[0] || strpbrk(e, " \t\""));
                fprintf(f, quote ? "\"%s\"" : "%s", e ? e : "");
        } else if (json_is_boolean(v))
                fputs(json_is_true(v) ? "yes" : "no", f);
        else if (json_is_integer(v) && n > 4 && streq(name + n - 4, "Time")) {
                char buf[64] = "never";
                if (json_integer_value(v) > 0)
                        format_time_usec((uint64_t) json_integer_value(v), buf, sizeof buf);
                fprintf(f, "\"%s\"", buf);
        } else if (json_is_integer(v))
                fprintf(f, "%lld", (long long) json_integer_value(v));
        else if (json_is_real(v))
                fprintf(f, "%g", json_real_value(v));
        else if (json_is_array(v))
                fprintf(f, "(%zu %s)", json_array_size(v), json_array_size(v) == 1 ? "entry" : "entries");
        else
                fputs("-", f);
}

/* " Name=value" for the properties of props, or only those listed in only. */
static void properties_text(FILE *f, json_t *props, const char *const *only) {
        const char *key;
        json_t *v;

        json_object_foreach(props, key, v) {
                bool listed = !only;
                for (const char *const *o = only; o && *o; o++)
                        listed = listed || streq(*o, key);
                if (!listed)
                        continue;
                fprintf(f, " %s=", key);
                value_text(f, key, v);
        }
}

/* One line for event about path (NULL: the daemon). fields (taken) go into
 * the JSON line as they are; text is the rest of the text line. */
static void emit(Watch *w, const char *event, const char *path, json_t *fields, const char *text) {
        struct timeval tv;
        struct tm tm;
        char clock[32] = "", stamp[64] = "";
        _cleanup_(freep) char *uuid = NULL;
        const Name *n = path ? name_find(w, path) : NULL;
        const char *name = n ? n->name : NULL;

        gettimeofday(&tv, NULL);
        if (path)
                (void) sd_bus_path_decode(path, DOMAIN_PATH_PREFIX, &uuid);

        if (w->json) {
                if (gmtime_r(&tv.tv_sec, &tm))
                        snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long) tv.tv_usec);
                json_t *line = json_pack("{s:s, s:s, s:s?, s:s?}", "time", stamp, "event", event, "vm", name, "uuid",
                                         uuid);
                if (line && fields)
                        json_object_update(line, fields);
                json_decref(fields);
                if (line) {
                        json_dumpf(line, stdout, JSON_COMPACT);
                        putchar('\n');
                }
                json_decref(line);
        } else {
                _cleanup_(freep) char *escaped = text_escape(name ? name : uuid ? uuid : "-");
                if (localtime_r(&tv.tv_sec, &tm))
                        strftime(clock, sizeof clock, "%H:%M:%S", &tm);
                printf("%s %s %s%s\n", clock, escaped ? escaped : "-", event, text ? text : "");
                json_decref(fields);
        }
        /* a reader at the other end of a pipe sees each change at once */
        fflush(stdout);
}

/* {"Domain": {...}, "OS": {...}} of our interfaces in an a{sa{sv}} as JSON. */
static json_t *short_interfaces(json_t *all) {
        json_t *out = json_object(), *v;
        const char *key;

        json_object_foreach(all, key, v)
                if (out && strncmp(key, OUR_PREFIX, strlen(OUR_PREFIX)) == 0)
                        json_object_set(out, key + strlen(OUR_PREFIX), v);
        return out;
}

/* "present" / "added": the VM and its headline properties. */
static void emit_vm(Watch *w, const char *event, const char *path, json_t *interfaces) {
        static const char *const headline[] = { "State", "AgentConnected", "PrettyName", "Hostname", NULL };
        json_t *domain = json_object_get(interfaces, "Domain");
        json_t *name = json_object_get(domain, "Name");
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        if (json_is_string(name))
                name_set(w, path, json_string_value(name));
        if (f) {
                properties_text(f, domain, headline);
                properties_text(f, json_object_get(interfaces, "OS"), headline);
                fclose(f);
        }
        emit(w, event, path, json_pack("{s:O}", "interfaces", interfaces), text);
        free(text);
}

/* Every VM as it is now, as "present" lines. */
static int snapshot(Watch *w) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        json_t *objects, *v;
        int r;

        r = bus_client_call(w->client, MANAGER_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", &error,
                            &reply, NULL);
        if (r < 0)
                return bus_client_report(w->client, r, &error, NULL);
        objects = bus_read_json(reply);
        if (!objects)
                return cli_error(-EIO, "Failed to parse guestinfod's answer.");
        json_object_foreach(objects, path, v)
                if (wanted(w, path)) {
                        json_t *interfaces = short_interfaces(v);
                        emit_vm(w, "present", path, interfaces);
                        json_decref(interfaces);
                }
        json_decref(objects);
        return 0;
}

/* ---- signals ---- */

static int on_interfaces_added(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;
        const char *path;
        json_t *all, *interfaces;

        if (sd_bus_message_read(m, "o", &path) < 0 || !wanted(w, path))
                return 0;
        all = bus_read_json(m);
        interfaces = short_interfaces(all);
        json_decref(all);
        if (!interfaces)
                return 0;
        if (json_object_get(interfaces, "Domain"))
                emit_vm(w, "added", path, interfaces);
        else if (json_object_size(interfaces) > 0) {
                static const char *const headline[] = { "PrettyName", "Hostname", "UserCount", "FilesystemCount",
                                                        NULL };
                char *text = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&text, &len);
                if (f) {
                        fputs(" available", f);
                        properties_text(f, json_object_get(interfaces, "OS"), headline);
                        properties_text(f, json_object_get(interfaces, "Users"), headline);
                        properties_text(f, json_object_get(interfaces, "Filesystems"), headline);
                        fclose(f);
                }
                emit(w, "guest-data", path, json_pack("{s:b, s:O}", "available", 1, "interfaces", interfaces), text);
                free(text);
        }
        json_decref(interfaces);
        return 0;
}

static int on_interfaces_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;
        const char *path, *interface;
        bool domain = false, ours = false;

        if (sd_bus_message_read(m, "o", &path) < 0 || !wanted(w, path))
                return 0;
        if (sd_bus_message_enter_container(m, 'a', "s") < 0)
                return 0;
        while (sd_bus_message_read(m, "s", &interface) > 0) {
                domain = domain || streq(interface, DOMAIN_INTERFACE);
                ours = ours || strncmp(interface, OUR_PREFIX, strlen(OUR_PREFIX)) == 0;
        }
        if (domain) {
                emit(w, "removed", path, NULL, NULL);
                name_drop(w, path);
        } else if (ours)
                emit(w, "guest-data", path, json_pack("{s:b}", "available", 0), " gone");
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;
        const char *path = sd_bus_message_get_path(m), *interface;
        bool manager = path && streq(path, MANAGER_PATH);
        json_t *changed, *invalidated, *name;
        char *text = NULL;
        size_t len = 0;

        if (!path || (!manager && !wanted(w, path)) || (manager && w->only_path))
                return 0;
        if (sd_bus_message_read(m, "s", &interface) < 0 || strncmp(interface, OUR_PREFIX, strlen(OUR_PREFIX)) != 0)
                return 0;
        changed = bus_read_json(m);
        invalidated = bus_read_json(m);
        if (!json_is_object(changed) || !json_is_array(invalidated)) {
                json_decref(changed);
                json_decref(invalidated);
                return 0;
        }

        /* a rename: later lines use the new name */
        name = json_object_get(changed, "Name");
        if (!manager && streq(interface, DOMAIN_INTERFACE) && json_is_string(name))
                name_set(w, path, json_string_value(name));

        FILE *f = open_memstream(&text, &len);
        if (f) {
                properties_text(f, changed, NULL);
                size_t i;
                json_t *v;
                json_array_foreach(invalidated, i, v)
                        fprintf(f, " %s changed", json_string_value(v));
                fclose(f);
        }
        emit(w, manager ? "daemon-changed" : "changed", manager ? NULL : path,
             json_pack("{s:s, s:o, s:o}", "interface", interface + strlen(OUR_PREFIX), "properties", changed,
                       "invalidated", invalidated),
             text);
        free(text);
        return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || !streq(name, BUS_NAME))
                return 0;
        if (!new_owner[0]) {
                emit(w, "daemon-stopped", NULL, NULL, NULL);
                return 0;
        }
        emit(w, "daemon-started", NULL, NULL, NULL);
        /* a new daemon announces nothing it already had: ask */
        (void) snapshot(w);
        return 0;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;
        w->error = cli_error(ERRNO_NOT_RUNNING, "Lost the connection to %s.", w->client->where);
        return sd_event_exit(w->event, 0);
}

static int add_matches(Watch *w) {
        sd_bus *bus = w->client->bus;
        int r;

        r = sd_bus_match_signal(bus, NULL, BUS_NAME, MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                                "InterfacesAdded", on_interfaces_added, w);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, BUS_NAME, MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                                        "InterfacesRemoved", on_interfaces_removed, w);
        if (r >= 0)
                r = sd_bus_add_match(bus, NULL,
                                     "type='signal',sender='" BUS_NAME "',interface='org.freedesktop.DBus.Properties',"
                                     "member='PropertiesChanged',path_namespace='" MANAGER_PATH "'",
                                     on_properties_changed, w);
        if (r >= 0)
                r = sd_bus_add_match(bus, NULL,
                                     "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" BUS_NAME "'",
                                     on_name_owner_changed, w);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                        "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, w);
        return r;
}

int cmd_watch(BusClient *c, const CliOptions *o, const char *vm) {
        _cleanup_(freep) char *path = NULL;
        Watch w = { .client = c, .json = o->json };
        sigset_t mask;
        int r;

        if (vm) {
                r = bus_client_find_vm(c, vm, &path);
                if (r != 0)
                        return r;
                w.only_path = path;
        }

        /* Ctrl-C and SIGTERM end the loop cleanly (exit 0) */
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_default(&w.event);
        if (r >= 0)
                r = sd_event_add_signal(w.event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(w.event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_bus_attach_event(c->bus, w.event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                sd_event_unref(w.event);
                return cli_error(-EIO, "Failed to set up the event loop: %s", strerror(-r));
        }

        /* subscribe first, then look: no change falls between the two */
        r = add_matches(&w);
        if (r < 0)
                r = bus_client_report(c, r, NULL, NULL);
        else
                r = snapshot(&w);
        if (r == 0) {
                r = sd_event_loop(w.event);
                if (r < 0)
                        r = cli_error(-EIO, "Event loop failed: %s", strerror(-r));
                else
                        r = w.error;
        }

        (void) sd_bus_detach_event(c->bus);
        sd_event_unref(w.event);
        names_free(&w);
        return r;
}
