#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "collect.h"
#include "log.h"
#include "manager.h"

/* Kinds falling due within this much of each other go in one collection. */
#define COALESCE_USEC (500 * 1000ULL)

void collect_config_default(CollectConfig *c) {
        c->workers = 4;
        c->agent_timeout = 10;
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                c->interval_usec[i] = guest_kinds[i].interval_sec * 1000000ULL;
}

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

/* How each kind is read: the agent's guest-info when asked for or not yet
 * known (then the worker checks the other kinds against its reply), else
 * only what the agent supports; a list libvirt could not carry, raw. */
static void plan_job(const Domain *d, unsigned kinds, KindPlan plan[GUEST_KIND_COUNT]) {
        bool read_agent = (kinds & GUEST_KIND_AGENT) || !d->agent_info;
        unsigned supported = read_agent ? GUEST_KIND_ALL : agent_info_supported_kinds(d->agent_info);

        for (int i = 0; i < GUEST_KIND_COUNT; i++) {
                unsigned kind = guest_kinds[i].kind;
                if (kind == GUEST_KIND_AGENT)
                        plan[i] = read_agent ? KIND_PLAN_TYPED : KIND_PLAN_SKIP;
                else if (!(kinds & kind) || !(supported & kind))
                        plan[i] = KIND_PLAN_SKIP;
                else
                        plan[i] = (d->raw_kinds & kind) ? KIND_PLAN_RAW : KIND_PLAN_TYPED;
        }
}

static void submit(Manager *m, Domain *d, unsigned kinds) {
        AgentJob job = { .kinds = kinds };

        d->collecting = true;
        d->pending_kinds = 0;
        d->collect_seq++;
        d->collect_job = ++m->last_job;
        d->collect_kinds = kinds;
        d->collect_started_usec = now_usec();
        plan_job(d, kinds, d->collect_plan);
        if (m->pool) {
                snprintf(job.uuid, sizeof job.uuid, "%s", d->uuid);
                job.job = d->collect_job;
                memcpy(job.plan, d->collect_plan, sizeof job.plan);
                agent_pool_submit(m->pool, &job);
        }
}

static unsigned kinds_due(const Domain *d, uint64_t until) {
        unsigned kinds = 0;
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (d->due_usec[i] <= until)
                        kinds |= 1u << i;
        return kinds;
}

static uint64_t next_due(const Domain *d) {
        uint64_t t = UINT64_MAX;
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (d->due_usec[i] < t)
                        t = d->due_usec[i];
        return t;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        collect_schedule(userdata);
        return 0;
}

/* Makes the timer fire no later than at. */
static void arm_timer(Manager *m, uint64_t at) {
        uint64_t current;
        int r;

        if (!m->event || at == UINT64_MAX)
                return;
        if (!m->collect_timer) {
                r = sd_event_add_time(m->event, &m->collect_timer, CLOCK_MONOTONIC, at, COALESCE_USEC, on_timer, m);
                if (r < 0)
                        log_error_errno(r, "Failed to set up the collection timer: %m");
                return;
        }
        if (sd_event_source_get_enabled(m->collect_timer, NULL) > 0 &&
            sd_event_source_get_time(m->collect_timer, &current) >= 0 && current <= at)
                return;
        (void) sd_event_source_set_time(m->collect_timer, at);
        (void) sd_event_source_set_enabled(m->collect_timer, SD_EVENT_ONESHOT);
}

void collect_schedule(Manager *m) {
        uint64_t now = now_usec(), next = UINT64_MAX;
        Domain *d;

        if (m->collect_timer)
                (void) sd_event_source_set_enabled(m->collect_timer, SD_EVENT_OFF);
        HASHMAP_FOREACH(d, m->domains, i) {
                if (!domain_agent_usable(d) || d->collecting)
                        continue;
                unsigned kinds = kinds_due(d, now + COALESCE_USEC);
                if (kinds)
                        submit(m, d, kinds);
                else if (next_due(d) < next)
                        next = next_due(d);
        }
        arm_timer(m, next);
}

static void kinds_to_string(unsigned kinds, char *buf, size_t size) {
        size_t k = 0;
        buf[0] = '\0';
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (kinds & (1u << i))
                        k += (size_t) snprintf(buf + k, k < size ? size - k : 0, "%s%s", k ? ", " : "",
                                               guest_kinds[i].name);
}

/* A Refresh() is no longer answered from the latest full collection. */
static void forget_full_collection(Domain *d) {
        d->full_done_usec = 0;
        free(d->full_error);
        d->full_error = NULL;
}

