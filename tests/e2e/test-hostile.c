/* End to end: hostile guest agents. Next to a well-behaved VM with the real
 * qemu-ga (tests/vm/guest.env), VMs whose agent is tests/vm/hostile-agent.c
 * (tests/vm/guest-hostile.env), one per mode, run in four batches of at
 * most five. For each batch: the daemon stays up, its memory stays bounded,
 * the bus keeps answering (Ping latency before vs during), the good VM's
 * Refresh() keeps succeeding; then for each bad VM: what the daemon
 * publishes is bounded, valid UTF-8 and marked where cut, and the daemon's
 * log mentions the VM a handful of times, not once per poll.
 *
 * The daemon polls every 2 s with a 3 s agent timeout, so that "once per
 * poll" would show. A failed check prints "# PROBLEM: ..." lines and the
 * daemon's log lines for the VM; every problem is a test failure.
 *
 * When this test was written it found, in the daemon: a noncharacter
 * (U+FFFF) passed to the bus, failing GetManagedObjects for every client;
 * invalid UTF-8 in guest-info losing all guest data; one big kind costing
 * all the others; failures and agent flapping logged once per poll; guest
 * text (terminal escapes) written into the log. All fixed; the tests stay. */
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "guest.h"
#include "harness.h"
#include "bus-wire.h"

#define BUS_NAME "org.guestinfod.GuestInfo1"
#define DOMAIN_IFACE "org.guestinfod.GuestInfo1.Domain"
#define OS_IFACE "org.guestinfod.GuestInfo1.OS"
#define USERS_IFACE "org.guestinfod.GuestInfo1.Users"
#define FS_IFACE "org.guestinfod.GuestInfo1.Filesystems"
#define NETWORK_IFACE "org.guestinfod.GuestInfo1.Network"
#define ERROR_AGENT_FAILED "org.guestinfod.GuestInfo1.Error.AgentFailed"

/* The bounds the daemon promises (collectors/parsers/guest-data.h). */
#define STRING_MAX 1024
#define SUMMARY_MAX 10
#define LIST_MAX 256
#define COMMANDS_MAX 512
#define ELLIPSIS "\xe2\x80\xa6" /* U+2026 */
/* What the guest can make the daemon publish about its VM, on the wire
 * (GUEST_DATA_BUDGET): a bound for the object's GetAll bodies together and
 * for each reply about it. */
#define VM_WIRE_BUDGET (64 * 1024)

/* What this test asserts. */
#define AGENT_TIMEOUT_S "3" /* --agent-timeout */
/* Daemon VmRSS, every sample. Under AddressSanitizer (tools/check's second
 * pass sets DAEMON_ASAN_OPTIONS) shadow memory and the free quarantine
 * dominate RSS and say nothing about the daemon's own bound: that pass only
 * checks it stays sane; the normal build checks the real bound. */
#define RSS_MAX_KIB (getenv("DAEMON_ASAN_OPTIONS") ? 1024 * 1024 : 200 * 1024)
#define PING_MEDIAN_MAX_MS 100.0 /* during a batch */
#define REFRESH_MAX_S 5.0        /* the good VM's Refresh(), during a batch */
#define BAD_REFRESH_MAX_S 12.0   /* a bad VM's Refresh() answers (it may fail) */
#define LOG_LINES_MAX 5          /* daemon log lines naming one bad VM */
#define OBSERVE_S 12             /* per batch, once its agents connected */
#define BOOT_TIMEOUT_MS 150000

#define GOOD_VM "hx-qemuga"
#define GOOD_UUID "93000000-0000-4000-8000-000000000100"

typedef struct Vm {
        const char *mode;
        int batch;
        char name[32], uuid[40], path[256];
        bool running;
} Vm;

static Vm vms[] = {
        { .mode = "silent", .batch = 1 },     { .mode = "slow", .batch = 1 },
        { .mode = "badjson", .batch = 1 },    { .mode = "flap", .batch = 1 },
        { .mode = "users", .batch = 2 },      { .mode = "filesystems", .batch = 2 },
        { .mode = "interfaces", .batch = 2 }, { .mode = "longstrings", .batch = 2 },
        { .mode = "badutf8", .batch = 3 },    { .mode = "badutf8data", .batch = 3 },
        { .mode = "wrongtypes", .batch = 3 }, { .mode = "good", .batch = 3 },
        { .mode = "maxed", .batch = 4 },      { .mode = "old", .batch = 4 },
        { .mode = "disabled", .batch = 4 },   { .mode = "bare", .batch = 4 },
        { .mode = "errors", .batch = 4 },
};
#define N_VMS (sizeof vms / sizeof *vms)

/* GuestDataStatus's kinds, in its order */
#define ALL_KINDS                                                                                                      \
        ((const char *const[]){ "agent", "os", "hostname", "timezone", "users", "filesystems", "interfaces",           \
                                "fsfreeze", NULL })

static Harness H;
static char good_path[256], hostile_dir[512];
static double run_start;
static long rss_peak_kib;
static unsigned n_problems;

/* ---- small things ---- */

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void problem(const char *fmt, ...) {
        va_list ap;
        printf("# PROBLEM: ");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
        n_problems++;
}

static Vm *vm_by_mode(const char *mode) {
        for (size_t i = 0; i < N_VMS; i++)
                if (strcmp(vms[i].mode, mode) == 0)
                        return &vms[i];
        fail_msg("no VM for mode %s", mode);
        return NULL;
}

/* Strict UTF-8 (Unicode Table 3-7: no overlongs, no surrogates, nothing
 * above U+10FFFF), and no NUL inside. */
static bool utf8_valid(const char *s, size_t len) {
        const unsigned char *p = (const unsigned char *) s;
        for (size_t i = 0; i < len;) {
                unsigned char c = p[i], lo = 0x80, hi = 0xbf;
                size_t n;
                if (c == 0)
                        return false;
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        n = 2;
                else if (c >= 0xe0 && c <= 0xef) {
                        n = 3;
                        lo = c == 0xe0 ? 0xa0 : 0x80;
                        hi = c == 0xed ? 0x9f : 0xbf;
                } else if (c >= 0xf0 && c <= 0xf4) {
                        n = 4;
                        lo = c == 0xf0 ? 0x90 : 0x80;
                        hi = c == 0xf4 ? 0x8f : 0xbf;
                } else
                        return false;
                if (len - i < n || p[i + 1] < lo || p[i + 1] > hi)
                        return false;
                for (size_t k = 2; k < n; k++)
                        if (p[i + k] < 0x80 || p[i + k] > 0xbf)
                                return false;
                i += n;
        }
        return true;
}

static bool ends_with(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

/* The first bytes of s, printable, for messages. */
static const char *shown(const char *s) {
        static char buf[4][200];
        static int turn;
        char *out = buf[turn++ % 4];
        const unsigned char *p = (const unsigned char *) s;
        size_t k = 0;
        for (; *p && k < sizeof buf[0] - 8; p++)
                k += (size_t) snprintf(out + k, sizeof buf[0] - k, *p >= 0x20 && *p < 0x7f ? "%c" : "\\x%02x", *p);
        if (*p)
                snprintf(out + k, sizeof buf[0] - k, "...");
        return out;
}

static long daemon_rss_kib(void) {
        char path[64], line[256];
        long kib = -1;
        snprintf(path, sizeof path, "/proc/%d/status", (int) H.daemon_pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof line, f))
                if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
                        break;
        fclose(f);
        if (kib > rss_peak_kib)
                rss_peak_kib = kib;
        return kib;
}

/* Daemon log lines naming the VM ('name', as the daemon quotes it); in
 * *failures the most times one kind of data was reported missing ("gave no
 * users ..."): 1 is a failure reported once, more is once per poll. */
static size_t log_lines_about(const Vm *vm, bool print, size_t *failures) {
        char needle[64], line[8192], kinds[16][32];
        size_t n = 0, n_kinds = 0, times[16] = { 0 };
        *failures = 0;
        snprintf(needle, sizeof needle, "'%s'", vm->name);
        FILE *f = fopen(H.daemon_log, "re");
        if (!f)
                return 0;
        while (fgets(line, sizeof line, f))
                if (strstr(line, needle)) {
                        const char *g = strstr(line, "gave no ");
                        if (g) {
                                char kind[32];
                                snprintf(kind, sizeof kind, "%.*s", (int) strcspn(g + 8, " ("), g + 8);
                                size_t k = 0;
                                while (k < n_kinds && strcmp(kinds[k], kind) != 0)
                                        k++;
                                if (k == n_kinds && n_kinds < 16)
                                        snprintf(kinds[n_kinds++], sizeof kinds[0], "%s", kind);
                                if (k < 16 && ++times[k] > *failures)
                                        *failures = times[k];
                        }
                        if (print && n < 12)
                                printf("#   log: %s\n", shown(line));
                        n++;
                }
        fclose(f);
        return n;
}

/* ---- statistics ---- */

typedef struct Samples {
        double v[8192];
        size_t n;
} Samples;

static void add_sample(Samples *s, double v) {
        if (s->n < sizeof s->v / sizeof *s->v)
                s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

/* percentile p (0..100) of the samples, -1 without any */
static double percentile(const Samples *s, double p) {
        static double tmp[8192];
        if (s->n == 0)
                return -1;
        memcpy(tmp, s->v, s->n * sizeof *tmp);
        qsort(tmp, s->n, sizeof *tmp, cmp_double);
        size_t i = (size_t) (p / 100.0 * (double) (s->n - 1) + 0.5);
        return tmp[i];
}

static void print_samples(const char *what, const Samples *s) {
        printf("# %s: n=%zu median %.2f ms, p95 %.2f ms, max %.2f ms\n", what, s->n, percentile(s, 50),
               percentile(s, 95), percentile(s, 100));
}

static Samples ping_before, get_before;

/* Ping the daemon (org.freedesktop.DBus.Peer on the good VM's object) and
 * read one property: the round trips in ms, -1 on error. */
static double ping_ms(void) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        double t0 = harness_now();
        int r = sd_bus_call_method(H.bus, BUS_NAME, good_path, "org.freedesktop.DBus.Peer", "Ping", &e, NULL, "");
        sd_bus_error_free(&e);
        return r < 0 ? -1 : (harness_now() - t0) * 1000;
}

