#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/libvirt.h>
#include <libxml/parser.h>

#include "alloc-failure.h"
#include "domain-devices.h"
#include "domain-xml.h"
#include "macro.h"
#include "virt-error.h"
#include "virt-message.h"
#include "virt-session.h"

typedef enum JobType {
        JOB_CONNECTION_LOST,
        JOB_REFRESH_DOMAIN,
        JOB_AGENT_EVENT,
        JOB_STOP,
        JOB_RESYNC,       /* connect if need be and list every domain again */
        JOB_DEVICE_EVENT, /* a device added or removed: re-read the domain, say which */
        JOB_REBOOT,       /* the guest rebooted: re-read the domain, say so */
} JobType;

typedef struct Job {
        QueueItem item;
        JobType type;
        virConnectPtr conn; /* CONNECTION_LOST: a reference to the connection that closed */
        virDomainPtr dom;   /* REFRESH_DOMAIN: a reference to the event's handle */
        char uuid[UUID_STRING_MAX];
        char *reason;
        AgentState agent;    /* AGENT_EVENT */
        uint64_t event_usec; /* AGENT_EVENT: when libvirt told us */
        DeviceEvent device;  /* DEVICE_EVENT */
} Job;

/* Referenced by its owner and by its worker: a worker still inside a call
 * when its owner stops keeps the session (and the results queue) alive and
 * frees it when it ends. Its callbacks run with it only while its
 * connection is open, which the worker closes, and only while libvirt's
 * loop runs, which the owner stops before giving up its reference. */
struct VirtSession {
        atomic_uint n_ref;
        char *uri;
        Queue *jobs;
        Queue *results;
        pthread_t thread;
        atomic_bool stop; /* asked to stop: skip queued jobs, end a list early */
        bool stop_queued; /* the JOB_STOP is queued (main thread only) */
        bool joined;      /* the worker has ended (main thread only) */
        /* Allocated up front, so that nothing is lost for want of memory:
         * an event, a result or a connect request that could not be
         * allocated queues the re-sync instead (once: atomic flag), which
         * lists every domain again, as an inotify overflow asks for a
         * rescan. The stop cannot fail. */
        Job resync_job;
        atomic_bool resync_queued;
        Job stop_job;
        /* Only the worker thread touches these. */
        virConnectPtr conn;
        int lifecycle_callback;
        int agent_callback;
        int device_added_callback;
        int device_removed_callback;
        int reboot_callback;
};

static bool stopping(VirtSession *s) {
        return atomic_load(&s->stop);
}

static bool last_error_is_no_domain(void) {
        return virt_error_last(NULL, NULL) == -ENOENT;
}

static uint64_t realtime_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

/* The XML (live while running), parsed once: the agent channel's state and
 * the devices. Returns 0, or -ENOENT if the domain vanished meanwhile; other
 * failures leave AGENT_STATE_UNKNOWN and no devices. */
static int read_domain_xml(virDomainPtr dom, DomainInfo *info) {
        info->agent_probe_usec = realtime_usec();
        info->agent = AGENT_STATE_UNKNOWN;

        char *xml = virDomainGetXMLDesc(dom, 0);
        if (!xml)
                return last_error_is_no_domain() ? -ENOENT : 0;
        xmlNode *root;
        xmlDoc *doc = domain_xml_read(xml, strlen(xml), &root);
        free(xml);
        if (!doc)
                return 0;
        info->agent = info->id < 0 ? AGENT_STATE_INACTIVE : agent_state_from_domain_node(root);
        (void) domain_devices_from_node(root, &info->devices);
        xmlFreeDoc(doc);
        return 0;
}

/* Allocations from now on that succeed before one fails: see the header. */
static AllocFailure fail = ALLOC_FAILURE_INIT;

void virt_session_test_fail_allocation(unsigned skip) {
        alloc_failure_arm(&fail, skip);
}

static bool allocation_fails(void) {
        return alloc_failure_now(&fail);
}

static bool job_is_static(const Job *j) {
        return j->type == JOB_RESYNC || j->type == JOB_STOP;
}

static void job_free_item(QueueItem *item) {
        Job *j = QUEUE_CONTAINER(item, Job, item);
        if (job_is_static(j))
                return; /* part of the session */
        if (j->conn)
                virConnectClose(j->conn);
        if (j->dom)
                virDomainFree(j->dom);
        free(j->reason);
        free(j);
}

