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
 *
 * The "present" lines come from one GetManagedObjects call; when the fleet
 * is too big for one bus message (LimitsExceeded), from ListDomains() and
 * each object's GetAll of each interface, a bounded number at a time; the
 * signals that come meanwhile wait until every object has been shown.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "bus-json.h"
#include "commands.h"
#include "guestinfo-names.h"
#include "guestinfo-paths.h"
#include "output.h"

typedef struct Name {
        char *path;
        char *name;
} Name;

typedef struct Fetch Fetch;

typedef struct Deferred {
        sd_bus_message *m;
        sd_bus_message_handler_t handler;
} Deferred;

typedef struct Watch {
        BusClient *client;
        bool json;
        const char *only_path; /* NULL: every VM */
        Name *names;           /* object path → VM name, for lines about a path */
        size_t n_names;
        sd_event *event;
        Fetch *fetch;       /* reading the objects one by one */
        Deferred *deferred; /* signals that came meanwhile, in order */
        size_t n_deferred;
        bool missed; /* some of them did not fit */
        int error;   /* why the loop ended, if not asked to (-errno, said already) */
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
        else if (json_is_integer(v) && n > 4 && streq(name + n - 4, "Time") &&
                 (json_integer_value(v) == 0 || time_usec_is_shown((uint64_t) json_integer_value(v)))) {
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
        char uuid_buf[DOMAIN_UUID_STRING_MAX], *uuid = NULL;
        const Name *n = path ? name_find(w, path) : NULL;
        const char *name = n ? n->name : NULL;

        gettimeofday(&tv, NULL);
        if (path)
                uuid = domain_uuid_from_path(path, uuid_buf) >= 0 ? uuid_buf : NULL;

        if (w->json) {
                if (gmtime_r(&tv.tv_sec, &tm))
                        snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long) tv.tv_usec);
                json_t *line =
                        json_pack("{s:s, s:s, s:s?, s:s?}", "time", stamp, "event", event, "vm", name, "uuid", uuid);
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

        json_object_foreach(all, key, v) if (out && strncmp(key, INTERFACE_PREFIX, strlen(INTERFACE_PREFIX)) == 0)
                json_object_set(out, key + strlen(INTERFACE_PREFIX), v);
        return out;
}

