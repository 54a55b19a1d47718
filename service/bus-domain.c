#include <errno.h>
#include <stdlib.h>

#include "bus-domain.h"
#include "bus-paths.h"
#include "macro.h"

static int property_get_name(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        return sd_bus_message_append(reply, "s", d->name);
}

static int property_get_uuid(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        return sd_bus_message_append(reply, "s", d->uuid);
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        return sd_bus_message_append(reply, "s", domain_state_to_string(d->state));
}

static int property_get_persistent(sd_bus *bus, const char *path, const char *interface, const char *property,
                                   sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        return sd_bus_message_append(reply, "b", d->persistent);
}

static int property_get_id(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        return sd_bus_message_append(reply, "i", d->id);
}

static int property_get_agent_connected(sd_bus *bus, const char *path, const char *interface,
                                        const char *property, sd_bus_message *reply, void *userdata,
                                        sd_bus_error *error) {
        Domain *d = userdata;
        return sd_bus_message_append(reply, "b", d->agent_connected);
}

static int property_get_agent_transition(sd_bus *bus, const char *path, const char *interface,
                                         const char *property, sd_bus_message *reply, void *userdata,
                                         sd_bus_error *error) {
        Domain *d = userdata;
        return sd_bus_message_append(reply, "t", d->agent_last_transition_usec);
}

static int property_get_agent_probe(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        return sd_bus_message_append(reply, "t", d->agent_last_probe_usec);
}

static const sd_bus_vtable domain_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_get_name, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("UUID", "s", property_get_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Persistent", "b", property_get_persistent, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Id", "i", property_get_id, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AgentConnected", "b", property_get_agent_connected, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AgentLastTransitionTime", "t", property_get_agent_transition, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AgentLastProbeTime", "t", property_get_agent_probe, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

void bus_domain_property_names(unsigned properties, const char **names) {
        size_t k = 0;
        if (properties & DOMAIN_PROPERTY_NAME)
                names[k++] = "Name";
        if (properties & DOMAIN_PROPERTY_STATE)
                names[k++] = "State";
        if (properties & DOMAIN_PROPERTY_PERSISTENT)
                names[k++] = "Persistent";
        if (properties & DOMAIN_PROPERTY_ID)
                names[k++] = "Id";
        if (properties & DOMAIN_PROPERTY_AGENT_CONNECTED)
                names[k++] = "AgentConnected";
        if (properties & DOMAIN_PROPERTY_AGENT_LAST_TRANSITION_TIME)
                names[k++] = "AgentLastTransitionTime";
        if (properties & DOMAIN_PROPERTY_AGENT_LAST_PROBE_TIME)
                names[k++] = "AgentLastProbeTime";
        names[k] = NULL;
}

/* Answers "which domain lives at this path" from the model alone. */
static int domain_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                       sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(freep) char *uuid = NULL;

        if (domain_uuid_from_path(path, &uuid) < 0)
                return 0;
        Domain *d = manager_get_domain(m, uuid);
        if (!d)
                return 0;
        *found = d;
        return 1;
}

static int domain_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        size_t n = manager_domain_count(m), k = 0;
        Domain *d;
        char **l = calloc(n + 1, sizeof *l);
        int r;

        if (!l)
                return -ENOMEM;
        HASHMAP_FOREACH(d, m->domains, i) {
                r = domain_object_path(d->uuid, &l[k]);
                if (r < 0) {
                        for (size_t j = 0; j < k; j++)
                                free(l[j]);
                        free(l);
                        return r;
                }
                k++;
        }
        *nodes = l;
        return 1;
}

int bus_domain_register(sd_bus *bus, Manager *m) {
        int r;

        r = sd_bus_add_fallback_vtable(bus, NULL, DOMAIN_PATH_PREFIX, DOMAIN_INTERFACE, domain_vtable,
                                       domain_find, m);
        if (r < 0)
                return r;
        return sd_bus_add_node_enumerator(bus, NULL, DOMAIN_PATH_PREFIX, domain_enumerate, m);
}
