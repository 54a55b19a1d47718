/* The gdbus-codegen client of dbus/org.guestinfod.GuestInfo1.*.xml
 * (tests/helpers/consumer.h) against the daemon and one real VM with the
 * real qemu-ga (tests/vm/guest.env): the guest's data reaches the proxies
 * (OS, Users, Filesystems, Network), and after every change — agent up, a
 * hostname change inside the guest, the agent killed and back with the new
 * hostname, suspend, resume, destroy — every proxy's cache equals a fresh
 * GetAll. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer.h"
#include "guest.h"
#include "harness.h"

#define VM "gc-vm"
#define UUID "93000000-0000-4000-8000-0000000000a1"
#define NEW_HOSTNAME "gc-renamed"

static Harness H;
static GDBusConnection *conn;
static GDBusObjectManager *manager;
static char *path;
static unsigned failures;

static GiObject *vm_object(void) {
        return GI_OBJECT(g_dbus_object_manager_get_object(manager, path));
}

/* The guest's data is on the object, with this hostname (NULL: any), the
 * users and filesystems it was built with, and a NIC the agent reported. */
static bool guest_data_there(void *userdata) {
        const char *hostname = userdata;
        GiObject *object = vm_object();
        if (!object)
                return false;
        GiOS *os = gi_object_get_os(object);
        GiUsers *users = gi_object_get_users(object);
        GiFilesystems *fs = gi_object_get_filesystems(object);
        GiNetwork *net = gi_object_get_network(object);
        bool ok = os && users && fs && net && gi_users_get_user_count(users) == 3 &&
                  gi_filesystems_get_filesystem_count(fs) > 0 &&
                  (!hostname || g_strcmp0(gi_os_get_hostname(os), hostname) == 0);
        if (ok) {
                /* some entry of Interfaces comes from the agent */
                GVariant *ifaces = gi_network_get_interfaces(net);
                GVariantIter iter;
                const char **sources;
                bool agent = false;
                g_variant_iter_init(&iter, ifaces);
                while (g_variant_iter_next(&iter, "(&s&s&s@a(ssy)^a&s@a{sv})", NULL, NULL, NULL, NULL, &sources,
                                           NULL)) {
                        agent |= g_strv_contains(sources, "guest-agent");
                        g_free(sources);
                }
                ok = agent;
        }
        g_clear_object(&os);
        g_clear_object(&users);
        g_clear_object(&fs);
        g_clear_object(&net);
        g_object_unref(object);
        return ok;
}

static bool guest_data_gone(void *userdata) {
        GiObject *object = vm_object();
        if (!object)
                return false;
        GiOS *os = gi_object_get_os(object);
        bool gone = os == NULL;
        g_clear_object(&os);
        g_object_unref(object);
        return gone;
}

static bool state_is(void *userdata) {
        GiObject *object = vm_object();
        GiDomain *domain = object ? gi_object_get_domain(object) : NULL;
        bool ok = domain && g_strcmp0(gi_domain_get_state(domain), userdata) == 0;
        g_clear_object(&domain);
        g_clear_object(&object);
        return ok;
}

static void check(const char *what) {
        const char *const expected[] = { path, NULL };
        consumer_settle(500);
        unsigned problems = consumer_compare_manager(conn, manager, expected);
        printf("%s %s\n", problems ? "FAIL" : "ok", what);
        failures += problems ? 1 : 0;
}

static bool wait_for(ConsumerPredicate pred, void *userdata, unsigned timeout_ms, const char *what) {
        double t0 = harness_now();
        bool ok = consumer_wait(pred, userdata, timeout_ms);
        if (!ok) {
                fprintf(stderr, "consumer: %s: not within %u s\n", what, timeout_ms / 1000);
                failures++;
        } else
                printf("# %s after %.1f s\n", what, harness_now() - t0);
        return ok;
}

