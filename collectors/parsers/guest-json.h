/* The agent's own list replies → GuestInfo, where libvirt's typed
 * parameters cannot carry a list. */
#pragma once

#include <stddef.h>

#include "guest-data.h"

/* Bigger replies are not read; libvirt carries at most 4 MiB anyway. */
#define AGENT_REPLY_JSON_MAX (8u * 1024 * 1024)

/* Parses the agent's reply to guest-get-users, guest-get-fsinfo or
 * guest-network-get-interfaces (kind: GUEST_KIND_USERS, _FILESYSTEMS or
 * _INTERFACES), i.e. {"return":[...]}, into a GuestInfo of that kind with
 * the same bounds and rules as guest_info_from_typed_params(). Only the
 * first *_MAX entries are parsed; all are counted (n_*_reported). A disk's
 * bus type is the agent's own (it has no domain alias). Returns 0, -EINVAL
 * (not such a reply), -E2BIG (over AGENT_REPLY_JSON_MAX) or -ENOMEM. */
/* guest-fsfreeze-status (GUEST_KIND_FSFREEZE): {"return":"thawed"} or
 * {"return":"frozen"}; any other value is -EINVAL. guest-get-vcpus and
 * guest-get-load (GUEST_KIND_VCPUS, _LOAD): as guest-vcpus.h and
 * guest-load.h read them. */
int guest_info_from_agent_json(unsigned kind, const char *json, size_t len, GuestInfo **ret);