static double get_ms(void) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char *s = NULL;
        double t0 = harness_now();
        int r = sd_bus_get_property_string(H.bus, BUS_NAME, good_path, DOMAIN_IFACE, "AgentVersion", &e, &s);
        sd_bus_error_free(&e);
        free(s);
        return r < 0 ? -1 : (harness_now() - t0) * 1000;
}

/* Refresh() with a time limit; *error_name (static) "" on success. */
static int refresh(const char *path, double timeout_s, double *took, const char **error_name) {
        static char name[256];
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_message_new_method_call(H.bus, &m, BUS_NAME, path, DOMAIN_IFACE, "Refresh");
        if (r < 0)
                return r;
        double t0 = harness_now();
        r = sd_bus_call(H.bus, m, (uint64_t) (timeout_s * 1e6), &e, &reply);
        *took = harness_now() - t0;
        snprintf(name, sizeof name, "%s", r < 0 ? (e.name ? e.name : "(no name)") : "");
        *error_name = name;
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(m);
        return r;
}

/* ---- VMs ---- */

static int define_hostile(Vm *vm) {
        return guest_define_hostile(&H, vm->name, vm->uuid, hostile_dir, vm->mode);
}

static bool agent_connected(const char *path) {
        int b = 0;
        return harness_get_property(&H, path, DOMAIN_IFACE, "AgentConnected", 'b', &b) >= 0 && b;
}

static void stop_batch(int batch) {
        for (size_t i = 0; i < N_VMS; i++)
                if (vms[i].batch == batch && vms[i].running) {
                        double t0 = harness_now();
                        int r = harness_virsh(&H, "destroy %s", vms[i].name);
                        if (r != 0 || harness_now() - t0 > 10)
                                printf("# virsh destroy %s: status %d after %.1f s\n", vms[i].name, r,
                                       harness_now() - t0);
                        vms[i].running = false;
                }
}

/* ---- what the daemon publishes about a VM, checked as it is read ---- */

typedef struct Published {
        bool os, users, filesystems, interfaces; /* interfaces exported */
        size_t n_strings, n_cut, max_len;
        uint32_t user_count, fs_count;
        size_t n_users, n_list_users, n_fs, n_list_fs, n_ifaces, n_guest_only, n_commands;
        char hostname[2048], os_name[2048], pretty_name[2048], os_version[2048], agent_version[2048];
        char first_user[2048], first_mount[2048];
        uint64_t first_login;
} Published;

static void check_string(Published *p, const char *where, const char *s) {
        size_t len = strlen(s);
        p->n_strings++;
        if (len > p->max_len)
                p->max_len = len;
        if (!utf8_valid(s, len))
                problem("%s: not valid UTF-8: \"%s\"", where, shown(s));
        if (len > STRING_MAX)
                problem("%s: %zu bytes, more than %d: \"%s\"", where, len, STRING_MAX, shown(s));
        if (ends_with(s, ELLIPSIS))
                p->n_cut++;
}

/* Reads everything left in m, checking every string. In an a{sv}, where
 * becomes where.key. */
static int walk(sd_bus_message *m, const char *where, Published *p) {
        char type;
        const char *contents;
        int r;
        while ((r = sd_bus_message_peek_type(m, &type, &contents)) > 0) {
                if (type == 'e' && strcmp(contents, "sv") == 0) {
                        const char *key;
                        char sub[256];
                        if ((r = sd_bus_message_enter_container(m, 'e', "sv")) < 0 ||
                            (r = sd_bus_message_read(m, "s", &key)) < 0)
                                return r;
                        snprintf(sub, sizeof sub, "%s.%s", where, key);
                        if ((r = walk(m, sub, p)) < 0 || (r = sd_bus_message_exit_container(m)) < 0)
                                return r;
                } else if (type == 'a' || type == 'v' || type == 'r' || type == 'e') {
                        if ((r = sd_bus_message_enter_container(m, type, contents)) < 0 ||
                            (r = walk(m, where, p)) < 0 || (r = sd_bus_message_exit_container(m)) < 0)
                                return r;
                } else if (type == 's' || type == 'o' || type == 'g') {
                        const char *s;
                        if ((r = sd_bus_message_read_basic(m, type, &s)) < 0)
                                return r;
                        check_string(p, where, s);
                } else {
                        uint64_t v[2];
                        if ((r = sd_bus_message_read_basic(m, type, v)) < 0)
                                return r;
                }
        }
        return r;
}

/* Entries of the array at the top of a method reply or property value
 * (rewound; a property's value is in a variant). */
static size_t count_entries(sd_bus_message *m, const char *contents) {
        char type[64];
        size_t n = 0;
        snprintf(type, sizeof type, "a%s", contents);
        char top;
        sd_bus_message_rewind(m, true);
        if (sd_bus_message_peek_type(m, &top, NULL) > 0 && top == 'v' &&
            sd_bus_message_enter_container(m, 'v', type) < 0)
                return 0;
        if (sd_bus_message_enter_container(m, 'a', contents) <= 0)
                return 0;
        while (sd_bus_message_skip(m, contents) > 0)
                n++;
        return n;
}

static bool not_exported(const sd_bus_error *e) {
        return sd_bus_error_has_names(
                e, "org.freedesktop.DBus.Error.UnknownInterface", "org.freedesktop.DBus.Error.UnknownObject",
                "org.freedesktop.DBus.Error.UnknownProperty", "org.freedesktop.DBus.Error.UnknownMethod");
}

/* The string properties of an interface (see dbus/), to find the one a
 * failing GetAll choked on. */
static const char *const *string_props(const char *iface) {
        static const char *const os[] = { "OperatingSystemId",
                                          "OperatingSystemName",
                                          "OperatingSystemPrettyName",
                                          "OperatingSystemVersion",
                                          "OperatingSystemVersionId",
                                          "KernelRelease",
                                          "KernelVersion",
                                          "Machine",
                                          "OperatingSystemVariant",
                                          "OperatingSystemVariantId",
                                          "Hostname",
                                          "TimezoneName",
                                          NULL };
        static const char *const domain[] = { "Name", "UUID", "State", "AgentVersion", NULL };
        static const char *const none[] = { NULL };
        return strcmp(iface, OS_IFACE) == 0 ? os : strcmp(iface, DOMAIN_IFACE) == 0 ? domain : none;
}

/* Properties.GetAll of one interface, every string checked. */
static bool get_all(const Vm *vm, const char *iface, Published *p) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *short_name = strrchr(iface, '.') + 1;
        int r = sd_bus_call_method(H.bus, BUS_NAME, vm->path, "org.freedesktop.DBus.Properties", "GetAll", &e, &reply,
                                   "s", iface);
        if (r < 0) {
                bool exported = !not_exported(&e);
                if (exported) {
                        problem("%s: GetAll(%s) failed: %s: %s", vm->name, short_name, e.name, e.message);
                        for (const char *const *prop = string_props(iface); *prop; prop++) {
                                sd_bus_error pe = SD_BUS_ERROR_NULL;
                                char *v = NULL;
                                if (sd_bus_get_property_string(H.bus, BUS_NAME, vm->path, iface, *prop, &pe, &v) < 0)
                                        problem("%s: %s.%s cannot be read: %s: %s", vm->name, short_name, *prop,
                                                pe.name, pe.message);
                                sd_bus_error_free(&pe);
                                free(v);
                        }
                }
                sd_bus_error_free(&e);
                return exported;
        }
        char where[128];
        snprintf(where, sizeof where, "%s %s", vm->name, short_name);
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = walk(reply, where, p);
        if (r < 0)
                problem("%s: reading the %s properties failed: %s (a string sd-bus refuses?)", vm->name, short_name,
                        strerror(-r));
        sd_bus_message_unref(reply);
        return true;
}

/* A property of an array type: checked, counted. */
static size_t get_array(const Vm *vm, const char *iface, const char *prop, const char *contents, Published *p) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char type[64], where[128];
        snprintf(type, sizeof type, "a%s", contents);
        snprintf(where, sizeof where, "%s %s", vm->name, prop);
        int r = sd_bus_get_property(H.bus, BUS_NAME, vm->path, iface, prop, &e, &reply, type);
        if (r < 0) {
                problem("%s: reading %s failed: %s: %s", vm->name, prop, e.name, e.message);
                sd_bus_error_free(&e);
                return 0;
        }
        r = walk(reply, where, p);
        if (r < 0)
                problem("%s: reading %s failed: %s", vm->name, prop, strerror(-r));
        size_t n = count_entries(reply, contents);
        sd_bus_message_unref(reply);
        return n;
}

/* A method returning one array: checked, counted. */
static size_t call_array(const Vm *vm, const char *iface, const char *method, const char *contents, Published *p) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char where[128];
        snprintf(where, sizeof where, "%s %s()", vm->name, method);
        int r = sd_bus_call_method(H.bus, BUS_NAME, vm->path, iface, method, &e, &reply, "");
        if (r < 0) {
                problem("%s: %s() failed: %s: %s", vm->name, method, e.name, e.message);
                sd_bus_error_free(&e);
                return 0;
        }
        if ((r = walk(reply, where, p)) < 0)
                problem("%s: reading %s() failed: %s", vm->name, method, strerror(-r));
        size_t n = count_entries(reply, contents);
        sd_bus_message_unref(reply);
        return n;
}

/* Every string member of a JSON value: valid UTF-8 (jansson checked that
 * already) and within the bound. */
static void check_json_strings(json_t *j, const char *where, Published *p) {
        const char *key;
        json_t *v;
        size_t i;
        if (json_is_string(j))
                check_string(p, where, json_string_value(j));
        else if (json_is_object(j)) {
                json_object_foreach(j, key, v) check_json_strings(v, where, p);
        } else if (json_is_array(j)) {
                json_array_foreach(j, i, v) check_json_strings(v, where, p);
        }
}

/* One of the KubeVirt JSON methods: valid UTF-8, valid JSON, bounded. NULL
 * when it answers NoAgent (no guest data yet). */
