/* Reading a domain XML safely: the one place that sets libxml2's flags. */
#pragma once

#include <stddef.h>

#include <libxml/tree.h>

#include "agent-channel.h"
#include "guest-data.h"

/* Parses xml (len bytes) with no network, no entity expansion and no error
 * printing, and checks the root is <domain>. Returns the document (free it
 * with xmlFreeDoc) and its root in *root, or NULL if it is not a domain XML. */
xmlDoc *domain_xml_read(const char *xml, size_t len, xmlNode **root);

/* Readers of one parsed document, so that a caller needing both parses once
 * (the string versions in agent-channel.h and guest-data.h wrap these). */
AgentState agent_state_from_domain_node(xmlNode *root);
int domain_devices_from_node(xmlNode *root, DomainDevices **ret);
