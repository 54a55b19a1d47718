/* The guest's disks, as any guest may send them: the agent's reply to
 * guest-get-disks, linked to a fixed domain's disks. */
#include <stdint.h>

#include "fuzz-common.h"
#include "guest-disks.h"

static const char domain_xml[] = "<domain><devices><disk type='file'><source file='/i/root.qcow2'/>"
                                 "<target dev='vda' bus='virtio'/></disk><disk type='file'><source file='/i/d.img'/>"
                                 "<target dev='vdb' bus='virtio'/><serial>gidata0001</serial></disk>"
                                 "</devices></domain>";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        GuestDisks *d = NULL;
        DomainDevices *dev = NULL;

        if (guest_disks_from_agent_json((const char *) data, size, &d) < 0)
                return 0;
        if (d->n_items > GUEST_DISKS_MAX || d->n_items > d->n_reported)
                abort();
        size_t bytes = 0;
        for (size_t i = 0; i < d->n_items; i++) {
                GuestDisk *g = &d->items[i];
                if (!g->name || g->n_dependencies > GUEST_DISK_DEPS_MAX)
                        abort();
                check_string(g->name);
                check_string(g->serial);
                check_string(g->bus);
                check_string(g->guest_alias);
                bytes += strlen(g->name) + 1;
                for (size_t k = 0; k < g->n_dependencies; k++) {
                        check_string(g->dependencies[k]);
                        bytes += strlen(g->dependencies[k]) + 1;
                }
        }
        if (bytes > GUEST_DISKS_BUDGET)
                abort();
        if (domain_devices_parse_xml(domain_xml, sizeof domain_xml - 1, &dev) == 0) {
                if (guest_disks_link_domain(d, dev) < 0)
                        abort();
                for (size_t i = 0; i < d->n_items; i++) {
                        check_string(d->items[i].target);
                        check_string(d->items[i].source);
                }
                domain_devices_free(dev);
        }
        if (!guest_disks_equal(d, d))
                abort();
        guest_disks_free(d);
        return 0;
}
