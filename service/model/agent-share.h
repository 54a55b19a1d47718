/* One AgentInfo for every domain whose agent reports the same version and
 * commands: a fleet runs few agent versions, and each list is some 50
 * commands (~3 KiB a domain). Main thread only: the model's. */
#pragma once

#include "guest-data.h"

/* Takes fresh (NULL: returns NULL) and returns the AgentInfo to keep: an
 * equal one already shared, with one more reference (fresh is freed), or
 * fresh itself, now shared. Out of memory, fresh stays private. */
AgentInfo *agent_share(AgentInfo *fresh);

/* Drops a reference taken by agent_share (or frees a private AgentInfo);
 * returns NULL. */
AgentInfo *agent_unshare(AgentInfo *a);

/* How many distinct AgentInfos are shared (tests, benchmarks). */
size_t agent_share_count(void);
