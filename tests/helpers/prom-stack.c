#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "prom-stack.h"

/* Starts argv with stdout and stderr into log, dying with the test. */
static pid_t spawn(char *const argv[], const char *log) {
        pid_t pid = fork();
        if (pid == 0) {
                int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (fd >= 0)
                        dup2(fd, 1), dup2(fd, 2);
                execvp(argv[0], argv);
                _exit(127);
        }
        return pid;
}

static void stop_pid(pid_t *pid) {
        if (*pid <= 0)
                return;
        kill(*pid, SIGTERM);
        for (int k = 0; k < 200 && waitpid(*pid, NULL, WNOHANG) == 0; k++)
                usleep(50 * 1000);
        if (waitpid(*pid, NULL, WNOHANG) == 0) {
                kill(*pid, SIGKILL);
                waitpid(*pid, NULL, 0);
        }
        *pid = 0;
}

void prom_stack_stop(PromStack *s) {
        stop_pid(&s->prom_pid);
        stop_pid(&s->exporter_pid);
}

/* A port nothing listens on now (the kernel's pick). */
static int free_port(void) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof a;
        int port = -1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && bind(fd, (struct sockaddr *) &a, sizeof a) == 0 &&
            getsockname(fd, (struct sockaddr *) &a, &len) == 0)
                port = ntohs(a.sin_port);
        if (fd >= 0)
                close(fd);
        return port;
}

/* curl's output for url (with a PromQL query, url-encoded), or NULL. */
static char *curl(const char *url, const char *query) {
        char *out = NULL, data[4096];
        snprintf(data, sizeof data, "query=%s", query ? query : "");
        char *const with_query[] = { "curl", "-sS",        "--max-time", "5", "-G", "--data-urlencode",
                                     data,   (char *) url, NULL };
        char *const plain[] = { "curl", "-s", "--max-time", "5", "-f", (char *) url, NULL };
        if (harness_run(query ? with_query : plain, 10, &out) != 0) {
                free(out);
                return NULL;
        }
        return out;
}

static bool wait_url(const char *url, int timeout_s) {
        double end = harness_now() + timeout_s;
        while (harness_now() < end) {
                char *out = curl(url, NULL);
                free(out);
                if (out)
                        return true;
                usleep(200 * 1000);
        }
        return false;
}

static int write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "w");
        if (!f)
                return -errno;
        int r = fputs(text, f) < 0 ? -EIO : 0;
        if (fclose(f) != 0 && r == 0)
                r = -EIO;
        return r;
}

int prom_stack_start(PromStack *s, const char *dir, const char *scrape_interval, int timeout_s) {
        char config[600], log[600], dir_arg[700], cfg_arg[700], data_arg[700], listen_arg[100], yml[1024];
        int exporter_port = free_port(), prom_port = free_port();

        *s = (PromStack){};
        if (exporter_port < 0 || prom_port < 0) {
                fprintf(stderr, "prom-stack: no free port\n");
                return -EADDRINUSE;
        }
        snprintf(s->textdir, sizeof s->textdir, "%s/textfile", dir);
        if (mkdir(s->textdir, 0755) < 0)
                return -errno;

        /* node-exporter: the textfile collector only */
        snprintf(dir_arg, sizeof dir_arg, "--collector.textfile.directory=%s", s->textdir);
        snprintf(listen_arg, sizeof listen_arg, "--web.listen-address=127.0.0.1:%d", exporter_port);
        snprintf(log, sizeof log, "%s/node-exporter.log", dir);
        char *const exporter[] = { "prometheus-node-exporter",
                                   "--collector.disable-defaults",
                                   "--collector.textfile",
                                   dir_arg,
                                   listen_arg,
                                   NULL };
        s->exporter_pid = spawn(exporter, log);
        snprintf(s->exporter_url, sizeof s->exporter_url, "http://127.0.0.1:%d/metrics", exporter_port);

        /* Prometheus: a private config and database */
        snprintf(config, sizeof config, "%s/prometheus.yml", dir);
        snprintf(yml, sizeof yml,
                 "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n"
                 "scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:%d']\n",
                 scrape_interval, scrape_interval, exporter_port);
        if (write_file(config, yml) < 0)
                return -EIO;
        snprintf(cfg_arg, sizeof cfg_arg, "--config.file=%s", config);
        snprintf(data_arg, sizeof data_arg, "--storage.tsdb.path=%s/tsdb", dir);
        snprintf(listen_arg, sizeof listen_arg, "--web.listen-address=127.0.0.1:%d", prom_port);
        snprintf(log, sizeof log, "%s/prometheus.log", dir);
        char *const prometheus[] = { "prometheus", cfg_arg, data_arg, listen_arg, NULL };
        s->prom_pid = spawn(prometheus, log);
        snprintf(s->prom_url, sizeof s->prom_url, "http://127.0.0.1:%d", prom_port);

        if (s->exporter_pid < 0 || s->prom_pid < 0) {
                prom_stack_stop(s);
                return -ECHILD;
        }
        char ready[200];
        snprintf(ready, sizeof ready, "%s/-/ready", s->prom_url);
        if (!wait_url(s->exporter_url, timeout_s) || !wait_url(ready, timeout_s)) {
                fprintf(stderr, "prom-stack: node-exporter or Prometheus did not answer (logs in %s)\n", dir);
                prom_stack_stop(s);
                return -ETIMEDOUT;
        }
        return 0;
}

