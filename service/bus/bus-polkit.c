#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-polkit.h"
#include "hashmap.h"
#include "helpers.h"
#include "macro.h"

typedef struct Waiter {
        struct Waiter *next;
        sd_bus_message *request;
        PolkitCallback callback;
        void *userdata;
} Waiter;

/* What one sender may do, for one action, asked with or without interaction:
 * a check in flight (slot set, waiters queued) or its answer until expires. */
typedef struct Entry {
        char *key;
        BusPolkit *owner;
        sd_bus_slot *slot;
        Waiter *waiters, **tail;
        unsigned n_waiters;
        int result;
        char *why;
        uint64_t expires_usec;
} Entry;

struct BusPolkit {
        Hashmap *entries; /* by Entry.key */
};

static void entry_free(Entry *e) {
        sd_bus_slot_unref(e->slot);
        free(e->why);
        free(e->key);
        free(e);
}

/* Answers the waiters taken off an entry, in the order they called. */
static void answer(Waiter *w, int result, const char *why) {
        while (w) {
                Waiter *next = w->next;
                w->callback(w->request, result, why, w->userdata);
                sd_bus_message_unref(w->request);
                free(w);
                w = next;
        }
}

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Entry *e = userdata;
        BusPolkit *p = e->owner;
        const sd_bus_error *err = sd_bus_message_get_error(reply);
        int authorized = 0, challenge = 0;
        const char *why;

        if (err) {
                /* polkit missing or broken: a clear denial, never a hang */
                e->result = -EACCES;
                why = err->message ? err->message : err->name;
        } else if (sd_bus_message_enter_container(reply, 'r', "bba{ss}") < 0 ||
                   sd_bus_message_read(reply, "bb", &authorized, &challenge) < 0) {
                e->result = -EBADMSG;
                why = "polkit sent an unreadable answer";
        } else if (authorized) {
                e->result = 1;
                why = NULL;
        } else {
                e->result = 0;
                why = challenge ? "authentication is required (run it with interactive authorization allowed, "
                                  "or see docs/security.md for a polkit rule)"
                                : "not authorized by polkit";
        }
        free(e->why);
        e->why = why ? strdup(why) : NULL;

        /* The slot holds a reference of its own while we run. */
        e->slot = sd_bus_slot_unref(e->slot);
        Waiter *w = e->waiters;
        e->waiters = NULL;
        e->tail = &e->waiters;
        e->n_waiters = 0;

        if (e->result >= 0) {
                e->expires_usec = now_usec() + POLKIT_CACHE_USEC;
                answer(w, e->result, e->why ? e->why : why);
                return 0;
        }
        /* A failure of polkit is not remembered: the next call asks again. */
        hashmap_remove(p->entries, e->key);
        answer(w, e->result, e->why ? e->why : why);
        entry_free(e);
        return 0;
}

/* Forgets answers past their time; cheap next to the bus traffic that
 * filled the map. */
static void purge_expired(BusPolkit *p, uint64_t now) {
        size_t n = 0, k = 0;
        Entry *e;

        HASHMAP_FOREACH (e, p->entries, i)
                if (!e->slot && e->expires_usec <= now)
                        n++;
        if (n == 0)
                return;
        Entry **gone = calloc(n, sizeof *gone);
        if (!gone)
                return;
        HASHMAP_FOREACH (e, p->entries, i)
                if (!e->slot && e->expires_usec <= now && k < n)
                        gone[k++] = e;
        for (size_t j = 0; j < k; j++) {
                hashmap_remove(p->entries, gone[j]->key);
                entry_free(gone[j]);
        }
        free(gone);
}

static int send_check(Entry *e, sd_bus_message *request, const char *sender, const char *action, bool interactive) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        sd_bus *bus = sd_bus_message_get_bus(request);
        int r;

        r = sd_bus_message_new_method_call(bus, &call, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r < 0)
                return r;
        r = sd_bus_message_append(call, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s", sender, action, 0,
                                  (uint32_t) (interactive ? 1 : 0), "");
        if (r < 0)
                return r;
        /* Interactive authentication may take a person a while. */
        return sd_bus_call_async(bus, &e->slot, call, on_reply, e, 120 * 1000000ULL);
}

int bus_polkit_check_async(BusPolkit *p, sd_bus_message *request, const char *action, PolkitCallback cb,
                           void *userdata) {
        const char *sender = sd_bus_message_get_sender(request);
        bool interactive = sd_bus_message_get_allow_interactive_authorization(request) > 0;
        _cleanup_(freep) char *key = NULL;
        uint64_t now = now_usec();
        Entry *e;
        int r;

        if (!sender)
                return -EBADMSG;
        if (asprintf(&key, "%s\n%s\n%d", sender, action, interactive) < 0)
                return -ENOMEM;

        e = hashmap_get(p->entries, key);
        if (e && !e->slot) {
                if (e->expires_usec > now) {
                        cb(request, e->result, e->why, userdata);
                        return 0;
                }
                hashmap_remove(p->entries, e->key);
                entry_free(e);
                e = NULL;
        }
        if (e && e->n_waiters >= POLKIT_WAITERS_MAX)
                return -EBUSY;

        Waiter *w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->request = sd_bus_message_ref(request);
        w->callback = cb;
        w->userdata = userdata;

        if (!e) {
                if (hashmap_size(p->entries) >= POLKIT_CACHE_MAX)
                        purge_expired(p, now);
                r = hashmap_size(p->entries) >= POLKIT_CACHE_MAX ? -EBUSY : 0;
                if (r >= 0) {
                        e = calloc(1, sizeof *e);
                        r = e ? 0 : -ENOMEM;
                }
                if (r >= 0) {
                        e->key = TAKE_PTR(key);
                        e->owner = p;
                        e->tail = &e->waiters;
                        r = send_check(e, request, sender, action, interactive);
                        if (r >= 0)
                                r = hashmap_put(p->entries, e->key, e);
                        if (r < 0)
                                entry_free(e);
                }
                if (r < 0) {
                        sd_bus_message_unref(w->request);
                        free(w);
                        return r;
                }
        }
        *e->tail = w;
        e->tail = &w->next;
        e->n_waiters++;
        return 0;
}

int bus_polkit_new(BusPolkit **ret) {
        BusPolkit *p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->entries = hashmap_new();
        if (!p->entries) {
                free(p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}

BusPolkit *bus_polkit_free(BusPolkit *p) {
        Entry *e;

        if (!p)
                return NULL;
        size_t n = hashmap_size(p->entries), k = 0;
        Entry **all = calloc(n ? n : 1, sizeof *all);
        HASHMAP_FOREACH (e, p->entries, i)
                if (all && k < n)
                        all[k++] = e;
        hashmap_free(p->entries);
        for (size_t j = 0; j < k; j++) {
                Waiter *w = all[j]->waiters;
                /* no answer will come for these */
                all[j]->slot = sd_bus_slot_unref(all[j]->slot);
                answer(w, -ECANCELED, "guestinfod is shutting down");
                entry_free(all[j]);
        }
        free(all);
        free(p);
        return NULL;
}
