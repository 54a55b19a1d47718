/* 3. Scale: N domains in a test-driver node XML, served by a hand-started
 * libvirtd (test+unix:///abs/node.xml?socket=...). Each connection to such
 * a URI makes libvirtd parse the file into a private driver instance, for
 * guestinfod and for its peers alike, and that parse dominates both sides.
 * --plain: a plain libvirtd instead, the N domains defined and started
 * through the API in its shared test:///default, nothing parsed per
 * connection; there the target is against virsh list --all.
 *
 *   start → READY   guestinfod's fork to READY=1, against a child process
 *                   doing exactly the libvirt calls guestinfod makes per
 *                   domain (open, list all, then UUID, name, state,
 *                   persistence, id and XML of each: 3 round trips per
 *                   domain), and against "virsh list --all" (1 per domain)
 *   memory          guestinfod's VmRSS after READY and its peak (VmHWM)
 *                   after the whole tree was read
 *   whole tree      GetManagedObjects, against virConnectListAllDomains
 *                   on an open connection (handles only)
 *   idle            context switches of every guestinfod thread over 10 s
 *                   with nothing changing; then strace names them */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "harness.h"

static Harness H;

static void cleanup(void) {
        harness_cleanup(&H);
}

/* --- the peer: what libvirt needs to hand over the same data --- */

static int peer_read(const char *uri) {
        double t0 = bench_now();
        virConnectPtr c = virConnectOpen(uri);
        if (!c)
                return 1;
        double t1 = bench_now();
        virDomainPtr *doms = NULL;
        int n = virConnectListAllDomains(c, &doms, 0);
        if (n < 0)
                return 1;
        double t2 = bench_now();
        size_t xml_bytes = 0;
        for (int i = 0; i < n; i++) {
                char uuid[VIR_UUID_STRING_BUFLEN];
                int state, reason;
                (void) virDomainGetUUIDString(doms[i], uuid);
                (void) virDomainGetName(doms[i]);
                (void) virDomainGetState(doms[i], &state, &reason, 0);
                (void) virDomainIsPersistent(doms[i]);
                (void) virDomainGetID(doms[i]);
                char *xml = virDomainGetXMLDesc(doms[i], 0);
                xml_bytes += xml ? strlen(xml) : 0;
                free(xml);
                virDomainFree(doms[i]);
        }
        free(doms);
        double t3 = bench_now();
        virConnectClose(c);
        printf("# peer: open %s (on a node file: libvirtd parses it), list %s, %d × (state, persistent, XML) %s, %s of "
               "XML; its own CPU %s\n",
               bench_fmt_time(t1 - t0), bench_fmt_time(t2 - t1), n, bench_fmt_time(t3 - t2),
               bench_fmt_bytes((double) xml_bytes), bench_fmt_time(bench_cpu_seconds(0)));
        return 0;
}

static double time_peer(const char *self, const char *uri) {
        char *out = NULL;
        char *argv[] = { (char *) self, "--peer-read", (char *) uri, NULL };
        double t0 = bench_now();
        int r = bench_run(argv, 600, &out);
        double t = bench_now() - t0;
        if (out)
                fputs(out, stdout);
        free(out);
        return r == 0 ? t : NAN;
}

static double time_virsh_list(const char *uri) {
        char *argv[] = { "virsh", "-q", "-c", (char *) uri, "list", "--all", NULL };
        double t0 = bench_now();
        int r = bench_run(argv, 600, NULL);
        return r == 0 ? bench_now() - t0 : NAN;
}

/* --- threads and wake-ups --- */

#define MAX_THREADS 64

typedef struct ThreadSample {
        int tid;
        long syscall_nr;         /* where it sleeps: 232 epoll_wait, 7 poll, 202 futex */
        unsigned long long ctxt; /* voluntary + involuntary */
        unsigned long long cpu;  /* utime + stime, clock ticks */
} ThreadSample;

