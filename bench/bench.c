#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "bench.h"

#define RING 16

double bench_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

double bench_median(double *v, size_t n) {
        qsort(v, n, sizeof *v, cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bench_percentile(double *v, size_t n, double p) {
        qsort(v, n, sizeof *v, cmp_double);
        size_t rank = (size_t) ceil(p / 100.0 * (double) n);
        if (rank < 1)
                rank = 1;
        return v[rank - 1];
}

static char *ring_buffer(void) {
        static char bufs[RING][64];
        static unsigned next;
        return bufs[next++ % RING];
}

const char *bench_fmt_time(double s) {
        char *b = ring_buffer();
        if (isnan(s))
                snprintf(b, 64, "-");
        else if (s < 1e-3)
                snprintf(b, 64, "%.1f µs", s * 1e6);
        else if (s < 1)
                snprintf(b, 64, "%.2f ms", s * 1e3);
        else
                snprintf(b, 64, "%.2f s", s);
        return b;
}

const char *bench_fmt_bytes(double bytes) {
        char *b = ring_buffer();
        if (bytes < 1024)
                snprintf(b, 64, "%.0f B", bytes);
        else if (bytes < 1024 * 1024)
                snprintf(b, 64, "%.1f KiB", bytes / 1024);
        else
                snprintf(b, 64, "%.1f MiB", bytes / 1024 / 1024);
        return b;
}

const char *bench_fmt_ratio(double r) {
        char *b = ring_buffer();
        if (isnan(r) || isinf(r))
                snprintf(b, 64, "-");
        else if (r < 10)
                snprintf(b, 64, "%.2f×", r);
        else
                snprintf(b, 64, "%.0f×", r);
        return b;
}

void bench_row(const char *metric, const char *guestinfod, const char *peer, const char *peer_value, const char *ratio,
               const char *target, const char *met) {
        printf("RESULT\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", metric, guestinfod, peer ? peer : "-",
               peer_value ? peer_value : "-", ratio ? ratio : "-", target ? target : "-", met ? met : "-");
        fflush(stdout);
}

/* --- exit paths --- */

#define MAX_EXIT_FNS 8
static void (*exit_fns[MAX_EXIT_FNS])(void);
static size_t n_exit_fns;

void bench_on_exit(void (*fn)(void)) {
        if (n_exit_fns < MAX_EXIT_FNS)
                exit_fns[n_exit_fns++] = fn;
}

static void run_exit_fns(void) {
        while (n_exit_fns > 0)
                exit_fns[--n_exit_fns]();
}

static void on_signal(int sig) {
        fprintf(stderr, "bench: %s, stopping what was started\n",
                sig == SIGALRM ? "time limit reached" : strsignal(sig));
        run_exit_fns();
        _exit(sig == SIGALRM ? 124 : 128 + sig);
}

static void quiet_libvirt(void *userdata, virErrorPtr error) {
}

void bench_init(int limit_s) {
        setvbuf(stdout, NULL, _IOLBF, 0);
        /* Needed before any libvirt call that is not virConnectOpen*. */
        (void) virInitialize();
        virSetErrorFunc(NULL, quiet_libvirt);
        atexit(run_exit_fns);
        /* After harness_init(): these replace its handlers and run its
         * cleanup among ours. */
        signal(SIGALRM, on_signal);
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        signal(SIGPIPE, SIG_IGN);
        if (limit_s > 0)
                alarm((unsigned) limit_s);
}

/* --- processes --- */

pid_t bench_spawn(char *const argv[], char *const env_add[], const char *log_path) {
        pid_t pid = fork();
        if (pid != 0)
                return pid < 0 ? -errno : pid;

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGALRM, SIG_DFL);
        alarm(0);
        int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int out = log_path ? open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)
                           : open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (in >= 0)
                dup2(in, STDIN_FILENO);
        if (out >= 0) {
                dup2(out, STDOUT_FILENO);
                dup2(out, STDERR_FILENO);
        }
        for (size_t i = 0; env_add && env_add[i]; i++)
                putenv(env_add[i]);
        execvp(argv[0], argv);
        _exit(127);
}

