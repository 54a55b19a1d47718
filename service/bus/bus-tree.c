#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-fragments.h"
#include "bus-manager.h"
#include "bus-paths.h"
#include "bus-tree.h"
#include "bus-wire.h"
#include "bus-writer.h"

#define OBJECT_MANAGER_INTERFACE "org.freedesktop.DBus.ObjectManager"

struct BusTree {
        Manager *manager;
        BusDomain *domains;
        BusFairness *fairness;
        sd_bus_slot *filter_slot;
        uint64_t body_max;
        Hashmap *sizes;          /* ObjectSize by UUID */
        BusFragments *fragments; /* with a writer: each object's bytes */
        /* A GetManagedObjects marshalled whole, its body kept by the writer
         * at capture_generation, to be cut into parts at the next call:
         * the stamp of each of its objects, in order. */
        uint64_t *capture_stamps;
        size_t capture_n;
        uint64_t capture_generation;
};

/* What the LimitsExceeded errors say: the calls that still work. */
#define READ_INSTEAD                                                                                                   \
        "read the fleet with Manager.ListSummaries() or ListDomains() and each domain with Properties.GetAll()"

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

/* One domain's o and a{sa{sv}} into s, as sd-bus writes them: 0 if the
 * object has no interface (then s holds the path and an empty array). */
static int append_object(sd_bus_message *s, BusDomain *domains, const Domain *d, sd_bus_error *error) {
        sd_bus *bus = sd_bus_message_get_bus(s);
        char path[DOMAIN_OBJECT_PATH_MAX];
        const BusDomainInterface *interfaces;
        bool found = false;
        size_t n;
        int r;

        r = domain_object_path_buf(d->uuid, path);
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
        r = sd_bus_message_close_container(s);
        if (r < 0)
                return r;
        return found;
}

/* The same into a message of its own (sealed, to be read), so its bytes
 * can be counted before it joins the reply; *ret NULL if the object has
 * no interface. */
