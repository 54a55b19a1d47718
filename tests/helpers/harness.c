#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guestinfo-names.h"
#include "guestinfo-paths.h"
#include "harness.h"

static Harness *active; /* for the signal handler: clean up even when killed */

double harness_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *harness_source_root(void) {
        const char *s = getenv("MESON_SOURCE_ROOT");
        return s ? s : ".";
}

const char *harness_build_root(void) {
        const char *s = getenv("MESON_BUILD_ROOT");
        return s ? s : "build";
}

static void on_fatal_signal(int sig) {
        Harness *h = active;
        active = NULL; /* once: a crash inside the cleanup must not loop */
        if (h)
                harness_cleanup(h);
        signal(sig, SIG_DFL);
        raise(sig);
}

/* Under a sanitizer, a report with halt_on_error ends the process through
 * its own exit, not a signal: it calls this first. Weak: absent otherwise. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static void on_sanitizer_death(void) {
        Harness *h = active;
        active = NULL;
        if (h)
                harness_cleanup(h);
}

int harness_init(Harness *h) {
        memset(h, 0, sizeof *h);
        snprintf(h->dir, sizeof h->dir, "%s/guestinfod-test.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(h->dir))
                return -errno;
        active = h;
        /* libvirtd and QEMU run in sessions of their own and would outlive
         * a crashed test: stop them on every way out we can catch. */
        const int fatal[] = { SIGTERM, SIGINT, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL };
        for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++)
                signal(fatal[i], on_fatal_signal);
        if (__sanitizer_set_death_callback)
                __sanitizer_set_death_callback(on_sanitizer_death);
        return 0;
}

/* Sends TERM, waits up to 5 s, then KILL. Reaps the child and returns its
 * exit status (128 + signal if killed), or 0 if there was none. */
static int stop_pid(pid_t *pid) {
        int status = 0;

        if (*pid <= 0)
                return 0;
        kill(*pid, SIGTERM);
        for (int i = 0; i < 500; i++) {
                if (waitpid(*pid, &status, WNOHANG) != 0)
                        goto done;
                usleep(10000);
        }
        fprintf(stderr, "harness: PID %d ignored SIGTERM for 5 s, killing it\n", (int) *pid);
        kill(*pid, SIGKILL);
        waitpid(*pid, &status, 0);
done:
        *pid = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void harness_cleanup(Harness *h) {
        char *argv[] = { "rm", "-rf", h->dir, NULL };

        h->bus = sd_bus_flush_close_unref(h->bus);
        stop_pid(&h->daemon_pid);
        harness_stop_libvirtd(h);
        stop_pid(&h->bus_pid);
        harness_clear_lines(h);
        if (h->dir[0] && !getenv("HARNESS_KEEP"))
                harness_run(argv, 30, NULL);
        h->dir[0] = '\0';
        if (active == h)
                active = NULL;
}

/* fork + exec with the child dying with us. out_fd: where the child's stdout
 * goes (-1: inherit). */
static pid_t spawn(char *const argv[], char *const env_add[], int out_fd, int keep_fd) {
        pid_t pid = fork();
        if (pid != 0)
                return pid;

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        if (out_fd >= 0) {
                dup2(out_fd, STDOUT_FILENO);
                if (out_fd != keep_fd)
                        close(out_fd);
        }
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, STDIN_FILENO);
        for (size_t i = 0; env_add && env_add[i]; i++)
                putenv(env_add[i]);
        if (keep_fd >= 0)
                fcntl(keep_fd, F_SETFD, 0);
        execvp(argv[0], argv);
        fprintf(stderr, "harness: cannot run %s: %m\n", argv[0]);
        _exit(127);
}

