/* guestinfoctl: the command line of guestinfod. This file parses the
 * arguments, explains them (--help) and runs one command. */
#include <getopt.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-client.h"
#include "cli.h"
#include "commands.h"
#include "guestinfo-names.h"

typedef enum CommandId {
        COMMAND_LIST,
        COMMAND_SHOW,
        COMMAND_KUBEVIRT,
        COMMAND_WATCH,
        COMMAND_REFRESH,
        COMMAND_METRICS,
        COMMAND_HELP,
} CommandId;

typedef struct Command {
        const char *name;
        CommandId id;
        const char *args; /* as shown in the help */
        unsigned min_args, max_args;
        bool json; /* takes --json */
        const char *summary;
        const char *help; /* what COMMAND --help adds */
} Command;

static const Command commands[] = {
        { "list", COMMAND_LIST, "", 0, 0, true, "one line per VM (the default command)",
          "One line per VM, sorted by name: name, state, whether its guest agent is\n"
          "connected, OS pretty name, hostname, first IP address (with its prefix\n"
          "length when known: 10.0.2.15/24).\n"
          "On a terminal: an aligned table with a header. Otherwise: no header, one\n"
          "line per VM, fields separated by tabs. '-' stands for an unknown value.\n"
          "--json: one JSON array of objects with name, uuid, state, agentConnected,\n"
          "osPrettyName, hostname (null when unknown) and address: {family, address,\n"
          "prefix} (prefix null when unknown), or null.\n" },
        { "show", COMMAND_SHOW, "VM", 1, 1, true, "everything known about one VM",
          "Everything guestinfod knows about one VM, grouped: domain, agent, OS,\n"
          "interfaces, filesystems, users. VM is a name or a UUID.\n"
          "--json: one JSON object; each interface's addresses as {family, address,\n"
          "prefix} and its sources as a list; times as RFC 3339 UTC, or null;\n"
          "without guest agent data os, hostname, timezone, users, userCount,\n"
          "filesystems and filesystemCount are null.\n" },
        { "guestosinfo", COMMAND_KUBEVIRT, "VM", 1, 1, false, "KubeVirt's guestosinfo JSON",
          "KubeVirt's guestosinfo subresource for the VM, as guestinfod builds it\n"
          "(users and filesystems capped at 10). Exit status 6 without agent data.\n" },
        { "userlist", COMMAND_KUBEVIRT, "VM", 1, 1, false, "KubeVirt's userlist JSON",
          "KubeVirt's userlist subresource for the VM: every logged-in user.\n"
          "Exit status 6 without agent data.\n" },
        { "filesystemlist", COMMAND_KUBEVIRT, "VM", 1, 1, false, "KubeVirt's filesystemlist JSON",
          "KubeVirt's filesystemlist subresource for the VM: every filesystem.\n"
          "Exit status 6 without agent data.\n" },
        { "interfaces", COMMAND_KUBEVIRT, "VM", 1, 1, false, "KubeVirt's status.interfaces JSON",
          "KubeVirt's status.interfaces for the VM: the domain's NICs merged with\n"
          "the interfaces the guest agent reports.\n" },
        { "watch", COMMAND_WATCH, "[VM]", 0, 1, true, "follow changes live, until Ctrl-C",
          "Follows guestinfod's signals, one line per change, until Ctrl-C: first a\n"
          "'present' line per VM, then added, removed, changed (properties),\n"
          "guest-data (agent data available or gone), daemon-changed,\n"
          "daemon-stopped, daemon-started. With VM, only that VM.\n"
          "Text lines: TIME VM EVENT [PROPERTY=VALUE...].\n"
          "--json: one JSON object per line with time, event, vm, uuid and the\n"
          "event's interface, properties (as on the bus) or interfaces.\n" },
        { "refresh", COMMAND_REFRESH, "VM", 1, 1, false, "ask the guest agent for fresh data now",
          "Asks guestinfod to collect everything from the VM's guest agent now and\n"
          "waits until it is done (at most --timeout, 60 s by default). On the\n"
          "system bus guestinfod asks polkit; a refusal exits with status 5.\n" },
        { "metrics", COMMAND_METRICS, "", 0, 0, false, "Prometheus metrics of every VM",
          "Prints the guest data of every VM (agent state, OS, filesystems, users)\n"
          "and guestinfod's own state in Prometheus's text exposition format, read\n"
          "from guestinfod in two calls (a fleet too big for one bus message: one\n"
          "call per VM). Guest strings in label values are made valid UTF-8,\n"
          "escaped and cut at 256 bytes; at most 32 filesystems per VM get series\n"
          "(guestinfod_vm_filesystems_dropped counts the others).\n"
          "--textfile DIR: keeps DIR/guestinfod.prom current for node-exporter's\n"
          "textfile collector instead (Debian: /var/lib/prometheus/node-exporter):\n"
          "writes it now, then after each change guestinfod signals, at most once\n"
          "per --interval (default 5 s), each time atomically (a temporary file\n"
          "renamed over it). Nothing is read while nothing changes. While\n"
          "guestinfod is away the file says guestinfod_up 0. Runs until SIGTERM or\n"
          "Ctrl-C; exits with status 4 if the bus connection is lost.\n"
          "--interval=SECONDS: the shortest time between two writes (0.1 to 3600).\n"
          "The metric list and example alerts: docs/metrics.md in the sources.\n" },
        { "help", COMMAND_HELP, "[COMMAND]", 0, 1, false, "show this help, or a command's",
          "Shows the help of guestinfoctl, or of COMMAND (as COMMAND --help does).\n" },
};

