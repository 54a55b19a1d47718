/* The cost of polling (bench/run --vms): N tiny VMs (tests/vm, TCG) with the
 * real qemu-guest-agent under a hand-started libvirtd, and guestinfod on
 * them twice: with --backoff=1 (every kind at its interval) and with the
 * default backoff. Each time, once the backoff has settled, over a window:
 *
 *   agent calls   from the daemon's debug lines "Collected A of R ...": each
 *                 kind bit of R the guest's agent supports is one agent
 *                 command (agent-pool.c: guest-info for the agent kind, the
 *                 freeze first in every collection, then one call per kind;
 *                 the clock is virDomainGetTime, i.e. guest-get-time)
 *   CPU           utime+stime deltas of guestinfod and of libvirtd
 *                 (/proc/PID/stat), libvirtd's idle cost subtracted
 *
 * per agent-connected VM per minute. Against KubeVirt's agent poller at its
 * default intervals, computed for the same commands.
 *
 * The backoff takes minutes to settle at the default intervals (a 60 s kind
 * reaches 8x after 7 min), so every interval is divided by --scale (5 by
 * default): the ratios hold, and every per-minute figure is divided by the
 * scale again, i.e. reported at the default intervals. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libvirt/libvirt-qemu.h>

#include "bench.h"
#include "agent-info.h"
#include "guest-data.h"
#include "guest-kinds.h"
#include "guest.h"
#include "harness.h"

#define MAX_VMS 32

/* KubeVirt's agent poller (pkg/virt-launcher/virtwrap/agent-poller/
 * agent_poller.go): guest-info every qemu-agent-version-interval (300 s),
 * guest-get-fsinfo every qemu-agent-file-interval (300 s),
 * guest-fsfreeze-status every qemu-fsfreeze-status-interval (5 s)
 * (cmd/virt-launcher flags' defaults), and every apiCallTick (10 s) one
 * virDomainGetGuestInfo(INTERFACES|OS|HOSTNAME|TIMEZONE|USERS): five agent
 * commands. Calls per minute. */
#define KUBEVIRT_AGENT_PER_MIN (60.0 / 300)
#define KUBEVIRT_FSINFO_PER_MIN (60.0 / 300)
#define KUBEVIRT_FSFREEZE_PER_MIN (60.0 / 5)
#define KUBEVIRT_GUESTINFO_PER_MIN (5 * 60.0 / 10)
#define KUBEVIRT_PER_MIN                                                                                               \
        (KUBEVIRT_AGENT_PER_MIN + KUBEVIRT_FSINFO_PER_MIN + KUBEVIRT_FSFREEZE_PER_MIN + KUBEVIRT_GUESTINFO_PER_MIN)
/* Its earlier poller (agent_poller.go with five command groups, at the same
 * flags' defaults): guest-info 300 s, guest-get-fsinfo 300 s,
 * guest-fsfreeze-status 5 s, guest-get-users 10 s (qemu-agent-user-interval),
 * and guest-network-get-interfaces, guest-get-osinfo, guest-get-timezone,
 * guest-get-host-name every qemu-agent-sys-interval (120 s). */
#define KUBEVIRT_EARLIER_PER_MIN (60.0 / 300 + 60.0 / 300 + 60.0 / 5 + 60.0 / 10 + 4 * 60.0 / 120)
/* The kinds KubeVirt asks for: guest-info, os, hostname, timezone, users,
 * filesystems, interfaces, fsfreeze. */
#define KUBEVIRT_KINDS                                                                                                 \
        (GUEST_KIND_AGENT | GUEST_KIND_OS | GUEST_KIND_HOSTNAME | GUEST_KIND_TIMEZONE | GUEST_KIND_USERS |             \
         GUEST_KIND_FILESYSTEMS | GUEST_KIND_INTERFACES | GUEST_KIND_FSFREEZE)

static Harness H;
static virConnectPtr conn;
static virDomainPtr doms[MAX_VMS];
static int n_vms = 6, scale = 5, settle_s = 100, window_s = 200;

static void cleanup(void) {
        for (int i = 0; i < MAX_VMS; i++)
                if (doms[i])
                        virDomainFree(doms[i]);
        if (conn)
                virConnectClose(conn);
        harness_cleanup(&H);
}

/* What one run measured, per VM per minute at the default intervals. */
typedef struct Run {
        double calls, kubevirt_kinds_calls, collections, per_kind[GUEST_KIND_COUNT];
        double daemon_cpu, libvirtd_cpu, libvirtd_raw_cpu; /* seconds */
} Run;

