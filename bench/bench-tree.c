/* The whole tree on the bus: its limit, its cost, and what a flood costs
 * the others.
 *
 * The daemon's own bus code serves a model in process (the test helpers'
 * fake daemon: guest data the test hypervisor cannot give), on a private
 * dbus-daemon with its default limits (32 MiB a message):
 *   - the fleet size where GetManagedObjects and ListSummaries answer
 *     LimitsExceeded, with ordinary and with maxed-out guests (every
 *     string and every list that travels at its cap, as the builder keeps
 *     them within the VM's budget): from one object's size, then checked
 *     at that size and one more;
 *   - GetManagedObjects of N ordinary domains built from the model against
 *     sd-bus's own (the peer: what the daemon did before);
 *   - the stall another caller sees while 8 connections send 2000 unread
 *     GetManagedObjects each (200 ordinary domains): the whole-tree calls
 *     taking turns against sd-bus answering in order of arrival; the same
 *     calls without a flood (what the machine's load alone costs); and a
 *     call to dbus-daemon itself in the flood (what relaying it costs the
 *     bus), with how many of the flood's calls reached guestinfod. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bus-wire.h"
#include "fake-daemon.h"
#include "guest-profiles.h"
#include "harness.h"

#define OBJECT_MANAGER "org.freedesktop.DBus.ObjectManager"
/* libvirt 9.0's RPC carries at most this many domains in one list. */
#define LIBVIRT_LIST_MAX 16384

static Harness H;
static FakeDaemon server;
static bool serving;

static void cleanup(void) {
        if (serving)
                fake_daemon_stop(&server);
        serving = false;
        harness_cleanup(&H);
}

static int serve(Manager *m, bool sd_bus_tree) {
        int r = fake_daemon_start_full(&server, m, false, sd_bus_tree);
        serving = r >= 0;
        return r;
}

static void stop(void) {
        fake_daemon_stop(&server);
        serving = false;
}

/* A whole-tree call: 1 with its body size, 0 for LimitsExceeded, <0 else. */
static int tree_call(sd_bus *bus, const char *iface, const char *member, uint64_t *size) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = sd_bus_call_method(bus, BENCH_BUS_NAME, BENCH_MANAGER_PATH, iface, member, &error, &reply, "");
        if (r >= 0)
                r = wire_body_size(reply, size) < 0 ? -EBADMSG : 1;
        else if (sd_bus_error_has_name(&error, SD_BUS_ERROR_LIMITS_EXCEEDED))
                r = 0;
        else
                fprintf(stderr, "bench-tree: %s: %s\n", member, error.message ? error.message : strerror(-r));
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        return r;
}

/* The largest fleet of this guest data that one call can carry: from one
 * domain's share, checked with that many domains (a reply the bus carried)
 * and one more (LimitsExceeded). */
static size_t largest_fleet(sd_bus *bus, const char *const *guest, const char *agent, const char *iface,
                            const char *member, bool *checked) {
        uint64_t one = 0, two = 0, size = 0;
        Manager *m = guest_profile_model(2, guest, agent, "fleet", 0);
        if (!m || serve(m, false) < 0)
                return 0;
        int r = tree_call(bus, iface, member, &two);
        stop();
        manager_free(m);
        m = guest_profile_model(1, guest, agent, "fleet", 0);
        if (r <= 0 || !m || serve(m, false) < 0)
                return 0;
        r = tree_call(bus, iface, member, &one);
        stop();
        manager_free(m);
        if (r <= 0)
                return 0;

        uint64_t share = two - one;
        size_t n = (size_t) ((BUS_BODY_SIZE_MAX - (one - share)) / share);
        *checked = false;
        printf("# %s: %llu bytes a domain, %zu domains in %.1f MiB\n", member, (unsigned long long) share, n,
               (double) (one + (n - 1) * share) / 1048576.0);
        /* more than libvirt lists in one call: not built */
        if (n > LIBVIRT_LIST_MAX)
                return n;
        for (size_t k = n; k <= n + 1; k++) {
                m = guest_profile_model(k, guest, agent, "fleet", 0);
                if (!m || serve(m, false) < 0)
                        return n;
                r = tree_call(bus, iface, member, &size);
                stop();
                manager_free(m);
                /* k fits, k + 1 does not */
                if ((k == n) != (r == 1))
                        return n;
        }
        *checked = true;
        return n;
}

/* ---- the flood ---- */

typedef struct Flooder {
        pthread_t thread;
        sd_bus *bus;
        int calls;
} Flooder;

static void *flood(void *userdata) {
        Flooder *f = userdata;
        for (int i = 0; i < f->calls; i++) {
                sd_bus_message *m = NULL;
                if (sd_bus_message_new_method_call(f->bus, &m, BENCH_BUS_NAME, BENCH_MANAGER_PATH, OBJECT_MANAGER,
                                                   "GetManagedObjects") < 0)
                        break;
                int r = sd_bus_send(f->bus, m, NULL);
                sd_bus_message_unref(m);
                if (r < 0)
                        break;
        }
        (void) sd_bus_flush(f->bus);
        return NULL;
}