static json_t *call_json(const Vm *vm, const char *method, Published *p) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *s;
        char where[128];
        json_t *j = NULL;
        snprintf(where, sizeof where, "%s %s()", vm->name, method);
        int r = sd_bus_call_method(H.bus, BUS_NAME, vm->path, DOMAIN_IFACE, method, &e, &reply, "");
        if (r < 0) {
                if (!sd_bus_error_has_name(&e, "org.guestinfod.GuestInfo1.Error.NoAgent"))
                        problem("%s: failed: %s: %s", where, e.name, e.message);
                sd_bus_error_free(&e);
                return NULL;
        }
        if ((r = sd_bus_message_read(reply, "s", &s)) < 0)
                problem("%s: reading the reply failed: %s", where, strerror(-r));
        else if (!utf8_valid(s, strlen(s)))
                problem("%s: not valid UTF-8", where);
        else {
                json_error_t je;
                j = json_loads(s, 0, &je);
                if (!j)
                        problem("%s: not valid JSON: %s", where, je.text);
                else
                        check_json_strings(j, where, p);
        }
        sd_bus_message_unref(reply);
        return j;
}

static void copy_prop(const Vm *vm, const char *iface, const char *prop, char *buf, size_t size) {
        char *s = NULL;
        buf[0] = '\0';
        if (harness_get_property(&H, vm->path, iface, prop, 's', &s) >= 0)
                snprintf(buf, size, "%s", s);
        free(s);
}

/* Reads all the daemon publishes about vm; every string is checked, every
 * list counted against its bound. */
static void inspect(const Vm *vm, Published *p) {
        memset(p, 0, sizeof *p);
        get_all(vm, DOMAIN_IFACE, p);
        p->n_commands = get_array(vm, DOMAIN_IFACE, "AgentSupportedCommands", "(sb)", p);
        copy_prop(vm, DOMAIN_IFACE, "AgentVersion", p->agent_version, sizeof p->agent_version);

        p->os = get_all(vm, OS_IFACE, p);
        if (p->os) {
                copy_prop(vm, OS_IFACE, "Hostname", p->hostname, sizeof p->hostname);
                copy_prop(vm, OS_IFACE, "OperatingSystemName", p->os_name, sizeof p->os_name);
                copy_prop(vm, OS_IFACE, "OperatingSystemPrettyName", p->pretty_name, sizeof p->pretty_name);
                copy_prop(vm, OS_IFACE, "OperatingSystemVersion", p->os_version, sizeof p->os_version);
        }

        p->users = get_all(vm, USERS_IFACE, p);
        if (p->users) {
                harness_get_property(&H, vm->path, USERS_IFACE, "UserCount", 'u', &p->user_count);
                p->n_users = get_array(vm, USERS_IFACE, "Users", "(ssta{sv})", p);
                p->n_list_users = call_array(vm, USERS_IFACE, "ListUsers", "(ssta{sv})", p);
                sd_bus_message *m = NULL;
                if (sd_bus_call_method(H.bus, BUS_NAME, vm->path, USERS_IFACE, "ListUsers", NULL, &m, "") >= 0) {
                        const char *name, *domain;
                        uint64_t t;
                        if (sd_bus_message_enter_container(m, 'a', "(ssta{sv})") > 0 &&
                            sd_bus_message_read(m, "(ssta{sv})", &name, &domain, &t, 0) > 0) {
                                snprintf(p->first_user, sizeof p->first_user, "%s", name);
                                p->first_login = t;
                        }
                        sd_bus_message_unref(m);
                }
        }

        p->filesystems = get_all(vm, FS_IFACE, p);
        if (p->filesystems) {
                harness_get_property(&H, vm->path, FS_IFACE, "FilesystemCount", 'u', &p->fs_count);
                p->n_fs = get_array(vm, FS_IFACE, "Filesystems", "(ssstta(ssa{sv})a{sv})", p);
                p->n_list_fs = call_array(vm, FS_IFACE, "ListFilesystems", "(ssstta(ssa{sv})a{sv})", p);
                sd_bus_message *m = NULL;
                if (sd_bus_call_method(H.bus, BUS_NAME, vm->path, FS_IFACE, "ListFilesystems", NULL, &m, "") >= 0) {
                        const char *disk, *mount;
                        if (sd_bus_message_enter_container(m, 'a', "(ssstta(ssa{sv})a{sv})") > 0 &&
                            sd_bus_message_enter_container(m, 'r', "ssstta(ssa{sv})a{sv}") > 0 &&
                            sd_bus_message_read(m, "ss", &disk, &mount) > 0)
                                snprintf(p->first_mount, sizeof p->first_mount, "%s", mount);
                        sd_bus_message_unref(m);
                }
        }

        p->interfaces = get_all(vm, NETWORK_IFACE, p);
        if (!p->interfaces)
                problem("%s: the Network interface is missing (it is always there)", vm->name);
        else {
                sd_bus_message *m = NULL;
                p->n_ifaces = get_array(vm, NETWORK_IFACE, "Interfaces", "(sssa(ssy)asa{sv})", p);
                if (sd_bus_get_property(H.bus, BUS_NAME, vm->path, NETWORK_IFACE, "Interfaces", NULL, &m,
                                        "a(sssa(ssy)asa{sv})") >= 0) {
                        const char *name;
                        if (sd_bus_message_enter_container(m, 'a', "(sssa(ssy)asa{sv})") > 0)
                                while (sd_bus_message_enter_container(m, 'r', "sssa(ssy)asa{sv}") > 0) {
                                        if (sd_bus_message_read(m, "s", &name) > 0 && name[0] == '\0')
                                                p->n_guest_only++;
                                        sd_bus_message_skip(m, "ssa(ssy)asa{sv}");
                                        sd_bus_message_exit_container(m);
                                }
                        sd_bus_message_unref(m);
                }
        }

        json_t *j = call_json(vm, "GetGuestOSInfo", p);
        if (j) {
                if (json_array_size(json_object_get(j, "userList")) > SUMMARY_MAX)
                        problem("%s: GetGuestOSInfo userList has %zu entries", vm->name,
                                json_array_size(json_object_get(j, "userList")));
                if (json_array_size(json_object_get(json_object_get(j, "fsInfo"), "disks")) > SUMMARY_MAX)
                        problem("%s: GetGuestOSInfo fsInfo.disks has %zu entries", vm->name,
                                json_array_size(json_object_get(json_object_get(j, "fsInfo"), "disks")));
                json_decref(j);
        }
        j = call_json(vm, "GetUserList", p);
        if (j && json_array_size(json_object_get(j, "items")) > LIST_MAX)
                problem("%s: GetUserList has %zu items", vm->name, json_array_size(json_object_get(j, "items")));
        json_decref(j);
        j = call_json(vm, "GetFilesystemList", p);
        if (j && json_array_size(json_object_get(j, "items")) > LIST_MAX)
                problem("%s: GetFilesystemList has %zu items", vm->name, json_array_size(json_object_get(j, "items")));
        json_decref(j);
        j = call_json(vm, "GetInterfaces", p);
        if (j && json_array_size(j) > 1 + SUMMARY_MAX)
                problem("%s: GetInterfaces has %zu entries", vm->name, json_array_size(j));
        json_decref(j);

        /* the bounds of the API */
        if (p->n_users > SUMMARY_MAX)
                problem("%s: Users has %zu entries, more than %d", vm->name, p->n_users, SUMMARY_MAX);
        if (p->n_list_users > LIST_MAX)
                problem("%s: ListUsers() has %zu entries, more than %d", vm->name, p->n_list_users, LIST_MAX);
        if (p->users && p->user_count < p->n_list_users)
                problem("%s: UserCount %u < ListUsers() %zu", vm->name, p->user_count, p->n_list_users);
        if (p->n_fs > SUMMARY_MAX)
                problem("%s: Filesystems has %zu entries, more than %d", vm->name, p->n_fs, SUMMARY_MAX);
        if (p->n_list_fs > LIST_MAX)
                problem("%s: ListFilesystems() has %zu entries, more than %d", vm->name, p->n_list_fs, LIST_MAX);
        if (p->filesystems && p->fs_count < p->n_list_fs)
                problem("%s: FilesystemCount %u < ListFilesystems() %zu", vm->name, p->fs_count, p->n_list_fs);
        if (p->n_ifaces > 1 + SUMMARY_MAX || p->n_guest_only > SUMMARY_MAX)
                problem("%s: Interfaces has %zu entries (%zu guest-only), more than 1 + %d", vm->name, p->n_ifaces,
                        p->n_guest_only, SUMMARY_MAX);
        if (p->n_commands > COMMANDS_MAX)
                problem("%s: AgentSupportedCommands has %zu entries", vm->name, p->n_commands);

        printf("# %s: exported%s%s%s%s; %zu strings (longest %zu bytes, %zu cut); UserCount %u, Users %zu, "
               "ListUsers %zu; FilesystemCount %u, Filesystems %zu, ListFilesystems %zu; Interfaces %zu "
               "(%zu guest-only); commands %zu\n",
               vm->name, p->os ? " OS" : "", p->users ? " Users" : "", p->filesystems ? " Filesystems" : "",
               p->interfaces ? " Network" : "", p->n_strings, p->max_len, p->n_cut, p->user_count, p->n_users,
               p->n_list_users, p->fs_count, p->n_fs, p->n_list_fs, p->n_ifaces, p->n_guest_only, p->n_commands);
        fflush(stdout);
}

/* The whole tree in one message (what every ObjectManager client reads
 * first): it must still be buildable, whatever one guest says. */
static void check_managed_objects(const char *when) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        Published all = { 0 };
        int r = sd_bus_call_method(H.bus, BUS_NAME, "/org/guestinfod/GuestInfo1", "org.freedesktop.DBus.ObjectManager",
                                   "GetManagedObjects", &e, &reply, "");
        if (r < 0)
                problem("GetManagedObjects failed %s: %s: %s (no client can list any VM)", when, e.name, e.message);
        else if ((r = walk(reply, "GetManagedObjects", &all)) < 0)
                problem("reading GetManagedObjects failed %s: %s", when, strerror(-r));
        else
                printf("# GetManagedObjects %s: %zu strings, all valid\n", when, all.n_strings);
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
}

