/* guestinfod's two whole-fleet calls against their floor, with full guest
 * data: the ListSummaries and GetManagedObjects of bench-fleet's floor rows,
 * but of N ordinary guests (hostname, OS, addresses, disks, users, agent)
 * rather than test-driver domains that have none.
 *
 * The daemon's own bus code serves a model in process (the test helpers'
 * fake daemon, from a thread of this process) under guestinfod's name on a
 * private dbus-daemon; bench-floor (floor.c) on the same bus keeps the
 * replies it gave and answers with those bytes, marshalling nothing. One
 * client, this process's main thread, reads and decodes each reply
 * (bench-fleet's reader), guestinfod and the floor in turns: with the
 * model unchanged between calls (guestinfod copies every domain's kept
 * part), then with one domain changed before each of guestinfod's calls
 * (its part built again, as after a change the collectors see), then with
 * every domain changed (every part built, as after a reconnection).
 *
 *   bench-floor-full [--vms 1000,10000] [--reps 11]
 *
 * A reply that guestinfod refuses (LimitsExceeded: it would not fit in the
 * bus's 32 MiB; about 10725 ordinary guests for GetManagedObjects) is said
 * so and not measured. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "fake-daemon.h"
#include "fleet.h"
#include "guest-profiles.h"
#include "harness.h"
#include "intern.h"

#define MAX_SIZES 4

static Harness H;
static FakeDaemon server;
static bool serving;
static FleetFloor floor_peer;

static void cleanup(void) {
        fleet_floor_stop(&floor_peer);
        if (serving)
                fake_daemon_stop(&server);
        serving = false;
        harness_cleanup(&H);
}

/* What answers as guestinfod: the serving thread. */
static double serving_cpu(void *userdata) {
        return bench_thread_cpu_seconds(server.thread);
}

static int nothing(FakeDaemon *f, void *userdata) {
        return 0;
}

/* Every domain counts as changed after a fake_daemon_call(): every part
 * of the replies is built again, as after the daemon reconnects. */
static void change_all(void *userdata) {
        (void) fake_daemon_call(&server, nothing, NULL);
}

/* One domain's hostname changes, told to the model as the collectors tell
 * it: its part is built again, the others' copied. The next call changes
 * the next domain, between two names of the same length. */
static int rename_one(FakeDaemon *f, void *userdata) {
        static unsigned calls;
        size_t k = calls++ % manager_domain_count(f->model), n = 0;
        Domain *d, *found = NULL;
        HASHMAP_FOREACH (d, f->model->domains, i)
                if (n++ == k) {
                        found = d;
                        break;
                }
        if (!found || !found->guest)
                return -ENOENT;
        char *h = intern_copy(calls % 2 ? "renamed-a.example" : "renamed-b.example");
        if (!h)
                return -ENOMEM;
        intern_unref(found->guest->hostname);
        found->guest->hostname = h;
        manager_domain_changed(f->model, found, DOMAIN_PROPERTY_OS_HOSTNAME);
        return 0;
}

static void change_one(void *userdata) {
        (void) fake_daemon_call_told(&server, rename_one, NULL);
}

static int parse_sizes(const char *s, size_t sizes[MAX_SIZES], size_t *n_sizes) {
        *n_sizes = 0;
        for (char *end; *s && *n_sizes < MAX_SIZES; s = *end ? end + 1 : end) {
                unsigned long v = strtoul(s, &end, 10);
                /* more than libvirt lists in one call is no fleet */
                if (v == 0 || v > 16384 || (*end && *end != ','))
                        return -1;
                sizes[(*n_sizes)++] = v;
        }
        return *n_sizes && !*s ? 0 : -1;
}

/* One size: the model, served, the floor taken from it, both measured. */
static int run(sd_bus *bus, size_t n, int reps) {
        double t0 = bench_now();
        Manager *m = guest_profile_model(n, guest_profile_ordinary(), guest_profile_ordinary_agent(), "vm", 0);
        if (!m) {
                fprintf(stderr, "bench-floor-full: cannot build a model of %zu domains\n", n);
                return -1;
        }
        int r = fake_daemon_start_full(&server, m, false, false);
        serving = r >= 0;
        if (r >= 0)
                r = fleet_floor_start(bus, H.dir, &floor_peer);
        if (r >= 0) {
                printf("# N=%zu: model of %zu ordinary guests built and served, floor captured, in %s\n", n, n,
                       bench_fmt_time(bench_now() - t0));
                FleetServer unchanged = { .cpu = serving_cpu, .bus_pid = H.bus_pid },
                            one = { .cpu = serving_cpu, .before_call = change_one, .bus_pid = H.bus_pid },
                            all = { .cpu = serving_cpu, .before_call = change_all, .bus_pid = H.bus_pid };
                fleet_floor_measure(bus, &floor_peer, reps, &unchanged);
                fleet_floor_report(&floor_peer, n, ", full guest data");
                fleet_floor_measure(bus, &floor_peer, reps, &one);
                fleet_floor_report(&floor_peer, n, ", full guest data, after one domain changed");
                fleet_floor_measure(bus, &floor_peer, reps, &all);
                fleet_floor_report(&floor_peer, n, ", full guest data, after every domain changed");
        } else
                fprintf(stderr, "bench-floor-full: %zu domains: serving or bench-floor failed (its log in %s)\n", n,
                        H.dir);
        fleet_floor_stop(&floor_peer);
        if (serving)
                fake_daemon_stop(&server);
        serving = false;
        manager_free(m);
        return r;
}

int main(int argc, char *argv[]) {
        size_t sizes[MAX_SIZES], n_sizes = 0;
        int reps = 11;
        static const struct option options[] = {
                { "vms", required_argument, NULL, 'v' },
                { "reps", required_argument, NULL, 'r' },
                {},
        };
        parse_sizes("1000,10000", sizes, &n_sizes);
        for (int c; (c = getopt_long(argc, argv, "", options, NULL)) >= 0;)
                if (c == 'v' && parse_sizes(optarg, sizes, &n_sizes) >= 0)
                        continue;
                else if (c == 'r' && (reps = atoi(optarg)) >= 1 && reps <= 64)
                        continue;
                else {
                        fprintf(stderr, "usage: bench-floor-full [--vms N[,N...] (at most 4, each 1-16384)] "
                                        "[--reps 1-64]\n");
                        return 2;
                }

        if (harness_init(&H) < 0)
                return 1;
        bench_init(600);
        bench_on_exit(cleanup);
        sd_bus *bus = NULL;
        if (harness_start_bus(&H) < 0 || sd_bus_open_user(&bus) < 0) {
                fprintf(stderr, "bench-floor-full: cannot start a private bus\n");
                return 1;
        }
        printf("# guestinfod here: the daemon's bus code serving an in-process model from a thread of this "
               "process; the reader: this process's main thread (both share it, and its CPUs with dbus-daemon "
               "and bench-floor); guestinfod's CPU is the serving thread's\n");

        int failed = 0;
        for (size_t i = 0; i < n_sizes; i++)
                failed += run(bus, sizes[i], reps) < 0;
        sd_bus_flush_close_unref(bus);
        cleanup();
        return failed ? 1 : 0;
}