static void session_unref(VirtSession *s) {
        if (!s || atomic_fetch_sub(&s->n_ref, 1) > 1)
                return;
        queue_unref(s->jobs);
        queue_unref(s->results);
        free(s->uri);
        free(s);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(VirtSession *, session_unref);

/* Safe from any thread: a no-op if it is queued already. */
static void queue_resync(VirtSession *s) {
        if (!atomic_exchange(&s->resync_queued, true))
                queue_push(s->jobs, &s->resync_job.item);
}

/* A job of the given type, or NULL with the re-sync queued instead. */
static Job *job_new(VirtSession *s, JobType type) {
        Job *j = allocation_fails() ? NULL : calloc(1, sizeof *j);
        if (!j) {
                queue_resync(s);
                return NULL;
        }
        j->type = type;
        return j;
}

/* Bounds how fast a worker short of memory retries its re-sync. */
#define RESYNC_RETRY_NSEC (100 * 1000000L)

/* A result message, or NULL with the re-sync queued: its answer covers
 * what this one would have said. Called on the worker thread only. */
static VirtMsg *msg_new(VirtSession *s, VirtMsgType type) {
        VirtMsg *m = allocation_fails() ? NULL : virt_msg_new(type);
        if (!m) {
                nanosleep(&(struct timespec){ .tv_nsec = RESYNC_RETRY_NSEC }, NULL);
                queue_resync(s);
        }
        return m;
}

static char *last_error_message(void) {
        char *s;
        (void) virt_error_last(NULL, &s);
        return s;
}

/* Fills info from a domain handle and its state and persistence, then
 * reads its XML. Returns 0, -ENOENT if the domain vanished meanwhile, or
 * -EIO. */
static int fill_domain_info(virDomainPtr dom, int state, bool persistent, DomainInfo *info) {
        if (virDomainGetUUIDString(dom, info->uuid) < 0)
                return -EIO;
        const char *name = virDomainGetName(dom);
        if (!name)
                return -EIO;
        info->name = strdup(name);
        if (!info->name)
                return -ENOMEM;
        info->state = domain_state_from_libvirt(state);
        info->persistent = persistent;
        unsigned int id = virDomainGetID(dom);
        info->id = id == (unsigned int) -1 ? -1 : (int32_t) id;
        /* The id came with the handle, the state after it: a domain stopping
         * in between (its Stopped event may fire first) still carries its
         * old id. Trust the later answer. */
        if (info->state == DOMAIN_STATE_SHUTOFF)
                info->id = -1;
        return read_domain_xml(dom, info);
}

/* One domain, asking libvirt for each part. */
static int read_domain_info(virDomainPtr dom, DomainInfo *info) {
        int state, reason, persistent;

        if (virDomainGetState(dom, &state, &reason, 0) < 0)
                return last_error_is_no_domain() ? -ENOENT : -EIO;
        persistent = virDomainIsPersistent(dom);
        if (persistent < 0)
                return last_error_is_no_domain() ? -ENOENT : -EIO;
        return fill_domain_info(dom, state, persistent, info);
}

/* Collects infos[0..k) one domain at a time; a domain that vanished since it
 * was listed is skipped. Returns 0 or the first other failure. */
typedef struct DomainList {
        DomainInfo *infos;
        size_t k;
} DomainList;

static int domain_list_add(DomainList *l, int q) {
        if (q >= 0) {
                l->k++;
                return 0;
        }
        domain_info_done(&l->infos[l->k]);
        return q == -ENOENT ? 0 : q;
}

static int uuid_compare(const void *a, const void *b) {
        return memcmp(a, b, VIR_UUID_BUFLEN);
}

/* libvirt's remote protocol carries at most this many domains in one list
 * (REMOTE_DOMAIN_LIST_MAX in libvirt 9.0): past it virConnectListAllDomains
 * and virConnectGetAllDomainStats fail, whoever asks. In-process drivers
 * have no such limit. */
#define RPC_DOMAIN_LIST_MAX 16384

/* Which domains a list takes: all, or one kind. */
typedef enum ListKind {
        LIST_ALL,
        LIST_ACTIVE,   /* running, paused, ... */
        LIST_INACTIVE, /* shut off */
} ListKind;

static unsigned list_flags(ListKind kind) {
        return kind == LIST_ACTIVE     ? VIR_CONNECT_LIST_DOMAINS_ACTIVE
               : kind == LIST_INACTIVE ? VIR_CONNECT_LIST_DOMAINS_INACTIVE
                                       : 0;
}

static unsigned stats_flags(ListKind kind) {
        return kind == LIST_ACTIVE     ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE
               : kind == LIST_INACTIVE ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_INACTIVE
                                       : 0;
}

/* Room for n more infos. */
static int domain_list_reserve(DomainList *l, size_t n) {
        DomainInfo *grown = realloc(l->infos, (l->k + n + 1) * sizeof *grown);
        if (!grown)
                return -ENOMEM;
        l->infos = grown;
        memset(l->infos + l->k, 0, (n + 1) * sizeof *grown);
        return 0;
}

/* The list functions below add to l and return how many domains libvirt
 * listed, or -E2BIG when a one-call list itself failed, as it does past
 * RPC_DOMAIN_LIST_MAX: list_domains() then lists one kind at a time. */

/* The raw UUIDs of the persistent domains of a kind, sorted. */
static int list_persistent(virConnectPtr conn, ListKind kind, unsigned char (**ret)[VIR_UUID_BUFLEN], size_t *ret_n) {
        virDomainPtr *doms = NULL;
        int n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_PERSISTENT | list_flags(kind));
        if (n < 0)
                return -E2BIG;

        unsigned char(*uuids)[VIR_UUID_BUFLEN] = calloc(n > 0 ? n : 1, sizeof *uuids);
        int r = uuids ? 0 : -ENOMEM;
        for (int i = 0; i < n; i++) {
                if (r >= 0 && virDomainGetUUID(doms[i], uuids[i]) < 0)
                        r = -EIO;
                virDomainFree(doms[i]);
        }
        free(doms);
        if (r < 0) {
                free(uuids);
                return r;
        }
        qsort(uuids, n, sizeof *uuids, uuid_compare);
        *ret = uuids;
        *ret_n = n;
        return 0;
}

