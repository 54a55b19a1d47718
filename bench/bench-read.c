/* 1. The read path against the bus's own floor.
 *
 * guestinfod on a private dbus-daemon, watching libvirt's test driver
 * (in-process, one running domain: reads never reach libvirt anyway). One
 * client connection times, round after round and in rotating order:
 *   Peer.Ping                      answered inside sd-bus: the floor
 *   Properties.Get Domain.State    a cached property
 *   ObjectManager.GetManagedObjects  the whole tree, here one VM
 * Each call crosses the same dbus-daemon twice. Medians, and each against
 * Ping's median. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "harness.h"

static Harness H;

static void cleanup(void) {
        harness_cleanup(&H);
}

typedef enum Op { OP_PING, OP_GET, OP_GMO, _OP_MAX } Op;

static int one_call(sd_bus *bus, Op op, const char *path) {
        sd_bus_message *reply = NULL;
        int r;

        switch (op) {
        case OP_PING:
                r = bench_call(bus, BENCH_BUS_NAME, BENCH_MANAGER_PATH, "org.freedesktop.DBus.Peer", "Ping", 10, &reply,
                               NULL);
                break;
        case OP_GET:
                r = bench_call(bus, BENCH_BUS_NAME, path, "org.freedesktop.DBus.Properties", "Get", 10, &reply, "ss",
                               BENCH_DOMAIN_IFACE, "State");
                if (r >= 0) {
                        const char *s = NULL;
                        r = sd_bus_message_read(reply, "v", "s", &s);
                        if (r >= 0 && (!s || strcmp(s, "running") != 0))
                                r = -EBADMSG;
                }
                break;
        default:
                r = bench_call(bus, BENCH_BUS_NAME, BENCH_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                               "GetManagedObjects", 10, &reply, NULL);
                break;
        }
        sd_bus_message_unref(reply);
        return r;
}

int main(int argc, char *argv[]) {
        int iterations = 3000;
        static const struct option options[] = {
                { "iterations", required_argument, NULL, 'n' },
                {},
        };
        for (int c; (c = getopt_long(argc, argv, "n:", options, NULL)) >= 0;)
                if (c == 'n')
                        iterations = atoi(optarg);
                else
                        return 2;
        if (iterations < 10)
                iterations = 10;

        if (harness_init(&H) < 0)
                return 1;
        bench_init(300);
        bench_on_exit(cleanup);
        if (harness_start_bus(&H) < 0) {
                fprintf(stderr, "bench-read: cannot start a private bus\n");
                return 1;
        }
        if (harness_start_daemon(&H, "test:///default", 60, NULL) < 0) {
                fprintf(stderr, "bench-read: guestinfod did not get ready\n");
                return 1;
        }

        sd_bus *bus = NULL;
        sd_bus_message *reply = NULL;
        const char *path = NULL;
        if (sd_bus_open_user(&bus) < 0 ||
            bench_call(bus, BENCH_BUS_NAME, BENCH_MANAGER_PATH, "org.guestinfod.GuestInfo1.Manager", "GetDomainByName",
                       10, &reply, "s", "test") < 0 ||
            sd_bus_message_read(reply, "o", &path) < 0) {
                fprintf(stderr, "bench-read: cannot find the test domain on the bus\n");
                return 1;
        }
        char *domain_path = strdup(path);
        reply = sd_bus_message_unref(reply);

        double *t[_OP_MAX];
        for (int o = 0; o < _OP_MAX; o++)
                t[o] = calloc((size_t) iterations, sizeof(double));

        /* Warm-up: first calls pay for match rules, caches, page faults. */
        for (int i = 0; i < 200; i++)
                for (int o = 0; o < _OP_MAX; o++)
                        one_call(bus, (Op) o, domain_path);

        int failures = 0;
        double start = bench_now();
        for (int i = 0; i < iterations; i++)
                for (int k = 0; k < _OP_MAX; k++) {
                        Op o = (Op) ((i + k) % _OP_MAX); /* rotate: no call always goes first */
                        double t0 = bench_now();
                        if (one_call(bus, o, domain_path) < 0)
                                failures++;
                        t[o][i] = bench_now() - t0;
                }
        printf("# %d rounds of Ping, Get and GetManagedObjects in %.1f s, %d failed calls\n", iterations,
               bench_now() - start, failures);

        double p99[_OP_MAX], med[_OP_MAX];
        for (int o = 0; o < _OP_MAX; o++) {
                med[o] = bench_median(t[o], (size_t) iterations);
                p99[o] = bench_percentile(t[o], (size_t) iterations, 99);
        }
        printf("# Ping median %s p99 %s; Get median %s p99 %s; GetManagedObjects (1 VM) median %s p99 %s\n",
               bench_fmt_time(med[OP_PING]), bench_fmt_time(p99[OP_PING]), bench_fmt_time(med[OP_GET]),
               bench_fmt_time(p99[OP_GET]), bench_fmt_time(med[OP_GMO]), bench_fmt_time(p99[OP_GMO]));

        double get_ratio = med[OP_GET] / med[OP_PING];
        bench_row("read: Properties.Get (cached State), median", bench_fmt_time(med[OP_GET]), "Peer.Ping, same daemon",
                  bench_fmt_time(med[OP_PING]), bench_fmt_ratio(get_ratio), "≤ 1.3× Ping",
                  bench_met(get_ratio <= 1.3 && failures == 0));
        bench_row("read: GetManagedObjects, 1 VM, median", bench_fmt_time(med[OP_GMO]), "Peer.Ping, same daemon",
                  bench_fmt_time(med[OP_PING]), bench_fmt_ratio(med[OP_GMO] / med[OP_PING]), "-", "-");

        sd_bus_flush_close_unref(bus);
        free(domain_path);
        for (int o = 0; o < _OP_MAX; o++)
                free(t[o]);
        return harness_stop_daemon(&H) == 0 && failures == 0 ? 0 : 1;
}
