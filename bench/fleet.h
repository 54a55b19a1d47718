/* "The hostname and IP addresses of every VM", read three ways: from
 * guestinfod (one GetManagedObjects, one ListSummaries, or guestinfoctl
 * list), from libvirt-dbus (ListDomains, then GetHostname +
 * InterfaceAddresses per domain) and from a virsh loop (virsh list, then
 * virsh domhostname + virsh domifaddr per domain). Shared by bench-fleet
 * (test driver) and bench-vms (real guests). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

/* What one read returned. */
typedef struct FleetCount {
        size_t vms;           /* objects / domains seen */
        size_t with_hostname; /* a non-empty hostname */
        size_t with_ip;       /* at least one IP address */
        size_t ips;           /* addresses in total */
        size_t errors;        /* failed calls or commands */
        double call_s;        /* guestinfod: the call alone, before the reply is read */
} FleetCount;

/* One GetManagedObjects, every object's Name, OS.Hostname and the
 * addresses of Interfaces read out of the reply. */
int fleet_read_guestinfod(sd_bus *bus, FleetCount *c);

/* One ListSummaries, every summary's name, hostname and addresses read out
 * of the reply. */
int fleet_read_guestinfod_summaries(sd_bus *bus, FleetCount *c);

/* The same two reads from another peer on the bus (dest), e.g. bench-floor,
 * which answers with guestinfod's own reply bytes. */
int fleet_read_objects_from(sd_bus *bus, const char *dest, FleetCount *c);
int fleet_read_summaries_from(sd_bus *bus, const char *dest, FleetCount *c);

/* guestinfod's two whole-fleet calls against their floor: bench-floor
 * (floor.c) on the same bus, answering with the bytes guestinfod replied
 * when it started, marshalling nothing. */
#define FLEET_FLOOR_NAME "org.guestinfod.BenchFloor"

typedef enum FleetCall {
        FLEET_LIST_SUMMARIES,
        FLEET_GET_MANAGED_OBJECTS,
        _FLEET_CALL_MAX,
} FleetCall;

typedef struct FleetFloor {
        pid_t pid; /* bench-floor */
        /* As bench-floor captured each call: the reply body's size, or the
         * error guestinfod answered (a reply too big for the bus), "" if
         * none. A refused call is not measured. */
        uint64_t bytes[_FLEET_CALL_MAX];
        char refused[_FLEET_CALL_MAX][128];
        /* fleet_floor_measure(), [call][0] guestinfod, [call][1] the floor:
         * the median read, what the last read returned, and CPU per read of
         * what answered, of dbus-daemon relaying it and of the reading
         * thread decoding it */
        int rounds;
        char load_before[64], load_after[64]; /* the machine's load average */
        double median[_FLEET_CALL_MAX][2];
        FleetCount count[_FLEET_CALL_MAX][2];
        double cpu_server[_FLEET_CALL_MAX][2], cpu_bus[_FLEET_CALL_MAX][2], cpu_reader[_FLEET_CALL_MAX][2];
} FleetFloor;

/* Starts bench-floor on bus (its log in dir), which asks guestinfod both
 * calls now and keeps the replies, and waits until it owns its name. f:
 * zeroed, or a former start (stopped first). */
int fleet_floor_start(sd_bus *bus, const char *dir, FleetFloor *f);
void fleet_floor_stop(FleetFloor *f);
/* What answers as guestinfod, for fleet_floor_measure(). */
typedef struct FleetServer {
        double (*cpu)(void *userdata); /* its CPU seconds so far */
        /* NULL, or run before each of its calls, untimed: e.g. the model
         * changed, so that the reply is built again */
        void (*before_call)(void *userdata);
        void *userdata;
        pid_t bus_pid; /* dbus-daemon */
} FleetServer;

/* Each call read from guestinfod and from the floor in turns (which one
 * first alternates), for rounds rounds (at most 64), after a warm-up of
 * each, by the same decoding code (fleet_read_*_from), so both see the
 * same load. */
void fleet_floor_measure(sd_bus *bus, FleetFloor *f, int rounds, const FleetServer *server);
/* Prints the measurement ("# " lines) and, for each call, a row of its
 * time against the target (ListSummaries ≤ 1.2×, GetManagedObjects ≤ 1.3×
 * the floor) and one of the whole read's CPU (no target: on a busy
 * machine the time follows it); what: "" or words after "N VMs" in the
 * metric, e.g. ", full guest data". */
void fleet_floor_report(const FleetFloor *f, size_t n, const char *what);

/* "N VMs, N with a hostname, ...": what a read returned (ring buffer). */
const char *fleet_describe(const FleetCount *c);

/* libvirt-dbus: ListDomains on root (e.g. /org/libvirt/Test), then
 * GetHostname(0) and InterfaceAddresses(source, 0) for every domain, up to
 * window calls in flight (its worker pool has 4 threads: it gets to use
 * them all). */
int fleet_read_libvirt_dbus(sd_bus *bus, const char *root, unsigned source, size_t window, FleetCount *c);

/* The virsh loop, timed per domain: "virsh list --name" once (*list_s),
 * then for the domains at sample[0..n_sample) "virsh domhostname D" and
 * "virsh domifaddr D [--source agent]", each pair timed into pair_s[].
 * names: every domain name from the list, returned (malloc'ed, NULL-ended)
 * so callers can pick the sample; pass NULL to time the list only. */
int fleet_virsh_list(const char *uri, double *list_s, char ***names, size_t *n_names);
int fleet_virsh_pair(const char *uri, const char *name, bool agent_source, double *pair_s, FleetCount *c);

/* The python3-libvirt script (bench/fleet-python.py): listAllDomains, then
 * hostname() and interfaceAddresses() per domain, one call at a time, run
 * as a process as a user runs it, with Debian's /usr/bin/python3 (where
 * python3-libvirt is). *script_s: its own time from the open to
 * the end (the interpreter's start left out). */
int fleet_read_python(const char *uri, bool agent_source, FleetCount *c, double *script_s);

/* guestinfoctl --user list, if build/cli/guestinfoctl exists: its lines
 * counted into c. Returns -ENOENT if it does not exist. */
int fleet_read_guestinfoctl(FleetCount *c);
const char *fleet_guestinfoctl_path(void);

void fleet_strv_free(char **l);
