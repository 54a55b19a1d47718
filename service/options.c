#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-writer.h"
#include "guest-data.h"
#include "options.h"

/* Help text lines: the descriptions start here and end before this column. */
#define HELP_INDENT 24
#define HELP_WIDTH 80

/* Prints text as an option's description, wrapped at spaces. */
static void print_wrapped(const char *text) {
        const char *p = text;

        while (*p) {
                size_t room = HELP_WIDTH - HELP_INDENT, len = strlen(p), cut = len;
                if (len > room) {
                        cut = room;
                        while (cut > 0 && p[cut] != ' ')
                                cut--;
                        if (cut == 0)
                                cut = strcspn(p, " ");
                }
                printf("%*s%.*s\n", HELP_INDENT, "", (int) cut, p);
                p += cut;
                while (*p == ' ')
                        p++;
        }
}

/* "agent (default 300), os, ..., users, interfaces (10)": the kinds from
 * the longest default interval down, each interval after its last kind. */
static void kinds_with_defaults(char *buf, size_t size) {
        unsigned done = 0;
        size_t k = 0;
        bool first = true;

        buf[0] = '\0';
        for (int n = 0; n < GUEST_KIND_COUNT; n++) {
                int longest = -1;
                for (int i = 0; i < GUEST_KIND_COUNT; i++)
                        if (!(done & (1u << i)) &&
                            (longest < 0 || guest_kinds[i].interval_sec > guest_kinds[longest].interval_sec))
                                longest = i;
                for (int i = 0; i < GUEST_KIND_COUNT; i++) {
                        if ((done & (1u << i)) || guest_kinds[i].interval_sec != guest_kinds[longest].interval_sec)
                                continue;
                        done |= 1u << i;
                        k += (size_t) snprintf(buf + k, k < size ? size - k : 0, "%s%s", k ? ", " : "",
                                               guest_kinds[i].name);
                }
                if (longest >= 0)
                        k += (size_t) snprintf(buf + k, k < size ? size - k : 0, " (%s%u)", first ? "default " : "",
                                               guest_kinds[longest].interval_sec);
                first = false;
                if (done == GUEST_KIND_ALL)
                        break;
        }
}

/* "agent, os, ...": every kind's name, in the table's order. */
static void kind_names(char *buf, size_t size) {
        size_t k = 0;

        buf[0] = '\0';
        for (int i = 0; i < GUEST_KIND_COUNT; i++)
                k += (size_t) snprintf(buf + k, k < size ? size - k : 0, "%s%s", k ? ", " : "", guest_kinds[i].name);
}

void options_help(const char *program) {
        char kinds[256], interval[512];

        kinds_with_defaults(kinds, sizeof kinds);
        snprintf(interval, sizeof interval, "how often to refresh one kind of data, 1-%d; KIND is %s; may be repeated",
                 COLLECT_INTERVAL_MAX_SEC, kinds);
        printf("%s [OPTIONS...]\n\n"
               "Publish what the QEMU guest agents of libvirt's domains report on D-Bus,\n"
               "as %s.\n\n"
               "  -c, --connect=URI     libvirt URI to watch (default: %s);\n"
               "                        any URI works, e.g. qemu+ssh://host/system or test:///default\n"
               "      --system          publish on the system bus (default)\n"
               "      --user            publish on the session bus (development, tests)\n"
               "  -l, --log-level=LEVEL error, warning, notice, info or debug (default: info)\n"
               "      --workers=N       threads asking guest agents, 1-%d (default: 4)\n"
               "      --agent-timeout=SECONDS|keep\n"
               "                        how long an agent may take to answer, 1-%d (default: 10);\n"
               "                        set on each domain before asking (libvirt keeps it per\n"
               "                        domain, for every client); 'keep' leaves libvirt's setting\n"
               "      --interval=KIND=SECONDS\n",
               program, "org.guestinfod.GuestInfo1", DEFAULT_URI, COLLECT_WORKERS_MAX, COLLECT_TIMEOUT_MAX);
        print_wrapped(interval);
        printf("      --backoff=FACTOR  ask a kind whose value did not change up to FACTOR times less\n"
               "                        often, doubling at each unchanged read: 1 (never), 2, 4, 8\n"
               "                        (default) or 16; any event or change snaps it back\n");
        printf("      --keep-replies=MIB\n"
               "                        keep up to MIB of each domain's bytes in GetManagedObjects\n"
               "                        and ListSummaries (and of the last ListDomains): a reply\n"
               "                        builds only the domains changed since, dropped after a\n"
               "                        minute unasked; 0-%d (default: %llu), 0 builds every reply\n",
               KEEP_REPLIES_MAX_MIB, (unsigned long long) (BUS_WRITER_KEPT_DEFAULT >> 20));
        printf("  -h, --help            show this help\n"
               "  -V, --version         show the version\n");
}

/* A whole decimal number in [min, max], nothing else. */
static int parse_number(const char *s, long min, long max, long *ret) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || s[0] == '+' || s[0] == ' ' || v < min || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* The URI goes out as the URI property and into log lines as it is: it must
 * be text both accept. */
static bool uri_is_text(const char *uri) {
        char *t = text_for_log(uri, strlen(uri));
        bool ok = t && strcmp(t, uri) == 0;
        free(t);
        return ok;
}

