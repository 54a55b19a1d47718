/* Reading a domain XML safely: the one place that sets libxml2's flags. */
#pragma once

#include <stddef.h>

#include <libxml/tree.h>

/* Parses xml (len bytes) with no network, no entity expansion and no error
 * printing, and checks the root is <domain>. Returns the document (free it
 * with xmlFreeDoc) and its root in *root, or NULL if it is not a domain XML. */
xmlDoc *domain_xml_read(const char *xml, size_t len, xmlNode **root);

/* agent-channel.h and domain-devices.h each read a document this returns
 * from its root, so that a caller needing both parses once. */
