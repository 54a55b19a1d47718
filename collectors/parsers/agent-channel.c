#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "agent-channel.h"
#include "domain-xml.h"

static bool is_element(xmlNode *n, const char *name) {
        return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, (const xmlChar *) name) == 0;
}

/* The agent channel's <target>, or NULL. */
static xmlNode *find_agent_target(xmlNode *domain) {
        for (xmlNode *devices = domain->children; devices; devices = devices->next) {
                if (!is_element(devices, "devices"))
                        continue;
                for (xmlNode *channel = devices->children; channel; channel = channel->next) {
                        if (!is_element(channel, "channel"))
                                continue;
                        for (xmlNode *target = channel->children; target; target = target->next) {
                                if (!is_element(target, "target"))
                                        continue;
                                xmlChar *name = xmlGetProp(target, (const xmlChar *) "name");
                                bool match = name && xmlStrcmp(name, (const xmlChar *) AGENT_CHANNEL_NAME) == 0;
                                xmlFree(name);
                                if (match)
                                        return target;
                        }
                }
        }
        return NULL;
}

AgentState agent_state_from_domain_node(xmlNode *root) {
        xmlNode *target = find_agent_target(root);
        if (!target)
                return AGENT_STATE_NO_CHANNEL;

        xmlChar *state = xmlGetProp(target, (const xmlChar *) "state");
        /* libvirt leaves state out until QEMU has reported one: not connected. */
        AgentState r = state && xmlStrcmp(state, (const xmlChar *) "connected") == 0 ? AGENT_STATE_CONNECTED
                                                                                     : AGENT_STATE_DISCONNECTED;
        xmlFree(state);
        return r;
}

int agent_state_from_domain_xml(const char *xml, size_t len, AgentState *ret) {
        xmlNode *root;
        xmlDoc *doc = domain_xml_read(xml, len, &root);
        if (!doc)
                return -EINVAL;
        *ret = agent_state_from_domain_node(root);
        xmlFreeDoc(doc);
        return 0;
}
