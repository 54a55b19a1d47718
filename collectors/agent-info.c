#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "guest-data.h"

/* A guest-info reply is a few KiB; anything this big is not one. */
#define AGENT_INFO_JSON_MAX (4u * 1024 * 1024)

static const struct {
        GuestKind kind;
        const char *command;
} kind_commands[] = {
        { GUEST_KIND_OS, "guest-get-osinfo" },
        { GUEST_KIND_HOSTNAME, "guest-get-host-name" },
        { GUEST_KIND_TIMEZONE, "guest-get-timezone" },
        { GUEST_KIND_USERS, "guest-get-users" },
        { GUEST_KIND_FILESYSTEMS, "guest-get-fsinfo" },
        { GUEST_KIND_INTERFACES, "guest-network-get-interfaces" },
};

static bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

AgentInfo *agent_info_free(AgentInfo *a) {
        if (!a)
                return NULL;
        for (size_t i = 0; i < a->n_commands; i++)
                free(a->commands[i].name);
        free(a->commands);
        free(a->version);
        free(a);
        return NULL;
}

/* A JSON string as sanitized UTF-8 (jansson allows \u0000 inside with
 * JSON_ALLOW_NUL; utf8_sanitize drops it). */
static char *json_sanitized(json_t *s) {
        return utf8_sanitize(json_string_value(s), json_string_length(s), GUEST_STRING_MAX);
}

int agent_info_parse_json(const char *json, size_t len, AgentInfo **ret) {
        json_t *root, *reply, *version, *commands;
        AgentInfo *a;
        size_t n;

        if (!json || len == 0)
                return -EINVAL;
        if (len > AGENT_INFO_JSON_MAX)
                return -E2BIG;

        root = json_loadb(json, len, JSON_ALLOW_NUL, NULL);
        if (!root)
                return -EINVAL;
        reply = json_object_get(root, "return");
        if (!json_is_object(reply)) {
                json_decref(root);
                return -EINVAL;
        }

        a = calloc(1, sizeof *a);
        if (!a)
                goto oom;

        version = json_object_get(reply, "version");
        if (json_is_string(version)) {
                a->version = json_sanitized(version);
                if (!a->version)
                        goto oom;
        }

        /* Anything but an array (a number, an object) lists no commands. */
        commands = json_object_get(reply, "supported_commands");
        n = json_is_array(commands) ? json_array_size(commands) : 0;
        a->n_reported = n;
        if (n > AGENT_COMMANDS_MAX)
                n = AGENT_COMMANDS_MAX;
        if (n > 0) {
                a->commands = calloc(n, sizeof *a->commands);
                if (!a->commands)
                        goto oom;
        }
        for (size_t i = 0; i < a->n_reported && a->n_commands < n; i++) {
                json_t *entry = json_array_get(commands, i);
                json_t *name = json_object_get(entry, "name");
                AgentCommand *c = &a->commands[a->n_commands];

                if (!json_is_string(name))
                        continue;
                c->name = json_sanitized(name);
                if (!c->name)
                        goto oom;
                /* qemu-ga always says; when it does not, do not call it. */
                c->enabled = json_is_true(json_object_get(entry, "enabled"));
                a->n_commands++;
        }

        json_decref(root);
        *ret = a;
        return 0;

oom:
        agent_info_free(a);
        json_decref(root);
        return -ENOMEM;
}

bool agent_info_supports(const AgentInfo *a, const char *command) {
        if (!a || !command)
                return false;
        for (size_t i = 0; i < a->n_commands; i++)
                if (strcmp(a->commands[i].name, command) == 0)
                        return a->commands[i].enabled;
        return false;
}

unsigned agent_info_supported_kinds(const AgentInfo *a) {
        unsigned kinds = GUEST_KIND_AGENT;

        for (size_t i = 0; i < sizeof kind_commands / sizeof *kind_commands; i++)
                if (agent_info_supports(a, kind_commands[i].command))
                        kinds |= kind_commands[i].kind;
        return kinds;
}

bool agent_commands_equal(const AgentInfo *a, const AgentInfo *b) {
        if (!a || !b)
                return a == b;
        /* n_reported too: it says whether the list was cut. */
        if (!streq_ptr(a->version, b->version) || a->n_commands != b->n_commands ||
            a->n_reported != b->n_reported)
                return false;
        for (size_t i = 0; i < a->n_commands; i++)
                if (a->commands[i].enabled != b->commands[i].enabled ||
                    strcmp(a->commands[i].name, b->commands[i].name) != 0)
                        return false;
        return true;
}
