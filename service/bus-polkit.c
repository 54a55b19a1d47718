#include <errno.h>
#include <stdlib.h>

#include "bus-polkit.h"
#include "macro.h"

typedef struct PolkitQuery {
        sd_bus_message *request;
        PolkitCallback callback;
        void *userdata;
} PolkitQuery;

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int authorized = 0, challenge = 0;

        if (e) {
                /* polkit missing or broken: a clear denial, never a hang */
                q->callback(q->request, -EACCES, e->message ? e->message : e->name, q->userdata);
        } else if (sd_bus_message_enter_container(reply, 'r', "bba{ss}") < 0 ||
                   sd_bus_message_read(reply, "bb", &authorized, &challenge) < 0) {
                q->callback(q->request, -EBADMSG, "polkit sent an unreadable answer", q->userdata);
        } else if (authorized)
                q->callback(q->request, 1, NULL, q->userdata);
        else
                q->callback(q->request, 0,
                            challenge ? "authentication is required (run it with interactive authorization allowed, "
                                        "or see docs/security.md for a polkit rule)"
                                      : "not authorized by polkit",
                            q->userdata);

        sd_bus_message_unref(q->request);
        free(q);
        /* the query's slot is floating: it goes with this reply */
        return 0;
}

int bus_polkit_check_async(sd_bus_message *request, const char *action, PolkitCallback cb, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        sd_bus *bus = sd_bus_message_get_bus(request);
        const char *sender = sd_bus_message_get_sender(request);
        int r;

        if (!sender)
                return -EBADMSG;

        r = sd_bus_message_new_method_call(bus, &call, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r < 0)
                return r;
        r = sd_bus_message_append(call, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s", sender, action, 0,
                                  (uint32_t) (sd_bus_message_get_allow_interactive_authorization(request) > 0 ? 1 : 0),
                                  "");
        if (r < 0)
                return r;

        PolkitQuery *q = calloc(1, sizeof *q);
        if (!q)
                return -ENOMEM;
        q->request = sd_bus_message_ref(request);
        q->callback = cb;
        q->userdata = userdata;
        /* Interactive authentication may take a person a while. */
        r = sd_bus_call_async(bus, NULL, call, on_reply, q, 120 * 1000000ULL);
        if (r < 0) {
                sd_bus_message_unref(q->request);
                free(q);
        }
        return r;
}
