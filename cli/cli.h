/* guestinfoctl: what every part of the client shares — the exit codes, the
 * parsed command line, and the one way to report an error. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

#define PROGRAM_NAME "guestinfoctl"

/* Documented in guestinfoctl --help and guestinfoctl(1); scripts rely on them.
 *
 * Inside the client every function returns 0 (or a count) on success and a
 * negative errno on failure; one that failed after saying why returns one
 * of the errnos below (or -EIO, -ENOMEM for EXIT_FAILED: never a raw
 * errno, which might name another code), and only main() turns it into the
 * exit code (exit_code_from_errno). */
typedef enum ExitCode {
        EXIT_OK = 0,
        EXIT_FAILED = 1,        /* anything not listed below, e.g. the agent did not answer */
        EXIT_USAGE = 2,         /* bad command line */
        EXIT_NO_SUCH_VM = 3,    /* no VM with that name or UUID */
        EXIT_NOT_RUNNING = 4,   /* guestinfod is not on the bus, or the bus cannot be reached */
        EXIT_ACCESS_DENIED = 5, /* the bus policy or polkit said no */
        EXIT_NO_AGENT = 6,      /* the VM's guest agent is not connected or has not answered */
        EXIT_TIMEOUT = 7,       /* guestinfod (or the bus) did not answer in time */
} ExitCode;

#define METRICS_INTERVAL_USEC (5ULL * 1000000ULL) /* metrics --interval default */

typedef enum BusTarget {
        BUS_TARGET_SYSTEM,
        BUS_TARGET_USER,
        BUS_TARGET_ADDRESS,
        BUS_TARGET_REMOTE,
} BusTarget;

typedef struct CliOptions {
        BusTarget target;
        const char *address;   /* --address */
        const char *host;      /* -H */
        uint64_t timeout_usec; /* 0: the command's default */
        bool ask_password;     /* polkit may ask interactively */
        bool json;
        bool names;             /* list --names, for shell completion */
        const char *textfile;   /* metrics --textfile DIR */
        uint64_t interval_usec; /* metrics --interval */
} CliOptions;

/* The errno for each exit code, and back; any other failure is EXIT_FAILED. */
#define ERRNO_USAGE (-EINVAL)
#define ERRNO_NO_SUCH_VM (-ENOENT)
#define ERRNO_NOT_RUNNING (-ENOTCONN)
#define ERRNO_ACCESS_DENIED (-EACCES)
#define ERRNO_NO_AGENT (-ENODEV)
#define ERRNO_TIMEOUT (-ETIMEDOUT)
int exit_code_from_errno(int r);
int errno_from_exit_code(int code);

/* Prints "guestinfoctl: MESSAGE" as one line on stderr and returns r (a
 * negative errno), so callers can write "return cli_error(-EINVAL, ...)". */
int cli_error(int r, const char *format, ...) _printf_(2, 3);
