#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-bytes.h"
#include "bus-fragments.h"
#include "bus-errors.h"
#include "bus-manager.h"
#include "bus-paths.h"
#include "bus-wire.h"
#include "bus-writer.h"
#include "ip-address.h"
#include "macro.h"
#include "uuid.h"

/* Longest domain name we look up; libvirt's own names are far shorter. */
#define DOMAIN_NAME_MAX 1024

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", GUESTINFOD_VERSION);
}

static int property_get_uri(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", m->uri);
}

static int property_get_connected(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "b", m->connected);
}

static int property_get_domain_count(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "u", (uint32_t) manager_domain_count(m));
}

/* One (sso) of ListDomains: name, UUID, object path; *offset advances by
 * its bytes on the wire. */
int bus_manager_append_domain_entry(sd_bus_message *reply, const Domain *d, uint64_t *offset) {
        char path[DOMAIN_OBJECT_PATH_MAX];
        int r = domain_object_path_buf(d->uuid, path);
        if (r < 0)
                return r;
        *offset = wire_string(wire_string(wire_string(wire_align(*offset, 8), strlen(d->name)), strlen(d->uuid)),
                              strlen(path));
        return sd_bus_message_append(reply, DOMAIN_ENTRY_SIGNATURE, d->name, d->uuid, path);
}

/* Appends one domain's summary: the values its properties give (bus-domain.c),
 * 11 marshalled elements and three per address instead of the hundred and more of its
 * GetManagedObjects entry. No allocation of our own. */
