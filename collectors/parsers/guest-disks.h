/* The guest's own disks (guest-get-disks; libvirt's disk.N.* typed
 * parameters since 7.0): each block device the guest sees, whether it is a
 * partition, what it is built on (partitions, LVM, MD), its serial and bus,
 * and the domain disk it is (target "vda", from the domain XML).
 *
 * Untrusted like all guest data: every string valid UTF-8 and cut to its
 * cap, at most GUEST_DISKS_MAX disks of at most GUEST_DISK_DEPS_MAX
 * dependencies each, and all of them within GUEST_DISKS_BUDGET bytes as
 * Filesystems.Disks carries them (DISK_WIRE_FIXED per disk beside its
 * strings; the domain disk's source, the host's own, is not charged); the
 * count the guest claimed is kept (n_reported). Plain data: no bus. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>

#include "guest-builder.h" /* GUEST_DISKS_BUDGET */
#include "guest-data.h"

#define GUEST_DISKS_MAX 256    /* disks kept */
#define GUEST_DISK_DEPS_MAX 16 /* dependencies kept per disk */
/* A disk's (sbasssssa{sv}) beside its guest strings: the padding before
 * it, the boolean, the dependencies' length, the a{sv}, four strings empty
 * at least, and the "Alias" entry's key and signature */
#define DISK_WIRE_FIXED (4u + 4 + 4 + 8 + 4 * 8 + 20)
/* name, partition, dependencies of ~20 bytes, address of ~250 bytes */
#define JSON_DISK_MAX 4096u

typedef struct GuestDisk {
        char *name;          /* guest device, "/dev/vda1" */
        bool partition;      /* a partition of another disk */
        char **dependencies; /* what it is built on, "/dev/vda" */
        size_t n_dependencies;
        char *serial;      /* NULL if unknown */
        char *bus;         /* the guest's bus type, "virtio"; NULL if unknown */
        char *guest_alias; /* the guest's own name for it (a device-mapper name); NULL if none */
        char *target;      /* the domain disk it is, "vda"; NULL if libvirt did not match one */
        char *source;      /* that domain disk's source (file, block device, volume); NULL if none */
} GuestDisk;

typedef struct GuestDisks {
        GuestDisk *items;
        size_t n_items;
        size_t n_reported; /* disks the guest listed, before the caps */
} GuestDisks;

GuestDisks *guest_disks_free(GuestDisks *d);
bool guest_disks_equal(const GuestDisks *a, const GuestDisks *b);

/* The agent's reply to guest-get-disks, {"return":[...]}. Returns 0,
 * -EINVAL (not such a reply), -E2BIG (bigger than AGENT_REPLY_JSON_MAX) or
 * -ENOMEM. */
int guest_disks_from_agent_json(const char *json, size_t len, GuestDisks **ret);

/* virDomainGetGuestInfo's disk.count and disk.N.* parameters (others are
 * ignored; a malformed key is skipped). Returns 0 or -ENOMEM. */
int guest_disks_from_typed_params(const virTypedParameter *params, size_t n, GuestDisks **ret);

/* Sets each disk's target from the domain disk the guest's serial names
 * when libvirt gave none, each disk's source from its target's domain disk,
 * and its bus from that disk's when the guest gave none (libvirt 9.0's
 * disk.N.* has no bus). Returns 0 or -ENOMEM. */
int guest_disks_link_domain(GuestDisks *d, const DomainDevices *devices);

/* The disk called name ("/dev/vda" or "vda"), or NULL. */
const GuestDisk *guest_disks_find(const GuestDisks *d, const char *name);
