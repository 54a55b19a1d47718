#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "fleet.h"

/* --- guestinfod --- */

static int read_string_variant(sd_bus_message *m, const char **s) {
        return sd_bus_message_read(m, "v", "s", s);
}

/* Network.Interfaces a(sssa(ssy)asa{sv}): name, interface name, MAC,
 * addresses, sources, more. Counts the addresses, as ListSummaries gives
 * them. */
static int read_interfaces(sd_bus_message *m, size_t *n_ips) {
        int r = sd_bus_message_enter_container(m, 'v', "a(sssa(ssy)asa{sv})");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "(sssa(ssy)asa{sv})");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'r', "sssa(ssy)asa{sv}")) > 0) {
                const char *a, *b, *c;
                r = sd_bus_message_read(m, "sss", &a, &b, &c);
                if (r >= 0)
                        r = sd_bus_message_enter_container(m, 'a', "(ssy)");
                while (r >= 0 && (r = sd_bus_message_skip(m, "(ssy)")) > 0)
                        (*n_ips)++;
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r >= 0)
                        r = sd_bus_message_skip(m, "asa{sv}");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r;
}

static int read_object(sd_bus_message *m, FleetCount *c) {
        const char *path, *name = NULL, *hostname = NULL;
        size_t ips = 0;
        int r;

        r = sd_bus_message_read(m, "o", &path);
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                const char *iface;
                r = sd_bus_message_read(m, "s", &iface);
                if (r < 0)
                        return r;
                bool domain = strcmp(iface, BENCH_DOMAIN_IFACE) == 0, os = strcmp(iface, BENCH_OS_IFACE) == 0,
                     ifaces = strcmp(iface, BENCH_NETWORK_IFACE) == 0;
                if (!domain && !os && !ifaces)
                        r = sd_bus_message_skip(m, "a{sv}");
                else {
                        r = sd_bus_message_enter_container(m, 'a', "{sv}");
                        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                                const char *prop;
                                r = sd_bus_message_read(m, "s", &prop);
                                if (r < 0)
                                        return r;
                                if (domain && strcmp(prop, "Name") == 0)
                                        r = read_string_variant(m, &name);
                                else if (os && strcmp(prop, "Hostname") == 0)
                                        r = read_string_variant(m, &hostname);
                                else if (ifaces && strcmp(prop, "Interfaces") == 0)
                                        r = read_interfaces(m, &ips);
                                else
                                        r = sd_bus_message_skip(m, "v");
                                if (r >= 0)
                                        r = sd_bus_message_exit_container(m);
                        }
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        if (strncmp(path, BENCH_DOMAIN_PREFIX "/", strlen(BENCH_DOMAIN_PREFIX "/")) != 0 || !name)
                return 0;
        c->vms++;
        c->with_hostname += hostname && *hostname;
        c->with_ip += ips > 0;
        c->ips += ips;
        return 0;
}

int fleet_read_guestinfod(sd_bus *bus, FleetCount *c) {
        return fleet_read_objects_from(bus, BENCH_BUS_NAME, c);
}

int fleet_read_objects_from(sd_bus *bus, const char *dest, FleetCount *c) {
        sd_bus_message *reply = NULL;
        int r;

        memset(c, 0, sizeof *c);
        double t0 = bench_now();
        r = bench_call(bus, dest, BENCH_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", 120,
                       &reply, NULL);
        c->call_s = bench_now() - t0;
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                r = read_object(reply, c);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        sd_bus_message_unref(reply);
        if (r < 0)
                c->errors++;
        return r < 0 ? r : 0;
}

/* (osssbbssa(ssy)a{sv}): path, name, UUID, state, AgentConnected,
 * GuestData, OS, hostname, addresses, more. */