int bus_manager_append_summary(sd_bus_message *reply, const Domain *d, uint64_t *offset) {
        char path[DOMAIN_OBJECT_PATH_MAX];
        const char *pretty_name = "", *hostname = "", *state = domain_state_to_string(d->state);
        int r;

        r = domain_object_path_buf(d->uuid, path);
        if (r < 0)
                return r;
        /* OS, Users and Filesystems are on the bus exactly while
         * guest_exported (guest_find()); OS.OperatingSystemPrettyName and OS.Hostname then. */
        if (d->guest_exported && d->guest) {
                pretty_name = d->guest->os.pretty_name ? d->guest->os.pretty_name : "";
                hostname = d->guest->hostname ? d->guest->hostname : "";
        }
        *offset = wire_string(wire_align(*offset, 8), strlen(path));
        *offset = wire_string(wire_string(wire_string(*offset, strlen(d->name)), strlen(d->uuid)), strlen(state));
        *offset = wire_uint32(wire_uint32(*offset));
        *offset = wire_string(wire_string(*offset, strlen(pretty_name)), strlen(hostname));
        r = sd_bus_message_open_container(reply, 'r', SUMMARY_FIELDS);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "osssbbss", path, d->name, d->uuid, state, d->agent_connected,
                                  d->guest_exported, pretty_name, hostname);
        if (r < 0)
                return r;
        /* Every address of Network.Interfaces, interface by interface, in
         * its order, as that property gives them (bus-domain.c). */
        *offset = wire_align(wire_uint32(*offset), 8); /* the array's length, padded to its first struct */
        r = sd_bus_message_open_container(reply, 'a', ADDRESS_SIGNATURE);
        if (r < 0)
                return r;
        for (size_t i = 0; d->interfaces && i < d->interfaces->n_items; i++) {
                const MergedInterface *e = &d->interfaces->items[i];
                for (size_t k = 0; k < e->n_ip_addresses; k++) {
                        IpAddressParts a;
                        if (!ip_address_split(e->ip_addresses[k], k < e->n_ipv4, &a))
                                continue;
                        *offset =
                                wire_string(wire_string(wire_align(*offset, 8), strlen(a.family)), strlen(a.address)) +
                                1;
                        r = sd_bus_message_append(reply, ADDRESS_SIGNATURE, a.family, a.address, a.prefix);
                        if (r < 0)
                                return r;
                }
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        /* and the a{sv}: its length, padded to the first dict entry; one
         * entry, GuestDataReason: key, the variant's signature "s" (3 bytes),
         * its string */
        const char *reason = d->reason ? d->reason : "";
        *offset = wire_align(wire_uint32(*offset), 8);
        *offset = wire_string(wire_align(*offset, 8), strlen(PROPERTY_GUEST_DATA_REASON)) + 3;
        *offset = wire_string(*offset, strlen(reason));
        r = sd_bus_message_open_container(reply, 'a', EXTRA_ENTRY_SIGNATURE);
        if (r >= 0)
                r = sd_bus_message_append(reply, EXTRA_ENTRY_SIGNATURE, PROPERTY_GUEST_DATA_REASON, "s", reason);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

/* The same summary as bytes (bus-bytes.h), for the writer. */
static void write_summary(BusBytes *b, const Domain *d) {
        char path[DOMAIN_OBJECT_PATH_MAX];
        const char *pretty_name = "", *hostname = "";

        if (domain_object_path_buf(d->uuid, path) < 0) {
                b->failed = true;
                return;
        }
        if (d->guest_exported && d->guest) {
                pretty_name = d->guest->os.pretty_name ? d->guest->os.pretty_name : "";
                hostname = d->guest->hostname ? d->guest->hostname : "";
        }
        bus_bytes_align(b, 8);
        bus_bytes_string(b, path);
        bus_bytes_string(b, d->name);
        bus_bytes_string(b, d->uuid);
        bus_bytes_string(b, domain_state_to_string(d->state));
        bus_bytes_bool(b, d->agent_connected);
        bus_bytes_bool(b, d->guest_exported);
        bus_bytes_string(b, pretty_name);
        bus_bytes_string(b, hostname);
        size_t addresses = bus_bytes_array_open(b, 8);
        for (size_t i = 0; d->interfaces && i < d->interfaces->n_items; i++) {
                const MergedInterface *e = &d->interfaces->items[i];
                for (size_t k = 0; k < e->n_ip_addresses; k++) {
                        IpAddressParts a;
                        if (!ip_address_split(e->ip_addresses[k], k < e->n_ipv4, &a))
                                continue;
                        bus_bytes_align(b, 8);
                        bus_bytes_string(b, a.family);
                        bus_bytes_string(b, a.address);
                        bus_bytes_byte(b, a.prefix);
                }
        }
        bus_bytes_array_close(b, addresses, 8);
        size_t extra = bus_bytes_array_open(b, 8);
        bus_bytes_align(b, 8);
        bus_bytes_string(b, PROPERTY_GUEST_DATA_REASON);
        bus_bytes_signature(b, "s");
        bus_bytes_string(b, d->reason ? d->reason : "");
        bus_bytes_array_close(b, extra, 8);
}

static int reply_too_many(sd_bus_message *message, Manager *m, const char *instead) {
        return sd_bus_reply_method_errorf(message, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                          "%s() of %zu domains would be more than the %llu MiB a bus message may have: "
                                          "%s.",
                                          sd_bus_message_get_member(message), manager_domain_count(m),
                                          BUS_MESSAGE_SIZE_MAX >> 20, instead);
}

/* Replies with an array of one entry per domain (contents: the entry's
 * signature), each written by append, or with LimitsExceeded (naming
 * instead) when the bus would refuse the reply. The same reply's body goes
 * out again while the model stays as it was (key: the method's, for the
 * writer). */
static int reply_with_every_domain(sd_bus_message *message, Manager *m, BusFairness *fairness, const char *key,
                                   const char *contents,
                                   int (*append)(sd_bus_message *reply, const Domain *d, uint64_t *offset),
                                   const char *instead) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uint64_t offset = 8; /* the array's length, padded to its first struct */
        uint64_t generation = m->summaries_generation;
        Domain *d;
        int r;

        r = bus_writer_reply_kept(message, key, generation);
        if (r != 0)
                return r;
        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', contents);
        if (r < 0)
                return r;
        HASHMAP_FOREACH (d, m->domains, i) {
                r = append(reply, d, &offset);
                if (r < 0)
                        return r;
                if (offset > BUS_BODY_SIZE_MAX)
                        return reply_too_many(message, m, instead);
                bus_fairness_yield(fairness);
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return bus_writer_send_keeping(message, reply, key, generation);
}

int bus_manager_reply_list_domains(sd_bus_message *message, Manager *m, BusFairness *fairness) {
        return reply_with_every_domain(message, m, fairness, "ListDomains", DOMAIN_ENTRY_SIGNATURE,
                                       bus_manager_append_domain_entry,
                                       "look each domain up with GetDomainByName() or GetDomainByUUID()");
}

#define LIST_SUMMARIES_INSTEAD "read the fleet with ListDomains() and each domain with Properties.GetAll()"

static int build_summary(BusBytes *b, Domain *d, void *userdata) {
        write_summary(b, d);
        return 0;
}

/* With a writer the summaries are written as bytes: a tenth of what
 * sd-bus's appending costs; each domain's kept until it changes
 * (bus-fragments.h). */
static int reply_summaries_as_bytes(sd_bus_message *message, Manager *m, BusFragments *fragments,
                                    BusFairness *fairness) {
        BusBytes b;
        Domain *d;
        int r = 0;

        bus_bytes_init(&b, BUS_BODY_SIZE_MAX);
        bus_bytes_reserve(&b, bus_fragments_last_size(fragments, BUS_FRAGMENT_SUMMARY));
        size_t at = bus_bytes_array_open(&b, 8);
        HASHMAP_FOREACH (d, m->domains, i) {
                r = bus_fragments_append(fragments, &b, d, BUS_FRAGMENT_SUMMARY, build_summary, NULL);
                if (r < 0 || b.failed)
                        break;
                if (r > 0)
                        bus_fairness_yield(fairness);
        }
        bus_bytes_array_close(&b, at, 8);
        if (r < 0 || b.failed) {
                bool too_big = b.too_big;
                bus_bytes_done(&b);
                return too_big ? reply_too_many(message, m, LIST_SUMMARIES_INSTEAD) : r < 0 ? r : -ENOMEM;
        }
        size_t len;
        uint8_t *body = bus_bytes_take(&b, &len);
        bus_fragments_set_last_size(fragments, BUS_FRAGMENT_SUMMARY, len);
        bus_fragments_used(fragments, BUS_FRAGMENT_SUMMARY);
        return bus_writer_reply_body(message, NULL, 0, "a" SUMMARY_SIGNATURE, body, len);
}

int bus_manager_reply_list_summaries(sd_bus_message *message, Manager *m, BusFragments *fragments,
                                     BusFairness *fairness) {
        if (bus_writer_attached(sd_bus_message_get_bus(message)))
                return reply_summaries_as_bytes(message, m, fragments, fairness);
        return reply_with_every_domain(message, m, fairness, "ListSummaries", SUMMARY_SIGNATURE,
                                       bus_manager_append_summary, LIST_SUMMARIES_INSTEAD);
}

/* Reached only without the filter of bus-tree.c (which gives turns). */
static int method_list_domains(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return bus_manager_reply_list_domains(message, userdata, NULL);
}

static int method_list_summaries(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return bus_manager_reply_list_summaries(message, userdata, NULL, NULL);
}

static int reply_with_domain(sd_bus_message *message, Domain *d) {
        _cleanup_(freep) char *path = NULL;
        int r = domain_object_path(d->uuid, &path);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(message, "o", path);
}

static int method_get_domain_by_name(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;
        int r;

        r = sd_bus_message_read(message, "s", &name);
        if (r < 0)
                return r;
        if (!*name)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Domain name must not be empty.");
        if (strlen(name) > DOMAIN_NAME_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Domain name is longer than %d bytes.",
                                         DOMAIN_NAME_MAX);

        Domain *d = manager_find_domain_by_name(m, name);
        char quote[BUS_ERROR_QUOTE_MAX];
        if (!d)
                return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_DOMAIN, "No domain named '%s'.",
                                         bus_error_quote(name, quote, sizeof quote));
        return reply_with_domain(message, d);
}