/* The daemon log has a line naming the VM and containing what. */
static bool log_says(const Vm *vm, const char *what) {
        char needle[64], line[8192];
        bool found = false;
        snprintf(needle, sizeof needle, "'%s'", vm->name);
        FILE *f = fopen(H.daemon_log, "re");
        while (f && !found && fgets(line, sizeof line, f))
                found = strstr(line, needle) && strstr(line, what);
        if (f)
                fclose(f);
        return found;
}

/* How many lines of the daemon log contain what. */
static size_t log_count(const char *what) {
        char line[8192];
        size_t n = 0;
        FILE *f = fopen(H.daemon_log, "re");
        while (f && fgets(line, sizeof line, f))
                n += strstr(line, what) != NULL;
        if (f)
                fclose(f);
        return n;
}

/* Waits until the Users interface (a sign of guest data) is exported. */
static bool wait_guest_data(const Vm *vm, int timeout_s) {
        double end = harness_now() + timeout_s;
        uint32_t n;
        do {
                if (harness_get_property(&H, vm->path, USERS_IFACE, "UserCount", 'u', &n) >= 0)
                        return true;
                harness_settle(&H, 250);
        } while (harness_now() < end);
        return false;
}

/* ---- each kind's state, and why there is no data ---- */

/* dbus/org.guestinfod.GuestInfo1.Domain.xml: a message is sanitized and at
 * most this long. */
#define STATUS_MESSAGE_MAX 512

typedef struct KindState {
        char state[64];
        uint64_t collected;
        char message[2048];
} KindState;

/* Calls f for each entry of the VM's GuestDataStatus; false if it cannot be read. */
static bool each_kind_state(const Vm *vm, void (*f)(const Vm *, const char *, const KindState *, void *),
                            void *userdata) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        int r = sd_bus_get_property(H.bus, BUS_NAME, vm->path, DOMAIN_IFACE, "GuestDataStatus", &e, &m, "a(sstsa{sv})");
        if (r < 0) {
                problem("%s: GuestDataStatus cannot be read: %s: %s", vm->name, e.name, e.message);
                sd_bus_error_free(&e);
                return false;
        }
        r = sd_bus_message_enter_container(m, 'a', "(sstsa{sv})");
        while (r > 0 && (r = sd_bus_message_enter_container(m, 'r', "sstsa{sv}")) > 0) {
                const char *kind, *state, *message;
                KindState ks;
                if ((r = sd_bus_message_read(m, "sst", &kind, &state, &ks.collected)) < 0 ||
                    (r = sd_bus_message_read(m, "s", &message)) < 0 || (r = sd_bus_message_skip(m, "a{sv}")) < 0 ||
                    (r = sd_bus_message_exit_container(m)) < 0)
                        break;
                snprintf(ks.state, sizeof ks.state, "%s", state);
                snprintf(ks.message, sizeof ks.message, "%s", message);
                f(vm, kind, &ks, userdata);
                r = 1;
        }
        if (r < 0)
                problem("%s: reading GuestDataStatus failed: %s", vm->name, strerror(-r));
        sd_bus_message_unref(m);
        return r >= 0;
}

typedef struct FindKind {
        const char *kind;
        KindState *ret;
        bool found;
} FindKind;

static void find_kind(const Vm *vm, const char *kind, const KindState *ks, void *userdata) {
        FindKind *f = userdata;
        if (strcmp(kind, f->kind) == 0) {
                *f->ret = *ks;
                f->found = true;
        }
}

/* Waits (up to timeout_s) until kind is in state want; a problem if not.
 * *ret: the last entry read. */
static bool expect_state(const Vm *vm, const char *kind, const char *want, int timeout_s, KindState *ret) {
        double end = harness_now() + timeout_s;
        KindState ks = { .state = "" };
        FindKind f = { kind, &ks, false };
        for (;;) {
                f.found = false;
                if (each_kind_state(vm, find_kind, &f) && f.found && strcmp(ks.state, want) == 0)
                        break;
                if (harness_now() >= end) {
                        problem("%s: %s is %s (message \"%s\"), want %s", vm->name, kind,
                                f.found ? ks.state : "missing from GuestDataStatus", shown(ks.message), want);
                        break;
                }
                harness_settle(&H, 250);
        }
        if (ret)
                *ret = ks;
        return f.found && strcmp(ks.state, want) == 0;
}

/* kinds[i] is in states[i]: fresh ones collected (with a time), the others
 * without a message unless they failed or timed out. */
static void expect_states(const Vm *vm, const char *const kinds[], const char *const states[], int timeout_s) {
        for (size_t i = 0; kinds[i]; i++) {
                KindState ks;
                if (!expect_state(vm, kinds[i], states[i], timeout_s, &ks))
                        continue;
                bool failed = strcmp(states[i], "failed") == 0 || strcmp(states[i], "timed-out") == 0;
                if (strcmp(states[i], "fresh") == 0 && ks.collected == 0)
                        problem("%s: %s is fresh but its collected time is 0", vm->name, kinds[i]);
                if (failed != (ks.message[0] != '\0'))
                        problem("%s: %s is %s with message \"%s\"", vm->name, kinds[i], states[i], shown(ks.message));
        }
}

/* Every message in GuestDataStatus: bounded, valid UTF-8, no control
 * characters (the guest's text reaches them through libvirt's errors). */
static void check_message(const Vm *vm, const char *kind, const KindState *ks, void *userdata) {
        size_t len = strlen(ks->message);
        bool clean = utf8_valid(ks->message, len);
        for (size_t i = 0; clean && i < len; i++)
                clean = (unsigned char) ks->message[i] >= 0x20 && ks->message[i] != 0x7f;
        if (len > STATUS_MESSAGE_MAX || !clean)
                problem("%s: the %s message is %zu bytes%s: \"%s\"", vm->name, kind, len,
                        clean ? "" : ", not clean text", shown(ks->message));
}

/* Waits (up to timeout_s) until GuestDataReason is want. */
static void expect_reason(const Vm *vm, const char *want, int timeout_s) {
        double end = harness_now() + timeout_s;
        char *got = NULL;
        for (;;) {
                free(got);
                got = NULL;
                if (harness_get_property(&H, vm->path, DOMAIN_IFACE, "GuestDataReason", 's', &got) >= 0 &&
                    strcmp(got, want) == 0)
                        break;
                if (harness_now() >= end) {
                        problem("%s: GuestDataReason \"%s\", want \"%s\"", vm->name, got ? got : "(unreadable)", want);
                        break;
                }
                harness_settle(&H, 250);
        }
        free(got);
}

static void expect_string_prop(const Vm *vm, const char *iface, const char *prop, const char *want) {
        char got[2048];
        copy_prop(vm, iface, prop, got, sizeof got);
        if (strcmp(got, want) != 0)
                problem("%s: %s is \"%s\", want \"%s\"", vm->name, prop, shown(got), want);
}

/* Whether the agent was sent the command (or one starting so): the hostile
 * agent logs the first commands it gets to the guest's console. */
static bool agent_was_sent(const Vm *vm, const char *command) {
        char path[700], needle[128], line[4096];
        bool found = false;
        snprintf(path, sizeof path, "%s/%s-console.log", hostile_dir, vm->name);
        snprintf(needle, sizeof needle, "hostile-agent: <- %s", command);
        FILE *f = fopen(path, "re");
        if (!f) {
                problem("%s: no console log %s", vm->name, path);
                return false;
        }
        while (!found && fgets(line, sizeof line, f))
                found = strstr(line, needle) != NULL;
        fclose(f);
        return found;
}

/* A kind the agent does not have, or has blocked, is no failure. */
static void expect_no_failure_logged(const Vm *vm) {
        if (log_says(vm, "gave no"))
                problem("%s: the daemon logged a failure for it", vm->name);
}

/* The VM's interfaces hold this address (any prefix). */
static bool has_address(const Vm *vm, const char *address) {
        sd_bus_message *m = NULL;
        bool found = false;
        if (sd_bus_get_property(H.bus, BUS_NAME, vm->path, NETWORK_IFACE, "Interfaces", NULL, &m,
                                "a(sssa(ssy)asa{sv})") < 0)
                return false;
        if (sd_bus_message_enter_container(m, 'a', "(sssa(ssy)asa{sv})") > 0)
                while (!found && sd_bus_message_enter_container(m, 'r', "sssa(ssy)asa{sv}") > 0) {
                        const char *type, *addr;
                        uint8_t prefix;
                        sd_bus_message_skip(m, "sss");
                        if (sd_bus_message_enter_container(m, 'a', "(ssy)") > 0) {
                                while (!found && sd_bus_message_read(m, "(ssy)", &type, &addr, &prefix) > 0)
                                        found = strcmp(addr, address) == 0;
                                sd_bus_message_exit_container(m);
                        }
                        if (!found)
                                sd_bus_message_skip(m, "asa{sv}");
                        sd_bus_message_exit_container(m);
                }
        sd_bus_message_unref(m);
        return found;
}

/* libvirt's own typed call for a section (virsh guestinfo --user, ...):
 * its exit status, its words in *out. */
static int libvirt_guestinfo(const Vm *vm, const char *section, char **out) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "virsh -q -c '%s' guestinfo %s --%s 2>&1", H.uri, vm->name, section);
        char *argv[] = { "sh", "-c", cmd, NULL };
        return harness_run(argv, 60, out);
}

/* What every mode must satisfy, after its mode-specific checks. */
static void finish_mode(const Vm *vm) {
        size_t failures, n = log_lines_about(vm, true, &failures);
        printf("# %s: %zu daemon log lines name it (at most %d allowed); one kind reported missing at most %zu "
               "times\n",
               vm->name, n, LOG_LINES_MAX, failures);
        if (n > LOG_LINES_MAX)
                problem("%s: the daemon log names it %zu times: once per poll or event, not once", vm->name, n);
        /* every mode but flap misbehaves the same way all along: one streak */
        if (failures > 1 && strcmp(vm->mode, "flap") != 0)
                problem("%s: the daemon reported the same missing data %zu times: one failure, logged again and "
                        "again",
                        vm->name, failures);
        each_kind_state(vm, check_message, NULL);
        if (!harness_daemon_running(&H))
                problem("guestinfod is not running any more");
        long rss = daemon_rss_kib();
        if (rss > RSS_MAX_KIB)
                problem("guestinfod VmRSS %ld KiB, more than %d KiB", rss, (int) RSS_MAX_KIB);
        fflush(stdout);
        assert_int_equal(n_problems, 0);
}

