/* 7. The largest VM on the wire, in process, with the daemon's own code
 * (libguestinfod-internal) and vtables over a socketpair: no libvirt daemon,
 * no bus daemon. Not a timed benchmark: it prints sizes.
 *
 * Two VMs go into the model the way the daemon fills it (typed parameters
 * through guest_info_from_typed_params, the agent's guest-info reply through
 * agent_info_parse_json, the live XML through domain_devices_parse_xml):
 *   - an ordinary one: bench-cache's guest (10 users, 10 filesystems,
 *     4 interfaces with 4 addresses) and the recorded guest-info reply;
 *   - a maxed-out one: every list far past its cap (1000 users, 1000
 *     filesystems with 20 disks each, 1000 interfaces with 40 addresses
 *     each, 1000 agent commands) and every string at its cap or past it:
 *     text longer than any cap (STRING_LEN bytes), MACs, addresses and
 *     command names exactly at theirs (a longer one is dropped); one NIC
 *     whose MAC the guest's first interface has, so that its addresses
 *     merge in.
 * Both also carry the later kinds: disks (typed parameters: 2 ordinary, or
 * 1000 far past their caps with 20 dependencies each), the clock, vCPUs,
 * and the counters (the agent's replies: 2 NICs, 2 CPUs and 2 disks, or
 * 1000 NICs and disks with names past their caps and 4096 CPUs).
 * Reported per VM: the bodies of Properties.GetAll for each of its
 * interfaces (what GetManagedObjects and InterfacesAdded carry of it),
 * summed; Get(AgentSupportedCommands); ListUsers() and ListFilesystems();
 * Get(Disks) against the disks' share of the budget and GetCounters();
 * the heap the later kinds take; and the body of GetManagedObjects for
 * both. Sizes are the dbus-1 wire format's (service/bus/bus-wire.c),
 * headers not counted. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent-info.h"
#include "bench.h"
#include "bus-domain.h"
#include "bus-manager.h"
#include "bus-paths.h"
#include "domain-devices.h"
#include "guest-builder.h"
#include "guest-counters.h"
#include "guest-disks.h"
#include "guest-info.h"
#include "log.h"
#include "manager.h"
#include "bus-wire.h"

#define STRING_LEN 1100 /* longer than every cap, before and after per-field caps */
#define MAXED_COUNT 1000
#define MAXED_DISKS 20
#define MAXED_ADDRESSES 40
#define NIC_MAC "52:54:00:00:00:01"

static char *string_of(char c, size_t len) {
        char *s = malloc(len + 1);
        if (s) {
                memset(s, c, len);
                s[len] = '\0';
        }
        return s;
}

static char *long_string(char c) {
        return string_of(c, STRING_LEN);
}

/* ---- the two guests ---- */

