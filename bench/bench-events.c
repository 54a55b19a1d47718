/* 5. Event latency: a domain's state changes in libvirt → PropertiesChanged
 * reaches a bus client.
 *
 * A hand-started libvirtd serves the test driver (test:///default, shared
 * by every client of that libvirtd) with N domains defined, K of them
 * running. This program changes states through libvirt's API
 * (virDomainSuspend / virDomainResume on its own connection) and times, for
 * each change, from just before the call to
 *   - guestinfod's PropertiesChanged(State) arriving on its bus connection
 *   - libvirt's own lifecycle event arriving on a second libvirt
 *     connection of this program (the peer: the event guestinfod reacts to,
 *     without guestinfod's re-read and the bus)
 * Then bursts: B changes on one VM as fast as libvirt takes them, counting
 * the signals guestinfod sends (it batches) against the events libvirt
 * delivers, and checking the final value. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "harness.h"

static Harness H;

static void cleanup(void) {
        harness_cleanup(&H);
}

/* --- libvirt's events, on their own thread --- */

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ev_cond = PTHREAD_COND_INITIALIZER;
static unsigned long ev_count;
static double ev_last;

static void *event_loop(void *arg) {
        for (;;)
                if (virEventRunDefaultImpl() < 0)
                        usleep(1000);
        return NULL;
}

static int on_lifecycle(virConnectPtr c, virDomainPtr d, int event, int detail, void *opaque) {
        double t = bench_now();
        if (event != VIR_DOMAIN_EVENT_SUSPENDED && event != VIR_DOMAIN_EVENT_RESUMED)
                return 0;
        pthread_mutex_lock(&ev_lock);
        ev_count++;
        ev_last = t;
        pthread_cond_broadcast(&ev_cond);
        pthread_mutex_unlock(&ev_lock);
        return 0;
}

/* Waits until ev_count reaches want; returns the arrival time or NAN. */
static double wait_event(unsigned long want, double timeout_s) {
        struct timespec ts;
        double t = NAN;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t) timeout_s;
        pthread_mutex_lock(&ev_lock);
        while (ev_count < want)
                if (pthread_cond_timedwait(&ev_cond, &ev_lock, &ts) == ETIMEDOUT)
                        break;
        if (ev_count >= want)
                t = ev_last;
        pthread_mutex_unlock(&ev_lock);
        return t;
}

/* --- guestinfod's signals --- */

typedef struct Watch {
        char path[256];
        unsigned long state_signals; /* PropertiesChanged carrying State, for path */
        char last_state[32];
        double last_time;
} Watch;

static Watch watch;

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        double t = bench_now();
        const char *iface;

        if (strcmp(sd_bus_message_get_path(m), watch.path) != 0)
                return 0;
        if (sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, BENCH_DOMAIN_IFACE) != 0)
                return 0;
        if (sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
                return 0;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                const char *prop, *state;
                sd_bus_message_read(m, "s", &prop);
                if (strcmp(prop, "State") == 0 && sd_bus_message_read(m, "v", "s", &state) >= 0) {
                        watch.state_signals++;
                        snprintf(watch.last_state, sizeof watch.last_state, "%s", state);
                        watch.last_time = t;
                } else
                        sd_bus_message_skip(m, "v");
                sd_bus_message_exit_container(m);
        }
        return 0;
}

/* Processes the bus until the watched path's last State is want. */
static double wait_state(sd_bus *bus, const char *want, double timeout_s) {
        double deadline = bench_now() + timeout_s;
        for (;;) {
                if (strcmp(watch.last_state, want) == 0)
                        return watch.last_time;
                if (bench_now() > deadline)
                        return NAN;
                int r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return NAN;
                if (r == 0)
                        sd_bus_wait(bus, 100000);
        }
}

static void set_watch(const char *uuid) {
        char *path = NULL;
        harness_domain_path(uuid, &path);
        memset(&watch, 0, sizeof watch);
        snprintf(watch.path, sizeof watch.path, "%s", path);
        free(path);
}

static const char *libvirt_state(virDomainPtr d) {
        int state, reason;
        if (virDomainGetState(d, &state, &reason, 0) < 0)
                return "?";
        return state == VIR_DOMAIN_RUNNING ? "running" : state == VIR_DOMAIN_PAUSED ? "paused" : "other";
}

static char *property_state(sd_bus *bus, const char *path) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char *s = NULL;
        (void) sd_bus_get_property_string(bus, BENCH_BUS_NAME, path, BENCH_DOMAIN_IFACE, "State", &e, &s);
        sd_bus_error_free(&e);
        return s;
}

typedef struct Burst {
        unsigned changes;
        unsigned long signals, events;
        double issue_s, settle_s;
        bool final_right;
        char final[32];
} Burst;

