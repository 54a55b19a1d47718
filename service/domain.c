#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"

int domain_new(const DomainInfo *info, Domain **ret) {
        Domain *d = calloc(1, sizeof *d);
        if (!d)
                return -ENOMEM;

        memcpy(d->uuid, info->uuid, sizeof d->uuid);
        d->uuid[UUID_STRING_MAX - 1] = '\0';
        d->name = strdup(info->name ? info->name : "");
        if (!d->name) {
                free(d);
                return -ENOMEM;
        }
        d->state = info->state;
        d->persistent = info->persistent;
        d->id = info->id;
        /* An agent seen connected at first sight counts as a transition. */
        domain_update_agent(d, info->agent, info->agent_probe_usec);
        *ret = d;
        return 0;
}

Domain *domain_free(Domain *d) {
        if (!d)
                return NULL;
        free(d->name);
        free(d);
        return NULL;
}

int domain_update(Domain *d, const DomainInfo *info) {
        unsigned changed = 0;
        const char *name = info->name ? info->name : "";

        if (strcmp(d->name, name) != 0) {
                char *n = strdup(name);
                if (!n)
                        return -ENOMEM;
                free(d->name);
                d->name = n;
                changed |= DOMAIN_PROPERTY_NAME;
        }
        if (d->state != info->state) {
                d->state = info->state;
                changed |= DOMAIN_PROPERTY_STATE;
        }
        if (d->persistent != info->persistent) {
                d->persistent = info->persistent;
                changed |= DOMAIN_PROPERTY_PERSISTENT;
        }
        if (d->id != info->id) {
                d->id = info->id;
                changed |= DOMAIN_PROPERTY_ID;
        }
        changed |= domain_update_agent(d, info->agent, info->agent_probe_usec);
        return (int) changed;
}

unsigned domain_update_agent(Domain *d, AgentState agent, uint64_t usec) {
        unsigned changed = 0;
        bool connected;

        switch (agent) {
        case AGENT_STATE_NO_CHANNEL:
        case AGENT_STATE_INACTIVE:
                /* No agent to ask: not a probe, but certainly not connected
                 * (destroy and shutdown send no agent event). */
                connected = false;
                break;
        case AGENT_STATE_DISCONNECTED:
        case AGENT_STATE_CONNECTED:
                connected = agent == AGENT_STATE_CONNECTED;
                if (d->agent_last_probe_usec != usec) {
                        d->agent_last_probe_usec = usec;
                        changed |= DOMAIN_PROPERTY_AGENT_LAST_PROBE_TIME;
                }
                break;
        default:
                return 0;
        }

        if (d->agent_connected != connected) {
                d->agent_connected = connected;
                d->agent_last_transition_usec = usec;
                changed |= DOMAIN_PROPERTY_AGENT_CONNECTED | DOMAIN_PROPERTY_AGENT_LAST_TRANSITION_TIME;
        }
        return changed;
}
