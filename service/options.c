#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "options.h"

void options_help(const char *program) {
        printf("%s [OPTIONS...]\n\n"
               "Publish what the QEMU guest agents of libvirt's domains report on D-Bus,\n"
               "as %s.\n\n"
               "  -c, --connect=URI     libvirt URI to watch (default: %s);\n"
               "                        any URI works, e.g. qemu+ssh://host/system or test:///default\n"
               "      --system          publish on the system bus (default)\n"
               "      --user            publish on the session bus (development, tests)\n"
               "  -l, --log-level=LEVEL error, warning, notice, info or debug (default: info)\n"
               "  -h, --help            show this help\n"
               "  -V, --version         show the version\n",
               program, "org.guestinfod.GuestInfo1", DEFAULT_URI);
}

int options_parse(int argc, char **argv, Options *o, char *error_buf, size_t error_size) {
        static const struct option longopts[] = {
                { "connect", required_argument, NULL, 'c' },
                { "system", no_argument, NULL, 's' },
                { "user", no_argument, NULL, 'u' },
                { "log-level", required_argument, NULL, 'l' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {}
        };
        int c;

        *o = (Options){ .uri = DEFAULT_URI, .bus = BUS_KIND_SYSTEM, .log_level = LOG_LEVEL_INFO };
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
