/* Events instead of waiting, on a real guest (bench/run --vms): one tiny VM
 * (tests/vm, TCG) with the real qemu-guest-agent under a hand-started
 * libvirtd; guestinfod polls interfaces only every 300 s, so every figure
 * here is an event path's.
 *
 *   hot-plug    virDomainAttachDeviceFlags(NIC, LIVE) → the NIC's MAC in
 *               guestinfod's Network.Interfaces, and the guest's name for
 *               it (the agent asked after the event); against libvirt's
 *               own device-added event on this program's connection (the
 *               earliest anyone can know)
 *   address     the guest drops its routable addresses, its agent restarts,
 *               an address comes 5 s later (the guest's DHCP answering
 *               after the agent started): agent connected → the address in
 *               Interfaces; against the agent itself, polled by this
 *               program every 250 ms from the same moment */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/libvirt-qemu.h>

#include "bench.h"
#include "guest.h"
#include "harness.h"

#define VM_NAME "bge-vm"
#define VM_UUID "95000000-0000-4000-8000-000000000001"
#define NIC_MAC "52:54:00:ee:01:01"
#define LATE_ADDRESS "192.0.2.77"
#define ROUNDS 5
#define NETWORK_IFACE "org.guestinfod.GuestInfo1.Network"

static Harness H;
static virConnectPtr conn;
static virDomainPtr dom;
static char path[256];
static sd_bus *bus; /* this program's connection to the harness's bus */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static double device_added_at, agent_connected_at;

static void cleanup(void) {
        if (dom)
                virDomainFree(dom);
        if (conn)
                virConnectClose(conn);
        harness_cleanup(&H);
}

static void *event_loop(void *arg) {
        for (;;)
                if (virEventRunDefaultImpl() < 0)
                        usleep(1000);
        return NULL;
}

static void on_device_added(virConnectPtr c, virDomainPtr d, const char *alias, void *opaque) {
        double t = bench_now();
        pthread_mutex_lock(&lock);
        if (device_added_at == 0)
                device_added_at = t;
        pthread_mutex_unlock(&lock);
}

static void on_agent(virConnectPtr c, virDomainPtr d, int state, int reason, void *opaque) {
        double t = bench_now();
        if (state != VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED)
                return;
        pthread_mutex_lock(&lock);
        if (agent_connected_at == 0)
                agent_connected_at = t;
        pthread_mutex_unlock(&lock);
}

static double take(double *at) {
        pthread_mutex_lock(&lock);
        double t = *at;
        pthread_mutex_unlock(&lock);
        return t;
}

static void reset(double *at) {
        pthread_mutex_lock(&lock);
        *at = 0;
        pthread_mutex_unlock(&lock);
}

/* What guestinfod's Interfaces has: an entry with mac (and, if name, the
 * guest's name for it), or an address. */
static bool published(const char *mac, bool want_guest_name, const char *address) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        bool found = false;

        if (sd_bus_get_property(bus, "org.guestinfod.GuestInfo1", path, NETWORK_IFACE, "Interfaces", &error, &m,
                                "a(sssa(ssy)asa{sv})") < 0) {
                sd_bus_error_free(&error);
                return false;
        }
        if (sd_bus_message_enter_container(m, 'a', "(sssa(ssy)asa{sv})") > 0)
                while (!found && sd_bus_message_enter_container(m, 'r', "sssa(ssy)asa{sv}") > 0) {
                        const char *name, *iface, *emac, *family, *addr;
                        uint8_t prefix;
                        if (sd_bus_message_read(m, "sss", &name, &iface, &emac) < 0)
                                break;
                        if (mac && strcmp(emac, mac) == 0 && (!want_guest_name || iface[0]))
                                found = true;
                        if (sd_bus_message_enter_container(m, 'a', "(ssy)") > 0) {
                                while (sd_bus_message_read(m, "(ssy)", &family, &addr, &prefix) > 0)
                                        found |= address && strcmp(addr, address) == 0;
                                sd_bus_message_exit_container(m);
                        }
                        sd_bus_message_skip(m, "asa{sv}");
                        sd_bus_message_exit_container(m);
                }
        sd_bus_message_unref(m);
        return found;
}

/* The agent's own answer has address (through libvirt, as any client asks). */
static bool agent_reports(const char *address) {
        virDomainInterfacePtr *ifaces = NULL;
        int n = virDomainInterfaceAddresses(dom, &ifaces, VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT, 0);
        bool found = false;
        for (int i = 0; i < n; i++) {
                for (unsigned k = 0; k < ifaces[i]->naddrs; k++)
                        found |= strcmp(ifaces[i]->addrs[k].addr, address) == 0;
                virDomainInterfaceFree(ifaces[i]);
        }
        free(ifaces);
        return found;
}