static off_t file_size(const char *path) {
        struct stat st;
        return stat(path, &st) == 0 ? st.st_size : 0;
}

/* Counts the agent commands in the daemon's log from offset on. */
static void count_calls(off_t from, unsigned supported, Run *run) {
        FILE *f = fopen(H.daemon_log, "re");
        char line[4096];
        unsigned long calls = 0, kv_calls = 0, collections = 0, per_kind[GUEST_KIND_COUNT] = { 0 };

        if (!f || fseeko(f, from, SEEK_SET) < 0) {
                if (f)
                        fclose(f);
                return;
        }
        while (fgets(line, sizeof line, f)) {
                const char *p = strstr(line, "Collected ");
                unsigned answered, requested;
                if (!p || sscanf(p, "Collected %x of %x", &answered, &requested) != 2)
                        continue;
                unsigned asked = requested & supported;
                collections++;
                calls += (unsigned long) __builtin_popcount(asked);
                kv_calls += (unsigned long) __builtin_popcount(asked & KUBEVIRT_KINDS);
                for (int i = 0; i < GUEST_KIND_COUNT; i++)
                        if (asked & (1u << i))
                                per_kind[i]++;
        }
        fclose(f);
        /* per VM per minute, then back to the default intervals */
        double k = 60.0 / window_s / n_vms / scale;
        run->calls = calls * k;
        run->kubevirt_kinds_calls = kv_calls * k;
        run->collections = collections * k;
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                run->per_kind[i] = per_kind[i] * k;
}

static int measure(const char *label, const char *backoff, pid_t libvirtd, double libvirtd_idle, unsigned supported,
                   Run *run) {
        char exe[512], intervals[GUEST_KIND_COUNT][64];
        char *argv[40];
        size_t n = 0;

        snprintf(exe, sizeof exe, "%s/service/guestinfod", harness_build_root());
        argv[n++] = exe;
        argv[n++] = "--user";
        argv[n++] = "--connect";
        argv[n++] = H.uri;
        argv[n++] = "--log-level=debug";
        argv[n++] = (char *) backoff;
        for (int i = 0; i < GUEST_KIND_COUNT; i++) {
                unsigned s = guest_kinds[i].interval_sec / (unsigned) scale;
                snprintf(intervals[i], sizeof intervals[i], "--interval=%s=%u", guest_kinds[i].name, s ? s : 1);
                argv[n++] = intervals[i];
        }
        argv[n] = NULL;
        if (harness_start_daemon_argv(&H, argv, 60) < 0) {
                fprintf(stderr, "bench-polling: guestinfod %s did not start\n", backoff);
                return -1;
        }
        sleep((unsigned) settle_s);
        off_t from = file_size(H.daemon_log);
        double d0 = bench_cpu_seconds(H.daemon_pid), l0 = bench_cpu_seconds(libvirtd), t0 = bench_now();
        sleep((unsigned) window_s);
        double d1 = bench_cpu_seconds(H.daemon_pid), l1 = bench_cpu_seconds(libvirtd), t = bench_now() - t0;
        if (harness_stop_daemon(&H) != 0)
                fprintf(stderr, "bench-polling: guestinfod %s did not exit cleanly\n", backoff);
        count_calls(from, supported, run);
        double k = 60.0 / t / n_vms / scale;
        run->daemon_cpu = (d1 - d0) * k;
        run->libvirtd_raw_cpu = (l1 - l0) * 60.0 / t / n_vms;
        double polling = (l1 - l0) - libvirtd_idle * t;
        run->libvirtd_cpu = (polling > 0 ? polling : 0) * k;
        printf("# %s: %.2f agent calls (%.2f collections), guestinfod %.2f ms CPU, libvirtd %.2f ms CPU "
               "(%.2f ms with its idle cost, at the scaled intervals) per VM per minute; load average %s\n",
               label, run->calls, run->collections, run->daemon_cpu * 1e3, run->libvirtd_cpu * 1e3,
               run->libvirtd_raw_cpu * 1e3, bench_loadavg());
        printf("# %s, calls per kind per VM per minute:", label);
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (supported & (1u << i))
                        printf(" %s %.3g", guest_kinds[i].name, run->per_kind[i]);
        printf("\n");
        return 0;
}

/* Until every guest's agent answers guest-info; returns the kinds the first
 * one supports (the guests are one image), 0 on timeout. */
