/* 4. Cache memory and serialisation, in process, with the daemon's own code
 * (libguestinfod-internal): no libvirt daemon, no bus daemon.
 *
 * N VMs go into the model the way the daemon fills it: libvirt's typed
 * parameters for 10 users, 10 filesystems and 4 interfaces with 4 addresses
 * each (plus OS, hostname, timezone) parsed by guest_info_from_typed_params,
 * the agent's recorded guest-info reply (tests/fixtures) parsed by
 * agent_info_parse_json, a live XML with 4 NICs parsed by
 * domain_devices_parse_xml; domain_new() then domain_take_guest_data().
 * Reported: heap bytes per VM (mallinfo2 before and after), against the
 * same data as KubeVirt JSON text; and the time to serialise the whole
 * tree: the daemon's vtables answering GetManagedObjects over a socketpair
 * (sd-bus, no broker), against KubeVirt's JSON documents for every VM. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent-info.h"
#include "bench.h"
#include "bus-domain.h"
#include "bus-manager.h"
#include "bus-paths.h"
#include "domain-devices.h"
#include "guest-info.h"
#include "intern.h"
#include "kubevirt-json.h"
#include "log.h"
#include "manager.h"

#define USERS 10
#define FILESYSTEMS 10
#define INTERFACES 4
#define ADDRESSES 4

static char *read_file(const char *path) {
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t len = 0;
        if (!f)
                return NULL;
        if (getdelim(&buf, &len, '\0', f) < 0) {
                free(buf);
                buf = NULL;
        }
        fclose(f);
        return buf;
}

static void mac_of(size_t vm, int nic, char mac[18]) {
        snprintf(mac, 18, "52:54:%02x:%02x:%02x:%02x", nic, (unsigned) (vm >> 16) & 0xff, (unsigned) (vm >> 8) & 0xff,
                 (unsigned) vm & 0xff);
}

/* The live XML's devices: 4 NICs (with aliases, as while running), 2 disks,
 * the agent channel. */
static char *live_xml(size_t vm) {
        char *xml = NULL, *nics = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&nics, &len);
        for (int k = 0; k < INTERFACES; k++) {
                char mac[18];
                mac_of(vm, k, mac);
                fprintf(f,
                        "<interface type='network'><mac address='%s'/><source network='default'/>"
                        "<model type='virtio'/><alias name='net%d'/></interface>",
                        mac, k);
        }
        fclose(f);
        if (asprintf(&xml,
                     "<domain type='kvm' id='%zu'><name>vm-%05zu</name><devices>"
                     "<disk type='file' device='disk'><target dev='vda' bus='virtio'/><serial>SER-%05zu</serial></disk>"
                     "<disk type='file' device='cdrom'><target dev='sda' bus='sata'/></disk>%s"
                     "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0' state='connected'/>"
                     "</channel></devices></domain>",
                     vm + 1, vm, vm, nics) < 0)
                xml = NULL;
        free(nics);
        return xml;
}

