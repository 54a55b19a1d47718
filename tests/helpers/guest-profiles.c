#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake-daemon.h"
#include "guest-builder.h"
#include "guest-data.h"
#include "macro.h"
#include "guest-profiles.h"

/* What a Debian guest with qemu-ga says: OS, two users, two filesystems,
 * two interfaces. */
static const char *const ordinary[] = {
        "os.id=debian",
        "os.name=Debian GNU/Linux",
        "os.pretty-name=Debian GNU/Linux 12 (bookworm)",
        "os.version=12 (bookworm)",
        "os.version-id=12",
        "os.kernel-release=6.1.0-18-amd64",
        "os.kernel-version=#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)",
        "os.machine=x86_64",
        "hostname=web-01.example.com",
        "timezone.name=UTC",
        "timezone.offset=0",
        "user.count=2",
        "user.0.name=root",
        "user.1.name=alice",
        "fs.count=2",
        "fs.0.name=vda1",
        "fs.0.mountpoint=/",
        "fs.0.fstype=ext4",
        "fs.0.disk.count=1",
        "fs.0.disk.0.serial=0QEMU_QEMU_HARDDISK_drive-virtio-disk0",
        "fs.0.disk.0.alias=vda",
        "fs.1.name=vda15",
        "fs.1.mountpoint=/boot/efi",
        "fs.1.fstype=vfat",
        "fs.1.disk.count=1",
        "fs.1.disk.0.serial=0QEMU_QEMU_HARDDISK_drive-virtio-disk0",
        "fs.1.disk.0.alias=vda",
        "if.count=2",
        "if.0.name=lo",
        "if.0.hwaddr=00:00:00:00:00:00",
        "if.0.addr.count=1",
        "if.0.addr.0.type=ipv4",
        "if.0.addr.0.addr=127.0.0.1",
        "if.0.addr.0.prefix=8",
        "if.1.name=enp1s0",
        "if.1.hwaddr=52:54:00:12:34:56",
        "if.1.addr.count=2",
        "if.1.addr.0.type=ipv4",
        "if.1.addr.0.addr=192.168.122.10",
        "if.1.addr.0.prefix=24",
        "if.1.addr.1.type=ipv6",
        "if.1.addr.1.addr=fe80::5054:ff:fe12:3456",
        "if.1.addr.1.prefix=64",
        NULL,
};

static char *long_value(const char *what, unsigned i, unsigned k);
static char *value_of(const char *what, unsigned i, unsigned k, size_t len);

const char *const *guest_profile_ordinary(void) {
        return ordinary;
}

/* qemu-ga 7.2's guest-info, commands as it lists them. */
const char *guest_profile_ordinary_agent(void) {
        static const char *const commands[] = {
                "guest-get-cpustats",
                "guest-get-diskstats",
                "guest-ssh-remove-authorized-keys",
                "guest-ssh-add-authorized-keys",
                "guest-ssh-get-authorized-keys",
                "guest-get-devices",
                "guest-get-osinfo",
                "guest-get-timezone",
                "guest-get-users",
                "guest-get-host-name",
                "guest-exec",
                "guest-exec-status",
                "guest-get-memory-block-info",
                "guest-set-memory-blocks",
                "guest-get-memory-blocks",
                "guest-set-user-password",
                "guest-get-fsinfo",
                "guest-get-disks",
                "guest-set-vcpus",
                "guest-get-vcpus",
                "guest-network-get-interfaces",
                "guest-suspend-hybrid",
                "guest-suspend-ram",
                "guest-suspend-disk",
                "guest-fstrim",
                "guest-fsfreeze-thaw",
                "guest-fsfreeze-freeze-list",
                "guest-fsfreeze-freeze",
                "guest-fsfreeze-status",
                "guest-file-flush",
                "guest-file-seek",
                "guest-file-write",
                "guest-file-read",
                "guest-file-close",
                "guest-file-open",
                "guest-shutdown",
                "guest-info",
                "guest-set-time",
                "guest-get-time",
                "guest-ping",
                "guest-sync",
                "guest-sync-delimited",
        };
        static char *json;
        if (json)
                return json;
        size_t len = 0;
        FILE *f = open_memstream(&json, &len);
        fputs("{\"return\":{\"version\":\"7.2.19\",\"supported_commands\":[", f);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "%s{\"enabled\":true,\"name\":\"%s\",\"success-response\":true}", i ? "," : "", commands[i]);
        fputs("]}}", f);
        fclose(f);
        return json;
}

