/* One libvirt domain as the daemon knows it: plain data, no bus, no libvirt. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "guest-data.h"
#include "kind-status.h"
#include "virt-message.h"

/* Bits naming the properties that changed, for PropertiesChanged (see
 * bus-domain.c for the names); a set of them is a DomainProperties. */
typedef uint64_t DomainProperties;
#define DOMAIN_PROPERTY_BIT(n) (UINT64_C(1) << (n))

typedef enum DomainProperty {
        /* org.guestinfod.GuestInfo1.Domain */
        DOMAIN_PROPERTY_NAME = DOMAIN_PROPERTY_BIT(0),
        DOMAIN_PROPERTY_STATE = DOMAIN_PROPERTY_BIT(1),
        DOMAIN_PROPERTY_PERSISTENT = DOMAIN_PROPERTY_BIT(2),
        DOMAIN_PROPERTY_ID = DOMAIN_PROPERTY_BIT(3),
        DOMAIN_PROPERTY_AGENT_CONNECTED = DOMAIN_PROPERTY_BIT(4),
        DOMAIN_PROPERTY_AGENT_LAST_TRANSITION_TIME = DOMAIN_PROPERTY_BIT(5),
        DOMAIN_PROPERTY_AGENT_LAST_PROBE_TIME = DOMAIN_PROPERTY_BIT(6),
        DOMAIN_PROPERTY_AGENT_VERSION = DOMAIN_PROPERTY_BIT(7),
        DOMAIN_PROPERTY_AGENT_SUPPORTED_COMMANDS = DOMAIN_PROPERTY_BIT(8),
        /* org.guestinfod.GuestInfo1.OS */
        DOMAIN_PROPERTY_OS_ID = DOMAIN_PROPERTY_BIT(9),
        DOMAIN_PROPERTY_OS_NAME = DOMAIN_PROPERTY_BIT(10),
        DOMAIN_PROPERTY_OS_PRETTY_NAME = DOMAIN_PROPERTY_BIT(11),
        DOMAIN_PROPERTY_OS_VERSION = DOMAIN_PROPERTY_BIT(12),
        DOMAIN_PROPERTY_OS_VERSION_ID = DOMAIN_PROPERTY_BIT(13),
        DOMAIN_PROPERTY_OS_KERNEL_RELEASE = DOMAIN_PROPERTY_BIT(14),
        DOMAIN_PROPERTY_OS_KERNEL_VERSION = DOMAIN_PROPERTY_BIT(15),
        DOMAIN_PROPERTY_OS_MACHINE = DOMAIN_PROPERTY_BIT(16),
        DOMAIN_PROPERTY_OS_VARIANT = DOMAIN_PROPERTY_BIT(17),
        DOMAIN_PROPERTY_OS_VARIANT_ID = DOMAIN_PROPERTY_BIT(18),
        DOMAIN_PROPERTY_OS_HOSTNAME = DOMAIN_PROPERTY_BIT(19),
        DOMAIN_PROPERTY_OS_TIMEZONE_NAME = DOMAIN_PROPERTY_BIT(20),
        DOMAIN_PROPERTY_OS_TIMEZONE_OFFSET = DOMAIN_PROPERTY_BIT(21),
        /* org.guestinfod.GuestInfo1.Users */
        DOMAIN_PROPERTY_USERS = DOMAIN_PROPERTY_BIT(22),
        DOMAIN_PROPERTY_USER_COUNT = DOMAIN_PROPERTY_BIT(23),
        /* org.guestinfod.GuestInfo1.Filesystems */
        DOMAIN_PROPERTY_FILESYSTEMS = DOMAIN_PROPERTY_BIT(24),
        DOMAIN_PROPERTY_FILESYSTEM_COUNT = DOMAIN_PROPERTY_BIT(25),
        /* org.guestinfod.GuestInfo1.Network */
        DOMAIN_PROPERTY_INTERFACES = DOMAIN_PROPERTY_BIT(26),
        /* org.guestinfod.GuestInfo1.Domain again: freshness, reasons */
        DOMAIN_PROPERTY_GUEST_DATA_STATUS = DOMAIN_PROPERTY_BIT(27),
        DOMAIN_PROPERTY_GUEST_DATA_REASON = DOMAIN_PROPERTY_BIT(28),
        DOMAIN_PROPERTY_FS_FREEZE_STATUS = DOMAIN_PROPERTY_BIT(29),
        /* org.guestinfod.GuestInfo1.OS again */
        DOMAIN_PROPERTY_OS_VCPUS = DOMAIN_PROPERTY_BIT(30),
        DOMAIN_PROPERTY_OS_LOAD_AVERAGE = DOMAIN_PROPERTY_BIT(31),
        DOMAIN_PROPERTY_OS_CLOCK_OFFSET = DOMAIN_PROPERTY_BIT(32),
        /* org.guestinfod.GuestInfo1.Filesystems again */
        DOMAIN_PROPERTY_DISKS = DOMAIN_PROPERTY_BIT(33),
        DOMAIN_PROPERTY_DISK_COUNT = DOMAIN_PROPERTY_BIT(34),
} DomainProperty;