static int read_summary(sd_bus_message *m, FleetCount *c) {
        const char *path, *name, *uuid, *state, *os, *hostname;
        int agent, guest_data, r;
        size_t ips = 0;

        r = sd_bus_message_read(m, "osssbbss", &path, &name, &uuid, &state, &agent, &guest_data, &os, &hostname);
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "(ssy)");
        while (r >= 0 && (r = sd_bus_message_skip(m, "(ssy)")) > 0)
                ips++;
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_skip(m, "a{sv}");
        if (r < 0)
                return r;
        c->vms++;
        c->with_hostname += *hostname != '\0';
        c->with_ip += ips > 0;
        c->ips += ips;
        return 0;
}

int fleet_read_guestinfod_summaries(sd_bus *bus, FleetCount *c) {
        return fleet_read_summaries_from(bus, BENCH_BUS_NAME, c);
}

int fleet_read_summaries_from(sd_bus *bus, const char *dest, FleetCount *c) {
        sd_bus_message *reply = NULL;
        int r;

        memset(c, 0, sizeof *c);
        double t0 = bench_now();
        r = bench_call(bus, dest, BENCH_MANAGER_PATH, BENCH_MANAGER_IFACE, "ListSummaries", 120, &reply, NULL);
        c->call_s = bench_now() - t0;
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(osssbbssa(ssy)a{sv})");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', "osssbbssa(ssy)a{sv}")) > 0) {
                r = read_summary(reply, c);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        sd_bus_message_unref(reply);
        if (r < 0)
                c->errors++;
        return r < 0 ? r : 0;
}

const char *fleet_describe(const FleetCount *c) {
        static char buf[4][160];
        static unsigned k;
        char *b = buf[k++ % 4];
        snprintf(b, sizeof buf[0], "%zu VMs, %zu with a hostname, %zu with an IP (%zu addresses), %zu errors", c->vms,
                 c->with_hostname, c->with_ip, c->ips, c->errors);
        return b;
}

/* --- guestinfod against its floor --- */

static const char *const call_member[_FLEET_CALL_MAX] = {
        [FLEET_LIST_SUMMARIES] = "ListSummaries",
        [FLEET_GET_MANAGED_OBJECTS] = "GetManagedObjects",
};

/* dbus-daemon's default max_message_size */
#define BUS_MESSAGE_MIB 32

/* [0] guestinfod, [1] the floor */
static const char *const peer_name[2] = { BENCH_BUS_NAME, FLEET_FLOOR_NAME };

static int read_call(sd_bus *bus, FleetCall call, const char *dest, FleetCount *c) {
        return call == FLEET_LIST_SUMMARIES ? fleet_read_summaries_from(bus, dest, c)
                                            : fleet_read_objects_from(bus, dest, c);
}

/* bench-floor's lines before "ready": "captured MEMBER BYTES SIGNATURE" or
 * "refused MEMBER ERROR". */
static int read_floor_log(const char *path, FleetFloor *f) {
        char line[512], kind[16], member[64], value[128];
        bool ready = false;
        FILE *file = fopen(path, "re");
        if (!file)
                return -errno;
        while (!ready && fgets(line, sizeof line, file)) {
                ready = strcmp(line, "ready\n") == 0;
                if (sscanf(line, "%15s %63s %127s", kind, member, value) != 3)
                        continue;
                for (FleetCall c = 0; c < _FLEET_CALL_MAX; c++)
                        if (strcmp(member, call_member[c]) != 0)
                                continue;
                        else if (strcmp(kind, "refused") == 0)
                                snprintf(f->refused[c], sizeof f->refused[c], "%s", value);
                        else if (strcmp(kind, "captured") == 0)
                                f->bytes[c] = strtoull(value, NULL, 10);
        }
        fclose(file);
        return ready ? 0 : -EBADMSG;
}

int fleet_floor_start(sd_bus *bus, const char *dir, FleetFloor *f) {
        char log[400];
        char *argv[] = { (char *) bench_build_path("bench/bench-floor"), FLEET_FLOOR_NAME, NULL };
        int r;

        fleet_floor_stop(f);
        memset(f, 0, sizeof *f);
        /* a log of its own: bench_spawn appends, and the lines of a former
         * start must not be read as this one's */
        snprintf(log, sizeof log, "%s/bench-floor.log", dir);
        (void) unlink(log);
        f->pid = bench_spawn(argv, NULL, log);
        if (f->pid < 0) {
                r = (int) f->pid;
                f->pid = 0;
                return r;
        }
        r = bench_wait_name(bus, FLEET_FLOOR_NAME, 120000);
        if (r >= 0)
                r = read_floor_log(log, f);
        if (r < 0)
                fleet_floor_stop(f);
        return r;
}

