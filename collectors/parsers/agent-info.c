#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent-info.h"
#include "guest-builder.h"
#include "guest-data.h"
#include "helpers.h"
#include "json-budget.h"

/* A guest-info reply is a few KiB; anything this big is not one. */
#define AGENT_INFO_JSON_MAX (4u * 1024 * 1024)

/* The parts of a guest-info reply the daemon reads, as a small document of
 * their own: {"version":V,"supported_commands":[the first commands that fit
 * JSON_KEPT_MAX]}, V cut to JSON_VERSION_MAX, so that neither a reply of
 * megabytes nor one fat entry reaches jansson (json-budget.h). *ret_count:
 * the list's real length, 0 if there is no list. Returns the parsed object,
 * or NULL with -EINVAL / -ENOMEM. */
static json_t *load_reply(const char *json, size_t len, size_t *ret_count, int *ret_error) {
        static const char version_key[] = "{\"version\":", commands_key[] = ",\"supported_commands\":[";
        const JsonKeep keep = json_keep(guest_kind_info(GUEST_KIND_AGENT)->list_max, JSON_COMMAND_MAX);
        JsonSpan doc, reply, version, commands;
        size_t count = 0, kept = 0, version_len = 0;

        *ret_error = -EINVAL;
        if (json_scan_document(json, len, &doc) < 0 || json_scan_member(json, len, doc, "return", &reply) < 0 ||
            !json_span_is(json, reply, '{'))
                return NULL;
        int has_version = json_scan_member(json, len, reply, "version", &version);
        int has_commands = json_scan_member(json, len, reply, "supported_commands", &commands);
        if (has_version == -EINVAL || has_commands == -EINVAL)
                return NULL;
        /* a long string is cut (and then sanitized), anything else that big dropped */
        if (has_version == 0 && json_span_is(json, version, '"'))
                version_len = json_string_prefix(json, version, JSON_VERSION_MAX);
        else if (has_version == 0 && version.end - version.start <= JSON_VERSION_MAX)
                version_len = version.end - version.start;

        size_t size = sizeof version_key + JSON_VERSION_MAX + sizeof commands_key + JSON_KEPT_MAX + 2;
        char *text = malloc(size), *p = text;
        if (!text) {
                *ret_error = -ENOMEM;
                return NULL;
        }
        p = stpcpy(p, version_key);
        if (version_len == 0)
                p = stpcpy(p, "null");
        else {
                p = mempcpy(p, json + version.start, version_len);
                if (json[version.start] == '"')
                        *p++ = '"';
        }
        p = stpcpy(p, commands_key);
        /* Anything but an array (a number, an object) lists no commands. */
        if (has_commands == 0 && json_span_is(json, commands, '[') &&
            json_scan_array(json, len, commands, &keep, p, &kept, &count) < 0) {
                free(text);
                return NULL;
        }
        p = stpcpy(p + kept, "]}");
        json_t *reply_object = json_loadb(text, (size_t) (p - text), JSON_ALLOW_NUL, NULL);
        free(text);
        if (!json_is_object(reply_object)) {
                json_decref(reply_object);
                return NULL;
        }
        *ret_count = count;
        return reply_object;
}

/* A JSON string as the guest's text (jansson allows \u0000 inside with
 * JSON_ALLOW_NUL; the builder drops it); absent if not a string. */
static GuestText json_text(json_t *s) {
        if (!json_is_string(s))
                return GUEST_TEXT_NONE;
        return (GuestText){ json_string_value(s), json_string_length(s) };
}

int agent_info_parse_json(const char *json, size_t len, AgentInfo **ret) {
        GuestBuilder b = { 0 };
        json_t *reply, *commands;
        size_t count = 0;
        int r;

        if (!json || len == 0)
                return -EINVAL;
        if (len > AGENT_INFO_JSON_MAX)
                return -E2BIG;

        reply = load_reply(json, len, &count, &r);
        if (!reply)
                return r;

        r = guest_builder_begin_agent(&b);
        if (r >= 0)
                r = guest_builder_set_agent_version(&b, json_text(json_object_get(reply, "version")));
        if (r >= 0)
                guest_builder_set_reported(&b, GUEST_LIST_COMMANDS, count);

        /* at most AGENT_COMMANDS_MAX of them were parsed */
        commands = json_object_get(reply, "supported_commands");
        for (size_t i = 0; r >= 0 && i < json_array_size(commands); i++) {
                json_t *entry = json_array_get(commands, i);

                /* qemu-ga always says; when it does not, do not call it. */
                r = agent_builder_add_command(&b, json_text(json_object_get(entry, "name")),
                                              json_is_true(json_object_get(entry, "enabled")));
        }
        json_decref(reply);
        if (r < 0) {
                guest_builder_done(&b);
                return r;
        }
        *ret = guest_builder_take_agent(&b);
        return 0;
}
