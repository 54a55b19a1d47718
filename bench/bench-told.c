/* What remembering what the clients were told costs (service/bus/bus-told.c),
 * in process, with the daemon's own vtables over a socketpair: no bus
 * daemon, no libvirt daemon. Models from the test helpers (guest data the
 * test hypervisor cannot give): ordinary guests and maxed-out ones (every
 * string and list at its cap, 512 agent commands at theirs).
 *   - the fingerprints of every property of every domain, as taken once
 *     when the bus name is ours (10000 ordinary domains, 1000 maxed-out);
 *   - one flush's look at what changed: State alone (a lifecycle event),
 *     and every guest property with Interfaces (a collection), per domain;
 *   - the marshalling of the same properties into a message, as the signal
 *     itself costs them (the peer). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "bus-domain.h"
#include "bus-told.h"
#include "guest-profiles.h"

static sd_bus *bus;
static BusDomain *domains;

/* The signal's own cost: each property's getter into one message. */
static int marshal(Domain *d, DomainProperties properties) {
        sd_bus_message *m = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        size_t n;
        const BusDomainInterface *interfaces = bus_domain_interfaces(&n);
        int r = sd_bus_message_new_signal(bus, &m, "/a", "a.b", "C");
        for (DomainProperties bit = 1; r >= 0 && bit; bit <<= 1) {
                const char *iface, *name = (properties & bit) ? bus_domain_property_name(bit, &iface) : NULL;
                for (size_t i = 0; name && i < n; i++)
                        for (const sd_bus_vtable *v = interfaces[i].vtable + 1; r >= 0 && v->type != _SD_BUS_VTABLE_END;
                             v++)
                                if (v->type == _SD_BUS_VTABLE_PROPERTY && strcmp(interfaces[i].interface, iface) == 0 &&
                                    strcmp(v->x.property.member, name) == 0) {
                                        r = sd_bus_message_open_container(m, 'v', v->x.property.signature);
                                        if (r >= 0)
                                                r = v->x.property.get(bus, "/a", iface, name, m, d, &error);
                                        if (r >= 0)
                                                r = sd_bus_message_close_container(m);
                                }
        }
        if (r >= 0)
                r = sd_bus_message_seal(m, 1, 0);
        sd_bus_message_unref(m);
        return r;
}

static void run(const char *label, size_t n, const char *const *guest, const char *agent) {
        Manager *m = guest_profile_model(n, guest, agent, "told", 0);
        if (!m || bus_domain_new(bus, m, false, &domains) < 0) {
                fprintf(stderr, "cannot build the model\n");
                exit(1);
        }
        const DomainProperties collection = domain_exported_properties() | DOMAIN_PROPERTY_INTERFACES;
        Domain *d;
        double t0 = bench_now();
        HASHMAP_FOREACH (d, m->domains, i)
                bus_told_record(bus, domains, d, ~0u);
        double all = bench_now() - t0;
        printf("# %s: fingerprints of every property of %zu domains: %s (%s per domain)\n", label, n,
               bench_fmt_time(all), bench_fmt_time(all / n));
        char metric[128];
        snprintf(metric, sizeof metric, "told, %s guests: what was published, %zu domains (idle, 5 ms slices)", label,
                 n);
        bench_row(metric, bench_fmt_time(all), "-", "-", "-", "-", "-");

        const struct {
                const char *what;
                DomainProperties properties;
        } flushes[] = { { "State", DOMAIN_PROPERTY_STATE }, { "a collection's properties", collection } };
        for (size_t k = 0; k < sizeof flushes / sizeof *flushes; k++) {
                t0 = bench_now();
                HASHMAP_FOREACH (d, m->domains, i)
                        (void) bus_told_changes(bus, domains, d, flushes[k].properties);
                double told = (bench_now() - t0) / n;
                t0 = bench_now();
                HASHMAP_FOREACH (d, m->domains, i)
                        (void) marshal(d, flushes[k].properties);
                double signal = (bench_now() - t0) / n;
                printf("# %s: a flush of %s: %s per domain; marshalling them for the signal: %s (%s)\n", label,
                       flushes[k].what, bench_fmt_time(told), bench_fmt_time(signal), bench_fmt_ratio(told / signal));
                char value[32], peer[32];
                snprintf(metric, sizeof metric, "told, %s guests: a flush of %s, per domain", label, flushes[k].what);
                snprintf(value, sizeof value, "%s", bench_fmt_time(told));
                snprintf(peer, sizeof peer, "%s", bench_fmt_time(signal));
                bench_row(metric, value, "marshalling them for the signal", peer, bench_fmt_ratio(told / signal), "-",
                          "-");
        }
        domains = bus_domain_free(domains);
        manager_free(m);
}

int main(void) {
        int fds[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 || sd_bus_new(&bus) < 0 ||
            sd_bus_set_fd(bus, fds[0], fds[0]) < 0 || sd_bus_start(bus) < 0) {
                fprintf(stderr, "no bus\n");
                return 1;
        }
        run("ordinary", 10000, guest_profile_ordinary(), guest_profile_ordinary_agent());
        run("maxed-out", 1000, guest_profile_maxed(), guest_profile_maxed_agent());
        sd_bus_close_unref(bus);
        close(fds[1]);
        return 0;
}