/* A bad VM's Refresh() must answer (the bus is not blocked), and in time. */
static void check_bad_refresh(const Vm *vm, const char *want_error) {
        double took;
        const char *error_name;
        int r = refresh(vm->path, 30, &took, &error_name);
        printf("# %s: Refresh() answered in %.2f s: %s\n", vm->name, took, r >= 0 ? "success" : error_name);
        if (took > BAD_REFRESH_MAX_S)
                problem("%s: Refresh() took %.1f s, more than %.0f", vm->name, took, BAD_REFRESH_MAX_S);
        if (want_error && (r >= 0 || strcmp(error_name, want_error) != 0))
                problem("%s: Refresh() gave %s, not %s", vm->name, r >= 0 ? "success" : error_name, want_error);
}

/* ---- setup ---- */

/* short intervals, so that "once per poll" would show in the log */
static int start_daemon(void) {
        return harness_start_daemon(&H, H.uri, 60, "--agent-timeout=" AGENT_TIMEOUT_S, "--interval", "users=2",
                                    "--interval", "interfaces=2", "--interval", "os=2", "--interval", "hostname=2",
                                    "--interval", "timezone=2", "--interval", "filesystems=2", "--interval", "agent=6",
                                    NULL);
}

static int group_setup(void **state) {
        char good_dir[512], *p = NULL;

        run_start = harness_now();
        assert_int_equal(harness_setup(&H), 0);
        snprintf(good_dir, sizeof good_dir, "%s/good", H.dir);
        snprintf(hostile_dir, sizeof hostile_dir, "%s/hostile", H.dir);
        assert_int_equal(guest_build(&H, "guest.env", good_dir), 0);
        assert_int_equal(guest_build(&H, "guest-hostile.env", hostile_dir), 0);
        assert_int_equal(harness_start_libvirtd(&H, "qemu"), 0);

        assert_int_equal(guest_define(&H, GOOD_VM, GOOD_UUID, "guest.env", good_dir, true), 0);
        harness_domain_path(GOOD_UUID, &p);
        snprintf(good_path, sizeof good_path, "%s", p);
        free(p);
        for (size_t i = 0; i < N_VMS; i++) {
                Vm *vm = &vms[i];
                snprintf(vm->name, sizeof vm->name, "hx-%s", vm->mode);
                snprintf(vm->uuid, sizeof vm->uuid, "93000000-0000-4000-8000-0000000000%02zu", i + 1);
                harness_domain_path(vm->uuid, &p);
                snprintf(vm->path, sizeof vm->path, "%s", p);
                free(p);
                assert_int_equal(define_hostile(vm), 0);
        }

        assert_int_equal(start_daemon(), 0);
        double t0 = harness_now();
        assert_int_equal(harness_virsh(&H, "start %s", GOOD_VM), 0);
        assert_true(harness_wait_line(&H, "InterfacesAdded " GOOD_UUID " Filesystems(", BOOT_TIMEOUT_MS));
        printf("# %s (qemu-ga) up with guest data %.1f s after start\n", GOOD_VM, harness_now() - t0);

        /* the bus before any hostile VM */
        for (int i = 0; i < 100; i++) {
                add_sample(&ping_before, ping_ms());
                add_sample(&get_before, get_ms());
                harness_settle(&H, 10);
        }
        print_samples("Ping before", &ping_before);
        print_samples("Get(AgentVersion) before", &get_before);
        n_problems = 0;
        check_managed_objects("before");
        assert_int_equal(n_problems, 0);
        daemon_rss_kib();
        printf("# guestinfod VmRSS before: %ld KiB\n", rss_peak_kib);
        return 0;
}

/* SIGTERM must end the daemon within 5 s; if it does not, show where its
 * threads are before the harness kills it. */
