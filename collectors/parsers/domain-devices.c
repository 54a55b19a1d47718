#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "domain-devices.h"
#include "domain-xml.h"
#include "guest-data.h"
#include "helpers.h"
#include "intern.h"

static bool is_element(xmlNode *n, const char *name) {
        return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, (const xmlChar *) name) == 0;
}

static xmlNode *first_child(xmlNode *parent, const char *name) {
        for (xmlNode *n = parent->children; n; n = n->next)
                if (is_element(n, name))
                        return n;
        return NULL;
}

/* An attribute, sanitized. Returns 0 (*ret NULL if absent) or -ENOMEM. */
static int get_attr(xmlNode *n, const char *name, char **ret) {
        xmlChar *v;

        *ret = NULL;
        if (!n)
                return 0;
        v = xmlGetProp(n, (const xmlChar *) name);
        if (!v)
                return 0;
        *ret = utf8_sanitize((const char *) v, strlen((const char *) v), GUEST_STRING_MAX);
        xmlFree(v);
        return *ret ? 0 : -ENOMEM;
}

/* The strings of DomainDevices end up interned (intern_all), so they are
 * dropped with intern_unref, which frees the ones not yet interned too. */
static void nic_done(DomainNic *nic) {
        intern_unref(nic->alias);
        intern_unref(nic->mac);
        for (size_t i = 0; i < nic->n_addresses; i++)
                intern_unref(nic->addresses[i]);
        free(nic->addresses);
}

/* <serial>text</serial>, sanitized. Returns 0 (*ret NULL if none) or -ENOMEM. */
static int disk_serial(xmlNode *disk, char **ret) {
        xmlNode *n = first_child(disk, "serial");
        xmlChar *v;

        *ret = NULL;
        if (!n || !(v = xmlNodeGetContent(n)))
                return 0;
        *ret = utf8_sanitize((const char *) v, strlen((const char *) v), GUEST_STRING_MAX);
        xmlFree(v);
        return *ret ? 0 : -ENOMEM;
}

/* What the disk's <source> names: a file, a block device, a volume
 * ("pool/volume") or a network disk's name. */
static int disk_source(xmlNode *disk, char **ret) {
        static const char *const attrs[] = { "file", "dev", "name", "volume" };
        xmlNode *n = first_child(disk, "source");
        int r;

        *ret = NULL;
        for (size_t i = 0; n && i < sizeof attrs / sizeof *attrs; i++) {
                if (strcmp(attrs[i], "volume") == 0) {
                        char *pool = NULL, *vol = NULL;
                        if (get_attr(n, "pool", &pool) < 0 || get_attr(n, "volume", &vol) < 0) {
                                free(pool);
                                free(vol);
                                return -ENOMEM;
                        }
                        if (pool && vol && asprintf(ret, "%s/%s", pool, vol) < 0)
                                *ret = NULL, r = -ENOMEM;
                        else
                                r = 0;
                        free(pool);
                        free(vol);
                        return r;
                }
                if ((r = get_attr(n, attrs[i], ret)) < 0 || *ret)
                        return r;
        }
        return 0;
}

DomainDevices *domain_devices_free(DomainDevices *d) {
        if (!d)
                return NULL;
        for (size_t i = 0; i < d->n_nics; i++)
                nic_done(&d->nics[i]);
        free(d->nics);
        for (size_t i = 0; i < d->n_disks; i++) {
                intern_unref(d->disks[i].target);
                intern_unref(d->disks[i].bus);
                intern_unref(d->disks[i].serial);
                intern_unref(d->disks[i].source);
        }
        free(d->disks);
        free(d);
        return NULL;
}

/* "address/prefix" of an <ip>, or the bare address without a usable
 * prefix; *ret NULL if it has no address. Returns 0 or -ENOMEM. */
static int ip_to_string(xmlNode *ip, bool ipv4, char **ret) {
        xmlChar *addr, *prefix;
        char *s = NULL, *end;
        int r = 0;

        *ret = NULL;
        addr = xmlGetProp(ip, (const xmlChar *) "address");
        if (!addr)
                return 0;
        prefix = xmlGetProp(ip, (const xmlChar *) "prefix");

        unsigned long p = ULONG_MAX;
        if (prefix && prefix[0] >= '0' && prefix[0] <= '9') {
                errno = 0;
                p = strtoul((const char *) prefix, &end, 10);
                if (errno != 0 || *end != '\0')
                        p = ULONG_MAX;
        }
        if (p <= (ipv4 ? 32u : 128u))
                r = asprintf(&s, "%s/%lu", (const char *) addr, p) < 0 ? -ENOMEM : 0;
        else if (!(s = strdup((const char *) addr)))
                r = -ENOMEM;
        xmlFree(addr);
        xmlFree(prefix);
        if (r < 0)
                return r;

        *ret = utf8_sanitize(s, strlen(s), GUEST_STRING_MAX);
        free(s);
        return *ret ? 0 : -ENOMEM;
}

/* An <ip>'s family: its family= attribute, else guessed from the address.
 * Returns 4, 6, or 0 for neither. */
