/* What a device added to or removed from a running domain asks of its
 * agent: which kinds of guest data, and when. The domain itself (its XML,
 * hence the NICs in Interfaces) is re-read by the event's own message, with
 * or without an agent. Part of the model: runs on the main thread. */
#pragma once

#include "collect.h"

/* The guest needs a moment to see a device and act on it (a driver binds,
 * udev names it, a filesystem is mounted): the kinds that follow from that
 * are asked this much later, as oVirt does. */
#define DEVICE_SETTLE_USEC (5 * 1000000ULL)

typedef struct DeviceKinds {
        unsigned now;     /* GuestKind bits asked at once */
        unsigned settled; /* ... and DEVICE_SETTLE_USEC later */
} DeviceKinds;

/* From the device's alias, as libvirt names it ("net1", "virtio-disk2",
 * "hostdev0"; "ua-..." is the user's own and says nothing). */
DeviceKinds device_event_kinds(const char *alias);

/* d (already updated from the event's message) had a device added or removed. */
void collect_device_event(CollectScheduler *s, Domain *d, const DeviceEvent *event);
