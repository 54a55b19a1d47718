#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "collect.h"
#include "helpers.h"
#include "ip-address.h"
#include "log.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* Kinds falling due within this much of each other go in one collection. */
#define COALESCE_USEC (500 * 1000ULL)

void collect_scheduler_done(CollectScheduler *s) {
        s->timer = sd_event_source_disable_unref(s->timer);
}

void collect_config_default(CollectConfig *c) {
        c->workers = 4;
        c->agent_timeout = 10;
        c->backoff_max = COLLECT_BACKOFF_DEFAULT;
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                c->interval_usec[i] = guest_kinds[i].interval_sec * 1000000ULL;
}

/* How each kind is read: the agent's guest-info when asked for or not yet
 * known (then the worker checks the other kinds against its reply), else
 * only what the agent supports; a list libvirt could not carry, raw. */
static void plan_job(const Domain *d, unsigned kinds, KindPlan plan[GUEST_KIND_COUNT]) {
        bool read_agent = (kinds & GUEST_KIND_AGENT) || !d->agent_info;
        /* While frozen the agent lists nearly every command disabled: the
         * worker asks about the freeze first and decides on its answer. */
        unsigned supported =
                read_agent || domain_frozen(d) ? GUEST_KIND_ALL : agent_info_supported_kinds(d->agent_info);

        for (int i = 0; i < GUEST_KIND_COUNT; i++) {
                unsigned kind = guest_kinds[i].kind;
                if (kind == GUEST_KIND_AGENT)
                        plan[i] = read_agent ? KIND_PLAN_TYPED : KIND_PLAN_SKIP;
                else if (!(kinds & kind) || !(supported & kind))
                        plan[i] = KIND_PLAN_SKIP;
                else
                        plan[i] = (d->collect.raw_kinds & kind) || !guest_kinds[i].libvirt_type ? KIND_PLAN_RAW
                                                                                                : KIND_PLAN_TYPED;
        }
}

static void arm_timer(CollectScheduler *s, uint64_t at);
static uint64_t next_due(const Domain *d);

/* Returns -ENOMEM if the pool could not take the job: then these kinds
 * count as failed now and are asked for again after their interval. */
static int submit(CollectScheduler *s, Domain *d, unsigned kinds) {
        uint64_t now = now_usec();

        /* The freeze is asked first in every collection of guest data: a
         * frozen guest's agent refuses the rest, which is then not sent. */
        if (kinds & ~GUEST_KIND_FROZEN_ANSWERS)
                kinds |= GUEST_KIND_FSFREEZE;
        AgentJob job = { .kinds = kinds };
        d->collect.pending_kinds = 0;
        plan_job(d, kinds, d->collect.plan);
        /* Served by this one: its end sets their next time, unless an event
         * asks for one of them again meanwhile. */
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if ((kinds & (1u << i)) && d->collect.due_usec[i] <= now + COALESCE_USEC)
                        d->collect.due_usec[i] = UINT64_MAX;
        if (s->pool) {
                snprintf(job.uuid, sizeof job.uuid, "%s", d->uuid);
                job.job = s->last_job + 1;
                memcpy(job.plan, d->collect.plan, sizeof job.plan);
                if (agent_pool_submit(s->pool, &job) < 0) {
                        log_error("Out of memory: cannot ask the guest agent of '%s' now; will retry.", d->log_name);
                        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                                if (kinds & (1u << i))
                                        d->collect.due_usec[i] = now + s->config.interval_usec[i];
                        arm_timer(s, next_due(d));
                        return -ENOMEM;
                }
        }
        d->collect.collecting = true;
        d->collect.seq++;
        d->collect.job = ++s->last_job;
        d->collect.kinds = kinds;
        d->collect.started_usec = now;
        return 0;
}

static unsigned kinds_due(const Domain *d, uint64_t until) {
        unsigned kinds = 0;
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (d->collect.due_usec[i] <= until)
                        kinds |= 1u << i;
        return kinds;
}