/* The XMLs of a list are read by this many threads at once, on the one
 * connection: libvirtd serves a client's calls with several workers, and
 * each reply is parsed here while libvirtd formats the next ones. Serial,
 * the start waited for the sum of both (bench-scale --plain). Within
 * libvirtd's default max_client_requests (5). */
#define LIST_READERS 4

typedef struct ListRead {
        VirtSession *s;
        virDomainStatsRecordPtr *records;
        unsigned char (*persistent)[VIR_UUID_BUFLEN];
        size_t n_persistent;
        DomainInfo *infos; /* one per record */
        int *results;      /* one per record: 1 until read */
        atomic_int next;
        int n;
} ListRead;

static int read_listed(ListRead *lr, int i) {
        virDomainPtr dom = lr->records[i]->dom;
        unsigned char uuid[VIR_UUID_BUFLEN];
        int state;

        if (virDomainGetUUID(dom, uuid) < 0)
                return -EIO;
        /* A domain defined after the second list, or made transient since
         * the first, is put right by its own event. */
        bool is_persistent = bsearch(uuid, lr->persistent, lr->n_persistent, sizeof *lr->persistent, uuid_compare);
        if (virTypedParamsGetInt(lr->records[i]->params, lr->records[i]->nparams, "state.state", &state) == 1)
                return fill_domain_info(dom, state, is_persistent, &lr->infos[i]);
        return read_domain_info(dom, &lr->infos[i]);
}

static void *list_reader(void *userdata) {
        ListRead *lr = userdata;
        for (int i; !stopping(lr->s) && (i = atomic_fetch_add(&lr->next, 1)) < lr->n;) {
                lr->results[i] = read_listed(lr, i);
                if (lr->results[i] < 0 && lr->results[i] != -ENOENT)
                        break; /* the list fails: the others stop at their next */
        }
        return NULL;
}

/* Every domain of a kind with its state and persistence in two calls, then
 * one XML each: three round trips per domain would make start-up wait on
 * libvirtd. Returns -EOPNOTSUPP if the driver has no bulk stats. */
static int list_domains_bulk(VirtSession *s, ListKind kind, DomainList *l) {
        virConnectPtr conn = s->conn;
        virDomainStatsRecordPtr *records = NULL;
        unsigned char(*persistent)[VIR_UUID_BUFLEN] = NULL;
        size_t n_persistent = 0;

        int n = virConnectGetAllDomainStats(conn, VIR_DOMAIN_STATS_STATE, &records, stats_flags(kind));
        if (n < 0)
                return virt_error_last(NULL, NULL) == -EOPNOTSUPP ? -EOPNOTSUPP : -E2BIG;
        int r = list_persistent(conn, kind, &persistent, &n_persistent);
        if (r >= 0)
                r = domain_list_reserve(l, (size_t) n);
        int *results = r >= 0 ? malloc((n > 0 ? n : 1) * sizeof *results) : NULL;
        if (r >= 0 && !results)
                r = -ENOMEM;
        if (r >= 0) {
                /* Read into the slots after the list's end, then kept in
                 * order: the vanished ones dropped. */
                ListRead lr = { .s = s,
                                .records = records,
                                .persistent = persistent,
                                .n_persistent = n_persistent,
                                .infos = l->infos + l->k,
                                .results = results,
                                .n = n };
                pthread_t readers[LIST_READERS - 1];
                size_t n_readers = 0;

                for (int i = 0; i < n; i++)
                        results[i] = 1;
                atomic_init(&lr.next, 0);
                xmlInitParser(); /* once, before threads parse (idempotent) */
                /* Fewer helpers if threads cannot be had: the worker reads too. */
                while (n_readers < (size_t) (LIST_READERS - 1) && n > 64 &&
                       pthread_create(&readers[n_readers], NULL, list_reader, &lr) == 0)
                        n_readers++;
                list_reader(&lr);
                for (size_t i = 0; i < n_readers; i++)
                        pthread_join(readers[i], NULL);

                size_t first = l->k;
                for (int i = 0; i < n; i++) {
                        DomainInfo *info = &l->infos[first + (size_t) i];
                        if (results[i] == 0) {
                                if (&l->infos[l->k] != info) {
                                        l->infos[l->k] = *info;
                                        memset(info, 0, sizeof *info);
                                }
                                l->k++;
                                continue;
                        }
                        domain_info_done(info);
                        if (results[i] != -ENOENT && results[i] != 1 && r >= 0)
                                r = results[i];
                }
        }
        free(results);
        free(persistent);
        virDomainStatsRecordListFree(records);
        return r < 0 ? r : n;
}