static int guest_exec(const char *cmdline) {
        char json[1024];
        snprintf(json, sizeof json,
                 "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/bin/sh\",\"arg\":[\"-c\",\"%s\"]}}", cmdline);
        char *reply = virDomainQemuAgentCommand(dom, json, 30, 0);
        if (!reply) {
                fprintf(stderr, "bench-guest-events: guest-exec failed: %s\n", virGetLastErrorMessage());
                return -EIO;
        }
        free(reply);
        return 0;
}

/* Polls until published(...) or timeout; the time it became so, or 0. */
static double wait_published(const char *mac, bool guest_name, const char *address, double timeout_s) {
        double end = bench_now() + timeout_s;
        while (bench_now() < end) {
                if (published(mac, guest_name, address))
                        return bench_now();
                usleep(5000);
        }
        return 0;
}

static void hotplug_rounds(const char *nic_xml) {
        double mac_t[ROUNDS], name_t[ROUNDS], event_t[ROUNDS];
        size_t n = 0;

        for (int r = 0; r < ROUNDS; r++) {
                reset(&device_added_at);
                double t0 = bench_now();
                if (virDomainAttachDeviceFlags(dom, nic_xml, VIR_DOMAIN_AFFECT_LIVE) < 0) {
                        fprintf(stderr, "bench-guest-events: attach failed: %s\n", virGetLastErrorMessage());
                        continue;
                }
                double mac_at = wait_published(NIC_MAC, false, NULL, 10);
                double name_at = wait_published(NIC_MAC, true, NULL, 20);
                double event_at = take(&device_added_at);
                printf("# round %d: device-added event %s, MAC published %s, guest's name %s after the call\n", r,
                       event_at ? bench_fmt_time(event_at - t0) : "never",
                       mac_at ? bench_fmt_time(mac_at - t0) : "never",
                       name_at ? bench_fmt_time(name_at - t0) : "never");
                if (mac_at && name_at && event_at) {
                        mac_t[n] = mac_at - t0;
                        name_t[n] = name_at - t0;
                        event_t[n] = event_at - t0;
                        n++;
                }
                (void) virDomainDetachDeviceFlags(dom, nic_xml, VIR_DOMAIN_AFFECT_LIVE);
                double end = bench_now() + 10;
                while (published(NIC_MAC, false, NULL) && bench_now() < end)
                        usleep(20000);
                sleep(1);
        }
        if (n == 0) {
                bench_row("hot-plugged NIC → Interfaces (real VM)", "never published", "-", "-", "-", "-", "NO");
                return;
        }
        double mac = bench_median(mac_t, n), name = bench_median(name_t, n), ev = bench_median(event_t, n);
        char gi[64];
        snprintf(gi, sizeof gi, "%s (max %s)", bench_fmt_time(mac), bench_fmt_time(bench_percentile(mac_t, n, 100)));
        bench_row("hot-plugged NIC → its MAC in Interfaces, median", gi, "libvirt's device-added event",
                  bench_fmt_time(ev), bench_fmt_ratio(mac / ev), "≤ 1 s", bench_met(mac <= 1.0));
        snprintf(gi, sizeof gi, "%s (max %s)", bench_fmt_time(name), bench_fmt_time(bench_percentile(name_t, n, 100)));
        bench_row("hot-plugged NIC → the guest's name for it, median", gi, "interfaces interval (polls)", "300 s",
                  bench_fmt_ratio(name / 300), "≤ 10 s", bench_met(name <= 10.0));
}

