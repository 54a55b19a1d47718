/* 2. Fleet read against today's tools, on libvirt's test hypervisor.
 *
 * One hand-started libvirtd serving the test driver (test:///default, shared
 * by every client of that libvirtd) holds N running domains, each with one
 * NIC on network "default" whose XML declares an <ip>. Three readers want
 * "the hostname and IP addresses of every VM":
 *   guestinfod     one GetManagedObjects; one ListSummaries (the compact
 *                  call); guestinfoctl list, if built
 *   libvirt-dbus   ListDomains, then GetHostname + InterfaceAddresses per
 *                  domain: one call at a time, and 16 in flight (its best
 *                  case)
 *   python3-libvirt  listAllDomains, then hostname() + interfaceAddresses()
 *                  per domain (bench/fleet-python.py), a process per read
 *   virsh loop     virsh list, then virsh domhostname + virsh domifaddr per
 *                  domain, over a sample of domains, extrapolated to N
 * Also the CPU time of every process involved, per read, and guestinfod's
 * two calls against their floor: bench-floor (floor.c) answering with the
 * bytes guestinfod replied, captured once, read by the same client code
 * (--floor-only: that alone). Sizes are measured
 * in increasing order in one run: the domains of the smaller size stay, more
 * are added, guestinfod is restarted. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "fleet.h"
#include "harness.h"

static Harness H;
static pid_t ldbus_pid;
static FleetFloor floor_peer;

static void cleanup(void) {
        fleet_floor_stop(&floor_peer);
        bench_stop(&ldbus_pid);
        harness_cleanup(&H);
}

typedef struct Options {
        size_t sizes[4];
        size_t n_sizes;
        int reps;            /* guestinfod reads per size */
        int ldbus_reps;      /* libvirt-dbus reads per size (bounded by ldbus_budget) */
        double ldbus_budget; /* seconds */
        size_t virsh_sample; /* domains timed in the virsh loop */
        size_t window;       /* libvirt-dbus calls in flight */
        bool floor_only;     /* guestinfod against the floor, no other peer */
} Options;

typedef struct SizeResult {
        size_t n;
        double gi, summaries, ctl, ldbus_seq, ldbus, virsh, python;
        double gi_cpu, ldbus_seq_cpu; /* CPU of every process involved, per read */
} SizeResult;

/* CPU seconds so far of everything a read can involve: guestinfod,
 * dbus-daemon, libvirtd, libvirt-dbus and this process. */
static double cpu_all(void) {
        char path[400];
        snprintf(path, sizeof path, "%s/libvirtd.pid", H.libvirtd_state);
        pid_t pids[] = { H.daemon_pid, H.bus_pid, bench_pid_from_file(path), ldbus_pid, 0 };
        double sum = 0;
        for (size_t i = 0; i < sizeof pids / sizeof *pids; i++) {
                double c = pids[i] < 0 ? NAN : bench_cpu_seconds(pids[i]);
                if (!isnan(c))
                        sum += c;
        }
        return sum;
}

static double daemon_cpu(void *userdata) {
        return bench_cpu_seconds(H.daemon_pid);
}

