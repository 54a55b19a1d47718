/* What the libvirt side tells the main thread. Plain data: each message owns
 * its strings and is freed by whoever pops it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent-channel.h"
#include "domain-state.h"
#include "guest-data.h"
#include "queue.h"

#include "uuid.h"

typedef struct DomainInfo {
        char uuid[UUID_STRING_MAX]; /* canonical lowercase form, from libvirt */
        char *name;
        DomainState state;
        bool persistent;
        int32_t id; /* -1 while inactive */
        AgentState agent;
        uint64_t agent_probe_usec; /* CLOCK_REALTIME when agent was read or reported */
        DomainDevices *devices;    /* NICs and disks of the XML just read; NULL if not read */
} DomainInfo;

typedef enum VirtMsgType {
        VIRT_MSG_CONNECTED,      /* connected (again): domains[] is the full list */
        VIRT_MSG_CONNECT_FAILED, /* error says why */
        VIRT_MSG_DISCONNECTED,   /* the connection was lost; error says why */
        VIRT_MSG_DOMAIN_UPDATED, /* domain holds its current values */
        VIRT_MSG_DOMAIN_GONE,    /* domain.uuid no longer exists */
        VIRT_MSG_AGENT_EVENT,    /* domain.uuid's agent: domain.agent at domain.agent_probe_usec */
        VIRT_MSG_GUEST_DATA,     /* a collection for domain.uuid finished: see GuestData */
        VIRT_MSG_DEVICE_EVENT,   /* a device was added or removed: domain as DOMAIN_UPDATED, and device */
        VIRT_MSG_REBOOTED,       /* the guest rebooted: domain as DOMAIN_UPDATED */
        _VIRT_MSG_TYPE_MAX,
} VirtMsgType;

/* How a collection reads one kind, decided on the main thread: one of
 * these, in a byte (each domain keeps one per kind). */
enum {
        KIND_PLAN_SKIP,  /* not read: not asked for, or the agent lacks its command */
        KIND_PLAN_TYPED, /* virDomainGetGuestInfo; for the agent's kind, its guest-info */
        KIND_PLAN_RAW,   /* the agent's own reply: a list libvirt could not carry */
};
typedef uint8_t KindPlan;

/* What came of one kind. */
typedef enum KindOutcome {
        KIND_OUTCOME_NONE, /* not read: skipped, or the agent hung on an earlier kind */
        KIND_OUTCOME_OK,
        KIND_OUTCOME_FAILED,
        KIND_OUTCOME_TOO_BIG,     /* a list too long for libvirt's typed parameters */
        KIND_OUTCOME_UNSUPPORTED, /* the agent lacks its command: nothing to read, no error */
        KIND_OUTCOME_HUNG,        /* the agent did not answer in time */
        KIND_OUTCOME_FROZEN,      /* not asked: the guest's filesystems are frozen, the agent refuses it */
} KindOutcome;

/* The result of one collection (VIRT_MSG_GUEST_DATA). */
typedef struct GuestData {
        uint64_t job;                          /* the number the job was submitted with */
        unsigned kinds_requested;              /* GuestKind bits asked for */
        KindOutcome outcome[GUEST_KIND_COUNT]; /* by index in guest_kinds */
        AgentInfo *agent;                      /* set if GUEST_KIND_AGENT was collected */
        GuestInfo *guest;                      /* the kinds collected (guest->kinds); NULL if none */
        DomainDevices *devices;                /* the live XML's devices, if read */
        uint64_t duration_usec;                /* how long the collection took */
        char *message;                         /* why the first kind that failed did (safe to log) */
        char *messages[GUEST_KIND_COUNT];      /* why each kind that failed did (safe to log) */
        unsigned raw_fallback_kinds;           /* kinds libvirt could not read but the agent's own
                                                * reply gave: read that way from now on */
} GuestData;

/* Bytes kept of a device's alias ("net1", "virtio-disk2", "ua-..."): enough
 * to tell what kind of device it is; a longer one is cut. */
#define VIRT_DEVICE_ALIAS_MAX 64

/* VIRT_MSG_DEVICE_EVENT: which device, as libvirt's event named it. */
typedef struct DeviceEvent {
        char alias[VIRT_DEVICE_ALIAS_MAX];
        bool added; /* else removed */
} DeviceEvent;

typedef struct VirtMsg {
        QueueItem item;
        VirtMsgType type;
        char *error; /* CONNECT_FAILED, DISCONNECTED; GUEST_DATA: the agent did not answer */
        DomainInfo *domains;
        size_t n_domains;
        /* CONNECTED, when libvirt could not list every domain in one call:
         * how many it counts, and how many did not fit in any list. */
        size_t n_libvirt;
        size_t n_unlisted;
        DomainInfo domain;
        GuestData data;
        DeviceEvent device;
} VirtMsg;

void domain_info_done(DomainInfo *info);

VirtMsg *virt_msg_new(VirtMsgType type);
VirtMsg *virt_msg_free(VirtMsg *m);
void virt_msg_free_item(QueueItem *item);
