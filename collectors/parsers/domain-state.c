#include <stddef.h>

#include <libvirt/libvirt.h>

#include "domain-state.h"

static const char *const state_names[_DOMAIN_STATE_MAX] = {
        [DOMAIN_STATE_NOSTATE] = "nostate",   [DOMAIN_STATE_RUNNING] = "running",
        [DOMAIN_STATE_BLOCKED] = "blocked",   [DOMAIN_STATE_PAUSED] = "paused",
        [DOMAIN_STATE_SHUTDOWN] = "shutdown", [DOMAIN_STATE_SHUTOFF] = "shutoff",
        [DOMAIN_STATE_CRASHED] = "crashed",   [DOMAIN_STATE_PMSUSPENDED] = "pmsuspended",
};

const char *domain_state_to_string(DomainState s) {
        if (s < 0 || s >= _DOMAIN_STATE_MAX)
                return NULL;
        return state_names[s];
}

DomainState domain_state_from_libvirt(int state) {
        switch (state) {
        case VIR_DOMAIN_RUNNING:
                return DOMAIN_STATE_RUNNING;
        case VIR_DOMAIN_BLOCKED:
                return DOMAIN_STATE_BLOCKED;
        case VIR_DOMAIN_PAUSED:
                return DOMAIN_STATE_PAUSED;
        case VIR_DOMAIN_SHUTDOWN:
                return DOMAIN_STATE_SHUTDOWN;
        case VIR_DOMAIN_SHUTOFF:
                return DOMAIN_STATE_SHUTOFF;
        case VIR_DOMAIN_CRASHED:
                return DOMAIN_STATE_CRASHED;
        case VIR_DOMAIN_PMSUSPENDED:
                return DOMAIN_STATE_PMSUSPENDED;
        default:
                return DOMAIN_STATE_NOSTATE;
        }
}