/* "present" / "added": the VM and its headline properties. */
static void emit_vm(Watch *w, const char *event, const char *path, json_t *interfaces) {
        static const char *const headline[] = { "State", "AgentConnected", "OperatingSystemPrettyName", "Hostname",
                                                NULL };
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

/* ---- the objects one by one, for a fleet too big for one message ---- */

/* The interfaces of a VM's object, as registered; GetManagedObjects lists
 * them the other way round (as sd-bus did), and so do the JSON lines. */
static const char *const object_interfaces[] = {
        DOMAIN_INTERFACE, NETWORK_INTERFACE, OS_INTERFACE, USERS_INTERFACE, FILESYSTEMS_INTERFACE,
};
#define N_OBJECT_INTERFACES ELEMENTSOF(object_interfaces)
/* GetAll calls waiting for their reply at once: enough to hide the round
 * trip (over ssh too), few enough not to crowd the daemon's other callers. */
#define FETCH_IN_FLIGHT 16
/* Signals kept while the objects are read; past that they are dropped, and
 * the watch says so. */
#define DEFERRED_MAX 65536

typedef struct FetchCall {
        Fetch *fetch;
        size_t index; /* object index * N_OBJECT_INTERFACES + interface */
        sd_bus_slot *slot;
        json_t *props; /* GetAll's answer; NULL: the interface is not there */
        bool absent;
} FetchCall;

struct Fetch {
        Watch *w;
        char **paths;
        size_t n_paths;
        FetchCall *calls; /* n_paths * N_OBJECT_INTERFACES */
        size_t next;      /* the next call to send */
        size_t answered;
        bool fatal; /* at start: an error ends the watch */
        bool failed;
};

static void fetch_free(Fetch *f) {
        if (!f)
                return;
        for (size_t i = 0; f->calls && i < f->n_paths * N_OBJECT_INTERFACES; i++) {
                /* unanswered calls are cancelled */
                sd_bus_slot_unref(f->calls[i].slot);
                json_decref(f->calls[i].props);
        }
        for (size_t i = 0; i < f->n_paths; i++)
                free(f->paths[i]);
        free(f->paths);
        free(f->calls);
        free(f);
}

static int defer(Watch *w, sd_bus_message *m, sd_bus_message_handler_t handler) {
        if (w->n_deferred >= DEFERRED_MAX) {
                w->missed = true;
                return 0;
        }
        Deferred *grown = realloc(w->deferred, (w->n_deferred + 1) * sizeof *grown);
        if (!grown) {
                w->missed = true;
                return 0;
        }
        w->deferred = grown;
        w->deferred[w->n_deferred++] = (Deferred){ sd_bus_message_ref(m), handler };
        return 0;
}

/* The signals that came while the objects were read, in order (unless one
 * of them starts another read). */
static void replay_deferred(Watch *w) {
        size_t i = 0;

        if (w->missed)
                cli_error(-EIO, "warning: too many changes while reading the VMs; some were not shown.");
        w->missed = false;
        for (; i < w->n_deferred && !w->fetch; i++) {
                Deferred *d = &w->deferred[i];
                if (sd_bus_message_rewind(d->m, true) >= 0)
                        (void) d->handler(d->m, w, NULL);
                sd_bus_message_unref(d->m);
        }
        if (i > 0 && i < w->n_deferred)
                memmove(w->deferred, w->deferred + i, (w->n_deferred - i) * sizeof *w->deferred);
        w->n_deferred -= i;
}

/* Stops reading the objects (the daemon left, or an error after a restart:
 * its next start reads them again) and shows what waited. */
static void fetch_abandon(Watch *w) {
        fetch_free(w->fetch);
        w->fetch = NULL;
        replay_deferred(w);
}

static void emit_vm(Watch *w, const char *event, const char *path, json_t *interfaces);
static int fetch_send(Fetch *f);

/* Every answer of one object is in: its "present" line. */
static void fetch_emit(Fetch *f, size_t object) {
        FetchCall *calls = &f->calls[object * N_OBJECT_INTERFACES];
        json_t *interfaces;

        /* gone between ListDomains and GetAll: a "removed" line follows */
        if (!calls[0].props)
                return;
        interfaces = json_object();
        for (size_t k = N_OBJECT_INTERFACES; interfaces && k-- > 0;)
                if (calls[k].props)
                        json_object_set(interfaces, object_interfaces[k] + strlen(INTERFACE_PREFIX), calls[k].props);
        if (interfaces)
                emit_vm(f->w, "present", f->paths[object], interfaces);
        json_decref(interfaces);
}

static int on_get_all(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        FetchCall *c = userdata;
        Fetch *f = c->fetch;
        Watch *w = f->w;
        const sd_bus_error *error = sd_bus_message_get_error(m);
        size_t object = c->index / N_OBJECT_INTERFACES;

        if (f->failed)
                return 0;
        if (error && !bus_error_is_absent(error)) {
                if (!f->fatal) {
                        fetch_abandon(w);
                        return 0;
                }
                f->failed = true;
                w->error = bus_client_report(w->client, -sd_bus_message_get_errno(m), error, NULL);
                return sd_event_exit(w->event, 0);
        }
        c->absent = error != NULL;
        if (!error) {
                c->props = bus_read_json(m);
                if (!json_is_object(c->props)) {
                        f->failed = true;
                        w->error = cli_error(-EIO, "Failed to parse guestinfod's answer.");
                        return sd_event_exit(w->event, 0);
                }
        }
        f->answered++;

        bool complete = true;
        for (size_t k = 0; k < N_OBJECT_INTERFACES; k++) {
                const FetchCall *o = &f->calls[object * N_OBJECT_INTERFACES + k];
                complete = complete && (o->props || o->absent);
        }
        if (complete)
                fetch_emit(f, object);

        if (f->answered == f->n_paths * N_OBJECT_INTERFACES) {
                w->fetch = NULL;
                fetch_free(f);
                replay_deferred(w);
                return 0;
        }
        int r = fetch_send(f);
        if (r < 0) {
                f->failed = true;
                w->error = bus_client_report(w->client, r, NULL, NULL);
                return sd_event_exit(w->event, 0);
        }
        return 0;
}

/* Sends calls until FETCH_IN_FLIGHT wait for their answer. */
static int fetch_send(Fetch *f) {
        size_t total = f->n_paths * N_OBJECT_INTERFACES;

        while (f->next < total && f->next - f->answered < FETCH_IN_FLIGHT) {
                FetchCall *c = &f->calls[f->next];
                *c = (FetchCall){ .fetch = f, .index = f->next };
                int r = sd_bus_call_method_async(f->w->client->bus, &c->slot, BUS_NAME,
                                                 f->paths[c->index / N_OBJECT_INTERFACES],
                                                 "org.freedesktop.DBus.Properties", "GetAll", on_get_all, c, "s",
                                                 object_interfaces[c->index % N_OBJECT_INTERFACES]);
                if (r < 0)
                        return r;
                f->next++;
        }
        return 0;
}

static int add_path(Fetch *f, const char *path) {
        char **grown = realloc(f->paths, (f->n_paths + 1) * sizeof *grown);
        if (!grown)
                return -ENOMEM;
        f->paths = grown;
        f->paths[f->n_paths] = strdup(path);
        if (!f->paths[f->n_paths])
                return -ENOMEM;
        f->n_paths++;
        return 0;
}

/* The VMs' paths from ListDomains(), or the one VM watched. */
static int fetch_paths(Watch *w, Fetch *f) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        int r;

        if (w->only_path)
                return add_path(f, w->only_path) < 0 ? cli_error(-ENOMEM, "Out of memory.") : 0;
        r = bus_client_call(w->client, MANAGER_PATH, MANAGER_INTERFACE, METHOD_LIST_DOMAINS, &error, &reply, NULL);
        if (r < 0 && sd_bus_error_has_name(&error, SD_BUS_ERROR_LIMITS_EXCEEDED))
                return bus_client_report_too_big(w->client, &error, "watched");
        if (r < 0)
                return bus_client_report(w->client, r, &error, NULL);
        r = sd_bus_message_enter_container(reply, 'a', DOMAIN_ENTRY_SIGNATURE);
        while (r >= 0 && (r = sd_bus_message_read(reply, DOMAIN_ENTRY_SIGNATURE, NULL, NULL, &path)) > 0)
                if (wanted(w, path))
                        r = add_path(f, path);
        if (r < 0)
                return cli_error(-EIO, "Failed to parse guestinfod's answer: %s", strerror(-r));
        return 0;
}