static uint64_t next_due(const Domain *d) {
        uint64_t t = UINT64_MAX;
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (d->collect.due_usec[i] < t)
                        t = d->collect.due_usec[i];
        return t;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        collect_schedule(userdata);
        return 0;
}

/* Makes the timer fire no later than at. */
static void arm_timer(CollectScheduler *s, uint64_t at) {
        uint64_t current;
        int r;

        if (!s->event || at == UINT64_MAX)
                return;
        if (!s->timer) {
                r = sd_event_add_time(s->event, &s->timer, CLOCK_MONOTONIC, at, COALESCE_USEC, on_timer, s);
                if (r < 0)
                        log_error_errno(r, "Failed to set up the collection timer: %m");
                return;
        }
        if (sd_event_source_get_enabled(s->timer, NULL) > 0 && sd_event_source_get_time(s->timer, &current) >= 0 &&
            current <= at)
                return;
        (void) sd_event_source_set_time(s->timer, at);
        (void) sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
}

void collect_schedule(CollectScheduler *s) {
        uint64_t now = now_usec(), next = UINT64_MAX;
        Domain *d;

        if (s->timer)
                (void) sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
        HASHMAP_FOREACH (d, s->domains, i) {
                if (!domain_agent_usable(d) || d->collect.collecting)
                        continue;
                unsigned kinds = kinds_due(d, now + COALESCE_USEC);
                if (kinds)
                        submit(s, d, kinds);
                else if (next_due(d) < next)
                        next = next_due(d);
        }
        arm_timer(s, next);
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
        d->collect.full_done_usec = 0;
        free(d->collect.full_error);
        d->collect.full_error = NULL;
}

static void remember_full_collection(Domain *d, uint64_t now, const char *error) {
        forget_full_collection(d);
        d->collect.full_error = error ? strdup(error) : NULL;
        /* without its reason, it is not reused */
        d->collect.full_done_usec = error && !d->collect.full_error ? 0 : now;
}

static void drop_guest_data(Domain *d, CollectReport *report) {
        /* a new agent session may have shorter lists */
        d->collect.raw_kinds = d->collect.raw_failed_kinds = 0;
        if (d->guest_exported) {
                d->guest_exported = false;
                report->exported = -1;
        }
        report->changed |= domain_drop_guest_data(d);
}

/* Back to the configured intervals: an event or a change says the guest
 * is moving. */
static void snap_back(Domain *d, unsigned kinds) {
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (kinds & (1u << i))
                        d->collect.backoff[i] = 0;
}

/* What the agent said stays valid while it is connected and the domain
 * exists as a running (or paused) machine; a paused one is just not asked. */
static bool keeps_guest_data(const Domain *d) {
        return d->agent_connected && d->state != DOMAIN_STATE_SHUTOFF && d->state != DOMAIN_STATE_CRASHED &&
               d->state != DOMAIN_STATE_NOSTATE && d->id >= 0;
}

void collect_domain_updated(CollectScheduler *s, Domain *d, bool was_usable, CollectReport *report) {
        bool usable = domain_agent_usable(d);

        *report = (CollectReport){ 0 };
        if (!keeps_guest_data(d) && (d->guest_exported || d->guest || d->agent_info))
                drop_guest_data(d, report);
        if (usable != was_usable) {
                forget_full_collection(d);
                /* a new agent session: its own fast address poll and settle */
                d->collect.address_wait_until_usec = usable ? now_usec() + COLLECT_ADDRESS_WAIT_USEC : 0;
                d->collect.settle_usec = usable && d->collect.rebooted ? now_usec() + COLLECT_BOOT_SETTLE_USEC : 0;
        }
        if (usable == was_usable || !usable)
                return;
        /* Agent (re)connected, domain started or resumed: everything, now. */
        memset(d->collect.due_usec, 0, sizeof d->collect.due_usec);
        snap_back(d, GUEST_KIND_ALL);
        if (d->collect.collecting)
                d->collect.pending_kinds = GUEST_KIND_ALL;
        else
                submit(s, d, GUEST_KIND_ALL);
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
        report->done[report->n_done++] = (CollectDone){ take_waiters(head), error, false };
}