void fleet_floor_stop(FleetFloor *f) {
        bench_stop(&f->pid);
}

/* CPU seconds so far of peer p ([0] guestinfod, [1] the floor) */
static double server_cpu(const FleetFloor *f, const FleetServer *server, int p) {
        return p ? bench_main_thread_cpu_seconds(f->pid) : server->cpu(server->userdata);
}

static void before_read(const FleetServer *server, int p) {
        if (p == 0 && server->before_call)
                server->before_call(server->userdata);
}

void fleet_floor_measure(sd_bus *bus, FleetFloor *f, int rounds, const FleetServer *server) {
        double *t[_FLEET_CALL_MAX][2];
        pid_t bus_pid = server->bus_pid;

        rounds = rounds < 1 ? 1 : rounds > 64 ? 64 : rounds;
        f->rounds = rounds;
        snprintf(f->load_before, sizeof f->load_before, "%s", bench_loadavg());
        memset(f->cpu_server, 0, sizeof f->cpu_server);
        memset(f->cpu_bus, 0, sizeof f->cpu_bus);
        memset(f->cpu_reader, 0, sizeof f->cpu_reader);
        for (FleetCall c = 0; c < _FLEET_CALL_MAX; c++)
                for (int p = 0; p < 2; p++) {
                        t[c][p] = calloc((size_t) rounds, sizeof(double));
                        if (!t[c][p])
                                abort();
                        /* a warm-up of each: page faults, sd-bus's buffers */
                        if (!f->refused[c][0]) {
                                before_read(server, p);
                                read_call(bus, c, peer_name[p], &f->count[c][p]);
                        }
                }
        /* guestinfod first in even rounds, the floor in odd ones: what
         * a read leaves behind (the reader's freed reply, dbus-daemon's
         * buffers) weighs on both alike */
        for (int k = 0; k < rounds; k++)
                for (FleetCall c = 0; c < _FLEET_CALL_MAX; c++)
                        for (int i = 0, p = k % 2; i < 2 && !f->refused[c][0]; i++, p = !p) {
                                before_read(server, p);
                                double s0 = server_cpu(f, server, p), b0 = bench_main_thread_cpu_seconds(bus_pid),
                                       r0 = bench_thread_cpu_seconds(pthread_self()), t0 = bench_now();
                                read_call(bus, c, peer_name[p], &f->count[c][p]);
                                t[c][p][k] = bench_now() - t0;
                                f->cpu_server[c][p] += (server_cpu(f, server, p) - s0) / rounds;
                                f->cpu_bus[c][p] += (bench_main_thread_cpu_seconds(bus_pid) - b0) / rounds;
                                f->cpu_reader[c][p] += (bench_thread_cpu_seconds(pthread_self()) - r0) / rounds;
                        }
        snprintf(f->load_after, sizeof f->load_after, "%s", bench_loadavg());
        for (FleetCall c = 0; c < _FLEET_CALL_MAX; c++)
                for (int p = 0; p < 2; p++) {
                        f->median[c][p] = f->refused[c][0] ? NAN : bench_median(t[c][p], (size_t) rounds);
                        free(t[c][p]);
                }
}

