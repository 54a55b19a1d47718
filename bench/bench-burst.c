/* 12. A burst of new domains, and a stop during its backlog.
 *
 * A hand-started libvirtd serves the test driver (test:///default) and
 * guestinfod runs on it. A thread of the benchmark defines and starts N
 * domains as fast as libvirt takes them (its own connection) while the main
 * thread reads the bus. Timed from the moment libvirt is done (the last
 * virDomainCreate returned):
 *   guestinfod  until every new domain is published as running (its
 *               InterfacesAdded, and State "running" in it or in a later
 *               PropertiesChanged)
 *   peer        until libvirt delivered the last STARTED event of the burst
 *               to a client (a third connection of the benchmark): the events
 *               guestinfod reacts to
 * Then N more domains, and SIGTERM to guestinfod the moment libvirt is done
 * with them: the time to its exit and its status, against the stop of the
 * same daemon with nothing to do. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <search.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "harness.h"

#define PREFIX "burst"

static Harness H;

static void cleanup(void) {
        harness_cleanup(&H);
}

/* --- libvirt's STARTED events, on their own thread --- */

static atomic_ulong started_events;
static _Atomic double started_last;

static void *event_loop(void *arg) {
        for (;;)
                if (virEventRunDefaultImpl() < 0)
                        usleep(1000);
        return NULL;
}

static int on_lifecycle(virConnectPtr c, virDomainPtr d, int event, int detail, void *opaque) {
        if (event != VIR_DOMAIN_EVENT_STARTED)
                return 0;
        atomic_store(&started_last, bench_now());
        atomic_fetch_add(&started_events, 1);
        return 0;
}

/* --- the burst, on its own thread --- */

typedef struct Burst {
        size_t first, n;
        double t0;           /* when the first define was sent */
        _Atomic double done; /* when the last virDomainCreate returned; 0 before */
        int result;
        pthread_t thread;
} Burst;

static void *burst_main(void *userdata) {
        Burst *b = userdata;
        virConnectPtr c = virConnectOpen(H.uri);
        b->result = c ? bench_define_domains(c, PREFIX, b->first, b->n, true) : -EIO;
        atomic_store(&b->done, bench_now());
        if (c)
                virConnectClose(c);
        return NULL;
}

static int burst_start(Burst *b, size_t first, size_t n) {
        b->first = first;
        b->n = n;
        b->t0 = bench_now();
        atomic_store(&b->done, 0.0);
        return -pthread_create(&b->thread, NULL, burst_main, b);
}

/* --- what guestinfod published --- */

typedef struct Published {
        size_t n_total;            /* domains of the benchmark so far */
        bool *running;             /* by index */
        size_t n_running;          /* of the current burst */
        size_t first, n;           /* the current burst */
        double last;               /* when the last of it became running */
        struct hsearch_data paths; /* object path → index + 1 */
} Published;

static Published P;

static void mark_running(size_t index) {
        if (index >= P.n_total || P.running[index])
                return;
        P.running[index] = true;
        if (index >= P.first && index < P.first + P.n) {
                P.n_running++;
                P.last = bench_now();
        }
}

static int read_state(sd_bus_message *m, const char **state) {
        int r = sd_bus_message_enter_container(m, 'v', "s");
        if (r > 0) {
                r = sd_bus_message_read(m, "s", state);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        } else if (r == 0)
                r = sd_bus_message_skip(m, "v");
        return r;
}

/* a{sv} of the Domain interface: Name and State. */
static int read_domain_props(sd_bus_message *m, const char **name, const char **state) {
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *prop;
                r = sd_bus_message_read(m, "s", &prop);
                if (r >= 0 && name && strcmp(prop, "Name") == 0)
                        r = read_state(m, name);
                else if (r >= 0 && strcmp(prop, "State") == 0)
                        r = read_state(m, state);
                else if (r >= 0)
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r;
}

static int on_added(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *path, *name = NULL, *state = NULL;
        int r = sd_bus_message_read(m, "o", &path);
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                const char *iface;
                r = sd_bus_message_read(m, "s", &iface);
                if (r >= 0 && strcmp(iface, BENCH_DOMAIN_IFACE) == 0)
                        r = read_domain_props(m, &name, &state);
                else if (r >= 0)
                        r = sd_bus_message_skip(m, "a{sv}");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        size_t plen = strlen(PREFIX "-");
        if (r < 0 || !name || strncmp(name, PREFIX "-", plen) != 0)
                return 0;
        size_t index = strtoul(name + plen, NULL, 10);
        ENTRY e = { .key = strdup(path), .data = (void *) (index + 1) }, *found;
        if (e.key && !hsearch_r(e, ENTER, &found, &P.paths))
                free(e.key);
        if (state && strcmp(state, "running") == 0)
                mark_running(index);
        return 0;
}