int harness_run(char *const argv[], int timeout_s, char **out) {
        int pipefd[2] = { -1, -1 };
        char *buf = NULL;
        size_t len = 0;
        int status;

        if (out && pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = spawn(argv, NULL, out ? pipefd[1] : -1, -1);
        if (pid < 0)
                return -errno;
        if (out) {
                close(pipefd[1]);
                buf = calloc(1, 1);
        }

        double deadline = harness_now() + timeout_s;
        bool exited = false;
        while (!exited || (out && pipefd[0] >= 0)) {
                if (out && pipefd[0] >= 0) {
                        struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
                        if (poll(&p, 1, 20) > 0) {
                                char chunk[4096];
                                ssize_t n = read(pipefd[0], chunk, sizeof chunk);
                                if (n > 0) {
                                        buf = realloc(buf, len + n + 1);
                                        memcpy(buf + len, chunk, n);
                                        len += n;
                                        buf[len] = '\0';
                                } else {
                                        close(pipefd[0]);
                                        pipefd[0] = -1;
                                }
                        }
                } else
                        usleep(5000);
                if (!exited && waitpid(pid, &status, WNOHANG) == pid)
                        exited = true;
                if (harness_now() > deadline) {
                        fprintf(stderr, "harness: '%s' timed out after %d s, killing it\n", argv[0], timeout_s);
                        if (!exited) {
                                kill(pid, SIGKILL);
                                waitpid(pid, NULL, 0);
                        }
                        if (pipefd[0] >= 0)
                                close(pipefd[0]);
                        free(buf);
                        return -ETIME;
                }
        }
        if (out)
                *out = buf;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int start_bus_with_config(Harness *h, const char *conf, const char *env_name);

int harness_start_bus(Harness *h) {
        char conf[300], sock[300];
        FILE *f;

        snprintf(conf, sizeof conf, "%s/bus.conf", h->dir);
        snprintf(sock, sizeof sock, "%s/bus.sock", h->dir);
        f = fopen(conf, "we");
        if (!f)
                return -errno;
        /* A session-type bus that lets everybody talk: the bus suite tests the
         * daemon, not the system policy. */
        fprintf(f,
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                "<busconfig>\n  <type>session</type>\n  <listen>unix:path=%s</listen>\n"
                "  <policy context=\"default\">\n    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                "    <allow eavesdrop=\"true\"/>\n    <allow own=\"*\"/>\n  </policy>\n</busconfig>\n",
                sock);
        fclose(f);

        /* The daemon and busctl find it through the environment. */
        return start_bus_with_config(h, conf, "DBUS_SESSION_BUS_ADDRESS");
}

static int start_bus_with_config(Harness *h, const char *conf, const char *env_name) {
        char arg[320], fdarg[32];
        int pipefd[2];

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        snprintf(arg, sizeof arg, "--config-file=%s", conf);
        snprintf(fdarg, sizeof fdarg, "--print-address=%d", pipefd[1]);
        char *argv[] = { "dbus-daemon", arg, "--nofork", "--nopidfile", fdarg, NULL };
        h->bus_pid = spawn(argv, NULL, -1, pipefd[1]);
        close(pipefd[1]);
        if (h->bus_pid < 0)
                return -errno;

        struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
        ssize_t n = 0;
        if (poll(&p, 1, 10000) > 0)
                n = read(pipefd[0], h->bus_address, sizeof h->bus_address - 1);
        close(pipefd[0]);
        if (n <= 0)
                return -ETIME;
        h->bus_address[n] = '\0';
        h->bus_address[strcspn(h->bus_address, "\n")] = '\0';
        setenv(env_name, h->bus_address, 1);
        return 0;
}

int harness_start_system_bus(Harness *h, const char *includedir) {
        char conf[300], sock[300];
        FILE *f;

        snprintf(conf, sizeof conf, "%s/system-bus.conf", h->dir);
        snprintf(sock, sizeof sock, "%s/system_bus_socket", h->dir);
        f = fopen(conf, "we");
        if (!f)
                return -errno;
        /* Debian's system bus policy in short: deny by default, services
         * punch holes with their own files (ours and polkit's). */
        fprintf(f,
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                "<busconfig>\n  <type>system</type>\n  <listen>unix:path=%s</listen>\n  <auth>EXTERNAL</auth>\n"
                "  <policy context=\"default\">\n"
                "    <allow user=\"*\"/>\n    <deny own=\"*\"/>\n    <deny send_type=\"method_call\"/>\n"
                "    <allow send_type=\"signal\"/>\n"
                "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
                "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
                "    <allow receive_type=\"method_call\"/>\n    <allow receive_type=\"method_return\"/>\n"
                "    <allow receive_type=\"error\"/>\n    <allow receive_type=\"signal\"/>\n"
                "    <allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus\"/>\n"
                "    <allow send_destination=\"org.freedesktop.DBus\" "
                "send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
                "    <allow send_destination=\"org.freedesktop.DBus\" "
                "send_interface=\"org.freedesktop.DBus.Properties\"/>\n"
                "  </policy>\n"
                "  <policy user=\"root\">\n    <allow send_type=\"method_call\" "
                "send_destination=\"org.freedesktop.DBus\"/>\n  </policy>\n"
                "  <includedir>/usr/share/dbus-1/system.d</includedir>\n"
                "  <includedir>%s</includedir>\n"
                "</busconfig>\n",
                sock, includedir);
        fclose(f);
        return start_bus_with_config(h, conf, "DBUS_SYSTEM_BUS_ADDRESS");
}

int harness_start_libvirtd(Harness *h, const char *driver) {
        char script[512], *out = NULL;
        int r;

        snprintf(h->libvirtd_state, sizeof h->libvirtd_state, "%s/libvirtd", h->dir);
        snprintf(h->libvirtd_driver, sizeof h->libvirtd_driver, "%s", driver);
        snprintf(script, sizeof script, "%s/tests/vm/libvirtd.sh", harness_source_root());
        setenv("LIBVIRTD_DRIVER", driver, 1);
        char *argv[] = { script, "start", h->libvirtd_state, NULL };
        r = harness_run(argv, 120, &out);
        if (r != 0) {
                free(out);
                return r < 0 ? r : -EIO;
        }
        out[strcspn(out, "\n")] = '\0';
        snprintf(h->uri, sizeof h->uri, "%s", out);
        free(out);
        return 0;
}

int harness_stop_libvirtd(Harness *h) {
        char script[512];

        if (!h->libvirtd_state[0])
                return 0;
        snprintf(script, sizeof script, "%s/tests/vm/libvirtd.sh", harness_source_root());
        setenv("LIBVIRTD_DRIVER", h->libvirtd_driver, 1);
        char *argv[] = { script, "stop", h->libvirtd_state, NULL };
        return harness_run(argv, 60, NULL);
}

int harness_kill_libvirtd(Harness *h) {
        char path[400];
        FILE *f;
        int pid = 0;

        snprintf(path, sizeof path, "%s/libvirtd.pid", h->libvirtd_state);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        if (fscanf(f, "%d", &pid) != 1 || pid <= 0) {
                fclose(f);
                return -EINVAL;
        }
        fclose(f);
        if (kill(pid, SIGKILL) < 0)
                return -errno;
        for (int i = 0; i < 500 && kill(pid, 0) == 0; i++) {
                /* A zombie still answers kill(0): check its state instead. */
                char stat[64], buf[256] = "";
                snprintf(stat, sizeof stat, "/proc/%d/stat", pid);
                FILE *s = fopen(stat, "re");
                if (!s)
                        break;
                size_t n = fread(buf, 1, sizeof buf - 1, s);
                fclose(s);
                buf[n] = '\0';
                char *p = strrchr(buf, ')');
                if (p && p[1] == ' ' && p[2] == 'Z')
                        break;
                usleep(10000);
        }
        return 0;
}

int harness_start_daemon_argv(Harness *h, char *const argv[], int timeout_s) {
        char notify_path[108], notify_env[128];
        int fd, r = 0;

        if (snprintf(notify_path, sizeof notify_path, "%s/notify.sock", h->dir) >= (int) sizeof notify_path)
                return -ENAMETOOLONG;
        snprintf(h->daemon_log, sizeof h->daemon_log, "%s/guestinfod.log", h->dir);
        unlink(notify_path);

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", notify_path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                r = -errno;
                close(fd);
                return r;
        }

        snprintf(notify_env, sizeof notify_env, "NOTIFY_SOCKET=%s", notify_path);
        int log_fd = open(h->daemon_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        double start = harness_now();
        pid_t pid = fork();
        if (pid == 0) {
                dup2(log_fd, STDERR_FILENO);
                dup2(log_fd, STDOUT_FILENO);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                signal(SIGTERM, SIG_DFL);
                signal(SIGINT, SIG_DFL);
                putenv(notify_env);
                /* Leak checking for the daemon even when the tests themselves
                 * run without it (tools/check's sanitizer build). */
                if (getenv("DAEMON_ASAN_OPTIONS"))
                        setenv("ASAN_OPTIONS", getenv("DAEMON_ASAN_OPTIONS"), 1);
                execvp(argv[0], argv);
                _exit(127);
        }
        close(log_fd);
        h->daemon_pid = pid;

        /* READY=1 on the notify socket, or the daemon's death, or the timeout. */
        for (;;) {
                char buf[1024];
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 50) > 0) {
                        ssize_t k = recv(fd, buf, sizeof buf - 1, 0);
                        if (k > 0) {
                                buf[k] = '\0';
                                if (strstr(buf, "READY=1"))
                                        break;
                        }
                }
                int status;
                if (waitpid(pid, &status, WNOHANG) == pid) {
                        h->daemon_pid = 0;
                        r = -ECHILD;
                        break;
                }
                if (harness_now() - start > timeout_s) {
                        r = -ETIME;
                        break;
                }
        }
        h->ready_seconds = harness_now() - start;
        close(fd);
        return r;
}