/* Starts reading the objects one by one; their "present" lines come from
 * the event loop. */
static int fetch_start(Watch *w, bool fatal) {
        Fetch *f = calloc(1, sizeof *f);
        int r;

        if (!f)
                return cli_error(-ENOMEM, "Out of memory.");
        f->w = w;
        f->fatal = fatal;
        r = fetch_paths(w, f);
        if (r == 0 && f->n_paths == 0) {
                fetch_free(f);
                return 0;
        }
        if (r == 0) {
                f->calls = calloc(f->n_paths * N_OBJECT_INTERFACES, sizeof *f->calls);
                r = f->calls ? fetch_send(f) : -ENOMEM;
                if (r < 0)
                        r = bus_client_report(w->client, r, NULL, NULL);
        }
        if (r != 0) {
                fetch_free(f);
                return r;
        }
        /* an earlier read (the daemon restarted meanwhile) is superseded */
        fetch_free(w->fetch);
        w->fetch = f;
        return 0;
}

/* Every VM as it is now, as "present" lines. at_start: at the watch's
 * start (an error ends it), rather than when the daemon restarted. */
static int snapshot(Watch *w, bool at_start) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        json_t *objects, *v;
        int r;

        r = bus_client_call(w->client, MANAGER_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", &error,
                            &reply, NULL);
        /* a fleet too big for one message */
        if (r < 0 && sd_bus_error_has_name(&error, SD_BUS_ERROR_LIMITS_EXCEEDED))
                return fetch_start(w, at_start);
        if (r < 0)
                return bus_client_report(w->client, r, &error, NULL);
        objects = bus_read_json(reply);
        if (!objects)
                return cli_error(-EIO, "Failed to parse guestinfod's answer.");
        json_object_foreach(objects, path, v) if (wanted(w, path)) {
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

        if (w->fetch)
                return defer(w, m, on_interfaces_added);

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
                static const char *const headline[] = { "OperatingSystemPrettyName", "Hostname", "UserCount",
                                                        "FilesystemCount", NULL };
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

        if (w->fetch)
                return defer(w, m, on_interfaces_removed);

        if (sd_bus_message_read(m, "o", &path) < 0 || !wanted(w, path))
                return 0;
        if (sd_bus_message_enter_container(m, 'a', "s") < 0)
                return 0;
        while (sd_bus_message_read(m, "s", &interface) > 0) {
                domain = domain || streq(interface, DOMAIN_INTERFACE);
                ours = ours || strncmp(interface, INTERFACE_PREFIX, strlen(INTERFACE_PREFIX)) == 0;
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

        if (w->fetch)
                return defer(w, m, on_properties_changed);

        if (!path || (!manager && !wanted(w, path)) || (manager && w->only_path))
                return 0;
        if (sd_bus_message_read(m, "s", &interface) < 0 ||
            strncmp(interface, INTERFACE_PREFIX, strlen(INTERFACE_PREFIX)) != 0)
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
                json_array_foreach(invalidated, i, v) fprintf(f, " %s changed", json_string_value(v));
                fclose(f);
        }
        emit(w, manager ? "daemon-changed" : "changed", manager ? NULL : path,
             json_pack("{s:s, s:o, s:o}", "interface", interface + strlen(INTERFACE_PREFIX), "properties", changed,
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
        /* the objects being read are the old daemon's */
        if (w->fetch)
                fetch_abandon(w);
        if (!new_owner[0]) {
                emit(w, "daemon-stopped", NULL, NULL, NULL);
                return 0;
        }
        emit(w, "daemon-started", NULL, NULL, NULL);
        /* a new daemon announces nothing it already had: ask */
        (void) snapshot(w, false);
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
                r = snapshot(&w, true);
        if (r == 0) {
                r = sd_event_loop(w.event);
                if (r < 0)
                        r = cli_error(-EIO, "Event loop failed: %s", strerror(-r));
                else
                        r = w.error;
        }

        fetch_free(w.fetch);
        for (size_t i = 0; i < w.n_deferred; i++)
                sd_bus_message_unref(w.deferred[i].m);
        free(w.deferred);
        (void) sd_bus_detach_event(c->bus);
        sd_event_unref(w.event);
        names_free(&w);
        return r;
}