static size_t sample_threads(pid_t pid, ThreadSample *t) {
        char path[128], line[256];
        size_t n = 0;

        snprintf(path, sizeof path, "/proc/%d/task", (int) pid);
        DIR *d = opendir(path);
        if (!d)
                return 0;
        for (struct dirent *e; (e = readdir(d)) && n < MAX_THREADS;) {
                if (e->d_name[0] == '.')
                        continue;
                ThreadSample *s = &t[n];
                memset(s, 0, sizeof *s);
                s->tid = atoi(e->d_name);
                s->syscall_nr = -1;
                snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int) pid, s->tid);
                FILE *f = fopen(path, "re");
                if (f) {
                        if (fgets(line, sizeof line, f))
                                s->syscall_nr = strtol(line, NULL, 10);
                        fclose(f);
                }
                snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int) pid, s->tid);
                f = fopen(path, "re");
                if (f) {
                        while (fgets(line, sizeof line, f))
                                if (strstr(line, "ctxt_switches:"))
                                        s->ctxt += strtoull(strchr(line, ':') + 1, NULL, 10);
                        fclose(f);
                }
                snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int) pid, s->tid);
                f = fopen(path, "re");
                if (f) {
                        if (fgets(line, sizeof line, f)) {
                                /* fields 14, 15 after the ")" that ends comm */
                                char *p = strrchr(line, ')');
                                unsigned long long ut = 0, st = 0;
                                if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                                                &st) == 2)
                                        s->cpu = ut + st;
                        }
                        fclose(f);
                }
                n++;
        }
        closedir(d);
        /* by TID: creation order */
        for (size_t i = 1; i < n; i++)
                for (size_t k = i; k > 0 && t[k - 1].tid > t[k].tid; k--) {
                        ThreadSample x = t[k];
                        t[k] = t[k - 1];
                        t[k - 1] = x;
                }
        return n;
}

static const char *thread_role(pid_t pid, const ThreadSample *s) {
        if (s->tid == pid)
                return "main (sd-event)";
        switch (s->syscall_nr) {
        case 7:
                return "libvirt event loop (poll)";
        case 202:
                return "worker (futex: session or agent pool)";
        case 232:
                return "epoll_wait";
        default:
                return "other";
        }
}

typedef struct Idle {
        unsigned long long total, event_loop, others, cpu;
} Idle;

static Idle idle_delta(pid_t pid, const ThreadSample *a, size_t na, const ThreadSample *b, size_t nb, bool print) {
        Idle r = { 0 };
        for (size_t i = 0; i < nb; i++) {
                unsigned long long before = 0, cpu_before = 0;
                for (size_t k = 0; k < na; k++)
                        if (a[k].tid == b[i].tid) {
                                before = a[k].ctxt;
                                cpu_before = a[k].cpu;
                        }
                unsigned long long d = b[i].ctxt - before;
                r.total += d;
                r.cpu += b[i].cpu - cpu_before;
                if (b[i].syscall_nr == 7 && b[i].tid != pid)
                        r.event_loop += d;
                else
                        r.others += d;
                if (print)
                        printf("#   thread %d %-40s %llu wake-ups, %llu CPU ticks\n", b[i].tid, thread_role(pid, &b[i]),
                               d, b[i].cpu - cpu_before);
        }
        return r;
}

static pid_t libvirtd_pid(void) {
        char path[400];
        snprintf(path, sizeof path, "%s/libvirtd.pid", H.libvirtd_state);
        return bench_pid_from_file(path);
}