static int start_daemon_va(Harness *h, const char *uri, int timeout_s, va_list ap) {
        char exe[512];
        char *argv[32];
        size_t n = 0;

        snprintf(exe, sizeof exe, "%s/service/guestinfod", harness_build_root());
        argv[n++] = exe;
        argv[n++] = "--user";
        argv[n++] = "--connect";
        argv[n++] = (char *) uri;
        bool backoff_given = false;
        for (char *a; n < 29 && (a = va_arg(ap, char *));) {
                backoff_given = backoff_given || strncmp(a, "--backoff", 9) == 0;
                argv[n++] = a;
        }
        /* Tests wait for what the guest changes at the intervals they set:
         * the backoff of unchanged kinds is tested where it is named. */
        if (!backoff_given)
                argv[n++] = "--backoff=1";
        argv[n] = NULL;
        return harness_start_daemon_argv(h, argv, timeout_s);
}

int harness_start_daemon(Harness *h, const char *uri, int timeout_s, ...) {
        va_list ap;
        va_start(ap, timeout_s);
        int r = start_daemon_va(h, uri, timeout_s, ap);
        va_end(ap);
        return r;
}

int harness_stop_daemon(Harness *h) {
        int status = stop_pid(&h->daemon_pid);
        if (status != 0) {
                /* sanitizer reports and crashes end up here: show them */
                char *argv[] = { "cat", h->daemon_log, NULL };
                fprintf(stderr, "harness: guestinfod exited with status %d; its log:\n", status);
                harness_run(argv, 10, NULL);
        }
        return status;
}