static int add_params_ordinary(virTypedParameterPtr *params, int *n, int *max) {
        int r = 0;
        char key[64], val[128];
#define S(k, v) r |= virTypedParamsAddString(params, n, max, (k), (v))
#define U(k, v) r |= virTypedParamsAddUInt(params, n, max, (k), (v))
        S("os.id", "debian");
        S("os.name", "Debian GNU/Linux");
        S("os.pretty-name", "Debian GNU/Linux 12 (bookworm)");
        S("os.version", "12 (bookworm)");
        S("os.version-id", "12");
        S("os.kernel-release", "6.1.0-28-amd64");
        S("os.kernel-version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)");
        S("os.machine", "x86_64");
        S("hostname", "vm-00001.fleet.example.internal");
        S("timezone.name", "CET");
        r |= virTypedParamsAddInt(params, n, max, "timezone.offset", 3600);
        U("user.count", 10);
        for (int i = 0; i < 10; i++) {
                snprintf(key, sizeof key, "user.%d.name", i);
                snprintf(val, sizeof val, "user%02d", i);
                S(key, val);
        }
        U("fs.count", 10);
        for (int i = 0; i < 10; i++) {
                snprintf(key, sizeof key, "fs.%d.name", i);
                snprintf(val, sizeof val, "vda%d", i + 1);
                S(key, val);
                snprintf(key, sizeof key, "fs.%d.mountpoint", i);
                snprintf(val, sizeof val, i ? "/srv/volume%02d" : "/", i);
                S(key, val);
                snprintf(key, sizeof key, "fs.%d.fstype", i);
                S(key, "ext4");
                snprintf(key, sizeof key, "fs.%d.disk.count", i);
                U(key, 1);
                snprintf(key, sizeof key, "fs.%d.disk.0.alias", i);
                S(key, "vda");
                snprintf(key, sizeof key, "fs.%d.disk.0.serial", i);
                S(key, "SER-00001");
        }
        U("if.count", 4);
        for (int i = 0; i < 4; i++) {
                snprintf(key, sizeof key, "if.%d.name", i);
                snprintf(val, sizeof val, "eth%d", i);
                S(key, val);
                snprintf(key, sizeof key, "if.%d.hwaddr", i);
                snprintf(val, sizeof val, "52:54:00:00:00:%02x", i + 1);
                S(key, val);
                snprintf(key, sizeof key, "if.%d.addr.count", i);
                U(key, 4);
                for (int a = 0; a < 4; a++) {
                        snprintf(key, sizeof key, "if.%d.addr.%d.type", i, a);
                        S(key, a < 2 ? "ipv4" : "ipv6");
                        snprintf(key, sizeof key, "if.%d.addr.%d.addr", i, a);
                        if (a < 2)
                                snprintf(val, sizeof val, "10.%d.0.%d", i, a + 1);
                        else
                                snprintf(val, sizeof val, "fd00:%x::%x", i, a);
                        S(key, val);
                        snprintf(key, sizeof key, "if.%d.addr.%d.prefix", i, a);
                        U(key, a < 2 ? 24 : 64);
                }
        }
        return r < 0 ? -ENOMEM : 0;
}

static int add_params_maxed(virTypedParameterPtr *params, int *n, int *max) {
        static const char *const os_keys[] = {
                "os.id",         "os.name",           "os.pretty-name",    "os.version",
                "os.version-id", "os.kernel-release", "os.kernel-version", "os.machine",
                "os.variant",    "os.variant-id",     "hostname",          "timezone.name"
        };
        char key[80];
        char *s = long_string('x');
        char *mac = string_of('a', GUEST_MAC_MAX);
        char *addr = string_of('f', GUEST_ADDRESS_MAX);
        int r = 0;

        if (!s || !mac || !addr) {
                free(s);
                free(mac);
                free(addr);
                return -ENOMEM;
        }
        /* a hardware address in form, as long as one may be: "aa:aa:..." */
        for (size_t i = 2; i < GUEST_MAC_MAX; i += 3)
                mac[i] = ':';
        for (size_t i = 0; i < sizeof os_keys / sizeof *os_keys; i++)
                S(os_keys[i], s);
        r |= virTypedParamsAddInt(params, n, max, "timezone.offset", 3600);
        U("user.count", 100000);
        for (int i = 0; i < MAXED_COUNT; i++) {
                snprintf(key, sizeof key, "user.%d.name", i);
                S(key, s);
                snprintf(key, sizeof key, "user.%d.domain", i);
                S(key, s);
        }
        U("fs.count", 100000);
        for (int i = 0; i < MAXED_COUNT; i++) {
                static const char *const fields[] = { "name", "mountpoint", "fstype" };
                for (int f = 0; f < 3; f++) {
                        snprintf(key, sizeof key, "fs.%d.%s", i, fields[f]);
                        S(key, s);
                }
                snprintf(key, sizeof key, "fs.%d.total-bytes", i);
                U(key, 1u << 30);
                snprintf(key, sizeof key, "fs.%d.used-bytes", i);
                U(key, 1u << 20);
                snprintf(key, sizeof key, "fs.%d.disk.count", i);
                U(key, 1000);
                for (int d = 0; d < MAXED_DISKS; d++) {
                        static const char *const disk_fields[] = { "alias", "serial", "device" };
                        for (int f = 0; f < 3; f++) {
                                snprintf(key, sizeof key, "fs.%d.disk.%d.%s", i, d, disk_fields[f]);
                                S(key, s);
                        }
                }
        }
        U("if.count", 100000);
        for (int i = 0; i < MAXED_COUNT; i++) {
                snprintf(key, sizeof key, "if.%d.name", i);
                S(key, s);
                snprintf(key, sizeof key, "if.%d.hwaddr", i);
                S(key, i == 0 ? NIC_MAC : mac);
                snprintf(key, sizeof key, "if.%d.addr.count", i);
                U(key, 1000);
                for (int a = 0; a < MAXED_ADDRESSES; a++) {
                        snprintf(key, sizeof key, "if.%d.addr.%d.type", i, a);
                        S(key, a % 2 ? "ipv6" : "ipv4");
                        snprintf(key, sizeof key, "if.%d.addr.%d.addr", i, a);
                        S(key, addr);
                        snprintf(key, sizeof key, "if.%d.addr.%d.prefix", i, a);
                        U(key, 24);
                }
        }
#undef S
#undef U
        free(s);
        free(mac);
        free(addr);
        return r < 0 ? -ENOMEM : 0;
}

