/* guestinfoctl metrics [--textfile DIR [--interval SECONDS]]: the host's
 * guest data in Prometheus's text format, on stdout once, or kept current
 * in DIR/guestinfod.prom for node-exporter's textfile collector. Two calls
 * read everything: the Manager's GetAll and GetManagedObjects (for a fleet
 * too big for one bus message, ListDomains and a GetAll per VM), and a
 * GetCounters per VM whose counters were collected. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "commands.h"
#include "guestinfo-names.h"
#include "helpers.h"
#include "metrics-fleet.h"
#include "metrics.h"
#include "output.h"

#define TEXTFILE_NAME "guestinfod.prom"

static int read_manager(sd_bus_message *m, MetricsDaemon *d) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name, *contents, *s;
                int b;

                r = sd_bus_message_read(m, "s", &name);
                if (r >= 0)
                        r = sd_bus_message_peek_type(m, NULL, &contents);
                if (r < 0)
                        break;
                if (streq(name, PROPERTY_CONNECTED) && streq(contents, "b")) {
                        r = sd_bus_message_read(m, "v", "b", &b);
                        d->libvirt_connected = b;
                } else if (streq(name, "DomainCount") && streq(contents, "u")) {
                        r = sd_bus_message_read(m, "v", "u", &d->domain_count);
                        d->domain_count_known = r >= 0;
                } else if (streq(name, "Version") && streq(contents, "s")) {
                        r = sd_bus_message_read(m, "v", "s", &s);
                        if (r >= 0) {
                                free(d->version);
                                d->version = strdup(s);
                                if (!d->version)
                                        r = -ENOMEM;
                        }
                } else
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r;
}

/* The Manager's properties into d. Returns 0, or -errno (cli.h) having
 * said why. */
static int read_daemon(BusClient *c, MetricsDaemon *d) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        *d = (MetricsDaemon){ .up = true };
        r = bus_client_get_all(c, MANAGER_PATH, MANAGER_INTERFACE, &error, &reply);
        if (r < 0)
                return bus_client_report(c, r, &error, NULL);
        r = read_manager(reply, d);
        if (r < 0) {
                metrics_daemon_done(d);
                return cli_error(-EIO, "Failed to parse guestinfod's answer: %s", strerror(-r));
        }
        return 0;
}

/* Every VM (the lists the metrics do not use dropped as each is read):
 * one GetManagedObjects, or for a fleet too big for one message a call
 * per VM; then GetCounters of the VMs whose counters were collected. */
static int read_vms(BusClient *c, Vm **ret, size_t *ret_n) {
        int r = vm_load_tree(c, vm_drop_lists, ret, ret_n);
        if (r == -E2BIG)
                r = vm_load_each(c, vm_drop_lists, ret, ret_n);
        if (r == 0) {
                r = vm_load_counters(c, *ret, *ret_n);
                if (r < 0) {
                        vm_free_many(*ret, *ret_n);
                        *ret = NULL;
                        *ret_n = 0;
                }
        }
        return r;
}

/* The daemon and its VMs into t. Returns 0, or -errno (cli.h) having said
 * why; then t holds nothing. */
static int build(BusClient *c, PromText *t) {
        MetricsDaemon d;
        Vm *vms = NULL;
        size_t n = 0;
        int r;

        prom_text_reset(t);
        r = read_daemon(c, &d);
        if (r < 0)
                return r;
        r = read_vms(c, &vms, &n);
        if (r == 0)
                metrics_write(t, &d, vms, n);
        vm_free_many(vms, n);
        metrics_daemon_done(&d);
        if (r == 0 && t->failed)
                r = cli_error(-ENOMEM, "Out of memory.");
        return r;
}

/* ---- --textfile ---- */

