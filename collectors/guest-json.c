/* The agent's own replies for users, filesystems and interfaces, for when
 * libvirt cannot carry them as typed parameters (its RPC refuses more than
 * 2048 of them: ~680 users, ~200 filesystems, ~130 interfaces).
 *
 * A reply can be megabytes, and jansson needs about ten times the text in
 * memory for many small objects. So the text is first only scanned
 * (json-scan.h): the elements of its "return" array are counted and just the
 * first *_MAX of them, within the bytes of json-budget.h, are handed to
 * jansson. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "guest-data.h"
#include "json-budget.h"

/* The first elements of the reply's "return" array that fit keep, parsed,
 * and how many it has in all. */
static int load_return(const char *json, size_t len, const JsonKeep *keep, json_t **ret, size_t *ret_count) {
        JsonSpan doc, array;
        size_t count, n;

        if (!json || len == 0)
                return -EINVAL;
        if (len > AGENT_REPLY_JSON_MAX)
                return -E2BIG;
        if (json_scan_document(json, len, &doc) < 0 || json_scan_member(json, len, doc, "return", &array) < 0 ||
            !json_span_is(json, array, '['))
                return -EINVAL;
        char *kept = malloc(keep->total_max);
        if (!kept)
                return -ENOMEM;
        if (json_scan_array(json, len, array, keep, kept, &n, &count) < 0) {
                free(kept);
                return -EINVAL;
        }

        /* jansson refuses invalid UTF-8 anywhere: one bad name would cost
         * the whole list. Made valid first (U+FFFD: up to 3 bytes for 1). */
        char *elements = utf8_sanitize(kept, n, 3 * n + 1);
        char *text = NULL;
        free(kept);
        if (!elements || asprintf(&text, "[%s]", elements) < 0)
                text = NULL;
        free(elements);
        if (!text)
                return -ENOMEM;
        json_t *parsed = json_loadb(text, strlen(text), JSON_ALLOW_NUL, NULL);
        free(text);
        if (!json_is_array(parsed)) {
                json_decref(parsed);
                return -EINVAL;
        }
        *ret = parsed;
        *ret_count = count;
        return 0;
}

/* A member that is a string, sanitized; NULL when absent or not a string.
 * Returns -ENOMEM only. */
static int member_string(json_t *o, const char *name, char **ret) {
        json_t *v = json_object_get(o, name);

        *ret = NULL;
        if (!json_is_string(v))
                return 0;
        *ret = utf8_sanitize(json_string_value(v), json_string_length(v), GUEST_STRING_MAX);
        return *ret ? 0 : -ENOMEM;
}

static bool member_uint(json_t *o, const char *name, uint64_t *ret) {
        json_t *v = json_object_get(o, name);
        if (!json_is_integer(v) || json_integer_value(v) < 0)
                return false;
        *ret = (uint64_t) json_integer_value(v);
        return true;
}

static int fill_users(GuestInfo *g, json_t *array) {
        size_t n = json_array_size(array);

        if (n > 0 && !(g->users = calloc(n, sizeof *g->users)))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_array_get(array, i);
                GuestUser *u = &g->users[g->n_users];

                /* A user is nothing without a name. */
                if (member_string(o, "user", &u->name) < 0)
                        return -ENOMEM;
                if (!u->name)
                        continue;
                g->n_users++;
                if (member_string(o, "domain", &u->domain) < 0)
                        return -ENOMEM;
                json_t *t = json_object_get(o, "login-time");
                u->login_time = json_is_number(t) ? json_number_value(t) : 0;
        }
        return 0;
}

static int fill_disks(GuestFilesystem *fs, json_t *disks) {
        size_t n = json_is_array(disks) ? json_array_size(disks) : 0;

        if (n > GUEST_FS_DISKS_MAX)
                n = GUEST_FS_DISKS_MAX;
        if (n > 0 && !(fs->disks = calloc(n, sizeof *fs->disks)))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_array_get(disks, i);
                GuestFsDisk *d = &fs->disks[fs->n_disks];

                /* Counted first, so that a failure frees what it set. */
                fs->n_disks++;
                if (member_string(o, "serial", &d->serial) < 0 || member_string(o, "dev", &d->device) < 0 ||
                    member_string(o, "bus-type", &d->bus_type) < 0)
                        return -ENOMEM;
                /* No domain alias here: libvirt finds it by the disk's
                 * address. The agent's own bus type stands (KubeVirt shows it). */
                if (!d->serial && !d->device) {
                        free(d->bus_type);
                        d->bus_type = NULL;
                        fs->n_disks--;
                }
        }
        return 0;
}

