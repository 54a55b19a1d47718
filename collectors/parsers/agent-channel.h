/* Whether a domain's guest agent is connected, as its live XML says:
 * <channel><target type='virtio' name='org.qemu.guest_agent.0' state='connected'/>. */
#pragma once

#include <errno.h>
#include <stddef.h>

#include <libxml/tree.h>

typedef enum AgentState {
        AGENT_STATE_UNKNOWN,    /* not read, or the XML could not be read */
        AGENT_STATE_NO_CHANNEL, /* the domain has no agent channel */
        AGENT_STATE_INACTIVE,   /* the domain is not running: no agent */
        AGENT_STATE_DISCONNECTED,
        AGENT_STATE_CONNECTED,
        _AGENT_STATE_MAX,
        _AGENT_STATE_INVALID = -EINVAL,
} AgentState;

#define AGENT_CHANNEL_NAME "org.qemu.guest_agent.0"

/* Parses a domain XML (up to len bytes). Returns 0 and sets *ret to
 * NO_CHANNEL, DISCONNECTED or CONNECTED; -EINVAL if it is not a domain XML. */
int agent_state_from_domain_xml(const char *xml, size_t len, AgentState *ret);
/* The same, from the root of a document domain_xml_read() returned. */
AgentState agent_state_from_domain_node(xmlNode *root);
