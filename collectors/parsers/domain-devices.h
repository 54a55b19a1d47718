/* A domain XML's <devices> → DomainDevices (NICs, disks). */
#pragma once

#include <stddef.h>

#include <libxml/tree.h>

#include "guest-data.h"

/* Parses the <devices> of a domain XML. Returns 0, -EINVAL, -ENOMEM. */
int domain_devices_parse_xml(const char *xml, size_t len, DomainDevices **ret);
DomainDevices *domain_devices_free(DomainDevices *d);
/* The same, from the root of a document domain_xml_read() returned. */
int domain_devices_from_node(xmlNode *root, DomainDevices **ret);