static int stop_daemon(void) {
        pid_t pid = H.daemon_pid;
        int status;
        if (pid <= 0)
                return -1;
        kill(pid, SIGTERM);
        for (int i = 0; i < 500; i++) {
                if (waitpid(pid, &status, WNOHANG) == pid) {
                        H.daemon_pid = 0;
                        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                }
                usleep(10000);
        }
        char pid_s[16], *out = NULL;
        snprintf(pid_s, sizeof pid_s, "%d", (int) pid);
        char *argv[] = { "gdb", "-p", pid_s, "-batch", "-ex", "thread apply all bt", NULL };
        printf("# PROBLEM: guestinfod still runs 5 s after SIGTERM; its threads:\n");
        if (harness_run(argv, 60, &out) >= 0 && out)
                for (char *save = NULL, *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                        if (l[0] == '#' || strncmp(l, "Thread", 6) == 0)
                                printf("#   %s\n", l);
        free(out);
        fflush(stdout);
        return harness_stop_daemon(&H);
}

static int group_teardown(void **state) {
        printf("# run time %.0f s; guestinfod VmRSS peak %ld KiB (bound %d KiB)\n", harness_now() - run_start,
               rss_peak_kib, RSS_MAX_KIB);
        int status = stop_daemon();
        harness_cleanup(&H);
        assert_int_equal(status, 0);
        return 0;
}

static int reset_problems(void **state) {
        n_problems = 0;
        return 0;
}

/* ---- batches: the daemon, the bus and the good VM while bad VMs run ---- */

static void run_batch(int batch) {
        stop_batch(batch - 1);
        harness_clear_lines(&H);

        double t0 = harness_now();
        for (size_t i = 0; i < N_VMS; i++)
                if (vms[i].batch == batch) {
                        assert_int_equal(harness_virsh(&H, "start %s", vms[i].name), 0);
                        vms[i].running = true;
                }
        /* every hostile agent opens the port, so every channel connects */
        for (size_t i = 0; i < N_VMS; i++)
                if (vms[i].batch == batch) {
                        char needle[128];
                        snprintf(needle, sizeof needle, "PropertiesChanged %s AgentConnected=true", vms[i].uuid);
                        if (!harness_wait_line(&H, needle, (int) (BOOT_TIMEOUT_MS - (harness_now() - t0) * 1000)) &&
                            !agent_connected(vms[i].path))
                                problem("%s: the agent channel never connected", vms[i].name);
                }
        printf("# batch %d: agents connected %.1f s after start\n", batch, harness_now() - t0);

        Samples *ping = calloc(1, sizeof *ping), *get = calloc(1, sizeof *get);
        size_t ping_errors = 0, refreshes = 0, refresh_failures = 0;
        double refresh_max = 0, next_refresh = 0, next_rss = 0;
        long rss_max = 0;
        bool alive = true;
        t0 = harness_now();
        while (harness_now() - t0 < OBSERVE_S && alive) {
                double v = ping_ms();
                if (v < 0)
                        ping_errors++;
                else
                        add_sample(ping, v);
                if ((v = get_ms()) >= 0)
                        add_sample(get, v);
                if (harness_now() >= next_refresh) {
                        double took;
                        const char *error_name;
                        int r = refresh(good_path, 30, &took, &error_name);
                        refreshes++;
                        if (r < 0) {
                                refresh_failures++;
                                printf("# batch %d: good VM Refresh() failed after %.2f s: %s\n", batch, took,
                                       error_name);
                        }
                        if (took > refresh_max)
                                refresh_max = took;
                        next_refresh = harness_now() + 3;
                }
                if (harness_now() >= next_rss) {
                        long rss = daemon_rss_kib();
                        if (rss > rss_max)
                                rss_max = rss;
                        alive = harness_daemon_running(&H);
                        next_rss = harness_now() + 1;
                }
                harness_settle(&H, 100);
        }

        char what[64];
        printf("# batch %d (", batch);
        for (size_t i = 0; i < N_VMS; i++)
                if (vms[i].batch == batch)
                        printf(" %s", vms[i].mode);
        printf(" ), %d s:\n", OBSERVE_S);
        print_samples("Ping before", &ping_before);
        snprintf(what, sizeof what, "Ping during batch %d", batch);
        print_samples(what, ping);
        snprintf(what, sizeof what, "Get(AgentVersion) during batch %d", batch);
        print_samples(what, get);
        printf("# batch %d: %zu Ping errors; good VM Refresh() %zu times, %zu failed, slowest %.2f s; "
               "guestinfod VmRSS max %ld KiB\n",
               batch, ping_errors, refreshes, refresh_failures, refresh_max, rss_max);

        if (!alive)
                problem("guestinfod died during batch %d", batch);
        if (rss_max > RSS_MAX_KIB)
                problem("guestinfod VmRSS %ld KiB during batch %d, more than %d KiB", rss_max, batch,
                        (int) RSS_MAX_KIB);
        if (ping_errors > 0)
                problem("%zu Pings failed during batch %d", ping_errors, batch);
        if (percentile(ping, 50) > PING_MEDIAN_MAX_MS)
                problem("Ping median %.1f ms during batch %d, more than %.0f ms", percentile(ping, 50), batch,
                        PING_MEDIAN_MAX_MS);
        if (refresh_failures > 0 || refresh_max > REFRESH_MAX_S)
                problem("the good VM's Refresh() failed %zu of %zu times, slowest %.1f s (bound %.0f s) during batch "
                        "%d",
                        refresh_failures, refreshes, refresh_max, REFRESH_MAX_S, batch);
        free(ping);
        free(get);
        snprintf(what, sizeof what, "during batch %d", batch);
        check_managed_objects(what);

        /* the good VM still reports what it was built with */
        char *want = spec_value("guest.env", "$GUEST_HOSTNAME"), *got = NULL;
        if (harness_get_property(&H, good_path, OS_IFACE, "Hostname", 's', &got) < 0 || !want || strcmp(got, want) != 0)
                problem("the good VM's Hostname is '%s', not '%s'", got ? got : "(unreadable)", want ? want : "?");
        free(want);
        free(got);
        fflush(stdout);
        assert_int_equal(n_problems, 0);
}

static void test_batch1_silent_slow_badjson_flap(void **state) {
        run_batch(1);
}

static void test_batch2_users_filesystems_interfaces_longstrings(void **state) {
        run_batch(2);
}

/* GetManagedObjects must keep working for the whole tree while
 * hx-badutf8data runs (see test_badutf8data). */
static void test_batch3_badutf8_badutf8data_wrongtypes_good(void **state) {
        run_batch(3);
}

static void test_batch4_maxed_old_disabled_bare_errors(void **state) {
        run_batch(4);
}

/* ---- each mode ---- */

static void test_silent(void **state) {
        Vm *vm = vm_by_mode("silent");
        Published p;
        check_bad_refresh(vm, ERROR_AGENT_FAILED);
        inspect(vm, &p);
        if (p.os || p.users || p.filesystems)
                problem("%s: guest data exported from an agent that never answered", vm->name);
        expect_states(vm, (const char *const[]){ "agent", "os", "users", NULL },
                      (const char *const[]){ "timed-out", "timed-out", "timed-out" }, 10);
        expect_reason(vm, "agent-timed-out", 10);
        finish_mode(vm);
}

static void test_slow(void **state) {
        Vm *vm = vm_by_mode("slow");
        Published p;
        check_bad_refresh(vm, ERROR_AGENT_FAILED);
        inspect(vm, &p);
        if (p.os || p.users || p.filesystems)
                problem("%s: guest data exported from an agent that answers only after %d s", vm->name, 30);
        expect_states(vm, (const char *const[]){ "agent", "os", "users", NULL },
                      (const char *const[]){ "timed-out", "timed-out", "timed-out" }, 10);
        expect_reason(vm, "agent-timed-out", 10);
        finish_mode(vm);
}

/* Garbage for replies: each kind failed, with libvirt's words about the
 * garbage made clean text (finish_mode checks every message). */
static void test_badjson(void **state) {
        Vm *vm = vm_by_mode("badjson");
        Published p;
        KindState ks;
        check_bad_refresh(vm, ERROR_AGENT_FAILED);
        inspect(vm, &p);
        expect_states(vm, (const char *const[]){ "agent", "os", "users", NULL },
                      (const char *const[]){ "failed", "failed", "failed" }, 10);
        if (expect_state(vm, "agent", "failed", 1, &ks))
                printf("# %s: agent failed: \"%s\"\n", vm->name, shown(ks.message));
        expect_reason(vm, "agent-failed", 10);
        finish_mode(vm);
}

/* An agent that connects and disconnects all the time (~1/s: QEMU
 * rate-limits VSERPORT_CHANGE) must not flood the log. */
static void test_flap(void **state) {
        Vm *vm = vm_by_mode("flap");
        Published p;
        check_bad_refresh(vm, NULL);
        inspect(vm, &p);
        finish_mode(vm);
}

/* A worker stuck in an agent call (here a 300 s response timeout against the
 * silent agent) must not hold up a stop: SIGTERM still ends the daemon
 * cleanly within stop_daemon()'s 5 s, saying what it left behind. */
static void test_stop_with_agent_call_in_flight(void **state) {
        Vm *vm = vm_by_mode("silent");
        assert_int_equal(stop_daemon(), 0);
        assert_int_equal(harness_start_daemon(&H, H.uri, 60, "--agent-timeout=300", NULL), 0);
        /* READY comes after the first list; the silent agent's first
         * collection starts right after it and never ends */
        harness_settle(&H, 2000);
        /* its agent is connected, so its first collection is in flight */
        int connected = 0;
        assert_int_equal(harness_get_property(&H, vm->path, DOMAIN_IFACE, "AgentConnected", 'b', &connected), 0);
        assert_true(connected);
        size_t said = log_count("still in flight");

        double t0 = harness_now();
        int status = stop_daemon();
        double took = harness_now() - t0;
        printf("# SIGTERM with a call in flight: exit status %d after %.2f s\n", status, took);
        assert_int_equal(status, 0);
        assert_int_equal(log_count("still in flight"), said + 1);

        /* the usual daemon for the tests that follow (it sets the 3 s timeout
         * on each domain again before asking) */
        assert_int_equal(start_daemon(), 0);
}

/* 100000 users, 10000 filesystems, 5000 interfaces. libvirt 9.0 cannot carry
 * such an answer as typed parameters (its RPC refuses more than 2048), so the
 * daemon reads the agent's own reply, which libvirt carries up to 4 MiB
 * (10000 filesystems: 2.6 MB; 100000 users: 7 MB, too much), and a guest
 * slow to send it may hit the agent timeout. The promise: the rest of the
 * guest's data is published all the same, the lists stay bounded, and a
 * kind that could not be read is reported once in the log — or, when it
 * does come through, the count is the guest's and the lists are capped. */
static void check_big_list(const Vm *vm, const char *kind, uint32_t count, uint32_t want, size_t summary, size_t list) {
        char what[64];
        if (summary > SUMMARY_MAX || list > LIST_MAX)
                problem("%s: %zu %s in the summary, %zu in the full list: more than %d and %d", vm->name, summary, kind,
                        list, SUMMARY_MAX, LIST_MAX);
        snprintf(what, sizeof what, "gave no %s", kind);
        if (count != want && !log_says(vm, what))
                problem("%s: %s count %u, the guest reported %u, and the log does not say they could not be read",
                        vm->name, kind, count, want);
        printf("# %s: %s count %u of %u%s\n", vm->name, kind, count, want,
               count != want ? " (reported in the log as not readable through libvirt)" : "");
}

static void test_users(void **state) {
        Vm *vm = vm_by_mode("users");
        Published p;
        if (!wait_guest_data(vm, 10))
                problem("%s: no guest data published (Users not exported) for a guest with 100000 users", vm->name);
        inspect(vm, &p);
        if (!p.os)
                problem("%s: the OS interface is missing: one big kind cost the others", vm->name);
        check_big_list(vm, "users", p.user_count, 100000, p.n_users, p.n_list_users);
        finish_mode(vm);
}

static void test_filesystems(void **state) {
        Vm *vm = vm_by_mode("filesystems");
        Published p;
        if (!wait_guest_data(vm, 10))
                problem("%s: no guest data published for a guest with 10000 filesystems", vm->name);
        inspect(vm, &p);
        if (!p.os)
                problem("%s: the OS interface is missing: one big kind cost the others", vm->name);
        check_big_list(vm, "filesystems", p.fs_count, 10000, p.n_fs, p.n_list_fs);
        finish_mode(vm);
}

/* 5000 guest interfaces + lo + eth0: the domain NIC and 10 guest-only ones. */
static void test_interfaces(void **state) {
        Vm *vm = vm_by_mode("interfaces");
        Published p;
        if (!wait_guest_data(vm, 10))
                problem("%s: no guest data published for a guest with 5000 interfaces", vm->name);
        inspect(vm, &p);
        if (!p.os)
                problem("%s: the OS interface is missing: one big kind cost the others", vm->name);
        if (p.n_ifaces > 1 + SUMMARY_MAX || p.n_guest_only > SUMMARY_MAX)
                problem("%s: Interfaces has %zu entries, %zu guest-only: want at most 1 + %d", vm->name, p.n_ifaces,
                        p.n_guest_only, SUMMARY_MAX);
        /* Too many for libvirt's typed parameters (5000 × 15), well within
         * what it carries of the agent's own reply (~750 KB): read that way. */
        if (p.n_guest_only != SUMMARY_MAX)
                problem("%s: %zu guest-only interfaces, want %d: the agent's own reply was not read", vm->name,
                        p.n_guest_only, SUMMARY_MAX);
        finish_mode(vm);
}

/* 1 MiB strings: cut to at most 1024 bytes, at a character boundary,
 * ending with "…". */
static void check_cut(const Vm *vm, const char *what, const char *s, const char *prefix) {
        if (strlen(s) > STRING_MAX || !ends_with(s, ELLIPSIS) || strncmp(s, prefix, strlen(prefix)) != 0)
                problem("%s: %s is %zu bytes \"%s\": want at most %d bytes, starting with \"%s\", ending with \"…\"",
                        vm->name, what, strlen(s), shown(s), STRING_MAX, prefix);
}

static void test_longstrings(void **state) {
        Vm *vm = vm_by_mode("longstrings");
        Published p;
        if (!wait_guest_data(vm, 10))
                problem("%s: no guest data published for a guest with 1 MiB strings", vm->name);
        inspect(vm, &p);
        char *hostname = spec_value("guest-hostile.env", "$GUEST_HOSTNAME");
        assert_non_null(hostname);
        if (p.os) {
                check_cut(vm, "Hostname", p.hostname, hostname);
                check_cut(vm, "OperatingSystemName", p.os_name, "Hostile Agent-");
                check_cut(vm, "OperatingSystemPrettyName", p.pretty_name, "Hostile Agent 1.0-");
                check_cut(vm, "OperatingSystemVersion", p.os_version, "1.0-");
        }
        if (p.users) {
                if (p.user_count != 3)
                        problem("%s: UserCount %u, the guest reported 3", vm->name, p.user_count);
                check_cut(vm, "the first user's name", p.first_user, "user000000-");
        }
        check_cut(vm, "AgentVersion", p.agent_version, "7.2.0-hostile-");
        free(hostname);
        finish_mode(vm);
}

/* badutf8: invalid UTF-8 in guest-info must not cost the rest of the
 * guest's data. badutf8data: noncharacters and invalid bytes in names are
 * replaced before they reach the bus (sd-bus refuses U+FFFF). */
static void check_badutf8(const char *mode) {
        Vm *vm = vm_by_mode(mode);
        Published p;
        if (!wait_guest_data(vm, 10))
                problem("%s: no guest data published", vm->name);
        inspect(vm, &p);
        if (p.os && strncmp(p.os_name, "Hostile Agent", 13) != 0)
                problem("%s: OS Name \"%s\" lost its valid start \"Hostile Agent\"", vm->name, shown(p.os_name));
        if (p.users && p.user_count != 1)
                problem("%s: UserCount %u, the guest reported 1", vm->name, p.user_count);
        finish_mode(vm);
}

static void test_badutf8(void **state) {
        check_badutf8("badutf8");
}

static void test_badutf8data(void **state) {
        check_badutf8("badutf8data");
}

static void test_wrongtypes(void **state) {
        Vm *vm = vm_by_mode("wrongtypes");
        Published p;
        check_bad_refresh(vm, NULL);
        inspect(vm, &p);
        finish_mode(vm);
}

/* The sanity check: the hostile agent's good mode is published exactly. */
static void test_good(void **state) {
        Vm *vm = vm_by_mode("good");
        Published p;
        if (!wait_guest_data(vm, 10))
                problem("%s: no guest data published", vm->name);
        inspect(vm, &p);
        char *hostname = spec_value("guest-hostile.env", "$GUEST_HOSTNAME");
        char *os_name = spec_value("guest-hostile.env", "$OS_NAME");
        char *user = spec_value("guest-hostile.env", "${GUEST_USERS%%:*}");
        assert_non_null(hostname);
        assert_non_null(os_name);
        assert_non_null(user);
        if (strcmp(p.hostname, hostname) != 0 || strcmp(p.os_name, os_name) != 0)
                problem("%s: Hostname '%s', Name '%s': the guest says '%s', '%s'", vm->name, p.hostname, p.os_name,
                        hostname, os_name);
        if (p.user_count != 1 || strcmp(p.first_user, user) != 0)
                problem("%s: UserCount %u, first user '%s': want 1, '%s'", vm->name, p.user_count, p.first_user, user);
        if (p.fs_count != 1)
                problem("%s: FilesystemCount %u, want 1", vm->name, p.fs_count);
        if (p.n_ifaces != 1 || p.n_guest_only != 0)
                problem("%s: %zu interfaces (%zu guest-only), want the NIC merged with eth0 only", vm->name, p.n_ifaces,
                        p.n_guest_only);
        if (strcmp(p.agent_version, "7.2.0-hostile") != 0 || p.n_commands != 13)
                problem("%s: AgentVersion '%s' with %zu commands, want '7.2.0-hostile' with 13", vm->name,
                        p.agent_version, p.n_commands);
        expect_states(vm, ALL_KINDS,
                      (const char *const[]){ "fresh", "fresh", "fresh", "fresh", "fresh", "fresh", "fresh", "fresh" },
                      10);
        expect_reason(vm, "", 10);
        expect_string_prop(vm, DOMAIN_IFACE, "FsFreezeStatus", "thawed");
        free(hostname);
        free(os_name);
        free(user);
        double took;
        const char *error_name;
        if (refresh(vm->path, 30, &took, &error_name) < 0 || took > REFRESH_MAX_S)
                problem("%s: Refresh() %s after %.1f s", vm->name, error_name[0] ? error_name : "succeeded", took);
        finish_mode(vm);
}

/* The body of a reply on the wire; 0 (and a problem) if the call failed. */
static size_t reply_bytes(const char *path, const char *iface, const char *member, const char *types, const char *a1,
                          const char *a2) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        uint64_t size = 0;
        int r = sd_bus_call_method(H.bus, BUS_NAME, path, iface, member, &e, &reply, types, a1, a2);
        if (r < 0)
                problem("%s %s(%s): %s: %s", path, member, a1 ? a1 : "", e.name, e.message);
        else if ((r = wire_body_size(reply, &size)) < 0)
                problem("%s %s(%s): cannot read the reply: %s", path, member, a1 ? a1 : "", strerror(-r));
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        return size;
}

