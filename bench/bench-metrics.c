/* What guestinfoctl metrics costs for a big host.
 *
 *   - in process: the text of 10000 fully populated VMs (every string the
 *     metrics use at its field's cap, 10 filesystems each with labels past
 *     the 256-byte bound, as many as the Filesystems property carries):
 *     time to write it (cli/metrics.c), the memory it takes, its size;
 *   - in process: the text of 1000 VMs with counters at the caps (16 NICs
 *     and 16 disks, their names at the bound, every CPU mode): the most a
 *     VM's counters add;
 *   - the real binary against the daemon's bus code serving 10000 VMs of
 *     ordinary guest data (tests/helpers/fake-daemon.c) on a private bus:
 *     wall time of `guestinfoctl metrics`, its peak memory, the file size;
 *     with an ordinary guest's counters (lo, eth0, vda, vda1: a GetCounters
 *     per VM), and without (the counter kinds never collected: no call);
 *   - the same with 10000 maxed-out VMs, too many for one GetManagedObjects
 *     reply (about 855 fit, docs/dbus-api.md): ListDomains and a GetAll per
 *     VM;
 *   - `guestinfoctl metrics --textfile` over 10000 ordinary VMs: what one
 *     rewrite costs when one VM changed (the VM's GetAll, the others' series
 *     kept) beside a rewrite that reads the whole fleet again (as every
 *     rewrite did before, and as one still does when the daemon comes back):
 *     CPU of the daemon's serving thread, of guestinfoctl and of
 *     dbus-daemon, and the bytes of every message over the bus (a
 *     dbus-monitor --pcap of the bus meanwhile). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "fake-daemon.h"
#include "guest-profiles.h"
#include "harness.h"
#include "guest-counters.h"
#include "guest-kinds.h"
#include "kind-status.h"
#include "metrics.h"

#define N_VMS 10000
#define N_FS 10
#define ROUNDS 5

static Harness H;
static FakeDaemon server;
static bool serving;
static pid_t textfile_pid, monitor_pid;

static void cleanup(void) {
        if (monitor_pid > 0)
                bench_stop(&monitor_pid);
        if (textfile_pid > 0)
                bench_stop(&textfile_pid);
        if (serving)
                fake_daemon_stop(&server);
        serving = false;
        harness_cleanup(&H);
}

static char *filled(size_t n, char c) {
        char *s = malloc(n + 1);
        if (!s)
                abort();
        memset(s, c, n);
        s[n] = '\0';
        return s;
}

static long rss_kib(void) {
        long kib = -1;
        char line[256];
        FILE *f = fopen("/proc/self/status", "r");
        while (f && fgets(line, sizeof line, f))
                if (strncmp(line, "VmRSS:", 6) == 0)
                        kib = strtol(line + 6, NULL, 10);
        if (f)
                fclose(f);
        return kib;
}

/* Every string at the cap the daemon gives it (docs/dbus-api.md), and
 * every kind the daemon publishes collected. */