/* guest-get-disks as libvirt's typed parameters. */
static int add_params_disks(virTypedParameterPtr *params, int *n, int *max, bool maxed) {
        char key[80], val[64];
        char *s = long_string('d');
        int r = 0;
#define S(k, v) r |= virTypedParamsAddString(params, n, max, (k), (v))
        if (!s)
                return -ENOMEM;
        r |= virTypedParamsAddUInt(params, n, max, "disk.count", maxed ? 100000 : 2);
        for (int i = 0; i < (maxed ? MAXED_COUNT : 2); i++) {
                snprintf(key, sizeof key, "disk.%d.name", i);
                snprintf(val, sizeof val, i ? "/dev/vda1" : "/dev/vda");
                S(key, maxed ? s : val);
                snprintf(key, sizeof key, "disk.%d.partition", i);
                r |= virTypedParamsAddBoolean(params, n, max, key, i > 0);
                snprintf(key, sizeof key, "disk.%d.serial", i);
                S(key, maxed ? s : "SER-00001");
                snprintf(key, sizeof key, "disk.%d.alias", i);
                S(key, maxed ? s : "vda");
                for (int k = 0; k < (maxed ? MAXED_DISKS : i); k++) {
                        snprintf(key, sizeof key, "disk.%d.dependency.%d.name", i, k);
                        S(key, maxed ? s : "/dev/vda");
                }
        }
#undef S
        free(s);
        return r < 0 ? -ENOMEM : 0;
}

/* One counter kind's agent reply: n entries (CPUs, NICs, disks), each
 * name past its cap when maxed. */
static char *counters_json(unsigned kind, int n, bool maxed) {
        char *json = NULL, *name = maxed ? long_string('n') : NULL;
        size_t len = 0;
        FILE *f = open_memstream(&json, &len);
        if (!f) {
                free(name);
                return NULL;
        }
        fputs("{\"return\":[", f);
        for (int i = 0; i < n; i++) {
                const char *sep = i ? "," : "";
                if (kind == GUEST_KIND_CPU_COUNTERS)
                        fprintf(f,
                                "%s{\"type\":\"linux\",\"cpu\":%d,\"user\":123456,\"nice\":1,\"system\":"
                                "23456,\"idle\":9876543,\"iowait\":12,\"irq\":3,\"softirq\":4,\"steal\":5,"
                                "\"guest\":0,\"guestnice\":0}",
                                sep, i);
                else if (kind == GUEST_KIND_NIC_COUNTERS)
                        fprintf(f,
                                "%s{\"name\":\"%s%d\",\"statistics\":{\"rx-bytes\":1234567890,\"rx-packets\":"
                                "123456,\"rx-errs\":0,\"rx-dropped\":0,\"tx-bytes\":987654321,\"tx-packets\":"
                                "65432,\"tx-errs\":0,\"tx-dropped\":0}}",
                                sep, maxed ? name : "eth", i);
                else
                        fprintf(f,
                                "%s{\"name\":\"%s%d\",\"major\":253,\"minor\":%d,\"stats\":{\"read-ios\":1,"
                                "\"read-merges\":2,\"read-sectors\":3,\"read-ticks\":4,\"write-ios\":5,"
                                "\"write-merges\":6,\"write-sectors\":7,\"write-ticks\":8,\"ios-pgr\":9,"
                                "\"total-ticks\":10,\"weight-ticks\":11,\"discard-ios\":12,\"discard-merges\":13,"
                                "\"discard-sectors\":14,\"discard-ticks\":15,\"flush-ios\":16,\"flush-ticks\":17}}",
                                sep, maxed ? name : "vd", i, i);
        }
        fputs("]}", f);
        fclose(f);
        free(name);
        return json;
}