/* AGENT_COMMANDS_MAX commands, each name at its cap (a longer one is
 * dropped, not cut). */
const char *guest_profile_maxed_agent(void) {
        static char *json;
        if (json)
                return json;
        size_t len = 0;
        FILE *f = open_memstream(&json, &len);
        char *version = long_value("version", 0, 0);
        fprintf(f, "{\"return\":{\"version\":\"%s\",\"supported_commands\":[", version);
        free(version);
        for (unsigned i = 0; i < AGENT_COMMANDS_MAX; i++) {
                char *name = value_of("command", i, 0, AGENT_COMMAND_NAME_MAX);
                fprintf(f, "%s{\"enabled\":true,\"name\":\"%s\"}", i ? "," : "", name);
                free(name);
        }
        fputs("]}}", f);
        fclose(f);
        return json;
}

/* "what-i-k-xxx…" of len bytes. */
static char *value_of(const char *what, unsigned i, unsigned k, size_t len) {
        char *s = malloc(len + 1);
        int n = snprintf(s, len + 1, "%s-%u-%u-", what, i, k);
        memset(s + n, 'x', len - n);
        s[len] = 0;
        return s;
}

/* 1 KiB: the builder cuts it to its field's cap. */
static char *long_value(const char *what, unsigned i, unsigned k) {
        return value_of(what, i, k, GUEST_STRING_MAX);
}

static char **maxed_kv;

static void add_kv(size_t *n, const char *key, const char *value) {
        maxed_kv = realloc(maxed_kv, (*n + 2) * sizeof *maxed_kv);
        if (asprintf(&maxed_kv[(*n)++], "%s=%s", key, value) < 0)
                abort();
        maxed_kv[*n] = NULL;
}

static void add_long(size_t *n, const char *key, const char *what, unsigned i, unsigned k) {
        char *v = long_value(what, i, k);
        add_kv(n, key, v);
        free(v);
}

/* For a field that the builder drops, not cuts, when longer than its cap. */
static void add_at_cap(size_t *n, const char *key, const char *what, unsigned i, unsigned k, size_t cap) {
        char *v = value_of(what, i, k, cap);
        add_kv(n, key, v);
        free(v);
}

/* Every string at its cap (1 KiB where the builder cuts it to its field's
 * cap; MACs and addresses exactly at theirs, as longer ones are dropped),
 * every list that GetManagedObjects carries at its cap: 10 users and
 * filesystems (the summaries), 16 disks each, 10 guest-only interfaces of
 * 32 addresses; as the builder keeps it, within the VM's byte budget. */