/* The fallback: every part of every domain asked for on its own. */
static int list_domains_each(VirtSession *s, ListKind kind, DomainList *l) {
        virDomainPtr *doms = NULL;
        int n = virConnectListAllDomains(s->conn, &doms, list_flags(kind));
        if (n < 0)
                return -E2BIG;

        int r = domain_list_reserve(l, (size_t) n);
        for (int i = 0; i < n; i++) {
                if (r >= 0 && !stopping(s))
                        r = domain_list_add(l, read_domain_info(doms[i], &l->infos[l->k]));
                virDomainFree(doms[i]);
        }
        free(doms);
        return r < 0 ? r : n;
}

/* Every domain of a kind in one call: bulk, else one by one. */
static int list_domains_one_call(VirtSession *s, ListKind kind, DomainList *l) {
        int r = list_domains_bulk(s, kind, l);
        return r == -EOPNOTSUPP ? list_domains_each(s, kind, l) : r;
}

/* One kind (active or not) with the older calls, when even its one-call
 * list fails: up to RPC_DOMAIN_LIST_MAX IDs of active domains, or names of
 * the others, each looked up. Returns how many the list named; 0 if it
 * failed (a reply too big for libvirt's messages): counted, not fatal. */
static int list_kind_by_handle(VirtSession *s, bool active, DomainList *l) {
        virConnectPtr conn = s->conn;
        int *ids = NULL;
        char **names = NULL;
        int r, n;

        if (active) {
                if (!(ids = calloc(RPC_DOMAIN_LIST_MAX, sizeof *ids)))
                        return -ENOMEM;
                n = virConnectListDomains(conn, ids, RPC_DOMAIN_LIST_MAX);
        } else {
                if (!(names = calloc(RPC_DOMAIN_LIST_MAX, sizeof *names)))
                        return -ENOMEM;
                n = virConnectListDefinedDomains(conn, names, RPC_DOMAIN_LIST_MAX);
        }
        r = n > 0 ? domain_list_reserve(l, (size_t) n) : 0;
        for (int i = 0; r >= 0 && i < n && !stopping(s); i++) {
                virDomainPtr dom = active ? virDomainLookupByID(conn, ids[i]) : virDomainLookupByName(conn, names[i]);
                if (!dom) {
                        /* Stopped, started, renamed or gone since it was listed: its event follows. */
                        if (!last_error_is_no_domain())
                                r = -EIO;
                        continue;
                }
                r = domain_list_add(l, read_domain_info(dom, &l->infos[l->k]));
                virDomainFree(dom);
        }
        for (int i = 0; names && i < n; i++)
                free(names[i]);
        free(names);
        free(ids);
        if (r < 0)
                return r;
        return n > 0 ? n : 0;
}

static int list_kind(VirtSession *s, bool active, DomainList *l) {
        int r = list_domains_one_call(s, active ? LIST_ACTIVE : LIST_INACTIVE, l);
        return r == -E2BIG ? list_kind_by_handle(s, active, l) : r;
}

/* When the one-call list of every domain fails: one kind at a time.
 * *ret_total: domains libvirt counts; *ret_unlisted: those that fit in no
 * list. Fails if neither kind could be listed. */
static int list_domains_by_kind(VirtSession *s, DomainList *l, size_t *ret_total, size_t *ret_unlisted) {
        int n_active = virConnectNumOfDomains(s->conn), n_inactive = virConnectNumOfDefinedDomains(s->conn);
        int listed_active, listed_inactive;

        if (n_active < 0 || n_inactive < 0)
                return -EIO;
        listed_active = list_kind(s, true, l);
        if (listed_active < 0)
                return listed_active;
        listed_inactive = list_kind(s, false, l);
        if (listed_inactive < 0)
                return listed_inactive;
        if (listed_active + listed_inactive == 0 && n_active + n_inactive > 0)
                return -EIO;

        size_t total = (size_t) n_active + (size_t) n_inactive;
        size_t listed = (size_t) listed_active + (size_t) listed_inactive;
        *ret_total = total;
        *ret_unlisted = total > listed ? total - listed : 0;
        return 0;
}

static void domain_list_clear(DomainList *l) {
        for (size_t i = 0; i < l->k; i++)
                domain_info_done(&l->infos[i]);
        free(l->infos);
        l->infos = NULL;
        l->k = 0;
}