static Vm *maxed_fleet(void) {
        static const char *const kinds[] = { "agent", "os",          "hostname",   "timezone",
                                             "users", "filesystems", "interfaces", "fsfreeze" };
        Vm *vms = calloc(N_VMS, sizeof *vms);
        if (!vms)
                abort();
        for (size_t i = 0; i < N_VMS; i++) {
                Vm *v = &vms[i];
                char uuid[64];
                v->name = filled(256, 'n');
                snprintf(v->name, 256, "vm-%06zu-", i); /* unique, then cut short */
                v->name[strlen(v->name)] = 'n';
                snprintf(uuid, sizeof uuid, "c0000000-0000-4000-8000-%012zx", i);
                v->uuid = strdup(uuid);
                v->state = strdup("running");
                v->agent_connected = 1;
                v->agent_transition_usec = v->agent_probe_usec = 1700000000123456ULL;
                v->agent_version = filled(64, 'v');
                v->has_guest_data = true;
                v->os_id = filled(64, 'i');
                v->os_name = filled(256, 'o');
                v->os_pretty_name = filled(256, '"'); /* every byte escaped */
                v->os_version = filled(256, 'V');
                v->os_version_id = filled(64, '1');
                v->kernel_release = filled(128, 'k');
                v->machine = filled(64, 'm');
                v->hostname = filled(255, 'h');
                v->data_reason = strdup("");
                v->fsfreeze = strdup("thawed");
                v->n_kind_status = ELEMENTSOF(kinds);
                v->kind_status = calloc(ELEMENTSOF(kinds), sizeof *v->kind_status);
                for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
                        v->kind_status[k] = (VmKindStatus){ strdup(kinds[k]), strdup("fresh"), 1700000000123456ULL + k,
                                                            strdup("") };
                v->user_count = 10;
                v->filesystem_count = N_FS;
                v->n_filesystems = N_FS;
                v->filesystems = calloc(N_FS, sizeof *v->filesystems);
                for (size_t k = 0; k < N_FS; k++) {
                        VmFilesystem *f = &v->filesystems[k];
                        f->disk_name = filled(128, 'd');
                        f->mount_point = filled(1024, '/');
                        snprintf(f->mount_point, 1024, "/mnt/%zu/", k);
                        f->mount_point[strlen(f->mount_point)] = 'p';
                        f->type = filled(64, 't');
                        f->used_bytes = 123456789012ULL + k;
                        f->total_bytes = 999999999999ULL;
                }
        }
        return vms;
}

static void in_process(void) {
        MetricsDaemon d = { .up = true, .libvirt_connected = true, .domain_count = N_VMS, .version = (char *) "1.0" };
        double times[ROUNDS];
        PromText t = {};

        Vm *vms = maxed_fleet();
        long before = rss_kib();
        for (int r = 0; r < ROUNDS; r++) {
                /* a fresh buffer each round: what one rewrite costs from nothing */
                prom_text_done(&t);
                double start = bench_now();
                metrics_write(&t, &d, vms, N_VMS);
                times[r] = bench_now() - start;
                if (t.failed) {
                        fprintf(stderr, "out of memory\n");
                        exit(1);
                }
        }
        long after = rss_kib();
        double median = bench_median(times, ROUNDS);
        printf("# in process, %d maxed-out VMs (%d filesystems each): %s median of %d, text %s, "
               "%s more resident (text buffer %s)\n",
               N_VMS, N_FS, bench_fmt_time(median), ROUNDS, bench_fmt_bytes((double) t.len),
               bench_fmt_bytes((after - before) * 1024.0), bench_fmt_bytes((double) t.size));
        bench_row("metrics: write text of 10000 maxed VMs (in process)", bench_fmt_time(median), "-", "-", "-", "-",
                  "-");
        bench_row("metrics: text size, 10000 maxed VMs", bench_fmt_bytes((double) t.len), "-", "-", "-", "-", "-");
        prom_text_done(&t);
        vm_free_many(vms, N_VMS);
}

/* The counters of a VM at the caps: 16 NICs and 16 disks named at the
 * 256-byte bound (unique in their first bytes), every counter, the clock. */
