/* Asking polkit, asynchronously, whether the sender of a method call may do
 * an action. The loop never waits: the answer comes through a callback. */
#pragma once

#include <systemd/sd-bus.h>

/* result: 1 authorized, 0 not (why says so), < 0 polkit failed (why says how). */
typedef void (*PolkitCallback)(sd_bus_message *request, int result, const char *why, void *userdata);

/* Checks action for the sender of request (subject "system-bus-name"),
 * allowing interaction if the caller allowed it. Keeps a reference to request
 * until cb ran. */
int bus_polkit_check_async(sd_bus_message *request, const char *action, PolkitCallback cb, void *userdata);