static int method_get_domain_by_uuid(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        char uuid[UUID_STRING_MAX];
        const char *arg;
        int r;

        r = sd_bus_message_read(message, "s", &arg);
        if (r < 0)
                return r;
        char quote[BUS_ERROR_QUOTE_MAX];
        if (uuid_normalize(arg, uuid) < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "'%s' is not a UUID.",
                                         bus_error_quote(arg, quote, sizeof quote));

        Domain *d = manager_get_domain(m, uuid);
        if (!d)
                return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_DOMAIN, "No domain with UUID %s.", uuid);
        return reply_with_domain(message, d);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("URI", "s", property_get_uri, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Connected", "b", property_get_connected, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("DomainCount", "u", property_get_domain_count, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("ListDomains", SD_BUS_NO_ARGS, SD_BUS_RESULT("a" DOMAIN_ENTRY_SIGNATURE, domains),
                                method_list_domains, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListSummaries", SD_BUS_NO_ARGS, SD_BUS_RESULT("a" SUMMARY_SIGNATURE, summaries),
                                method_list_summaries, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetDomainByName", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", domain),
                                method_get_domain_by_name, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetDomainByUUID", SD_BUS_ARGS("s", uuid), SD_BUS_RESULT("o", domain),
                                method_get_domain_by_uuid, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

void bus_manager_property_names(unsigned properties, const char **names) {
        size_t k = 0;
        if (properties & MANAGER_PROPERTY_CONNECTED)
                names[k++] = "Connected";
        if (properties & MANAGER_PROPERTY_DOMAIN_COUNT)
                names[k++] = "DomainCount";
        names[k] = NULL;
}

int bus_manager_register(sd_bus *bus, Manager *m, sd_bus_slot **ret_slots) {
        int r;

        r = sd_bus_add_object_vtable(bus, ret_slots ? &ret_slots[0] : NULL, MANAGER_PATH, MANAGER_INTERFACE,
                                     manager_vtable, m);
        if (r < 0)
                return r;
        return sd_bus_add_object_manager(bus, ret_slots ? &ret_slots[1] : NULL, MANAGER_PATH);
}
