#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"

static void vm_file(char *buf, size_t size, const char *name) {
        snprintf(buf, size, "%s/tests/vm/%s", harness_source_root(), name);
}

int guest_build(Harness *h, const char *spec, const char *out_dir) {
        char script[512], spec_path[512], cache[512], libvirt_cache[600];

        snprintf(cache, sizeof cache, "%s/vm-cache", harness_build_root());
        snprintf(libvirt_cache, sizeof libvirt_cache, "%s/libvirt", cache);
        setenv("LIBVIRT_CACHE_DIR", libvirt_cache, 1);
        vm_file(script, sizeof script, "build-guest.sh");
        vm_file(spec_path, sizeof spec_path, spec);
        char *argv[] = { script, cache, (char *) out_dir, spec_path, NULL };
        return harness_run(argv, 600, NULL);
}

/* Runs tests/vm/domain-xml.sh with its options and defines what it prints. */
static int define(Harness *h, const char *name, const char *uuid, const char *spec, const char *guest_dir,
                  const char *option, const char *option_value) {
        char script[512], spec_path[512], xml_path[512], *xml = NULL;
        int r;

        vm_file(script, sizeof script, "domain-xml.sh");
        vm_file(spec_path, sizeof spec_path, spec);
        char *argv[] = { script,          (char *) name,         (char *) uuid, spec_path, (char *) guest_dir,
                         (char *) option, (char *) option_value, NULL };
        r = harness_run(argv, 30, &xml);
        if (r != 0) {
                free(xml);
                return r < 0 ? r : -EIO;
        }
        snprintf(xml_path, sizeof xml_path, "%s/%s.xml", h->dir, name);
        FILE *f = fopen(xml_path, "we");
        if (!f) {
                free(xml);
                return -errno;
        }
        fputs(xml, f);
        fclose(f);
        free(xml);
        return harness_virsh(h, "define %s", xml_path);
}

int guest_define(Harness *h, const char *name, const char *uuid, const char *spec, const char *guest_dir, bool agent) {
        return define(h, name, uuid, spec, guest_dir, agent ? NULL : "--no-agent", NULL);
}

int guest_define_hostile(Harness *h, const char *name, const char *uuid, const char *guest_dir, const char *mode) {
        return define(h, name, uuid, "guest-hostile.env", guest_dir, "--agent-mode", mode);
}

char *spec_value(const char *spec, const char *expr) {
        char spec_path[512], cmd[2048], *out = NULL;

        vm_file(spec_path, sizeof spec_path, spec);
        snprintf(cmd, sizeof cmd, ". '%s' && printf '%%s' \"%s\"", spec_path, expr);
        char *argv[] = { "sh", "-c", cmd, NULL };
        if (harness_run(argv, 10, &out) != 0) {
                free(out);
                return NULL;
        }
        return out;
}

int guest_kill_agent(Harness *h, const char *name) {
        char script[512];
        vm_file(script, sizeof script, "kill-agent.sh");
        char *argv[] = { script, h->uri, (char *) name, NULL };
        return harness_run(argv, 60, NULL);
}

int guest_hang_agent(Harness *h, const char *name, int seconds) {
        char script[512], secs[16];
        vm_file(script, sizeof script, "kill-agent.sh");
        snprintf(secs, sizeof secs, "%d", seconds);
        char *argv[] = { script, h->uri, (char *) name, "--hang", secs, NULL };
        return harness_run(argv, 60, NULL);
}