/* changes alternating suspend/resume on d (running at the start). */
static void burst(sd_bus *bus, virDomainPtr d, unsigned changes, Burst *b) {
        memset(b, 0, sizeof *b);
        b->changes = changes;
        /* Let anything earlier drain first. */
        for (double end = bench_now() + 0.5; bench_now() < end;)
                if (sd_bus_process(bus, NULL) == 0)
                        sd_bus_wait(bus, 50000);
        watch.state_signals = 0;
        pthread_mutex_lock(&ev_lock);
        unsigned long ev0 = ev_count;
        pthread_mutex_unlock(&ev_lock);

        double t0 = bench_now();
        for (unsigned j = 0; j < changes; j++)
                (void) (j % 2 == 0 ? virDomainSuspend(d) : virDomainResume(d));
        b->issue_s = bench_now() - t0;
        const char *want = libvirt_state(d);

        /* Settled: the property says what libvirt says and no signal for 1 s (at most 60 s). */
        double last_change = bench_now(), deadline = bench_now() + 60;
        unsigned long seen = watch.state_signals;
        while (bench_now() < deadline) {
                if (sd_bus_process(bus, NULL) == 0)
                        sd_bus_wait(bus, 50000);
                if (watch.state_signals != seen) {
                        seen = watch.state_signals;
                        last_change = bench_now();
                }
                if (bench_now() - last_change > 1.0 && strcmp(watch.last_state, want) == 0)
                        break;
        }
        b->settle_s = watch.last_time - t0;
        b->signals = watch.state_signals;
        wait_event(ev0 + changes, 10);
        pthread_mutex_lock(&ev_lock);
        b->events = ev_count - ev0;
        pthread_mutex_unlock(&ev_lock);
        char *prop = property_state(bus, watch.path);
        snprintf(b->final, sizeof b->final, "%s", prop ? prop : "?");
        b->final_right = prop && strcmp(prop, want) == 0 && strcmp(watch.last_state, want) == 0;
        free(prop);
        printf("# burst of %u changes issued in %s: %lu PropertiesChanged(State) vs %lu libvirt events; last signal "
               "%s after the first change; final State '%s', libvirt says '%s'\n",
               changes, bench_fmt_time(b->issue_s), b->signals, b->events, bench_fmt_time(b->settle_s), b->final, want);
}

