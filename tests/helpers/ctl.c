#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"
#include "harness.h"

#define MAX_ARGS 32
#define MAX_STARTED 16

/* PIDs from ctl_start() not yet stopped, for ctl_stop_all() */
static pid_t started[MAX_STARTED];

static void forget(pid_t pid) {
        for (size_t i = 0; i < MAX_STARTED; i++)
                if (started[i] == pid)
                        started[i] = 0;
}

static void collect_args(char **argv, const char *exe, va_list ap) {
        size_t n = 0;
        argv[n++] = (char *) exe;
        for (char *a; n < MAX_ARGS - 1 && (a = va_arg(ap, char *));)
                argv[n++] = a;
        argv[n] = NULL;
}

static const char *ctl_path(void) {
        static char exe[512];
        snprintf(exe, sizeof exe, "%s/cli/guestinfoctl", harness_build_root());
        return exe;
}

/* fork + exec guestinfoctl with stdout on out_fd and stderr on err_fd (-1:
 * inherited); the child dies with the test. */
static pid_t spawn(char **argv, int out_fd, int err_fd) {
        pid_t pid = fork();
        if (pid != 0)
                return pid;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, STDIN_FILENO);
        dup2(out_fd, STDOUT_FILENO);
        if (err_fd >= 0)
                dup2(err_fd, STDERR_FILENO);
        execv(argv[0], argv);
        fprintf(stderr, "ctl: cannot run %s: %m\n", argv[0]);
        _exit(127);
}

/* Appends what fd has to *buf; false at the end (EOF, or EIO on a pty
 * whose other side closed). */
static bool drain(int fd, char **buf, size_t *len) {
        char chunk[4096];
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n <= 0)
                return n < 0 && errno == EINTR;
        *buf = realloc(*buf, *len + n + 1);
        memcpy(*buf + *len, chunk, n);
        *len += n;
        (*buf)[*len] = '\0';
        return true;
}

int ctl_run(CtlResult *res, bool tty, int timeout_s, ...) {
        char *argv[MAX_ARGS];
        int out[2] = { -1, -1 }, err[2] = { -1, -1 }, status = 0;
        size_t out_len = 0, err_len = 0;
        va_list ap;

        *res = (CtlResult){ .out = calloc(1, 1), .err = calloc(1, 1) };
        va_start(ap, timeout_s);
        collect_args(argv, ctl_path(), ap);
        va_end(ap);

        if (tty) {
                struct termios raw;
                memset(&raw, 0, sizeof raw);
                cfmakeraw(&raw);
                if (openpty(&out[0], &out[1], NULL, &raw, NULL) < 0)
                        return res->status = -errno;
                fcntl(out[0], F_SETFD, FD_CLOEXEC);
                fcntl(out[1], F_SETFD, FD_CLOEXEC);
        } else if (pipe2(out, O_CLOEXEC) < 0)
                return res->status = -errno;
        if (pipe2(err, O_CLOEXEC) < 0)
                return res->status = -errno;

        double start = harness_now();
        pid_t pid = spawn(argv, out[1], err[1]);
        close(out[1]);
        close(err[1]);

        bool exited = false;
        while (!exited || out[0] >= 0 || err[0] >= 0) {
                struct pollfd p[2] = { { .fd = out[0], .events = POLLIN }, { .fd = err[0], .events = POLLIN } };
                if (poll(p, 2, 20) > 0) {
                        if (p[0].revents && !drain(out[0], &res->out, &out_len)) {
                                close(out[0]);
                                out[0] = -1;
                        }
                        if (p[1].revents && !drain(err[0], &res->err, &err_len)) {
                                close(err[0]);
                                err[0] = -1;
                        }
                }
                if (!exited && waitpid(pid, &status, WNOHANG) == pid)
                        exited = true;
                if (harness_now() - start > timeout_s) {
                        fprintf(stderr, "ctl: guestinfoctl %s timed out after %d s, killing it\n",
                                argv[1] ? argv[1] : "", timeout_s);
                        if (!exited) {
                                kill(pid, SIGKILL);
                                waitpid(pid, NULL, 0);
                        }
                        if (out[0] >= 0)
                                close(out[0]);
                        if (err[0] >= 0)
                                close(err[0]);
                        res->seconds = harness_now() - start;
                        return res->status = -ETIME;
                }
        }
        res->seconds = harness_now() - start;
        res->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return res->status;
}

void ctl_result_free(CtlResult *res) {
        free(res->out);
        free(res->err);
        *res = (CtlResult){};
}

size_t ctl_count_lines(const char *s) {
        size_t n = 0;
        for (; s && *s; s++)
                n += *s == '\n';
        return n;
}

int ctl_start(CtlProcess *p, ...) {
        char *argv[MAX_ARGS];
        int out[2];
        va_list ap;

        memset(p, 0, sizeof *p);
        va_start(ap, p);
        collect_args(argv, ctl_path(), ap);
        va_end(ap);
        if (pipe2(out, O_CLOEXEC) < 0)
                return -errno;
        p->pid = spawn(argv, out[1], -1);
        close(out[1]);
        p->fd = out[0];
        if (p->pid <= 0)
                return -errno;
        for (size_t i = 0; i < MAX_STARTED; i++)
                if (started[i] == 0) {
                        started[i] = p->pid;
                        break;
                }
        return 0;
}

char *ctl_next_line(CtlProcess *p, int timeout_ms) {
        double deadline = harness_now() + timeout_ms / 1000.0;

        for (;;) {
                char *nl = memchr(p->buf, '\n', p->len);
                if (nl) {
                        size_t n = nl - p->buf;
                        char *line = strndup(p->buf, n);
                        memmove(p->buf, nl + 1, p->len - n - 1);
                        p->len -= n + 1;
                        return line;
                }
                double left = deadline - harness_now();
                if (left <= 0 || p->fd < 0 || p->len == sizeof p->buf)
                        return NULL;
                struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
                if (poll(&pfd, 1, (int) (left * 1000) + 1) <= 0)
                        continue;
                ssize_t n = read(p->fd, p->buf + p->len, sizeof p->buf - p->len);
                if (n <= 0) {
                        close(p->fd);
                        p->fd = -1;
                } else
                        p->len += n;
        }
}

int ctl_stop(CtlProcess *p, int sig) {
        int status = 0;

        if (p->pid <= 0)
                return 0;
        kill(p->pid, sig);
        bool gone = false;
        for (int i = 0; i < 500 && !gone; i++) {
                gone = waitpid(p->pid, &status, WNOHANG) == p->pid;
                if (!gone)
                        usleep(10000);
        }
        if (!gone) {
                fprintf(stderr, "ctl: PID %d ignored signal %d for 5 s, killing it\n", (int) p->pid, sig);
                kill(p->pid, SIGKILL);
                waitpid(p->pid, &status, 0);
        }
        forget(p->pid);
        p->pid = 0;
        if (p->fd >= 0)
                close(p->fd);
        p->fd = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void ctl_stop_all(void) {
        for (size_t i = 0; i < MAX_STARTED; i++)
                if (started[i] > 0) {
                        kill(started[i], SIGKILL);
                        waitpid(started[i], NULL, 0);
                        started[i] = 0;
                }
}