void fleet_floor_report(const FleetFloor *f, size_t n, const char *what) {
        static const double target[_FLEET_CALL_MAX] = {
                [FLEET_LIST_SUMMARIES] = 1.2, [FLEET_GET_MANAGED_OBJECTS] = 1.3
        };
        char metric[160], peer[96], goal[32];

        printf("# N=%zu%s: guestinfod against its floor (bench-floor: guestinfod's reply bytes, no marshalling), "
               "%d rounds in turns, each reply decoded by the same code; load average %s before, %s after\n",
               n, what, f->rounds, f->load_before, f->load_after);
        for (FleetCall c = 0; c < _FLEET_CALL_MAX; c++) {
                const char *member = call_member[c];
                snprintf(metric, sizeof metric, "fleet read, %zu VMs%s: %s against the floor", n, what, member);
                snprintf(goal, sizeof goal, "≤ %.1f× the floor", target[c]);
                if (f->refused[c][0]) {
                        printf("# N=%zu %s: REFUSED by guestinfod (%s): the reply would not fit in a bus message "
                               "(32 MiB); not measured\n",
                               n, member, f->refused[c]);
                        bench_row(metric, "refused", f->refused[c], "-", "-", goal, "NO");
                        continue;
                }
                double ratio = f->median[c][0] / f->median[c][1];
                printf("# N=%zu %s: reply body %s (%.0f%% of the %d MiB a bus message may have); guestinfod %s, "
                       "floor %s: %s (target %s); guestinfod returned %s; the floor %s\n",
                       n, member, bench_fmt_bytes((double) f->bytes[c]),
                       100.0 * (double) f->bytes[c] / (double) (BUS_MESSAGE_MIB << 20), BUS_MESSAGE_MIB,
                       bench_fmt_time(f->median[c][0]), bench_fmt_time(f->median[c][1]), bench_fmt_ratio(ratio), goal,
                       fleet_describe(&f->count[c][0]), fleet_describe(&f->count[c][1]));
                /* the whole read's CPU: where the CPUs are busy with others,
                 * the time follows it more than an idle machine's would */
                double all[2];
                for (int p = 0; p < 2; p++)
                        all[p] = f->cpu_server[c][p] + f->cpu_bus[c][p] + f->cpu_reader[c][p];
                printf("# N=%zu %s CPU per read, guestinfod's / the floor's: the server %s / %s, dbus-daemon %s / %s, "
                       "the reader %s / %s; together %s / %s (%s)\n",
                       n, member, bench_fmt_time(f->cpu_server[c][0]), bench_fmt_time(f->cpu_server[c][1]),
                       bench_fmt_time(f->cpu_bus[c][0]), bench_fmt_time(f->cpu_bus[c][1]),
                       bench_fmt_time(f->cpu_reader[c][0]), bench_fmt_time(f->cpu_reader[c][1]), bench_fmt_time(all[0]),
                       bench_fmt_time(all[1]), bench_fmt_ratio(all[0] / all[1]));
                snprintf(peer, sizeof peer, "same reply bytes (%s) from bench-floor",
                         bench_fmt_bytes((double) f->bytes[c]));
                bench_row(metric, bench_fmt_time(f->median[c][0]), peer, bench_fmt_time(f->median[c][1]),
                          bench_fmt_ratio(ratio), goal, bench_met(ratio <= target[c]));
                snprintf(metric, sizeof metric, "fleet read, %zu VMs%s: %s CPU against the floor's", n, what, member);
                bench_row(metric, bench_fmt_time(all[0]), "server + dbus-daemon + reader, bench-floor's reply",
                          bench_fmt_time(all[1]), bench_fmt_ratio(all[0] / all[1]), "-", "-");
        }
}

/* --- libvirt-dbus --- */

typedef struct Pipeline {
        sd_bus *bus;
        char **paths;
        size_t n_paths;
        unsigned source;
        size_t window, next, in_flight, done, total;
        FleetCount *c;
        size_t *ips_per_domain;
} Pipeline;

static void issue(Pipeline *p);

static int on_hostname(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Pipeline *p = userdata;
        const char *h = NULL;
        if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "s", &h) < 0)
                p->c->errors++;
        else if (h && *h)
                p->c->with_hostname++;
        p->in_flight--;
        p->done++;
        issue(p);
        return 1;
}

