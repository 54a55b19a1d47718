/* Domain run states as published on the bus, and their libvirt origin. */
#pragma once

#include <errno.h>

typedef enum DomainState {
        DOMAIN_STATE_NOSTATE,
        DOMAIN_STATE_RUNNING,
        DOMAIN_STATE_BLOCKED,
        DOMAIN_STATE_PAUSED,
        DOMAIN_STATE_SHUTDOWN,
        DOMAIN_STATE_SHUTOFF,
        DOMAIN_STATE_CRASHED,
        DOMAIN_STATE_PMSUSPENDED,
        _DOMAIN_STATE_MAX,
        _DOMAIN_STATE_INVALID = -EINVAL,
} DomainState;

const char *domain_state_to_string(DomainState s);
/* Maps a virDomainState value; unknown future states become NOSTATE. */
DomainState domain_state_from_libvirt(int state);
