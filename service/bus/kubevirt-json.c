/* KubeVirt's guestosinfo, userlist, filesystemlist and status.interfaces
 * documents. A NULL string is left out, as KubeVirt's omitempty does; a
 * json_pack()/json_string() that fails (no memory, or a string jansson will
 * not take) fails the whole document: the caller gets NULL, never a document
 * that silently lacks a field. */
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "kubevirt-json.h"

/* Takes root's reference. */
static char *dump(json_t *root) {
        char *s;

        if (!root)
                return NULL;
        s = json_dumps(root, JSON_COMPACT);
        json_decref(root);
        return s;
}

/* Takes value's reference; a NULL value (a failed constructor) fails. */
static int set(json_t *obj, const char *key, json_t *value) {
        return json_object_set_new(obj, key, value) < 0 ? -1 : 0;
}

static int append(json_t *array, json_t *value) {
        return json_array_append_new(array, value) < 0 ? -1 : 0;
}

#if JSON_INTEGER_IS_LONG_LONG
#define JSON_INT_MAX LLONG_MAX
#else
#define JSON_INT_MAX LONG_MAX
#endif

/* Go's int is 64 bits; a guest can claim more. */
static json_int_t bytes(uint64_t v) {
        return v > (uint64_t) JSON_INT_MAX ? (json_int_t) JSON_INT_MAX : (json_int_t) v;
}

static json_t *user_json(const GuestUser *u) {
        return json_pack("{s:s*, s:s*, s:f}", "userName", u->name, "domain", u->domain, "loginTime", u->login_time);
}

static json_t *filesystem_json(const GuestFilesystem *f) {
        json_t *o, *disks;

        o = json_pack("{s:s*, s:s*, s:s*, s:I, s:I}", "diskName", f->disk_name, "mountPoint", f->mount_point,
                      "fileSystemType", f->fs_type, "usedBytes", bytes(f->used_bytes), "totalBytes",
                      bytes(f->total_bytes));
        /* KubeVirt leaves out an empty "disk" (omitempty), as in the seed's sample. */
        if (!o || f->n_disks == 0)
                return o;

        disks = json_array();
        if (set(o, "disk", disks) < 0)
                goto fail;
        for (size_t i = 0; i < f->n_disks; i++)
                if (append(disks, json_pack("{s:s*, s:s*}", "serial", f->disks[i].serial, "busType",
                                            f->disks[i].bus_type)) < 0)
                        goto fail;
        return o;

fail:
        json_decref(o);
        return NULL;
}

