/* A consumer the project did not write: the client gdbus-codegen generates
 * from the shipped dbus/org.guestinfod.GuestInfo1.*.xml (GDBusObjectManagerClient and its proxies),
 * against the real daemon on a hand-started libvirtd with the test driver.
 * After every lifecycle change made with virsh, the object manager client
 * holds every domain libvirt has with every interface, and each proxy's
 * cache equals a fresh GetAll. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer.h"
#include "harness.h"

static Harness H;
static GDBusConnection *conn;
static GDBusObjectManager *manager;
static GiManager *manager_proxy;
static unsigned failures;

#define VM1 "gc-one"
#define UUID1 "93000000-0000-4000-8000-000000000001"
#define VM2 "gc-two"
#define UUID2 "93000000-0000-4000-8000-000000000002"
#define VM3 "gc-transient"
#define UUID3 "93000000-0000-4000-8000-000000000003"

/* The UUIDs of every domain libvirt has, as object paths (NULL ended). */
static char **libvirt_paths(void) {
        char *argv[] = { "virsh", "-q", "-c", H.uri, "list", "--all", "--uuid", NULL }, *out = NULL;
        if (harness_run(argv, 60, &out) != 0) {
                free(out);
                return NULL;
        }
        GPtrArray *paths = g_ptr_array_new();
        for (char *save = NULL, *t = strtok_r(out, "\n", &save); t; t = strtok_r(NULL, "\n", &save))
                if (*t)
                        g_ptr_array_add(paths, consumer_domain_path(t));
        g_ptr_array_add(paths, NULL);
        free(out);
        return (char **) g_ptr_array_free(paths, FALSE);
}

typedef struct Want {
        const char *uuid;
        const char *state; /* NULL: the domain is gone */
} Want;

/* The client's own view reached the state: its Domain proxy says so, or
 * the object is gone. */
static bool reached(void *userdata) {
        const Want *w = userdata;
        char *path = consumer_domain_path(w->uuid);
        GiObject *object = GI_OBJECT(g_dbus_object_manager_get_object(manager, path));
        bool ok;
        g_free(path);
        if (!object)
                return w->state == NULL;
        GiDomain *domain = gi_object_get_domain(object);
        ok = w->state && domain && g_strcmp0(gi_domain_get_state(domain), w->state) == 0;
        if (domain)
                g_object_unref(domain);
        g_object_unref(object);
        return ok;
}

/* Every domain object carries the generated proxies of the interfaces
 * that are always there (the test driver has no agent: no guest data). */
static unsigned typed_proxies(char **paths) {
        unsigned problems = 0;
        for (size_t i = 0; paths[i]; i++) {
                GiObject *object = GI_OBJECT(g_dbus_object_manager_get_object(manager, paths[i]));
                if (!object)
                        continue; /* said by consumer_compare_manager() */
                GiDomain *domain = gi_object_get_domain(object);
                GiNetwork *network = gi_object_get_network(object);
                GiOS *os = gi_object_get_os(object);
                if (!GI_IS_DOMAIN_PROXY(domain) || !GI_IS_NETWORK_PROXY(network) || os) {
                        fprintf(stderr, "consumer: %s: Domain %p, Network %p, OS %p\n", paths[i], (void *) domain,
                                (void *) network, (void *) os);
                        problems++;
                }
                g_clear_object(&domain);
                g_clear_object(&network);
                g_clear_object(&os);
                g_object_unref(object);
        }
        return problems;
}

static void check(const char *what) {
        char **paths = libvirt_paths();
        unsigned problems = paths ? 0 : 1;
        if (paths)
                problems += consumer_compare_manager(conn, manager, (const char *const *) paths) + typed_proxies(paths);
        problems += consumer_compare_proxy(conn, G_DBUS_PROXY(manager_proxy));
        if (paths) {
                /* DomainCount is what libvirt has */
                guint n = g_strv_length(paths);
                if (gi_manager_get_domain_count(manager_proxy) != n) {
                        fprintf(stderr, "consumer: DomainCount %u, libvirt has %u\n",
                                gi_manager_get_domain_count(manager_proxy), n);
                        problems++;
                }
        }
        GList *objects = g_dbus_object_manager_get_objects(manager);
        printf("%s %s (%u objects)\n", problems ? "FAIL" : "ok", what, g_list_length(objects));
        g_list_free_full(objects, g_object_unref);
        g_strfreev(paths);
        failures += problems ? 1 : 0;
}

