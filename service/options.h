/* The daemon's command line. */
#pragma once

#include <stdint.h>

#include <stdbool.h>

#include "collect.h"
#include "log.h"

#define DEFAULT_URI "qemu:///system"

typedef enum BusKind {
        BUS_KIND_SYSTEM,
        BUS_KIND_USER,
} BusKind;

/* --keep-replies' largest value, in MiB: a few whole trees of the largest
 * fleet a bus message holds (32 MiB each). */
#define KEEP_REPLIES_MAX_MIB 512

typedef struct Options {
        const char *uri;
        BusKind bus;
        LogLevel log_level;
        CollectConfig collect;
        /* --keep-replies: the most the whole-fleet replies kept may hold */
        uint64_t keep_replies_bytes;
} Options;

/* Returns 1: run with *o; 0: done, exit successfully (--help, --version
 * printed); -EINVAL: bad usage, *error says why (static string or strdup'ed
 * into error_buf). */
int options_parse(int argc, char **argv, Options *o, char *error_buf, size_t error_size);

void options_help(const char *program);
