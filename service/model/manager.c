#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "device-events.h"
#include "helpers.h"
#include "log.h"
#include "manager.h"
#include "virt-loop.h"

#define RECONNECT_INITIAL_USEC (1 * 1000000ULL)
#define RECONNECT_MAX_USEC (30 * 1000000ULL)
/* Results handled per wake-up, so a burst of libvirt events cannot starve the bus. */
#define INBOX_BATCH 256
/* How long a stop waits for agent calls in flight: well inside a service
 * manager's stop timeout. */
#define POOL_STOP_WAIT_MS 2000

#define CALL_HOOK(m, name, ...)                                                                                        \
        do {                                                                                                           \
                (m)->generation++;                                                                                     \
                (m)->summaries_generation++;                                                                           \
                if ((m)->hooks && (m)->hooks->name)                                                                    \
                        (m)->hooks->name((m), __VA_ARGS__);                                                            \
        } while (0)

/* A change that no summary shows leaves the summaries' generation. */
static void call_domain_changed(Manager *m, Domain *d, DomainProperties properties) {
        domain_touch(d, properties & DOMAIN_SUMMARY_PROPERTIES);
        m->generation++;
        if (properties & DOMAIN_SUMMARY_PROPERTIES)
                m->summaries_generation++;
        if (m->hooks && m->hooks->domain_changed)
                m->hooks->domain_changed(m, d, properties, m->hooks_userdata);
}

int manager_new(sd_event *event, const char *uri, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;

        m->uri = strdup(uri);
        m->domains = hashmap_new();
        if (!m->uri || !m->domains)
                return -ENOMEM;
        backoff_init(&m->backoff, RECONNECT_INITIAL_USEC, RECONNECT_MAX_USEC);
        collect_config_default(&m->collect.config);
        if (event)
                m->event = sd_event_ref(event);
        m->collect.event = m->event;
        m->collect.domains = m->domains;

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        Domain *d;

        if (!m)
                return NULL;

        /* Stop the producers, both at once and within one bound. A worker
         * inside a call that may last long (--agent-timeout, a libvirtd that
         * stopped answering) is not waited for: it is detached, holding its
         * own references to what it uses and to the inbox. */
        uint64_t deadline = now_usec() + POOL_STOP_WAIT_MS * 1000ULL;
        virt_session_request_stop(m->session);
        if (agent_pool_stop(m->pool, POOL_STOP_WAIT_MS) < 0)
                log_warning("An agent call was still in flight %.1f s after the stop; not waiting for it.",
                            POOL_STOP_WAIT_MS / 1000.0);
        m->pool = m->collect.pool = NULL;
        uint64_t now = now_usec();
        if (virt_session_stop(m->session, now < deadline ? (unsigned) ((deadline - now) / 1000) : 0) < 0)
                log_warning("A libvirt call was still in flight %.1f s after the stop; not waiting for it.",
                            POOL_STOP_WAIT_MS / 1000.0);
        /* Once libvirt's loop has stopped no callback can run with the
         * session any more: only then give it up. */
        virt_loop_stop();
        m->session = virt_session_unref(m->session);
        sd_event_source_disable_unref(m->inbox_source);
        sd_event_source_disable_unref(m->reconnect_source);
        collect_scheduler_done(&m->collect);
        queue_unref(m->inbox);

        HASHMAP_FOREACH (d, m->domains, i) {
                collect_domain_forget(d);
                domain_free(d);
        }
        hashmap_free(m->domains);
        sd_event_unref(m->event);
        free(m->uri);
        free(m);
        return NULL;
}

void manager_set_hooks(Manager *m, const ManagerHooks *hooks, void *userdata) {
        m->hooks = hooks;
        m->hooks_userdata = userdata;
}

Domain *manager_get_domain(Manager *m, const char *uuid) {
        return hashmap_get(m->domains, uuid);
}

Domain *manager_find_domain_by_name(Manager *m, const char *name) {
        Domain *d, *published = NULL;
        size_t n_published = 0;

        /* Linear: name lookups are rare method calls, UUID is the key.
         * libvirt's own name first; else the published one, if no other
         * domain's name was made the same (two names can sanitize alike). */
        HASHMAP_FOREACH (d, m->domains, i) {
                if (domain_has_libvirt_name(d, name))
                        return d;
                if (domain_has_published_name(d, name)) {
                        published = d;
                        n_published++;
                }
        }
        return n_published == 1 ? published : NULL;
}