static int build_object(sd_bus *bus, BusDomain *domains, const Domain *d, sd_bus_message **ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *s = NULL;
        int r;

        r = sd_bus_message_new_signal(bus, &s, MANAGER_PATH, OBJECT_MANAGER_INTERFACE, "InterfacesAdded");
        if (r >= 0)
                r = append_object(s, domains, d, error);
        if (r <= 0) {
                *ret = NULL;
                return r;
        }
        r = sd_bus_message_seal(s, 1, 0);
        if (r >= 0)
                r = sd_bus_message_rewind(s, true);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

/* What an object took on the wire the last time it was counted, until the
 * model says it changed (bus_tree_forget). */
typedef struct ObjectSize {
        char uuid[UUID_STRING_MAX];
        uint64_t size;
} ObjectSize;

static void remember_size(BusTree *t, const Domain *d, uint64_t size) {
        ObjectSize *o = hashmap_get(t->sizes, d->uuid);
        if (!o) {
                o = calloc(1, sizeof *o);
                if (!o)
                        return; /* counted again next time */
                memcpy(o->uuid, d->uuid, sizeof o->uuid);
                if (hashmap_put(t->sizes, o->uuid, o) < 0) {
                        free(o);
                        return;
                }
        }
        o->size = size;
}

/* The reply's size from the remembered sizes; *all_known: no object's is
 * missing (the sum is then exact, else a lower bound). */
static uint64_t remembered_total(BusTree *t, bool *all_known) {
        uint64_t offset = 8;
        Domain *d;
        *all_known = true;
        HASHMAP_FOREACH (d, t->manager->domains, i) {
                ObjectSize *o = hashmap_get(t->sizes, d->uuid);
                if (o)
                        offset = wire_align(offset, 8) + o->size;
                else
                        *all_known = false;
        }
        return offset;
}

static int reply_too_big(sd_bus_message *call, Manager *m) {
        return sd_bus_reply_method_errorf(call, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                          "GetManagedObjects() of %zu domains would be more than the %llu MiB a bus "
                                          "message may have: " READ_INSTEAD ".",
                                          manager_domain_count(m), BUS_MESSAGE_SIZE_MAX >> 20);
}

/* What building one object as bytes needs, and the error a getter set. */
typedef struct ObjectBuild {
        sd_bus *bus;
        BusDomain *domains;
        sd_bus_error error;
} ObjectBuild;

/* One domain's o and a{sa{sv}} as bytes, through a message of its own:
 * the properties' getters write sd-bus messages. */
static int build_object_bytes(BusBytes *b, Domain *d, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *object = NULL;
        ObjectBuild *o = userdata;
        uint64_t offset = 0;

        int r = build_object(o->bus, o->domains, d, &object, &o->error);
        if (r < 0 || !object)
                return r; /* no interface: no bytes, no entry */
        return wire_copy(NULL, b, object, &offset);
}

/* With a writer: the body as bytes, each object's kept until its domain
 * changes (bus-fragments.h). */
static int reply_managed_objects_as_bytes(sd_bus_message *call, BusTree *t) {
        ObjectBuild o = { .bus = sd_bus_message_get_bus(call), .domains = t->domains, .error = SD_BUS_ERROR_NULL };
        BusBytes b;
        Domain *d;
        int r = 0;

        bus_bytes_init(&b, t->body_max);
        bus_bytes_reserve(&b, bus_fragments_last_size(t->fragments, BUS_FRAGMENT_OBJECT));
        size_t at = bus_bytes_array_open(&b, 8);
        HASHMAP_FOREACH (d, t->manager->domains, i) {
                size_t start = wire_align(b.len, 8);
                r = bus_fragments_append(t->fragments, &b, d, BUS_FRAGMENT_OBJECT, build_object_bytes, &o);
                if (r < 0 || b.failed)
                        break;
                if (r > 0) {
                        if (b.len > start)
                                remember_size(t, d, b.len - start);
                        /* between two objects built, the bus's other callers get a turn */
                        bus_fairness_yield(t->fairness);
                }
        }
        bus_bytes_array_close(&b, at, 8);
        if (r >= 0 && !b.failed) {
                size_t len;
                uint8_t *body = bus_bytes_take(&b, &len);
                bus_fragments_set_last_size(t->fragments, BUS_FRAGMENT_OBJECT, len);
                bus_fragments_used(t->fragments, BUS_FRAGMENT_OBJECT);
                return bus_writer_reply_body(call, NULL, 0, "a{oa{sa{sv}}}", body, len);
        }
        bool too_big = b.too_big;
        bus_bytes_done(&b);
        if (r < 0 && sd_bus_error_is_set(&o.error))
                r = sd_bus_reply_method_error(call, &o.error);
        else if (too_big)
                r = reply_too_big(call, t->manager);
        else if (r >= 0)
                r = -ENOMEM;
        sd_bus_error_free(&o.error);
        return r;
}

/* Cuts the kept body of the whole reply marshalled last into its objects,
 * each kept as that object's part at the stamp it had then: the array's
 * length, then per entry (8-aligned) the path and the a{sa{sv}}'s length
 * and bytes. Anything that does not parse ends the cutting. */
static void cut_capture(const uint8_t *body, size_t len, void *userdata) {
        BusTree *t = userdata;
        uint32_t total, n, a;

        if (len < 8)
                return;
        memcpy(&total, body, 4);
        size_t pos = 8, end = 8 + (size_t) total;
        if (end > len)
                return;
        for (size_t k = 0; pos < end && k < t->capture_n; k++) {
                pos = wire_align(pos, 8);
                size_t start = pos;
                if (pos + 4 > end)
                        return;
                memcpy(&n, body + pos, 4);
                if (n > end - pos - 5 || body[pos + 4 + n] != 0)
                        return;
                const char *path = (const char *) body + pos + 4;
                pos = wire_align(pos + 4 + n + 1, 4);
                if (pos + 4 > end)
                        return;
                memcpy(&a, body + pos, 4);
                pos = wire_align(pos + 4, 8);
                if (a > end - pos)
                        return;
                pos += a;
                char uuid[UUID_STRING_MAX];
                Domain *d;
                if (a > 0 && domain_uuid_from_path_buf(path, uuid) >= 0 && (d = manager_get_domain(t->manager, uuid)) &&
                    d->stamp == t->capture_stamps[k]) {
                        bus_fragments_keep(t->fragments, d, BUS_FRAGMENT_OBJECT, d->stamp, body + start, pos - start);
                        remember_size(t, d, pos - start);
                }
        }
}

static void capture_done(BusTree *t, sd_bus *bus) {
        if (t->capture_stamps)
                (void) bus_writer_with_kept(bus, "GetManagedObjects", t->capture_generation, cut_capture, t);
        free(t->capture_stamps);
        t->capture_stamps = NULL;
        t->capture_n = 0;
}

/* Whether more than a quarter of the objects would be built. */
static bool many_to_build(BusTree *t) {
        size_t n = manager_domain_count(t->manager), stale = 0;
        Domain *d;
        HASHMAP_FOREACH (d, t->manager->domains, i)
                if (!bus_fragments_fresh(t->fragments, d, BUS_FRAGMENT_OBJECT) && ++stale > n / 4)
                        return true;
        return false;
}

static int reply_managed_objects(sd_bus_message *call, BusTree *t) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus *bus = sd_bus_message_get_bus(call);
        Manager *m = t->manager;
        /* the array's length, then the first entry's padding to 8 */
        uint64_t offset = 8;
        Domain *d;
        int r;

        /* Every object counted since it last changed, and the whole far from
         * the limit (or the writer there, which never lets a message the bus
         * would refuse go out): written straight into the reply, as sd-bus
         * does. Else each object is built apart and counted on its way in. */
        bool all_known, writer = bus_writer_attached(bus);
        uint64_t remembered = remembered_total(t, &all_known);
        bool counted = !all_known || (remembered > t->body_max / 4 * 3 && !writer);
        if (remembered > t->body_max)
                return reply_too_big(call, m); /* known without building anything */

        /* With a writer, as bytes from each object's kept part; but when
         * many are to be built and it is written straight, sd-bus marshals
         * the whole faster than the parts are built one by one: the writer
         * keeps its body, cut into parts at the next call. */
        bool capture = false;
        if (writer) {
                capture_done(t, bus);
                if (counted || !many_to_build(t))
                        return reply_managed_objects_as_bytes(call, t);
                t->capture_stamps = calloc(manager_domain_count(m) + 1, sizeof *t->capture_stamps);
                capture = t->capture_stamps != NULL;
        }

        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{oa{sa{sv}}}");
        if (r < 0)
                return r;
        HASHMAP_FOREACH (d, m->domains, i) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *object = NULL;

                if (counted) {
                        r = build_object(bus, t->domains, d, &object, &error);
                        if (r < 0)
                                break;
                        if (!object)
                                continue;
                }
                offset = wire_align(offset, 8);
                uint64_t start = offset;
                r = sd_bus_message_open_container(reply, 'e', "oa{sa{sv}}");
                if (r >= 0 && counted)
                        r = wire_copy(reply, NULL, object, &offset);
                else if (r >= 0)
                        r = append_object(reply, t->domains, d, &error);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r < 0)
                        break;
                if (capture)
                        t->capture_stamps[t->capture_n++] = d->stamp;
                if (counted) {
                        remember_size(t, d, offset - start);
                        if (offset > t->body_max) {
                                r = -E2BIG;
                                break;
                        }
                }
                /* between two objects, the bus's other callers get a turn */
                bus_fairness_yield(t->fairness);
        }
        if (r == -E2BIG)
                r = reply_too_big(call, m);
        else if (r < 0 && sd_bus_error_is_set(&error))
                r = sd_bus_reply_method_error(call, &error);
        else if (r >= 0) {
                r = sd_bus_message_close_container(reply);
                if (r >= 0 && capture) {
                        t->capture_generation = m->generation;
                        r = bus_writer_send_keeping(call, reply, "GetManagedObjects", m->generation);
                } else if (r >= 0)
                        r = sd_bus_send(NULL, reply, NULL);
        }
        if (r < 0 && capture) {
                free(t->capture_stamps);
                t->capture_stamps = NULL;
                t->capture_n = 0;
        }
        sd_bus_error_free(&error);
        return r;
}

