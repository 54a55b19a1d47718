/* A D-Bus consumer the project did not write: the C client gdbus-codegen
 * generates from dbus/org.guestinfod.GuestInfo1.*.xml (consumer-generated.h), driven by a GMainLoop.
 * What it holds is checked against fresh calls made beside it. */
#pragma once

#include <stdbool.h>

#include <gio/gio.h>

#include "consumer-generated.h"

#define CONSUMER_BUS_NAME "org.guestinfod.GuestInfo1"
#define CONSUMER_ROOT_PATH "/org/guestinfod/GuestInfo1"

typedef bool (*ConsumerPredicate)(void *userdata);

/* A message-bus connection to address (the harness's private bus). */
GDBusConnection *consumer_connect(const char *address);

/* Runs a GMainLoop until pred holds (true) or timeout_ms passes (false);
 * pred is checked every 20 ms and once at the start. */
bool consumer_wait(ConsumerPredicate pred, void *userdata, unsigned timeout_ms);
/* Runs a GMainLoop for ms: signals already sent reach the proxies. */
void consumer_settle(unsigned ms);

/* Each proxy's cached properties against a fresh
 * org.freedesktop.DBus.Properties.GetAll of its interface: the same names,
 * values equal by g_variant_equal. Prints every difference; returns their
 * number. */
unsigned consumer_compare_proxy(GDBusConnection *c, GDBusProxy *proxy);

/* The object manager client against a fresh GetManagedObjects: the same
 * objects with the same interfaces, and every proxy of ours (the
 * org.guestinfod.GuestInfo1 prefix) equal to GetAll. expected_paths (NULL
 * ended, may be NULL) are the objects that must be there, e.g. from libvirt.
 * Prints every difference; returns their number. */
unsigned consumer_compare_manager(GDBusConnection *c, GDBusObjectManager *manager, const char *const *expected_paths);

/* The object path of the domain with this UUID, in the contract's spelling
 * (dbus/guestinfo-paths.h). g_free() it. */
char *consumer_domain_path(const char *uuid);