int options_parse(int argc, char **argv, Options *o, char *error_buf, size_t error_size) {
        static const struct option longopts[] = { { "connect", required_argument, NULL, 'c' },
                                                  { "system", no_argument, NULL, 's' },
                                                  { "user", no_argument, NULL, 'u' },
                                                  { "log-level", required_argument, NULL, 'l' },
                                                  { "help", no_argument, NULL, 'h' },
                                                  { "version", no_argument, NULL, 'V' },
                                                  { "workers", required_argument, NULL, 'w' },
                                                  { "agent-timeout", required_argument, NULL, 't' },
                                                  { "interval", required_argument, NULL, 'i' },
                                                  { "backoff", required_argument, NULL, 'b' },
                                                  { "keep-replies", required_argument, NULL, 'k' },
                                                  {} };
        int c;
        long v;

        *o = (Options){ .uri = DEFAULT_URI,
                        .bus = BUS_KIND_SYSTEM,
                        .log_level = LOG_LEVEL_INFO,
                        .keep_replies_bytes = BUS_WRITER_KEPT_DEFAULT };
        collect_config_default(&o->collect);
        error_buf[0] = '\0';

        optind = 0; /* full reset, so the parser can run more than once (tests) */
        opterr = 0; /* we word the errors ourselves */
        while ((c = getopt_long(argc, argv, ":c:l:hV", longopts, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        if (!*optarg) {
                                snprintf(error_buf, error_size, "--connect needs a libvirt URI, got an empty string");
                                return -EINVAL;
                        }
                        if (!uri_is_text(optarg)) {
                                snprintf(error_buf, error_size,
                                         "--connect needs a URI of printable UTF-8 text (it is published on the bus)");
                                return -EINVAL;
                        }
                        o->uri = optarg;
                        break;
                case 's':
                        o->bus = BUS_KIND_SYSTEM;
                        break;
                case 'u':
                        o->bus = BUS_KIND_USER;
                        break;
                case 'l':
                        o->log_level = log_level_from_string(optarg);
                        if (o->log_level < 0) {
                                snprintf(error_buf, error_size,
                                         "unknown log level '%s' (expected error, warning, notice, info or debug)",
                                         optarg);
                                return -EINVAL;
                        }
                        break;
                case 'w':
                        if (parse_number(optarg, 1, COLLECT_WORKERS_MAX, &v) < 0) {
                                snprintf(error_buf, error_size, "--workers needs a number from 1 to %d, got '%s'",
                                         COLLECT_WORKERS_MAX, optarg);
                                return -EINVAL;
                        }
                        o->collect.workers = (unsigned) v;
                        break;
                case 't':
                        if (strcmp(optarg, "keep") == 0)
                                o->collect.agent_timeout = -1;
                        else if (parse_number(optarg, 1, COLLECT_TIMEOUT_MAX, &v) < 0) {
                                snprintf(error_buf, error_size,
                                         "--agent-timeout needs seconds from 1 to %d or 'keep', got '%s'",
                                         COLLECT_TIMEOUT_MAX, optarg);
                                return -EINVAL;
                        } else
                                o->collect.agent_timeout = (int) v;
                        break;
                case 'i': {
                        char kind[32];
                        const char *eq = strchr(optarg, '=');
                        int k = -EINVAL;
                        if (eq && (size_t) (eq - optarg) < sizeof kind) {
                                snprintf(kind, sizeof kind, "%.*s", (int) (eq - optarg), optarg);
                                k = guest_kind_from_name(kind);
                        }
                        if (k < 0) {
                                char names[256];
                                kind_names(names, sizeof names);
                                snprintf(error_buf, error_size,
                                         "--interval needs KIND=SECONDS with KIND one of %s; got '%s'", names, optarg);
                                return -EINVAL;
                        }
                        if (parse_number(eq + 1, 1, COLLECT_INTERVAL_MAX_SEC, &v) < 0) {
                                snprintf(error_buf, error_size, "--interval %s needs seconds from 1 to %d, got '%s'",
                                         kind, COLLECT_INTERVAL_MAX_SEC, eq + 1);
                                return -EINVAL;
                        }
                        o->collect.interval_usec[k] = (uint64_t) v * 1000000ULL;
                        break;
                }
                case 'b':
                        if (parse_number(optarg, 1, COLLECT_BACKOFF_MAX, &v) < 0 || (v & (v - 1)) != 0) {
                                snprintf(error_buf, error_size, "--backoff needs 1, 2, 4, 8 or 16, got '%s'", optarg);
                                return -EINVAL;
                        }
                        o->collect.backoff_max = (unsigned) v;
                        break;
                case 'k':
                        if (parse_number(optarg, 0, KEEP_REPLIES_MAX_MIB, &v) < 0) {
                                snprintf(error_buf, error_size, "--keep-replies needs MiB from 0 to %d, got '%s'",
                                         KEEP_REPLIES_MAX_MIB, optarg);
                                return -EINVAL;
                        }
                        o->keep_replies_bytes = (uint64_t) v << 20;
                        break;
                case 'h':
                        options_help(argv[0]);
                        return 0;
                case 'V':
                        printf("guestinfod %s\n", GUESTINFOD_VERSION);
                        return 0;
                case ':':
                        snprintf(error_buf, error_size, "option '%s' needs an argument", argv[optind - 1]);
                        return -EINVAL;
                default:
                        snprintf(error_buf, error_size, "unknown option '%s'", argv[optind - 1]);
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                snprintf(error_buf, error_size, "unexpected argument '%s'", argv[optind]);
                return -EINVAL;
        }
        return 1;
}