/* The slowest Get and ListDomains of another connection, and its slowest
 * call to dbus-daemon itself (which relays the flood), during the seconds
 * after n_flooders sent calls each. */
static int flood_stall(sd_bus *bus, int n_flooders, int calls, double seconds, double *worst_get, double *worst_list,
                       double *worst_bus) {
        Flooder *flooders = calloc(n_flooders, sizeof *flooders);
        int r = 0;

        *worst_get = *worst_list = *worst_bus = 0;
        for (int i = 0; i < n_flooders; i++) {
                flooders[i].calls = calls;
                if (sd_bus_new(&flooders[i].bus) < 0 || sd_bus_set_address(flooders[i].bus, H.bus_address) < 0 ||
                    sd_bus_set_bus_client(flooders[i].bus, true) < 0 || sd_bus_start(flooders[i].bus) < 0)
                        return -EIO;
                pthread_create(&flooders[i].thread, NULL, flood, &flooders[i]);
        }
        for (int i = 0; i < n_flooders; i++)
                pthread_join(flooders[i].thread, NULL);
        double end = bench_now() + seconds;
        while (r >= 0 && bench_now() < end) {
                sd_bus_message *reply = NULL;
                /* first the bus itself: what relaying the flood costs
                 * dbus-daemon, before the calls that guestinfod answers */
                double t0 = bench_now();
                r = bench_call(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId",
                               120, &reply, NULL);
                double t1 = bench_now();
                reply = sd_bus_message_unref(reply);
                if (r >= 0)
                        r = bench_call(bus, BENCH_BUS_NAME, BENCH_MANAGER_PATH, "org.freedesktop.DBus.Properties",
                                       "Get", 120, &reply, "ss", BENCH_MANAGER_IFACE, "DomainCount");
                double t2 = bench_now();
                reply = sd_bus_message_unref(reply);
                if (r >= 0)
                        r = bench_call(bus, BENCH_BUS_NAME, BENCH_MANAGER_PATH, BENCH_MANAGER_IFACE, "ListDomains", 120,
                                       &reply, NULL);
                double t3 = bench_now();
                sd_bus_message_unref(reply);
                if (t1 - t0 > *worst_bus)
                        *worst_bus = t1 - t0;
                if (t2 - t1 > *worst_get)
                        *worst_get = t2 - t1;
                if (t3 - t2 > *worst_list)
                        *worst_list = t3 - t2;
                harness_settle(&H, 20);
        }
        for (int i = 0; i < n_flooders; i++)
                sd_bus_flush_close_unref(flooders[i].bus);
        free(flooders);
        return r;
}