size_t manager_domain_count(Manager *m) {
        return hashmap_size(m->domains);
}

static void set_connected(Manager *m, bool connected) {
        Domain *d;

        if (m->connected == connected)
                return;
        m->connected = connected;
        CALL_HOOK(m, manager_changed, MANAGER_PROPERTY_CONNECTED, m->hooks_userdata);
        /* Every domain says its values are the last known. */
        HASHMAP_FOREACH (d, m->domains, i) {
                d->libvirt_disconnected = !connected;
                DomainProperties changed = domain_update_reason(d);
                if (changed)
                        call_domain_changed(m, d, changed);
        }
}

/* A guest whose agent connects and disconnects all the time gets one line
 * per this long, with a count of what was left out. */
#define AGENT_LOG_QUIET_USEC (60 * 1000000ULL)

static void log_agent_transition(Domain *d) {
        uint64_t now = now_usec();

        if (d->agent_log_usec != 0 && now - d->agent_log_usec < AGENT_LOG_QUIET_USEC) {
                d->agent_log_suppressed++;
                log_debug("Guest agent of '%s' %s.", d->log_name, d->agent_connected ? "connected" : "disconnected");
                return;
        }
        if (d->agent_log_suppressed > 0)
                log_info("Guest agent of '%s' %s (%u more changes in the last minute not logged).", d->log_name,
                         d->agent_connected ? "connected" : "disconnected", d->agent_log_suppressed);
        else
                log_info("Guest agent of '%s' %s.", d->log_name, d->agent_connected ? "connected" : "disconnected");
        d->agent_log_usec = now;
        d->agent_log_suppressed = 0;
}

void manager_domain_changed(Manager *m, Domain *d, DomainProperties properties) {
        if (properties & DOMAIN_PROPERTY_AGENT_CONNECTED)
                log_agent_transition(d);
        properties |= domain_update_reason(d);
        call_domain_changed(m, d, properties);
}

/* The Refresh() calls the collections that ended answer. */
static void answer_refreshes(const CollectReport *r) {
        for (size_t i = 0; i < r->n_done; i++)
                for (CollectWaiter *w = r->done[i].waiters, *next; w; w = next) {
                        next = w->next;
                        w->next = NULL;
                        w->done(w, r->done[i].error, r->done[i].gone);
                }
}

/* The scheduler reports; the model alone calls the hooks. */
static void report_collect(Manager *m, Domain *d, const CollectReport *r) {
        if (r->exported) {
                domain_touch(d, true);
                CALL_HOOK(m, domain_guest_exported, d, r->exported > 0, m->hooks_userdata);
        }
        /* a collection started or ended: the reason may say so */
        DomainProperties changed = r->changed | domain_update_reason(d);
        if (changed)
                manager_domain_changed(m, d, changed);
        answer_refreshes(r);
}

static void collect_updated(Manager *m, Domain *d, bool was_usable) {
        CollectReport r;
        collect_domain_updated(&m->collect, d, was_usable, &r);
        report_collect(m, d, &r);
}

static void add_or_update_domain(Manager *m, DomainInfo *info) {
        Domain *d = manager_get_domain(m, info->uuid);
        int r;

        if (d) {
                bool was_usable = domain_agent_usable(d);
                DomainProperties changed;
                d->seen = true;
                r = domain_update(d, info, &changed);
                if (r < 0)
                        log_error_errno(r, "Failed to update domain '%s': %m", info->uuid);
                else if (changed)
                        manager_domain_changed(m, d, changed);
                collect_updated(m, d, was_usable);
                return;
        }

        r = domain_new(info, &d);
        if (r >= 0)
                r = hashmap_put(m->domains, d->uuid, d);
        if (r < 0) {
                log_error_errno(r, "Failed to add domain '%s', ignoring: %m", info->uuid);
                domain_free(d);
                return;
        }
        d->seen = true;
        log_debug("Domain '%s' (%s) appeared, %s.", d->log_name, d->uuid, domain_state_to_string(d->state));
        CALL_HOOK(m, domain_added, d, m->hooks_userdata);
        CALL_HOOK(m, manager_changed, MANAGER_PROPERTY_DOMAIN_COUNT, m->hooks_userdata);
        collect_updated(m, d, false);
}