/* What GetManagedObjects and InterfacesAdded carry of an object: the
 * bodies of GetAll for each of its interfaces, summed. */
static size_t object_bytes(const char *path, bool guest_data) {
        static const char *const ifaces[] = { DOMAIN_IFACE, NETWORK_IFACE, OS_IFACE, USERS_IFACE, FS_IFACE };
        size_t sum = 0;
        for (size_t i = 0; i < (guest_data ? 5 : 2); i++) {
                size_t n = reply_bytes(path, "org.freedesktop.DBus.Properties", "GetAll", "s", ifaces[i], NULL);
                printf("#   GetAll(%s): %zu bytes\n", strrchr(ifaces[i], '.') + 1, n);
                sum += n;
        }
        return sum;
}

/* Every string at its cap, every list past its count: what the VM costs on
 * the wire stays within the budget, the lists are cut at their tail and
 * the counts still say what the guest claimed; the good VM beside it keeps
 * its data. Before the budget, this guest's object was ~1 MiB. */
static void test_maxed(void **state) {
        Vm *vm = vm_by_mode("maxed");
        Published p;
        if (!wait_guest_data(vm, 30))
                problem("%s: no guest data published", vm->name);
        inspect(vm, &p);
        printf("# %s on the wire:\n", vm->name);
        size_t object = object_bytes(vm->path, true);
        size_t commands = reply_bytes(vm->path, "org.freedesktop.DBus.Properties", "Get", "ss", DOMAIN_IFACE,
                                      "AgentSupportedCommands");
        size_t users = reply_bytes(vm->path, USERS_IFACE, "ListUsers", "", NULL, NULL);
        size_t filesystems = reply_bytes(vm->path, FS_IFACE, "ListFilesystems", "", NULL, NULL);
        printf("#   the object: %zu bytes (budget %d); Get(AgentSupportedCommands) %zu, ListUsers() %zu, "
               "ListFilesystems() %zu\n",
               object, VM_WIRE_BUDGET, commands, users, filesystems);
        if (object > VM_WIRE_BUDGET)
                problem("%s: its object is %zu bytes on the wire, more than %d", vm->name, object, VM_WIRE_BUDGET);
        if (commands > VM_WIRE_BUDGET || users > VM_WIRE_BUDGET || filesystems > VM_WIRE_BUDGET)
                problem("%s: a reply about it is over %d bytes (commands %zu, users %zu, filesystems %zu)", vm->name,
                        VM_WIRE_BUDGET, commands, users, filesystems);
        if (object + commands + users + filesystems > 2 * VM_WIRE_BUDGET)
                problem("%s: %zu bytes in all about it, more than twice the budget", vm->name,
                        object + commands + users + filesystems);
        /* cut, and the cut shows: the counts are the guest's */
        if (!p.os || !p.users || !p.filesystems)
                problem("%s: guest data missing (OS %d, Users %d, Filesystems %d)", vm->name, p.os, p.users,
                        p.filesystems);
        if (p.user_count != 300 || p.n_list_users == 0 || p.n_list_users >= 300)
                problem("%s: UserCount %u, ListUsers() %zu: want 300 and a non-empty cut list", vm->name, p.user_count,
                        p.n_list_users);
        if (p.fs_count != 260 || p.n_list_fs == 0 || p.n_list_fs >= 260)
                problem("%s: FilesystemCount %u, ListFilesystems() %zu: want 260 and a non-empty cut list", vm->name,
                        p.fs_count, p.n_list_fs);
        /* the agent's own commands come first: all kept, so every kind is asked for */
        if (p.n_commands < 13 || p.n_commands >= 613)
                problem("%s: %zu commands kept of 613: want the first ones, cut", vm->name, p.n_commands);
        if (p.n_guest_only == 0)
                problem("%s: no guest-only interface kept", vm->name);
        if (p.max_len > 1024)
                problem("%s: a string of %zu bytes", vm->name, p.max_len);

        /* the good VM beside it */
        printf("# %s on the wire:\n", GOOD_VM);
        size_t good = object_bytes(good_path, true);
        Vm good_vm = { .mode = "qemu-ga" };
        snprintf(good_vm.name, sizeof good_vm.name, "%s", GOOD_VM);
        snprintf(good_vm.path, sizeof good_vm.path, "%s", good_path);
        Published g;
        inspect(&good_vm, &g);
        printf("#   the object: %zu bytes\n", good);
        if (!g.os || !g.users || !g.filesystems || g.n_commands < 20 || g.n_cut > 0)
                problem("%s: its data changed beside the maxed-out VM (OS %d, Users %d, Filesystems %d, %zu commands, "
                        "%zu strings cut)",
                        GOOD_VM, g.os, g.users, g.filesystems, g.n_commands, g.n_cut);
        check_managed_objects("with the maxed-out VM");
        finish_mode(vm);
}

/* An old agent (CentOS 6's, macOS's): no osinfo, host name, timezone or
 * freeze status, and its users, filesystems and interfaces in shapes
 * libvirt 9.0's typed calls refuse (a user without a login time, a
 * filesystem without disks, addresses without prefixes). Each of those is
 * then read from the agent's own reply: fresh, with the guest's values. */