/* What virDomainGetGuestInfo hands over for one full guest (libvirt 9.0 keys). */
static int guest_params(size_t vm, virTypedParameterPtr *params, int *n) {
        int max = 0, r = 0;
        char key[64], val[128];
#define S(k, v) r |= virTypedParamsAddString(params, n, &max, (k), (v))
#define U(k, v) r |= virTypedParamsAddUInt(params, n, &max, (k), (v))
#define ULL(k, v) r |= virTypedParamsAddULLong(params, n, &max, (k), (v))
        S("os.id", "debian");
        S("os.name", "Debian GNU/Linux");
        S("os.pretty-name", "Debian GNU/Linux 12 (bookworm)");
        S("os.version", "12 (bookworm)");
        S("os.version-id", "12");
        S("os.kernel-release", "6.1.0-28-amd64");
        S("os.kernel-version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)");
        S("os.machine", "x86_64");
        S("os.variant", "Server Edition");
        S("os.variant-id", "server");
        snprintf(val, sizeof val, "vm-%05zu.fleet.example.internal", vm);
        S("hostname", val);
        S("timezone.name", "CET");
        r |= virTypedParamsAddInt(params, n, &max, "timezone.offset", 3600);
        U("user.count", USERS);
        for (int i = 0; i < USERS; i++) {
                snprintf(key, sizeof key, "user.%d.name", i);
                snprintf(val, sizeof val, "user%02d-%05zu", i, vm);
                S(key, val);
                snprintf(key, sizeof key, "user.%d.login-time", i);
                ULL(key, 1700000000000ULL + (unsigned long long) i * 1000 + vm);
        }
        U("fs.count", FILESYSTEMS);
        for (int i = 0; i < FILESYSTEMS; i++) {
                snprintf(key, sizeof key, "fs.%d.name", i);
                snprintf(val, sizeof val, "vda%d", i + 1);
                S(key, val);
                snprintf(key, sizeof key, "fs.%d.mountpoint", i);
                if (i == 0)
                        snprintf(val, sizeof val, "/");
                else
                        snprintf(val, sizeof val, "/srv/volume%02d", i);
                S(key, val);
                snprintf(key, sizeof key, "fs.%d.fstype", i);
                S(key, "ext4");
                snprintf(key, sizeof key, "fs.%d.total-bytes", i);
                ULL(key, 10737418240ULL);
                snprintf(key, sizeof key, "fs.%d.used-bytes", i);
                ULL(key, 1073741824ULL + vm * 4096);
                snprintf(key, sizeof key, "fs.%d.disk.count", i);
                U(key, 1);
                snprintf(key, sizeof key, "fs.%d.disk.0.alias", i);
                S(key, "vda");
                snprintf(key, sizeof key, "fs.%d.disk.0.serial", i);
                snprintf(val, sizeof val, "SER-%05zu", vm);
                S(key, val);
                snprintf(key, sizeof key, "fs.%d.disk.0.device", i);
                snprintf(val, sizeof val, "/dev/vda%d", i + 1);
                S(key, val);
        }
        U("if.count", INTERFACES);
        for (int i = 0; i < INTERFACES; i++) {
                char mac[18];
                mac_of(vm, i, mac);
                snprintf(key, sizeof key, "if.%d.name", i);
                snprintf(val, sizeof val, "eth%d", i);
                S(key, val);
                snprintf(key, sizeof key, "if.%d.hwaddr", i);
                S(key, mac);
                snprintf(key, sizeof key, "if.%d.addr.count", i);
                U(key, ADDRESSES);
                for (int a = 0; a < ADDRESSES; a++) {
                        bool v4 = a < 2;
                        snprintf(key, sizeof key, "if.%d.addr.%d.type", i, a);
                        S(key, v4 ? "ipv4" : "ipv6");
                        snprintf(key, sizeof key, "if.%d.addr.%d.addr", i, a);
                        if (v4)
                                snprintf(val, sizeof val, "10.%d.%zu.%zu", i * 2 + a, (vm >> 8) & 0xff, vm & 0xff);
                        else
                                snprintf(val, sizeof val, "%s:%x:%zx::%zx", a == 2 ? "fd00" : "fe80:0:0", i, vm >> 8,
                                         vm & 0xff);
                        S(key, val);
                        snprintf(key, sizeof key, "if.%d.addr.%d.prefix", i, a);
                        U(key, v4 ? 24 : 64);
                }
        }
#undef S
#undef U
#undef ULL
        return r < 0 ? -ENOMEM : 0;
}