int bench_stop(pid_t *pid) {
        int status = 0;

        if (*pid <= 0)
                return 0;
        kill(*pid, SIGTERM);
        for (int i = 0; i < 500; i++) {
                if (waitpid(*pid, &status, WNOHANG) != 0)
                        goto done;
                usleep(10000);
        }
        kill(*pid, SIGKILL);
        waitpid(*pid, &status, 0);
done:
        *pid = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int bench_run(char *const argv[], int timeout_s, char **out) {
        int pipefd[2];
        char *buf = NULL;
        size_t len = 0;
        int status = 0;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0) {
                close(pipefd[0]);
                close(pipefd[1]);
                return -errno;
        }
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                signal(SIGALRM, SIG_DFL);
                alarm(0);
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                dup2(null, STDIN_FILENO);
                dup2(pipefd[1], STDOUT_FILENO);
                dup2(null, STDERR_FILENO);
                execvp(argv[0], argv);
                _exit(127);
        }
        close(pipefd[1]);

        /* Blocking reads until EOF: poll only bounds the wait. */
        double deadline = bench_now() + timeout_s;
        for (;;) {
                int left = (int) ((deadline - bench_now()) * 1000);
                struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
                if (left <= 0 || poll(&p, 1, left) == 0) {
                        kill(pid, SIGKILL);
                        waitpid(pid, NULL, 0);
                        close(pipefd[0]);
                        free(buf);
                        return -ETIME;
                }
                char chunk[65536];
                ssize_t n = read(pipefd[0], chunk, sizeof chunk);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (out) {
                        char *nb = realloc(buf, len + (size_t) n + 1);
                        if (!nb)
                                continue;
                        buf = nb;
                        memcpy(buf + len, chunk, (size_t) n);
                        len += (size_t) n;
                        buf[len] = '\0';
                }
        }
        close(pipefd[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (out)
                *out = buf ? buf : strdup("");
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

const char *bench_build_path(const char *rel) {
        char *b = malloc(1024);
        const char *root = getenv("MESON_BUILD_ROOT");
        snprintf(b, 1024, "%s/%s", root ? root : "build", rel);
        return b; /* a handful per run: not worth freeing */
}

const char *bench_source_path(const char *rel) {
        char *b = malloc(1024);
        const char *root = getenv("MESON_SOURCE_ROOT");
        snprintf(b, 1024, "%s/%s", root ? root : ".", rel);
        return b;
}

/* --- libvirt --- */

void bench_domain_uuid(size_t index, char uuid[37]) {
        snprintf(uuid, 37, "be0c%04x-0000-4000-8000-%012zx", (unsigned) ((index >> 16) & 0xffff), index);
}

char *bench_domain_xml(const char *prefix, size_t index) {
        char uuid[37], *xml = NULL;
        bench_domain_uuid(index, uuid);
        if (asprintf(&xml,
                     "<domain type='test'><name>%s-%05zu</name><uuid>%s</uuid><memory>8192</memory>"
                     "<os><type>hvm</type></os><devices><interface type='network'><source network='default'/>"
                     "<mac address='52:54:00:%02zx:%02zx:%02zx'/><ip address='10.%zu.%zu.%zu' prefix='8'/>"
                     "</interface></devices></domain>",
                     prefix, index, uuid, (index >> 16) & 0xff, (index >> 8) & 0xff, index & 0xff, (index >> 16) & 0xff,
                     (index >> 8) & 0xff, index & 0xff) < 0)
                return NULL;
        return xml;
}

int bench_write_node_xml(const char *path, const char *prefix, size_t n) {
        FILE *f = fopen(path, "we");
        if (!f)
                return -errno;
        fputs("<node>\n  <network><name>default</name><uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid>"
              "<bridge name='virbr0'/><forward/><ip address='192.168.122.1' netmask='255.255.255.0'>"
              "<dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp></ip></network>\n",
              f);
        for (size_t i = 0; i < n; i++) {
                char *xml = bench_domain_xml(prefix, i);
                if (!xml) {
                        fclose(f);
                        return -ENOMEM;
                }
                fprintf(f, "  %s\n", xml);
                free(xml);
        }
        fputs("</node>\n", f);
        return fclose(f) == 0 ? 0 : -errno;
}

int bench_define_domains(virConnectPtr c, const char *prefix, size_t first, size_t n, bool start) {
        for (size_t i = first; i < first + n; i++) {
                char *xml = bench_domain_xml(prefix, i);
                virDomainPtr d = xml ? virDomainDefineXML(c, xml) : NULL;
                free(xml);
                if (!d) {
                        fprintf(stderr, "bench: define %s-%05zu: %s\n", prefix, i, virGetLastErrorMessage());
                        return -EIO;
                }
                int r = start ? virDomainCreate(d) : 0;
                virDomainFree(d);
                if (r < 0) {
                        fprintf(stderr, "bench: start %s-%05zu: %s\n", prefix, i, virGetLastErrorMessage());
                        return -EIO;
                }
        }
        return 0;
}

void bench_remove_default_domain(virConnectPtr c) {
        virDomainPtr d = virDomainLookupByName(c, "test");
        if (!d)
                return;
        (void) virDomainDestroy(d);
        (void) virDomainUndefine(d);
        virDomainFree(d);
}

/* --- D-Bus --- */

int bench_wait_name(sd_bus *bus, const char *name, int timeout_ms) {
        double deadline = bench_now() + timeout_ms / 1000.0;
        while (bench_now() < deadline) {
                sd_bus_message *reply = NULL;
                int has = 0;
                if (sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "NameHasOwner", NULL, &reply, "s", name) >= 0 &&
                    sd_bus_message_read(reply, "b", &has) >= 0 && has) {
                        sd_bus_message_unref(reply);
                        return 0;
                }
                sd_bus_message_unref(reply);
                usleep(20000);
        }
        return -ETIME;
}

int bench_call(sd_bus *bus, const char *dest, const char *path, const char *iface, const char *member, int timeout_s,
               sd_bus_message **reply, const char *types, ...) {
        sd_bus_message *m = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r = sd_bus_message_new_method_call(bus, &m, dest, path, iface, member);
        if (r < 0)
                return r;
        if (types && *types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (r < 0) {
                        sd_bus_message_unref(m);
                        return r;
                }
        }
        r = sd_bus_call(bus, m, (uint64_t) timeout_s * 1000000ULL, &error, reply);
        if (r < 0 && getenv("BENCH_DEBUG"))
                fprintf(stderr, "bench: %s.%s on %s: %s\n", iface, member, path, error.message);
        sd_bus_error_free(&error);
        sd_bus_message_unref(m);
        return r;
}

pid_t bench_start_libvirt_dbus(const char *from_uri, const char *to_uri, const char *log_path) {
        static char preload[1100], from[1100], to[1100];
        char *argv[] = { "/usr/sbin/libvirt-dbus", "--session", NULL };
        char *env[] = { preload, from, to, NULL };
        sd_bus *bus = NULL;

        if (access(argv[0], X_OK) < 0)
                return -ENOENT;
        snprintf(preload, sizeof preload, "LD_PRELOAD=%s", bench_build_path("bench/bench-uri-shim.so"));
        snprintf(from, sizeof from, "BENCH_URI_FROM=%s", from_uri);
        snprintf(to, sizeof to, "BENCH_URI_TO=%s", to_uri);
        pid_t pid = bench_spawn(argv, env, log_path);
        if (pid < 0)
                return pid;
        int r = sd_bus_open_user(&bus);
        if (r >= 0)
                r = bench_wait_name(bus, "org.libvirt", 10000);
        sd_bus_flush_close_unref(bus);
        if (r < 0) {
                bench_stop(&pid);
                return r;
        }
        return pid;
}

double bench_cpu_seconds(pid_t pid) {
        char path[64], line[1024];
        unsigned long long ut = 0, st = 0;

        if (pid == 0)
                snprintf(path, sizeof path, "/proc/self/stat");
        else
                snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return NAN;
        char *p = fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
        fclose(f);
        /* after "pid (comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
                return NAN;
        return (double) (ut + st) / (double) sysconf(_SC_CLK_TCK);
}

double bench_main_thread_cpu_seconds(pid_t pid) {
        char path[64];
        unsigned long long ns;
        snprintf(path, sizeof path, "/proc/%d/schedstat", (int) pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return NAN;
        int n = fscanf(f, "%llu", &ns);
        fclose(f);
        return n == 1 ? (double) ns / 1e9 : NAN;
}

double bench_thread_cpu_seconds(pthread_t thread) {
        clockid_t clock;
        struct timespec ts;
        if (pthread_getcpuclockid(thread, &clock) != 0 || clock_gettime(clock, &ts) < 0)
                return NAN;
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

const char *bench_loadavg(void) {
        static char load[64];
        double a, b, c;
        FILE *f = fopen("/proc/loadavg", "re");
        snprintf(load, sizeof load, "?");
        if (f) {
                if (fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3)
                        snprintf(load, sizeof load, "%.2f %.2f %.2f", a, b, c);
                fclose(f);
        }
        return load;
}

pid_t bench_pid_from_file(const char *path) {
        int pid = 0;
        FILE *f = fopen(path, "re");
        if (f) {
                if (fscanf(f, "%d", &pid) != 1)
                        pid = 0;
                fclose(f);
        }
        return pid;
}

uint64_t bench_rss(pid_t pid, const char *field) {
        char path[64], line[256];
        uint64_t kib = 0;
        size_t l = strlen(field);

        snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return 0;
        while (fgets(line, sizeof line, f))
                if (strncmp(line, field, l) == 0 && line[l] == ':') {
                        kib = strtoull(line + l + 1, NULL, 10);
                        break;
                }
        fclose(f);
        return kib * 1024;
}
