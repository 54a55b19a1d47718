#include <string.h>

#include "device-events.h"
#include "log.h"

/* The kinds a disk feeds. A disks kind of its own belongs here too. */
#define DISK_KINDS GUEST_KIND_FILESYSTEMS

static bool starts_with(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* libvirt's own aliases (qemu_alias.c): a prefix, then numbers. */
static const char *const nic_prefixes[] = { "net" };
static const char *const disk_prefixes[] = { "virtio-disk", "sata", "scsi", "ide", "fdc", "usb-disk", "nvme" };
/* Devices no kind of guest data is about. */
static const char *const other_prefixes[] = { "input",   "rng",    "watchdog", "balloon",  "video", "sound",
                                              "channel", "serial", "console",  "dimm",     "vsock", "redir",
                                              "tpm",     "panic",  "shmem",    "smartcard" };

static bool has_prefix(const char *alias, const char *const *prefixes, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (starts_with(alias, prefixes[i]))
                        return true;
        return false;
}

#define HAS_PREFIX(alias, table) has_prefix(alias, table, sizeof table / sizeof *table)

DeviceKinds device_event_kinds(const char *alias) {
        if (HAS_PREFIX(alias, nic_prefixes))
                /* at once, and again when the guest's driver has named it */
                return (DeviceKinds){ GUEST_KIND_INTERFACES, GUEST_KIND_INTERFACES };
        if (HAS_PREFIX(alias, disk_prefixes))
                /* nothing to see until the guest has mounted it */
                return (DeviceKinds){ 0, DISK_KINDS };
        if (HAS_PREFIX(alias, other_prefixes))
                return (DeviceKinds){ 0, 0 };
        /* A host device or one the user named may be a NIC or a disk. */
        return (DeviceKinds){ GUEST_KIND_INTERFACES, GUEST_KIND_INTERFACES | DISK_KINDS };
}

void collect_device_event(CollectScheduler *s, Domain *d, const DeviceEvent *event) {
        DeviceKinds k = device_event_kinds(event->alias);

        log_debug("A device was %s '%s'.", event->added ? "added to" : "removed from", d->log_name);
        collect_kinds_soon(s, d, k.now, 0);
        collect_kinds_soon(s, d, k.settled, DEVICE_SETTLE_USEC);
}
