/* Publishes the model on the bus: registers the objects, turns model changes
 * into InterfacesAdded/Removed and batched PropertiesChanged, owns the name
 * and tells systemd when the daemon is ready. */
#pragma once

#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "manager.h"

typedef struct Publisher Publisher;

/* use_polkit: methods that cost the guests work ask polkit (system bus). */
int publisher_new(sd_bus *bus, sd_event *event, Manager *m, bool use_polkit, Publisher **ret);
Publisher *publisher_free(Publisher *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Publisher *, publisher_free);

/* The most the whole-fleet replies' kept parts may hold (bus-tree.h). */
void publisher_set_kept_max(Publisher *p, uint64_t bytes);
