/* The daemon's command line. */
#pragma once

#include <stdbool.h>

#include "collect.h"
#include "log.h"

#define DEFAULT_URI "qemu:///system"

typedef enum BusKind {
        BUS_KIND_SYSTEM,
        BUS_KIND_USER,
} BusKind;

typedef struct Options {
        const char *uri;
        BusKind bus;
        LogLevel log_level;
        CollectConfig collect;
} Options;

/* Returns 1: run with *o; 0: done, exit successfully (--help, --version
 * printed); -EINVAL: bad usage, *error says why (static string or strdup'ed
 * into error_buf). */
int options_parse(int argc, char **argv, Options *o, char *error_buf, size_t error_size);

void options_help(const char *program);