static void address_rounds(void) {
        double pub_t[ROUNDS], agent_t[ROUNDS], lag_t[ROUNDS];
        size_t n = 0;

        for (int r = 0; r < ROUNDS; r++) {
                reset(&agent_connected_at);
                /* every routable address goes, the agent restarts (init, 1 s),
                 * the address comes 5 s after the kill */
                if (guest_exec("(sleep 0.5; ip addr flush dev eth0 scope global; ip addr flush dev dummy0 scope "
                               "global; kill -KILL $(pidof qemu-ga); sleep 5; ip addr add " LATE_ADDRESS
                               "/24 dev eth0) >/dev/null 2>&1 &") < 0)
                        break;
                double end = bench_now() + 30;
                while (!take(&agent_connected_at) && bench_now() < end)
                        usleep(5000);
                double connected = take(&agent_connected_at);
                if (!connected) {
                        printf("# round %d: the agent did not come back\n", r);
                        continue;
                }
                double agent_at = 0, pub_at = 0, next_agent = 0;
                end = connected + 40;
                while ((!agent_at || !pub_at) && bench_now() < end) {
                        double now = bench_now();
                        if (!pub_at && published(NULL, false, LATE_ADDRESS))
                                pub_at = now;
                        if (!agent_at && now >= next_agent) {
                                if (agent_reports(LATE_ADDRESS))
                                        agent_at = now;
                                next_agent = now + 0.25;
                        }
                        usleep(10000);
                }
                printf("# round %d: after the agent connected, the agent reports the address at %s, guestinfod "
                       "publishes it at %s\n",
                       r, agent_at ? bench_fmt_time(agent_at - connected) : "never",
                       pub_at ? bench_fmt_time(pub_at - connected) : "never");
                if (agent_at && pub_at) {
                        pub_t[n] = pub_at - connected;
                        agent_t[n] = agent_at - connected;
                        lag_t[n] = pub_at - agent_at;
                        n++;
                }
                (void) guest_exec("ip addr del " LATE_ADDRESS "/24 dev eth0; ip addr add 10.0.2.15/24 dev eth0");
                sleep(2);
        }
        if (n == 0) {
                bench_row("agent connected → first routable address published", "never", "-", "-", "-", "-", "NO");
                return;
        }
        double pub = bench_median(pub_t, n), agent = bench_median(agent_t, n), lag = bench_median(lag_t, n);
        char gi[64], peer[64];
        snprintf(gi, sizeof gi, "%s (max %s)", bench_fmt_time(pub), bench_fmt_time(bench_percentile(pub_t, n, 100)));
        snprintf(peer, sizeof peer, "%s", bench_fmt_time(agent));
        bench_row("agent connected → first routable address published, median", gi,
                  "the agent itself, polled every 250 ms", peer, bench_fmt_ratio(pub / agent), "-", "-");
        snprintf(gi, sizeof gi, "%s (max %s)", bench_fmt_time(lag), bench_fmt_time(bench_percentile(lag_t, n, 100)));
        bench_row("address in the agent → in Interfaces, median", gi, "interfaces interval (polls)", "300 s",
                  bench_fmt_ratio(lag / 300), "≤ 2 s poll + 1 s", bench_met(bench_percentile(lag_t, n, 100) <= 3.0));
}

int main(int argc, char *argv[]) {
        char guest_dir[512], nic_xml[256];

        if (harness_init(&H) < 0)
                return 1;
        bench_init(900);
        bench_on_exit(cleanup);
        snprintf(guest_dir, sizeof guest_dir, "%s/guest", H.dir);
        double t0 = bench_now();
        if (harness_start_bus(&H) < 0 || guest_build(&H, "guest.env", guest_dir) != 0 ||
            harness_start_libvirtd(&H, "qemu") < 0 ||
            guest_define(&H, VM_NAME, VM_UUID, "guest.env", guest_dir, true) != 0) {
                fprintf(stderr, "bench-guest-events: cannot set up the guest\n");
                return 1;
        }
        printf("# guest built and libvirtd up in %s\n", bench_fmt_time(bench_now() - t0));
        if (sd_bus_open_user(&bus) < 0) {
                fprintf(stderr, "bench-guest-events: cannot connect to the bus\n");
                return 1;
        }

        virEventRegisterDefaultImpl();
        pthread_t thread;
        pthread_create(&thread, NULL, event_loop, NULL);
        conn = virConnectOpen(H.uri);
        dom = conn ? virDomainLookupByName(conn, VM_NAME) : NULL;
        if (!dom) {
                fprintf(stderr, "bench-guest-events: %s\n", virGetLastErrorMessage());
                return 1;
        }
        virConnectDomainEventRegisterAny(conn, dom, VIR_DOMAIN_EVENT_ID_DEVICE_ADDED,
                                         VIR_DOMAIN_EVENT_CALLBACK(on_device_added), NULL, NULL);
        virConnectDomainEventRegisterAny(conn, dom, VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE,
                                         VIR_DOMAIN_EVENT_CALLBACK(on_agent), NULL, NULL);

        char *p = NULL;
        harness_domain_path(VM_UUID, &p);
        snprintf(path, sizeof path, "%s", p);
        free(p);
        if (harness_start_daemon(&H, H.uri, 60, "--interval=interfaces=300", NULL) < 0 || virDomainCreate(dom) < 0) {
                fprintf(stderr, "bench-guest-events: cannot start guestinfod or the VM\n");
                return 1;
        }
        double end = bench_now() + 240;
        while (!published(NULL, false, "10.0.2.15") && bench_now() < end)
                usleep(100000);
        sleep(3);
        printf("# VM up with guest data in %s\n", bench_fmt_time(bench_now() - t0));

        snprintf(nic_xml, sizeof nic_xml,
                 "<interface type='user'><mac address='" NIC_MAC "'/><model type='virtio'/></interface>");
        hotplug_rounds(nic_xml);
        address_rounds();
        return 0;
}