int main(int argc, char *argv[]) {
        size_t n = 10000, running = 10;
        unsigned changes = 1000, burst_n = 1000;
        static const struct option options[] = {
                { "domains", required_argument, NULL, 'n' },
                { "changes", required_argument, NULL, 'c' },
                { "burst", required_argument, NULL, 'b' },
                {},
        };
        for (int c; (c = getopt_long(argc, argv, "", options, NULL)) >= 0;) {
                if (c == 'n')
                        n = strtoul(optarg, NULL, 10);
                else if (c == 'c')
                        changes = (unsigned) strtoul(optarg, NULL, 10);
                else if (c == 'b')
                        burst_n = (unsigned) strtoul(optarg, NULL, 10);
                else
                        return 2;
        }
        if (n < running)
                n = running;
        if (burst_n < 2)
                burst_n = 2;

        if (harness_init(&H) < 0)
                return 1;
        bench_init(900);
        bench_on_exit(cleanup);
        if (harness_start_bus(&H) < 0 || harness_start_libvirtd(&H, "test") < 0) {
                fprintf(stderr, "bench-events: cannot start the private bus or libvirtd\n");
                return 1;
        }
        virEventRegisterDefaultImpl();
        pthread_t thread;
        pthread_create(&thread, NULL, event_loop, NULL);
        pthread_detach(thread);

        virConnectPtr conn = virConnectOpen(H.uri), evconn = virConnectOpen(H.uri);
        if (!conn || !evconn) {
                fprintf(stderr, "bench-events: cannot connect to %s\n", H.uri);
                return 1;
        }
        bench_remove_default_domain(conn);
        double t0 = bench_now();
        if (bench_define_domains(conn, "event", 0, n, false) < 0)
                return 1;
        virDomainPtr doms[16];
        for (size_t i = 0; i < running; i++) {
                char uuid[37];
                bench_domain_uuid(i, uuid);
                doms[i] = virDomainLookupByUUIDString(conn, uuid);
                if (!doms[i] || virDomainCreate(doms[i]) < 0)
                        return 1;
        }
        printf("# %zu test domains defined, %zu running, in %s\n", n, running, bench_fmt_time(bench_now() - t0));
        if (harness_start_daemon(&H, H.uri, 300, NULL) < 0) {
                fprintf(stderr, "bench-events: guestinfod did not get ready\n");
                return 1;
        }
        printf("# guestinfod ready after %s\n", bench_fmt_time(H.ready_seconds));
        if (virConnectDomainEventRegisterAny(evconn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                             VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), NULL, NULL) < 0)
                return 1;

        sd_bus *bus = NULL;
        if (sd_bus_open_user(&bus) < 0 || sd_bus_match_signal(bus, NULL, NULL, NULL, "org.freedesktop.DBus.Properties",
                                                              "PropertiesChanged", on_properties_changed, NULL) < 0)
                return 1;
        /* The match is in place once the bus answered something after it. */
        sd_bus_message *reply = NULL;
        bench_call(bus, BENCH_BUS_NAME, BENCH_MANAGER_PATH, "org.freedesktop.DBus.Peer", "Ping", 10, &reply, NULL);
        sd_bus_message_unref(reply);

        /* --- latency, one change at a time --- */
        double *gi = calloc(changes, sizeof(double)), *lv = calloc(changes, sizeof(double)),
               *call = calloc(changes, sizeof(double));
        unsigned ok = 0, lost = 0;
        pthread_mutex_lock(&ev_lock);
        unsigned long evn = ev_count;
        pthread_mutex_unlock(&ev_lock);
        double start = bench_now();
        for (unsigned i = 0; i < changes && bench_now() - start < 300; i++) {
                virDomainPtr d = doms[i % running];
                char uuid[37];
                virDomainGetUUIDString(d, uuid);
                set_watch(uuid);
                bool pause = (i / running) % 2 == 0; /* every domain: pause, resume, pause, ... */
                double a = bench_now();
                int r = pause ? virDomainSuspend(d) : virDomainResume(d);
                double b = bench_now();
                if (r < 0) {
                        fprintf(stderr, "bench-events: %s failed: %s\n", pause ? "suspend" : "resume",
                                virGetLastErrorMessage());
                        lost++;
                        continue;
                }
                double t_sig = wait_state(bus, pause ? "paused" : "running", 5);
                double t_ev = wait_event(++evn, 5);
                if (isnan(t_sig) || isnan(t_ev)) {
                        lost++;
                        continue;
                }
                gi[ok] = t_sig - a;
                lv[ok] = t_ev - a;
                call[ok] = b - a;
                ok++;
        }
        if (ok == 0) {
                fprintf(stderr, "bench-events: no change arrived\n");
                return 1;
        }
        double gi_med = bench_median(gi, ok), gi_p99 = bench_percentile(gi, ok, 99);
        double lv_med = bench_median(lv, ok), lv_p99 = bench_percentile(lv, ok, 99);
        double call_med = bench_median(call, ok);
        printf("# %u changes (%u lost) over %zu domains: PropertiesChanged median %s p99 %s max %s; libvirt event "
               "median %s p99 %s; the API call itself median %s\n",
               ok, lost, running, bench_fmt_time(gi_med), bench_fmt_time(gi_p99), bench_fmt_time(gi[ok - 1]),
               bench_fmt_time(lv_med), bench_fmt_time(lv_p99), bench_fmt_time(call_med));

        char metric[160];
        snprintf(metric, sizeof metric, "events, %zu VMs defined: state change → PropertiesChanged, median", n);
        bench_row(metric, bench_fmt_time(gi_med), "libvirt lifecycle event to a client", bench_fmt_time(lv_med),
                  bench_fmt_ratio(gi_med / lv_med), "≤ 5 ms", bench_met(gi_med <= 0.005 && lost == 0));
        snprintf(metric, sizeof metric, "events, %zu VMs defined: state change → PropertiesChanged, p99", n);
        bench_row(metric, bench_fmt_time(gi_p99), "libvirt lifecycle event to a client", bench_fmt_time(lv_p99),
                  bench_fmt_ratio(gi_p99 / lv_p99), "≤ 50 ms", bench_met(gi_p99 <= 0.050 && lost == 0));

        /* --- bursts on one VM: even and odd counts, so the end state differs --- */
        char uuid[37];
        virDomainGetUUIDString(doms[0], uuid);
        set_watch(uuid);
        if (strcmp(libvirt_state(doms[0]), "running") != 0)
                virDomainResume(doms[0]);
        Burst b1, b2;
        burst(bus, doms[0], burst_n, &b1);
        if (strcmp(libvirt_state(doms[0]), "running") != 0)
                virDomainResume(doms[0]);
        burst(bus, doms[0], burst_n - 1, &b2);

        for (int k = 0; k < 2; k++) {
                const Burst *b = k == 0 ? &b1 : &b2;
                char gi_buf[96], peer_buf[64];
                snprintf(metric, sizeof metric, "events: burst of %u changes on 1 VM, signals (final State)",
                         b->changes);
                snprintf(gi_buf, sizeof gi_buf, "%lu signals (%s, %s)", b->signals, b->final,
                         b->final_right ? "right" : "WRONG");
                snprintf(peer_buf, sizeof peer_buf, "%lu events", b->events);
                bool ok_burst = b->final_right && b->signals * 10 <= b->changes;
                bench_row(metric, gi_buf, "libvirt lifecycle events to a client", peer_buf,
                          bench_fmt_ratio((double) b->signals / (double) b->events),
                          "≤ 1/10 of the changes, final right", bench_met(ok_burst));
        }

        free(gi);
        free(lv);
        free(call);
        sd_bus_flush_close_unref(bus);
        return 0;
}
