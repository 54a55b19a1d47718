/* LD_PRELOAD shim for libvirt-dbus, whose libvirt URIs are compiled in
 * (qemu:///session, test:///default, ...): a connection to $BENCH_URI_FROM
 * is opened on $BENCH_URI_TO instead, e.g. the benchmark's hand-started
 * libvirtd (test+unix:///default?socket=...). Nothing else changes: every
 * call libvirt-dbus makes goes to libvirt as it would. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>

typedef virConnectPtr (*OpenAuthFn)(const char *, virConnectAuthPtr, unsigned int);

static const char *redirect(const char *name) {
        const char *from = getenv("BENCH_URI_FROM"), *to = getenv("BENCH_URI_TO");
        return name && from && to && strcmp(name, from) == 0 ? to : name;
}

virConnectPtr virConnectOpenAuth(const char *name, virConnectAuthPtr auth, unsigned int flags) {
        static OpenAuthFn real;
        if (!real) {
                void *sym = dlsym(RTLD_NEXT, "virConnectOpenAuth");
                memcpy(&real, &sym, sizeof real);
        }
        return real ? real(redirect(name), auth, flags) : NULL;
}