/* A rewrite after a change reads only the domain objects signals named
 * (PropertiesChanged, InterfacesAdded, InterfacesRemoved): a GetAll each,
 * the others' series kept as they were written. Everything is read at
 * start, when the daemon goes or comes back (NameOwnerChanged: a restarted
 * daemon's signals before it took the name are not ours), after a read
 * that failed, when more than a quarter of the fleet changed (one
 * GetManagedObjects is cheaper than that many GetAll), and when the
 * Manager's DomainCount disagrees with the VMs held (an InterfacesAdded or
 * Removed missed). */
#define CHANGED_MIN 64

typedef struct Textfile {
        BusClient *client;
        sd_event *event;
        sd_event_source *timer;
        const char *dir;
        uint64_t interval_usec;
        uint64_t last_write_usec; /* CLOCK_MONOTONIC, 0: never */
        PromText text;
        MetricsFleet fleet;
        bool full;      /* the next rewrite reads everything */
        char **changed; /* domain objects signalled since the last read */
        size_t n_changed, allocated_changed;
        int error; /* why the loop ended, 0 for a signal */
} Textfile;

static void changed_clear(Textfile *tf) {
        for (size_t i = 0; i < tf->n_changed; i++)
                free(tf->changed[i]);
        tf->n_changed = 0;
}

/* path changed: read it at the next rewrite. Too many: read everything. */
static void changed_add(Textfile *tf, const char *path) {
        size_t max = tf->fleet.n / 4 > CHANGED_MIN ? tf->fleet.n / 4 : CHANGED_MIN;

        if (tf->full)
                return;
        for (size_t i = 0; i < tf->n_changed; i++)
                if (streq(tf->changed[i], path))
                        return;
        if (tf->n_changed >= max) {
                changed_clear(tf);
                tf->full = true;
                return;
        }
        if (tf->n_changed == tf->allocated_changed) {
                size_t size = tf->allocated_changed ? 2 * tf->allocated_changed : 16;
                char **p = realloc(tf->changed, size * sizeof *p);
                if (!p) {
                        changed_clear(tf);
                        tf->full = true;
                        return;
                }
                tf->changed = p;
                tf->allocated_changed = size;
        }
        tf->changed[tf->n_changed] = strdup(path);
        if (!tf->changed[tf->n_changed]) {
                changed_clear(tf);
                tf->full = true;
                return;
        }
        tf->n_changed++;
}

/* Every VM into the fleet. */
static int read_all(Textfile *tf) {
        Vm *vms = NULL;
        size_t n = 0;
        int r;

        /* signals from now on are the next rewrite's; these are read now */
        changed_clear(tf);
        tf->full = false;
        r = read_vms(tf->client, &vms, &n);
        if (r == 0 && metrics_fleet_replace_all(&tf->fleet, vms, n) < 0)
                r = cli_error(-ENOMEM, "Out of memory.");
        vm_free_many(vms, n);
        return r;
}

/* The VMs signalled since the last read into the fleet: a GetAll each,
 * one gone meanwhile removed. */
static int read_changed(Textfile *tf) {
        char **paths = tf->changed;
        size_t n = tf->n_changed;
        Vm *vms = NULL;
        int r = 0;

        tf->changed = NULL;
        tf->n_changed = tf->allocated_changed = 0;
        if (n > 0) {
                vms = calloc(n, sizeof *vms);
                for (size_t i = 0; vms && i < n; i++)
                        if (!(vms[i].path = strdup(paths[i])))
                                r = -ENOMEM;
                if (!vms || r < 0)
                        r = cli_error(-ENOMEM, "Out of memory.");
        }
        if (r == 0 && n > 0)
                r = vm_load_paths(tf->client, vm_drop_lists, vms, n);
        /* a counter kind read again moved GuestDataStatus: its VM is here */
        if (r == 0 && n > 0)
                r = vm_load_counters(tf->client, vms, n);
        for (size_t i = 0; r == 0 && i < n; i++)
                if (vms[i].path)
                        r = metrics_fleet_set(&tf->fleet, &vms[i]) < 0 ? cli_error(-ENOMEM, "Out of memory.") : 0;
                else
                        metrics_fleet_remove(&tf->fleet, paths[i]);
        if (vms)
                vm_free_many(vms, n);
        for (size_t i = 0; i < n; i++)
                free(paths[i]);
        free(paths);
        return r;
}

