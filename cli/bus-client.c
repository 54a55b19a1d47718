#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-client.h"
#include "guestinfo-names.h"
#include "helpers.h"

static bool startswith(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A bus whose address the user gave: still a message bus, so say Hello. */
static int open_address(const char *address, sd_bus **ret) {
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r < 0)
                return r;
        r = sd_bus_set_bus_client(bus, true);
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

/* sd-bus gives a bus 90 s to authenticate, and a call waits for that
 * whatever its own timeout: a hung bus (or ssh) would hold us that long. So
 * wait for authentication and Hello here, within our time limit. */
static int wait_ready(BusClient *c) {
        uint64_t deadline = now_usec() + c->timeout_usec;
        int r;

        while ((r = sd_bus_is_ready(c->bus)) == 0) {
                uint64_t now = now_usec();
                if (now >= deadline)
                        return cli_error(ERRNO_TIMEOUT, "%c%s did not answer within %g s (--timeout).",
                                         toupper(c->where[0]), c->where + 1, (double) c->timeout_usec / 1e6);
                r = sd_bus_process(c->bus, NULL);
                if (r == 0)
                        r = sd_bus_wait(c->bus, deadline - now);
                if (r < 0)
                        break;
        }
        if (r < 0)
                return cli_error(errno_from_exit_code(exit_code_for_error(r, NULL)), "Failed to connect to %s: %s",
                                 c->where, strerror(-r));
        return 0;
}

int bus_client_open(BusClient *c, const CliOptions *o, uint64_t default_timeout_usec) {
        const char *hint = "";
        int r;

        *c = (BusClient){ .timeout_usec = o->timeout_usec > 0 ? o->timeout_usec : default_timeout_usec };
        switch (o->target) {
        case BUS_TARGET_USER:
                c->where = strdup("the session bus");
                r = sd_bus_open_user(&c->bus);
                hint = " (is DBUS_SESSION_BUS_ADDRESS set?)";
                break;
        case BUS_TARGET_ADDRESS:
                r = asprintf(&c->where, "the bus at %s", o->address) < 0 ? -ENOMEM : 0;
                if (r >= 0)
                        r = open_address(o->address, &c->bus);
                break;
        case BUS_TARGET_REMOTE:
                /* ssh HOST systemd-stdio-bridge, as busctl -H does */
                r = asprintf(&c->where, "the system bus of %s", o->host) < 0 ? -ENOMEM : 0;
                if (r >= 0)
                        r = sd_bus_open_system_remote(&c->bus, o->host);
                break;
        default:
                c->where = strdup("the system bus");
                r = sd_bus_open_system(&c->bus);
        }
        if (!c->where)
                return cli_error(-ENOMEM, "Out of memory.");
        if (r == -EINVAL && (o->target == BUS_TARGET_ADDRESS || o->target == BUS_TARGET_REMOTE))
                return cli_error(ERRNO_USAGE, "Cannot use %s: invalid %s.",
                                 o->target == BUS_TARGET_REMOTE ? o->host : o->address,
                                 o->target == BUS_TARGET_REMOTE ? "host" : "bus address");
        if (r < 0)
                return cli_error(r == -EACCES || r == -EPERM ? ERRNO_ACCESS_DENIED : ERRNO_NOT_RUNNING,
                                 "Failed to connect to %s: %s%s", c->where, strerror(-r), hint);

        /* Bounds the calls we do not make ourselves too (AddMatch). */
        (void) sd_bus_set_method_call_timeout(c->bus, c->timeout_usec);
        (void) sd_bus_set_allow_interactive_authorization(c->bus, o->ask_password);
        return wait_ready(c);
}

void bus_client_close(BusClient *c) {
        /* every call waited for its answer: nothing to flush, and a flush
         * would wait out an authentication that never ends */
        c->bus = sd_bus_close_unref(c->bus);
        free(c->where);
        c->where = NULL;
}

int bus_client_call(BusClient *c, const char *path, const char *interface, const char *member, sd_bus_error *error,
                    sd_bus_message **reply, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(c->bus, &m, BUS_NAME, path, interface, member);
        if (r < 0)
                return sd_bus_error_set_errno(error, r);
        if (types && *types) {
                va_list ap;
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (r < 0)
                        return sd_bus_error_set_errno(error, r);
        }
        return sd_bus_call(c->bus, m, c->timeout_usec, error, reply);
}

int bus_client_get_all(BusClient *c, const char *path, const char *interface, sd_bus_error *error,
                       sd_bus_message **reply) {
        return bus_client_call(c, path, "org.freedesktop.DBus.Properties", "GetAll", error, reply, "s", interface);
}

static bool is_not_running(const char *name) {
        /* Not on the bus, or bus activation of it failed. */
        return streq(name, SD_BUS_ERROR_SERVICE_UNKNOWN) || streq(name, SD_BUS_ERROR_NAME_HAS_NO_OWNER) ||
               startswith(name, "org.freedesktop.DBus.Error.Spawn.") || startswith(name, "org.freedesktop.systemd1.");
}

int exit_code_for_error(int r, const sd_bus_error *error) {
        const char *name = error && error->name ? error->name : NULL;

        /* "System.Error.*" is sd-bus wrapping a plain errno: judge by the errno. */
        if (name && !startswith(name, "System.Error.")) {
                if (streq(name, BUS_ERROR_NO_SUCH_DOMAIN) || streq(name, SD_BUS_ERROR_UNKNOWN_OBJECT))
                        return EXIT_NO_SUCH_VM;
                if (streq(name, BUS_ERROR_NO_AGENT))
                        return EXIT_NO_AGENT;
                if (streq(name, SD_BUS_ERROR_INVALID_ARGS))
                        return EXIT_USAGE;
                if (is_not_running(name) || streq(name, SD_BUS_ERROR_DISCONNECTED))
                        return EXIT_NOT_RUNNING;
                if (streq(name, SD_BUS_ERROR_ACCESS_DENIED) ||
                    streq(name, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED) ||
                    streq(name, SD_BUS_ERROR_AUTH_FAILED))
                        return EXIT_ACCESS_DENIED;
                if (streq(name, SD_BUS_ERROR_NO_REPLY) || streq(name, SD_BUS_ERROR_TIMEOUT) ||
                    streq(name, "org.freedesktop.DBus.Error.TimedOut"))
                        return EXIT_TIMEOUT;
                return EXIT_FAILED;
        }

        if (error && sd_bus_error_is_set(error))
                r = -sd_bus_error_get_errno(error);
        switch (-r) {
        case ETIMEDOUT:
                return EXIT_TIMEOUT;
        case ECONNRESET:
        case ECONNREFUSED:
        case ENOTCONN:
        case ENOENT:
        case EPIPE:
        case ESHUTDOWN:
        case ENXIO:
        case ENOMEDIUM:
                return EXIT_NOT_RUNNING;
        case EACCES:
        case EPERM:
                return EXIT_ACCESS_DENIED;
        default:
                return EXIT_FAILED;
        }
}

int bus_client_report(BusClient *c, int r, const sd_bus_error *error, const char *vm) {
        int code = exit_code_for_error(r, error), e = errno_from_exit_code(code);
        const char *message = error && error->message ? error->message : strerror(r < 0 ? -r : EIO);

        switch (code) {
        case EXIT_NO_SUCH_VM:
                return cli_error(e, "No VM named '%s' or with that UUID.", vm ? vm : "");
        case EXIT_NOT_RUNNING:
                if (sd_bus_error_has_names(error, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        return cli_error(e, "guestinfod is not running on %s.", c->where);
                if (error && error->name && is_not_running(error->name))
                        return cli_error(e, "guestinfod is not running on %s and could not be started: %s", c->where,
                                         message);
                return cli_error(e, "Lost the connection to %s: %s", c->where, message);
        case EXIT_TIMEOUT:
                /* our own time limit needs no more words; a bus's NoReply may say more */
                if (streq(message, strerror(ETIMEDOUT)))
                        return cli_error(e, "guestinfod did not answer within %g s (--timeout).",
                                         (double) c->timeout_usec / 1e6);
                return cli_error(e, "guestinfod did not answer: %s", message);
        case EXIT_ACCESS_DENIED:
                return cli_error(e, "Access denied: %s", message);
        default:
                /* the daemon's own messages (NoAgent, AgentFailed, InvalidArgs) are made to be read */
                return cli_error(e, "%s", message);
        }
}

int bus_client_report_too_big(BusClient *c, const sd_bus_error *error, const char *what) {
        return cli_error(-EIO, "Too many VMs on %s to be %s: guestinfod's answer would not fit in one bus message (%s)",
                         c->where, what, error && error->message ? error->message : "LimitsExceeded");
}

bool bus_error_is_absent(const sd_bus_error *error) {
        return sd_bus_error_has_names(error, SD_BUS_ERROR_UNKNOWN_OBJECT, SD_BUS_ERROR_UNKNOWN_INTERFACE,
                                      SD_BUS_ERROR_UNKNOWN_METHOD, SD_BUS_ERROR_UNKNOWN_PROPERTY);
}

/* 32 hex digits, dashes anywhere: what the daemon's GetDomainByUUID takes. */
static bool looks_like_uuid(const char *s) {
        size_t digits = 0;

        for (; *s; s++) {
                if (isxdigit((unsigned char) *s))
                        digits++;
                else if (*s != '-')
                        return false;
        }
        return digits == 32;
}

static int call_lookup(BusClient *c, const char *method, const char *arg, sd_bus_error *error, char **ret_path) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        int r;

        r = bus_client_call(c, MANAGER_PATH, MANAGER_INTERFACE, method, error, &reply, "s", arg);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return sd_bus_error_set_errno(error, r);
        *ret_path = strdup(path);
        return *ret_path ? 0 : sd_bus_error_set_errno(error, ENOMEM);
}

int bus_client_find_vm(BusClient *c, const char *vm, char **ret_path) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (!*vm)
                return cli_error(ERRNO_USAGE, "The VM name must not be empty.");

        if (looks_like_uuid(vm)) {
                r = call_lookup(c, METHOD_GET_DOMAIN_BY_UUID, vm, &error, ret_path);
                if (r >= 0)
                        return 0;
                if (!sd_bus_error_has_name(&error, BUS_ERROR_NO_SUCH_DOMAIN))
                        return bus_client_report(c, r, &error, vm);
                /* a VM may be named like a UUID */
                sd_bus_error_free(&error);
        }
        r = call_lookup(c, METHOD_GET_DOMAIN_BY_NAME, vm, &error, ret_path);
        /* the standard error, so say what it was about: the name given */
        if (r < 0 && sd_bus_error_has_name(&error, SD_BUS_ERROR_INVALID_ARGS))
                return cli_error(ERRNO_USAGE, "Invalid VM name '%s': %s", vm, error.message ? error.message : "");
        if (r < 0)
                return bus_client_report(c, r, &error, vm);
        return 0;
}