static int list_domains(VirtSession *s, VirtMsg *m) {
        DomainList l = {};
        int r = list_domains_one_call(s, LIST_ALL, &l);
        if (r == -E2BIG) {
                domain_list_clear(&l);
                /* A lost connection fails every list: no point in more. */
                r = virConnectIsAlive(s->conn) == 1 ? list_domains_by_kind(s, &l, &m->n_libvirt, &m->n_unlisted) : -EIO;
        }
        if (r < 0) {
                domain_list_clear(&l);
                return r;
        }
        m->domains = l.infos;
        m->n_domains = l.k;
        return 0;
}

/* --- called on libvirt's event thread: only queue work --- */

static void on_close(virConnectPtr conn, int reason, void *opaque) {
        static const char *const reasons[] = {
                [VIR_CONNECT_CLOSE_REASON_ERROR] = "connection error",
                [VIR_CONNECT_CLOSE_REASON_EOF] = "end of file from libvirt",
                [VIR_CONNECT_CLOSE_REASON_KEEPALIVE] = "keepalive timeout",
                [VIR_CONNECT_CLOSE_REASON_CLIENT] = "closed by client",
        };
        VirtSession *s = opaque;
        Job *j = job_new(s, JOB_CONNECTION_LOST);

        /* Lost: the re-sync lists on a dead connection, fails and reconnects. */
        if (!j)
                return;
        virConnectRef(conn);
        j->conn = conn;
        j->reason = strdup(reason >= 0 && reason < (int) (sizeof reasons / sizeof *reasons) && reasons[reason]
                                   ? reasons[reason]
                                   : "unknown reason");
        queue_push(s->jobs, &j->item);
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque) {
        VirtSession *s = opaque;
        Job *j = job_new(s, JOB_REFRESH_DOMAIN);

        if (!j)
                return 0;
        /* Local: the UUID travels with the domain reference, no RPC. */
        if (virDomainGetUUIDString(dom, j->uuid) < 0) {
                free(j);
                return 0;
        }
        /* Kept to name the domain in a bulk read (refresh_batch). */
        if (virDomainRef(dom) == 0)
                j->dom = dom;
        queue_push(s->jobs, &j->item);
        return 0;
}

static int on_agent_lifecycle(virConnectPtr conn, virDomainPtr dom, int state, int reason, void *opaque) {
        VirtSession *s = opaque;
        Job *j = job_new(s, JOB_AGENT_EVENT);

        if (!j)
                return 0;
        if (virDomainGetUUIDString(dom, j->uuid) < 0) {
                free(j);
                return 0;
        }
        j->agent = state == VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED ? AGENT_STATE_CONNECTED
                                                                                     : AGENT_STATE_DISCONNECTED;
        j->event_usec = realtime_usec();
        queue_push(s->jobs, &j->item);
        return 0;
}

/* A job naming dom, or NULL (the re-sync queued instead, or no UUID). */
static Job *domain_job_new(VirtSession *s, JobType type, virDomainPtr dom) {
        Job *j = job_new(s, type);

        if (j && virDomainGetUUIDString(dom, j->uuid) < 0) {
                free(j);
                return NULL;
        }
        return j;
}

static void on_device(VirtSession *s, virDomainPtr dom, const char *alias, bool added) {
        Job *j = domain_job_new(s, JOB_DEVICE_EVENT, dom);

        if (!j)
                return;
        /* Cut if need be: the start says what kind of device it is. */
        snprintf(j->device.alias, sizeof j->device.alias, "%s", alias ? alias : "");
        j->device.added = added;
        queue_push(s->jobs, &j->item);
}

static void on_device_added(virConnectPtr conn, virDomainPtr dom, const char *alias, void *opaque) {
        on_device(opaque, dom, alias, true);
}

static void on_device_removed(virConnectPtr conn, virDomainPtr dom, const char *alias, void *opaque) {
        on_device(opaque, dom, alias, false);
}

static void on_reboot(virConnectPtr conn, virDomainPtr dom, void *opaque) {
        VirtSession *s = opaque;
        Job *j = domain_job_new(s, JOB_REBOOT, dom);

        if (j)
                queue_push(s->jobs, &j->item);
}

/* --- the worker thread --- */

static void deregister(VirtSession *s, int *callback) {
        if (*callback >= 0)
                virConnectDomainEventDeregisterAny(s->conn, *callback);
        *callback = -1;
}

static void disconnect(VirtSession *s) {
        if (!s->conn)
                return;
        virConnectUnregisterCloseCallback(s->conn, on_close);
        deregister(s, &s->lifecycle_callback);
        deregister(s, &s->agent_callback);
        deregister(s, &s->device_added_callback);
        deregister(s, &s->device_removed_callback);
        deregister(s, &s->reboot_callback);
        virConnectClose(s->conn);
        s->conn = NULL;
}

