/* "The hostname and IP addresses of every VM", read three ways: from
 * guestinfod (one GetManagedObjects, one ListSummaries, or guestinfoctl
 * list), from libvirt-dbus (ListDomains, then GetHostname +
 * InterfaceAddresses per domain) and from a virsh loop (virsh list, then
 * virsh domhostname + virsh domifaddr per domain). Shared by bench-fleet
 * (test driver) and bench-vms (real guests). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

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