static void remove_domain(Manager *m, Domain *d) {
        CollectReport r;

        log_debug("Domain '%s' (%s) is gone.", d->log_name, d->uuid);
        collect_domain_removed(d, &r);
        answer_refreshes(&r);
        CALL_HOOK(m, domain_removed, d, m->hooks_userdata);
        hashmap_remove(m->domains, d->uuid);
        domain_free(d);
        CALL_HOOK(m, manager_changed, MANAGER_PROPERTY_DOMAIN_COUNT, m->hooks_userdata);
}

static void resync(Manager *m, DomainInfo *domains, size_t n) {
        Domain *d;
        size_t n_gone = 0;

        HASHMAP_FOREACH (d, m->domains, i)
                d->seen = false;
        for (size_t i = 0; i < n; i++)
                add_or_update_domain(m, &domains[i]);

        /* Collect first: the map may not change while we iterate it. */
        HASHMAP_FOREACH (d, m->domains, i)
                if (!d->seen)
                        n_gone++;
        if (n_gone == 0)
                return;
        Domain **gone = calloc(n_gone, sizeof *gone);
        if (!gone) {
                log_error("Out of memory while dropping vanished domains; they stay until the next resync.");
                return;
        }
        size_t k = 0;
        HASHMAP_FOREACH (d, m->domains, i)
                if (!d->seen)
                        gone[k++] = d;
        for (size_t i = 0; i < k; i++)
                remove_domain(m, gone[i]);
        free(gone);
}

/* Said once, and again only if the figure changes: a host past libvirt's
 * list limit would otherwise repeat it on every reconnection. */
static void log_unlisted(Manager *m, const VirtMsg *msg) {
        if (msg->n_unlisted == m->unlisted_logged)
                return;
        m->unlisted_logged = msg->n_unlisted;
        if (msg->n_unlisted == 0)
                return;
        log_warning("libvirt at '%s' has %zu domains but lists at most 16384 of each kind (running, shut off) "
                    "in one call: %zu are not published until libvirt reports an event for them.",
                    m->uri, msg->n_libvirt, msg->n_unlisted);
}

static int on_reconnect_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        log_debug("Reconnecting to libvirt at '%s'.", m->uri);
        virt_session_connect(m->session);
        return 0;
}

static void schedule_reconnect(Manager *m) {
        uint64_t delay = backoff_next(&m->backoff);
        int r;

        log_info("Reconnecting to libvirt in %.0f s.", delay / 1e6);
        if (!m->event || !m->session)
                return;

        sd_event_source_disable_unref(m->reconnect_source);
        m->reconnect_source = NULL;
        r = sd_event_add_time_relative(m->event, &m->reconnect_source, CLOCK_MONOTONIC, delay, 0, on_reconnect_timer,
                                       m);
        if (r < 0)
                log_error_errno(r, "Failed to schedule reconnecting to libvirt: %m");
}

/* What msg brings may change what readers see of its domain (or, not
 * for one domain, of every domain), hooks or not: the hooks say what, not
 * whether. What a summary shows moves with its hooks only (a collection
 * that changed nothing of it leaves it), as the summaries' generation. */
static void touch_for(Manager *m, const VirtMsg *msg) {
        Domain *d;

        m->generation++;
        switch (msg->type) {
        case VIRT_MSG_DOMAIN_UPDATED:
        case VIRT_MSG_AGENT_EVENT:
        case VIRT_MSG_GUEST_DATA:
        case VIRT_MSG_DEVICE_EVENT:
        case VIRT_MSG_REBOOTED:
        case VIRT_MSG_DOMAIN_GONE:
                d = manager_get_domain(m, msg->domain.uuid);
                if (d)
                        domain_touch(d, false);
                break;
        default:
                HASHMAP_FOREACH (d, m->domains, i)
                        domain_touch(d, true);
                break;
        }
}