bool harness_daemon_running(Harness *h) {
        if (h->daemon_pid <= 0)
                return false;
        if (waitpid(h->daemon_pid, NULL, WNOHANG) == h->daemon_pid) {
                h->daemon_pid = 0;
                return false;
        }
        return true;
}

bool harness_daemon_log_contains(Harness *h, const char *needle) {
        char line[4096];
        bool found = false;
        FILE *f = fopen(h->daemon_log, "re");
        while (f && !found && fgets(line, sizeof line, f))
                found = strstr(line, needle) != NULL;
        if (f)
                fclose(f);
        return found;
}

int harness_virsh(Harness *h, const char *fmt, ...) {
        char cmd[2048], *argv[64];
        size_t n = 0;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof cmd, fmt, ap);
        va_end(ap);

        argv[n++] = "virsh";
        argv[n++] = "-q";
        argv[n++] = "-c";
        argv[n++] = h->uri;
        for (char *save = NULL, *t = strtok_r(cmd, " ", &save); t && n < 63; t = strtok_r(NULL, " ", &save))
                argv[n++] = t;
        argv[n] = NULL;
        char *out = NULL;
        int r = harness_run(argv, 60, &out);
        free(out);
        return r;
}

const char *harness_test_domain_xml(Harness *h, const char *name, const char *uuid) {
        static char path[400];
        snprintf(path, sizeof path, "%s/%s.xml", h->dir, name);
        FILE *f = fopen(path, "we");
        if (!f)
                return NULL;
        fprintf(f,
                "<domain type='test'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n  <memory>8192</memory>\n"
                "  <os><type>hvm</type></os>\n</domain>\n",
                name, uuid);
        fclose(f);
        return path;
}

