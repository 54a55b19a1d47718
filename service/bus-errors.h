/* The daemon's named D-Bus errors: the one list, for the daemon and its clients. */
#pragma once

#include <systemd/sd-bus.h>

#define BUS_ERROR_NO_SUCH_DOMAIN "org.guestinfod.GuestInfo1.Error.NoSuchDomain"
#define BUS_ERROR_INVALID_ARGS "org.guestinfod.GuestInfo1.Error.InvalidArgs"
#define BUS_ERROR_NO_AGENT "org.guestinfod.GuestInfo1.Error.NoAgent"
#define BUS_ERROR_AGENT_FAILED "org.guestinfod.GuestInfo1.Error.AgentFailed"

extern const sd_bus_error_map bus_error_map[];