static void measure(sd_bus *bus, const Options *o, size_t n, SizeResult *res) {
        FleetCount c;
        double *t = calloc(64, sizeof(double));
        int k;

        res->n = n;

        /* guestinfod: one call. A warm-up first (page faults, sd-bus buffers). */
        fleet_read_guestinfod(bus, &c);
        double *call = calloc(64, sizeof(double));
        double cpu_gi = bench_cpu_seconds(H.daemon_pid), cpu_bus = bench_cpu_seconds(H.bus_pid),
               cpu_me = bench_cpu_seconds(0), cpu0 = cpu_all();
        for (k = 0; k < o->reps && k < 64; k++) {
                double t0 = bench_now();
                fleet_read_guestinfod(bus, &c);
                t[k] = bench_now() - t0;
                call[k] = c.call_s;
        }
        res->gi_cpu = (cpu_all() - cpu0) / k;
        cpu_gi = (bench_cpu_seconds(H.daemon_pid) - cpu_gi) / k;
        cpu_bus = (bench_cpu_seconds(H.bus_pid) - cpu_bus) / k;
        cpu_me = (bench_cpu_seconds(0) - cpu_me) / k;
        res->gi = bench_median(t, (size_t) k);
        printf("# N=%zu guestinfod GetManagedObjects: median %s of %d (the call alone %s, the rest reading the "
               "reply); returned %s\n",
               n, bench_fmt_time(res->gi), k, bench_fmt_time(bench_median(call, (size_t) k)), fleet_describe(&c));
        printf("# N=%zu CPU per read: guestinfod %s, dbus-daemon %s, this client %s; all processes %s\n", n,
               bench_fmt_time(cpu_gi), bench_fmt_time(cpu_bus), bench_fmt_time(cpu_me), bench_fmt_time(res->gi_cpu));

        /* ListSummaries, measured the same way: a warm-up, then the call and
         * reading name, hostname and addresses out of the reply. */
        fleet_read_guestinfod_summaries(bus, &c);
        cpu_gi = bench_cpu_seconds(H.daemon_pid);
        cpu_bus = bench_cpu_seconds(H.bus_pid);
        cpu_me = bench_cpu_seconds(0);
        cpu0 = cpu_all();
        for (k = 0; k < o->reps && k < 64; k++) {
                double t0 = bench_now();
                fleet_read_guestinfod_summaries(bus, &c);
                t[k] = bench_now() - t0;
                call[k] = c.call_s;
        }
        double summaries_cpu = (cpu_all() - cpu0) / k;
        cpu_gi = (bench_cpu_seconds(H.daemon_pid) - cpu_gi) / k;
        cpu_bus = (bench_cpu_seconds(H.bus_pid) - cpu_bus) / k;
        cpu_me = (bench_cpu_seconds(0) - cpu_me) / k;
        res->summaries = bench_median(t, (size_t) k);
        printf("# N=%zu guestinfod ListSummaries: median %s of %d (the call alone %s, the rest reading the reply); "
               "returned %s\n",
               n, bench_fmt_time(res->summaries), k, bench_fmt_time(bench_median(call, (size_t) k)),
               fleet_describe(&c));
        printf("# N=%zu CPU per ListSummaries read: guestinfod %s, dbus-daemon %s, this client %s; all processes %s\n",
               n, bench_fmt_time(cpu_gi), bench_fmt_time(cpu_bus), bench_fmt_time(cpu_me),
               bench_fmt_time(summaries_cpu));
        free(call);

        res->ctl = NAN;
        if (fleet_guestinfoctl_path()) {
                double budget = bench_now() + 60;
                for (k = 0; k < o->reps && k < 64 && (k == 0 || bench_now() < budget); k++) {
                        double t0 = bench_now();
                        fleet_read_guestinfoctl(&c);
                        t[k] = bench_now() - t0;
                }
                res->ctl = bench_median(t, (size_t) k);
                printf("# N=%zu guestinfoctl list: median %s of %d; returned %s\n", n, bench_fmt_time(res->ctl), k,
                       fleet_describe(&c));
        } else
                printf("# guestinfoctl not built (%s): skipped\n", bench_build_path("cli/guestinfoctl"));

        /* libvirt-dbus: one call at a time, as a script does, then with
         * calls in flight (its best case). As many reads as the budget
         * allows, at least one. */
        for (int mode = 0; mode < 2; mode++) {
                size_t window = mode == 0 ? 1 : o->window;
                double budget = bench_now() + o->ldbus_budget, c0 = cpu_all();
                for (k = 0; k < o->ldbus_reps && k < 64 && (k == 0 || bench_now() < budget); k++) {
                        double t0 = bench_now();
                        fleet_read_libvirt_dbus(bus, "/org/libvirt/Test", 0, window, &c);
                        t[k] = bench_now() - t0;
                }
                if (mode == 0)
                        res->ldbus_seq_cpu = (cpu_all() - c0) / k;
                double med = bench_median(t, (size_t) k);
                *(mode == 0 ? &res->ldbus_seq : &res->ldbus) = med;
                printf("# N=%zu libvirt-dbus ListDomains + %zu GetHostname + %zu InterfaceAddresses, %zu in flight: "
                       "median %s of %d; returned %s\n",
                       n, c.vms, c.vms, window, bench_fmt_time(med), k, fleet_describe(&c));
        }

        /* python3-libvirt, the script most users write: a process per read,
         * as many as the libvirt-dbus budget allows, at least one. */
        double budget = bench_now() + o->ldbus_budget, *inner = calloc(64, sizeof(double));
        for (k = 0; k < o->ldbus_reps && k < 64 && (k == 0 || bench_now() < budget); k++) {
                double t0 = bench_now();
                if (fleet_read_python(H.uri, false, &c, &inner[k]) < 0)
                        fprintf(stderr, "bench-fleet: the python3-libvirt script failed\n");
                t[k] = bench_now() - t0;
        }
        res->python = bench_median(t, (size_t) k);
        printf("# N=%zu python3-libvirt listAllDomains + hostname + interfaceAddresses, one call at a time: median "
               "%s of %d (the script's own time from the open %s); returned %s\n",
               n, bench_fmt_time(res->python), k, bench_fmt_time(bench_median(inner, (size_t) k)), fleet_describe(&c));
        free(inner);

        /* virsh: the list, then a sample of domains spread over the list. */
        char **names = NULL;
        size_t n_names = 0;
        double list_t[3];
        for (k = 0; k < 3; k++) {
                char ***want = k == 0 ? &names : NULL;
                if (fleet_virsh_list(H.uri, &list_t[k], want, &n_names) < 0)
                        fprintf(stderr, "bench-fleet: virsh list failed\n");
        }
        double list_s = bench_median(list_t, 3);
        size_t sample = o->virsh_sample < n_names ? o->virsh_sample : n_names;
        double *pair = calloc(sample ? sample : 1, sizeof(double));
        memset(&c, 0, sizeof c);
        for (size_t i = 0; i < sample; i++)
                fleet_virsh_pair(H.uri, names[i * n_names / sample], false, &pair[i], &c);
        double per_domain = sample ? bench_median(pair, sample) : NAN;
        res->virsh = list_s + (double) n * per_domain;
        printf("# N=%zu virsh loop: list %s (%zu names), domhostname + domifaddr median %s per domain over %zu "
               "sampled domains (%s) → %s for all %zu%s\n",
               n, bench_fmt_time(list_s), n_names, bench_fmt_time(per_domain), sample, fleet_describe(&c),
               bench_fmt_time(res->virsh), n, sample < n ? " (extrapolated)" : "");
        fleet_strv_free(names);
        free(pair);
        free(t);
}

