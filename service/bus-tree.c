#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-manager.h"
#include "bus-paths.h"
#include "bus-tree.h"
#include "bus-wire.h"

#define OBJECT_MANAGER_INTERFACE "org.freedesktop.DBus.ObjectManager"

struct BusTree {
        Manager *manager;
        BusDomain *domains;
        BusFairness *fairness;
        sd_bus_slot *filter_slot;
};

/* What the LimitsExceeded errors say: the calls that still work. */
#define READ_INSTEAD "read the fleet with Manager.ListSummaries() or ListDomains() and each domain with Properties.GetAll()"

/* One interface's {sa{sv}}: its properties as sd-bus dumps them for
 * GetManagedObjects (vtable order; HIDDEN and EXPLICIT ones left out, a
 * HIDDEN interface with none). */
static int append_interface(sd_bus_message *s, const char *path, const BusDomainInterface *i, void *userdata,
                            sd_bus_error *error) {
        sd_bus *bus = sd_bus_message_get_bus(s);
        int r;

        r = sd_bus_message_open_container(s, 'e', "sa{sv}");
        if (r >= 0)
                r = sd_bus_message_append_basic(s, 's', i->interface);
        if (r >= 0)
                r = sd_bus_message_open_container(s, 'a', "{sv}");
        if (r < 0)
                return r;
        for (const sd_bus_vtable *v = i->vtable + 1;
             !(i->vtable[0].flags & SD_BUS_VTABLE_HIDDEN) && v->type != _SD_BUS_VTABLE_END; v++) {
                if (v->type != _SD_BUS_VTABLE_PROPERTY && v->type != _SD_BUS_VTABLE_WRITABLE_PROPERTY)
                        continue;
                if (v->flags & (SD_BUS_VTABLE_HIDDEN | SD_BUS_VTABLE_PROPERTY_EXPLICIT))
                        continue;
                if (!v->x.property.get)
                        return -EOPNOTSUPP; /* every property of ours has a getter */
                r = sd_bus_message_open_container(s, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append_basic(s, 's', v->x.property.member);
                if (r >= 0)
                        r = sd_bus_message_open_container(s, 'v', v->x.property.signature);
                if (r >= 0)
                        r = v->x.property.get(bus, path, i->interface, v->x.property.member, s,
                                              (uint8_t *) userdata + v->x.property.offset, error);
                if (r >= 0 && sd_bus_error_is_set(error))
                        r = -sd_bus_error_get_errno(error);
                if (r >= 0)
                        r = sd_bus_message_close_container(s);
                if (r >= 0)
                        r = sd_bus_message_close_container(s);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(s);
        if (r >= 0)
                r = sd_bus_message_close_container(s);
        return r;
}

/* One domain's oa{sa{sv}} into a message of its own (sealed, to be read),
 * so its bytes can be counted before it joins the reply; *ret NULL if the
 * object has no interface. */
static int build_object(sd_bus *bus, BusDomain *domains, const Domain *d, sd_bus_message **ret,
                        sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *s = NULL;
        char path[DOMAIN_OBJECT_PATH_MAX];
        const BusDomainInterface *interfaces;
        bool found = false;
        size_t n;
        int r;

        r = domain_object_path_buf(d->uuid, path);
        if (r < 0)
                return r;
        r = sd_bus_message_new_signal(bus, &s, path, OBJECT_MANAGER_INTERFACE, "InterfacesAdded");
        if (r >= 0)
                r = sd_bus_message_append_basic(s, 'o', path);
        if (r >= 0)
                r = sd_bus_message_open_container(s, 'a', "{sa{sv}}");
        if (r < 0)
                return r;

        /* sd-bus keeps a node's vtables newest first: so it lists them */
        interfaces = bus_domain_interfaces(&n);
        for (size_t i = n; i-- > 0;) {
                void *userdata = domains;
                r = interfaces[i].find(bus, path, interfaces[i].interface, domains, &userdata, error);
                if (r >= 0 && sd_bus_error_is_set(error))
                        r = -sd_bus_error_get_errno(error);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                if (!found) {
                        /* sd-bus lists the standard interfaces first, without properties */
                        r = sd_bus_message_append(s, "{sa{sv}}{sa{sv}}{sa{sv}}", "org.freedesktop.DBus.Peer", 0,
                                                  "org.freedesktop.DBus.Introspectable", 0,
                                                  "org.freedesktop.DBus.Properties", 0);
                        if (r < 0)
                                return r;
                        found = true;
                }
                r = append_interface(s, path, &interfaces[i], userdata, error);
                if (r < 0)
                        return r;
        }
        if (!found) {
                *ret = NULL;
                return 0;
        }
        r = sd_bus_message_close_container(s);
        if (r >= 0)
                r = sd_bus_message_seal(s, 1, 0);
        if (r >= 0)
                r = sd_bus_message_rewind(s, true);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

int bus_tree_reply_managed_objects(sd_bus_message *call, Manager *m, BusDomain *domains, BusFairness *fairness,
                                   uint64_t body_max) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus *bus = sd_bus_message_get_bus(call);
        /* the array's length, then the first entry's padding to 8 */
        uint64_t offset = 8;
        Domain *d;
        int r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{oa{sa{sv}}}");
        if (r < 0)
                return r;
        HASHMAP_FOREACH(d, m->domains, i) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *object = NULL;

                r = build_object(bus, domains, d, &object, &error);
                if (r < 0)
                        break;
                if (!object)
                        continue;
                offset = wire_align(offset, 8);
                r = sd_bus_message_open_container(reply, 'e', "oa{sa{sv}}");
                if (r >= 0)
                        r = wire_copy(reply, object, &offset);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r < 0)
                        break;
                if (offset > body_max) {
                        r = -E2BIG;
                        break;
                }
                /* between two objects, the bus's other callers get a turn */
                bus_fairness_yield(fairness);
        }
        if (r == -E2BIG)
                r = sd_bus_reply_method_errorf(call, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                               "GetManagedObjects() of %zu domains would be more than the %llu MiB "
                                               "a bus message may have: " READ_INSTEAD ".",
                                               manager_domain_count(m), BUS_MESSAGE_SIZE_MAX >> 20);
        else if (r < 0 && sd_bus_error_is_set(&error))
                r = sd_bus_reply_method_error(call, &error);
        else if (r >= 0) {
                r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_send(NULL, reply, NULL);
        }
        sd_bus_error_free(&error);
        return r;
}

