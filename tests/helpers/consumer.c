#include <stdio.h>
#include <string.h>

#include "consumer.h"
#include "guestinfo-paths.h"

GDBusConnection *consumer_connect(const char *address) {
        GError *error = NULL;
        GDBusConnection *c = g_dbus_connection_new_for_address_sync(
                address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                NULL, NULL, &error);
        if (!c) {
                fprintf(stderr, "consumer: cannot connect to %s: %s\n", address, error->message);
                g_error_free(error);
        }
        return c;
}

typedef struct Wait {
        GMainLoop *loop;
        ConsumerPredicate pred;
        void *userdata;
        bool done;
} Wait;

static gboolean on_poll(gpointer data) {
        Wait *w = data;
        if (w->pred && w->pred(w->userdata)) {
                w->done = true;
                g_main_loop_quit(w->loop);
                return G_SOURCE_REMOVE;
        }
        return G_SOURCE_CONTINUE;
}

static gboolean on_deadline(gpointer data) {
        Wait *w = data;
        g_main_loop_quit(w->loop);
        return G_SOURCE_REMOVE;
}

bool consumer_wait(ConsumerPredicate pred, void *userdata, unsigned timeout_ms) {
        Wait w = { .pred = pred, .userdata = userdata };

        if (pred && pred(userdata))
                return true;
        w.loop = g_main_loop_new(NULL, FALSE);
        guint poll_id = pred ? g_timeout_add(20, on_poll, &w) : 0;
        guint deadline_id = g_timeout_add(timeout_ms, on_deadline, &w);
        g_main_loop_run(w.loop);
        /* a source that quit the loop has removed itself */
        if (poll_id && !w.done)
                g_source_remove(poll_id);
        if (w.done)
                g_source_remove(deadline_id);
        g_main_loop_unref(w.loop);
        return w.done || (pred && pred(userdata));
}

void consumer_settle(unsigned ms) {
        consumer_wait(NULL, NULL, ms);
}

static void print_value(const char *what, GVariant *v) {
        if (!v) {
                fprintf(stderr, "    %s: (absent)\n", what);
                return;
        }
        char *s = g_variant_print(v, TRUE);
        /* long arrays cut, the start of a difference is what helps */
        fprintf(stderr, "    %s: %.2000s%s\n", what, s, strlen(s) > 2000 ? "…" : "");
        g_free(s);
}

