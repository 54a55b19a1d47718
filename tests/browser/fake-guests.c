/* The daemon's own bus code (tests/helpers/fake-daemon.h) serving guest data
 * that libvirt's test driver cannot give (it has no guest agent), on the
 * session bus of the environment, until SIGTERM. The browser tests point
 * cockpit-bridge's system bus at that bus.
 *
 *   fake-guests hostile    guests whose every string is markup
 *   fake-guests ordinary   a Debian guest as qemu-ga reports it (with its disks,
 *                          vCPUs, load and clock), and two more
 *   fake-guests many       1000 running guests, each reporting as the ordinary one */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fake-daemon.h"
#include "guest-profiles.h"
#include "macro.h"

#define NIC(mac, alias)                                                                                                \
        "<interface type='network'><mac address='" mac "'/><source network='default'/><alias name='" alias             \
        "'/></interface>"
#define DISK(target, source)                                                                                           \
        "<disk type='file' device='disk'><source file='" source "'/><target dev='" target "' bus='virtio'/></disk>"

/* Beside the ordinary profile: what guest-get-disks says of its disk and
 * partitions (filesystems link to them by device), two vCPUs, the load and
 * a clock an hour ahead. */
static const char *const ordinary_more[] = {
        "fs.0.disk.0.device=/dev/vda",
        "fs.1.disk.0.device=/dev/vda",
        "disk.count=3",
        "disk.0.name=/dev/vda",
        "disk.0.serial=0QEMU_QEMU_HARDDISK_drive-virtio-disk0",
        "disk.0.alias=vda",
        "disk.1.name=/dev/vda1",
        "disk.1.partition=yes",
        "disk.1.dependency.count=1",
        "disk.1.dependency.0.name=/dev/vda",
        "disk.2.name=/dev/vda15",
        "disk.2.partition=yes",
        "disk.2.dependency.count=1",
        "disk.2.dependency.0.name=/dev/vda",
        "vcpus=2,2,1",
        "load=0.52,0.41,0.30",
        "clock=3600000000",
        NULL,
};

/* Markup in every field the page shows: it must come out as these very
 * characters, and no element of it may appear in the page. */
static const char *const hostile[] = {
        "os.id=<i>id</i>",
        "os.name=<b>name</b>",
        "os.pretty-name=<img src=x onerror=alert(2)>",
        "os.kernel-release=<script>alert(3)</script>",
        "os.machine=x86_64",
        "hostname=<img src=x onerror=alert(1)>",
        "timezone.name=<u>tz</u>",
        "timezone.offset=0",
        "user.count=1",
        "user.0.name=<img src=x onerror=alert(4)>",
        "user.0.domain=<a href=x>d</a>",
        "fs.count=1",
        "fs.0.name=<svg onload=alert(5)>",
        "fs.0.mountpoint=/<iframe src=x>",
        "fs.0.fstype=ext4",
        "fs.0.disk.count=1",
        "fs.0.disk.0.serial=<video src=x>",
        "fs.0.disk.0.alias=vda",
        "fs.0.disk.0.device=<img src=x onerror=alert(8)>",
        "disk.count=2",
        "disk.0.name=<img src=x onerror=alert(8)>",
        "disk.0.serial=<b>serial</b>",
        "disk.0.alias=vda",
        "disk.0.guest_alias=<svg onload=alert(9)>",
        "disk.0.guest_bus=<u>bus</u>",
        "disk.1.name=<i>part</i>",
        "disk.1.partition=yes",
        "disk.1.dependency.count=1",
        "disk.1.dependency.0.name=<img src=x onerror=alert(8)>",
        "if.count=1",
        "if.0.name=<object data=x>",
        "if.0.hwaddr=52:54:00:00:00:01",
        "if.0.addr.count=1",
        "if.0.addr.0.type=ipv4",
        "if.0.addr.0.addr=10.0.0.9",
        "if.0.addr.0.prefix=24",
        "guest-info={\"return\":{\"version\":\"<img src=x onerror=alert(6)>\",\"supported_commands\":["
        "{\"enabled\":true,\"name\":\"<img src=x onerror=alert(7)>\"}]}}",
        NULL,
};

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
        (void) sig;
        stop = 1;
}

int main(int argc, char **argv) {
        static char ordinary_agent[8192];
        const char *ordinary_kv[128];
        FakeDaemon server;
        Manager *m = NULL;
        int r;

        if (argc != 2 ||
            (strcmp(argv[1], "hostile") != 0 && strcmp(argv[1], "ordinary") != 0 && strcmp(argv[1], "many") != 0)) {
                fprintf(stderr, "usage: %s hostile|ordinary|many\n", argv[0]);
                return 2;
        }

        /* The ordinary profile, with qemu-ga 7.2's guest-info reply and
         * guest-fsfreeze-status's. */
        size_t n = 0;
        for (const char *const *kv = guest_profile_ordinary(); *kv && n < ELEMENTSOF(ordinary_kv) - 3; kv++)
                ordinary_kv[n++] = *kv;
        for (const char *const *kv = ordinary_more; *kv && n < ELEMENTSOF(ordinary_kv) - 3; kv++)
                ordinary_kv[n++] = *kv;
        snprintf(ordinary_agent, sizeof ordinary_agent, "guest-info=%s", guest_profile_ordinary_agent());
        ordinary_kv[n++] = ordinary_agent;
        ordinary_kv[n++] = "fsfreeze=thawed";
        ordinary_kv[n] = NULL;

        const FakeVm hostile_vms[] = {
                { "hostile", "c0000000-0000-4000-8000-000000000001", DOMAIN_STATE_RUNNING, true,
                  NIC("52:54:00:00:00:01", "net0") DISK("vda", "/images/&lt;img src=x onerror=alert(10)&gt;.img"),
                  hostile, 0 },
        };
        const FakeVm ordinary_vms[] = {
                { "web-01", "c0000000-0000-4000-8000-000000000002", DOMAIN_STATE_RUNNING, true,
                  NIC("52:54:00:12:34:56", "net0") DISK("vda", "/var/lib/libvirt/images/web-01.qcow2"), ordinary_kv,
                  0 },
                { "db-01", "c0000000-0000-4000-8000-000000000003", DOMAIN_STATE_PAUSED, true,
                  NIC("52:54:00:12:34:57", "net0") DISK("vda", "/var/lib/libvirt/images/db-01.qcow2"), ordinary_kv, 0 },
                { "build-01", "c0000000-0000-4000-8000-000000000004", DOMAIN_STATE_SHUTOFF, false, NULL, NULL, 0 },
        };
        if (strcmp(argv[1], "many") == 0) {
                m = guest_profile_model(1000, guest_profile_ordinary(), guest_profile_ordinary_agent(), "vm", 0);
                r = m ? 0 : -ENOMEM;
        } else if (strcmp(argv[1], "hostile") == 0)
                r = fake_model_new(hostile_vms, ELEMENTSOF(hostile_vms), &m);
        else
                r = fake_model_new(ordinary_vms, ELEMENTSOF(ordinary_vms), &m);
        if (r < 0) {
                fprintf(stderr, "fake-guests: model: %s\n", strerror(-r));
                return 1;
        }

        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        r = fake_daemon_start(&server, m, false);
        if (r < 0) {
                fprintf(stderr, "fake-guests: bus: %s\n", strerror(-r));
                manager_free(m);
                return 1;
        }
        fprintf(stderr, "fake-guests: serving the %s profile\n", argv[1]);
        while (!stop)
                usleep(50000); /* a signal between the check and a pause() would be lost */
        fake_daemon_stop(&server);
        manager_free(m);
        return 0;
}