/* The later kinds into g: disks, clock, vCPUs, counters. */
static int add_later_kinds(GuestInfo *g, bool maxed) {
        static const unsigned counter_kinds[] = { GUEST_KIND_NIC_COUNTERS, GUEST_KIND_CPU_COUNTERS,
                                                  GUEST_KIND_DISK_COUNTERS };
        virTypedParameterPtr params = NULL;
        int n = 0, max = 0;
        GuestInfo *part = NULL;
        int r = add_params_disks(&params, &n, &max, maxed);
        if (r >= 0)
                r = guest_info_from_typed_params(params, n, GUEST_KIND_DISKS, &part);
        virTypedParamsFree(params, n);
        if (r < 0)
                return r;
        guest_info_take_kinds(g, part);
        guest_info_free(part);
        for (size_t i = 0; i < sizeof counter_kinds / sizeof *counter_kinds; i++) {
                int entries =
                        counter_kinds[i] == GUEST_KIND_CPU_COUNTERS ? (maxed ? 4096 : 2) : (maxed ? MAXED_COUNT : 2);
                char *json = counters_json(counter_kinds[i], entries, maxed);
                r = json ? guest_counters_info_from_agent_json(counter_kinds[i], json, strlen(json), &part) : -ENOMEM;
                free(json);
                if (r < 0)
                        return r;
                guest_info_take_kinds(g, part);
                guest_info_free(part);
        }
        g->kinds |= GUEST_KIND_CLOCK | GUEST_KIND_VCPUS;
        g->clock_offset_usec = maxed ? INT64_MIN : -1234567;
        g->vcpus_configured = g->vcpus_online = maxed ? 4096 : 2;
        return 0;
}

/* Heap the later kinds of each VM took (mallinfo2 around add_later_kinds). */
static size_t later_kinds_heap[2];

static char *guest_info_json(bool maxed) {
        char *json = NULL, *name = string_of('c', AGENT_COMMAND_NAME_MAX), *version = long_string('v');
        size_t len = 0;
        FILE *f = open_memstream(&json, &len);
        if (!f || !name || !version) {
                free(name);
                free(version);
                if (f)
                        fclose(f);
                free(json);
                return NULL;
        }
        fprintf(f, "{\"return\":{\"version\":\"%s\",\"supported_commands\":[", maxed ? version : "7.2.0");
        for (int i = 0; i < (maxed ? MAXED_COUNT : 50); i++) {
                if (maxed)
                        name[0] = (char) ('a' + i % 26), name[1] = (char) ('a' + i / 26 % 26);
                fprintf(f, "%s{\"enabled\":true,\"name\":\"%s%s\",\"success-response\":true}", i ? "," : "",
                        maxed ? "" : "guest-command-", maxed ? name : "x");
        }
        fputs("]}}", f);
        fclose(f);
        free(name);
        free(version);
        return json;
}