static unsigned wait_agents(double timeout_s) {
        double end = bench_now() + timeout_s;
        unsigned supported = 0;
        for (int i = 0; i < n_vms; i++) {
                char *text = NULL;
                while (!(text = virDomainQemuAgentCommand(doms[i], "{\"execute\":\"guest-info\"}", 5, 0)) &&
                       bench_now() < end)
                        sleep(1);
                if (!text)
                        return 0;
                AgentInfo *a = NULL;
                if (i == 0 && agent_info_parse_json(text, strlen(text), &a) >= 0)
                        supported = agent_info_supported_kinds(a);
                agent_info_free(a);
                free(text);
        }
        return supported;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "vms", required_argument, NULL, 'n' },
                { "scale", required_argument, NULL, 's' },
                { "settle", required_argument, NULL, 'e' },
                { "window", required_argument, NULL, 'w' },
                {},
        };
        for (int c; (c = getopt_long(argc, argv, "", options, NULL)) >= 0;)
                switch (c) {
                case 'n':
                        n_vms = atoi(optarg);
                        break;
                case 's':
                        scale = atoi(optarg);
                        break;
                case 'e':
                        settle_s = atoi(optarg);
                        break;
                case 'w':
                        window_s = atoi(optarg);
                        break;
                default:
                        return 2;
                }
        if (n_vms < 1 || n_vms > MAX_VMS || scale < 1 || scale > 60 || settle_s < 0 || window_s < 10) {
                fprintf(stderr, "bench-polling: --vms 1-%d, --scale 1-60, --settle >= 0, --window >= 10\n", MAX_VMS);
                return 2;
        }

        if (harness_init(&H) < 0)
                return 1;
        bench_init(1500);
        bench_on_exit(cleanup);

        char guest_dir[400];
        snprintf(guest_dir, sizeof guest_dir, "%s/guest", H.dir);
        double t0 = bench_now();
        if (harness_start_bus(&H) < 0 || guest_build(&H, "guest.env", guest_dir) != 0 ||
            harness_start_libvirtd(&H, "qemu") < 0) {
                fprintf(stderr, "bench-polling: cannot build the guest or start libvirtd\n");
                return 1;
        }
        char pidfile[400];
        snprintf(pidfile, sizeof pidfile, "%s/libvirtd.pid", H.libvirtd_state);
        pid_t libvirtd = bench_pid_from_file(pidfile);
        conn = virConnectOpen(H.uri);
        if (libvirtd <= 0 || !conn) {
                fprintf(stderr, "bench-polling: no libvirtd PID or connection\n");
                return 1;
        }
        for (int i = 0; i < n_vms; i++) {
                char name[32], uuid[37];
                snprintf(name, sizeof name, "poll-vm%d", i + 1);
                snprintf(uuid, sizeof uuid, "b0110000-0000-4000-8000-0000000000%02d", i + 1);
                if (guest_define(&H, name, uuid, "guest.env", guest_dir, true) != 0 ||
                    !(doms[i] = virDomainLookupByName(conn, name)) || virDomainCreate(doms[i]) < 0) {
                        fprintf(stderr, "bench-polling: cannot define or start %s: %s\n", name,
                                virGetLastErrorMessage());
                        return 1;
                }
        }
        unsigned supported = wait_agents(600);
        if (!supported) {
                fprintf(stderr, "bench-polling: the agents did not answer\n");
                return 1;
        }
        printf("# %d VMs booted, every agent answering, in %s; load average %s\n", n_vms,
               bench_fmt_time(bench_now() - t0), bench_loadavg());

        /* libvirtd with running VMs and nobody asking: its own cost */
        double l0 = bench_cpu_seconds(libvirtd), i0 = bench_now();
        sleep(30);
        double libvirtd_idle = (bench_cpu_seconds(libvirtd) - l0) / (bench_now() - i0);
        printf("# libvirtd idle with %d VMs: %.2f ms CPU per VM per minute\n", n_vms, libvirtd_idle * 60e3 / n_vms);
        printf("# every interval divided by %d (--interval=KIND=default/%d); every per-minute figure divided by %d "
               "again, i.e. at the default intervals; settle %d s, window %d s\n",
               scale, scale, scale, settle_s, window_s);

        Run plain = { 0 }, backoff = { 0 };
        if (measure("--backoff=1", "--backoff=1", libvirtd, libvirtd_idle, supported, &plain) < 0 ||
            measure("--backoff=8 (default)", "--backoff=8", libvirtd, libvirtd_idle, supported, &backoff) < 0)
                return 1;

        printf("# KubeVirt's agent poller at its defaults: guest-info %.1f, guest-get-fsinfo %.1f, "
               "guest-fsfreeze-status %.1f, GetGuestInfo's 5 commands %.1f: %.1f calls per VM per minute\n",
               KUBEVIRT_AGENT_PER_MIN, KUBEVIRT_FSINFO_PER_MIN, KUBEVIRT_FSFREEZE_PER_MIN, KUBEVIRT_GUESTINFO_PER_MIN,
               KUBEVIRT_PER_MIN);
        printf("# KubeVirt's earlier poller (five command groups, sys commands every 120 s): %.1f calls per VM per "
               "minute\n",
               KUBEVIRT_EARLIER_PER_MIN);
        /* KubeVirt's calls priced at what one of guestinfod's cost libvirtd */
        double per_call = plain.calls > 0 ? plain.libvirtd_cpu / plain.calls : 0;
        printf("# libvirtd CPU per agent call (--backoff=1): %.3f ms; KubeVirt's calls at that price: %.2f ms per VM "
               "per minute\n",
               per_call * 1e3, per_call * KUBEVIRT_PER_MIN * 1e3);

        char gi[96], peer[64], ratio[32], metric[160];
        snprintf(metric, sizeof metric, "agent calls/VM/min, KubeVirt's 8 commands, --backoff=1 (%d real VMs)", n_vms);
        snprintf(gi, sizeof gi, "%.1f", plain.kubevirt_kinds_calls);
        snprintf(peer, sizeof peer, "%.1f", KUBEVIRT_PER_MIN);
        bench_row(metric, gi, "KubeVirt agent-poller defaults", peer,
                  bench_fmt_ratio(plain.kubevirt_kinds_calls / KUBEVIRT_PER_MIN), "-", "-");
        snprintf(metric, sizeof metric, "agent calls/VM/min, all %d kinds, --backoff=1 (%d real VMs)",
                 __builtin_popcount(supported), n_vms);
        snprintf(gi, sizeof gi, "%.1f", plain.calls);
        bench_row(metric, gi, "KubeVirt agent-poller defaults", peer, bench_fmt_ratio(plain.calls / KUBEVIRT_PER_MIN),
                  "-", "-");

        double fewer = backoff.calls > 0 ? plain.calls / backoff.calls : 0;
        snprintf(metric, sizeof metric, "agent calls/VM/min at steady state, backoff 8 (%d real VMs)", n_vms);
        snprintf(gi, sizeof gi, "%.1f", backoff.calls);
        snprintf(peer, sizeof peer, "%.1f", plain.calls);
        snprintf(ratio, sizeof ratio, "%.1f× fewer", fewer);
        bench_row(metric, gi, "--backoff=1", peer, ratio, "≥ 3× fewer agent calls", bench_met(fewer >= 3));

        snprintf(metric, sizeof metric, "guestinfod CPU/VM/min, backoff 8 (%d real VMs)", n_vms);
        snprintf(gi, sizeof gi, "%.2f ms", backoff.daemon_cpu * 1e3);
        snprintf(peer, sizeof peer, "%.2f ms", plain.daemon_cpu * 1e3);
        bench_row(metric, gi, "--backoff=1", peer,
                  bench_fmt_ratio(plain.daemon_cpu > 0 ? backoff.daemon_cpu / plain.daemon_cpu : 0), "-", "-");
        snprintf(metric, sizeof metric, "libvirtd CPU/VM/min for guestinfod, backoff 8 (%d real VMs)", n_vms);
        snprintf(gi, sizeof gi, "%.2f ms", backoff.libvirtd_cpu * 1e3);
        snprintf(peer, sizeof peer, "%.2f ms", plain.libvirtd_cpu * 1e3);
        bench_row(metric, gi, "--backoff=1", peer,
                  bench_fmt_ratio(plain.libvirtd_cpu > 0 ? backoff.libvirtd_cpu / plain.libvirtd_cpu : 0), "-", "-");
        snprintf(metric, sizeof metric, "libvirtd CPU/VM/min, --backoff=1 (%d real VMs)", n_vms);
        snprintf(gi, sizeof gi, "%.2f ms", plain.libvirtd_cpu * 1e3);
        snprintf(peer, sizeof peer, "%.2f ms", per_call * KUBEVIRT_PER_MIN * 1e3);
        bench_row(metric, gi, "KubeVirt's calls at the same cost per call", peer,
                  bench_fmt_ratio(per_call > 0 ? plain.libvirtd_cpu / (per_call * KUBEVIRT_PER_MIN) : 0), "-", "-");
        return 0;
}
