/* The guest's counters, as any guest may send them. The first byte picks
 * the reply: NICs, disks or CPUs. */
#include <stdint.h>

#include "fuzz-common.h"
#include "guest-counters.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        GuestCounterList l;
        GuestCpuCounters c;

        if (size < 1)
                return 0;
        const char *json = (const char *) data + 1;
        size_t len = size - 1;
        int r;
        switch (data[0] % 3) {
        case 0:
        case 1:
                r = data[0] % 3 == 0 ? guest_nic_counters_from_agent_json(json, len, &l)
                                     : guest_disk_counters_from_agent_json(json, len, &l);
                if (r < 0)
                        return 0;
                if (l.n_items > GUEST_COUNTERS_MAX || l.n_items > l.n_reported)
                        abort();
                for (size_t i = 0; i < l.n_items; i++) {
                        if (!l.items[i].name || l.items[i].has >> _DISK_COUNTER_MAX)
                                abort();
                        check_string(l.items[i].name);
                }
                guest_counter_list_done(&l);
                break;
        default:
                if (guest_cpu_counters_from_agent_json(json, len, &c) == 0 && c.has >> _CPU_COUNTER_MAX)
                        abort();
        }
        return 0;
}
