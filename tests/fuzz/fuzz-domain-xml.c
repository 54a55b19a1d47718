/* Domain XML: the agent channel's state and the devices. libvirt writes it,
 * but its <ip>, <alias> and names pass through from users and guests. */
#include <stdint.h>

#include "agent-channel.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        DomainDevices *d = NULL;
        AgentState state;

        (void) agent_state_from_domain_xml((const char *) data, size, &state);
        if (domain_devices_parse_xml((const char *) data, size, &d) < 0)
                return 0;
        if (d->n_nics > DOMAIN_NICS_MAX || d->n_disks > DOMAIN_DISKS_MAX)
                abort();
        for (size_t i = 0; i < d->n_nics; i++) {
                check_string(d->nics[i].alias);
                check_string(d->nics[i].mac);
                for (size_t k = 0; k < d->nics[i].n_addresses; k++)
                        check_string(d->nics[i].addresses[k]);
        }
        for (size_t i = 0; i < d->n_disks; i++) {
                check_string(d->disks[i].target);
                check_string(d->disks[i].bus);
        }
        /* merging a domain-only view must hold together too */
        MergedInterfaces *m = NULL;
        if (interfaces_merge(d, NULL, &m) >= 0)
                merged_interfaces_free(m);
        domain_devices_free(d);
        return 0;
}