static int add_vm(Manager *m, const char *uuid, const char *name, bool maxed) {
        static const char xml_fmt[] = "<domain type='kvm' id='1'><name>%s</name><devices>"
                                      "<disk type='file' device='disk'><target dev='vda' bus='virtio'/></disk>"
                                      "<interface type='network'><mac address='" NIC_MAC "'/>"
                                      "<source network='default'/><alias name='net0'/></interface>"
                                      "</devices></domain>";
        DomainInfo info = { .state = DOMAIN_STATE_RUNNING,
                            .persistent = true,
                            .id = 1,
                            .agent = AGENT_STATE_CONNECTED,
                            .agent_probe_usec = 1700000000000000ULL };
        GuestData data = { .kinds_requested = GUEST_KIND_ALL };
        virTypedParameterPtr params = NULL;
        int n = 0, max = 0, r;
        char *xml = NULL, *agent = NULL;
        Domain *d = NULL;

        if (asprintf(&xml, xml_fmt, name) < 0)
                return -ENOMEM;
        snprintf(info.uuid, sizeof info.uuid, "%s", uuid);
        info.name = strdup(name);
        r = info.name ? domain_devices_parse_xml(xml, strlen(xml), &info.devices) : -ENOMEM;
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
        agent = guest_info_json(maxed);
        r = agent ? agent_info_parse_json(agent, strlen(agent), &data.agent) : -ENOMEM;
        if (r >= 0)
                r = maxed ? add_params_maxed(&params, &n, &max) : add_params_ordinary(&params, &n, &max);
        if (r >= 0)
                r = guest_info_from_typed_params(params, n, GUEST_KIND_ALL & ~(unsigned) GUEST_KIND_AGENT, &data.guest);
        virTypedParamsFree(params, n);
        if (r >= 0) {
                struct mallinfo2 before = mallinfo2();
                r = add_later_kinds(data.guest, maxed);
                later_kinds_heap[maxed] = mallinfo2().uordblks - before.uordblks;
        }
        if (r >= 0)
                r = domain_devices_parse_xml(xml, strlen(xml), &data.devices);
        if (r >= 0) {
                guest_info_fill_bus_types(data.guest, data.devices);
                if (data.guest->disks)
                        (void) guest_disks_link_domain(data.guest->disks, data.devices);
                (void) domain_take_guest_data(d, &data);
                d->guest_exported = true;
        }
        agent_info_free(data.agent);
        guest_info_free(data.guest);
        domain_devices_free(data.devices);
        free(agent);
        free(xml);
        return r;
}

/* ---- the bus side: the daemon's vtables on one end of a socketpair ---- */

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
                        break;
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

/* The body of a call's reply in bytes; 0 if it failed. */
static size_t reply_size(sd_bus *c, const char *path, const char *iface, const char *method, const char *types,
                         const char *a1, const char *a2) {
        sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        uint64_t size = 0;
        int r = sd_bus_call_method(c, NULL, path, iface, method, &e, &reply, types, a1, a2);
        if (r < 0 || wire_body_size(reply, &size) < 0)
                size = 0;
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        return size;
}

typedef struct Sizes {
        size_t get_all[5], object, commands, list_users, list_filesystems, disks, counters;
} Sizes;

static const char *const interfaces[] = {
        "org.guestinfod.GuestInfo1.Domain",      "org.guestinfod.GuestInfo1.OS",      "org.guestinfod.GuestInfo1.Users",
        "org.guestinfod.GuestInfo1.Filesystems", "org.guestinfod.GuestInfo1.Network",
};

static void measure(sd_bus *c, const char *uuid, Sizes *s) {
        char *path = NULL;
        if (domain_object_path(uuid, &path) < 0)
                return;
        memset(s, 0, sizeof *s);
        for (size_t i = 0; i < 5; i++) {
                s->get_all[i] =
                        reply_size(c, path, "org.freedesktop.DBus.Properties", "GetAll", "s", interfaces[i], NULL);
                s->object += s->get_all[i];
        }
        s->commands = reply_size(c, path, "org.freedesktop.DBus.Properties", "Get", "ss", interfaces[0],
                                 "AgentSupportedCommands");
        s->list_users = reply_size(c, path, interfaces[2], "ListUsers", "", NULL, NULL);
        s->list_filesystems = reply_size(c, path, interfaces[3], "ListFilesystems", "", NULL, NULL);
        s->disks = reply_size(c, path, "org.freedesktop.DBus.Properties", "Get", "ss", interfaces[3], "Disks");
        s->counters = reply_size(c, path, interfaces[0], "GetCounters", "", NULL, NULL);
        free(path);
}