static void do_connect(VirtSession *s) {
        VirtMsg *m;

        if (!s->conn) {
                s->conn = virConnectOpen(s->uri);
                if (!s->conn) {
                        m = msg_new(s, VIRT_MSG_CONNECT_FAILED);
                        if (!m)
                                return;
                        m->error = last_error_message();
                        queue_push(s->results, &m->item);
                        return;
                }
                /* Remote URIs: notice a dead peer within ~15 s. Local drivers say "unsupported". */
                (void) virConnectSetKeepAlive(s->conn, 5, 3);
                if (virConnectRegisterCloseCallback(s->conn, on_close, s, NULL) < 0)
                        goto fail;
                /* Register before listing: an event racing the list is then
                 * queued behind this job and re-read afterwards. */
                s->lifecycle_callback = virConnectDomainEventRegisterAny(
                        s->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), s, NULL);
                if (s->lifecycle_callback < 0)
                        goto fail;
                /* Not every driver has agent events (the test driver has none):
                 * then the live XML read on every domain refresh is all we get. */
                s->agent_callback =
                        virConnectDomainEventRegisterAny(s->conn, NULL, VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE,
                                                         VIR_DOMAIN_EVENT_CALLBACK(on_agent_lifecycle), s, NULL);
                /* Devices and reboots: the domain is re-read at once instead
                 * of at its next lifecycle event (a NIC plugged into a VM
                 * without an agent would wait for ever). Drivers without
                 * these events get the lifecycle reads only. */
                s->device_added_callback =
                        virConnectDomainEventRegisterAny(s->conn, NULL, VIR_DOMAIN_EVENT_ID_DEVICE_ADDED,
                                                         VIR_DOMAIN_EVENT_CALLBACK(on_device_added), s, NULL);
                s->device_removed_callback =
                        virConnectDomainEventRegisterAny(s->conn, NULL, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
                                                         VIR_DOMAIN_EVENT_CALLBACK(on_device_removed), s, NULL);
                s->reboot_callback = virConnectDomainEventRegisterAny(s->conn, NULL, VIR_DOMAIN_EVENT_ID_REBOOT,
                                                                      VIR_DOMAIN_EVENT_CALLBACK(on_reboot), s, NULL);
        }

        m = msg_new(s, VIRT_MSG_CONNECTED);
        if (!m)
                return;
        if (list_domains(s, m) < 0) {
                virt_msg_free(m);
                goto fail;
        }
        queue_push(s->results, &m->item);
        return;

fail:
        m = msg_new(s, VIRT_MSG_CONNECT_FAILED);
        if (m)
                m->error = last_error_message();
        disconnect(s);
        if (m)
                queue_push(s->results, &m->item);
}

static void do_connection_lost(VirtSession *s, Job *j) {
        if (!s->conn || s->conn != j->conn)
                return; /* an old connection, already replaced */

        disconnect(s);
        /* Lost: the re-sync reconnects, and its list says all. */
        VirtMsg *m = msg_new(s, VIRT_MSG_DISCONNECTED);
        if (!m)
                return;
        m->error = j->reason;
        j->reason = NULL;
        queue_push(s->results, &m->item);
}

/* Pushes m, filled by reading domain uuid with outcome r: the domain's
 * values, its going (-ENOENT), a re-sync (out of memory) or nothing. */
static void push_read(VirtSession *s, VirtMsg *m, int r, const char *uuid) {
        if (r == -ENOMEM) {
                virt_msg_free(m);
                queue_resync(s);
                return;
        }
        if (r == -ENOENT) {
                domain_info_done(&m->domain);
                m->type = VIRT_MSG_DOMAIN_GONE;
                snprintf(m->domain.uuid, sizeof m->domain.uuid, "%s", uuid);
        } else if (r < 0) {
                virt_msg_free(m);
                return;
        }
        queue_push(s->results, &m->item);
}

/* Re-reads the domain j names: type (DOMAIN_UPDATED; DEVICE_EVENT or
 * REBOOTED with what the event said) with its current values, or GONE if
 * it vanished. */
static void do_refresh_domain(VirtSession *s, const Job *j, VirtMsgType type) {
        const char *uuid = j->uuid;
        VirtMsg *m;

        if (!s->conn)
                return; /* the re-sync after reconnecting covers it */

        virDomainPtr dom = virDomainLookupByUUIDString(s->conn, uuid);
        if (!dom) {
                if (!last_error_is_no_domain())
                        return; /* connection trouble: the close callback follows */
                m = msg_new(s, VIRT_MSG_DOMAIN_GONE);
                if (!m)
                        return;
                snprintf(m->domain.uuid, sizeof m->domain.uuid, "%s", uuid);
                queue_push(s->results, &m->item);
                return;
        }

        m = msg_new(s, type);
        if (!m) {
                virDomainFree(dom);
                return;
        }
        m->device = j->device;
        int r = read_domain_info(dom, &m->domain);
        virDomainFree(dom);
        push_read(s, m, r, uuid);
}

static void do_agent_event(VirtSession *s, Job *j) {
        if (!s->conn)
                return;
        VirtMsg *m = msg_new(s, VIRT_MSG_AGENT_EVENT);
        if (!m)
                return;
        memcpy(m->domain.uuid, j->uuid, sizeof m->domain.uuid);
        m->domain.agent = j->agent;
        m->domain.agent_probe_usec = j->event_usec;
        queue_push(s->results, &m->item);
}