double prom_query_one(const PromStack *s, const char *promql, json_t **ret_metric) {
        char url[200];
        double v = NAN;

        snprintf(url, sizeof url, "%s/api/v1/query", s->prom_url);
        char *out = curl(url, promql);
        if (!out)
                return NAN;
        json_t *j = json_loads(out, 0, NULL);
        free(out);
        json_t *result = json_object_get(json_object_get(j, "data"), "result");
        if (json_array_size(result) == 1) {
                json_t *sample = json_array_get(result, 0);
                const char *text = json_string_value(json_array_get(json_object_get(sample, "value"), 1));
                if (text)
                        v = strtod(text, NULL);
                if (ret_metric)
                        *ret_metric = json_incref(json_object_get(sample, "metric"));
        }
        json_decref(j);
        return v;
}

json_t *prom_query_all(const PromStack *s, const char *promql) {
        char url[200];

        snprintf(url, sizeof url, "%s/api/v1/query", s->prom_url);
        char *out = curl(url, promql);
        if (!out)
                return NULL;
        json_t *j = json_loads(out, 0, NULL);
        free(out);
        json_t *result = json_incref(json_object_get(json_object_get(j, "data"), "result"));
        json_decref(j);
        if (result && !json_is_array(result)) {
                json_decref(result);
                result = NULL;
        }
        return result;
}

static bool equals(double value, void *userdata) {
        return value == *(double *) userdata;
}

double prom_wait_until(const PromStack *s, const char *promql, bool (*pass)(double value, void *userdata),
                       void *userdata, int timeout_s, double *ret_value) {
        double start = harness_now();
        while (harness_now() < start + timeout_s) {
                double v = prom_query_one(s, promql, NULL);
                if (!isnan(v) && pass(v, userdata)) {
                        if (ret_value)
                                *ret_value = v;
                        return harness_now() - start;
                }
                usleep(100 * 1000);
        }
        return -1;
}

double prom_wait_value(const PromStack *s, const char *promql, double want, int timeout_s) {
        return prom_wait_until(s, promql, equals, &want, timeout_s, NULL);
}

int prom_check_metrics(const char *dir, const char *text, char **out) {
        char path[512], cmd[1200];
        snprintf(path, sizeof path, "%s/check.prom", dir);
        if (write_file(path, text) < 0)
                return -EIO;
        snprintf(cmd, sizeof cmd, "promtool check metrics < '%s' 2>&1", path);
        char *const argv[] = { "sh", "-c", cmd, NULL };
        return harness_run(argv, 30, out);
}