/* One lifecycle step: virsh, the client's view reaches the state within 10 s,
 * a moment for whatever else the daemon sends, then the full comparison. */
static void step(const char *virsh, const char *uuid, const char *state) {
        Want w = { uuid, state };
        char what[512];
        snprintf(what, sizeof what, "after 'virsh %s'", virsh);
        if (harness_virsh(&H, "%s", virsh) != 0) {
                printf("FAIL virsh %s\n", virsh);
                failures++;
                return;
        }
        if (!consumer_wait(reached, &w, 10000)) {
                fprintf(stderr, "consumer: %s: the client did not see %s %s within 10 s\n", what, uuid,
                        state ? state : "removed");
                failures++;
        }
        consumer_settle(300);
        check(what);
}

int main(void) {
        GError *error = NULL;
        const char *xml;

        if (harness_setup_test_daemon(&H, 30, NULL) != 0) {
                harness_cleanup(&H);
                return 1;
        }
        conn = consumer_connect(H.bus_address);
        if (!conn)
                goto out;
        manager = gi_object_manager_client_new_sync(conn, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE, CONSUMER_BUS_NAME,
                                                    CONSUMER_ROOT_PATH, NULL, &error);
        if (manager)
                manager_proxy = gi_manager_proxy_new_sync(conn, G_DBUS_PROXY_FLAGS_NONE, CONSUMER_BUS_NAME,
                                                          CONSUMER_ROOT_PATH, NULL, &error);
        if (!manager || !manager_proxy) {
                fprintf(stderr, "consumer: %s\n", error->message);
                g_error_free(error);
                failures++;
                goto out;
        }

        /* the test driver's own domain, before anything changed */
        consumer_settle(300);
        check("at start");

        xml = harness_test_domain_xml(&H, VM1, UUID1);
        char cmd[600];
        snprintf(cmd, sizeof cmd, "define %s", xml);
        step(cmd, UUID1, "shutoff");
        xml = harness_test_domain_xml(&H, VM2, UUID2);
        snprintf(cmd, sizeof cmd, "define %s", xml);
        step(cmd, UUID2, "shutoff");
        step("start " VM1, UUID1, "running");
        step("suspend " VM1, UUID1, "paused");
        step("resume " VM1, UUID1, "running");
        step("start " VM2, UUID2, "running");
        step("shutdown " VM1, UUID1, "shutoff");
        step("destroy " VM2, UUID2, "shutoff");
        step("undefine " VM2, UUID2, NULL);
        /* a transient domain: gone when it stops */
        xml = harness_test_domain_xml(&H, VM3, UUID3);
        snprintf(cmd, sizeof cmd, "create %s", xml);
        step(cmd, UUID3, "running");
        step("suspend " VM3, UUID3, "paused");
        step("destroy " VM3, UUID3, NULL);
        /* a suspend straight followed by a resume, checked only after both */
        step("start " VM1, UUID1, "running");
        if (harness_virsh(&H, "suspend %s", VM1) != 0)
                failures++;
        step("resume " VM1, UUID1, "running");
        step("destroy " VM1, UUID1, "shutoff");
        step("undefine " VM1, UUID1, NULL);

out:
        if (manager_proxy)
                g_object_unref(manager_proxy);
        if (manager)
                g_object_unref(manager);
        if (conn) {
                g_dbus_connection_close_sync(conn, NULL, NULL);
                g_object_unref(conn);
        }
        int status = harness_stop_daemon(&H);
        harness_cleanup(&H);
        if (status != 0) {
                fprintf(stderr, "guestinfod exited with %d\n", status);
                failures++;
        }
        printf("%u failure(s)\n", failures);
        return failures ? 1 : 0;
}
