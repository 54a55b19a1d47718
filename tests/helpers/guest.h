/* The real test guests of tests/vm, for the e2e suites: build, define, and
 * read back what a spec says the guest reports. */
#pragma once

#include <stdbool.h>

#include "harness.h"

/* Builds the guest of tests/vm/<spec> into out_dir. The kernel package and
 * QEMU's capabilities are cached in the build folder (vm-cache). */
int guest_build(Harness *h, const char *spec, const char *out_dir);

/* Defines domain name/uuid from tests/vm/domain-xml.sh. */
int guest_define(Harness *h, const char *name, const char *uuid, const char *spec, const char *guest_dir, bool agent);
/* Defines a guest of tests/vm/guest-hostile.env built into guest_dir whose
 * agent runs in the given mode (tests/vm/hostile-agent.c). */
int guest_define_hostile(Harness *h, const char *name, const char *uuid, const char *guest_dir, const char *mode);

/* Sources tests/vm/<spec> in sh and prints expr (e.g. "$GUEST_HOSTNAME"):
 * what the guest was built to report. malloc'ed, trailing newline removed. */
char *spec_value(const char *spec, const char *expr);

/* Runs tests/vm/kill-agent.sh for the domain. */
int guest_kill_agent(Harness *h, const char *name);
/* Freezes the domain's qemu-ga (SIGSTOP) for seconds, then lets it go. */
int guest_hang_agent(Harness *h, const char *name, int seconds);