static void help(void) {
        printf("%s [OPTIONS...] COMMAND [VM]\n\n"
               "Show what the QEMU guest agents of libvirt's VMs report, as guestinfod\n"
               "publishes it on D-Bus (" BUS_NAME ").\n\nCommands:\n",
               PROGRAM_NAME);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                char left[64];
                snprintf(left, sizeof left, "%s %s", commands[i].name, commands[i].args);
                printf("  %-22s %s\n", left, commands[i].summary);
        }
        printf("\nVM is a name or a UUID.\n\n"
               "Options:\n"
               "      --system           guestinfod on the system bus (default)\n"
               "      --user             guestinfod on the session bus\n"
               "      --address=ADDRESS  guestinfod on the bus at this D-Bus address\n"
               "  -H, --host=[USER@]HOST guestinfod on HOST's system bus, over ssh\n"
               "      --json             JSON: one document (list, show), JSON lines (watch)\n"
               "      --timeout=SECONDS  longest wait for each answer (default 25, refresh 60)\n"
               "      --no-ask-password  do not let polkit ask for a password (refresh)\n"
               "      --textfile=DIR     metrics: keep DIR/guestinfod.prom current\n"
               "      --interval=SECONDS metrics --textfile: shortest time between writes\n"
               "  -h, --help             show this help; COMMAND --help: the command's\n"
               "      --version          show the version\n\n"
               "Exit status:\n"
               "  0 success                  4 guestinfod not running, or no bus\n"
               "  1 other failure            5 access denied\n"
               "  2 bad usage                6 no guest agent data for the VM\n"
               "  3 no such VM               7 no answer in time (--timeout)\n\n"
               "See guestinfoctl(1).\n");
}

static void command_help(const Command *c) {
        printf("%s [OPTIONS...] %s%s%s\n\n%s", PROGRAM_NAME, c->name, c->args[0] ? " " : "", c->args, c->help);
        if (c->id == COMMAND_HELP)
                return;
        printf("\nOptions: --system, --user, --address=ADDRESS, -H [USER@]HOST, --timeout=SECONDS%s%s%s\n"
               "(see %s --help).\n",
               c->json ? ", --json" : "", c->id == COMMAND_REFRESH ? ", --no-ask-password" : "",
               c->id == COMMAND_METRICS ? ", --textfile=DIR, --interval=SECONDS" : "", PROGRAM_NAME);
}

static const Command *find_command(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(commands[i].name, name))
                        return &commands[i];
        return NULL;
}

#define USAGE_ERROR(...) cli_error(ERRNO_USAGE, __VA_ARGS__)

enum {
        ARG_VERSION = 0x100,
        ARG_SYSTEM,
        ARG_USER,
        ARG_ADDRESS,
        ARG_JSON,
        ARG_TIMEOUT,
        ARG_NO_ASK_PASSWORD,
        ARG_NAMES,
        ARG_TEXTFILE,
        ARG_INTERVAL,
};

