/* Model domains for the whole-tree tests and benchmarks: guest data as an
 * ordinary guest reports it, and maxed out (every string at its field's
 * cap, every list that GetManagedObjects carries at its cap, as the
 * builder keeps them: within the VM's byte budget), for fake_model_new(). */
#pragma once

#include <stddef.h>

#include "manager.h"

/* key=value lists for FakeVm.guest, built once, never freed. */
const char *const *guest_profile_ordinary(void);
const char *const *guest_profile_maxed(void);
/* The agent's guest-info replies: qemu-ga 7.2's; 512 commands, each name
 * at its cap. */
const char *guest_profile_ordinary_agent(void);
const char *guest_profile_maxed_agent(void);

/* A model of n running domains with an agent, this guest data and
 * guest-info reply (agent_json may be NULL), named
 * prefix-NNNNNN (name_pad more bytes: libvirt takes long names), UUIDs of
 * their own. NULL on failure. */
Manager *guest_profile_model(size_t n, const char *const *guest, const char *agent_json, const char *prefix,
                             size_t name_pad);