static void rows(const Options *o, const SizeResult *r) {
        char metric[160], peer[120];
        double ratio;

        snprintf(metric, sizeof metric, "fleet read, %zu VMs: GetManagedObjects", r->n);
        ratio = r->ldbus_seq / r->gi;
        bench_row(metric, bench_fmt_time(r->gi), "libvirt-dbus, one call at a time", bench_fmt_time(r->ldbus_seq),
                  bench_fmt_ratio(ratio), "≥ 50× faster", bench_met(ratio >= 50));
        snprintf(peer, sizeof peer, "libvirt-dbus, %zu calls in flight", o->window);
        ratio = r->ldbus / r->gi;
        bench_row(metric, bench_fmt_time(r->gi), peer, bench_fmt_time(r->ldbus), bench_fmt_ratio(ratio), "≥ 50× faster",
                  bench_met(ratio >= 50));
        ratio = r->virsh / r->gi;
        snprintf(peer, sizeof peer, "virsh loop (%zu of %zu timed)", o->virsh_sample < r->n ? o->virsh_sample : r->n,
                 r->n);
        bench_row(metric, bench_fmt_time(r->gi), peer, bench_fmt_time(r->virsh), bench_fmt_ratio(ratio),
                  "≥ 500× faster", bench_met(ratio >= 500));
        bench_row(metric, bench_fmt_time(r->gi), "python3-libvirt script, one call at a time",
                  bench_fmt_time(r->python), bench_fmt_ratio(r->python / r->gi), "-", "-");
        snprintf(metric, sizeof metric, "fleet read, %zu VMs: CPU of all processes per read", r->n);
        bench_row(metric, bench_fmt_time(r->gi_cpu), "libvirt-dbus, one call at a time",
                  bench_fmt_time(r->ldbus_seq_cpu), bench_fmt_ratio(r->ldbus_seq_cpu / r->gi_cpu), "-", "-");
        /* The compact call, against the same peers and targets. */
        snprintf(metric, sizeof metric, "fleet read, %zu VMs: ListSummaries", r->n);
        ratio = r->ldbus_seq / r->summaries;
        bench_row(metric, bench_fmt_time(r->summaries), "libvirt-dbus, one call at a time",
                  bench_fmt_time(r->ldbus_seq), bench_fmt_ratio(ratio), "≥ 50× faster", bench_met(ratio >= 50));
        snprintf(peer, sizeof peer, "libvirt-dbus, %zu calls in flight", o->window);
        ratio = r->ldbus / r->summaries;
        bench_row(metric, bench_fmt_time(r->summaries), peer, bench_fmt_time(r->ldbus), bench_fmt_ratio(ratio),
                  "≥ 50× faster", bench_met(ratio >= 50));
        bench_row(metric, bench_fmt_time(r->summaries), "python3-libvirt script, one call at a time",
                  bench_fmt_time(r->python), bench_fmt_ratio(r->python / r->summaries), "-", "-");
        if (!isnan(r->ctl)) {
                snprintf(peer, sizeof peer, "virsh loop (%zu of %zu timed)",
                         o->virsh_sample < r->n ? o->virsh_sample : r->n, r->n);
                snprintf(metric, sizeof metric, "fleet read, %zu VMs: guestinfoctl list", r->n);
                bench_row(metric, bench_fmt_time(r->ctl), "libvirt-dbus, one call at a time",
                          bench_fmt_time(r->ldbus_seq), bench_fmt_ratio(r->ldbus_seq / r->ctl), "-", "-");
                bench_row(metric, bench_fmt_time(r->ctl), peer, bench_fmt_time(r->virsh),
                          bench_fmt_ratio(r->virsh / r->ctl), "-", "-");
        }
}