static int on_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *iface, *state = NULL;
        ENTRY e = { .key = (char *) sd_bus_message_get_path(m) }, *found = NULL;
        if (!e.key || !hsearch_r(e, FIND, &found, &P.paths) || !found)
                return 0;
        if (sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, BENCH_DOMAIN_IFACE) != 0)
                return 0;
        if (read_domain_props(m, NULL, &state) >= 0 && state && strcmp(state, "running") == 0)
                mark_running((size_t) found->data - 1);
        return 0;
}

/* Reads the bus until done() or timeout_s. */
static void process_until(sd_bus *bus, bool (*done)(void), double timeout_s) {
        double end = bench_now() + timeout_s;
        while (!done() && bench_now() < end) {
                int r = sd_bus_process(bus, NULL);
                if (r < 0)
                        break;
                if (r == 0)
                        sd_bus_wait(bus, 100000);
        }
}

static bool all_running(void) {
        return P.n_running == P.n;
}

/* Domains [0, n) are the burst (each burst reuses them: the domains of the
 * one before were removed). */
static void expect(size_t n) {
        free(P.running);
        P.running = calloc(n, sizeof *P.running);
        if (!P.running)
                exit(1);
        P.n_total = n;
        P.first = 0;
        P.n = n;
        P.n_running = 0;
        P.last = NAN;
}

/* Removes the burst's domains (no guestinfod runs meanwhile). */
static void remove_domains(virConnectPtr c, size_t n) {
        for (size_t i = 0; i < n; i++) {
                char uuid[37];
                bench_domain_uuid(i, uuid);
                virDomainPtr d = virDomainLookupByUUIDString(c, uuid);
                if (!d)
                        continue;
                (void) virDomainDestroy(d);
                (void) virDomainUndefine(d);
                virDomainFree(d);
        }
}

/* SIGTERM to guestinfod and its exit: seconds, *status its exit status. */
static double stop_daemon(int *status) {
        int st = 0;
        double t0 = bench_now();
        kill(H.daemon_pid, SIGTERM);
        /* bounded: bench_init's limit ends everything */
        while (waitpid(H.daemon_pid, &st, 0) < 0 && errno == EINTR)
                ;
        double t = bench_now() - t0;
        H.daemon_pid = 0;
        *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return t;
}