/* What a fleet summary (ListSummaries, ListDomains) shows of a domain
 * beside its UUID; bus-manager.c writes these. */
#define DOMAIN_SUMMARY_PROPERTIES                                                                                      \
        (DOMAIN_PROPERTY_NAME | DOMAIN_PROPERTY_STATE | DOMAIN_PROPERTY_AGENT_CONNECTED |                              \
         DOMAIN_PROPERTY_OS_PRETTY_NAME | DOMAIN_PROPERTY_OS_HOSTNAME | DOMAIN_PROPERTY_INTERFACES |                   \
         DOMAIN_PROPERTY_GUEST_DATA_REASON)

/* How many DomainProperty bits there are (at most 64). */
#define DOMAIN_PROPERTY_BITS 35
_Static_assert(DOMAIN_PROPERTY_BITS <= 64, "a DomainProperties holds every bit");

/* The longest name published, in bytes after sanitizing (a longer one is
 * cut and ends with "…"). Every name a QEMU domain can have fits unchanged:
 * its files are named after it, and a file name has at most 255 bytes. */
#define DOMAIN_NAME_PUBLISHED_MAX 256
/* The longest libvirt name kept for lookups by name (GetDomainByName takes
 * no longer argument); a longer one is found by its published name. */
#define DOMAIN_NAME_LOOKUP_MAX 1024
/* Bytes of a name quoted in a log line. */
#define DOMAIN_NAME_LOG_MAX 256

typedef struct Domain Domain;
typedef struct CollectWaiter CollectWaiter; /* service/model/collect.h */

/* A domain's collection state: read and written by service/model/collect.c
 * only (its tests look). Wide fields first, so that nothing pads. */
