/* The client's side of the bus: connecting, calling guestinfod with a time
 * limit, and turning bus errors into one line and an -errno (cli.h). */
#pragma once

#include <systemd/sd-bus.h>

#include "cli.h"

#define DEFAULT_TIMEOUT_USEC (25ULL * 1000000ULL) /* sd-bus's and busctl's default */
#define REFRESH_TIMEOUT_USEC (60ULL * 1000000ULL) /* a collection asks the agent several times */

typedef struct BusClient {
        sd_bus *bus;
        uint64_t timeout_usec;
        char *where; /* "the system bus", "the system bus of HOST", ...: for messages */
} BusClient;

/* Connects as the options say. Returns 0, or prints why not and returns -errno (cli.h). */
int bus_client_open(BusClient *c, const CliOptions *o, uint64_t default_timeout_usec);
void bus_client_close(BusClient *c);

/* Calls member on guestinfod's object path, waiting at most c->timeout_usec.
 * Returns what sd_bus_call() returns; error is filled on failure. */
int bus_client_call(BusClient *c, const char *path, const char *interface, const char *member, sd_bus_error *error,
                    sd_bus_message **reply, const char *types, ...);

/* org.freedesktop.DBus.Properties.GetAll; the reply is at its a{sv}. */
int bus_client_get_all(BusClient *c, const char *path, const char *interface, sd_bus_error *error,
                       sd_bus_message **reply);

/* The exit code for a failed call (r < 0, error possibly unset). */
int exit_code_for_error(int r, const sd_bus_error *error);

/* Prints one line saying why the call failed and returns its -errno (cli.h).
 * vm (may be NULL) is what the user named, for "no such VM". */
int bus_client_report(BusClient *c, int r, const sd_bus_error *error, const char *vm);

/* For a LimitsExceeded answer about the whole fleet (too big for one bus
 * message): prints one line saying so (what: "listed", "watched") and
 * returns the exit code (EXIT_FAILED). */
int bus_client_report_too_big(BusClient *c, const sd_bus_error *error, const char *what);

/* True for the errors that mean "this object or interface is not there", as
 * when a VM's guest data is not exported. */
bool bus_error_is_absent(const sd_bus_error *error);

/* Finds the VM by UUID (any case, dashes optional) or by name. Returns 0
 * and its object path, or prints why not and returns -errno (cli.h). */
int bus_client_find_vm(BusClient *c, const char *vm, char **ret_path);
