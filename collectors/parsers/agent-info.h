/* The agent's guest-info reply → AgentInfo (the version and commands). */
#pragma once

#include <stddef.h>

#include "guest-data.h"

/* Parses the agent's reply to {"execute":"guest-info"}, i.e.
 * {"return":{"version":"7.2.0","supported_commands":[{"name":...,"enabled":true,...}]}}.
 * Unknown members are ignored; entries without a string name are skipped.
 * Returns 0, -EINVAL (not JSON, no "return" object) or -ENOMEM. */
int agent_info_parse_json(const char *json, size_t len, AgentInfo **ret);