typedef struct DomainCollect {
        uint64_t seq;                        /* number of the latest collection submitted */
        uint64_t started_usec;               /* CLOCK_MONOTONIC when the one in flight was submitted */
        uint64_t job;                        /* the job in flight (CollectScheduler.last_job): a result of
                                  * another is late, for an object removed and added again */
        uint64_t full_done_usec;             /* CLOCK_MONOTONIC when the latest collection of everything
                                  * ended in this agent session; 0: none */
        char *full_error;                    /* its outcome: NULL if the agent answered */
        uint64_t address_wait_until_usec;    /* CLOCK_MONOTONIC: interfaces are asked quickly until the
                                           * guest has a routable address, or until then; 0: not */
        uint64_t settle_usec;                /* CLOCK_MONOTONIC: when everything is collected again
                                           * after a reboot (see rebooted); 0: not */
        CollectWaiter *waiting[2];           /* Refresh() calls answered by the one in flight, by the next */
        uint64_t due_usec[GUEST_KIND_COUNT]; /* CLOCK_MONOTONIC; 0: as soon as possible */
        /* Sets of GuestKind bits, 16 bits each (there are GUEST_KIND_COUNT): */
        uint16_t pending_kinds;            /* asked for while one was in flight */
        uint16_t kinds;                    /* what the one in flight asks for */
        uint16_t failing_kinds;            /* kinds whose last collection failed (logged once) */
        uint16_t raw_kinds;                /* lists too long for libvirt: read from the agent's own reply */
        uint16_t raw_failed_kinds;         /* ... and those whose own reply failed too: not tried again */
        KindPlan plan[GUEST_KIND_COUNT];   /* how the one in flight reads each kind */
        uint8_t backoff[GUEST_KIND_COUNT]; /* its interval is 2^backoff times the configured one: the
                                              * value did not change that many reads in a row */
        bool collecting;                   /* a collection is in flight */
        bool rebooted;                     /* the guest rebooted: everything again once it settled */
} DomainCollect;

_Static_assert(GUEST_KIND_ALL <= UINT16_MAX, "DomainCollect's sets of kinds hold every kind");

/* One per VM: its fields are ordered wide to narrow, so that nothing pads
 * (bench-cache counts it). */
struct Domain {
        char uuid[UUID_STRING_MAX];
        bool name_is_libvirts; /* name is libvirt's own, unchanged */
        bool persistent;
        /* KubeVirt's AgentConnected condition (its times below). */
        bool agent_connected;
        /* The model's: libvirt's connection is lost (the values are the
         * last known). */
        bool libvirt_disconnected;
        bool guest_exported; /* OS, Users, Filesystems are on the bus */
        /* Set by the model on every resync: domains not seen are gone. */
        bool seen;
        bool in_changes_queue; /* see changes_prev below */
        bool told_baselined;   /* what the clients learnt at first sight is in told[] */
        DomainState state;
        int32_t id;
        AgentState agent_state; /* the latest read of its channel */
        /* Agent (dis)connections are logged at most once per AGENT_LOG_QUIET_USEC. */
        unsigned agent_log_suppressed;
        uint64_t agent_log_usec;

        /* libvirt's name is untrusted: it may be any string libvirt's XML
         * parser accepts, noncharacters (which sd-bus refuses) included.
         * name: valid for D-Bus, at most DOMAIN_NAME_PUBLISHED_MAX; what the
         *       bus shows and error messages quote.
         * libvirt_name: libvirt's own, when it differs from name and is at
         *       most DOMAIN_NAME_LOOKUP_MAX; NULL otherwise (then
         *       name_is_libvirts says whether name is libvirt's own).
         * log_name: name made safe for a log line (text_for_log); name
         *       itself when that is the same text. */
        char *name;
        char *libvirt_name;
        char *log_name;

        /* Times of agent_connected: µs since the epoch, 0 until first known. */
        uint64_t agent_last_transition_usec;
        uint64_t agent_last_probe_usec;

        /* Per kind, by index in guest_kinds: how fresh, and why not. */
        KindStatus status[GUEST_KIND_COUNT];
        /* Why guest data is absent or not refreshed (GuestDataReason): one
         * of the DOMAIN_REASON_* strings, "" when collected as usual. */
        const char *reason;

        /* What the agent reported, cached: every bus read is served from here. */
        AgentInfo *agent_info;        /* version, supported commands; NULL until answered */
        GuestInfo *guest;             /* the kinds answered so far; NULL until answered */
        DomainDevices *devices;       /* from the latest XML read */
        MergedInterfaces *interfaces; /* devices merged with guest->interfaces */

        /* Collection scheduling: service/model/collect.c's alone. */
        DomainCollect collect;

