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

#include "guest-json.h"
#include "guest-builder.h"
#include "guest-data.h"
#include "guest-counters.h"
#include "guest-disks.h"
#include "guest-load.h"
#include "guest-vcpus.h"
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

/* A member that is a string, as the guest's text; absent otherwise. */
static GuestText member_text(json_t *o, const char *name) {
        json_t *v = json_object_get(o, name);

        if (!json_is_string(v))
                return GUEST_TEXT_NONE;
        return (GuestText){ json_string_value(v), json_string_length(v) };
}

static bool member_uint(json_t *o, const char *name, uint64_t *ret) {
        json_t *v = json_object_get(o, name);
        if (!json_is_integer(v) || json_integer_value(v) < 0)
                return false;
        *ret = (uint64_t) json_integer_value(v);
        return true;
}

static int add_users(GuestBuilder *b, json_t *array) {
        int r = 0;

        for (size_t i = 0; r >= 0 && i < json_array_size(array); i++) {
                json_t *o = json_array_get(array, i), *t = json_object_get(o, "login-time");
                GuestUserIn u = {
                        .name = member_text(o, "user"),
                        .domain = member_text(o, "domain"),
                        .login_time = json_is_number(t) ? json_number_value(t) : 0,
                };
                r = guest_builder_add_user(b, &u);
        }
        return r;
}

static int add_filesystems(GuestBuilder *b, json_t *array) {
        int r = 0;

        for (size_t i = 0; r >= 0 && i < json_array_size(array); i++) {
                json_t *o = json_array_get(array, i), *disks = json_object_get(o, "disk");
                GuestDiskIn d[GUEST_FS_DISKS_MAX];
                GuestFilesystemIn fs = {
                        .disk_name = member_text(o, "name"),
                        .mount_point = member_text(o, "mountpoint"),
                        .fs_type = member_text(o, "type"),
                        .disks = d,
                };

                fs.has_used = member_uint(o, "used-bytes", &fs.used_bytes);
                fs.has_total = member_uint(o, "total-bytes", &fs.total_bytes);
                for (size_t k = 0; json_is_array(disks) && k < json_array_size(disks) && k < GUEST_FS_DISKS_MAX; k++) {
                        json_t *disk = json_array_get(disks, k);
                        /* No domain alias here: libvirt finds it by the disk's
                         * address. The agent's own bus type stands (KubeVirt
                         * shows it), with a disk known by its serial or device. */
                        d[k] = (GuestDiskIn){
                                .serial = member_text(disk, "serial"),
                                .device = member_text(disk, "dev"),
                                .bus_type = member_text(disk, "bus-type"),
                        };
                        fs.n_disks++;
                }
                r = guest_builder_add_filesystem(b, &fs);
        }
        return r;
}

static int add_interfaces(GuestBuilder *b, json_t *array) {
        int r = 0;

        for (size_t i = 0; r >= 0 && i < json_array_size(array); i++) {
                json_t *o = json_array_get(array, i), *addresses = json_object_get(o, "ip-addresses");
                GuestAddressIn a[GUEST_ADDRESSES_MAX];
                GuestInterfaceIn iface = {
                        .name = member_text(o, "name"),
                        .mac = member_text(o, "hardware-address"),
                        .addresses = a,
                };

                for (size_t k = 0;
                     json_is_array(addresses) && k < json_array_size(addresses) && k < GUEST_ADDRESSES_MAX; k++) {
                        json_t *addr = json_array_get(addresses, k);
                        a[k] = (GuestAddressIn){
                                .type = member_text(addr, "ip-address-type"),
                                .addr = member_text(addr, "ip-address"),
                        };
                        a[k].has_prefix = member_uint(addr, "prefix", &a[k].prefix);
                        iface.n_addresses++;
                }
                r = guest_builder_add_interface(b, &iface);
        }
        return r;
}