/* strace for seconds: what each thread did, in short. */
static void name_wakeups(pid_t pid, int seconds) {
        char out[400], pidarg[32], secs[16];
        const char *dir = getenv("BENCH_OUT_DIR"); /* bench/run keeps it with the logs */
        snprintf(out, sizeof out, "%s/scale-idle.strace", dir && *dir ? dir : H.dir);
        snprintf(pidarg, sizeof pidarg, "%d", (int) pid);
        snprintf(secs, sizeof secs, "%d", seconds);
        char *argv[] = {
                "timeout", "-s", "INT", secs, "strace", "-f", "-qq", "-s", "16", "-o", out, "-p", pidarg, NULL
        };
        if (access("/usr/bin/strace", X_OK) < 0) {
                printf("# strace not installed: wake-ups not named\n");
                return;
        }
        bench_run(argv, seconds + 10, NULL);
        FILE *f = fopen(out, "re");
        if (!f)
                return;
        char line[512];
        unsigned keepalive = 0, lines = 0;
        int tids[MAX_THREADS];
        unsigned counts[MAX_THREADS];
        size_t nt = 0;
        while (fgets(line, sizeof line, f)) {
                int tid = atoi(line);
                size_t i;
                lines++;
                if (strstr(line, "keep"))
                        keepalive++;
                /* the first line of each thread is where strace found it asleep */
                for (i = 0; i < nt && tids[i] != tid; i++)
                        ;
                if (i == nt && nt < MAX_THREADS) {
                        tids[nt] = tid;
                        counts[nt++] = 0;
                } else if (i < nt)
                        counts[i]++;
        }
        fclose(f);
        printf("# strace over %d s: %u syscalls, %u of them reading or writing libvirt keepalive messages (\"keep\" "
               "program); the log: %s\n",
               seconds, lines, keepalive, out);
        for (size_t i = 0; i < nt; i++)
                printf("#   thread %d: %u syscalls after it was found asleep\n", tids[i], counts[i]);
        f = fopen(out, "re");
        for (unsigned shown = 0; f && fgets(line, sizeof line, f) && shown < 4;)
                if (strstr(line, "keep")) {
                        printf("#   %s", line);
                        shown++;
                }
        if (f)
                fclose(f);
}