/* A burst of lifecycle events (a define and a start are two) comes far
 * faster than domains can be re-read one by one, three or four round trips
 * each to a libvirtd busy with the burst itself. The refreshes queued
 * together are read together: each domain once, whatever number of events
 * named it, its state and persistence for all of them in two calls, then
 * one XML each. */
#define REFRESH_BATCH_MAX 256

/* The persistent ones among doms, their raw UUIDs sorted. */
static int list_persistent_of(virDomainPtr *doms, unsigned char (**ret)[VIR_UUID_BUFLEN], size_t *ret_n) {
        virDomainStatsRecordPtr *records = NULL;
        int n = virDomainListGetStats(doms, VIR_DOMAIN_STATS_STATE, &records,
                                      VIR_CONNECT_GET_ALL_DOMAINS_STATS_PERSISTENT);
        if (n < 0)
                return -EIO;
        unsigned char(*uuids)[VIR_UUID_BUFLEN] = calloc(n > 0 ? n : 1, sizeof *uuids);
        int r = uuids ? 0 : -ENOMEM;
        for (int i = 0; r >= 0 && i < n; i++)
                if (virDomainGetUUID(records[i]->dom, uuids[i]) < 0)
                        r = -EIO;
        virDomainStatsRecordListFree(records);
        if (r < 0) {
                free(uuids);
                return r;
        }
        qsort(uuids, n, sizeof *uuids, uuid_compare);
        *ret = uuids;
        *ret_n = n;
        return 0;
}

/* Pushes what reading one listed domain gave, as do_refresh_domain does. */
static void push_refresh(VirtSession *s, virDomainPtr dom, int state, bool persistent, const char *uuid) {
        VirtMsg *m = msg_new(s, VIRT_MSG_DOMAIN_UPDATED);
        if (!m)
                return;
        push_read(s, m, fill_domain_info(dom, state, persistent, &m->domain), uuid);
}

/* jobs[0..n): distinct domains. Those the bulk read listed are answered
 * and their job set to NULL; the caller reads the others one by one (a
 * domain gone meanwhile is not listed). Fails if the driver has no bulk
 * read or a handle is of an older connection. */
static int refresh_bulk(VirtSession *s, Job **jobs, size_t n) {
        virDomainPtr doms[REFRESH_BATCH_MAX + 1];
        virDomainStatsRecordPtr *records = NULL;
        unsigned char(*persistent)[VIR_UUID_BUFLEN] = NULL;
        size_t n_persistent = 0;

        for (size_t i = 0; i < n; i++) {
                if (!jobs[i]->dom || virDomainGetConnect(jobs[i]->dom) != s->conn)
                        return -EINVAL;
                doms[i] = jobs[i]->dom;
        }
        doms[n] = NULL;
        int n_records = virDomainListGetStats(doms, VIR_DOMAIN_STATS_STATE, &records, 0);
        if (n_records < 0)
                return -EIO;
        int r = list_persistent_of(doms, &persistent, &n_persistent);
        for (int i = 0; r >= 0 && i < n_records && !stopping(s); i++) {
                virDomainPtr dom = records[i]->dom;
                unsigned char uuid[VIR_UUID_BUFLEN];
                char uuid_string[UUID_STRING_MAX];
                int state;

                if (virDomainGetUUID(dom, uuid) < 0 || virDomainGetUUIDString(dom, uuid_string) < 0)
                        continue;
                size_t k = 0;
                while (k < n && (!jobs[k] || strcmp(jobs[k]->uuid, uuid_string) != 0))
                        k++;
                if (k == n)
                        continue; /* not asked for: never, but the others stay right */
                /* The record's handle, not the event's: its id is of now. */
                bool is_persistent = bsearch(uuid, persistent, n_persistent, sizeof *persistent, uuid_compare);
                if (virTypedParamsGetInt(records[i]->params, records[i]->nparams, "state.state", &state) != 1)
                        continue; /* read one by one */
                push_refresh(s, dom, state, is_persistent, uuid_string);
                job_free_item(&jobs[k]->item);
                jobs[k] = NULL;
        }
        free(persistent);
        virDomainStatsRecordListFree(records);
        return r;
}

/* jobs[0..n): refreshes queued together; frees them. */
static void refresh_batch(VirtSession *s, Job **jobs, size_t n) {
        size_t k = 0;

        /* One read per domain, after its last event: the others say no more. */
        for (size_t i = 0; i < n; i++) {
                bool later = false;
                for (size_t m = i + 1; m < n && !later; m++)
                        later = strcmp(jobs[i]->uuid, jobs[m]->uuid) == 0;
                if (later)
                        job_free_item(&jobs[i]->item);
                else
                        jobs[k++] = jobs[i];
        }
        if (k > 1 && s->conn && !stopping(s))
                (void) refresh_bulk(s, jobs, k);
        for (size_t i = 0; i < k; i++) {
                if (!jobs[i])
                        continue;
                if (s->conn && !stopping(s))
                        do_refresh_domain(s, jobs[i], VIRT_MSG_DOMAIN_UPDATED);
                job_free_item(&jobs[i]->item);
        }
}