void manager_apply(Manager *m, VirtMsg *msg) {
        Domain *d;

        touch_for(m, msg);
        switch (msg->type) {
        case VIRT_MSG_CONNECTED:
                backoff_reset(&m->backoff);
                resync(m, msg->domains, msg->n_domains);
                log_unlisted(m, msg);
                if (m->synced)
                        log_info("Reconnected to libvirt at '%s', %zu domains.", m->uri, manager_domain_count(m));
                set_connected(m, true);
                if (!m->synced) {
                        m->synced = true;
                        CALL_HOOK(m, synced, m->hooks_userdata);
                }
                break;

        case VIRT_MSG_CONNECT_FAILED:
                if (!m->synced) {
                        CALL_HOOK(m, connect_failed, msg->error, m->hooks_userdata);
                        break;
                }
                log_warning("Failed to reconnect to libvirt at '%s': %s", m->uri, msg->error);
                schedule_reconnect(m);
                break;

        case VIRT_MSG_DISCONNECTED:
                log_warning("Lost the connection to libvirt at '%s' (%s).", m->uri, msg->error);
                set_connected(m, false);
                schedule_reconnect(m);
                break;

        case VIRT_MSG_DOMAIN_UPDATED:
                add_or_update_domain(m, &msg->domain);
                break;

        case VIRT_MSG_AGENT_EVENT:
                /* An event for a domain not yet known: its first read covers it. */
                d = manager_get_domain(m, msg->domain.uuid);
                if (d) {
                        bool was_usable = domain_agent_usable(d);
                        DomainProperties changed =
                                domain_update_agent(d, msg->domain.agent, msg->domain.agent_probe_usec);
                        if (changed)
                                manager_domain_changed(m, d, changed);
                        collect_updated(m, d, was_usable);
                }
                break;

        case VIRT_MSG_GUEST_DATA:
                /* A late answer for a domain that is gone meanwhile: dropped. */
                d = manager_get_domain(m, msg->domain.uuid);
                if (d) {
                        CollectReport r;
                        collect_apply_result(&m->collect, d, msg, &r);
                        report_collect(m, d, &r);
                }
                break;

        case VIRT_MSG_DEVICE_EVENT:
                /* the XML first (Interfaces gains or loses the NIC, agent or
                 * not), then what the device asks of the agent */
                add_or_update_domain(m, &msg->domain);
                d = manager_get_domain(m, msg->domain.uuid);
                if (d)
                        collect_device_event(&m->collect, d, &msg->device);
                break;

        case VIRT_MSG_REBOOTED:
                add_or_update_domain(m, &msg->domain);
                d = manager_get_domain(m, msg->domain.uuid);
                if (d) {
                        CollectReport r;
                        log_debug("Domain '%s' rebooted.", d->log_name);
                        collect_domain_rebooted(&m->collect, d, &r);
                        report_collect(m, d, &r);
                }
                break;

        case VIRT_MSG_DOMAIN_GONE:
                d = manager_get_domain(m, msg->domain.uuid);
                if (d)
                        remove_domain(m, d);
                break;

        default:
                break;
        }
        virt_msg_free(msg);
}

static int on_inbox(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        QueueItem *item;

        queue_drain_fd(m->inbox);
        for (unsigned n = 0; n < INBOX_BATCH; n++) {
                item = queue_pop(m->inbox);
                if (!item)
                        return 0;
                manager_apply(m, QUEUE_CONTAINER(item, VirtMsg, item));
        }
        /* More left: come back after the bus had its turn. */
        queue_kick(m->inbox);
        return 0;
}

int manager_start(Manager *m) {
        int r;

        r = queue_new(true, virt_msg_free_item, &m->inbox);
        if (r < 0)
                return r;
        r = sd_event_add_io(m->event, &m->inbox_source, queue_get_fd(m->inbox), EPOLLIN, on_inbox, m);
        if (r < 0)
                return r;
        r = virt_loop_start();
        if (r < 0)
                return r;
        r = virt_session_new(m->uri, m->inbox, &m->session);
        if (r < 0)
                return r;
        AgentPoolConfig pool_config = {
                .uri = m->uri,
                .n_workers = m->collect.config.workers,
                .response_timeout = m->collect.config.agent_timeout,
        };
        r = agent_pool_new(m->inbox, &pool_config, &m->pool);
        if (r < 0)
                return r;
        m->collect.pool = m->pool;
        virt_session_connect(m->session);
        return 0;
}
