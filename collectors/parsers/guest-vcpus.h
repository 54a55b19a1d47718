/* The guest's view of its vCPUs (virDomainGetGuestVcpus, guest-get-vcpus):
 * how many it has and how many are online, so that a guest that took CPUs
 * offline shows. Plain data: no bus. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>

/* The highest vCPU id read: QEMU's x86 limit is 4096, libvirt's 16384. */
#define GUEST_VCPU_ID_MAX 16383u

typedef struct GuestVcpus {
        unsigned configured; /* vCPUs the guest sees */
        unsigned online;     /* of which online */
        unsigned offlinable; /* of which the guest may take offline */
} GuestVcpus;

/* libvirt's "vcpus", "online" and "offlinable" parameters, each a CPU list
 * ("0-3,5"). Returns 0, or -EINVAL when "vcpus" is missing or a list is
 * malformed or names an id over GUEST_VCPU_ID_MAX. online and offlinable
 * count only ids that vcpus lists. */
int guest_vcpus_from_typed_params(const virTypedParameter *params, size_t n, GuestVcpus *ret);

/* The agent's reply to guest-get-vcpus, {"return":[{"logical-id":0,
 * "online":true,"can-offline":false},...]}. An entry without a valid
 * logical-id, or one seen before, is not counted; only the first ~4700
 * entries (256 KiB) are read. Returns 0, -EINVAL or -ENOMEM. */
int guest_vcpus_from_agent_json(const char *json, size_t len, GuestVcpus *ret);
