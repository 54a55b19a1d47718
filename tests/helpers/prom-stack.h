/* The real Prometheus parts for the metrics tests: node-exporter with its
 * textfile collector only and a Prometheus server scraping it, both on
 * 127.0.0.1 (free ports), with their files in a private folder, dying with
 * the test and stopped by PID; PromQL through the HTTP API (curl). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

typedef struct PromStack {
        char textdir[512];      /* node-exporter's --collector.textfile.directory */
        char prom_url[128];     /* http://127.0.0.1:PORT */
        char exporter_url[128]; /* http://127.0.0.1:PORT/metrics */
        pid_t exporter_pid, prom_pid;
} PromStack;

/* Starts both in dir (textdir = dir/textfile, created), Prometheus
 * scraping every scrape_interval (e.g. "1s"); waits until both answer.
 * Returns 0, or -errno having said on stderr what failed (the logs are
 * dir/node-exporter.log, dir/prometheus.log). */
int prom_stack_start(PromStack *s, const char *dir, const char *scrape_interval, int timeout_s);
/* SIGTERM, 10 s, SIGKILL, by PID; safe to call twice. */
void prom_stack_stop(PromStack *s);

/* The value of the query's only series (NaN if none or not one), with its
 * labels if ret_metric (json_decref them). */
double prom_query_one(const PromStack *s, const char *promql, json_t **ret_metric);
/* Every series of the query's result (an array of {"metric", "value"}),
 * or NULL if the query failed; json_decref it. */
json_t *prom_query_all(const PromStack *s, const char *promql);
/* Seconds until the query's value is want, or -1 if not within timeout_s. */
double prom_wait_value(const PromStack *s, const char *promql, double want, int timeout_s);
/* Seconds until the query's value is non-NaN and pass(value), or -1. */
double prom_wait_until(const PromStack *s, const char *promql, bool (*pass)(double value, void *userdata),
                       void *userdata, int timeout_s, double *ret_value);

/* promtool check metrics on text (via a file in dir): its exit status,
 * its complaints (stdout and stderr) in *out. */
int prom_check_metrics(const char *dir, const char *text, char **out);