        /* The bus layer's queue of pending PropertiesChanged (see
         * bus-publisher.c); in_changes_queue above. */
        DomainProperties pending_changes;
        Domain *changes_prev, *changes_next;
        uint64_t changes_emitted_usec; /* CLOCK_MONOTONIC of its latest PropertiesChanged */
        /* What the clients were last told of each property, by bit number:
         * a fingerprint of its value (see bus-told.c); told_known: the
         * DomainProperty bits whose fingerprint is there; told_baselined
         * above. */
        uint64_t told[DOMAIN_PROPERTY_BITS];
        DomainProperties told_known;

        /* Moves whenever what a reader sees of the domain may have changed
         * (domain_touch): unique in the process, so bytes a reader was sent
         * at one stamp hold while it stays (bus-fragments.c). summary_stamp:
         * the same for what its summary shows (DOMAIN_SUMMARY_PROPERTIES,
         * the guest data exported or not), which most collections leave. */
        uint64_t stamp, summary_stamp;
};

/* Takes info->devices. */
int domain_new(DomainInfo *info, Domain **ret);
Domain *domain_free(Domain *d);

/* What was read of d is no more: its stamp moves, and its summary_stamp
 * if summary (what its summary shows may have changed too). */
void domain_touch(Domain *d, bool summary);

/* Copies info into d (takes info->devices) and sets *changed to the
 * DomainProperty bits whose value changed. Returns 0 or -ENOMEM. */
int domain_update(Domain *d, DomainInfo *info, DomainProperties *changed);

/* Applies what is known about the agent (from the live XML or an agent
 * event). Returns the DomainProperty bits that changed. */
DomainProperties domain_update_agent(Domain *d, AgentState agent, uint64_t usec);

/* d is named name: by libvirt's name, or by its published one. */
bool domain_has_libvirt_name(const Domain *d, const char *name);
bool domain_has_published_name(const Domain *d, const char *name);

/* Guest data can be collected: running, agent connected. */
bool domain_agent_usable(const Domain *d);

/* Moves a finished collection's data into the cache (data is left empty).
 * Returns the DomainProperty bits that changed. */
DomainProperties domain_take_guest_data(Domain *d, GuestData *data);

/* The DomainProperty bits the kinds (GuestKind bits) feed. */
DomainProperties domain_kind_properties(unsigned kinds);
/* Those of the kinds whose interfaces appear with the agent's data
 * (GuestKindInfo.exported): InterfacesAdded carries their values. */
DomainProperties domain_exported_properties(void);

/* Reasons for GuestDataReason (static strings). */
#define DOMAIN_REASON_LIBVIRT_DISCONNECTED "libvirt-disconnected"
#define DOMAIN_REASON_NOT_RUNNING "not-running"
#define DOMAIN_REASON_PAUSED "paused"
#define DOMAIN_REASON_NO_AGENT_CHANNEL "no-agent-channel"
#define DOMAIN_REASON_AGENT_NOT_CONNECTED "agent-not-connected"
#define DOMAIN_REASON_FROZEN "frozen"
#define DOMAIN_REASON_COLLECTING "collecting"
#define DOMAIN_REASON_AGENT_FAILED "agent-failed"
#define DOMAIN_REASON_AGENT_TIMED_OUT "agent-timed-out"
#define DOMAIN_REASON_AGENT_LACKS_COMMANDS "agent-lacks-commands"

/* Why d's guest data is absent or not being refreshed, "" if it is
 * collected as usual (the first that applies, in the order above). */
const char *domain_guest_data_reason(const Domain *d);
/* Sets d->reason; returns DOMAIN_PROPERTY_GUEST_DATA_REASON if it changed. */
DomainProperties domain_update_reason(Domain *d);

/* The guest's filesystems are frozen, as the agent last said. */
bool domain_frozen(const Domain *d);

/* Forgets everything the agent said (agent gone, domain stopped). Returns
 * the DomainProperty bits that changed. */
DomainProperties domain_drop_guest_data(Domain *d);
