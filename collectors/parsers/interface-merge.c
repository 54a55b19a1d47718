/* The domain's NICs merged with the agent's interfaces, as KubeVirt builds
 * status.interfaces: one entry per NIC in XML order, matched by MAC with the
 * agent's view, then the interfaces only the guest knows, capped. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "interface-merge.h"
#include "guest-builder.h"
#include "guest-data.h"
#include "intern.h"

static const char source_domain[] = "domain";
static const char source_agent[] = "guest-agent";
static const char source_both[] = "domain, guest-agent";

/* Merged strings are the interned copies of their sources' (most repeat
 * across a fleet, and the guest's own are interned already). */
static int copy_or_null(const char *s, char **ret) {
        *ret = NULL;
        if (!s)
                return 0;
        *ret = intern_copy(s);
        return *ret ? 0 : -ENOMEM;
}

static bool streq_or_null(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

/* Copies n4 IPv4 addresses then n6 others into one array, IPv4 first. */
static int copy_addresses(char *const *v4, size_t n4, char *const *v6, size_t n6, MergedInterface *m) {
        size_t n = n4 + n6;

        if (n == 0)
                return 0;
        m->ip_addresses = calloc(n, sizeof *m->ip_addresses);
        if (!m->ip_addresses)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *a = i < n4 ? v4[i] : v6[i - n4];
                /* Never leave a hole: a NULL entry would read as the end. */
                m->ip_addresses[i] = intern_copy(a ? a : "");
                if (!m->ip_addresses[i])
                        return -ENOMEM;
                m->n_ip_addresses++;
        }
        m->n_ipv4 = n4;
        return 0;
}

/* The agent's "lo" says nothing about the VM's networking. */
/* n_ipv4 never exceeds n_addresses by contract; a bad one must not underflow. */
static size_t ipv4_count(size_t n_ipv4, size_t n_addresses) {
        return n_ipv4 < n_addresses ? n_ipv4 : n_addresses;
}

static bool is_loopback(const GuestInterface *g) {
        return g->name && strcmp(g->name, "lo") == 0;
}

static bool mac_equal(const char *a, const char *b) {
        return a && b && strcasecmp(a, b) == 0;
}

static int add_domain_nic(const DomainNic *nic, const GuestInterface *g, MergedInterface *m) {
        int r;

        m->info_source = g ? source_both : source_domain;
        m->name = intern_copy(nic->alias ? nic->alias : "");
        if (!m->name)
                return -ENOMEM;
        r = copy_or_null(nic->mac, &m->mac);
        if (r < 0)
                return r;
        size_t d4 = ipv4_count(nic->n_ipv4, nic->n_addresses), d6 = nic->n_addresses - d4;
        /* NULL + 0 is undefined in C: only offset real arrays. */
        char **d_v6 = nic->addresses ? nic->addresses + d4 : NULL;
        if (!g)
                return copy_addresses(nic->addresses, d4, d_v6, d6, m);

        r = copy_or_null(g->name, &m->interface_name);
        if (r < 0)
                return r;
        /* Per family: what the agent says wins, but an agent silent about a
         * family does not erase what the domain knows of it. */
        size_t g4 = ipv4_count(g->n_ipv4, g->n_addresses), g6 = g->n_addresses - g4;
        return copy_addresses(g4 ? g->addresses : nic->addresses, g4 ? g4 : d4, g6 ? g->addresses + g4 : d_v6,
                              g6 ? g6 : d6, m); /* g6 > 0: addresses is set */
}

static int add_guest_only(const GuestInterface *g, MergedInterface *m) {
        int r;

        m->info_source = source_agent;
        m->name = intern_copy("");
        if (!m->name)
                return -ENOMEM;
        r = copy_or_null(g->name, &m->interface_name);
        if (r < 0)
                return r;
        r = copy_or_null(g->mac, &m->mac);
        if (r < 0)
                return r;
        size_t g4 = ipv4_count(g->n_ipv4, g->n_addresses);
        return copy_addresses(g->addresses, g4, g->addresses ? g->addresses + g4 : NULL, g->n_addresses - g4, m);
}

/* Adds what showing g costs to *spent; false if that would pass the share. */
static bool charge(size_t *spent, const GuestInterface *g) {
        size_t cost = guest_interface_cost(g);

        if (cost > GUEST_INTERFACES_BUDGET - *spent)
                return false;
        *spent += cost;
        return true;
}

/* m, its items and their addresses moved into one exact block (the result
 * is kept for as long as they do not change); out of memory, m as built. */
