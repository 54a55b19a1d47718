/* vCPU lists and counts, the guest's clock and its load, as any guest (or a libvirt
 * relaying it) may send them. The first byte picks the decoder. */
#include <stdint.h>

#include "fuzz-common.h"
#include "guest-clock.h"
#include "guest-load.h"
#include "guest-vcpus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        GuestVcpus v;
        long long sec;
        unsigned nsec;
        int64_t off;

        if (size < 1)
                return 0;
        const char *json = (const char *) data + 1;
        size_t len = size - 1;
        switch (data[0] % 4) {
        case 0:
                if (guest_vcpus_from_agent_json(json, len, &v) == 0 &&
                    (v.online > v.configured || v.offlinable > v.configured || v.configured > GUEST_VCPU_ID_MAX + 1))
                        abort();
                break;
        case 1: {
                char *s = strndup(json, len);
                if (!s)
                        return 0;
                virTypedParameter p[] = {
                        { .field = "vcpus", .type = VIR_TYPED_PARAM_STRING, .value.s = (char *) "0-63" },
                        { .field = "online", .type = VIR_TYPED_PARAM_STRING, .value.s = s },
                };
                if (guest_vcpus_from_typed_params(p, 2, &v) == 0 && (v.configured != 64 || v.online > 64))
                        abort();
                free(s);
                break;
        }
        case 2: {
                GuestLoad l;
                if (guest_load_from_agent_json(json, len, &l) == 0 &&
                    !(l.load1 >= 0 && l.load1 <= GUEST_LOAD_MAX && l.load5 >= 0 && l.load5 <= GUEST_LOAD_MAX &&
                      l.load15 >= 0 && l.load15 <= GUEST_LOAD_MAX))
                        abort();
                break;
        }
        default:
                if (guest_clock_from_agent_json(json, len, &sec, &nsec) == 0 &&
                    (nsec > 999999999u || guest_clock_offset_usec(sec, nsec, 0, &off) < 0))
                        abort();
        }
        return 0;
}