static void test_old(void **state) {
        static const char *const sections[] = { "user", "filesystem", "interface" };
        Vm *vm = vm_by_mode("old");
        Published p;
        if (!wait_guest_data(vm, 10))
                problem("%s: no guest data published for an old agent", vm->name);
        inspect(vm, &p);

        /* libvirt itself cannot read them: what is published came raw */
        for (size_t i = 0; i < 3; i++) {
                char *out = NULL;
                int r = libvirt_guestinfo(vm, sections[i], &out);
                printf("# %s: virsh guestinfo --%s: status %d: %s\n", vm->name, sections[i], r, shown(out ? out : ""));
                if (r == 0)
                        problem("%s: libvirt reads its %s reply: the mode no longer needs the raw fallback", vm->name,
                                sections[i]);
                free(out);
        }
        expect_states(vm, ALL_KINDS,
                      (const char *const[]){ "fresh", "unsupported", "unsupported", "unsupported", "fresh", "fresh",
                                             "fresh", "unsupported" },
                      10);
        expect_reason(vm, "", 10);
        expect_string_prop(vm, DOMAIN_IFACE, "FsFreezeStatus", "");

        /* the values: one user without a login time, /data without disks,
         * eth0 merged with the NIC, its addresses without prefixes */
        char *user = spec_value("guest-hostile.env", "${GUEST_USERS%%:*}");
        char *mount = spec_value("guest-hostile.env", "$DATA_DISK_MOUNT");
        char *ipv4 = spec_value("guest-hostile.env", "${GUEST_IPV4%%/*}");
        char *ipv6 = spec_value("guest-hostile.env", "${GUEST_IPV6%%/*}");
        assert_non_null(user);
        assert_non_null(mount);
        assert_non_null(ipv4);
        assert_non_null(ipv6);
        if (p.user_count != 1 || strcmp(p.first_user, user) != 0 || p.first_login != 0)
                problem("%s: UserCount %u, first user '%s' logged in at %" PRIu64 ": want 1, '%s', 0 (not said)",
                        vm->name, p.user_count, p.first_user, p.first_login, user);
        if (p.fs_count != 1 || strcmp(p.first_mount, mount) != 0)
                problem("%s: FilesystemCount %u, first at '%s': want 1, '%s'", vm->name, p.fs_count, p.first_mount,
                        mount);
        if (p.n_ifaces != 1 || p.n_guest_only != 0 || !has_address(vm, ipv4) || !has_address(vm, ipv6))
                problem("%s: %zu interfaces (%zu guest-only), %s %s: want the NIC merged with eth0 holding both",
                        vm->name, p.n_ifaces, p.n_guest_only, has_address(vm, ipv4) ? "with" : "without", ipv4);
        if (p.n_commands != 7)
                problem("%s: %zu commands, the agent lists 7", vm->name, p.n_commands);
        free(user);
        free(mount);
        free(ipv4);
        free(ipv6);
        expect_no_failure_logged(vm);
        finish_mode(vm);
}

/* guest-get-users and guest-get-fsinfo blocked by the guest's admin
 * (listed "enabled": false, refused if called): disabled, not failed, and
 * never sent; everything else as from a good agent. */
static void test_disabled(void **state) {
        Vm *vm = vm_by_mode("disabled");
        Published p;
        if (!wait_guest_data(vm, 10))
                problem("%s: no guest data published", vm->name);
        inspect(vm, &p);
        expect_states(
                vm, ALL_KINDS,
                (const char *const[]){ "fresh", "fresh", "fresh", "fresh", "disabled", "disabled", "fresh", "fresh" },
                10);
        expect_reason(vm, "", 10);
        expect_string_prop(vm, DOMAIN_IFACE, "FsFreezeStatus", "thawed");
        char *hostname = spec_value("guest-hostile.env", "$GUEST_HOSTNAME");
        assert_non_null(hostname);
        expect_string_prop(vm, OS_IFACE, "Hostname", hostname);
        free(hostname);
        if (p.n_ifaces != 1)
                problem("%s: %zu interfaces, want the NIC merged with eth0", vm->name, p.n_ifaces);
        if (p.n_commands != 13)
                problem("%s: %zu commands, the agent lists 13", vm->name, p.n_commands);
        if (agent_was_sent(vm, "guest-get-users") || agent_was_sent(vm, "guest-get-fsinfo"))
                problem("%s: the agent was sent a command it lists disabled", vm->name);
        expect_no_failure_logged(vm);
        finish_mode(vm);
}

/* An agent with no command for guest data: the reason says so, every kind
 * is unsupported, nothing is asked of it but guest-info, nothing fails. */
static void test_bare(void **state) {
        Vm *vm = vm_by_mode("bare");
        Published p;
        expect_reason(vm, "agent-lacks-commands", 10);
        inspect(vm, &p);
        if (p.os || p.users || p.filesystems)
                problem("%s: guest data exported for an agent that has none (OS %d, Users %d, Filesystems %d)",
                        vm->name, p.os, p.users, p.filesystems);
        expect_states(vm, ALL_KINDS,
                      (const char *const[]){ "fresh", "unsupported", "unsupported", "unsupported", "unsupported",
                                             "unsupported", "unsupported", "unsupported" },
                      10);
        expect_string_prop(vm, DOMAIN_IFACE, "FsFreezeStatus", "");
        if (p.n_commands != 4)
                problem("%s: %zu commands, the agent lists 4", vm->name, p.n_commands);
        if (agent_was_sent(vm, "guest-get-") || agent_was_sent(vm, "guest-network-") ||
            agent_was_sent(vm, "guest-fsfreeze-"))
                problem("%s: the agent was sent a command it does not list", vm->name);
        double took;
        const char *error_name;
        if (refresh(vm->path, 30, &took, &error_name) < 0)
                problem("%s: Refresh() failed (%s): nothing failed, the agent has nothing to say", vm->name,
                        error_name);
        expect_no_failure_logged(vm);
        finish_mode(vm);
}

typedef struct GuestWords {
        size_t n_failed, n_quoted, longest;
} GuestWords;

static void count_guest_words(const Vm *vm, const char *kind, const KindState *ks, void *userdata) {
        GuestWords *w = userdata;
        size_t len = strlen(ks->message);
        if (strcmp(ks->state, "failed") != 0)
                return;
        w->n_failed++;
        w->n_quoted += strstr(ks->message, "REFUSED") != NULL;
        if (len > w->longest)
                w->longest = len;
}

/* Every command for guest data answers an error of 4 KB with terminal
 * escapes, control characters and a lone surrogate, which libvirt quotes:
 * each kind failed, its message the guest's words made clean text (checked
 * by finish_mode: at most 512 bytes, valid UTF-8, no control characters),
 * and logged once. */
static void test_errors(void **state) {
        Vm *vm = vm_by_mode("errors");
        Published p;
        GuestWords w = { 0 };
        expect_reason(vm, "agent-failed", 10);
        inspect(vm, &p);
        if (p.os || p.users || p.filesystems)
                problem("%s: guest data exported from an agent that refuses everything", vm->name);
        expect_states(
                vm, ALL_KINDS,
                (const char *const[]){ "fresh", "failed", "failed", "failed", "failed", "failed", "failed", "failed" },
                10);
        each_kind_state(vm, count_guest_words, &w);
        KindState ks;
        if (expect_state(vm, "os", "failed", 1, &ks))
                printf("# %s: os failed: \"%s\"\n", vm->name, shown(ks.message));
        printf("# %s: %zu kinds failed, %zu quoting the guest, longest message %zu bytes\n", vm->name, w.n_failed,
               w.n_quoted, w.longest);
        /* the load, the disks and the NICs' counters too (this agent lists
         * their commands); it has no guest-get-vcpus, guest-get-time,
         * guest-get-cpustats or guest-get-diskstats */
        (void) expect_state(vm, "load", "failed", 1, &ks);
        (void) expect_state(vm, "disks", "failed", 1, &ks);
        (void) expect_state(vm, "nic-counters", "failed", 1, &ks);
        (void) expect_state(vm, "vcpus", "unsupported", 1, &ks);
        (void) expect_state(vm, "clock", "unsupported", 1, &ks);
        (void) expect_state(vm, "cpu-counters", "unsupported", 1, &ks);
        (void) expect_state(vm, "disk-counters", "unsupported", 1, &ks);
        if (w.n_quoted != 10 || w.longest < STATUS_MESSAGE_MAX / 2)
                problem("%s: %zu of 10 messages quote the guest, the longest is %zu bytes: want all, cut near %d",
                        vm->name, w.n_quoted, w.longest, STATUS_MESSAGE_MAX);
        finish_mode(vm);
}

/* What a guest says ends up in the daemon's log through libvirt's error
 * messages (badjson quotes its reply raw): the log must stay valid UTF-8,
 * without terminal escapes or other control characters.
 * libvirt's error text quotes the guest's line: the log gets it with
 * control characters and invalid bytes replaced, on one line. */
static void test_daemon_log_is_clean(void **state) {
        FILE *f = fopen(H.daemon_log, "re");
        char line[8192];
        size_t n = 0, bad = 0;
        assert_non_null(f);
        while (fgets(line, sizeof line, f)) {
                size_t len = strlen(line);
                bool ok = utf8_valid(line, len);
                for (size_t i = 0; ok && i < len; i++)
                        if (((unsigned char) line[i] < 0x20 && line[i] != '\n' && line[i] != '\t') || line[i] == 0x7f)
                                ok = false;
                n++;
                if (!ok && bad++ < 5)
                        problem("daemon log line %zu is not clean text: \"%s\"", n, shown(line));
        }
        fclose(f);
        printf("# daemon log: %zu lines, %zu with invalid UTF-8 or control characters\n", n, bad);
        assert_int_equal(bad, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_batch1_silent_slow_badjson_flap, reset_problems),
                cmocka_unit_test_setup(test_silent, reset_problems),
                cmocka_unit_test_setup(test_slow, reset_problems),
                cmocka_unit_test_setup(test_badjson, reset_problems),
                cmocka_unit_test_setup(test_flap, reset_problems),
                cmocka_unit_test_setup(test_stop_with_agent_call_in_flight, reset_problems),
                cmocka_unit_test_setup(test_batch2_users_filesystems_interfaces_longstrings, reset_problems),
                cmocka_unit_test_setup(test_users, reset_problems),
                cmocka_unit_test_setup(test_filesystems, reset_problems),
                cmocka_unit_test_setup(test_interfaces, reset_problems),
                cmocka_unit_test_setup(test_longstrings, reset_problems),
                cmocka_unit_test_setup(test_batch3_badutf8_badutf8data_wrongtypes_good, reset_problems),
                cmocka_unit_test_setup(test_badutf8, reset_problems),
                cmocka_unit_test_setup(test_badutf8data, reset_problems),
                cmocka_unit_test_setup(test_wrongtypes, reset_problems),
                cmocka_unit_test_setup(test_good, reset_problems),
                cmocka_unit_test_setup(test_batch4_maxed_old_disabled_bare_errors, reset_problems),
                cmocka_unit_test_setup(test_maxed, reset_problems),
                cmocka_unit_test_setup(test_old, reset_problems),
                cmocka_unit_test_setup(test_disabled, reset_problems),
                cmocka_unit_test_setup(test_bare, reset_problems),
                cmocka_unit_test_setup(test_errors, reset_problems),
                cmocka_unit_test_setup(test_daemon_log_is_clean, reset_problems),
        };
        return cmocka_run_group_tests_name("e2e: hostile guest agents", tests, group_setup, group_teardown);
}