/* The first max users (or filesystems) as an array. */
static json_t *users_array(const GuestInfo *g, size_t max) {
        json_t *a = json_array();
        size_t n = g ? g->n_users : 0;

        if (!a)
                return NULL;
        for (size_t i = 0; i < n && i < max; i++)
                if (append(a, user_json(&g->users[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static json_t *filesystems_array(const GuestInfo *g, size_t max) {
        json_t *a = json_array();
        size_t n = g ? g->n_filesystems : 0;

        if (!a)
                return NULL;
        for (size_t i = 0; i < n && i < max; i++)
                if (append(a, filesystem_json(&g->filesystems[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static int add_agent(json_t *root, const AgentInfo *agent) {
        json_t *commands;

        if (agent->version && set(root, "guestAgentVersion", json_string(agent->version)) < 0)
                return -1;
        /* omitempty in KubeVirt, as the seed's sample shows. */
        if (agent->n_commands == 0)
                return 0;
        commands = json_array();
        if (set(root, "supportedCommands", commands) < 0)
                return -1;
        for (size_t i = 0; i < agent->n_commands; i++)
                if (append(commands, json_pack("{s:s*, s:b}", "name", agent->commands[i].name, "enabled",
                                               agent->commands[i].enabled)) < 0)
                        return -1;
        return 0;
}

static int add_guest(json_t *root, const GuestInfo *g) {
        const GuestOS *os = &g->os;
        json_t *fs_info;

        if (g->hostname && set(root, "hostname", json_string(g->hostname)) < 0)
                return -1;
        if (set(root, "os",
                json_pack("{s:s*, s:s*, s:s*, s:s*, s:s*, s:s*, s:s*, s:s*}", "name", os->name, "kernelRelease",
                          os->kernel_release, "version", os->version, "prettyName", os->pretty_name, "versionId",
                          os->version_id, "kernelVersion", os->kernel_version, "machine", os->machine, "id", os->id)) <
            0)
                return -1;

        if (g->timezone_name || g->has_timezone_offset) {
                char *tz;
                if (asprintf(&tz, "%s, %" PRId32, g->timezone_name ? g->timezone_name : "", g->timezone_offset) < 0)
                        return -1;
                int r = set(root, "timezone", json_string(tz));
                free(tz);
                if (r < 0)
                        return -1;
        }

        /* Summaries: KubeVirt caps both at 10; the full lists have their own documents. */
        if (g->n_users > 0 && set(root, "userList", users_array(g, SUMMARY_MAX)) < 0)
                return -1;
        fs_info = json_object();
        if (set(root, "fsInfo", fs_info) < 0)
                return -1;
        if (set(fs_info, "disks", filesystems_array(g, SUMMARY_MAX)) < 0)
                return -1;
        /* omitempty in KubeVirt: "frozen" or "thawed" once the agent said */
        if ((g->kinds & GUEST_KIND_FSFREEZE) && g->fsfreeze != GUEST_FREEZE_UNKNOWN &&
            set(root, "fsFreezeStatus", json_string(guest_freeze_to_string(g->fsfreeze))) < 0)
                return -1;
        return 0;
}

char *kubevirt_guestosinfo_json(const AgentInfo *agent, const GuestInfo *guest) {
        json_t *root = json_object();

        if (!root)
                return NULL;
        /* metadata last, where KubeVirt's struct puts its object metadata. */
        if ((agent && add_agent(root, agent) < 0) || (guest && add_guest(root, guest) < 0) ||
            set(root, "metadata", json_pack("{s:n}", "creationTimestamp")) < 0) {
                json_decref(root);
                return NULL;
        }
        return dump(root);
}

/* {"items": items, "metadata": {}}; takes items' reference. */
static char *list_json(json_t *items) {
        json_t *root;

        if (!items)
                return NULL;
        root = json_object();
        if (set(root, "items", items) < 0 || set(root, "metadata", json_object()) < 0) {
                json_decref(root);
                return NULL;
        }
        return dump(root);
}

char *kubevirt_userlist_json(const GuestInfo *guest) {
        return list_json(users_array(guest, SIZE_MAX));
}

char *kubevirt_filesystemlist_json(const GuestInfo *guest) {
        return list_json(filesystems_array(guest, SIZE_MAX));
}

static json_t *interface_json(const MergedInterface *m) {
        json_t *o, *addresses;

        /* KubeVirt's omitempty: no "name" for guest-only entries or NICs without an alias */
        o = json_pack("{s:s*, s:s*, s:s*}", "name", m->name && *m->name ? m->name : NULL, "interfaceName",
                      m->interface_name, "mac", m->mac);
        if (!o)
                return NULL;
        /* ipAddress and ipAddresses are omitempty in KubeVirt. */
        if (m->n_ip_addresses > 0) {
                if (set(o, "ipAddress", json_string(m->ip_addresses[0])) < 0)
                        goto fail;
                addresses = json_array();
                if (set(o, "ipAddresses", addresses) < 0)
                        goto fail;
                for (size_t i = 0; i < m->n_ip_addresses; i++)
                        if (append(addresses, json_string(m->ip_addresses[i])) < 0)
                                goto fail;
        }
        if (m->info_source && set(o, "infoSource", json_string(m->info_source)) < 0)
                goto fail;
        return o;

fail:
        json_decref(o);
        return NULL;
}

char *kubevirt_interfaces_json(const MergedInterfaces *m) {
        json_t *root = json_array();
        size_t n = m ? m->n_items : 0;

        if (!root)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (append(root, interface_json(&m->items[i])) < 0) {
                        json_decref(root);
                        return NULL;
                }
        return dump(root);
}