/* The whole reply is one short string: scanned, never parsed. */
static int freeze_from_agent_json(const char *json, size_t len, GuestInfo **ret) {
        JsonSpan doc, value;
        GuestFreeze f;

        if (!json || len == 0 || len > AGENT_REPLY_JSON_MAX)
                return -EINVAL;
        if (json_scan_document(json, len, &doc) < 0 || json_scan_member(json, len, doc, "return", &value) < 0)
                return -EINVAL;
        size_t n = value.end - value.start;
        if (n == strlen("\"frozen\"") && memcmp(json + value.start, "\"frozen\"", n) == 0)
                f = GUEST_FREEZE_FROZEN;
        else if (n == strlen("\"thawed\"") && memcmp(json + value.start, "\"thawed\"", n) == 0)
                f = GUEST_FREEZE_THAWED;
        else
                return -EINVAL;
        GuestInfo *g = guest_info_new();
        if (!g)
                return -ENOMEM;
        g->kinds = GUEST_KIND_FSFREEZE;
        g->fsfreeze = f;
        *ret = g;
        return 0;
}

/* guest-get-disks: its own decoder, bounded there. */
static int disks_from_agent_json(const char *json, size_t len, GuestInfo **ret) {
        GuestDisks *d = NULL;
        int r = guest_disks_from_agent_json(json, len, &d);
        if (r < 0)
                return r;
        GuestInfo *g = guest_info_new();
        if (!g) {
                guest_disks_free(d);
                return -ENOMEM;
        }
        g->kinds = GUEST_KIND_DISKS;
        g->disks = d;
        *ret = g;
        return 0;
}

/* guest-get-vcpus and guest-get-load: their own decoders, bounded there. */
static int scalars_from_agent_json(unsigned kind, const char *json, size_t len, GuestInfo **ret) {
        GuestVcpus v = { 0 };
        GuestLoad l = { 0 };
        int r = kind == GUEST_KIND_VCPUS ? guest_vcpus_from_agent_json(json, len, &v)
                                         : guest_load_from_agent_json(json, len, &l);
        if (r < 0)
                return r;
        GuestInfo *g = guest_info_new();
        if (!g)
                return -ENOMEM;
        g->kinds = kind;
        g->vcpus_configured = v.configured;
        g->vcpus_online = v.online;
        g->vcpus_offlinable = v.offlinable;
        g->load[0] = l.load1;
        g->load[1] = l.load5;
        g->load[2] = l.load15;
        *ret = g;
        return 0;
}

int guest_info_from_agent_json(unsigned kind, const char *json, size_t len, GuestInfo **ret) {
        if (kind == GUEST_KIND_FSFREEZE)
                return freeze_from_agent_json(json, len, ret);
        if (kind == GUEST_KIND_VCPUS || kind == GUEST_KIND_LOAD)
                return scalars_from_agent_json(kind, json, len, ret);
        if (kind == GUEST_KIND_DISKS)
                return disks_from_agent_json(json, len, ret);
        if (kind & GUEST_KIND_COUNTERS)
                return guest_counters_info_from_agent_json(kind, json, len, ret);
        size_t entry_max = kind == GUEST_KIND_USERS         ? JSON_USER_MAX
                           : kind == GUEST_KIND_FILESYSTEMS ? JSON_FILESYSTEM_MAX
                           : kind == GUEST_KIND_INTERFACES  ? JSON_INTERFACE_MAX
                                                            : 0;
        JsonKeep keep = entry_max ? json_keep(guest_kind_info(kind)->list_max, entry_max) : (JsonKeep){ 0 };
        GuestList list = kind == GUEST_KIND_USERS         ? GUEST_LIST_USERS
                         : kind == GUEST_KIND_FILESYSTEMS ? GUEST_LIST_FILESYSTEMS
                                                          : GUEST_LIST_INTERFACES;
        GuestBuilder b = { 0 };
        json_t *array = NULL;
        size_t count = 0;
        int r;

        if (keep.elements == 0)
                return -EINVAL;
        r = load_return(json, len, &keep, &array, &count);
        if (r < 0)
                return r;

        r = guest_builder_begin_guest(&b, kind);
        if (r >= 0) {
                guest_builder_set_reported(&b, list, count);
                r = kind == GUEST_KIND_USERS         ? add_users(&b, array)
                    : kind == GUEST_KIND_FILESYSTEMS ? add_filesystems(&b, array)
                                                     : add_interfaces(&b, array);
        }
        json_decref(array);
        if (r < 0) {
                guest_builder_done(&b);
                return r;
        }
        *ret = guest_builder_take_guest(&b);
        return 0;
}