static GVariant *call(GDBusConnection *c, const char *path, const char *iface, const char *method, GVariant *args,
                      const char *reply_type) {
        GError *error = NULL;
        GVariant *r =
                g_dbus_connection_call_sync(c, CONSUMER_BUS_NAME, path, iface, method, args, G_VARIANT_TYPE(reply_type),
                                            G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
        if (!r) {
                fprintf(stderr, "consumer: %s %s.%s: %s\n", path, iface, method, error->message);
                g_error_free(error);
        }
        return r;
}

unsigned consumer_compare_proxy(GDBusConnection *c, GDBusProxy *proxy) {
        const char *path = g_dbus_proxy_get_object_path(proxy), *iface = g_dbus_proxy_get_interface_name(proxy);
        unsigned problems = 0;

        GVariant *reply =
                call(c, path, "org.freedesktop.DBus.Properties", "GetAll", g_variant_new("(s)", iface), "(a{sv})");
        if (!reply)
                return 1;
        GVariant *fresh = g_variant_get_child_value(reply, 0);
        GVariantDict dict;
        g_variant_dict_init(&dict, fresh);

        /* every property GetAll gives, cached with the same value */
        GVariantIter iter;
        const char *name;
        GVariant *value;
        g_variant_iter_init(&iter, fresh);
        while (g_variant_iter_next(&iter, "{&sv}", &name, &value)) {
                GVariant *cached = g_dbus_proxy_get_cached_property(proxy, name);
                if (!cached || !g_variant_equal(cached, value)) {
                        fprintf(stderr, "consumer: %s %s.%s: the proxy's cache differs from GetAll\n", path, iface,
                                name);
                        print_value("cached", cached);
                        print_value("GetAll", value);
                        problems++;
                }
                if (cached)
                        g_variant_unref(cached);
                g_variant_unref(value);
        }
        /* and nothing cached that GetAll does not give */
        char **names = g_dbus_proxy_get_cached_property_names(proxy);
        for (size_t i = 0; names && names[i]; i++)
                if (!g_variant_dict_contains(&dict, names[i])) {
                        GVariant *cached = g_dbus_proxy_get_cached_property(proxy, names[i]);
                        fprintf(stderr, "consumer: %s %s.%s: cached, but GetAll does not give it\n", path, iface,
                                names[i]);
                        print_value("cached", cached);
                        if (cached)
                                g_variant_unref(cached);
                        problems++;
                }
        g_strfreev(names);
        g_variant_dict_clear(&dict);
        g_variant_unref(fresh);
        g_variant_unref(reply);
        return problems;
}

static bool ours(const char *iface) {
        return g_str_has_prefix(iface, CONSUMER_BUS_NAME ".");
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The names, sorted and joined by spaces: g_free() it. */
static char *joined(GPtrArray *names) {
        g_ptr_array_sort(names, compare_names);
        g_ptr_array_add(names, NULL);
        char *s = g_strjoinv(" ", (char **) names->pdata);
        g_ptr_array_remove_index(names, names->len - 1);
        return s;
}

static char *object_interfaces(GDBusObject *object) {
        GPtrArray *names = g_ptr_array_new();
        GList *ifaces = g_dbus_object_get_interfaces(object);
        for (GList *l = ifaces; l; l = l->next)
                g_ptr_array_add(names, (char *) g_dbus_proxy_get_interface_name(G_DBUS_PROXY(l->data)));
        char *s = joined(names);
        g_list_free_full(ifaces, g_object_unref);
        g_ptr_array_free(names, TRUE);
        return s;
}

unsigned consumer_compare_manager(GDBusConnection *c, GDBusObjectManager *manager, const char *const *expected_paths) {
        unsigned problems = 0;
        GVariant *reply = call(c, CONSUMER_ROOT_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL,
                               "(a{oa{sa{sv}}})");
        if (!reply)
                return 1;

        /* every object GetManagedObjects names, with the same interfaces */
        GVariant *objects = g_variant_get_child_value(reply, 0);
        GVariantIter iter;
        const char *path;
        GVariant *ifaces;
        size_t n_fresh = 0;
        g_variant_iter_init(&iter, objects);
        while (g_variant_iter_next(&iter, "{&o@a{sa{sv}}}", &path, &ifaces)) {
                GPtrArray *names = g_ptr_array_new();
                GVariantIter i2;
                const char *iface;
                n_fresh++;
                g_variant_iter_init(&i2, ifaces);
                while (g_variant_iter_next(&i2, "{&s@a{sv}}", &iface, NULL))
                        g_ptr_array_add(names, (char *) iface);
                char *want = joined(names);
                GDBusObject *object = g_dbus_object_manager_get_object(manager, path);
                if (!object) {
                        fprintf(stderr, "consumer: %s (%s) is not in the object manager client\n", path, want);
                        problems++;
                } else {
                        char *got = object_interfaces(object);
                        if (strcmp(got, want) != 0) {
                                fprintf(stderr,
                                        "consumer: %s: the object manager client has interfaces\n    %s\n"
                                        "  GetManagedObjects says\n    %s\n",
                                        path, got, want);
                                problems++;
                        }
                        g_free(got);
                        g_object_unref(object);
                }
                g_free(want);
                g_ptr_array_free(names, TRUE);
                g_variant_unref(ifaces);
        }

        /* no object more, and every proxy of ours equal to GetAll */
        GList *list = g_dbus_object_manager_get_objects(manager);
        for (GList *l = list; l; l = l->next) {
                const char *p = g_dbus_object_get_object_path(l->data);
                GVariant *entry = g_variant_lookup_value(objects, p, G_VARIANT_TYPE("a{sa{sv}}"));
                if (!entry) {
                        fprintf(stderr, "consumer: %s is in the object manager client, not in GetManagedObjects\n", p);
                        problems++;
                        continue;
                }
                g_variant_unref(entry);
                GList *proxies = g_dbus_object_get_interfaces(l->data);
                for (GList *k = proxies; k; k = k->next)
                        if (ours(g_dbus_proxy_get_interface_name(G_DBUS_PROXY(k->data))))
                                problems += consumer_compare_proxy(c, G_DBUS_PROXY(k->data));
                g_list_free_full(proxies, g_object_unref);
        }
        if (g_list_length(list) != n_fresh) {
                fprintf(stderr, "consumer: the object manager client has %u objects, GetManagedObjects %zu\n",
                        g_list_length(list), n_fresh);
                problems++;
        }
        g_list_free_full(list, g_object_unref);

        /* the objects the caller knows must be there (from libvirt) */
        for (size_t i = 0; expected_paths && expected_paths[i]; i++) {
                GDBusObject *object = g_dbus_object_manager_get_object(manager, expected_paths[i]);
                if (!object) {
                        fprintf(stderr, "consumer: %s: libvirt has it, the object manager client does not\n",
                                expected_paths[i]);
                        problems++;
                } else
                        g_object_unref(object);
        }
        size_t n_expected = 0;
        while (expected_paths && expected_paths[n_expected])
                n_expected++;
        if (expected_paths && n_expected != n_fresh) {
                fprintf(stderr, "consumer: libvirt has %zu domains, the daemon publishes %zu\n", n_expected, n_fresh);
                problems++;
        }

        g_variant_unref(objects);
        g_variant_unref(reply);
        return problems;
}

char *consumer_domain_path(const char *uuid) {
        char path[DOMAIN_OBJECT_PATH_MAX];
        return domain_path_from_uuid(uuid, path) < 0 ? NULL : g_strdup(path);
}