void collect_domain_removed(Domain *d, CollectReport *report) {
        *report = (CollectReport){ 0 };
        for (size_t i = 0; i < ELEMENTSOF(d->collect.waiting); i++)
                report->done[report->n_done++] =
                        (CollectDone){ take_waiters(&d->collect.waiting[i]), "The domain is gone.", true };
}

void collect_domain_forget(Domain *d) {
        for (size_t i = 0; i < ELEMENTSOF(d->collect.waiting); i++)
                (void) take_waiters(&d->collect.waiting[i]);
}

static void lower_due(Domain *d, unsigned kinds, uint64_t at) {
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if ((kinds & (1u << i)) && d->collect.due_usec[i] > at)
                        d->collect.due_usec[i] = at;
}

/* The next read of kind i, its interval stretched by its backoff. */
static uint64_t next_read(const CollectScheduler *s, const Domain *d, int i, uint64_t now) {
        return now + (s->config.interval_usec[i] << d->collect.backoff[i]);
}

/* After a read: a kind that answered and whose properties did not change
 * is asked half as often as before, down to 1/backoff_max of its interval
 * (the counters change at every read and feed no property: they keep
 * theirs); one that changed snaps back, and its next read comes an
 * interval from now. */
static void back_off(CollectScheduler *s, Domain *d, unsigned answered, DomainProperties changed, uint64_t now) {
        unsigned max_shift = 0;
        while ((2u << max_shift) <= s->config.backoff_max && max_shift < 4)
                max_shift++;
        for (int i = 0; i < GUEST_KIND_COUNT; i++) {
                unsigned kind = guest_kinds[i].kind;
                DomainProperties props = domain_kind_properties(kind);
                if (!(answered & kind) || !props)
                        continue;
                if (changed & props) {
                        d->collect.backoff[i] = 0;
                        d->collect.due_usec[i] = MIN(d->collect.due_usec[i], next_read(s, d, i, now));
                } else if (d->collect.backoff[i] < max_shift)
                        d->collect.backoff[i]++;
        }
}

/* The collection of everything a reboot asked for, once the boot settled:
 * due until one that started then has ended. */
static void follow_up(Domain *d, unsigned requested) {
        if (!d->collect.settle_usec)
                return;
        if ((requested & GUEST_KIND_ALL) == GUEST_KIND_ALL &&
            d->collect.started_usec + COALESCE_USEC >= d->collect.settle_usec) {
                d->collect.settle_usec = 0;
                d->collect.rebooted = false;
                return;
        }
        lower_due(d, GUEST_KIND_ALL, d->collect.settle_usec);
}

static bool has_routable_address(const GuestInfo *g) {
        for (size_t i = 0; g && (g->kinds & GUEST_KIND_INTERFACES) && i < g->n_interfaces; i++)
                for (size_t k = 0; k < g->interfaces[i].n_addresses; k++)
                        if (ip_address_is_routable(g->interfaces[i].addresses[k], k < g->interfaces[i].n_ipv4))
                                return true;
        return false;
}

void collect_kinds_soon(CollectScheduler *s, Domain *d, unsigned kinds, uint64_t delay_usec) {
        uint64_t now = now_usec();

        kinds &= GUEST_KIND_ALL;
        if (!kinds || !domain_agent_usable(d))
                return;
        snap_back(d, kinds);
        if (d->collect.collecting && delay_usec == 0) {
                d->collect.pending_kinds |= kinds; /* submitted when it ends */
                return;
        }
        lower_due(d, kinds, now + delay_usec);
        if (d->collect.collecting)
                return; /* its end arms the timer */
        if (delay_usec == 0)
                submit(s, d, kinds_due(d, now + COALESCE_USEC));
        else
                arm_timer(s, now + delay_usec);
}