const char *const *guest_profile_maxed(void) {
        static const char *const os_keys[] = {
                "os.id",         "os.name",           "os.pretty-name",    "os.version",
                "os.version-id", "os.kernel-release", "os.kernel-version", "os.machine",
                "os.variant",    "os.variant-id",     "hostname",          "timezone.name",
        };
        char key[64], count[16];
        size_t n = 0;

        if (maxed_kv)
                return (const char *const *) maxed_kv;
        for (size_t i = 0; i < ELEMENTSOF(os_keys); i++)
                add_long(&n, os_keys[i], os_keys[i], 0, 0);
        snprintf(count, sizeof count, "%d", SUMMARY_MAX);
        add_kv(&n, "user.count", count);
        add_kv(&n, "fs.count", count);
        add_kv(&n, "if.count", count);
        for (unsigned i = 0; i < SUMMARY_MAX; i++) {
                snprintf(key, sizeof key, "user.%u.name", i);
                add_long(&n, key, "user", i, 0);
                snprintf(key, sizeof key, "user.%u.domain", i);
                add_long(&n, key, "domain", i, 0);

                snprintf(key, sizeof key, "fs.%u.name", i);
                add_long(&n, key, "fs", i, 0);
                snprintf(key, sizeof key, "fs.%u.mountpoint", i);
                add_long(&n, key, "mnt", i, 0);
                snprintf(key, sizeof key, "fs.%u.fstype", i);
                add_long(&n, key, "type", i, 0);
                snprintf(key, sizeof key, "fs.%u.disk.count", i);
                snprintf(count, sizeof count, "%d", GUEST_FS_DISKS_MAX);
                add_kv(&n, key, count);
                for (unsigned k = 0; k < GUEST_FS_DISKS_MAX; k++) {
                        snprintf(key, sizeof key, "fs.%u.disk.%u.serial", i, k);
                        add_long(&n, key, "serial", i, k);
                }

                snprintf(key, sizeof key, "if.%u.name", i);
                add_long(&n, key, "eth", i, 0);
                snprintf(key, sizeof key, "if.%u.hwaddr", i);
                add_at_cap(&n, key, "mac", i, 0, GUEST_MAC_MAX);
                snprintf(key, sizeof key, "if.%u.addr.count", i);
                snprintf(count, sizeof count, "%d", GUEST_ADDRESSES_MAX);
                add_kv(&n, key, count);
                for (unsigned k = 0; k < GUEST_ADDRESSES_MAX; k++) {
                        snprintf(key, sizeof key, "if.%u.addr.%u.type", i, k);
                        add_kv(&n, key, "ipv4");
                        snprintf(key, sizeof key, "if.%u.addr.%u.addr", i, k);
                        add_at_cap(&n, key, "addr", i, k, GUEST_ADDRESS_MAX);
                        snprintf(key, sizeof key, "if.%u.addr.%u.prefix", i, k);
                        add_kv(&n, key, "24");
                }
        }
        return (const char *const *) maxed_kv;
}

Manager *guest_profile_model(size_t n, const char *const *guest, const char *agent_json, const char *prefix,
                             size_t name_pad) {
        FakeVm *vms = calloc(n, sizeof *vms);
        char(*names)[GUEST_STRING_MAX + 1] = calloc(n, sizeof *names);
        char(*uuids)[37] = calloc(n, sizeof *uuids);
        Manager *m = NULL;
        const char **kv = NULL;
        size_t n_kv = 0;

        /* the guest data and the agent's reply in one list */
        while (guest[n_kv])
                n_kv++;
        kv = calloc(n_kv + 2, sizeof *kv);
        if (!kv)
                return NULL;
        memcpy(kv, guest, n_kv * sizeof *kv);
        char *agent = NULL;
        if (agent_json && asprintf(&agent, "guest-info=%s", agent_json) > 0)
                kv[n_kv] = agent;
        if (name_pad > GUEST_STRING_MAX / 2)
                name_pad = GUEST_STRING_MAX / 2;
        for (size_t i = 0; vms && names && uuids && i < n; i++) {
                int k = snprintf(names[i], sizeof names[i], "%.64s-%06zu%s", prefix, i % 1000000, name_pad ? "-" : "");
                memset(names[i] + k, 'n', name_pad);
                names[i][k + name_pad] = 0;
                snprintf(uuids[i], sizeof uuids[i], "c0000000-0000-4000-8000-%012u", (unsigned) (i % 1000000));
                vms[i] = (FakeVm){ names[i],
                                   uuids[i],
                                   DOMAIN_STATE_RUNNING,
                                   true,
                                   "<interface type='network'><mac address='52:54:00:12:34:56'/>"
                                   "<source network='default'/><alias name='net0'/></interface>",
                                   kv,
                                   0 };
        }
        if (vms && names && uuids && fake_model_new(vms, n, &m) < 0)
                m = NULL;
        free(vms);
        free(names);
        free(uuids);
        free(kv);
        free(agent);
        return m;
}