static void add_counters_at_caps(Vm *v) {
        static const char *const kinds[] = { "clock", "nic-counters", "cpu-counters", "disk-counters" };
        static const char *const nic_keys[] = { "rx-bytes", "rx-packets", "rx-errs", "rx-dropped",
                                                "tx-bytes", "tx-packets", "tx-errs", "tx-dropped" };
        static const char *const cpu_keys[] = { "user", "nice",    "system", "idle",  "iowait",
                                                "irq",  "softirq", "steal",  "guest", "guestnice" };
        static const char *const disk_keys[] = { "read-ios", "read-sectors", "write-ios", "write-sectors",
                                                 "total-ticks" };
        size_t n = v->n_kind_status;
        v->kind_status = realloc(v->kind_status, (n + ELEMENTSOF(kinds)) * sizeof *v->kind_status);
        if (!v->kind_status)
                abort();
        for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
                v->kind_status[n + k] =
                        (VmKindStatus){ strdup(kinds[k]), strdup("fresh"), 1700000000123456ULL, strdup("") };
        v->n_kind_status = n + ELEMENTSOF(kinds);
        v->clock_offset_usec = -123456;
        v->n_nic_counters = v->n_disk_counters = 16;
        v->nic_counters = calloc(16, sizeof *v->nic_counters);
        v->disk_counters = calloc(16, sizeof *v->disk_counters);
        if (!v->nic_counters || !v->disk_counters)
                abort();
        for (size_t i = 0; i < 16; i++) {
                VmCounterSet *nic = &v->nic_counters[i], *disk = &v->disk_counters[i];
                nic->name = filled(256, 'e');
                snprintf(nic->name, 256, "eth%zu-", i);
                nic->name[strlen(nic->name)] = 'e';
                disk->name = filled(256, 'd');
                snprintf(disk->name, 256, "vd%zu-", i);
                disk->name[strlen(disk->name)] = 'd';
                nic->n_items = ELEMENTSOF(nic_keys);
                nic->items = calloc(nic->n_items, sizeof *nic->items);
                disk->n_items = ELEMENTSOF(disk_keys);
                disk->items = calloc(disk->n_items, sizeof *disk->items);
                if (!nic->items || !disk->items)
                        abort();
                for (size_t k = 0; k < nic->n_items; k++)
                        nic->items[k] = (VmCounter){ strdup(nic_keys[k]), 123456789012ULL + k };
                for (size_t k = 0; k < disk->n_items; k++)
                        disk->items[k] = (VmCounter){ strdup(disk_keys[k]), 123456789012ULL + k };
        }
        v->cpu_counters.n_items = ELEMENTSOF(cpu_keys);
        v->cpu_counters.items = calloc(ELEMENTSOF(cpu_keys), sizeof *v->cpu_counters.items);
        if (!v->cpu_counters.items)
                abort();
        for (size_t k = 0; k < ELEMENTSOF(cpu_keys); k++)
                v->cpu_counters.items[k] = (VmCounter){ strdup(cpu_keys[k]), 123456789ULL + k };
}

#define N_COUNTER_VMS 1000

/* The text of maxed-out VMs without and with counters at the caps: what
 * the counters add to a VM's text at most. */
static void in_process_counters(void) {
        MetricsDaemon d = { .up = true, .libvirt_connected = true, .domain_count = N_VMS, .version = (char *) "1.0" };
        double times[ROUNDS];
        PromText without = {}, with = {};

        Vm *vms = maxed_fleet();
        metrics_write(&without, &d, vms, N_COUNTER_VMS);
        for (size_t i = 0; i < N_COUNTER_VMS; i++)
                add_counters_at_caps(&vms[i]);
        for (int r = 0; r < ROUNDS; r++) {
                prom_text_done(&with);
                double start = bench_now();
                metrics_write(&with, &d, vms, N_COUNTER_VMS);
                times[r] = bench_now() - start;
        }
        if (without.failed || with.failed) {
                fprintf(stderr, "out of memory\n");
                exit(1);
        }
        double median = bench_median(times, ROUNDS);
        printf("# in process, %d maxed-out VMs with counters at the caps (16 NICs, 16 disks): %s median of %d, "
               "text %s (%s a VM; %s a VM without counters)\n",
               N_COUNTER_VMS, bench_fmt_time(median), ROUNDS, bench_fmt_bytes((double) with.len),
               bench_fmt_bytes((double) with.len / N_COUNTER_VMS),
               bench_fmt_bytes((double) without.len / N_COUNTER_VMS));
        bench_row("metrics: write text of 1000 maxed VMs with counters at the caps (in process)",
                  bench_fmt_time(median), "-", "-", "-", "-", "-");
        bench_row("metrics: text size a VM, maxed with counters at the caps",
                  bench_fmt_bytes((double) with.len / N_COUNTER_VMS), "-", "-", "-", "-", "-");
        prom_text_done(&without);
        prom_text_done(&with);
        vm_free_many(vms, N_VMS);
}