/* --- signal recording --- */

static void add_line(Harness *h, char *line) {
        if (h->n_lines >= HARNESS_MAX_LINES) {
                free(line);
                return;
        }
        h->lines[h->n_lines++] = line;
}

/* Appends "Name=value" for each entry of an a{sv} the message is at,
 * separated by spaces (and one before the first with leading_space). */
static int append_props(sd_bus_message *m, bool leading_space, FILE *f) {
        bool first = true;
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name, *contents;
                char type;
                sd_bus_message_read(m, "s", &name);
                sd_bus_message_peek_type(m, &type, &contents);
                sd_bus_message_enter_container(m, 'v', contents);
                fprintf(f, "%s%s=", first && !leading_space ? "" : " ", name);
                first = false;
                switch (contents[0]) {
                case 's':
                case 'o': {
                        const char *s;
                        sd_bus_message_read_basic(m, contents[0], &s);
                        fputs(s, f);
                        break;
                }
                case 'b': {
                        int b;
                        sd_bus_message_read_basic(m, 'b', &b);
                        fputs(b ? "true" : "false", f);
                        break;
                }
                case 'i': {
                        int32_t i;
                        sd_bus_message_read_basic(m, 'i', &i);
                        fprintf(f, "%d", i);
                        break;
                }
                case 'u': {
                        uint32_t u;
                        sd_bus_message_read_basic(m, 'u', &u);
                        fprintf(f, "%u", u);
                        break;
                }
                case 't': {
                        uint64_t t;
                        sd_bus_message_read_basic(m, 't', &t);
                        fprintf(f, "%llu", (unsigned long long) t);
                        break;
                }
                default:
                        fprintf(f, "<%s>", contents);
                        sd_bus_message_skip(m, contents);
                }
                sd_bus_message_exit_container(m);
                sd_bus_message_exit_container(m);
        }
        return sd_bus_message_exit_container(m);
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void path_label(const char *path, char *out, size_t size) {
        char uuid[DOMAIN_UUID_STRING_MAX];
        if (strcmp(path, MANAGER_PATH) == 0)
                snprintf(out, size, "manager");
        else if (domain_uuid_from_path(path, uuid) >= 0)
                snprintf(out, size, "%s", uuid);
        else
                snprintf(out, size, "%s", path);
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Harness *h = userdata;
        const char *member = sd_bus_message_get_member(m);
        char label[256], *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (!member)
                return 0;
        if (strcmp(member, "PropertiesChanged") == 0) {
                const char *iface;
                path_label(sd_bus_message_get_path(m), label, sizeof label);
                sd_bus_message_read(m, "s", &iface);
                fprintf(f, "PropertiesChanged %s", label);
                append_props(m, true, f);
        } else if (strcmp(member, "InterfacesAdded") == 0) {
                /* "Iface(props)" per interface of ours, sorted by name: the
                 * order on the wire is not part of the contract */
                char *parts[16];
                size_t n = 0;
                const char *path;
                sd_bus_message_read(m, "o", &path);
                path_label(path, label, sizeof label);
                fprintf(f, "InterfacesAdded %s", label);
                sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
                while (sd_bus_message_enter_container(m, 'e', "sa{sv}") > 0) {
                        const char *iface;
                        sd_bus_message_read(m, "s", &iface);
                        if (n < 16 && strncmp(iface, INTERFACE_PREFIX, strlen(INTERFACE_PREFIX)) == 0) {
                                char *pbuf = NULL;
                                size_t plen = 0;
                                FILE *pf = open_memstream(&pbuf, &plen);
                                fprintf(pf, "%s(", iface + strlen(INTERFACE_PREFIX));
                                append_props(m, false, pf);
                                fputc(')', pf);
                                fclose(pf);
                                parts[n++] = pbuf;
                        } else
                                sd_bus_message_skip(m, "a{sv}");
                        sd_bus_message_exit_container(m);
                }
                qsort(parts, n, sizeof *parts, compare_strings);
                for (size_t i = 0; i < n; i++) {
                        fprintf(f, " %s", parts[i]);
                        free(parts[i]);
                }
        } else if (strcmp(member, "InterfacesRemoved") == 0) {
                const char *path, *iface;
                sd_bus_message_read(m, "o", &path);
                path_label(path, label, sizeof label);
                fprintf(f, "InterfacesRemoved %s", label);
                /* our interfaces, short names, sorted: "Domain Network" */
                char *names[16];
                size_t n = 0;
                sd_bus_message_enter_container(m, 'a', "s");
                while (sd_bus_message_read(m, "s", &iface) > 0)
                        if (n < 16 && strncmp(iface, INTERFACE_PREFIX, strlen(INTERFACE_PREFIX)) == 0)
                                names[n++] = (char *) iface + strlen(INTERFACE_PREFIX);
                qsort(names, n, sizeof *names, compare_strings);
                for (size_t i = 0; i < n; i++)
                        fprintf(f, " %s", names[i]);
        } else
                fprintf(f, "%s %s", member, sd_bus_message_get_path(m));
        fclose(f);
        add_line(h, buf);
        return 0;
}