/* a(ssa(isu)): name, hwaddr, addresses (type, address, prefix). */
static int on_addresses(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Pipeline *p = userdata;
        size_t ips = 0;
        int r = sd_bus_message_is_method_error(m, NULL) ? -EIO : 0;

        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "(ssa(isu))");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'r', "ssa(isu)")) > 0) {
                const char *name, *hw, *addr;
                int type;
                unsigned prefix;
                r = sd_bus_message_read(m, "ss", &name, &hw);
                if (r >= 0)
                        r = sd_bus_message_enter_container(m, 'a', "(isu)");
                while (r >= 0 && (r = sd_bus_message_read(m, "(isu)", &type, &addr, &prefix)) > 0)
                        ips++;
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r < 0)
                p->c->errors++;
        else {
                p->c->with_ip += ips > 0;
                p->c->ips += ips;
        }
        p->in_flight--;
        p->done++;
        issue(p);
        return 1;
}

static void issue(Pipeline *p) {
        while (p->in_flight < p->window && p->next < p->total) {
                size_t k = p->next++;
                const char *path = p->paths[k / 2];
                int r;
                if (k % 2 == 0)
                        r = sd_bus_call_method_async(p->bus, NULL, "org.libvirt", path, "org.libvirt.Domain",
                                                     "GetHostname", on_hostname, p, "u", 0u);
                else
                        r = sd_bus_call_method_async(p->bus, NULL, "org.libvirt", path, "org.libvirt.Domain",
                                                     "InterfaceAddresses", on_addresses, p, "uu", p->source, 0u);
                if (r < 0) {
                        p->c->errors++;
                        p->done++;
                        continue;
                }
                p->in_flight++;
        }
}

int fleet_read_libvirt_dbus(sd_bus *bus, const char *root, unsigned source, size_t window, FleetCount *c) {
        sd_bus_message *reply = NULL;
        Pipeline p = { .bus = bus, .source = source, .window = window ? window : 1, .c = c };
        size_t cap = 0;
        int r;

        memset(c, 0, sizeof *c);
        r = bench_call(bus, "org.libvirt", root, "org.libvirt.Connect", "ListDomains", 120, &reply, "u", 0u);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "o");
        const char *path;
        while (r >= 0 && (r = sd_bus_message_read(reply, "o", &path)) > 0) {
                if (p.n_paths == cap) {
                        cap = cap ? cap * 2 : 1024;
                        char **np = realloc(p.paths, cap * sizeof *np);
                        if (!np) {
                                r = -ENOMEM;
                                break;
                        }
                        p.paths = np;
                }
                p.paths[p.n_paths++] = strdup(path);
        }
        sd_bus_message_unref(reply);
        if (r < 0) {
                c->errors++;
                goto out;
        }

        c->vms = p.n_paths;
        p.total = 2 * p.n_paths;
        issue(&p);
        double deadline = bench_now() + 600;
        while (p.done < p.total) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        break;
                if (r > 0)
                        continue;
                if (bench_now() > deadline) {
                        r = -ETIME;
                        break;
                }
                sd_bus_wait(bus, 1000000);
        }
        if (r < 0)
                c->errors++;
out:
        for (size_t i = 0; i < p.n_paths; i++)
                free(p.paths[i]);
        free(p.paths);
        return r < 0 ? r : 0;
}

/* --- virsh --- */

void fleet_strv_free(char **l) {
        for (size_t i = 0; l && l[i]; i++)
                free(l[i]);
        free(l);
}

int fleet_virsh_list(const char *uri, double *list_s, char ***names, size_t *n_names) {
        char *out = NULL;
        char *argv[] = { "virsh", "-q", "-c", (char *) uri, "list", "--name", NULL };
        double t0 = bench_now();
        int r = bench_run(argv, 120, &out);
        *list_s = bench_now() - t0;
        if (r != 0) {
                free(out);
                return r < 0 ? r : -EIO;
        }
        if (names) {
                size_t n = 0, cap = 16;
                char **l = calloc(cap, sizeof *l);
                for (char *save = NULL, *t = strtok_r(out, "\n", &save); l && t; t = strtok_r(NULL, "\n", &save)) {
                        if (!*t)
                                continue;
                        if (n + 1 >= cap) {
                                cap *= 2;
                                char **nl = realloc(l, cap * sizeof *nl);
                                if (!nl)
                                        break;
                                l = nl;
                        }
                        l[n++] = strdup(t);
                        l[n] = NULL;
                }
                *names = l;
                *n_names = n;
        }
        free(out);
        return 0;
}