static int ip_family(xmlNode *ip) {
        xmlChar *family = xmlGetProp(ip, (const xmlChar *) "family");
        int f = 0;

        if (family) {
                if (xmlStrcmp(family, (const xmlChar *) "ipv4") == 0)
                        f = 4;
                else if (xmlStrcmp(family, (const xmlChar *) "ipv6") == 0)
                        f = 6;
                xmlFree(family);
                return f;
        }
        xmlChar *addr = xmlGetProp(ip, (const xmlChar *) "address");
        if (addr)
                f = xmlStrchr(addr, ':') ? 6 : 4;
        xmlFree(addr);
        return f;
}

/* The <ip> children of an <interface>: IPv4 first, then IPv6, each in
 * document order, at most GUEST_ADDRESSES_MAX. */
static int parse_nic_addresses(xmlNode *iface, DomainNic *nic) {
        size_t n = 0;

        for (xmlNode *c = iface->children; c; c = c->next)
                if (is_element(c, "ip") && n < GUEST_ADDRESSES_MAX)
                        n++;
        if (n == 0)
                return 0;
        nic->addresses = calloc(n, sizeof *nic->addresses);
        if (!nic->addresses)
                return -ENOMEM;

        for (int pass = 4; pass <= 6; pass += 2)
                for (xmlNode *c = iface->children; c && nic->n_addresses < n; c = c->next) {
                        char *s;

                        if (!is_element(c, "ip") || ip_family(c) != pass)
                                continue;
                        if (ip_to_string(c, pass == 4, &s) < 0)
                                return -ENOMEM;
                        if (!s)
                                continue;
                        nic->addresses[nic->n_addresses++] = s;
                        if (pass == 4)
                                nic->n_ipv4++;
                }
        return 0;
}

static int parse_nic(xmlNode *iface, DomainNic *nic) {
        if (get_attr(first_child(iface, "mac"), "address", &nic->mac) < 0 ||
            get_attr(first_child(iface, "alias"), "name", &nic->alias) < 0)
                return -ENOMEM;
        ascii_lower(nic->mac);
        return parse_nic_addresses(iface, nic);
}

static int parse_devices(xmlNode *devices, DomainDevices *d) {
        size_t nics = 0, disks = 0;

        for (xmlNode *c = devices->children; c; c = c->next) {
                if (is_element(c, "interface") && nics < DOMAIN_NICS_MAX)
                        nics++;
                else if (is_element(c, "disk") && disks < DOMAIN_DISKS_MAX)
                        disks++;
        }
        if (nics > 0 && !(d->nics = calloc(nics, sizeof *d->nics)))
                return -ENOMEM;
        if (disks > 0 && !(d->disks = calloc(disks, sizeof *d->disks)))
                return -ENOMEM;

        for (xmlNode *c = devices->children; c; c = c->next) {
                if (is_element(c, "interface") && d->n_nics < nics) {
                        /* Counted first, so that a failure frees what it set. */
                        DomainNic *nic = &d->nics[d->n_nics++];
                        if (parse_nic(c, nic) < 0)
                                return -ENOMEM;
                } else if (is_element(c, "disk") && d->n_disks < disks) {
                        xmlNode *target = first_child(c, "target");
                        DomainDisk *disk = &d->disks[d->n_disks];

                        if (get_attr(target, "dev", &disk->target) < 0)
                                return -ENOMEM;
                        /* Only the target names a disk for the guest's fsinfo. */
                        if (!disk->target)
                                continue;
                        d->n_disks++;
                        if (get_attr(target, "bus", &disk->bus) < 0 || disk_serial(c, &disk->serial) < 0 ||
                            disk_source(c, &disk->source) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

/* *s replaced by its interned copy; -ENOMEM (*s NULL) if out of memory. */
static int intern_field(char **s) {
        if (!*s)
                return 0;
        *s = intern_take(*s);
        return *s ? 0 : -ENOMEM;
}

/* Once parsed and never changed again (a MAC is lowercased before), every
 * string is held once for the fleet: bridge names, buses and most
 * targets repeat from domain to domain. */
static int intern_all(DomainDevices *d) {
        int r = 0;
        for (size_t i = 0; i < d->n_nics; i++) {
                DomainNic *nic = &d->nics[i];
                r |= intern_field(&nic->alias) | intern_field(&nic->mac);
                for (size_t k = 0; k < nic->n_addresses; k++)
                        r |= intern_field(&nic->addresses[k]);
        }
        for (size_t i = 0; i < d->n_disks; i++)
                r |= intern_field(&d->disks[i].target) | intern_field(&d->disks[i].bus) |
                     intern_field(&d->disks[i].serial) | intern_field(&d->disks[i].source);
        return r < 0 ? -ENOMEM : 0;
}

int domain_devices_from_node(xmlNode *root, DomainDevices **ret) {
        DomainDevices *d = calloc(1, sizeof *d);
        int r = 0;

        if (!d)
                return -ENOMEM;
        /* libvirt writes one <devices>; take the first. */
        xmlNode *devices = first_child(root, "devices");
        if (devices)
                r = parse_devices(devices, d);
        if (r >= 0)
                r = intern_all(d);
        if (r < 0) {
                domain_devices_free(d);
                return r;
        }
        *ret = d;
        return 0;
}

int domain_devices_parse_xml(const char *xml, size_t len, DomainDevices **ret) {
        xmlNode *root;
        xmlDoc *doc = domain_xml_read(xml, len, &root);
        if (!doc)
                return -EINVAL;
        int r = domain_devices_from_node(root, ret);
        xmlFreeDoc(doc);
        return r;
}