/* An ordinary guest's counters on each VM of m (lo and eth0, vda and
 * vda1, two CPUs), as the daemon keeps its latest reads; or, counters
 * false, the counter kinds never collected (an agent without the
 * commands), so that no GetCounters is asked. */
static void set_model_counters(Manager *m, bool counters) {
        static const char *const nics[] = { "lo", "eth0" }, *const disks[] = { "vda", "vda1" };
        static const unsigned kinds[] = { GUEST_KIND_NIC_COUNTERS, GUEST_KIND_CPU_COUNTERS, GUEST_KIND_DISK_COUNTERS };
        Domain *d;

        HASHMAP_FOREACH (d, m->domains, iter) {
                if (!d->guest)
                        continue;
                if (!counters) {
                        for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
                                if (kind_status_set(&d->status[guest_kind_index(kinds[k])], KIND_STATE_UNSUPPORTED, 0,
                                                    NULL) < 0)
                                        abort();
                        continue;
                }
                GuestCounters *c = calloc(1, sizeof *c);
                if (!c || !(c->nics.items = calloc(2, sizeof *c->nics.items)) ||
                    !(c->disks.items = calloc(2, sizeof *c->disks.items)))
                        abort();
                for (size_t i = 0; i < 2; i++) {
                        c->nics.items[i].name = strdup(nics[i]);
                        c->disks.items[i].name = strdup(disks[i]);
                        for (int k = 0; k < _DISK_COUNTER_MAX; k++)
                                c->nics.items[i].v[k] = c->disks.items[i].v[k] = 1234567890ULL + (uint64_t) k;
                        c->nics.items[i].has = (1u << _NIC_COUNTER_MAX) - 1;
                        c->disks.items[i].has = (1u << _DISK_COUNTER_MAX) - 1;
                }
                c->nics.n_items = c->nics.n_reported = c->disks.n_items = c->disks.n_reported = 2;
                for (int k = 0; k < _CPU_COUNTER_MAX; k++)
                        c->cpu.v[k] = 123456789ULL + (uint64_t) k;
                c->cpu.has = (1u << _CPU_COUNTER_MAX) - 1;
                c->cpu.n_cpus = 2;
                guest_counters_free(d->guest->counters);
                d->guest->counters = c;
        }
}

/* guestinfoctl --user metrics > out: wall time, peak RSS, output size.
 * The peak is read from /proc while it runs (every 2 ms; the high-water
 * mark only grows): wait4's ru_maxrss would count the moment after fork,
 * when the child still is a copy of this process and its big model. */
static int run_ctl(const char *out, double *seconds, long *maxrss_kib, off_t *size) {
        char exe[600];
        struct stat st;
        int status;
        long peak = 0;

        snprintf(exe, sizeof exe, "%s/cli/guestinfoctl", harness_build_root());
        double start = bench_now();
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (fd < 0 || dup2(fd, 1) < 0)
                        _exit(127);
                execl(exe, exe, "--user", "--timeout=120", "metrics", (char *) NULL);
                _exit(127);
        }
        /* until it has exec'ed: before that the figure is ours */
        for (;;) {
                char target[700], link[64];
                snprintf(link, sizeof link, "/proc/%d/exe", (int) pid);
                ssize_t n = readlink(link, target, sizeof target - 1);
                if (n < 0)
                        break;
                target[n] = '\0';
                if (strcmp(target, exe) == 0)
                        break;
                usleep(200);
        }
        while (waitpid(pid, &status, WNOHANG) == 0) {
                long kib = (long) (bench_rss(pid, "VmHWM") / 1024);
                peak = kib > peak ? kib : peak;
                usleep(2000);
        }
        *seconds = bench_now() - start;
        *maxrss_kib = peak;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || stat(out, &st) < 0)
                return -EIO;
        *size = st.st_size;
        return 0;
}