int fleet_virsh_pair(const char *uri, const char *name, bool agent_source, double *pair_s, FleetCount *c) {
        char *host = NULL, *addrs = NULL;
        char *argv1[] = { "virsh", "-q", "-c", (char *) uri, "domhostname", (char *) name, NULL };
        char *argv2[] = {
                "virsh", "-q", "-c", (char *) uri, "domifaddr", (char *) name, agent_source ? "--source" : NULL,
                "agent", NULL
        };
        double t0 = bench_now();
        int r1 = bench_run(argv1, 60, &host);
        int r2 = bench_run(argv2, 60, &addrs);
        *pair_s = bench_now() - t0;

        c->vms++;
        if (r1 == 0 && host && host[0] && host[0] != '\n')
                c->with_hostname++;
        else
                c->errors++;
        size_t ips = 0;
        /* " Name  MAC address  Protocol  Address" rows: one per address */
        for (char *save = NULL, *t = addrs ? strtok_r(addrs, "\n", &save) : NULL; t; t = strtok_r(NULL, "\n", &save))
                if (strstr(t, "ipv4") || strstr(t, "ipv6"))
                        ips++;
        if (r2 != 0)
                c->errors++;
        c->with_ip += ips > 0;
        c->ips += ips;
        free(host);
        free(addrs);
        return r1 == 0 && r2 == 0 ? 0 : -EIO;
}

/* --- python3-libvirt --- */

int fleet_read_python(const char *uri, bool agent_source, FleetCount *c, double *script_s) {
        char *out = NULL;
        char *argv[] = { "/usr/bin/python3", (char *) bench_source_path("bench/fleet-python.py"), (char *) uri,
                         agent_source ? "agent" : NULL, NULL };

        memset(c, 0, sizeof *c);
        *script_s = NAN;
        int r = bench_run(argv, 900, &out);
        if (r != 0 || !out ||
            sscanf(out, "vms %zu hostname %zu ip %zu ips %zu errors %zu seconds %lf", &c->vms, &c->with_hostname,
                   &c->with_ip, &c->ips, &c->errors, script_s) != 6) {
                c->errors++;
                free(out);
                return r < 0 ? r : -EIO;
        }
        free(out);
        return 0;
}

/* --- guestinfoctl --- */

const char *fleet_guestinfoctl_path(void) {
        static const char *p;
        if (!p)
                p = bench_build_path("cli/guestinfoctl");
        return access(p, X_OK) == 0 ? p : NULL;
}

int fleet_read_guestinfoctl(FleetCount *c) {
        const char *exe = fleet_guestinfoctl_path();
        char *out = NULL;

        memset(c, 0, sizeof *c);
        if (!exe)
                return -ENOENT;
        char *argv[] = { (char *) exe, "--user", "list", NULL };
        int r = bench_run(argv, 120, &out);
        if (r != 0) {
                c->errors++;
                free(out);
                return r < 0 ? r : -EIO;
        }
        /* Not a terminal: NAME STATE AGENT OS HOSTNAME IP, tab-separated, '-' if unknown. */
        for (char *save = NULL, *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f[6] = { 0 };
                size_t k = 0;
                for (char *s2 = NULL, *t = strtok_r(line, "\t", &s2); t && k < 6; t = strtok_r(NULL, "\t", &s2))
                        f[k++] = t;
                c->vms++;
                c->with_hostname += f[4] && strcmp(f[4], "-") != 0;
                if (f[5] && strcmp(f[5], "-") != 0) {
                        c->with_ip++;
                        c->ips++;
                }
        }
        free(out);
        return 0;
}
