/* Running the build's guestinfoctl as a user would: a subprocess, its stdout
 * and stderr captured apart, on a pipe or a pseudo-terminal, within a time
 * limit; or left running (watch), read line by line, stopped by PID. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

typedef struct CtlResult {
        int status;     /* exit status; 128 + signal if killed; -ETIME if it overran */
        char *out;      /* stdout, never NULL after ctl_run */
        char *err;      /* stderr, never NULL after ctl_run */
        double seconds; /* how long it ran */
} CtlResult;

/* Runs guestinfoctl with the arguments (NULL-terminated). tty: stdout is a
 * pseudo-terminal (raw, so lines end in "\n" alone). Returns res->status. */
int ctl_run(CtlResult *res, bool tty, int timeout_s, ...);
void ctl_result_free(CtlResult *res);

/* Counts the lines of s. */
size_t ctl_count_lines(const char *s);

typedef struct CtlProcess {
        pid_t pid;
        int fd;          /* its stdout */
        char buf[65536]; /* read but not yet returned */
        size_t len;
} CtlProcess;

/* Starts guestinfoctl with the arguments (NULL-terminated), stdout on a pipe. */
int ctl_start(CtlProcess *p, ...);
/* The next line of its stdout without "\n" (malloc'ed), or NULL if none
 * came within timeout_ms or it closed stdout. */
char *ctl_next_line(CtlProcess *p, int timeout_ms);
/* Sends sig, waits up to 5 s, then SIGKILL. Returns the exit status (128 +
 * signal if killed). */
int ctl_stop(CtlProcess *p, int sig);
/* Kills and reaps, by PID, every process ctl_start() started that is still
 * there (a test that failed halfway): for test teardowns. */
void ctl_stop_all(void);