static void remember_full_collection(Domain *d, uint64_t now, const char *error) {
        forget_full_collection(d);
        d->full_error = error ? strdup(error) : NULL;
        /* without its reason, it is not reused */
        d->full_done_usec = error && !d->full_error ? 0 : now;
}

static void drop_guest_data(Domain *d, CollectReport *report) {
        /* a new agent session may have shorter lists */
        d->raw_kinds = d->raw_failed_kinds = 0;
        if (d->guest_exported) {
                d->guest_exported = false;
                report->exported = -1;
        }
        report->changed |= domain_drop_guest_data(d);
}

/* What the agent said stays valid while it is connected and the domain
 * exists as a running (or paused) machine; a paused one is just not asked. */
static bool keeps_guest_data(const Domain *d) {
        return d->agent_connected && d->state != DOMAIN_STATE_SHUTOFF && d->state != DOMAIN_STATE_CRASHED &&
               d->state != DOMAIN_STATE_NOSTATE && d->id >= 0;
}

void collect_domain_updated(Manager *m, Domain *d, bool was_usable, CollectReport *report) {
        bool usable = domain_agent_usable(d);

        *report = (CollectReport) { 0 };
        if (!keeps_guest_data(d) && (d->guest_exported || d->guest || d->agent_info))
                drop_guest_data(d, report);
        if (usable != was_usable)
                forget_full_collection(d);
        if (usable == was_usable || !usable)
                return;
        /* Agent (re)connected, domain started or resumed: everything, now. */
        memset(d->due_usec, 0, sizeof d->due_usec);
        if (d->collecting)
                d->pending_kinds = GUEST_KIND_ALL;
        else
                submit(m, d, GUEST_KIND_ALL);
}

static void link_waiter(CollectWaiter **head, CollectWaiter *w) {
        w->next = *head;
        if (w->next)
                w->next->prevp = &w->next;
        w->prevp = head;
        *head = w;
}

void collect_waiter_cancel(CollectWaiter *w) {
        if (!w->prevp)
                return;
        *w->prevp = w->next;
        if (w->next)
                w->next->prevp = w->prevp;
        w->next = NULL;
        w->prevp = NULL;
}

/* Unlinks the whole list at *head and returns it (linked by next only). */
static CollectWaiter *take_waiters(CollectWaiter **head) {
        CollectWaiter *list = *head;
        *head = NULL;
        for (CollectWaiter *w = list; w; w = w->next)
                w->prevp = NULL;
        return list;
}

/* The collection whose waiters are at *head ended. */
static void finished(CollectReport *report, CollectWaiter **head, const char *error) {
        if (report->n_done >= ELEMENTSOF(report->done))
                return;
        report->done[report->n_done++] = (CollectDone) { take_waiters(head), error, false };
}

void collect_domain_removed(Domain *d, CollectReport *report) {
        *report = (CollectReport) { 0 };
        for (size_t i = 0; i < ELEMENTSOF(d->waiting); i++)
                report->done[report->n_done++] = (CollectDone) { take_waiters(&d->waiting[i]), "The domain is gone.",
                                                                 true };
}

void collect_domain_forget(Domain *d) {
        for (size_t i = 0; i < ELEMENTSOF(d->waiting); i++)
                (void) take_waiters(&d->waiting[i]);
}