static void over_the_bus(bool maxed, bool counters) {
        const char *kind = maxed ? "maxed-out" : counters ? "ordinary (with counters)" : "ordinary (no counters)";
        int rounds = maxed ? 3 : ROUNDS;
        char out[600], metric[128];
        double times[ROUNDS];
        long rss[ROUNDS];
        off_t size = 0;

        Manager *m =
                maxed ? guest_profile_model(N_VMS, guest_profile_maxed(), guest_profile_maxed_agent(), "vm", 0)
                      : guest_profile_model(N_VMS, guest_profile_ordinary(), guest_profile_ordinary_agent(), "vm", 0);
        if (m)
                set_model_counters(m, counters);
        if (!m || fake_daemon_start(&server, m, false) < 0) {
                fprintf(stderr, "cannot serve the model\n");
                exit(1);
        }
        serving = true;
        snprintf(out, sizeof out, "%s/metrics.prom", H.dir);
        unsigned counter_calls = atomic_load(&server.get_counters_calls);
        for (int r = 0; r < rounds; r++)
                if (run_ctl(out, &times[r], &rss[r], &size) < 0) {
                        fprintf(stderr, "guestinfoctl metrics failed\n");
                        exit(1);
                }
        counter_calls = atomic_load(&server.get_counters_calls) - counter_calls;
        fake_daemon_stop(&server);
        serving = false;
        manager_free(m);

        double median = bench_median(times, rounds);
        printf("# %u GetCounters calls a run\n", counter_calls / rounds);
        long peak = 0;
        for (int r = 0; r < rounds; r++)
                peak = rss[r] > peak ? rss[r] : peak;
        printf("# guestinfoctl metrics, %d %s VMs over the bus%s: %s median of %d, peak RSS %s, output %s\n", N_VMS,
               kind, maxed ? " (ListDomains and a GetAll per VM: too big for one GetManagedObjects)" : "",
               bench_fmt_time(median), rounds, bench_fmt_bytes(peak * 1024.0), bench_fmt_bytes((double) size));
        snprintf(metric, sizeof metric, "metrics: guestinfoctl metrics, 10000 %s VMs (bus, wall)", kind);
        bench_row(metric, bench_fmt_time(median), "-", "-", "-", "-", "-");
        snprintf(metric, sizeof metric, "metrics: guestinfoctl metrics peak RSS, 10000 %s VMs", kind);
        bench_row(metric, bench_fmt_bytes(peak * 1024.0), "-", "-", "-", "-", "-");
        snprintf(metric, sizeof metric, "metrics: output size, 10000 %s VMs", kind);
        bench_row(metric, bench_fmt_bytes((double) size), "-", "-", "-", "-", "-");
}

/* ---- --textfile: a rewrite after one change ---- */

#define CHANGE_ROUNDS 7
#define FULL_ROUNDS 3
#define MANY 1000
#define MANY_ROUNDS 3

typedef struct Cost {
        double wall, client_cpu, daemon_cpu, bus_cpu, bytes, messages;
} Cost;

/* The daemon's bus code runs in this thread of ours. */
static double serving_cpu(void) {
        return bench_thread_cpu_seconds(server.thread);
}

/* dbus-monitor --pcap of the whole bus into path, once it listens. */
static void monitor_start(const char *path) {
        struct stat st;
        monitor_pid = fork();
        if (monitor_pid < 0)
                abort();
        if (monitor_pid == 0) {
                int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (fd < 0 || dup2(fd, 1) < 0)
                        _exit(127);
                execlp("dbus-monitor", "dbus-monitor", "--session", "--pcap", (char *) NULL);
                _exit(127);
        }
        /* the pcap header is written once it is a monitor */
        for (int i = 0; i < 500 && (stat(path, &st) < 0 || st.st_size < 24); i++)
                usleep(10 * 1000);
        usleep(200 * 1000);
}