static MergedInterfaces *pack(MergedInterfaces *m) {
        size_t n_addresses = 0;

        for (size_t i = 0; i < m->n_items; i++)
                n_addresses += m->items[i].n_ip_addresses;
        MergedInterfaces *p =
                malloc(sizeof *p + m->n_items * sizeof *p->items + n_addresses * sizeof *p->items->ip_addresses);
        if (!p)
                return m;
        *p = *m;
        p->items = m->n_items > 0 ? (MergedInterface *) (p + 1) : NULL;
        char **a = (char **) ((MergedInterface *) (p + 1) + m->n_items);
        for (size_t i = 0; i < m->n_items; i++) {
                MergedInterface *it = &m->items[i];
                p->items[i] = *it;
                p->items[i].ip_addresses = it->n_ip_addresses > 0 ? a : NULL;
                if (it->n_ip_addresses > 0)
                        memcpy(a, it->ip_addresses, it->n_ip_addresses * sizeof *a);
                a += it->n_ip_addresses;
                free(it->ip_addresses);
        }
        p->packed = true;
        free(m->items);
        free(m);
        return p;
}

int interfaces_merge(const DomainDevices *devices, const GuestInfo *guest, MergedInterfaces **ret) {
        size_t n_nics = devices ? devices->n_nics : 0;
        size_t n_guest = guest ? guest->n_interfaces : 0;
        MergedInterfaces *m;
        bool *merged = NULL;
        size_t guest_bytes = 0;
        int r = -ENOMEM;

        if (!ret)
                return -EINVAL;

        m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;
        if (n_nics + n_guest > 0) {
                size_t cap = n_nics + (n_guest < SUMMARY_MAX ? n_guest : SUMMARY_MAX);
                m->items = calloc(cap, sizeof *m->items);
                merged = calloc(n_guest ? n_guest : 1, sizeof *merged);
                if (!m->items || !merged)
                        goto fail;
        }

        for (size_t i = 0; i < n_nics; i++) {
                const DomainNic *nic = &devices->nics[i];
                const GuestInterface *match = NULL;

                /* The first agent interface with the MAC; NICs sharing a MAC
                 * all take that same one. */
                for (size_t j = 0; j < n_guest && !match; j++) {
                        const GuestInterface *g = &guest->interfaces[j];
                        if (!is_loopback(g) && mac_equal(nic->mac, g->mac)) {
                                match = g;
                                merged[j] = true;
                        }
                }
                /* What the guest said is shown within its share of the
                 * VM's budget, however many NICs share its MAC: past it, a
                 * NIC shows the domain's view only. */
                if (match && !charge(&guest_bytes, match))
                        match = NULL;
                /* Counted before filling, so a half-built entry is freed too. */
                r = add_domain_nic(nic, match, &m->items[m->n_items++]);
                if (r < 0)
                        goto fail;
        }

        for (size_t j = 0; j < n_guest; j++) {
                const GuestInterface *g = &guest->interfaces[j];

                if (merged[j] || is_loopback(g))
                        continue;
                /* KubeVirt's CVE-2025-14525 fix: a guest must not flood the status. */
                if (m->n_items - n_nics >= SUMMARY_MAX || !charge(&guest_bytes, g)) {
                        m->n_guest_only_dropped++;
                        continue;
                }
                r = add_guest_only(g, &m->items[m->n_items++]);
                if (r < 0)
                        goto fail;
        }

        free(merged);
        *ret = pack(m);
        return 0;

fail:
        free(merged);
        merged_interfaces_free(m);
        return r;
}

size_t merged_interface_sources(const MergedInterface *m, const char *ret[static 2]) {
        size_t n = 0;
        if (!m->info_source)
                return 0;
        if (streq_or_null(m->info_source, source_domain) || streq_or_null(m->info_source, source_both))
                ret[n++] = source_domain;
        if (streq_or_null(m->info_source, source_agent) || streq_or_null(m->info_source, source_both))
                ret[n++] = source_agent;
        return n;
}

MergedInterfaces *merged_interfaces_free(MergedInterfaces *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_items; i++) {
                MergedInterface *it = &m->items[i];
                intern_unref(it->name);
                intern_unref(it->interface_name);
                intern_unref(it->mac);
                for (size_t k = 0; k < it->n_ip_addresses; k++)
                        intern_unref(it->ip_addresses[k]);
                if (!m->packed)
                        free(it->ip_addresses);
        }
        if (!m->packed)
                free(m->items);
        free(m);
        return NULL;
}

bool merged_interfaces_equal(const MergedInterfaces *a, const MergedInterfaces *b) {
        if (!a || !b)
                return a == b;
        if (a->n_items != b->n_items || a->n_guest_only_dropped != b->n_guest_only_dropped)
                return false;
        for (size_t i = 0; i < a->n_items; i++) {
                const MergedInterface *x = &a->items[i], *y = &b->items[i];

                if (!streq_or_null(x->name, y->name) || !streq_or_null(x->interface_name, y->interface_name) ||
                    !streq_or_null(x->mac, y->mac) || !streq_or_null(x->info_source, y->info_source) ||
                    x->n_ip_addresses != y->n_ip_addresses || x->n_ipv4 != y->n_ipv4)
                        return false;
                for (size_t k = 0; k < x->n_ip_addresses; k++)
                        if (!streq_or_null(x->ip_addresses[k], y->ip_addresses[k]))
                                return false;
        }
        return true;
}
