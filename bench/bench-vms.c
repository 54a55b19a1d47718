/* 2 and 6 on real guests (bench/run --vms): three tiny VMs (tests/vm,
 * TCG) with the real qemu-guest-agent under a hand-started libvirtd with
 * the QEMU driver.
 *
 *   freshness   agent connected (libvirt's agent-lifecycle event, seen by
 *               this program's own libvirt connection) → guestinfod's
 *               InterfacesAdded with the OS interface; against the agent's
 *               own answer time (guest-info + virDomainGetGuestInfo + the
 *               live XML, what one collection asks, timed here)
 *   changes     guest-exec "hostname NEW; ip addr add ADDR dev eth0" →
 *               PropertiesChanged(Hostname) and (Interfaces), with the
 *               default intervals (hostname 60 s, interfaces 10 s), then
 *               with --interval hostname=2 --interval interfaces=2
 *   fleet       hostname and IPs of the 3 VMs: guestinfod's one call
 *               against libvirt-dbus (GetHostname + InterfaceAddresses
 *               from the agent) and the virsh loop (domhostname +
 *               domifaddr --source agent) */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/libvirt-qemu.h>

#include "bench.h"
#include "fleet.h"
#include "guest.h"
#include "harness.h"

#define N_VMS 3
#define SHORT_INTERVAL 2

static Harness H;
static pid_t ldbus_pid;

static void cleanup(void) {
        bench_stop(&ldbus_pid);
        harness_cleanup(&H);
}

typedef struct Vm {
        char name[32], uuid[37], path[256];
        virDomainPtr dom;
        double agent_connected; /* libvirt's event, as this program saw it */
        double os_published;    /* guestinfod's InterfacesAdded with OS */
        char hostname[128];
        double hostname_time;
        char want_ip[32]; /* the address being waited for */
        double ip_time;
} Vm;