/* Stops the monitor; the messages it saw and their bytes. */
static void monitor_stop(const char *path, double *bytes, double *messages) {
        unsigned char header[16];
        *bytes = *messages = 0;
        usleep(100 * 1000);
        bench_stop(&monitor_pid);
        FILE *f = fopen(path, "re");
        if (!f || fseek(f, 24, SEEK_SET) < 0) {
                if (f)
                        fclose(f);
                return;
        }
        while (fread(header, 1, sizeof header, f) == sizeof header) {
                uint32_t len = header[8] | header[9] << 8 | header[10] << 16 | (uint32_t) header[11] << 24;
                *bytes += len;
                *messages += 1;
                if (fseek(f, len, SEEK_CUR) < 0)
                        break;
        }
        fclose(f);
}

/* Waits until the file is replaced; seconds waited, or -1. */
static double wait_rewrite(const char *path, ino_t *ino, double timeout_s) {
        struct stat st;
        double start = bench_now();
        while (bench_now() < start + timeout_s) {
                if (stat(path, &st) == 0 && st.st_ino != *ino) {
                        *ino = st.st_ino;
                        return bench_now() - start;
                }
                usleep(1000);
        }
        return -1;
}

static Manager *change_model;
static unsigned change_index, change_count;

/* In the serving thread: change_count VMs' filesystem use changes from
 * change_index on, as the daemon signals it. */