int main(int argc, char *argv[]) {
        size_t n = 10000;
        int reps = 3;
        bool use_strace = true, plain = false;
        static const struct option options[] = {
                { "domains", required_argument, NULL, 'n' },   { "reps", required_argument, NULL, 'r' },
                { "no-strace", no_argument, NULL, 's' },       { "plain", no_argument, NULL, 'P' },
                { "peer-read", required_argument, NULL, 'p' }, {},
        };
        for (int c; (c = getopt_long(argc, argv, "", options, NULL)) >= 0;) {
                if (c == 'n')
                        n = strtoul(optarg, NULL, 10);
                else if (c == 'r')
                        reps = atoi(optarg);
                else if (c == 's')
                        use_strace = false;
                else if (c == 'P')
                        plain = true;
                else if (c == 'p') {
                        bench_init(600);
                        return peer_read(optarg);
                } else
                        return 2;
        }
        if (reps < 1 || reps > 9)
                reps = 1;

        if (harness_init(&H) < 0)
                return 1;
        bench_init(1200);
        bench_on_exit(cleanup);
        if (harness_start_bus(&H) < 0 || harness_start_libvirtd(&H, "test") < 0) {
                fprintf(stderr, "bench-scale: cannot start the private bus or libvirtd\n");
                return 1;
        }
        char node[400], uri[1400];
        if (plain) {
                virConnectPtr c = virConnectOpen(H.uri);
                if (!c)
                        return 1;
                bench_remove_default_domain(c);
                double t0 = bench_now();
                if (bench_define_domains(c, "scale", 0, n, true) < 0)
                        return 1;
                printf("# plain libvirtd (test:///default): %zu domains defined and started in %s\n", n,
                       bench_fmt_time(bench_now() - t0));
                /* Kept open: the test driver drops test:///default's
                 * domains when its last connection closes. */
                snprintf(uri, sizeof uri, "%s", H.uri);
        } else {
                snprintf(node, sizeof node, "%s/node.xml", H.dir);
                if (bench_write_node_xml(node, "scale", n) < 0)
                        return 1;
                const char *socket = strstr(H.uri, "?socket=");
                snprintf(uri, sizeof uri, "test+unix://%s%s", node, socket ? socket : "");
        }

        char self[512];
        ssize_t l = readlink("/proc/self/exe", self, sizeof self - 1);
        self[l > 0 ? l : 0] = '\0';

        double t_peer[9], t_virsh[9], t_ready[9];
        pid_t lpid = libvirtd_pid();
        for (int r = 0; r < reps; r++) {
                double lcpu = bench_cpu_seconds(lpid);
                t_peer[r] = time_peer(self, uri);
                printf("# libvirtd CPU during the peer: %s\n", bench_fmt_time(bench_cpu_seconds(lpid) - lcpu));
                lcpu = bench_cpu_seconds(lpid);
                t_virsh[r] = time_virsh_list(uri);
                printf("# libvirtd CPU during virsh list --all: %s\n", bench_fmt_time(bench_cpu_seconds(lpid) - lcpu));
                lcpu = bench_cpu_seconds(lpid);
                if (harness_start_daemon(&H, uri, 600, NULL) < 0) {
                        fprintf(stderr, "bench-scale: guestinfod did not get ready with %zu domains\n", n);
                        return 1;
                }
                t_ready[r] = H.ready_seconds;
                printf("# round %d: libvirt list + reads %s, virsh list --all %s, guestinfod start → READY %s "
                       "(guestinfod CPU %s, libvirtd CPU %s meanwhile)\n",
                       r + 1, bench_fmt_time(t_peer[r]), bench_fmt_time(t_virsh[r]), bench_fmt_time(t_ready[r]),
                       bench_fmt_time(bench_cpu_seconds(H.daemon_pid)), bench_fmt_time(bench_cpu_seconds(lpid) - lcpu));
                if (r + 1 < reps)
                        harness_stop_daemon(&H);
        }
        /* Rounds last tens of seconds and the machine's load drifts between
         * them: the ratio is the median of each round's own ratio. */
        double pair[9], pair_virsh[9];
        for (int r = 0; r < reps; r++) {
                pair[r] = t_ready[r] / t_peer[r];
                pair_virsh[r] = t_ready[r] / t_virsh[r];
        }
        double ready_ratio = bench_median(pair, (size_t) reps), virsh_ratio = bench_median(pair_virsh, (size_t) reps);
        double ready = bench_median(t_ready, (size_t) reps), peer = bench_median(t_peer, (size_t) reps),
               vlist = bench_median(t_virsh, (size_t) reps);
        pid_t gpid = H.daemon_pid;
        sleep(1);
        uint64_t rss_ready = bench_rss(gpid, "VmRSS");

        /* The whole tree, against libvirt's list of handles. */
        sd_bus *bus = NULL;
        if (sd_bus_open_user(&bus) < 0)
                return 1;
        virConnectPtr conn = virConnectOpen(uri);
        if (!conn)
                return 1;
        double t_gmo[7], t_list[7];
        int failures = 0;
        double cpu_gi = 0, cpu_bus = 0, cpu_me = 0;
        for (int k = 0; k < 7; k++) {
                double c0 = bench_cpu_seconds(gpid), c1 = bench_cpu_seconds(H.bus_pid), c2 = bench_cpu_seconds(0);
                sd_bus_message *reply = NULL;
                double t0 = bench_now();
                if (bench_call(bus, BENCH_BUS_NAME, BENCH_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                               "GetManagedObjects", 120, &reply, NULL) < 0)
                        failures++;
                t_gmo[k] = bench_now() - t0;
                sd_bus_message_unref(reply);
                cpu_gi += bench_cpu_seconds(gpid) - c0;
                cpu_bus += bench_cpu_seconds(H.bus_pid) - c1;
                cpu_me += bench_cpu_seconds(0) - c2;

                virDomainPtr *doms = NULL;
                t0 = bench_now();
                int nd = virConnectListAllDomains(conn, &doms, 0);
                t_list[k] = bench_now() - t0;
                for (int i = 0; i < nd; i++)
                        virDomainFree(doms[i]);
                free(doms);
        }
        double gmo = bench_median(t_gmo, 7), list = bench_median(t_list, 7);
        uint64_t rss_after = bench_rss(gpid, "VmRSS"), hwm = bench_rss(gpid, "VmHWM");
        uint64_t libvirtd_rss = lpid > 0 ? bench_rss(lpid, "VmRSS") : 0;
        printf("# guestinfod VmRSS %s after READY, %s after 7 GetManagedObjects, peak VmHWM %s; libvirtd VmRSS %s\n",
               bench_fmt_bytes((double) rss_ready), bench_fmt_bytes((double) rss_after), bench_fmt_bytes((double) hwm),
               bench_fmt_bytes((double) libvirtd_rss));
        printf("# GetManagedObjects (%zu VMs) median %s of 7, %d failed; virConnectListAllDomains median %s\n", n,
               bench_fmt_time(gmo), failures, bench_fmt_time(list));
        printf("# CPU per GetManagedObjects: guestinfod %s, dbus-daemon %s, this client (receiving) %s\n",
               bench_fmt_time(cpu_gi / 7), bench_fmt_time(cpu_bus / 7), bench_fmt_time(cpu_me / 7));
        sd_bus_flush_close_unref(bus);
        virConnectClose(conn);

        /* Idle: nothing changes in libvirt, nobody calls. */
        sleep(3);
        ThreadSample a[MAX_THREADS], b[MAX_THREADS], la[MAX_THREADS], lb[MAX_THREADS];
        size_t na = sample_threads(gpid, a), nla = lpid > 0 ? sample_threads(lpid, la) : 0;
        sleep(10);
        size_t nb = sample_threads(gpid, b), nlb = lpid > 0 ? sample_threads(lpid, lb) : 0;
        printf("# idle 10 s, guestinfod (PID %d):\n", (int) gpid);
        Idle gi = idle_delta(gpid, a, na, b, nb, true);
        Idle lv = idle_delta(lpid, la, nla, lb, nlb, false);
        printf("# idle 10 s: guestinfod %llu wake-ups (%llu in the libvirt event loop, %llu elsewhere), %llu CPU "
               "ticks; libvirtd %llu wake-ups over %zu threads, %llu CPU ticks\n",
               gi.total, gi.event_loop, gi.others, gi.cpu, lv.total, nlb, lv.cpu);
        if (use_strace)
                name_wakeups(gpid, 10);

        char metric[160], buf[64], peer_buf[64];
        /* On a node file both sides pay libvirtd's parse of it: there the
         * rows are context. On a plain libvirtd virsh list --all is the
         * peer with a target. */
        snprintf(metric, sizeof metric, "scale, %zu VMs%s: start → READY", n,
                 plain ? ", plain libvirtd" : ", node-file URI (parsed per connection)");
        bench_row(metric, bench_fmt_time(ready), "virsh list --all (1 RPC/domain), median of rounds' ratios",
                  bench_fmt_time(vlist), bench_fmt_ratio(virsh_ratio), plain ? "≤ 1.2×" : "-",
                  plain ? bench_met(virsh_ratio <= 1.2) : "-");
        bench_row(metric, bench_fmt_time(ready), "libvirt: open + list + the same reads (3 RPC/domain)",
                  bench_fmt_time(peer), bench_fmt_ratio(ready_ratio), "-", "-");
        snprintf(metric, sizeof metric, "scale, %zu VMs: daemon memory, peak VmHWM", n);
        bench_row(metric, bench_fmt_bytes((double) hwm), "libvirtd VmRSS (context)",
                  bench_fmt_bytes((double) libvirtd_rss), bench_fmt_ratio((double) hwm / (double) libvirtd_rss),
                  "≤ 64 MiB", bench_met(hwm > 0 && hwm <= 64ull * 1024 * 1024));
        snprintf(metric, sizeof metric, "scale, %zu VMs: GetManagedObjects, whole tree", n);
        bench_row(metric, bench_fmt_time(gmo), "virConnectListAllDomains (handles only)", bench_fmt_time(list),
                  bench_fmt_ratio(gmo / list), "≤ 300 ms", bench_met(gmo <= 0.300 && failures == 0));
        snprintf(metric, sizeof metric, "scale, %zu VMs: idle wake-ups in 10 s", n);
        snprintf(buf, sizeof buf, "%llu (%llu keepalive loop, %llu other)", gi.total, gi.event_loop, gi.others);
        snprintf(peer_buf, sizeof peer_buf, "%llu", lv.total);
        /* libvirt's keepalive (5 s) wakes the event loop thread: send, answer. */
        bench_row(metric, buf, "libvirtd, same 10 s", peer_buf, "-", "0 beyond named timers",
                  bench_met(gi.others == 0 && gi.event_loop <= 8));
        return 0;
}
