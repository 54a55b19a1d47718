/* One libvirt domain as the daemon knows it: plain data, no bus, no libvirt. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "virt-message.h"

/* Bits naming the properties that changed, for one PropertiesChanged. */
typedef enum DomainProperty {
        DOMAIN_PROPERTY_NAME = 1u << 0,
        DOMAIN_PROPERTY_STATE = 1u << 1,
        DOMAIN_PROPERTY_PERSISTENT = 1u << 2,
        DOMAIN_PROPERTY_ID = 1u << 3,
        DOMAIN_PROPERTY_AGENT_CONNECTED = 1u << 4,
        DOMAIN_PROPERTY_AGENT_LAST_TRANSITION_TIME = 1u << 5,
        DOMAIN_PROPERTY_AGENT_LAST_PROBE_TIME = 1u << 6,
} DomainProperty;

typedef struct Domain Domain;

struct Domain {
        char uuid[UUID_STRING_MAX];
        char *name;
        DomainState state;
        bool persistent;
        int32_t id;

        /* KubeVirt's AgentConnected condition. Times: µs since the epoch,
         * 0 until first known. */
        bool agent_connected;
        uint64_t agent_last_transition_usec;
        uint64_t agent_last_probe_usec;

        /* Set by the model on every resync: domains not seen are gone. */
        bool seen;

        /* The bus layer's queue of pending PropertiesChanged (see bus-publisher.c). */
        unsigned pending_changes;
        Domain *changes_prev, *changes_next;
        bool in_changes_queue;
};

int domain_new(const DomainInfo *info, Domain **ret);
Domain *domain_free(Domain *d);

/* Copies info into d. Returns the DomainProperty bits whose value changed
 * (0 if none), or -ENOMEM. */
int domain_update(Domain *d, const DomainInfo *info);

/* Applies what is known about the agent (from the live XML or an agent
 * event). Returns the DomainProperty bits that changed. */
unsigned domain_update_agent(Domain *d, AgentState agent, uint64_t usec);