/* One VM into the model, as the daemon does it. */
static int add_vm(Manager *m, size_t vm, const char *agent_json) {
        DomainInfo info = { 0 };
        GuestData data = { .kinds_requested = GUEST_KIND_ALL };
        virTypedParameterPtr params = NULL;
        int n = 0, r;
        Domain *d = NULL;

        char *xml = live_xml(vm);
        if (!xml)
                return -ENOMEM;
        snprintf(info.uuid, sizeof info.uuid, "c0ffee00-0000-4000-8000-%012zx", vm);
        if (asprintf(&info.name, "vm-%05zu", vm) < 0)
                info.name = NULL;
        info.state = DOMAIN_STATE_RUNNING;
        info.persistent = true;
        info.id = (int32_t) vm + 1;
        info.agent = AGENT_STATE_CONNECTED;
        info.agent_probe_usec = 1700000000000000ULL;
        r = domain_devices_parse_xml(xml, strlen(xml), &info.devices);
        if (r >= 0)
                r = domain_new(&info, &d);
        domain_info_done(&info);
        if (r >= 0)
                r = hashmap_put(m->domains, d->uuid, d);
        if (r < 0) {
                domain_free(d);
                free(xml);
                return r;
        }

        /* A collection's result: agent info, guest info, the live XML again. */
        r = agent_info_parse_json(agent_json, strlen(agent_json), &data.agent);
        if (r >= 0)
                r = guest_params(vm, &params, &n);
        if (r >= 0)
                r = guest_info_from_typed_params(params, n, GUEST_KIND_ALL & ~(unsigned) GUEST_KIND_AGENT, &data.guest);
        virTypedParamsFree(params, n);
        if (r >= 0)
                r = domain_devices_parse_xml(xml, strlen(xml), &data.devices);
        free(xml);
        if (r >= 0) {
                guest_info_fill_bus_types(data.guest, data.devices);
                (void) domain_take_guest_data(d, &data);
                d->guest_exported = true;
        }
        agent_info_free(data.agent);
        guest_info_free(data.guest);
        domain_devices_free(data.devices);
        return r;
}

/* malloc's, and the interned strings' slabs (mapped apart from it). */
static size_t heap_in_use(void) {
        struct mallinfo2 mi = mallinfo2();
        return mi.uordblks + mi.hblkhd + intern_slab_bytes();
}

/* --- the bus side: the daemon's vtables on one end of a socketpair --- */

typedef struct Server {
        sd_bus *bus;
        Manager *m;
        BusDomain *domains;
} Server;

static void *serve(void *userdata) {
        Server *s = userdata;
        for (;;) {
                int r = sd_bus_process(s->bus, NULL);
                if (r < 0)
                        break; /* the client closed */
                if (r == 0 && sd_bus_wait(s->bus, UINT64_MAX) < 0)
                        break;
        }
        return NULL;
}

static int bus_pair(Server *s, sd_bus **client) {
        int fds[2];
        sd_id128_t id;
        sd_bus *c = NULL;
        int r;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
                return -errno;
        r = sd_bus_new(&s->bus);
        if (r >= 0)
                r = sd_bus_set_fd(s->bus, fds[0], fds[0]);
        if (r >= 0)
                r = sd_id128_randomize(&id);
        if (r >= 0)
                r = sd_bus_set_server(s->bus, 1, id);
        if (r >= 0)
                r = sd_bus_set_anonymous(s->bus, 1);
        if (r >= 0)
                r = bus_manager_register(s->bus, s->m, NULL);
        if (r >= 0)
                r = bus_domain_new(s->bus, s->m, false, &s->domains);
        if (r >= 0)
                r = sd_bus_start(s->bus);
        if (r >= 0)
                r = sd_bus_new(&c);
        if (r >= 0)
                r = sd_bus_set_fd(c, fds[1], fds[1]);
        if (r >= 0)
                r = sd_bus_set_anonymous(c, 1);
        if (r >= 0)
                r = sd_bus_start(c);
        if (r < 0)
                return r;
        *client = c;
        return 0;
}

static int count_objects(sd_bus_message *reply, size_t *n) {
        int r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        *n = 0;
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                const char *path;
                r = sd_bus_message_read(reply, "o", &path);
                if (r >= 0)
                        r = sd_bus_message_skip(reply, "a{sa{sv}}");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                (*n)++;
        }
        return r;
}

