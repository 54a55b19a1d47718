/* The agent's guest-info JSON, as any guest may send it. */
#include <stdint.h>

#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        AgentInfo *a = NULL;

        if (agent_info_parse_json((const char *) data, size, &a) < 0)
                return 0;
        check_string(a->version);
        if (a->n_commands > AGENT_COMMANDS_MAX)
                abort();
        for (size_t i = 0; i < a->n_commands; i++)
                check_string(a->commands[i].name);
        (void) agent_info_supported_kinds(a);
        if (!agent_commands_equal(a, a))
                abort();
        agent_info_free(a);
        return 0;
}