/* What sd-bus writes for a node without interfaces of its own, before its
 * children (sd-bus 252; test-bus-tree compares). */
static const char introspect_head[] =
        "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"
        "\"https://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n"
        "<node>\n"
        " <interface name=\"org.freedesktop.DBus.Peer\">\n"
        "  <method name=\"Ping\"/>\n"
        "  <method name=\"GetMachineId\">\n"
        "   <arg type=\"s\" name=\"machine_uuid\" direction=\"out\"/>\n"
        "  </method>\n"
        " </interface>\n"
        " <interface name=\"org.freedesktop.DBus.Introspectable\">\n"
        "  <method name=\"Introspect\">\n"
        "   <arg name=\"xml_data\" type=\"s\" direction=\"out\"/>\n"
        "  </method>\n"
        " </interface>\n"
        " <interface name=\"org.freedesktop.DBus.Properties\">\n"
        "  <method name=\"Get\">\n"
        "   <arg name=\"interface_name\" direction=\"in\" type=\"s\"/>\n"
        "   <arg name=\"property_name\" direction=\"in\" type=\"s\"/>\n"
        "   <arg name=\"value\" direction=\"out\" type=\"v\"/>\n"
        "  </method>\n"
        "  <method name=\"GetAll\">\n"
        "   <arg name=\"interface_name\" direction=\"in\" type=\"s\"/>\n"
        "   <arg name=\"props\" direction=\"out\" type=\"a{sv}\"/>\n"
        "  </method>\n"
        "  <method name=\"Set\">\n"
        "   <arg name=\"interface_name\" direction=\"in\" type=\"s\"/>\n"
        "   <arg name=\"property_name\" direction=\"in\" type=\"s\"/>\n"
        "   <arg name=\"value\" direction=\"in\" type=\"v\"/>\n"
        "  </method>\n"
        "  <signal name=\"PropertiesChanged\">\n"
        "   <arg type=\"s\" name=\"interface_name\"/>\n"
        "   <arg type=\"a{sv}\" name=\"changed_properties\"/>\n"
        "   <arg type=\"as\" name=\"invalidated_properties\"/>\n"
        "  </signal>\n"
        " </interface>\n";