static void run(void) {
        char *hostname = spec_value("guest.env", "$GUEST_HOSTNAME");
        GError *error = NULL;

        if (harness_virsh(&H, "start %s", VM) != 0) {
                printf("FAIL virsh start\n");
                failures++;
                goto out;
        }
        if (!wait_for(guest_data_there, hostname, 120000, "guest data on the proxies"))
                goto out;
        check("with the agent's data");

        /* a hostname change inside the guest, collected by the generated
         * proxy's own Refresh() call */
        if (harness_virsh(
                    &H,
                    "qemu-agent-command %s "
                    "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/bin/hostname\",\"arg\":[\"" NEW_HOSTNAME
                    "\"]}}",
                    VM) != 0) {
                printf("FAIL guest-exec hostname\n");
                failures++;
                goto out;
        }
        GiObject *object = vm_object();
        GiDomain *domain = object ? gi_object_get_domain(object) : NULL;
        if (!domain || !gi_domain_call_refresh_sync(domain, NULL, &error)) {
                fprintf(stderr, "consumer: Refresh(): %s\n", error ? error->message : "no Domain proxy");
                g_clear_error(&error);
                failures++;
        }
        g_clear_object(&domain);
        g_clear_object(&object);
        /* qemu-ga keeps the hostname it read at its start (GLib's
         * g_get_host_name() caches it): whichever it says, the proxy has
         * what GetAll has */
        consumer_settle(1000);
        object = vm_object();
        GiOS *os = object ? gi_object_get_os(object) : NULL;
        printf("# Hostname after the change and Refresh(): %s\n", os ? gi_os_get_hostname(os) : "(no OS interface)");
        g_clear_object(&os);
        g_clear_object(&object);
        check("after the hostname change");

        /* the agent killed: the guest data goes, then comes back */
        if (guest_kill_agent(&H, VM) != 0) {
                printf("FAIL kill-agent.sh\n");
                failures++;
                goto out;
        }
        if (wait_for(guest_data_gone, NULL, 30000, "guest data gone with the agent"))
                check("with the agent gone");
        /* the restarted agent reads the new hostname */
        if (wait_for(guest_data_there, NEW_HOSTNAME, 60000, "guest data back with the agent, new hostname"))
                check("with the agent back");

        if (harness_virsh(&H, "suspend %s", VM) == 0 && wait_for(state_is, "paused", 10000, "paused"))
                check("suspended");
        if (harness_virsh(&H, "resume %s", VM) == 0 && wait_for(state_is, "running", 10000, "running again"))
                check("resumed");
        if (harness_virsh(&H, "destroy %s", VM) == 0 && wait_for(state_is, "shutoff", 30000, "shut off") &&
            wait_for(guest_data_gone, NULL, 10000, "guest data gone with the VM"))
                check("destroyed");
out:
        free(hostname);
}

int main(void) {
        GError *error = NULL;
        char dir[512];
        int r;

        r = harness_setup(&H);
        snprintf(dir, sizeof dir, "%s/guest", H.dir);
        if (r == 0)
                r = guest_build(&H, "guest.env", dir);
        if (r == 0)
                r = harness_start_libvirtd(&H, "qemu");
        if (r == 0)
                r = guest_define(&H, VM, UUID, "guest.env", dir, true);
        if (r == 0)
                r = harness_start_daemon(&H, H.uri, 60, "--agent-timeout=3", NULL);
        if (r != 0) {
                fprintf(stderr, "setup failed (%d)\n", r);
                harness_cleanup(&H);
                return 1;
        }
        path = consumer_domain_path(UUID);
        conn = consumer_connect(H.bus_address);
        if (conn)
                manager = gi_object_manager_client_new_sync(conn, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE,
                                                            CONSUMER_BUS_NAME, CONSUMER_ROOT_PATH, NULL, &error);
        if (manager) {
                check("defined, not running");
                run();
        } else {
                fprintf(stderr, "consumer: %s\n", error ? error->message : "no connection");
                g_clear_error(&error);
                failures++;
        }

        g_clear_object(&manager);
        if (conn) {
                g_dbus_connection_close_sync(conn, NULL, NULL);
                g_object_unref(conn);
        }
        g_free(path);
        int status = harness_stop_daemon(&H);
        harness_cleanup(&H);
        if (status != 0) {
                fprintf(stderr, "guestinfod exited with %d\n", status);
                failures++;
        }
        printf("%u failure(s)\n", failures);
        return failures ? 1 : 0;
}
