/* The object paths of the domains (the names of the published API are in
 * dbus/guestinfo-names.h, the path rule in dbus/guestinfo-paths.h). */
#pragma once

#include "guestinfo-names.h"
#include "guestinfo-paths.h"

/* "/org/guestinfod/GuestInfo1/domain/<the UUID's 32 hex digits>", allocated:
 * -EINVAL if uuid is not a UUID. */
int domain_object_path(const char *uuid, char **ret);
/* The same path into a caller's buffer, without allocating (ListSummaries
 * writes one per domain). */
int domain_object_path_buf(const char *uuid, char ret[static DOMAIN_OBJECT_PATH_MAX]);
/* The inverse: the dashed UUID of a domain path into a caller's buffer,
 * without allocating (the bus looks a domain up once per vtable, five times
 * per object of GetManagedObjects); -ENXIO if path is not one, in exactly
 * the published spelling: no other spelling answers. */
int domain_uuid_from_path_buf(const char *path, char ret[static 37]);