int main(void) {
        static const char ordinary_uuid[] = "c0ffee00-0000-4000-8000-000000000001";
        static const char maxed_uuid[] = "c0ffee00-0000-4000-8000-000000000002";
        Manager *m = NULL;
        Server s = { 0 };
        sd_bus *client = NULL;
        pthread_t thread;
        Sizes ord, big;

        bench_init(300);
        log_set_max_level(LOG_LEVEL_ERROR);
        if (virInitialize() < 0 || manager_new(NULL, "test:///bench", &m) < 0 ||
            add_vm(m, ordinary_uuid, "ordinary", false) < 0 || add_vm(m, maxed_uuid, "maxed-out", true) < 0) {
                fprintf(stderr, "bench-wire: building the VMs failed\n");
                return 1;
        }
        s.m = m;
        if (bus_pair(&s, &client) < 0) {
                fprintf(stderr, "bench-wire: cannot set up the bus pair\n");
                return 1;
        }
        pthread_create(&thread, NULL, serve, &s);
        measure(client, ordinary_uuid, &ord);
        measure(client, maxed_uuid, &big);
        size_t gmo = reply_size(client, MANAGER_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", "",
                                NULL, NULL);
        sd_bus_flush_close_unref(client);
        pthread_join(thread, NULL);

        printf("# body bytes on the wire (dbus-1 format, headers not counted): ordinary VM / maxed-out VM\n");
        for (size_t i = 0; i < 5; i++)
                printf("#   GetAll(%s): %zu / %zu\n", strrchr(interfaces[i], '.') + 1, ord.get_all[i], big.get_all[i]);
        printf("#   the object (sum of the GetAll bodies): %zu / %zu\n", ord.object, big.object);
        printf("#   Get(AgentSupportedCommands): %zu / %zu\n", ord.commands, big.commands);
        printf("#   ListUsers(): %zu / %zu\n", ord.list_users, big.list_users);
        printf("#   ListFilesystems(): %zu / %zu\n", ord.list_filesystems, big.list_filesystems);
        printf("#   Get(Disks): %zu / %zu (the disks' share of the budget: %u)\n", ord.disks, big.disks,
               GUEST_DISKS_BUDGET);
        printf("#   GetCounters(): %zu / %zu (no property: asked for, never signalled)\n", ord.counters, big.counters);
        printf("#   heap of the disks, clock, vCPUs and counters: %zu / %zu\n", later_kinds_heap[0],
               later_kinds_heap[1]);
        printf("#   GetManagedObjects with both: %zu\n", gmo);
        printf("#   with the bus's 32 MiB message limit, maxed-out VMs per GetManagedObjects: %zu\n",
               big.object ? (size_t) (32u << 20) / big.object : 0);

        bench_row("largest VM on the wire: object of a maxed-out guest (GetAll bodies)",
                  bench_fmt_bytes((double) big.object), "ordinary guest's object", bench_fmt_bytes((double) ord.object),
                  bench_fmt_ratio((double) big.object / (double) ord.object), "≤ the VM's budget (88 KiB)",
                  bench_met(big.object <= GUEST_DATA_BUDGET));
        bench_row("disks of a maxed-out guest: Get(Disks)", bench_fmt_bytes((double) big.disks),
                  "ordinary guest's disks", bench_fmt_bytes((double) ord.disks),
                  bench_fmt_ratio((double) big.disks / (double) (ord.disks ? ord.disks : 1)),
                  "≤ the disks' share (8 KiB)", bench_met(big.disks <= GUEST_DISKS_BUDGET));
        bench_row("counters of a maxed-out guest: GetCounters()", bench_fmt_bytes((double) big.counters),
                  "ordinary guest's counters", bench_fmt_bytes((double) ord.counters),
                  bench_fmt_ratio((double) big.counters / (double) (ord.counters ? ord.counters : 1)), "-", "-");
        bench_row("heap of the later kinds (disks, clock, vCPUs, counters), maxed-out guest",
                  bench_fmt_bytes((double) later_kinds_heap[1]), "ordinary guest's",
                  bench_fmt_bytes((double) later_kinds_heap[0]),
                  bench_fmt_ratio((double) later_kinds_heap[1] /
                                  (double) (later_kinds_heap[0] ? later_kinds_heap[0] : 1)),
                  "-", "-");
        bus_domain_free(s.domains);
        sd_bus_flush_close_unref(s.bus);
        manager_free(m);
        return 0;
}