/* Introspect of the domain objects' parent: one <node/> per domain. */
static int reply_introspect_domains(sd_bus_message *call, BusTree *t) {
        _cleanup_(freep) char *xml = NULL;
        size_t len = 0, prefix = strlen(DOMAIN_PATH_PREFIX "/");
        FILE *f = open_memstream(&xml, &len);
        Domain *d;
        int r = 0;

        if (!f)
                return -ENOMEM;
        fputs(introspect_head, f);
        HASHMAP_FOREACH (d, t->manager->domains, i) {
                char path[DOMAIN_OBJECT_PATH_MAX];
                r = domain_object_path_buf(d->uuid, path);
                if (r < 0)
                        break;
                fprintf(f, " <node name=\"%s\"/>\n", path + prefix);
        }
        fputs("</node>\n", f);
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        if (wire_string(0, len) > t->body_max)
                return sd_bus_reply_method_errorf(call, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                                  "The list of %zu domain objects would be more than the %llu MiB a "
                                                  "bus message may have: " READ_INSTEAD ".",
                                                  manager_domain_count(t->manager), BUS_MESSAGE_SIZE_MAX >> 20);
        return sd_bus_reply_method_return(call, "s", xml);
}

void bus_tree_forget(BusTree *t, const Domain *d) {
        if (!t)
                return;
        free(hashmap_remove(t->sizes, d->uuid));
        bus_fragments_forget(t->fragments, d);
}

void bus_tree_set_kept_max(BusTree *t, uint64_t bytes) {
        bus_fragments_set_max(t->fragments, bytes);
}

void bus_tree_set_kept_idle(BusTree *t, uint64_t usec) {
        bus_fragments_set_idle(t->fragments, usec);
}

void bus_tree_fragments_stats(BusTree *t, BusFragmentKind kind, BusFragmentsStats *ret) {
        bus_fragments_stats(t->fragments, kind, ret);
}

/* ---- the filter: the whole-tree calls wait for their sender's turn ---- */

static int turn_managed_objects(sd_bus_message *call, void *userdata) {
        return reply_managed_objects(call, userdata);
}

static int turn_list_summaries(sd_bus_message *call, void *userdata) {
        BusTree *t = userdata;
        return bus_manager_reply_list_summaries(call, t->manager, t->fragments, t->fairness);
}

static int turn_list_domains(sd_bus_message *call, void *userdata) {
        BusTree *t = userdata;
        return bus_manager_reply_list_domains(call, t->manager, t->fairness);
}

static int turn_introspect_domains(sd_bus_message *call, void *userdata) {
        return reply_introspect_domains(call, userdata);
}

static int on_message(sd_bus_message *message, void *userdata, sd_bus_error *ret_error) {
        BusTree *t = userdata;
        const char *path = sd_bus_message_get_path(message);
        BusFairnessHandler handler;
        uint8_t type = 0;

        if (sd_bus_message_get_type(message, &type) < 0 || type != SD_BUS_MESSAGE_METHOD_CALL || !path)
                return 0;
        if (streq(path, DOMAIN_PATH_PREFIX) &&
            sd_bus_message_is_method_call(message, "org.freedesktop.DBus.Introspectable", "Introspect"))
                /* it lists every domain too */
                handler = turn_introspect_domains;
        else if (!streq(path, MANAGER_PATH))
                return 0;
        else if (sd_bus_message_is_method_call(message, OBJECT_MANAGER_INTERFACE, "GetManagedObjects"))
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
        t->body_max = BUS_BODY_SIZE_MAX;
        t->sizes = hashmap_new();
        if (!t->sizes)
                return -ENOMEM;
        r = bus_fragments_new(sd_bus_get_event(bus), BUS_WRITER_KEPT_DEFAULT, &t->fragments);
        if (r < 0)
                return r;
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
        ObjectSize *o;
        HASHMAP_FOREACH (o, t->sizes, i)
                free(o);
        hashmap_free(t->sizes);
        free(t->capture_stamps);
        bus_fragments_free(t->fragments);
        free(t);
        return NULL;
}