void collect_domain_rebooted(CollectScheduler *s, Domain *d, CollectReport *report) {
        *report = (CollectReport){ 0 };
        /* What the agent said is from the boot that ended. */
        if (d->guest_exported || d->guest || d->agent_info)
                drop_guest_data(d, report);
        forget_full_collection(d);
        d->collect.rebooted = true;
        if (!domain_agent_usable(d))
                return; /* its connection after the boot collects everything */
        /* libvirt has not seen the agent go (a reset races the port's
         * close): the old one cannot answer, the new one may come with no
         * event. Everything once the boot settled, and again at the next
         * connection if the agent is seen to go meanwhile. */
        d->collect.settle_usec = now_usec() + COLLECT_BOOT_SETTLE_USEC;
        d->collect.address_wait_until_usec = d->collect.settle_usec + COLLECT_ADDRESS_WAIT_USEC;
        collect_kinds_soon(s, d, GUEST_KIND_ALL, COLLECT_BOOT_SETTLE_USEC);
}

/* qemu-ga names the freeze when it refuses a command for it ("... has been
 * disabled: the agent is in frozen state"). */
static bool refused_as_frozen(const char *message) {
        return message && strstr(message, "frozen");
}

/* Each kind's state after a collection (d holds what it brought). Returns
 * whether any changed. */
static bool update_status(Domain *d, const VirtMsg *msg, unsigned requested) {
        uint64_t now = now_realtime_usec();
        unsigned disabled = agent_info_disabled_kinds(d->agent_info);
        bool agent_hung = msg->data.outcome[GUEST_KIND_AGENT_INDEX] == KIND_OUTCOME_HUNG;
        bool changed = false;

        for (int i = 0; i < GUEST_KIND_COUNT; i++) {
                unsigned kind = guest_kinds[i].kind;
                KindStatus *st = &d->status[i];
                KindOutcome o = msg->data.outcome[i];
                const char *why = msg->data.messages[i] ? msg->data.messages[i] : msg->error;
                int r;

                if (!(requested & kind))
                        continue;
                if (msg->error && o != KIND_OUTCOME_UNSUPPORTED)
                        o = agent_hung ? KIND_OUTCOME_HUNG : KIND_OUTCOME_FAILED;
                switch (o) {
                case KIND_OUTCOME_OK:
                        r = kind_status_set(st, KIND_STATE_FRESH, now, NULL);
                        break;
                case KIND_OUTCOME_UNSUPPORTED:
                        r = kind_status_set(st, (disabled & kind) ? KIND_STATE_DISABLED : KIND_STATE_UNSUPPORTED,
                                            kind_status_usec(st), NULL);
                        break;
                case KIND_OUTCOME_FROZEN:
                        r = kind_status_set(st, KIND_STATE_FROZEN, kind_status_usec(st), NULL);
                        break;
                case KIND_OUTCOME_HUNG:
                        r = kind_status_set(st, KIND_STATE_TIMED_OUT, kind_status_usec(st),
                                            why ? why : "the guest agent did not answer in time");
                        break;
                case KIND_OUTCOME_NONE:
                        r = kind_status_set(st, KIND_STATE_TIMED_OUT, kind_status_usec(st),
                                            "not asked: the guest agent did not answer an earlier command in time");
                        break;
                default:
                        r = kind_status_set(st, KIND_STATE_FAILED, kind_status_usec(st), why ? why : "no reason given");
                        break;
                }
                changed |= r != 0;
        }
        return changed;
}