typedef struct Parsed {
        CliOptions o;
        bool help, version, user_flag, interval_given;
        const Command *command;
        bool command_given; /* else "list" */
        char **args;
        unsigned n_args;
} Parsed;

/* Returns 0, or -errno having said what is wrong. */
static int parse_argv(int argc, char *argv[], Parsed *p) {
        static const struct option options[] = { { "help", no_argument, NULL, 'h' },
                                                 { "version", no_argument, NULL, ARG_VERSION },
                                                 { "system", no_argument, NULL, ARG_SYSTEM },
                                                 { "user", no_argument, NULL, ARG_USER },
                                                 { "address", required_argument, NULL, ARG_ADDRESS },
                                                 { "host", required_argument, NULL, 'H' },
                                                 { "json", no_argument, NULL, ARG_JSON },
                                                 { "timeout", required_argument, NULL, ARG_TIMEOUT },
                                                 { "no-ask-password", no_argument, NULL, ARG_NO_ASK_PASSWORD },
                                                 { "textfile", required_argument, NULL, ARG_TEXTFILE },
                                                 { "interval", required_argument, NULL, ARG_INTERVAL },
                                                 { "names", no_argument, NULL,
                                                   ARG_NAMES }, /* list --names, for completion; not in --help */
                                                 {} };
        int c;

        *p = (Parsed){ .o = { .target = BUS_TARGET_SYSTEM,
                              .ask_password = isatty(STDIN_FILENO) > 0,
                              .interval_usec = METRICS_INTERVAL_USEC } };
        opterr = 0; /* we word the errors ourselves */
        while ((c = getopt_long(argc, argv, ":hH:", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        p->help = true;
                        break;
                case ARG_VERSION:
                        p->version = true;
                        break;
                case ARG_SYSTEM:
                        p->o.target = BUS_TARGET_SYSTEM;
                        p->user_flag = false;
                        break;
                case ARG_USER:
                        p->o.target = BUS_TARGET_USER;
                        p->user_flag = true;
                        break;
                case ARG_ADDRESS:
                        if (!optarg[0])
                                return USAGE_ERROR("--address needs a D-Bus address.");
                        p->o.address = optarg;
                        break;
                case 'H':
                        if (!optarg[0])
                                return USAGE_ERROR("-H needs a host.");
                        p->o.host = optarg;
                        break;
                case ARG_JSON:
                        p->o.json = true;
                        break;
                case ARG_TIMEOUT: {
                        char *end;
                        double s = strtod(optarg, &end);
                        if (end == optarg || *end || !isfinite(s) || s <= 0 || s > 86400)
                                return USAGE_ERROR("--timeout needs seconds, more than 0 and at most 86400, not '%s'.",
                                                   optarg);
                        p->o.timeout_usec = (uint64_t) (s * 1e6);
                        break;
                }
                case ARG_NO_ASK_PASSWORD:
                        p->o.ask_password = false;
                        break;
                case ARG_NAMES:
                        p->o.names = true;
                        break;
                case ARG_TEXTFILE:
                        if (!optarg[0])
                                return USAGE_ERROR("--textfile needs a folder.");
                        p->o.textfile = optarg;
                        break;
                case ARG_INTERVAL: {
                        char *end;
                        double s = strtod(optarg, &end);
                        if (end == optarg || *end || !isfinite(s) || s < 0.1 || s > 3600)
                                return USAGE_ERROR("--interval needs seconds, at least 0.1 and at most 3600, not '%s'.",
                                                   optarg);
                        p->o.interval_usec = (uint64_t) (s * 1e6);
                        p->interval_given = true;
                        break;
                }
                case ':':
                        return USAGE_ERROR("Option '%s' needs an argument (see %s --help).", argv[optind - 1],
                                           PROGRAM_NAME);
                default:
                        /* optopt: an unknown short option, maybe among others ("-xh") */
                        if (optopt)
                                return USAGE_ERROR("Unknown option '-%c' (see %s --help).", optopt, PROGRAM_NAME);
                        return USAGE_ERROR("Unknown option '%s' (see %s --help).", argv[optind - 1], PROGRAM_NAME);
                }
        }

        /* the bus: -H and --address replace the default system bus */
        if (p->o.host && p->o.address)
                return USAGE_ERROR("-H and --address cannot be used together.");
        if (p->o.host && p->user_flag)
                return USAGE_ERROR("-H reaches the system bus of the host; --user cannot be used with it.");
        if (p->o.host)
                p->o.target = BUS_TARGET_REMOTE;
        else if (p->o.address)
                p->o.target = BUS_TARGET_ADDRESS;

        if (optind < argc) {
                p->command = find_command(argv[optind]);
                if (!p->command)
                        return USAGE_ERROR("Unknown command '%s' (see %s --help).", argv[optind], PROGRAM_NAME);
                p->command_given = true;
                optind++;
        } else
                p->command = find_command("list");
        p->args = argv + optind;
        p->n_args = (unsigned) (argc - optind);
        return 0;
}

/* What the command line asks for makes sense for the command. */
static int check_command(const Parsed *p) {
        const Command *c = p->command;

        if (p->n_args < c->min_args)
                return USAGE_ERROR("'%s' needs %s (see %s %s --help).", c->name, c->args, PROGRAM_NAME, c->name);
        if (p->n_args > c->max_args)
                return USAGE_ERROR("Unexpected argument '%s' after '%s%s%s'.", p->args[c->max_args], c->name,
                                   c->max_args ? " " : "", c->max_args ? p->args[0] : "");
        if (p->o.json && !c->json)
                return USAGE_ERROR("'%s' has no --json (see %s %s --help).", c->name, PROGRAM_NAME, c->name);
        if (p->o.names && c->id != COMMAND_LIST)
                return USAGE_ERROR("--names is for 'list' only.");
        if (p->o.textfile && c->id != COMMAND_METRICS)
                return USAGE_ERROR("--textfile is for 'metrics' only.");
        if (p->interval_given && !p->o.textfile)
                return USAGE_ERROR("--interval is for 'metrics --textfile DIR' only.");
        return 0;
}

static int run(const Parsed *p) {
        const Command *c = p->command;
        const char *vm = p->n_args > 0 ? p->args[0] : NULL;
        BusClient client;
        int r;

        r = bus_client_open(&client, &p->o, c->id == COMMAND_REFRESH ? REFRESH_TIMEOUT_USEC : DEFAULT_TIMEOUT_USEC);
        if (r != 0) {
                bus_client_close(&client);
                return r;
        }
        switch (c->id) {
        case COMMAND_LIST:
                r = cmd_list(&client, &p->o);
                break;
        case COMMAND_SHOW:
                r = cmd_show(&client, &p->o, vm);
                break;
        case COMMAND_KUBEVIRT:
                r = cmd_kubevirt(&client, c->name, vm);
                break;
        case COMMAND_WATCH:
                r = cmd_watch(&client, &p->o, vm);
                break;
        case COMMAND_REFRESH:
                r = cmd_refresh(&client, vm);
                break;
        case COMMAND_METRICS:
                r = cmd_metrics(&client, &p->o);
                break;
        default:
                r = -EIO;
        }
        bus_client_close(&client);
        return r;
}

/* The command line's work: 0, or -errno having said why not. */
static int run_argv(int argc, char *argv[]) {
        Parsed p;
        int r;

        r = parse_argv(argc, argv, &p);
        if (r != 0)
                return r;
        if (p.version) {
                printf("%s %s\n", PROGRAM_NAME, GUESTINFOD_VERSION);
                return 0;
        }
        if (p.help) {
                if (!p.command_given)
                        help();
                else
                        command_help(p.command);
                return 0;
        }
        if (p.command->id == COMMAND_HELP) {
                if (p.n_args > 1)
                        return USAGE_ERROR("'help' takes at most one command.");
                if (p.n_args == 0) {
                        help();
                        return 0;
                }
                const Command *c = find_command(p.args[0]);
                if (!c)
                        return USAGE_ERROR("Unknown command '%s' (see %s --help).", p.args[0], PROGRAM_NAME);
                command_help(c);
                return 0;
        }
        r = check_command(&p);
        if (r != 0)
                return r;
        return run(&p);
}

int main(int argc, char *argv[]) {
        /* for the width of non-ASCII names in tables */
        setlocale(LC_CTYPE, "");

        /* The only place where an -errno becomes an exit code. */
        return exit_code_from_errno(run_argv(argc, argv));
}