/* ---- the filter: the whole-tree calls wait for their sender's turn ---- */

static int turn_managed_objects(sd_bus_message *call, void *userdata) {
        BusTree *t = userdata;
        return bus_tree_reply_managed_objects(call, t->manager, t->domains, t->fairness, BUS_BODY_SIZE_MAX);
}

static int turn_list_summaries(sd_bus_message *call, void *userdata) {
        BusTree *t = userdata;
        return bus_manager_reply_list_summaries(call, t->manager, t->fairness);
}

static int turn_list_domains(sd_bus_message *call, void *userdata) {
        BusTree *t = userdata;
        return bus_manager_reply_list_domains(call, t->manager, t->fairness);
}

static int on_message(sd_bus_message *message, void *userdata, sd_bus_error *ret_error) {
        BusTree *t = userdata;
        const char *path = sd_bus_message_get_path(message);
        BusFairnessHandler handler;
        uint8_t type = 0;

        if (sd_bus_message_get_type(message, &type) < 0 || type != SD_BUS_MESSAGE_METHOD_CALL || !path ||
            !streq(path, MANAGER_PATH))
                return 0;
        if (sd_bus_message_is_method_call(message, OBJECT_MANAGER_INTERFACE, "GetManagedObjects"))
                handler = turn_managed_objects;
        else if (sd_bus_message_is_method_call(message, MANAGER_INTERFACE, "ListSummaries"))
                handler = turn_list_summaries;
        else if (sd_bus_message_is_method_call(message, MANAGER_INTERFACE, "ListDomains"))
                handler = turn_list_domains;
        else
                return 0;
        /* Arguments where none belong: sd-bus answers InvalidArgs. */
        if (!sd_bus_message_has_signature(message, ""))
                return 0;
        return bus_fairness_submit(t->fairness, message, handler, t);
}

int bus_tree_new(sd_bus *bus, Manager *m, BusDomain *domains, BusFairness *fairness, BusTree **ret) {
        _cleanup_(bus_tree_freep) BusTree *t = calloc(1, sizeof *t);
        int r;

        if (!t)
                return -ENOMEM;
        t->manager = m;
        t->domains = domains;
        t->fairness = fairness;
        r = sd_bus_add_filter(bus, &t->filter_slot, on_message, t);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}

BusTree *bus_tree_free(BusTree *t) {
        if (!t)
                return NULL;
        sd_bus_slot_unref(t->filter_slot);
        free(t);
        return NULL;
}