void collect_apply_result(CollectScheduler *s, Domain *d, VirtMsg *msg, CollectReport *report) {
        uint64_t now = now_usec();
        unsigned requested = msg->data.kinds_requested;

        *report = (CollectReport){ 0 };
        if (!d->collect.collecting || msg->data.job != d->collect.job) {
                /* Asked of a Domain object that was removed meanwhile (this
                 * one has the same UUID): not about this one. */
                log_debug("Dropped a late collection result for '%s'.", d->uuid);
                return;
        }
        d->collect.collecting = false;
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (requested & (1u << i))
                        d->collect.due_usec[i] = MIN(d->collect.due_usec[i], next_read(s, d, i, now));
        follow_up(d, requested);

        if (!domain_agent_usable(d)) {
                /* The agent went away while we asked: what it said is stale. */
                finished(report, &d->collect.waiting[0], "the guest agent disconnected");
                if (d->collect.pending_kinds) {
                        d->collect.pending_kinds = 0;
                        finished(report, &d->collect.waiting[1], "the guest agent disconnected");
                }
                return;
        }

        /* What came of each kind read or asked for: unsupported is no
         * failure, nor is a command refused because the guest is frozen. */
        unsigned failed = 0, too_big = 0, raw_failed = 0, frozen = 0;
        for (int i = 0; i < GUEST_KIND_COUNT && !msg->error; i++) {
                unsigned kind = guest_kinds[i].kind;
                KindOutcome o = msg->data.outcome[i];
                if (!(requested & kind) && d->collect.plan[i] == KIND_PLAN_SKIP)
                        continue;
                if (o == KIND_OUTCOME_FAILED && refused_as_frozen(msg->data.messages[i])) {
                        /* frozen since the freeze was asked: asked again now */
                        msg->data.outcome[i] = o = KIND_OUTCOME_FROZEN;
                        d->collect.pending_kinds |= GUEST_KIND_FSFREEZE;
                }
                if (o == KIND_OUTCOME_FROZEN)
                        frozen |= kind;
                else if (o != KIND_OUTCOME_OK && o != KIND_OUTCOME_UNSUPPORTED)
                        failed |= kind;
                if (o == KIND_OUTCOME_TOO_BIG && d->collect.plan[i] == KIND_PLAN_TYPED)
                        too_big |= kind;
                if ((o == KIND_OUTCOME_FAILED || o == KIND_OUTCOME_HUNG) && d->collect.plan[i] == KIND_PLAN_RAW)
                        raw_failed |= kind;
        }

        /* Logged when a kind starts failing and when it comes back, not per poll. */
        if (msg->error)
                failed = requested;
        unsigned answered = requested & ~failed & ~frozen;
        const char *why = msg->error ? msg->error : msg->data.message;
        char names[256];
        if (failed & ~d->collect.failing_kinds) {
                kinds_to_string(failed & ~d->collect.failing_kinds, names, sizeof names);
                log_warning("Guest agent of '%s' gave no %s (%s); will keep asking.", d->log_name, names,
                            why ? why : "no reason given");
        }
        if (answered & d->collect.failing_kinds) {
                kinds_to_string(answered & d->collect.failing_kinds, names, sizeof names);
                log_info("Guest agent of '%s' answers about %s again.", d->log_name, names);
        }
        d->collect.failing_kinds = (d->collect.failing_kinds | failed) & ~answered;

        /* Lists libvirt could not carry: from now on read from the agent's
         * own reply, and right away. Once only: a reply too big for libvirt
         * even so (over 4 MiB), or too slow for the agent timeout, costs the
         * guest's other kinds a collection while the agent catches up. */
        raw_failed &= d->collect.raw_kinds;
        d->collect.raw_failed_kinds |= raw_failed;
        d->collect.raw_kinds &= ~raw_failed;
        too_big &= ~d->collect.raw_kinds & ~d->collect.raw_failed_kinds;
        d->collect.raw_kinds |= too_big | (msg->data.raw_fallback_kinds & ~d->collect.raw_failed_kinds);
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                if (too_big & (1u << i))
                        d->collect.due_usec[i] = 0;

        if ((requested & GUEST_KIND_ALL) == GUEST_KIND_ALL)
                remember_full_collection(d, now, msg->error ? msg->error : answered ? NULL : why);
        if (msg->error) {
                finished(report, &d->collect.waiting[0], msg->error);
        } else {
                /* "(everything)": what tests and readers look for, whatever the kinds */
                log_debug("Collected %#x of %#x%s from the agent of '%s' in %.3f s.", answered, requested,
                          (requested & GUEST_KIND_ALL) == GUEST_KIND_ALL ? " (everything)" : "", d->log_name,
                          msg->data.duration_usec / 1e6);

                bool was_frozen = domain_frozen(d);
                DomainProperties changed = domain_take_guest_data(d, &msg->data), taken = changed;
                if (was_frozen && !domain_frozen(d)) {
                        /* Thawed: what was kept is asked again at once. */
                        log_debug("The guest of '%s' is thawed.", d->log_name);
                        d->collect.pending_kinds |= GUEST_KIND_ALL;
                } else if (!was_frozen && domain_frozen(d))
                        log_debug("The guest of '%s' is frozen: only its agent and freeze are asked until it thaws.",
                                  d->log_name);
                if (!d->guest_exported && d->guest && (d->guest->kinds & ~GUEST_KIND_FROZEN_ANSWERS)) {
                        /* InterfacesAdded carries these values already. */
                        changed &= ~domain_exported_properties();
                        d->guest_exported = true;
                        report->exported = 1;
                }
                report->changed = changed;
                back_off(s, d, answered, taken, now);
                /* Something came back: Refresh() succeeded, even if a kind is missing. */
                finished(report, &d->collect.waiting[0], answered ? NULL : why);
        }

        if (update_status(d, msg, requested))
                report->changed |= DOMAIN_PROPERTY_GUEST_DATA_STATUS;

        if (d->collect.address_wait_until_usec && (requested & GUEST_KIND_INTERFACES)) {
                if (now >= d->collect.address_wait_until_usec || has_routable_address(d->guest))
                        d->collect.address_wait_until_usec = 0;
                else
                        lower_due(d, GUEST_KIND_INTERFACES, now + COLLECT_ADDRESS_POLL_USEC);
        }

        if (d->collect.pending_kinds) {
                /* the calls queued behind are answered by this one */
                d->collect.waiting[0] = take_waiters(&d->collect.waiting[1]);
                for (CollectWaiter **p = &d->collect.waiting[0]; *p; p = &(*p)->next)
                        (*p)->prevp = p;
                if (submit(s, d, d->collect.pending_kinds) < 0)
                        finished(report, &d->collect.waiting[0], "out of memory");
        } else
                arm_timer(s, next_due(d));
}

int collect_refresh(CollectScheduler *s, Domain *d, CollectWaiter *w, const char **ret_error) {
        uint64_t now = now_usec();

        if (!domain_agent_usable(d))
                return -ENODEV;
        if (d->collect.full_done_usec && now - d->collect.full_done_usec < REFRESH_REUSE_USEC) {
                /* Fresh enough: a client calling in a loop costs the guest
                 * one collection per window, not one per call. */
                *ret_error = d->collect.full_error;
                return 0;
        }
        if (d->collect.collecting && (d->collect.kinds & GUEST_KIND_ALL) == GUEST_KIND_ALL &&
            now - d->collect.started_usec < REFRESH_REUSE_USEC) {
                /* One of everything just started: its answer is as fresh. */
                link_waiter(&d->collect.waiting[0], w);
                return 1;
        }
        if (d->collect.collecting) {
                /* Every Refresh() meanwhile waits for this same one. */
                d->collect.pending_kinds = GUEST_KIND_ALL;
                link_waiter(&d->collect.waiting[1], w);
                return 1;
        }
        if (submit(s, d, GUEST_KIND_ALL) < 0)
                return -ENOMEM;
        link_waiter(&d->collect.waiting[0], w);
        return 1;
}
