/* guestinfoctl metrics [--textfile DIR [--interval SECONDS]]: the host's
 * guest data in Prometheus's text format, on stdout once, or kept current
 * in DIR/guestinfod.prom for node-exporter's textfile collector. Two calls
 * read everything: the Manager's GetAll and GetManagedObjects (for a fleet
 * too big for one bus message, ListDomains and a GetAll per VM). */
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
                } else if (streq(name, "DomainCount") && streq(contents, "u"))
                        r = sd_bus_message_read(m, "v", "u", &d->domain_count);
                else if (streq(name, "Version") && streq(contents, "s")) {
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

/* The daemon and its VMs into t. Returns 0, or -errno (cli.h) having said
 * why; then t holds nothing. */
static int build(BusClient *c, PromText *t) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        MetricsDaemon d = { .up = true };
        Vm *vms = NULL;
        size_t n = 0;
        int r;

        prom_text_reset(t);
        r = bus_client_get_all(c, MANAGER_PATH, MANAGER_INTERFACE, &error, &reply);
        if (r < 0)
                return bus_client_report(c, r, &error, NULL);
        r = read_manager(reply, &d);
        if (r < 0) {
                metrics_daemon_done(&d);
                return cli_error(-EIO, "Failed to parse guestinfod's answer: %s", strerror(-r));
        }
        /* a fleet too big for one message: a call per VM */
        r = vm_load_tree(c, vm_drop_lists, &vms, &n);
        if (r == -E2BIG)
                r = vm_load_each(c, vm_drop_lists, &vms, &n);
        if (r == 0)
                metrics_write(t, &d, vms, n);
        vm_free_many(vms, n);
        metrics_daemon_done(&d);
        if (r == 0 && t->failed)
                r = cli_error(-ENOMEM, "Out of memory.");
        return r;
}

/* ---- --textfile ---- */

typedef struct Textfile {
        BusClient *client;
        sd_event *event;
        sd_event_source *timer;
        const char *dir;
        uint64_t interval_usec;
        uint64_t last_write_usec; /* CLOCK_MONOTONIC, 0: never */
        PromText text;
        int error; /* why the loop ended, 0 for a signal */
} Textfile;

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

/* Reads everything and writes the file. The daemon away (or refusing) is
 * not fatal: the file says guestinfod_up 0 until it is back. */
static int rewrite(Textfile *tf) {
        int r;

        /* from the start of the read: a change signalled while it reads
         * (a fleet read VM by VM runs the bus) is the next write's */
        tf->last_write_usec = now_usec();
        r = build(tf->client, &tf->text);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                MetricsDaemon down = {};
                prom_text_reset(&tf->text);
                metrics_write(&tf->text, &down, NULL, 0);
        }
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

static int on_change(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        mark_dirty(userdata);
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
                                "InterfacesAdded", on_change, tf);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, BUS_NAME, MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                                        "InterfacesRemoved", on_change, tf);
        if (r >= 0)
                r = sd_bus_add_match(bus, NULL,
                                     "type='signal',sender='" BUS_NAME "',interface='org.freedesktop.DBus.Properties',"
                                     "member='PropertiesChanged',path_namespace='" MANAGER_PATH "'",
                                     on_change, tf);
        /* the daemon going or coming back */
        if (r >= 0)
                r = sd_bus_add_match(bus, NULL,
                                     "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" BUS_NAME "'",
                                     on_change, tf);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                        "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, tf);
        return r;
}

static int run_textfile(BusClient *c, const char *dir, uint64_t interval_usec) {
        Textfile tf = { .client = c, .dir = dir, .interval_usec = interval_usec };
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
