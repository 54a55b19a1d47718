/* The object paths of the domains (the names of the published API are in
 * dbus/guestinfo-names.h). */
#pragma once

#include "guestinfo-names.h"

/* "/org/guestinfod/GuestInfo1/domain/<uuid escaped by sd_bus_path_encode>". */
int domain_object_path(const char *uuid, char **ret);
/* Room for the path of a label of up to 36 characters, each escaped (_XX). */
#define DOMAIN_OBJECT_PATH_MAX (sizeof(DOMAIN_PATH_PREFIX "/") + 3 * 36)
/* The same path into a caller's buffer, without allocating (ListSummaries
 * writes one per domain): -EINVAL if uuid is empty or longer than a UUID. */
int domain_object_path_buf(const char *uuid, char ret[static DOMAIN_OBJECT_PATH_MAX]);
/* The inverse: the UUID label of a domain path into a caller's buffer,
 * without allocating (the bus looks a domain up once per vtable, five times
 * per object of GetManagedObjects); -ENXIO if path is not one, also if the
 * label is longer than a UUID. */
int domain_uuid_from_path_buf(const char *path, char ret[static 37]);