static Vm vms[N_VMS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static Vm *vm_by_path(const char *path) {
        for (int i = 0; i < N_VMS; i++)
                if (strcmp(vms[i].path, path) == 0)
                        return &vms[i];
        return NULL;
}

/* --- libvirt's agent events, on their own thread --- */

static void *event_loop(void *arg) {
        for (;;)
                if (virEventRunDefaultImpl() < 0)
                        usleep(1000);
        return NULL;
}

static int on_agent(virConnectPtr c, virDomainPtr d, int state, int reason, void *opaque) {
        double t = bench_now();
        const char *name = virDomainGetName(d);
        if (state != VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED || !name)
                return 0;
        pthread_mutex_lock(&lock);
        for (int i = 0; i < N_VMS; i++)
                if (strcmp(vms[i].name, name) == 0 && vms[i].agent_connected == 0)
                        vms[i].agent_connected = t;
        pthread_mutex_unlock(&lock);
        return 0;
}

/* --- guestinfod's signals --- */

static void read_hostname_props(sd_bus_message *m, Vm *vm, double t) {
        if (sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
                return;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                const char *prop, *value;
                sd_bus_message_read(m, "s", &prop);
                if (strcmp(prop, "Hostname") == 0 && sd_bus_message_read(m, "v", "s", &value) >= 0) {
                        snprintf(vm->hostname, sizeof vm->hostname, "%s", value);
                        vm->hostname_time = t;
                } else
                        sd_bus_message_skip(m, "v");
                sd_bus_message_exit_container(m);
        }
        sd_bus_message_exit_container(m);
}

static void read_interfaces_props(sd_bus_message *m, Vm *vm, double t) {
        if (sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
                return;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                const char *prop;
                sd_bus_message_read(m, "s", &prop);
                if (strcmp(prop, "Interfaces") != 0 ||
                    sd_bus_message_enter_container(m, 'v', "a(sssa(ssy)asa{sv})") < 0) {
                        sd_bus_message_skip(m, "v");
                        sd_bus_message_exit_container(m);
                        continue;
                }
                sd_bus_message_enter_container(m, 'a', "(sssa(ssy)asa{sv})");
                while (sd_bus_message_enter_container(m, 'r', "sssa(ssy)asa{sv}") > 0) {
                        const char *a, *b, *c, *family, *ip;
                        uint8_t prefix;
                        sd_bus_message_read(m, "sss", &a, &b, &c);
                        sd_bus_message_enter_container(m, 'a', "(ssy)");
                        while (sd_bus_message_read(m, "(ssy)", &family, &ip, &prefix) > 0)
                                if (vm->want_ip[0] && strcmp(ip, vm->want_ip) == 0 && vm->ip_time == 0)
                                        vm->ip_time = t;
                        sd_bus_message_exit_container(m);
                        sd_bus_message_skip(m, "asa{sv}");
                        sd_bus_message_exit_container(m);
                }
                sd_bus_message_exit_container(m);
                sd_bus_message_exit_container(m);
                sd_bus_message_exit_container(m);
        }
        sd_bus_message_exit_container(m);
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        double t = bench_now();
        const char *member = sd_bus_message_get_member(m), *path, *iface;
        Vm *vm;

        if (member && strcmp(member, "InterfacesAdded") == 0) {
                if (sd_bus_message_read(m, "o", &path) < 0 || !(vm = vm_by_path(path)))
                        return 0;
                sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
                while (sd_bus_message_enter_container(m, 'e', "sa{sv}") > 0) {
                        sd_bus_message_read(m, "s", &iface);
                        if (strcmp(iface, BENCH_OS_IFACE) == 0) {
                                if (vm->os_published == 0)
                                        vm->os_published = t;
                                read_hostname_props(m, vm, t);
                        } else
                                sd_bus_message_skip(m, "a{sv}");
                        sd_bus_message_exit_container(m);
                }
        } else if (member && strcmp(member, "PropertiesChanged") == 0) {
                if (!(vm = vm_by_path(sd_bus_message_get_path(m))) || sd_bus_message_read(m, "s", &iface) < 0)
                        return 0;
                if (strcmp(iface, BENCH_OS_IFACE) == 0)
                        read_hostname_props(m, vm, t);
                else if (strcmp(iface, BENCH_NETWORK_IFACE) == 0)
                        read_interfaces_props(m, vm, t);
        }
        return 0;
}

static void pump(sd_bus *bus, double seconds) {
        double end = bench_now() + seconds;
        while (bench_now() < end) {
                int r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return;
                if (r == 0)
                        sd_bus_wait(bus, 20000);
        }
}

static bool all_published(void) {
        for (int i = 0; i < N_VMS; i++)
                if (vms[i].os_published == 0)
                        return false;
        return true;
}

/* --- the agent --- */

/* Runs a shell command line in the guest through guest-exec (it returns
 * once the guest started it). */
static int guest_exec(Vm *vm, const char *cmdline) {
        char json[1024];
        snprintf(json, sizeof json,
                 "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/bin/sh\",\"arg\":[\"-c\",\"%s\"]}}", cmdline);
        char *reply = virDomainQemuAgentCommand(vm->dom, json, 30, 0);
        if (!reply) {
                fprintf(stderr, "bench-vms: guest-exec in %s failed: %s\n", vm->name, virGetLastErrorMessage());
                return -EIO;
        }
        free(reply);
        return 0;
}

/* What one full collection asks the agent, timed. */
static double agent_answer(Vm *vm) {
        double t0 = bench_now();
        char *info = virDomainQemuAgentCommand(vm->dom, "{\"execute\":\"guest-info\"}", 30, 0);
        virTypedParameterPtr params = NULL;
        int n = 0;
        int r = virDomainGetGuestInfo(vm->dom, 0, &params, &n, 0);
        char *xml = virDomainGetXMLDesc(vm->dom, 0);
        double t = bench_now() - t0;
        if (r >= 0)
                virTypedParamsFree(params, n);
        bool ok = info && r >= 0 && xml;
        free(info);
        free(xml);
        return ok ? t : NAN;
}

/* --- changes in the guests --- */

typedef struct Samples {
        double hostname[64], ip[64];
        size_t n_hostname, n_ip, lost;
} Samples;

/* One change in one guest, on its own thread so the main thread keeps
 * reading the bus (signal times stay exact): after delay_s, run cmd. */
typedef struct Change {
        Vm *vm;
        double delay_s;
        char cmd[256];
        double t0; /* when it was issued; NAN if guest-exec failed */
        pthread_t thread;
} Change;

static void *do_change(void *userdata) {
        Change *c = userdata;
        usleep((useconds_t) (c->delay_s * 1e6));
        double t0 = bench_now();
        if (guest_exec(c->vm, c->cmd) < 0)
                t0 = NAN;
        pthread_mutex_lock(&lock);
        c->t0 = t0;
        pthread_mutex_unlock(&lock);
        return NULL;
}

/* One round: each VM, at its own random moment within spread_s (so the
 * change lands at a random phase of the daemon's refresh timer), changes
 * its hostname and gains an address. Waits for both properties on every VM
 * (at most timeout_s after the last change). */
static void change_round(sd_bus *bus, int round, double spread_s, double timeout_s, Samples *s) {
        Change ch[N_VMS];
        char want_host[N_VMS][64];

        for (int i = 0; i < N_VMS; i++) {
                snprintf(want_host[i], sizeof want_host[i], "bench-vm%d-r%d", i + 1, round);
                snprintf(vms[i].want_ip, sizeof vms[i].want_ip, "10.77.%d.%d", i + 1, round + 10);
                vms[i].ip_time = 0;
                ch[i] = (Change){ .vm = &vms[i], .delay_s = drand48() * spread_s, .t0 = 0 };
                snprintf(ch[i].cmd, sizeof ch[i].cmd, "hostname %s; ip addr add %s/24 dev eth0", want_host[i],
                         vms[i].want_ip);
                pthread_create(&ch[i].thread, NULL, do_change, &ch[i]);
        }
        double deadline = bench_now() + spread_s + timeout_s;
        bool done = false;
        while (!done && bench_now() < deadline) {
                pump(bus, 0.01);
                done = true;
                for (int i = 0; i < N_VMS; i++) {
                        pthread_mutex_lock(&lock);
                        double t0 = ch[i].t0;
                        pthread_mutex_unlock(&lock);
                        bool arrived = strcmp(vms[i].hostname, want_host[i]) == 0 && vms[i].ip_time > 0;
                        if (t0 == 0 || (!isnan(t0) && !arrived))
                                done = false;
                }
        }
        for (int i = 0; i < N_VMS; i++) {
                pthread_join(ch[i].thread, NULL);
                double t0 = ch[i].t0;
                if (isnan(t0) || t0 == 0) {
                        s->lost += 2;
                        continue;
                }
                if (strcmp(vms[i].hostname, want_host[i]) == 0 && s->n_hostname < 64)
                        s->hostname[s->n_hostname++] = vms[i].hostname_time - t0;
                else
                        s->lost++;
                if (vms[i].ip_time > 0 && s->n_ip < 64)
                        s->ip[s->n_ip++] = vms[i].ip_time - t0;
                else
                        s->lost++;
                vms[i].want_ip[0] = '\0';
        }
}

static void freshness_rows(const char *label, int host_interval, int if_interval, double agent_t, Samples *s) {
        char metric[160], peer[64], target[64];
        for (int k = 0; k < 2; k++) {
                double *v = k == 0 ? s->hostname : s->ip;
                size_t n = k == 0 ? s->n_hostname : s->n_ip;
                int interval = k == 0 ? host_interval : if_interval;
                if (n == 0) {
                        snprintf(metric, sizeof metric, "fresh, 3 real VMs: %s change → property (%s)",
                                 k == 0 ? "hostname" : "new IP", label);
                        bench_row(metric, "no change arrived", "-", "-", "-", "-", "NO");
                        continue;
                }
                double med = bench_median(v, n), max = v[n - 1];
                printf("# %s, %s: %zu samples, median %s, max %s (interval %d s)\n", label,
                       k == 0 ? "hostname" : "new IP", n, bench_fmt_time(med), bench_fmt_time(max), interval);
                snprintf(metric, sizeof metric, "fresh, 3 real VMs: %s change → property (%s), median of %zu",
                         k == 0 ? "hostname" : "new IP", label, n);
                snprintf(peer, sizeof peer, "%d s", interval);
                snprintf(target, sizeof target, "max ≤ interval + 0.5 s + 2 answers");
                char gi[64];
                snprintf(gi, sizeof gi, "%s (max %s)", bench_fmt_time(med), bench_fmt_time(max));
                bench_row(metric, gi, "configured --interval", peer, bench_fmt_ratio(med / interval), target,
                          bench_met(s->lost == 0 && max <= interval + 0.5 + 2 * agent_t));
        }
}

int main(int argc, char *argv[]) {
        int rounds = 5;
        static const struct option options[] = {
                { "rounds", required_argument, NULL, 'r' },
                {},
        };
        for (int c; (c = getopt_long(argc, argv, "", options, NULL)) >= 0;)
                if (c == 'r')
                        rounds = atoi(optarg);
                else
                        return 2;
        if (rounds < 1 || rounds > 20)
                rounds = 5;

        if (harness_init(&H) < 0)
                return 1;
        bench_init(1200);
        bench_on_exit(cleanup);

        char guest_dir[400];
        snprintf(guest_dir, sizeof guest_dir, "%s/guest", H.dir);
        double t0 = bench_now();
        if (harness_start_bus(&H) < 0 || guest_build(&H, "guest.env", guest_dir) != 0 ||
            harness_start_libvirtd(&H, "qemu") < 0) {
                fprintf(stderr, "bench-vms: cannot build the guest or start libvirtd\n");
                return 1;
        }
        printf("# guest built and libvirtd up in %s\n", bench_fmt_time(bench_now() - t0));

        virEventRegisterDefaultImpl();
        pthread_t thread;
        pthread_create(&thread, NULL, event_loop, NULL);
        pthread_detach(thread);
        virConnectPtr conn = virConnectOpen(H.uri), evconn = virConnectOpen(H.uri);
        if (!conn || !evconn)
                return 1;
        if (virConnectDomainEventRegisterAny(evconn, NULL, VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE,
                                             VIR_DOMAIN_EVENT_CALLBACK(on_agent), NULL, NULL) < 0)
                return 1;
        for (int i = 0; i < N_VMS; i++) {
                Vm *vm = &vms[i];
                char *path = NULL;
                snprintf(vm->name, sizeof vm->name, "bench-vm%d", i + 1);
                snprintf(vm->uuid, sizeof vm->uuid, "be0c0000-0000-4000-8000-0000000a000%d", i + 1);
                harness_domain_path(vm->uuid, &path);
                snprintf(vm->path, sizeof vm->path, "%s", path);
                free(path);
                if (guest_define(&H, vm->name, vm->uuid, "guest.env", guest_dir, true) != 0 ||
                    !(vm->dom = virDomainLookupByName(conn, vm->name))) {
                        fprintf(stderr, "bench-vms: cannot define %s\n", vm->name);
                        return 1;
                }
        }

        sd_bus *bus = NULL;
        if (sd_bus_open_user(&bus) < 0 ||
            sd_bus_match_signal(bus, NULL, NULL, NULL, "org.freedesktop.DBus.ObjectManager", "InterfacesAdded",
                                on_signal, NULL) < 0 ||
            sd_bus_match_signal(bus, NULL, NULL, NULL, "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                on_signal, NULL) < 0)
                return 1;

        /* --- phase 1: default intervals; boot, agent connected → OS published --- */
        if (harness_start_daemon(&H, H.uri, 60, NULL) < 0)
                return 1;
        t0 = bench_now();
        for (int i = 0; i < N_VMS; i++)
                if (virDomainCreate(vms[i].dom) < 0) {
                        fprintf(stderr, "bench-vms: cannot start %s: %s\n", vms[i].name, virGetLastErrorMessage());
                        return 1;
                }
        while (!all_published() && bench_now() - t0 < 240)
                pump(bus, 0.1);
        if (!all_published()) {
                fprintf(stderr, "bench-vms: the agents did not connect or guestinfod did not publish them\n");
                return 1;
        }
        double connect_lat[N_VMS], agent_t[3 * N_VMS];
        size_t n_agent = 0;
        pthread_mutex_lock(&lock);
        for (int i = 0; i < N_VMS; i++)
                connect_lat[i] = vms[i].os_published - vms[i].agent_connected;
        pthread_mutex_unlock(&lock);
        printf("# booted to OS published in %s; agent connected → OS published: %s, %s, %s\n",
               bench_fmt_time(bench_now() - t0), bench_fmt_time(connect_lat[0]), bench_fmt_time(connect_lat[1]),
               bench_fmt_time(connect_lat[2]));
        for (int k = 0; k < 3; k++)
                for (int i = 0; i < N_VMS; i++) {
                        double t = agent_answer(&vms[i]);
                        if (!isnan(t))
                                agent_t[n_agent++] = t;
                }
        double agent_med = n_agent ? bench_median(agent_t, n_agent) : NAN;
        double agent_max = n_agent ? agent_t[n_agent - 1] : NAN;
        double connect_med = bench_median(connect_lat, N_VMS), connect_max = connect_lat[N_VMS - 1];
        printf("# agent answer (guest-info + GetGuestInfo + XML): median %s, max %s of %zu\n",
               bench_fmt_time(agent_med), bench_fmt_time(agent_max), n_agent);
        char gi[96];
        snprintf(gi, sizeof gi, "%s (max %s)", bench_fmt_time(connect_med), bench_fmt_time(connect_max));
        bench_row("fresh, 3 real VMs: agent connected → OS published, median", gi,
                  "agent's own answer (one collection's calls)", bench_fmt_time(agent_med),
                  bench_fmt_ratio(connect_med / agent_med), "max ≤ 1 s + agent answer",
                  bench_met(connect_max <= 1.0 + agent_med));

        /* --- the fleet read on real guests --- */
        char log[400];
        snprintf(log, sizeof log, "%s/libvirt-dbus.log", H.dir);
        ldbus_pid = bench_start_libvirt_dbus("qemu:///session", H.uri, log);
        FleetCount c;
        double tg[21], tl[11], tv[9], tc[11];
        int k;
        for (k = 0; k < 21; k++) {
                double a = bench_now();
                fleet_read_guestinfod(bus, &c);
                tg[k] = bench_now() - a;
        }
        double gi_t = bench_median(tg, 21);
        printf("# guestinfod GetManagedObjects: median %s; %zu VMs, %zu with a hostname, %zu with an IP (%zu)\n",
               bench_fmt_time(gi_t), c.vms, c.with_hostname, c.with_ip, c.ips);
        for (k = 0; k < 21; k++) {
                double a = bench_now();
                fleet_read_guestinfod_summaries(bus, &c);
                tg[k] = bench_now() - a;
        }
        double gs_t = bench_median(tg, 21);
        printf("# guestinfod ListSummaries: median %s; %zu VMs, %zu with a hostname, %zu with an IP (%zu)\n",
               bench_fmt_time(gs_t), c.vms, c.with_hostname, c.with_ip, c.ips);
        double ctl_t = NAN;
        if (fleet_guestinfoctl_path()) {
                for (k = 0; k < 11; k++) {
                        double a = bench_now();
                        fleet_read_guestinfoctl(&c);
                        tc[k] = bench_now() - a;
                }
                ctl_t = bench_median(tc, 11);
                printf("# guestinfoctl list: median %s; %zu VMs, %zu with a hostname, %zu with an IP\n",
                       bench_fmt_time(ctl_t), c.vms, c.with_hostname, c.with_ip);
        }
        double ld_t = NAN;
        if (ldbus_pid > 0) {
                for (k = 0; k < 11; k++) {
                        double a = bench_now();
                        fleet_read_libvirt_dbus(bus, "/org/libvirt/QEMU", 1 /* agent */, 16, &c);
                        tl[k] = bench_now() - a;
                }
                ld_t = bench_median(tl, 11);
                printf("# libvirt-dbus: median %s; %zu VMs, %zu with a hostname, %zu with an IP (%zu), %zu errors\n",
                       bench_fmt_time(ld_t), c.vms, c.with_hostname, c.with_ip, c.ips, c.errors);
        } else
                fprintf(stderr, "bench-vms: libvirt-dbus did not start\n");
        memset(&c, 0, sizeof c);
        for (k = 0; k < 3; k++) {
                double list_s = 0, pair = 0, a = bench_now();
                char **names = NULL;
                size_t nn = 0;
                fleet_virsh_list(H.uri, &list_s, &names, &nn);
                for (size_t i = 0; i < nn; i++)
                        fleet_virsh_pair(H.uri, names[i], true, &pair, &c);
                tv[k] = bench_now() - a;
                fleet_strv_free(names);
        }
        double vs_t = bench_median(tv, 3);
        printf("# virsh loop: median %s; over 3 runs %zu VMs, %zu with a hostname, %zu with an IP (%zu), %zu errors\n",
               bench_fmt_time(vs_t), c.vms, c.with_hostname, c.with_ip, c.ips, c.errors);
        const char *metric = "fleet read, 3 real VMs: GetManagedObjects";
        bench_row(metric, bench_fmt_time(gi_t), "libvirt-dbus, per-domain calls (agent)", bench_fmt_time(ld_t),
                  bench_fmt_ratio(ld_t / gi_t), "-", "-");
        bench_row(metric, bench_fmt_time(gi_t), "virsh loop (agent)", bench_fmt_time(vs_t),
                  bench_fmt_ratio(vs_t / gi_t), "-", "-");
        bench_row("fleet read, 3 real VMs: ListSummaries", bench_fmt_time(gs_t),
                  "libvirt-dbus, per-domain calls (agent)", bench_fmt_time(ld_t), bench_fmt_ratio(ld_t / gs_t), "-",
                  "-");
        if (!isnan(ctl_t))
                bench_row("fleet read, 3 real VMs: guestinfoctl list", bench_fmt_time(ctl_t),
                          "libvirt-dbus, per-domain calls (agent)", bench_fmt_time(ld_t), bench_fmt_ratio(ld_t / ctl_t),
                          "-", "-");
        bench_stop(&ldbus_pid);

        /* --- phase 2: changes with the default intervals --- */
        Samples def = { 0 };
        srand48(1);
        change_round(bus, 0, 10.5, 60 + 15, &def);
        freshness_rows("default intervals", 60, 10, agent_max, &def);

        /* --- phase 3: short intervals --- */
        harness_stop_daemon(&H);
        for (int i = 0; i < N_VMS; i++)
                vms[i].os_published = 0;
        char host_arg[64], if_arg[64];
        snprintf(host_arg, sizeof host_arg, "--interval=hostname=%d", SHORT_INTERVAL);
        snprintf(if_arg, sizeof if_arg, "--interval=interfaces=%d", SHORT_INTERVAL);
        if (harness_start_daemon(&H, H.uri, 60, host_arg, if_arg, NULL) < 0)
                return 1;
        t0 = bench_now() - H.ready_seconds;
        while (!all_published() && bench_now() - t0 < 60)
                pump(bus, 0.05);
        double restart[N_VMS];
        for (int i = 0; i < N_VMS; i++)
                restart[i] = vms[i].os_published - t0;
        printf("# daemon restarted (agents already connected): start → OS published %s, %s, %s\n",
               bench_fmt_time(restart[0]), bench_fmt_time(restart[1]), bench_fmt_time(restart[2]));
        Samples fast = { 0 };
        for (int r = 1; r <= rounds; r++)
                change_round(bus, r, SHORT_INTERVAL + 0.5, SHORT_INTERVAL + 15, &fast);
        char label[64];
        snprintf(label, sizeof label, "--interval hostname=%d interfaces=%d", SHORT_INTERVAL, SHORT_INTERVAL);
        freshness_rows(label, SHORT_INTERVAL, SHORT_INTERVAL, agent_max, &fast);

        for (int i = 0; i < N_VMS; i++) {
                virDomainDestroy(vms[i].dom);
                virDomainFree(vms[i].dom);
        }
        sd_bus_flush_close_unref(bus);
        return harness_stop_daemon(&H) == 0 ? 0 : 1;
}
