#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "agent-share.h"
#include "hashmap.h"
#include "helpers.h"
#include "siphash.h"

static Hashmap *shared;
/* Secret, so that no guest can make its list collide with another's. */
static uint8_t key[16];
static bool keyed;

static void digest(const AgentInfo *a, char out[17]) {
        SipHash s;
        if (!keyed) {
                if (getrandom(key, sizeof key, GRND_NONBLOCK) != (ssize_t) sizeof key) {
                        uint64_t x = now_usec(), y = (uint64_t) getpid() << 32 ^ (uint64_t) (uintptr_t) &key;
                        memcpy(key, &x, sizeof x);
                        memcpy(key + 8, &y, sizeof y);
                }
                keyed = true;
        }
        siphash_init(&s, key);
        /* each string with its NUL: no two lists feed the same bytes */
        siphash_feed(&s, a->version ? a->version : "", a->version ? strlen(a->version) + 1 : 0);
        siphash_feed(&s, &a->n_reported, sizeof a->n_reported);
        for (size_t i = 0; i < a->n_commands; i++) {
                uint8_t enabled = a->commands[i].enabled;
                siphash_feed(&s, a->commands[i].name, strlen(a->commands[i].name) + 1);
                siphash_feed(&s, &enabled, 1);
        }
        snprintf(out, 17, "%016llx", (unsigned long long) siphash_final(&s));
}

static bool same(const AgentInfo *a, const AgentInfo *b) {
        return streq_ptr(a->version, b->version) && a->n_reported == b->n_reported && agent_commands_equal(a, b);
}

AgentInfo *agent_share(AgentInfo *fresh) {
        if (!fresh)
                return NULL;
        if (!shared && !(shared = hashmap_new()))
                return fresh;
        digest(fresh, fresh->share_key);
        AgentInfo *have = hashmap_get(shared, fresh->share_key);
        if (have) {
                if (!same(have, fresh))
                        return fresh; /* a collision of 64 secret-keyed bits: kept apart */
                have->share_refs++;
                agent_info_free(fresh);
                return have;
        }
        if (hashmap_put(shared, fresh->share_key, fresh) < 0)
                return fresh;
        fresh->share_refs = 1;
        return fresh;
}

AgentInfo *agent_unshare(AgentInfo *a) {
        if (!a)
                return NULL;
        if (a->share_refs == 0)
                return agent_info_free(a);
        if (--a->share_refs > 0)
                return NULL;
        (void) hashmap_remove(shared, a->share_key);
        agent_info_free(a);
        if (hashmap_size(shared) == 0)
                shared = hashmap_free(shared);
        return NULL;
}

size_t agent_share_count(void) {
        return shared ? hashmap_size(shared) : 0;
}