static int change_some(FakeDaemon *f, void *userdata) {
        for (unsigned i = 0; i < change_count; i++) {
                char uuid[37];
                snprintf(uuid, sizeof uuid, "c0000000-0000-4000-8000-%012u", (change_index + i) % N_VMS);
                Domain *d = manager_get_domain(change_model, uuid);
                if (!d || !d->guest || d->guest->n_filesystems == 0)
                        return -ENOENT;
                d->guest->filesystems[0].used_bytes += 4096;
                int r = bus_domain_emit_changes(f->domains, d, DOMAIN_PROPERTY_FILESYSTEMS);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Waits for the rewrites that follow (the ones a burst of signals spread
 * over, an interval apart) until none comes for a second; seconds from
 * start to the last one. */
static double wait_quiet(const char *path, ino_t *ino, double start) {
        double last = bench_now();
        while (wait_rewrite(path, ino, 1.0) >= 0)
                last = bench_now();
        return last - start;
}

/* count VMs change at once, rounds times: what the rewrites after cost. */
static void measure_changes(const char *path, const char *pcap, ino_t *ino, unsigned count, int rounds, Cost *costs) {
        for (int r = 0; r < rounds; r++) {
                Cost *c = &costs[r];
                monitor_start(pcap);
                double client = bench_main_thread_cpu_seconds(textfile_pid), daemon = serving_cpu(),
                       bus = bench_main_thread_cpu_seconds(H.bus_pid);
                double start = bench_now();
                change_index = (unsigned) (r * 1429 % N_VMS);
                change_count = count;
                if (fake_daemon_call(&server, change_some, NULL) < 0 || wait_rewrite(path, ino, 60) < 0) {
                        fprintf(stderr, "no rewrite after a change\n");
                        exit(1);
                }
                c->wall = wait_quiet(path, ino, start);
                monitor_stop(pcap, &c->bytes, &c->messages);
                c->client_cpu = bench_main_thread_cpu_seconds(textfile_pid) - client;
                c->daemon_cpu = serving_cpu() - daemon;
                c->bus_cpu = bench_main_thread_cpu_seconds(H.bus_pid) - bus;
                usleep(300 * 1000);
        }
}

static void textfile_rewrites(void) {
        char dir[600], path[700], pcap[700], exe[600], metric[160];
        Cost one[CHANGE_ROUNDS], many[MANY_ROUNDS], full[FULL_ROUNDS];
        struct stat st;
        ino_t ino = 0;

        change_model = guest_profile_model(N_VMS, guest_profile_ordinary(), guest_profile_ordinary_agent(), "vm", 0);
        if (change_model)
                set_model_counters(change_model, true);
        if (!change_model || fake_daemon_start(&server, change_model, false) < 0) {
                fprintf(stderr, "cannot serve the model\n");
                exit(1);
        }
        serving = true;
        snprintf(dir, sizeof dir, "%s/textfile", H.dir);
        snprintf(path, sizeof path, "%s/guestinfod.prom", dir);
        snprintf(pcap, sizeof pcap, "%s/bus.pcap", H.dir);
        snprintf(exe, sizeof exe, "%s/cli/guestinfoctl", harness_build_root());
        if (mkdir(dir, 0755) < 0)
                abort();
        char *const argv[] = {
                exe, "--user", "--timeout=120", "metrics", "--textfile", dir, "--interval", "0.1", NULL
        };
        textfile_pid = bench_spawn(argv, NULL, NULL);
        if (textfile_pid < 0 || wait_rewrite(path, &ino, 120) < 0) {
                fprintf(stderr, "guestinfoctl metrics --textfile wrote nothing\n");
                exit(1);
        }
        (void) wait_quiet(path, &ino, bench_now());

        /* one VM changes: its GetAll, the rest kept; then a thousand (a
         * 10 s round of interfaces over the fleet, each moving the VM's
         * GuestDataStatus times, at --interval 1) */
        measure_changes(path, pcap, &ino, 1, CHANGE_ROUNDS, one);
        measure_changes(path, pcap, &ino, MANY, MANY_ROUNDS, many);

        /* the daemon comes back: everything read again, as every rewrite
         * did before */
        for (int r = 0; r < FULL_ROUNDS; r++) {
                Cost *c = &full[r];
                fake_daemon_stop(&server);
                serving = false;
                if (wait_rewrite(path, &ino, 60) < 0) { /* guestinfod_up 0 */
                        fprintf(stderr, "no rewrite after the daemon left\n");
                        exit(1);
                }
                (void) wait_quiet(path, &ino, bench_now());
                usleep(300 * 1000);
                monitor_start(pcap);
                double client = bench_main_thread_cpu_seconds(textfile_pid),
                       bus = bench_main_thread_cpu_seconds(H.bus_pid);
                double start = bench_now();
                if (fake_daemon_start(&server, change_model, false) < 0) {
                        fprintf(stderr, "cannot serve the model\n");
                        exit(1);
                }
                serving = true;
                if (wait_rewrite(path, &ino, 120) < 0) {
                        fprintf(stderr, "no rewrite after the daemon came back\n");
                        exit(1);
                }
                c->wall = wait_quiet(path, &ino, start);
                monitor_stop(pcap, &c->bytes, &c->messages);
                c->client_cpu = bench_main_thread_cpu_seconds(textfile_pid) - client;
                c->daemon_cpu = serving_cpu(); /* the thread is new */
                c->bus_cpu = bench_main_thread_cpu_seconds(H.bus_pid) - bus;
                usleep(300 * 1000);
        }
        if (stat(path, &st) < 0)
                st.st_size = 0;
        double peak = (double) bench_rss(textfile_pid, "VmHWM"), rss = (double) bench_rss(textfile_pid, "VmRSS");
        bench_stop(&textfile_pid);
        fake_daemon_stop(&server);
        serving = false;
        manager_free(change_model);

        static const struct {
                const char *name;
                size_t offset;
                bool bytes;
        } what[] = {
                { "wall, change to last rename", offsetof(Cost, wall), false },
                { "guestinfoctl CPU", offsetof(Cost, client_cpu), false },
                { "daemon CPU (bus code)", offsetof(Cost, daemon_cpu), false },
                { "dbus-daemon CPU", offsetof(Cost, bus_cpu), false },
                { "bytes over the bus", offsetof(Cost, bytes), true },
                { "messages over the bus", offsetof(Cost, messages), true },
        };
        printf("# guestinfoctl metrics --textfile, %d ordinary VMs, file %s: a rewrite after one VM changed "
               "(median of %d), after %d changed (median of %d), one reading the whole fleet (median of %d)\n",
               N_VMS, bench_fmt_bytes((double) st.st_size), CHANGE_ROUNDS, MANY, MANY_ROUNDS, FULL_ROUNDS);
        printf("#   guestinfoctl resident %s at the end, peak %s\n", bench_fmt_bytes(rss), bench_fmt_bytes(peak));
        bench_row("metrics: --textfile peak RSS, 10000 ordinary VMs", bench_fmt_bytes(peak), "-", "-", "-", "-", "-");
        printf("#   %-24s %12s  %12s  %12s\n", "", "one VM", "1000 VMs", "whole fleet");
        for (size_t w = 0; w < ELEMENTSOF(what); w++) {
                double a[CHANGE_ROUNDS], m[MANY_ROUNDS], b[FULL_ROUNDS];
                for (int r = 0; r < CHANGE_ROUNDS; r++)
                        a[r] = *(double *) ((char *) &one[r] + what[w].offset);
                for (int r = 0; r < MANY_ROUNDS; r++)
                        m[r] = *(double *) ((char *) &many[r] + what[w].offset);
                for (int r = 0; r < FULL_ROUNDS; r++)
                        b[r] = *(double *) ((char *) &full[r] + what[w].offset);
                double ma = bench_median(a, CHANGE_ROUNDS), mm = bench_median(m, MANY_ROUNDS),
                       mb = bench_median(b, FULL_ROUNDS);
                char va[64], vm[64], vb[64];
                if (what[w].offset == offsetof(Cost, messages)) {
                        snprintf(va, sizeof va, "%.0f", ma);
                        snprintf(vm, sizeof vm, "%.0f", mm);
                        snprintf(vb, sizeof vb, "%.0f", mb);
                } else {
                        snprintf(va, sizeof va, "%s", what[w].bytes ? bench_fmt_bytes(ma) : bench_fmt_time(ma));
                        snprintf(vm, sizeof vm, "%s", what[w].bytes ? bench_fmt_bytes(mm) : bench_fmt_time(mm));
                        snprintf(vb, sizeof vb, "%s", what[w].bytes ? bench_fmt_bytes(mb) : bench_fmt_time(mb));
                }
                printf("#   %-24s %12s  %12s  %12s\n", what[w].name, va, vm, vb);
                snprintf(metric, sizeof metric, "metrics: --textfile rewrite, 1 of 10000 VMs changed: %s",
                         what[w].name);
                bench_row(metric, va, "whole fleet read again (before)", vb, ma > 0 ? bench_fmt_ratio(mb / ma) : "-",
                          "-", "-");
                snprintf(metric, sizeof metric, "metrics: --textfile rewrite, 1000 of 10000 VMs changed: %s",
                         what[w].name);
                bench_row(metric, vm, "whole fleet read again (before)", vb, mm > 0 ? bench_fmt_ratio(mb / mm) : "-",
                          "-", "-");
        }
}

/* bench-metrics [textfile]: everything, or the --textfile rewrites only. */
int main(int argc, char *argv[]) {
        bool only_textfile = argc > 1 && strcmp(argv[1], "textfile") == 0;

        if (harness_init(&H) < 0)
                return 1;
        bench_init(600);
        bench_on_exit(cleanup);
        if (!only_textfile) {
                in_process();
                in_process_counters();
        }
        if (harness_start_bus(&H) < 0)
                return 1;
        if (!only_textfile) {
                over_the_bus(false, true);
                over_the_bus(false, false);
                over_the_bus(true, false);
        }
        textfile_rewrites();
        cleanup();
        return 0;
}
