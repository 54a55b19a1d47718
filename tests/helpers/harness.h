/* Test harness: real daemons started by the test, stopped by PID.
 *
 * A private dbus-daemon, a hand-started libvirtd (tests/vm/libvirtd.sh), and
 * guestinfod itself, with a client bus connection that records every signal
 * the daemon emits as one line of text. Children die with the test
 * (PR_SET_PDEATHSIG) and harness_cleanup() stops them by PID. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#define HARNESS_MAX_LINES 8192

typedef struct Harness {
        char dir[256]; /* private temporary folder, removed at cleanup */
        pid_t bus_pid;
        char bus_address[512];
        char libvirtd_state[300]; /* tests/vm/libvirtd.sh STATE_DIR, "" if not started */
        char libvirtd_driver[16];
        char uri[1024];
        pid_t daemon_pid;
        char daemon_log[300];
        double ready_seconds; /* start of guestinfod to READY=1 */

        sd_bus *bus; /* the test's client connection */
        char *lines[HARNESS_MAX_LINES];
        size_t n_lines;
} Harness;

/* Paths of the source and build trees, from the environment meson sets. */
const char *harness_source_root(void);
const char *harness_build_root(void);

int harness_init(Harness *h);
void harness_cleanup(Harness *h);

/* The group setups the suites share; each says on stderr which step failed.
 * harness_setup(): harness_init(), a private bus and the client connection
 * on it (harness_connect_client()). */
int harness_setup(Harness *h);
/* harness_setup(), libvirtd with the test driver, and guestinfod on it
 * (extra arguments may follow, NULL-terminated), ready within timeout_s. */
int harness_setup_test_daemon(Harness *h, int timeout_s, ...);

int harness_start_bus(Harness *h);
/* A system-type bus (deny by default, like Debian's), including
 * /usr/share/dbus-1/system.d and includedir; sets DBUS_SYSTEM_BUS_ADDRESS. */
int harness_start_system_bus(Harness *h, const char *includedir);
/* driver: "test" or "qemu". Sets h->uri. */
int harness_start_libvirtd(Harness *h, const char *driver);
int harness_stop_libvirtd(Harness *h);
/* Kill libvirtd with SIGKILL (a crash), by PID. */
int harness_kill_libvirtd(Harness *h);
/* Starts guestinfod on the private bus (--user) for uri, waits for READY=1
 * (timeout_s). Extra arguments may follow, NULL-terminated. */
int harness_start_daemon(Harness *h, const char *uri, int timeout_s, ...);
/* The same with a full command line of one's own. */
int harness_start_daemon_argv(Harness *h, char *const argv[], int timeout_s);
/* SIGTERM; returns the daemon's exit status (0: a clean exit). */
int harness_stop_daemon(Harness *h);
bool harness_daemon_running(Harness *h);
/* Some line of the daemon's log (stdout and stderr) contains needle. */
bool harness_daemon_log_contains(Harness *h, const char *needle);

/* Runs argv with a time limit; stdout goes to *out if given (malloc'ed).
 * Returns the exit status, or -ETIME / -errno. */
int harness_run(char *const argv[], int timeout_s, char **out);
/* virsh -c h->uri with a shell-split command line, e.g. "start vm1". */
int harness_virsh(Harness *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes a test-driver domain XML to the harness folder and returns its path. */
const char *harness_test_domain_xml(Harness *h, const char *name, const char *uuid);

/* Signal recording. Lines look like:
 *   InterfacesAdded <uuid> Name=vm1 UUID=... State=shutoff Persistent=true Id=-1
 *   InterfacesRemoved <uuid> Domain Network        (our interfaces, short names)
 *   PropertiesChanged <uuid> State=running Id=3
 *   PropertiesChanged manager Connected=false
 * where <uuid> is the domain's UUID decoded from its object path. */
int harness_connect_client(Harness *h);
/* Processes the bus until a line containing needle arrives (true) or
 * timeout_ms passes (false). Lines already recorded count. */
bool harness_wait_line(Harness *h, const char *needle, int timeout_ms);
/* Processes the bus for ms milliseconds. */
void harness_settle(Harness *h, int ms);
void harness_clear_lines(Harness *h);
/* All recorded lines joined with '\n' (static buffer), for messages and
 * exact comparisons. */
const char *harness_lines(Harness *h);

/* Convenience reads through the client connection. */
int harness_get_property(Harness *h, const char *path, const char *iface, const char *prop, char type, void *ret);
int harness_domain_path(const char *uuid, char **ret);

/* 0 if the running daemon's Introspect of path has exactly the interface
 * block of dbus/<iface>.xml (lines trimmed, comments ignored); prints both
 * otherwise. */
int harness_introspection_matches(Harness *h, const char *path, const char *iface);

double harness_now(void);