/* Runs one job and frees it; true if it was the stop. */
static bool run_job(VirtSession *s, Job *j) {
        bool stop = j->type == JOB_STOP;

        /* From now on a lost event queues it again: it is read after. */
        if (j->type == JOB_RESYNC)
                atomic_store(&s->resync_queued, false);

        /* Nobody waits for the answers any more. */
        if (stopping(s) && !stop) {
                job_free_item(&j->item);
                return false;
        }

        switch (j->type) {
        case JOB_RESYNC:
                do_connect(s);
                break;
        case JOB_CONNECTION_LOST:
                do_connection_lost(s, j);
                break;
        case JOB_REFRESH_DOMAIN:
                do_refresh_domain(s, j, VIRT_MSG_DOMAIN_UPDATED);
                break;
        case JOB_DEVICE_EVENT:
                do_refresh_domain(s, j, VIRT_MSG_DEVICE_EVENT);
                break;
        case JOB_REBOOT:
                do_refresh_domain(s, j, VIRT_MSG_REBOOTED);
                break;
        case JOB_AGENT_EVENT:
                do_agent_event(s, j);
                break;
        case JOB_STOP:
                disconnect(s);
                break;
        }
        job_free_item(&j->item);
        return stop;
}

static Job *pop_job(Queue *q, bool wait) {
        QueueItem *item = wait ? queue_pop_wait(q) : queue_pop(q);
        return item ? QUEUE_CONTAINER(item, Job, item) : NULL;
}

static void *worker_main(void *userdata) {
        VirtSession *s = userdata;
        Job *batch[REFRESH_BATCH_MAX];

        for (;;) {
                Job *j = pop_job(s->jobs, true);
                size_t n = 0;

                /* The refreshes queued now, up to the first other job,
                 * which runs after them: the order of the queue holds. */
                while (j && j->type == JOB_REFRESH_DOMAIN && n < REFRESH_BATCH_MAX) {
                        batch[n++] = j;
                        j = pop_job(s->jobs, false);
                }
                if (n > 0)
                        refresh_batch(s, batch, n);
                if (j && run_job(s, j)) {
                        session_unref(s);
                        return NULL;
                }
        }
}

int virt_session_new(const char *uri, Queue *results, VirtSession **ret) {
        _cleanup_(session_unrefp) VirtSession *s = calloc(1, sizeof *s);
        int r;

        if (!s)
                return -ENOMEM;
        atomic_init(&s->n_ref, 1);
        s->lifecycle_callback = s->agent_callback = -1;
        s->device_added_callback = s->device_removed_callback = s->reboot_callback = -1;
        s->resync_job.type = JOB_RESYNC;
        s->stop_job.type = JOB_STOP;
        s->results = queue_ref(results);
        s->uri = strdup(uri);
        if (!s->uri)
                return -ENOMEM;
        r = queue_new(false, job_free_item, &s->jobs);
        if (r < 0)
                return r;
        atomic_fetch_add(&s->n_ref, 1); /* the worker's */
        r = -pthread_create(&s->thread, NULL, worker_main, s);
        if (r < 0) {
                atomic_fetch_sub(&s->n_ref, 1);
                return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

void virt_session_request_stop(VirtSession *s) {
        QueueItem *item;

        if (!s || s->stop_queued)
                return;
        atomic_store(&s->stop, true);
        while ((item = queue_pop(s->jobs)))
                job_free_item(item);
        queue_push(s->jobs, &s->stop_job.item);
        s->stop_queued = true;
}

int virt_session_stop(VirtSession *s, unsigned wait_ms) {
        struct timespec deadline;

        if (!s || s->joined)
                return 0;
        virt_session_request_stop(s);
        clock_gettime(CLOCK_REALTIME, &deadline); /* pthread_timedjoin_np's clock */
        deadline.tv_sec += wait_ms / 1000;
        deadline.tv_nsec += (long) (wait_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000L;
        }
        if (pthread_timedjoin_np(s->thread, NULL, &deadline) != 0)
                return -ETIMEDOUT;
        s->joined = true;
        return 0;
}

VirtSession *virt_session_unref(VirtSession *s) {
        if (!s)
                return NULL;
        if (!s->joined && !s->stop_queued) {
                virt_session_request_stop(s);
                pthread_join(s->thread, NULL);
        } else if (!s->joined)
                /* Still inside a call: it ends on its own, with its reference. */
                (void) pthread_detach(s->thread);
        session_unref(s);
        return NULL;
}

void virt_session_connect(VirtSession *s) {
        queue_resync(s);
}