static int parse_sizes(const char *s, Options *o) {
        o->n_sizes = 0;
        for (char *end; *s && o->n_sizes < 4; s = *end ? end + 1 : end) {
                unsigned long v = strtoul(s, &end, 10);
                if (v == 0 || (*end && *end != ','))
                        return -EINVAL;
                o->sizes[o->n_sizes++] = v;
        }
        return o->n_sizes ? 0 : -EINVAL;
}

int main(int argc, char *argv[]) {
        Options o = { .reps = 11, .ldbus_reps = 5, .ldbus_budget = 60, .virsh_sample = 100, .window = 16 };
        static const struct option options[] = {
                { "sizes", required_argument, NULL, 's' },        { "reps", required_argument, NULL, 'r' },
                { "ldbus-reps", required_argument, NULL, 'l' },   { "ldbus-budget", required_argument, NULL, 'b' },
                { "virsh-sample", required_argument, NULL, 'v' }, { "window", required_argument, NULL, 'w' },
                { "floor-only", no_argument, NULL, 'f' },         {},
        };
        parse_sizes("1000,10000", &o);
        for (int c; (c = getopt_long(argc, argv, "", options, NULL)) >= 0;) {
                switch (c) {
                case 's':
                        if (parse_sizes(optarg, &o) < 0)
                                return 2;
                        break;
                case 'r':
                        o.reps = atoi(optarg);
                        break;
                case 'l':
                        o.ldbus_reps = atoi(optarg);
                        break;
                case 'b':
                        o.ldbus_budget = atof(optarg);
                        break;
                case 'v':
                        o.virsh_sample = strtoul(optarg, NULL, 10);
                        break;
                case 'w':
                        o.window = strtoul(optarg, NULL, 10);
                        break;
                case 'f':
                        o.floor_only = true;
                        break;
                default:
                        return 2;
                }
        }
        if (o.reps < 1)
                o.reps = 1;

        if (harness_init(&H) < 0)
                return 1;
        bench_init(1500);
        bench_on_exit(cleanup);
        if (harness_start_bus(&H) < 0 || harness_start_libvirtd(&H, "test") < 0) {
                fprintf(stderr, "bench-fleet: cannot start the private bus or libvirtd\n");
                return 1;
        }
        virConnectPtr conn = virConnectOpen(H.uri);
        if (!conn) {
                fprintf(stderr, "bench-fleet: cannot connect to %s\n", H.uri);
                return 1;
        }
        bench_remove_default_domain(conn);

        char log[400];
        snprintf(log, sizeof log, "%s/libvirt-dbus.log", H.dir);
        ldbus_pid = bench_start_libvirt_dbus("test:///default", H.uri, log);
        if (ldbus_pid < 0) {
                fprintf(stderr, "bench-fleet: libvirt-dbus did not start (%s)\n", strerror((int) -ldbus_pid));
                return 1;
        }
        sd_bus *bus = NULL;
        if (sd_bus_open_user(&bus) < 0)
                return 1;

        SizeResult res[4];
        size_t defined = 0;
        for (size_t i = 0; i < o.n_sizes; i++) {
                size_t n = o.sizes[i];
                fleet_floor_stop(&floor_peer);
                harness_stop_daemon(&H);
                double t0 = bench_now();
                if (n > defined && bench_define_domains(conn, "fleet", defined, n - defined, true) < 0)
                        return 1;
                printf("# defined and started %zu more test domains in %s\n", n - defined,
                       bench_fmt_time(bench_now() - t0));
                defined = n > defined ? n : defined;
                if (harness_start_daemon(&H, H.uri, 300, NULL) < 0) {
                        fprintf(stderr, "bench-fleet: guestinfod did not get ready with %zu domains\n", n);
                        return 1;
                }
                printf("# guestinfod ready with %zu domains after %s\n", n, bench_fmt_time(H.ready_seconds));
                res[i].n = n;
                if (fleet_floor_start(bus, H.dir, &floor_peer) < 0) {
                        fprintf(stderr, "bench-fleet: bench-floor did not start (see its log in %s)\n", H.dir);
                        return 1;
                }
                fleet_floor_measure(bus, &floor_peer, o.reps,
                                    &(FleetServer){ .cpu = daemon_cpu, .bus_pid = H.bus_pid });
                fleet_floor_report(&floor_peer, n, "");
                if (o.floor_only)
                        continue;
                measure(bus, &o, n, &res[i]);
                rows(&o, &res[i]);
        }

        if (o.n_sizes >= 2 && !o.floor_only) {
                const SizeResult *a = &res[0], *b = &res[o.n_sizes - 1];
                static const char *const names[] = { "libvirt-dbus one at a time", "libvirt-dbus in flight",
                                                     "virsh loop" };
                double pa[] = { a->ldbus_seq, a->ldbus, a->virsh }, pb[] = { b->ldbus_seq, b->ldbus, b->virsh };
                /* Both sides grow linearly with N: the time saved grows with
                 * N, the ratio stays about the same (shown too). */
                for (int i = 0; i < 3; i++) {
                        double ga = pa[i] - a->gi, gb = pb[i] - b->gi;
                        char metric[120], gi[96], peer[64];
                        snprintf(metric, sizeof metric, "fleet gap %zu → %zu VMs, vs %s", a->n, b->n, names[i]);
                        snprintf(gi, sizeof gi, "%s → %s saved", bench_fmt_time(ga), bench_fmt_time(gb));
                        snprintf(peer, sizeof peer, "ratio %s → %s", bench_fmt_ratio(pa[i] / a->gi),
                                 bench_fmt_ratio(pb[i] / b->gi));
                        bench_row(metric, gi, "speed-up", peer, bench_fmt_ratio(gb / ga), "gap grows (> 1×)",
                                  bench_met(gb > ga));
                }
        }

        sd_bus_flush_close_unref(bus);
        virConnectClose(conn);
        return 0;
}