static int fill_filesystems(GuestInfo *g, json_t *array) {
        size_t n = json_array_size(array);

        if (n > 0 && !(g->filesystems = calloc(n, sizeof *g->filesystems)))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_array_get(array, i);
                GuestFilesystem *fs = &g->filesystems[g->n_filesystems];

                /* A filesystem is known by its mount point. */
                if (member_string(o, "mountpoint", &fs->mount_point) < 0)
                        return -ENOMEM;
                if (!fs->mount_point)
                        continue;
                g->n_filesystems++;
                if (member_string(o, "name", &fs->disk_name) < 0 || member_string(o, "type", &fs->fs_type) < 0)
                        return -ENOMEM;
                /* Sizes come in pairs; half a pair is no size. */
                fs->has_bytes = member_uint(o, "used-bytes", &fs->used_bytes) &&
                                member_uint(o, "total-bytes", &fs->total_bytes);
                if (!fs->has_bytes)
                        fs->used_bytes = fs->total_bytes = 0;
                if (fill_disks(fs, json_object_get(o, "disk")) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* "addr/prefix", or the bare address when the prefix is missing or out of
 * range; sanitized. */
static char *address_string(json_t *a, int family) {
        json_t *addr = json_object_get(a, "ip-address");
        uint64_t prefix;
        char *s;

        if (!json_is_string(addr))
                return NULL;
        if (!member_uint(a, "prefix", &prefix) || prefix > (family == 4 ? 32u : 128u))
                return utf8_sanitize(json_string_value(addr), json_string_length(addr), GUEST_STRING_MAX);
        char *bare = utf8_sanitize(json_string_value(addr), json_string_length(addr), GUEST_STRING_MAX);
        if (!bare || asprintf(&s, "%s/%" PRIu64, bare, prefix) < 0)
                s = NULL;
        free(bare);
        if (s && strlen(s) > GUEST_STRING_MAX) {
                char *cut = utf8_sanitize(s, strlen(s), GUEST_STRING_MAX);
                free(s);
                s = cut;
        }
        return s;
}

static int address_family(json_t *a) {
        json_t *type = json_object_get(a, "ip-address-type");
        const char *t = json_string_value(type);
        return !t ? 0 : strcmp(t, "ipv4") == 0 ? 4 : strcmp(t, "ipv6") == 0 ? 6 : 0;
}

/* IPv4 first, then IPv6, each in the guest's order; entries without a known
 * type or an address are dropped. */
static int fill_addresses(GuestInterface *iface, json_t *addresses) {
        size_t n = json_is_array(addresses) ? json_array_size(addresses) : 0;

        if (n > GUEST_ADDRESSES_MAX)
                n = GUEST_ADDRESSES_MAX;
        if (n > 0 && !(iface->addresses = calloc(n, sizeof *iface->addresses)))
                return -ENOMEM;
        for (int family = 4; family <= 6; family += 2)
                for (size_t i = 0; i < n; i++) {
                        json_t *a = json_array_get(addresses, i);
                        if (address_family(a) != family || !json_is_string(json_object_get(a, "ip-address")))
                                continue;
                        char *s = address_string(a, family);
                        if (!s)
                                return -ENOMEM;
                        iface->addresses[iface->n_addresses++] = s;
                        if (family == 4)
                                iface->n_ipv4++;
                }
        return 0;
}

static int fill_interfaces(GuestInfo *g, json_t *array) {
        size_t n = json_array_size(array);

        if (n > 0 && !(g->interfaces = calloc(n, sizeof *g->interfaces)))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_array_get(array, i);
                GuestInterface *iface = &g->interfaces[g->n_interfaces];

                /* An interface is nothing without a name. */
                if (member_string(o, "name", &iface->name) < 0)
                        return -ENOMEM;
                if (!iface->name)
                        continue;
                g->n_interfaces++;
                if (member_string(o, "hardware-address", &iface->mac) < 0)
                        return -ENOMEM;
                for (char *p = iface->mac; p && *p; p++)
                        if (*p >= 'A' && *p <= 'Z')
                                *p = (char) (*p - 'A' + 'a');
                if (fill_addresses(iface, json_object_get(o, "ip-addresses")) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int guest_info_from_agent_json(unsigned kind, const char *json, size_t len, GuestInfo **ret) {
        JsonKeep keep = kind == GUEST_KIND_USERS         ? json_keep(GUEST_USERS_MAX, JSON_USER_MAX)
                        : kind == GUEST_KIND_FILESYSTEMS ? json_keep(GUEST_FILESYSTEMS_MAX, JSON_FILESYSTEM_MAX)
                        : kind == GUEST_KIND_INTERFACES  ? json_keep(GUEST_INTERFACES_MAX, JSON_INTERFACE_MAX)
                                                         : (JsonKeep) { 0 };
        json_t *array = NULL;
        size_t count = 0;
        int r;

        if (keep.elements == 0)
                return -EINVAL;
        r = load_return(json, len, &keep, &array, &count);
        if (r < 0)
                return r;

        GuestInfo *g = guest_info_new();
        if (!g) {
                json_decref(array);
                return -ENOMEM;
        }
        g->kinds = kind;
        if (kind == GUEST_KIND_USERS) {
                g->n_users_reported = count;
                r = fill_users(g, array);
        } else if (kind == GUEST_KIND_FILESYSTEMS) {
                g->n_filesystems_reported = count;
                r = fill_filesystems(g, array);
        } else {
                g->n_interfaces_reported = count;
                r = fill_interfaces(g, array);
        }
        json_decref(array);
        if (r < 0) {
                guest_info_free(g);
                return r;
        }
        *ret = g;
        return 0;
}