/* Writes the text to a temporary file in DIR and renames it over
 * guestinfod.prom: node-exporter reads the old file or the new one, never
 * half of one. The temporary name does not end in .prom, so the collector
 * never reads it. No fsync: after a crash the next write replaces whatever
 * is there, and a rewrite every few seconds should not cost a disk flush. */
static int write_atomically(Textfile *tf) {
        _cleanup_(freep) char *tmp = NULL, *final = NULL;
        int fd, r = 0;

        if (asprintf(&tmp, "%s/." TEXTFILE_NAME ".XXXXXX", tf->dir) < 0 ||
            asprintf(&final, "%s/" TEXTFILE_NAME, tf->dir) < 0)
                return cli_error(-ENOMEM, "Out of memory.");
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return cli_error(-EIO, "Failed to create a file in %s: %s", tf->dir, strerror(errno));
        for (size_t done = 0; done < tf->text.len && r == 0;) {
                ssize_t k = write(fd, tf->text.data + done, tf->text.len - done);
                if (k < 0 && errno != EINTR)
                        r = -errno;
                else if (k > 0)
                        done += (size_t) k;
        }
        if (r == 0 && fchmod(fd, 0644) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, final) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(tmp);
                return cli_error(-EIO, "Failed to write %s/%s: %s", tf->dir, TEXTFILE_NAME, strerror(-r));
        }
        return 0;
}

/* Reads what changed (everything if it must) and writes the file. The
 * daemon away (or refusing) is not fatal: the file says guestinfod_up 0
 * until it is back, and then everything is read again. */
static int rewrite(Textfile *tf) {
        MetricsDaemon d;
        int r;

        /* from the start of the read: a change signalled while it reads
         * (the VMs are read with the bus running) is the next write's */
        tf->last_write_usec = now_usec();
        r = read_daemon(tf->client, &d);
        if (r == 0) {
                r = tf->full ? read_all(tf) : read_changed(tf);
                /* an InterfacesAdded or Removed we did not get */
                if (r == 0 && d.domain_count_known && d.domain_count != tf->fleet.n)
                        r = read_all(tf);
        }
        if (r == -ENOMEM) {
                metrics_daemon_done(&d);
                return r;
        }
        if (r < 0) {
                /* what was signalled meanwhile is lost with the read */
                metrics_fleet_clear(&tf->fleet);
                changed_clear(tf);
                tf->full = true;
                metrics_daemon_done(&d);
        }
        metrics_fleet_write(&tf->fleet, &d, &tf->text);
        metrics_daemon_done(&d);
        if (tf->text.failed)
                return cli_error(-ENOMEM, "Out of memory.");
        return write_atomically(tf);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Textfile *tf = userdata;
        int r;

        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        r = rewrite(tf);
        if (r < 0) {
                tf->error = r;
                return sd_event_exit(tf->event, 0);
        }
        return 0;
}

/* Something changed: one rewrite, at the earliest an interval after the
 * last. Signals that come while it is armed join that one. */
static void mark_dirty(Textfile *tf) {
        int enabled = SD_EVENT_OFF;
        uint64_t when;

        (void) sd_event_source_get_enabled(tf->timer, &enabled);
        if (enabled != SD_EVENT_OFF)
                return;
        when = tf->last_write_usec + tf->interval_usec;
        (void) sd_event_source_set_time(tf->timer, when);
        (void) sd_event_source_set_enabled(tf->timer, SD_EVENT_ONESHOT);
}

static bool is_domain_path(const char *path) {
        return strncmp(path, DOMAIN_PATH_PREFIX "/", strlen(DOMAIN_PATH_PREFIX "/")) == 0;
}

/* A property of the Manager or of one domain object. */
static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Textfile *tf = userdata;
        const char *path = sd_bus_message_get_path(m);

        if (path && is_domain_path(path))
                changed_add(tf, path);
        mark_dirty(tf);
        return 0;
}