int harness_connect_client(Harness *h) {
        int r = sd_bus_open_user(&h->bus);
        if (r < 0)
                return r;
        r = sd_bus_add_match(h->bus, NULL, "type='signal',path_namespace='" MANAGER_PATH "'", on_signal, h);
        return r < 0 ? r : 0;
}

/* r, said on stderr if it is a failure. */
static int step(int r, const char *what) {
        if (r != 0)
                fprintf(stderr, "harness: %s (%d: %s)\n", what, r, strerror(r < 0 ? -r : r));
        return r;
}

int harness_setup(Harness *h) {
        int r = step(harness_init(h), "no temporary folder");
        if (r == 0)
                r = step(harness_start_bus(h), "the private dbus-daemon did not start");
        if (r == 0)
                r = step(harness_connect_client(h), "no client connection to the private bus");
        return r;
}

int harness_setup_test_daemon(Harness *h, int timeout_s, ...) {
        va_list ap;
        int r = harness_setup(h);
        if (r == 0)
                r = step(harness_start_libvirtd(h, "test"), "libvirtd (test driver) did not start");
        if (r != 0)
                return r;
        va_start(ap, timeout_s);
        r = start_daemon_va(h, h->uri, timeout_s, ap);
        va_end(ap);
        if (r != 0)
                fprintf(stderr, "guestinfod did not become ready (%d), see %s\n", r, h->daemon_log);
        return r;
}

static void process_for(Harness *h, int ms) {
        double deadline = harness_now() + ms / 1000.0;
        while (harness_now() < deadline) {
                int r = sd_bus_process(h->bus, NULL);
                if (r > 0)
                        continue;
                if (r < 0)
                        return;
                double left = deadline - harness_now();
                if (left > 0)
                        sd_bus_wait(h->bus, (uint64_t) (left * 1e6));
        }
}

bool harness_wait_line(Harness *h, const char *needle, int timeout_ms) {
        double deadline = harness_now() + timeout_ms / 1000.0;
        for (;;) {
                for (size_t i = 0; i < h->n_lines; i++)
                        if (strstr(h->lines[i], needle))
                                return true;
                if (harness_now() >= deadline)
                        return false;
                int r = sd_bus_process(h->bus, NULL);
                if (r < 0)
                        return false;
                if (r == 0)
                        sd_bus_wait(h->bus, 50000);
        }
}

void harness_settle(Harness *h, int ms) {
        process_for(h, ms);
}