int main(int argc, char *argv[]) {
        int domains = 2000, reps = 11, flood_calls = 2000;
        static const struct option options[] = {
                { "domains", required_argument, NULL, 'd' },
                { "reps", required_argument, NULL, 'r' },
                { "flood-calls", required_argument, NULL, 'f' },
                {},
        };
        for (int c; (c = getopt_long(argc, argv, "d:r:f:", options, NULL)) >= 0;)
                if (c == 'd')
                        domains = atoi(optarg);
                else if (c == 'r')
                        reps = atoi(optarg);
                else if (c == 'f')
                        flood_calls = atoi(optarg);
                else
                        return 2;
        if (domains < 1 || reps < 1 || flood_calls < 1)
                return 2;

        if (harness_init(&H) < 0)
                return 1;
        bench_init(900);
        bench_on_exit(cleanup);
        if (harness_start_bus(&H) < 0 || harness_connect_client(&H) < 0) {
                fprintf(stderr, "bench-tree: cannot start a private bus\n");
                return 1;
        }
        sd_bus *bus = H.bus;
        char value[64];

        /* where LimitsExceeded starts */
        static const struct {
                const char *name;
                const char *const *(*guest)(void);
                const char *(*agent)(void);
        } profiles[] = { { "ordinary", guest_profile_ordinary, guest_profile_ordinary_agent },
                         { "maxed-out", guest_profile_maxed, guest_profile_maxed_agent } };
        for (size_t p = 0; p < ELEMENTSOF(profiles); p++)
                for (int call = 0; call < 2; call++) {
                        const char *member = call == 0 ? "GetManagedObjects" : "ListSummaries";
                        bool checked = false;
                        size_t n = largest_fleet(bus, profiles[p].guest(), profiles[p].agent(),
                                                 call == 0 ? OBJECT_MANAGER : BENCH_MANAGER_IFACE, member, &checked);
                        char metric[128];
                        snprintf(metric, sizeof metric, "tree: largest fleet in one %s, %s guests", member,
                                 profiles[p].name);
                        bool beyond = n > LIBVIRT_LIST_MAX;
                        snprintf(value, sizeof value, "%zu domains%s", n,
                                 beyond    ? " (beyond libvirt's 16384)"
                                 : checked ? ""
                                           : " (check failed)");
                        bench_row(metric, value, "the bus's limit", "32 MiB", "-", "LimitsExceeded beyond",
                                  beyond ? "-" : bench_met(checked));
                }

        /* the cost of one reply, ours against sd-bus's, in alternation (a
         * loaded machine changes speed): ours counted the first time, then
         * written as sd-bus does while nothing changed */
        Manager *m = guest_profile_model(domains, guest_profile_ordinary(), guest_profile_ordinary_agent(), "cost", 0);
        double *t_sd_bus = calloc(reps, sizeof(double)), *t_first = calloc(reps, sizeof(double)),
               *t_again = calloc(reps, sizeof(double));
        int done = 0;
        for (; m && done < reps; done++) {
                uint64_t size;
                double t0;
                if (serve(m, true) < 0)
                        break;
                t0 = bench_now();
                int r = tree_call(bus, OBJECT_MANAGER, "GetManagedObjects", &size);
                t_sd_bus[done] = bench_now() - t0;
                stop();
                if (r != 1 || serve(m, false) < 0)
                        break;
                t0 = bench_now();
                r = tree_call(bus, OBJECT_MANAGER, "GetManagedObjects", &size);
                t_first[done] = bench_now() - t0;
                t0 = bench_now();
                if (r == 1)
                        r = tree_call(bus, OBJECT_MANAGER, "GetManagedObjects", &size);
                t_again[done] = bench_now() - t0;
                stop();
                if (r != 1)
                        break;
        }
        manager_free(m);
        char metric[128];
        if (done == reps) {
                double sd_bus = bench_median(t_sd_bus, reps), first = bench_median(t_first, reps),
                       again = bench_median(t_again, reps);
                snprintf(metric, sizeof metric, "tree: GetManagedObjects, %d ordinary domains, first call, median",
                         domains);
                bench_row(metric, bench_fmt_time(first), "sd-bus's own (before)", bench_fmt_time(sd_bus),
                          bench_fmt_ratio(first / sd_bus), "-", "-");
                snprintf(metric, sizeof metric, "tree: GetManagedObjects, %d ordinary domains, again, median", domains);
                bench_row(metric, bench_fmt_time(again), "sd-bus's own (before)", bench_fmt_time(sd_bus),
                          bench_fmt_ratio(again / sd_bus), "≤ 1.2×", bench_met(again <= 1.2 * sd_bus));
        } else
                bench_row("tree: GetManagedObjects", "failed", "-", "-", "-", "-", "NO");
        free(t_sd_bus);
        free(t_first);
        free(t_again);

        /* a flood against another caller */
        m = guest_profile_model(200, guest_profile_ordinary(), guest_profile_ordinary_agent(), "flood", 0);
        double get[2] = { -1, -1 }, list[2] = { -1, -1 }, bus_self[2] = { -1, -1 }, quiet_get = -1, quiet_list = -1,
               quiet_bus = -1;
        /* the floor: the same calls without a flood, on this machine as
         * loaded as it is now (what the load alone costs) */
        if (m && serve(m, false) >= 0) {
                if (flood_stall(bus, 0, flood_calls, 2.0, &quiet_get, &quiet_list, &quiet_bus) < 0)
                        fprintf(stderr, "bench-tree: the other caller's call failed\n");
                stop();
                printf("# no flood: slowest Get %s, ListDomains %s, dbus-daemon's GetId %s\n",
                       bench_fmt_time(quiet_get), bench_fmt_time(quiet_list), bench_fmt_time(quiet_bus));
        }
        for (int after = 0; m && after < 2; after++) {
                if (serve(m, !after) < 0)
                        break;
                if (flood_stall(bus, 8, flood_calls, 2.0, &get[after], &list[after], &bus_self[after]) < 0)
                        fprintf(stderr, "bench-tree: the other caller's call failed\n");
                stop();
                printf("# flood, %s: slowest Get %s, ListDomains %s, dbus-daemon's GetId %s; %u of the %d calls "
                       "reached guestinfod\n",
                       after ? "in turns" : "sd-bus, in order", bench_fmt_time(get[after]), bench_fmt_time(list[after]),
                       bench_fmt_time(bus_self[after]), atomic_load(&server.get_managed_objects_calls),
                       8 * flood_calls);
        }
        manager_free(m);
        snprintf(metric, sizeof metric, "flood: another caller's slowest Get (8 x %d unread GetManagedObjects)",
                 flood_calls);
        bench_row(metric, bench_fmt_time(get[1]), "before: sd-bus in order of arrival", bench_fmt_time(get[0]),
                  bench_fmt_ratio(get[1] / get[0]), "≤ 100 ms", bench_met(get[1] >= 0 && get[1] <= 0.1));
        snprintf(metric, sizeof metric, "flood: another caller's slowest ListDomains (8 x %d unread)", flood_calls);
        bench_row(metric, bench_fmt_time(list[1]), "before: sd-bus in order of arrival", bench_fmt_time(list[0]),
                  bench_fmt_ratio(list[1] / list[0]), "≤ 100 ms", bench_met(list[1] >= 0 && list[1] <= 0.1));
        cleanup();
        return 0;
}