/* InterfacesAdded or Removed: the object path is the first argument. */
static int on_interfaces(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Textfile *tf = userdata;
        const char *path = NULL;

        if (sd_bus_message_read(m, "o", &path) > 0 && is_domain_path(path))
                changed_add(tf, path);
        mark_dirty(tf);
        return 0;
}

/* The daemon went, came back or was replaced: everything again. */
static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Textfile *tf = userdata;
        changed_clear(tf);
        tf->full = true;
        mark_dirty(tf);
        return 0;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Textfile *tf = userdata;
        tf->error = cli_error(ERRNO_NOT_RUNNING, "Lost the connection to %s.", tf->client->where);
        return sd_event_exit(tf->event, 0);
}

static int add_matches(Textfile *tf) {
        sd_bus *bus = tf->client->bus;
        int r;

        r = sd_bus_match_signal(bus, NULL, BUS_NAME, MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                                "InterfacesAdded", on_interfaces, tf);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, BUS_NAME, MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                                        "InterfacesRemoved", on_interfaces, tf);
        if (r >= 0)
                r = sd_bus_add_match(bus, NULL,
                                     "type='signal',sender='" BUS_NAME "',interface='org.freedesktop.DBus.Properties',"
                                     "member='PropertiesChanged',path_namespace='" MANAGER_PATH "'",
                                     on_properties_changed, tf);
        /* the daemon going or coming back */
        if (r >= 0)
                r = sd_bus_add_match(bus, NULL,
                                     "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" BUS_NAME "'",
                                     on_owner_changed, tf);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                        "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, tf);
        return r;
}

static int run_textfile(BusClient *c, const char *dir, uint64_t interval_usec) {
        Textfile tf = { .client = c, .dir = dir, .interval_usec = interval_usec, .full = true };
        struct stat st;
        sigset_t mask;
        int r;

        /* said now, not after the first read */
        if (stat(dir, &st) < 0)
                return cli_error(ERRNO_USAGE, "Cannot use '%s' for --textfile: %s", dir, strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return cli_error(ERRNO_USAGE, "Cannot use '%s' for --textfile: %s", dir, strerror(ENOTDIR));
        if (access(dir, W_OK) < 0)
                return cli_error(ERRNO_USAGE, "Cannot write to '%s' (--textfile): %s", dir, strerror(errno));

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_default(&tf.event);
        if (r >= 0)
                r = sd_event_add_signal(tf.event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(tf.event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_time(tf.event, &tf.timer, CLOCK_MONOTONIC, 0, 0, on_timer, &tf);
        if (r >= 0)
                r = sd_event_source_set_enabled(tf.timer, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_bus_attach_event(c->bus, tf.event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                r = cli_error(-EIO, "Failed to set up the event loop: %s", strerror(-r));
                goto finish;
        }

        /* subscribe first, then read: no change falls between the two */
        r = add_matches(&tf);
        if (r < 0) {
                r = bus_client_report(c, r, NULL, NULL);
                goto finish;
        }
        r = rewrite(&tf);
        if (r == 0) {
                r = sd_event_loop(tf.event);
                r = r < 0 ? cli_error(-EIO, "Event loop failed: %s", strerror(-r)) : tf.error;
        }

finish:
        (void) sd_bus_detach_event(c->bus);
        sd_event_source_unref(tf.timer);
        sd_event_unref(tf.event);
        prom_text_done(&tf.text);
        metrics_fleet_done(&tf.fleet);
        changed_clear(&tf);
        free(tf.changed);
        return r;
}

int cmd_metrics(BusClient *c, const CliOptions *o) {
        PromText t = {};
        int r;

        if (o->textfile)
                return run_textfile(c, o->textfile, o->interval_usec);
        r = build(c, &t);
        if (r == 0 && fwrite(t.data, 1, t.len, stdout) != t.len)
                r = cli_error(-EIO, "Failed to write the output: %s", strerror(errno));
        prom_text_done(&t);
        return r == 0 ? output_flush() : r;
}