void harness_clear_lines(Harness *h) {
        for (size_t i = 0; i < h->n_lines; i++)
                free(h->lines[i]);
        h->n_lines = 0;
}

const char *harness_lines(Harness *h) {
        static char out[65536];
        size_t k = 0;
        out[0] = '\0';
        for (size_t i = 0; i < h->n_lines && k < sizeof out - 1; i++)
                k += snprintf(out + k, sizeof out - k, "%s%s", i ? "\n" : "", h->lines[i]);
        return out;
}

int harness_domain_path(const char *uuid, char **ret) {
        char path[DOMAIN_OBJECT_PATH_MAX];
        int r = domain_path_from_uuid(uuid, path);
        if (r < 0)
                return r;
        *ret = strdup(path);
        return *ret ? 0 : -ENOMEM;
}

int harness_get_property(Harness *h, const char *path, const char *iface, const char *prop, char type, void *ret) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        switch (type) {
        case 's': {
                char *s = NULL;
                r = sd_bus_get_property_string(h->bus, BUS_NAME, path, iface, prop, &error, &s);
                if (r >= 0)
                        *(char **) ret = s;
                break;
        }
        default:
                r = sd_bus_get_property_trivial(h->bus, BUS_NAME, path, iface, prop, &error, type, ret);
        }
        sd_bus_error_free(&error);
        return r;
}

/* --- introspection --- */

/* The interface block <interface name="iface"> ... </interface> of xml, each
 * line trimmed; comments (over any number of lines) and the annotations for
 * code generators (org.gtk.GDBus.*, which sd-bus does not publish) dropped. */
static char *interface_block(const char *xml, const char *iface) {
        char start[256];
        snprintf(start, sizeof start, "<interface name=\"%s\">", iface);
        const char *b = strstr(xml, start), *e = b ? strstr(b, "</interface>") : NULL;
        if (!b || !e)
                return strdup("");
        char *out = calloc(1, e - b + 16);
        size_t k = 0;
        for (const char *l = b; l < e;) {
                const char *nl = memchr(l, '\n', e - l);
                const char *end = nl ? nl : e;
                while (l < end && (*l == ' ' || *l == '\t'))
                        l++;
                if (strncmp(l, "<!--", 4) == 0) {
                        const char *c = strstr(l, "-->");
                        if (!c || c >= e)
                                break;
                        l = c + 3;
                        continue;
                }
                if (end > l && strncmp(l, "<annotation name=\"org.gtk.GDBus.", 32) != 0) {
                        memcpy(out + k, l, end - l);
                        k += end - l;
                        out[k++] = '\n';
                }
                l = nl ? nl + 1 : e;
        }
        return out;
}

int harness_introspection_matches(Harness *h, const char *path, const char *iface) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *xml;
        char file[600], *contents = NULL;
        size_t len = 0;

        if (sd_bus_call_method(h->bus, BUS_NAME, path, "org.freedesktop.DBus.Introspectable", "Introspect", &error,
                               &reply, "") < 0 ||
            sd_bus_message_read(reply, "s", &xml) < 0) {
                fprintf(stderr, "Introspect %s failed: %s\n", path, error.message);
                sd_bus_error_free(&error);
                sd_bus_message_unref(reply);
                return -EIO;
        }

        snprintf(file, sizeof file, "%s/dbus/%s.xml", harness_source_root(), iface);
        FILE *f = fopen(file, "re");
        if (!f || getdelim(&contents, &len, '\0', f) <= 0) {
                fprintf(stderr, "cannot read %s\n", file);
                if (f)
                        fclose(f);
                sd_bus_message_unref(reply);
                return -EIO;
        }
        fclose(f);

        char *live = interface_block(xml, iface), *documented = interface_block(contents, iface);
        int r = strlen(live) > 0 && strcmp(live, documented) == 0 ? 0 : -EBADMSG;
        if (r < 0)
                fprintf(stderr, "%s differs from the running daemon. Daemon:\n%s\nFile:\n%s\n", file, live, documented);
        free(live), free(documented), free(contents);
        sd_bus_message_unref(reply);
        return r;
}