int main(int argc, char *argv[]) {
        size_t n = 4000;
        int rounds = 3;
        static const struct option options[] = {
                { "domains", required_argument, NULL, 'n' },
                { "rounds", required_argument, NULL, 'r' },
                {},
        };
        for (int c; (c = getopt_long(argc, argv, "", options, NULL)) >= 0;) {
                if (c == 'n')
                        n = strtoul(optarg, NULL, 10);
                else if (c == 'r')
                        rounds = atoi(optarg);
                else
                        return 2;
        }
        if (n == 0 || rounds < 1 || rounds > 16)
                return 2;

        if (harness_init(&H) < 0)
                return 1;
        bench_init(1800);
        bench_on_exit(cleanup);
        virEventRegisterDefaultImpl();
        pthread_t ev_thread;
        pthread_create(&ev_thread, NULL, event_loop, NULL);
        if (harness_start_bus(&H) < 0 || harness_start_libvirtd(&H, "test") < 0) {
                fprintf(stderr, "bench-burst: cannot start the private bus or libvirtd\n");
                return 1;
        }
        virConnectPtr conn = virConnectOpen(H.uri);
        if (!conn)
                return 1;
        bench_remove_default_domain(conn);
        if (virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                             VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), NULL, NULL) < 0)
                return 1;

        sd_bus *bus = NULL;
        if (sd_bus_open_user(&bus) < 0 || hcreate_r(2 * n + 1024, &P.paths) == 0)
                return 1;
        if (sd_bus_match_signal(bus, NULL, BENCH_BUS_NAME, NULL, "org.freedesktop.DBus.ObjectManager",
                                "InterfacesAdded", on_added, NULL) < 0 ||
            sd_bus_match_signal(bus, NULL, BENCH_BUS_NAME, NULL, "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                on_changed, NULL) < 0)
                return 1;

        double *lag = calloc((size_t) rounds, sizeof(double)), *peer = calloc((size_t) rounds, sizeof(double));
        double *stop = calloc((size_t) rounds, sizeof(double)), *idle = calloc((size_t) rounds, sizeof(double));
        int bad_status = 0;
        for (int k = 0; k < rounds; k++) {
                Burst b;
                int status;

                /* The burst into a running daemon. */
                if (harness_start_daemon(&H, H.uri, 300, NULL) < 0)
                        return 1;
                process_until(bus, all_running, 0.2); /* the name's owner is known */
                expect(n);
                unsigned long ev0 = atomic_load(&started_events);
                if (burst_start(&b, 0, n) < 0)
                        return 1;
                while (atomic_load(&b.done) == 0.0) {
                        if (sd_bus_process(bus, NULL) == 0)
                                sd_bus_wait(bus, 10000);
                }
                pthread_join(b.thread, NULL);
                if (b.result < 0)
                        return 1;
                double done = atomic_load(&b.done);
                process_until(bus, all_running, 120);
                /* libvirt's events are delivered by now (guestinfod saw them) */
                for (int w = 0; w < 200 && atomic_load(&started_events) - ev0 < n; w++)
                        usleep(10000);
                lag[k] = P.last - done;
                peer[k] = atomic_load(&started_last) - done;
                printf("# round %d: %zu domains defined and started in %s; guestinfod published %zu of them as "
                       "running %s after libvirt was done; libvirt's last STARTED event (%lu of %zu) %s after\n",
                       k + 1, n, bench_fmt_time(done - b.t0), P.n_running, bench_fmt_time(lag[k]),
                       atomic_load(&started_events) - ev0, n, bench_fmt_time(peer[k]));

                /* The same daemon stopped with nothing to do. */
                idle[k] = stop_daemon(&status);
                bad_status |= status != 0;
                printf("# round %d: idle stop %s, exit status %d\n", k + 1, bench_fmt_time(idle[k]), status);
                remove_domains(conn, n);

                /* Another burst, and a stop as soon as libvirt is done. */
                if (harness_start_daemon(&H, H.uri, 300, NULL) < 0)
                        return 1;
                expect(n);
                if (burst_start(&b, 0, n) < 0)
                        return 1;
                while (atomic_load(&b.done) == 0.0) {
                        if (sd_bus_process(bus, NULL) == 0)
                                sd_bus_wait(bus, 10000);
                }
                pthread_join(b.thread, NULL);
                size_t before = P.n_running;
                stop[k] = stop_daemon(&status);
                bad_status |= status != 0;
                process_until(bus, all_running, 0.5);
                printf("# round %d: stop during the backlog (%zu of %zu published as running when SIGTERM was "
                       "sent, %zu by the exit) %s, exit status %d\n",
                       k + 1, before, n, P.n_running, bench_fmt_time(stop[k]), status);
                remove_domains(conn, n);
        }

        char metric[160], gi[96];
        double l = bench_median(lag, (size_t) rounds), p = bench_median(peer, (size_t) rounds);
        snprintf(metric, sizeof metric, "burst of %zu new domains: libvirt done → all published, median of %d", n,
                 rounds);
        /* The events come before the last call returns: the peer is about
         * 0, no ratio. */
        bench_row(metric, bench_fmt_time(l), "libvirt's last STARTED event to a client", bench_fmt_time(p), "-",
                  "≤ 1 s", bench_met(l <= 1.0));
        double s = bench_median(stop, (size_t) rounds), i = bench_median(idle, (size_t) rounds);
        snprintf(metric, sizeof metric, "burst of %zu new domains: SIGTERM during the backlog → exit, median of %d", n,
                 rounds);
        snprintf(gi, sizeof gi, "%s (status %s)", bench_fmt_time(s), bad_status ? "not 0" : "0");
        bench_row(metric, gi, "the same daemon stopped idle", bench_fmt_time(i), bench_fmt_ratio(s / i), "≤ 1 s",
                  bench_met(s <= 1.0 && !bad_status));

        sd_bus_flush_close_unref(bus);
        virConnectClose(conn);
        return 0;
}