void collect_apply_result(Manager *m, Domain *d, VirtMsg *msg, CollectReport *report) {
        uint64_t now = now_usec();
        unsigned requested = msg->data.kinds_requested;

        *report = (CollectReport) { 0 };
        if (!d->collecting || msg->data.job != d->collect_job) {
                /* Asked of a Domain object that was removed meanwhile (this
                 * one has the same UUID): not about this one. */
                log_debug("Dropped a late collection result for '%s'.", d->uuid);
                return;
        }
        d->collecting = false;
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (requested & (1u << i))
                        d->due_usec[i] = now + m->collect_config.interval_usec[i];

        if (!domain_agent_usable(d)) {
                /* The agent went away while we asked: what it said is stale. */
                finished(report, &d->waiting[0], "the guest agent disconnected");
                if (d->pending_kinds) {
                        d->pending_kinds = 0;
                        finished(report, &d->waiting[1], "the guest agent disconnected");
                }
                return;
        }

        /* What came of each kind read or asked for: unsupported is no failure. */
        unsigned failed = 0, too_big = 0, raw_failed = 0;
        for (int i = 0; i < GUEST_KIND_COUNT && !msg->error; i++) {
                unsigned kind = guest_kinds[i].kind;
                KindOutcome o = msg->data.outcome[i];
                if (!(requested & kind) && d->collect_plan[i] == KIND_PLAN_SKIP)
                        continue;
                if (o != KIND_OUTCOME_OK && o != KIND_OUTCOME_UNSUPPORTED)
                        failed |= kind;
                if (o == KIND_OUTCOME_TOO_BIG && d->collect_plan[i] == KIND_PLAN_TYPED)
                        too_big |= kind;
                if ((o == KIND_OUTCOME_FAILED || o == KIND_OUTCOME_HUNG) && d->collect_plan[i] == KIND_PLAN_RAW)
                        raw_failed |= kind;
        }

        /* Logged when a kind starts failing and when it comes back, not per poll. */
        if (msg->error)
                failed = requested;
        unsigned answered = requested & ~failed;
        const char *why = msg->error ? msg->error : msg->data.message;
        char names[128];
        if (failed & ~d->failing_kinds) {
                kinds_to_string(failed & ~d->failing_kinds, names, sizeof names);
                log_warning("Guest agent of '%s' gave no %s (%s); will keep asking.", d->log_name, names,
                            why ? why : "no reason given");
        }
        if (answered & d->failing_kinds) {
                kinds_to_string(answered & d->failing_kinds, names, sizeof names);
                log_info("Guest agent of '%s' answers about %s again.", d->log_name, names);
        }
        d->failing_kinds = (d->failing_kinds | failed) & ~answered;

        /* Lists libvirt could not carry: from now on read from the agent's
         * own reply, and right away. Once only: a reply too big for libvirt
         * even so (over 4 MiB), or too slow for the agent timeout, costs the
         * guest's other kinds a collection while the agent catches up. */
        raw_failed &= d->raw_kinds;
        d->raw_failed_kinds |= raw_failed;
        d->raw_kinds &= ~raw_failed;
        too_big &= ~d->raw_kinds & ~d->raw_failed_kinds;
        d->raw_kinds |= too_big;
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (too_big & (1u << i))
                        d->due_usec[i] = 0;

        if ((requested & GUEST_KIND_ALL) == GUEST_KIND_ALL)
                remember_full_collection(d, now, msg->error ? msg->error : answered ? NULL : why);
        if (msg->error) {
                finished(report, &d->waiting[0], msg->error);
        } else {
                log_debug("Collected %#x of %#x from the agent of '%s' in %.3f s.", answered, requested, d->log_name,
                          msg->data.duration_usec / 1e6);

                unsigned changed = domain_take_guest_data(d, &msg->data);
                if (!d->guest_exported && d->guest) {
                        /* InterfacesAdded carries these values already. */
                        changed &= ~domain_exported_properties();
                        d->guest_exported = true;
                        report->exported = 1;
                }
                report->changed = changed;
                /* Something came back: Refresh() succeeded, even if a kind is missing. */
                finished(report, &d->waiting[0], answered ? NULL : why);
        }

        if (d->pending_kinds) {
                /* the calls queued behind are answered by this one */
                d->waiting[0] = take_waiters(&d->waiting[1]);
                for (CollectWaiter **p = &d->waiting[0]; *p; p = &(*p)->next)
                        (*p)->prevp = p;
                submit(m, d, d->pending_kinds);
        } else
                arm_timer(m, next_due(d));
}

int collect_refresh(Manager *m, Domain *d, CollectWaiter *w, const char **ret_error) {
        uint64_t now = now_usec();

        if (!domain_agent_usable(d))
                return -ENODEV;
        if (d->full_done_usec && now - d->full_done_usec < REFRESH_REUSE_USEC) {
                /* Fresh enough: a client calling in a loop costs the guest
                 * one collection per window, not one per call. */
                *ret_error = d->full_error;
                return 0;
        }
        if (d->collecting && (d->collect_kinds & GUEST_KIND_ALL) == GUEST_KIND_ALL &&
            now - d->collect_started_usec < REFRESH_REUSE_USEC) {
                /* One of everything just started: its answer is as fresh. */
                link_waiter(&d->waiting[0], w);
                return 1;
        }
        memset(d->due_usec, 0, sizeof d->due_usec);
        if (d->collecting) {
                /* Every Refresh() meanwhile waits for this same one. */
                d->pending_kinds = GUEST_KIND_ALL;
                link_waiter(&d->waiting[1], w);
                return 1;
        }
        submit(m, d, GUEST_KIND_ALL);
        link_waiter(&d->waiting[0], w);
        return 1;
}
