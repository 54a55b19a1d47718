/* Shared parts of the benchmarks: statistics, the result table, processes
 * started and stopped by PID, and the libvirt and libvirt-dbus set-ups.
 *
 * Every benchmark prints human-readable lines starting with "# " and one
 * line per table row:
 *   RESULT<TAB>metric<TAB>guestinfod<TAB>peer<TAB>peer value<TAB>ratio<TAB>target<TAB>met
 * bench/run collects the RESULT lines of every benchmark into one table. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <systemd/sd-bus.h>

#define BENCH_BUS_NAME "org.guestinfod.GuestInfo1"
#define BENCH_MANAGER_PATH "/org/guestinfod/GuestInfo1"
#define BENCH_MANAGER_IFACE "org.guestinfod.GuestInfo1.Manager"
#define BENCH_DOMAIN_PREFIX "/org/guestinfod/GuestInfo1/domain"
#define BENCH_DOMAIN_IFACE "org.guestinfod.GuestInfo1.Domain"
#define BENCH_OS_IFACE "org.guestinfod.GuestInfo1.OS"
#define BENCH_NETWORK_IFACE "org.guestinfod.GuestInfo1.Network"

/* CLOCK_MONOTONIC seconds. */
double bench_now(void);

/* Sort v in place and return the median / the p-th percentile (nearest
 * rank, 0 < p <= 100). n must be > 0. */
double bench_median(double *v, size_t n);
double bench_percentile(double *v, size_t n, double p);

/* Human units. Each returns one of a ring of static buffers, so a few may be
 * used in one printf. */
const char *bench_fmt_time(double seconds);
const char *bench_fmt_bytes(double bytes);
const char *bench_fmt_ratio(double ratio);

/* One row of the final table. met: "yes", "NO" or "-" (no target). */
void bench_row(const char *metric, const char *guestinfod, const char *peer, const char *peer_value, const char *ratio,
               const char *target, const char *met);
static inline const char *bench_met(bool ok) {
        return ok ? "yes" : "NO";
}

/* Call after harness_init(): libvirt quiet; SIGINT, SIGTERM and SIGALRM
 * (after limit_s seconds) run the cleanups (bench_on_exit) and exit. */
void bench_init(int limit_s);
/* Called on every exit path, signals and time limit included. */
void bench_on_exit(void (*fn)(void));

/* fork+exec with PR_SET_PDEATHSIG: the child dies with us. stdout and
 * stderr go to log_path (NULL: /dev/null). env_add: NAME=VALUE strings. */
pid_t bench_spawn(char *const argv[], char *const env_add[], const char *log_path);
/* TERM, 5 s, then KILL; reaps. Returns the exit status or 128+signal. */
int bench_stop(pid_t *pid);
/* Runs argv to the end (at most timeout_s), stdout captured into *out if
 * out is not NULL (malloc'ed), stderr to /dev/null. Returns the exit status,
 * or -ETIME. No polling delays: meant to be timed. */
int bench_run(char *const argv[], int timeout_s, char **out);

/* Path of a file in the build tree / source tree (static ring buffer). */
const char *bench_build_path(const char *rel);
const char *bench_source_path(const char *rel);

/* The domain XML every test-driver benchmark uses: one NIC on network
 * "default" with a fixed MAC and an <ip> element (the address the domain's
 * own XML declares). index selects name, UUID, MAC and IP. */
char *bench_domain_xml(const char *prefix, size_t index);
void bench_domain_uuid(size_t index, char uuid[37]);
/* Writes a test-driver node XML holding network "default" and n domains. */
int bench_write_node_xml(const char *path, const char *prefix, size_t n);
/* Defines domains [first, first + n) on c (and starts them if start). */
int bench_define_domains(virConnectPtr c, const char *prefix, size_t first, size_t n, bool start);
/* Removes the test driver's own "test" domain, so counts are exact. */
void bench_remove_default_domain(virConnectPtr c);

/* libvirt-dbus 1.4 on the session bus (DBUS_SESSION_BUS_ADDRESS), its
 * connection for from_uri ("test:///default", "qemu:///session") redirected
 * to to_uri by bench-uri-shim.so (LD_PRELOAD): libvirt-dbus has fixed URIs.
 * Waits until it owns org.libvirt. Returns its PID or a negative errno. */
pid_t bench_start_libvirt_dbus(const char *from_uri, const char *to_uri, const char *log_path);

/* Waits (at most timeout_ms) until name has an owner on bus. */
int bench_wait_name(sd_bus *bus, const char *name, int timeout_ms);

/* Calls a method and returns the reply, with a timeout in seconds. */
int bench_call(sd_bus *bus, const char *dest, const char *path, const char *iface, const char *member, int timeout_s,
               sd_bus_message **reply, const char *types, ...);

/* CPU time (user + system, all threads) of a process so far, in seconds;
 * pid 0: this process. Clock-tick resolution (10 ms): for spans of seconds. */
double bench_cpu_seconds(pid_t pid);

/* CPU time so far of a process's main thread, its only one for dbus-daemon
 * and bench-floor, in seconds (from /proc/PID/schedstat: nanoseconds, for
 * spans well under a tick); NAN if unknown. */
double bench_main_thread_cpu_seconds(pid_t pid);
/* CPU time of one thread of this process so far, in seconds (nanosecond
 * resolution); NAN if unknown. */
double bench_thread_cpu_seconds(pthread_t thread);

/* The machine's load average (1, 5, 15 min), in a static buffer. */
const char *bench_loadavg(void);

/* The PID written in a pidfile, 0 if none. */
pid_t bench_pid_from_file(const char *path);

/* VmRSS / VmHWM of a process in bytes (0 if unknown). */
uint64_t bench_rss(pid_t pid, const char *field);