int main(int argc, char *argv[]) {
        size_t n_vms = 10000;
        int reps = 5;
        static const struct option options[] = {
                { "vms", required_argument, NULL, 'n' },
                { "reps", required_argument, NULL, 'r' },
                {},
        };
        for (int c; (c = getopt_long(argc, argv, "", options, NULL)) >= 0;) {
                if (c == 'n')
                        n_vms = strtoul(optarg, NULL, 10);
                else if (c == 'r')
                        reps = atoi(optarg);
                else
                        return 2;
        }
        if (n_vms < 1)
                n_vms = 1;
        if (reps < 1 || reps > 50)
                reps = 5;

        bench_init(600);
        /* The daemon's malloc settings (service/main.c, set_up_malloc): a
         * fixed mmap threshold, so that glibc's trim threshold stays low and
         * what the serving thread's arena freed goes back, as in the daemon. */
        (void) mallopt(M_MMAP_THRESHOLD, 128 * 1024);
        (void) mallopt(M_ARENA_MAX, 2);
        log_set_max_level(LOG_LEVEL_ERROR);
        char *agent_json = read_file(bench_source_path("tests/fixtures/harness-guest-info.json"));
        if (!agent_json) {
                fprintf(stderr,
                        "bench-cache: cannot read tests/fixtures/harness-guest-info.json "
                        "(MESON_SOURCE_ROOT=%s)\n",
                        getenv("MESON_SOURCE_ROOT"));
                return 1;
        }

        /* Warm-up: one VM built and dropped, so libxml2's, jansson's and
         * libvirt's one-time allocations are not counted per VM. */
        Manager *m = NULL;
        if (manager_new(NULL, "test:///bench", &m) < 0 || add_vm(m, 999999, agent_json) < 0)
                return 1;
        manager_free(m);
        m = NULL;
        if (manager_new(NULL, "test:///bench", &m) < 0)
                return 1;

        malloc_trim(0);
        size_t before = heap_in_use();
        uint64_t rss_before = bench_rss(getpid(), "VmRSS");
        double t0 = bench_now();
        for (size_t i = 0; i < n_vms; i++)
                if (add_vm(m, i, agent_json) < 0) {
                        fprintf(stderr, "bench-cache: building VM %zu failed\n", i);
                        return 1;
                }
        double fill = bench_now() - t0;
        size_t after = heap_in_use();
        double per_vm = (double) (after - before) / (double) n_vms;

        /* A sample VM, to show what each one holds. */
        Domain *d = NULL;
        HASHMAP_FOREACH (d, m->domains, it)
                break;
        printf("# %zu VMs built in %s: each %zu users, %zu filesystems, %zu merged interfaces (%zu addresses on the "
               "first), %zu agent commands, hostname '%s'\n",
               n_vms, bench_fmt_time(fill), d->guest->n_users, d->guest->n_filesystems, d->interfaces->n_items,
               d->interfaces->n_items ? (size_t) d->interfaces->items[0].n_ip_addresses : 0, d->agent_info->n_commands,
               d->guest->hostname);
        printf("# heap in use: %s before, %s after: %s per VM\n", bench_fmt_bytes((double) before),
               bench_fmt_bytes((double) after), bench_fmt_bytes(per_vm));
        unsigned long interned, interned_bytes;
        intern_stats(&interned, &interned_bytes);
        printf("# interned: %lu distinct strings (%.1f per VM), %s of them with their counts\n", interned,
               (double) interned / (double) n_vms, bench_fmt_bytes((double) interned_bytes));

        /* KubeVirt JSON, every document, every VM. */
        double *tj = calloc((size_t) reps, sizeof(double));
        size_t json_bytes = 0;
        for (int k = 0; k < reps; k++) {
                json_bytes = 0;
                t0 = bench_now();
                HASHMAP_FOREACH (d, m->domains, it) {
                        char *docs[4] = {
                                kubevirt_guestosinfo_json(d->agent_info, d->guest),
                                kubevirt_userlist_json(d->guest),
                                kubevirt_filesystemlist_json(d->guest),
                                kubevirt_interfaces_json(d->interfaces),
                        };
                        for (int j = 0; j < 4; j++) {
                                json_bytes += docs[j] ? strlen(docs[j]) : 0;
                                free(docs[j]);
                        }
                }
                tj[k] = bench_now() - t0;
        }
        double json_t = bench_median(tj, (size_t) reps);
        printf("# KubeVirt JSON (guestosinfo, userlist, filesystemlist, interfaces) for %zu VMs: median %s of %d, "
               "%s in all, %s per VM\n",
               n_vms, bench_fmt_time(json_t), reps, bench_fmt_bytes((double) json_bytes),
               bench_fmt_bytes((double) json_bytes / (double) n_vms));

        /* GetManagedObjects through the daemon's vtables, over a socketpair. */
        Server s = { .m = m };
        sd_bus *client = NULL;
        pthread_t thread;
        int r = bus_pair(&s, &client);
        if (r < 0) {
                fprintf(stderr, "bench-cache: cannot set up the bus pair: %s\n", strerror(-r));
                return 1;
        }
        pthread_create(&thread, NULL, serve, &s);
        double *tg = calloc((size_t) reps, sizeof(double));
        size_t objects = 0;
        int failures = 0;
        for (int k = 0; k < reps; k++) {
                sd_bus_message *reply = NULL;
                sd_bus_error error = SD_BUS_ERROR_NULL;
                t0 = bench_now();
                r = sd_bus_call_method(client, NULL, MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                                       "GetManagedObjects", &error, &reply, "");
                tg[k] = bench_now() - t0;
                if (r < 0) {
                        fprintf(stderr, "bench-cache: GetManagedObjects: %s\n", error.message);
                        failures++;
                } else
                        count_objects(reply, &objects);
                sd_bus_error_free(&error);
                sd_bus_message_unref(reply);
        }
        double gmo_t = bench_median(tg, (size_t) reps);
        printf("# GetManagedObjects over a socketpair (daemon's vtables, no broker): median %s of %d, %zu objects\n",
               bench_fmt_time(gmo_t), reps, objects);
        sd_bus_flush_close_unref(client);
        pthread_join(thread, NULL);
        /* The whole process now: the model, every object's vtables on the
         * bus, and what serving the tree left behind, as the daemon holds
         * them (its libvirt connection and threads aside). */
        malloc_trim(0);
        uint64_t rss_after = bench_rss(getpid(), "VmRSS");
        printf("# process RSS: %s before the VMs, %s with them and their bus objects after GetManagedObjects\n",
               bench_fmt_bytes((double) rss_before), bench_fmt_bytes((double) rss_after));

        char metric[160];
        snprintf(metric, sizeof metric, "cache, %zu VMs with full guest info: heap per VM", n_vms);
        bench_row(metric, bench_fmt_bytes(per_vm), "same data as KubeVirt JSON text",
                  bench_fmt_bytes((double) json_bytes / (double) n_vms),
                  bench_fmt_ratio(per_vm / ((double) json_bytes / (double) n_vms)), "≤ 16 KiB",
                  bench_met(per_vm <= 16384));
        snprintf(metric, sizeof metric, "cache, %zu VMs with full guest info: process RSS (model + bus objects)",
                 n_vms);
        bench_row(metric, bench_fmt_bytes((double) rss_after), "the same process before the VMs",
                  bench_fmt_bytes((double) rss_before), bench_fmt_ratio((double) rss_after / (double) rss_before),
                  n_vms >= 10000 ? "≤ 64 MiB at 10000" : "-",
                  n_vms >= 10000 ? bench_met(rss_after <= 64ULL << 20) : "-");
        snprintf(metric, sizeof metric, "cache, %zu VMs: serialise whole tree (GetManagedObjects, no broker)", n_vms);
        bench_row(metric, bench_fmt_time(gmo_t), "KubeVirt JSON of every VM (jansson)", bench_fmt_time(json_t),
                  bench_fmt_ratio(gmo_t / json_t), "-", failures || objects != n_vms ? "NO (failed)" : "-");

        bus_domain_free(s.domains);
        sd_bus_flush_close_unref(s.bus);
        manager_free(m);
        free(agent_json);
        free(tj);
        free(tg);
        return 0;
}
