/* End to end: what one hostile guest's replies cost the daemon in memory.
 *
 * Next to a well-behaved VM with the real qemu-ga, one VM runs the hostile
 * agent in mode "fat" (tests/vm/hostile-agent.c): one entry of guest-info's
 * command list, and one of its users, filesystems and interfaces lists
 * (long enough that libvirt's typed parameters cannot carry them, so the
 * daemon reads the agent's own replies), carries 3.7 MB of empty objects.
 * Handed to jansson whole, one such reply cost 280 MB, and glibc kept it
 * per worker thread. The daemon is Refresh()ed several times; its peak RSS
 * (VmHWM) must stay within a bound, the fat VM's data must be published
 * with the fat entries skipped but counted, and the good VM must keep
 * answering. */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "guest.h"
#include "harness.h"

#define BUS_NAME "org.guestinfod.GuestInfo1"
#define DOMAIN_IFACE "org.guestinfod.GuestInfo1.Domain"
#define OS_IFACE "org.guestinfod.GuestInfo1.OS"
#define USERS_IFACE "org.guestinfod.GuestInfo1.Users"
#define FS_IFACE "org.guestinfod.GuestInfo1.Filesystems"
#define NETWORK_IFACE "org.guestinfod.GuestInfo1.Network"

/* Peak RSS of the daemon over the whole run. Under AddressSanitizer
 * (tools/check's second pass sets DAEMON_ASAN_OPTIONS) shadow memory and the
 * quarantine say nothing about the daemon's own bound: only sanity there. */
#define HWM_MAX_KIB (getenv("DAEMON_ASAN_OPTIONS") ? 1024 * 1024 : 64 * 1024)
#define REFRESHES 3
#define AGENT_TIMEOUT "--agent-timeout=30"
#define REFRESH_TIMEOUT_S 180
#define GOOD_REFRESH_MAX_S 10.0
#define BOOT_TIMEOUT_MS 150000

#define GOOD_VM "hm-qemuga"
#define GOOD_UUID "94000000-0000-4000-8000-000000000100"
#define FAT_VM "hm-fat"
#define FAT_UUID "94000000-0000-4000-8000-000000000001"

static Harness H;
static char good_path[256], fat_path[256], hostile_dir[512];
static long floor_hwm_kib;

static long daemon_status_kib(const char *key) {
        char path[64], line[256];
        size_t n = strlen(key);
        long kib = -1;
        snprintf(path, sizeof path, "/proc/%d/status", (int) H.daemon_pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof line, f))
                if (strncmp(line, key, n) == 0 && line[n] == ':' && sscanf(line + n + 1, "%ld", &kib) == 1)
                        break;
        fclose(f);
        return kib;
}

static int refresh(const char *path, double *took) {
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_message_new_method_call(H.bus, &m, BUS_NAME, path, DOMAIN_IFACE, "Refresh");
        if (r < 0)
                return r;
        double t0 = harness_now();
        r = sd_bus_call(H.bus, m, (uint64_t) REFRESH_TIMEOUT_S * 1000000, &e, &reply);
        *took = harness_now() - t0;
        if (r < 0)
                printf("# Refresh(%s): %s: %s\n", path, e.name, e.message);
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(m);
        return r;
}

/* Entries of an array property or of a method's array reply. */
static long count_array(const char *path, const char *iface, const char *member, bool method, const char *contents) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char type[64];
        long n = 0;
        int r;
        snprintf(type, sizeof type, "a%s", contents);
        if (method)
                r = sd_bus_call_method(H.bus, BUS_NAME, path, iface, member, &e, &reply, "");
        else
                r = sd_bus_get_property(H.bus, BUS_NAME, path, iface, member, &e, &reply, type);
        sd_bus_error_free(&e);
        if (r < 0)
                return -1;
        /* a property's reply comes positioned inside its variant */
        if (sd_bus_message_enter_container(reply, 'a', contents) < 0)
                n = -1;
        else
                while (sd_bus_message_skip(reply, contents) > 0)
                        n++;
        sd_bus_message_unref(reply);
        return n;
}

static int define_fat(void) {
        return guest_define_hostile(&H, FAT_VM, FAT_UUID, hostile_dir, "fat");
}

static int group_setup(void **state) {
        char good_dir[512], *p = NULL;

        /* meson's MALLOC_PERTURB_ fills every block malloc hands out and
         * frees: the daemon's RSS would not be the allocator's own, and
         * libvirtd's JSON parser, which grows an array by reallocating it
         * once per element, spends minutes on 3.7 MB of empty objects. */
        unsetenv("MALLOC_PERTURB_");
        assert_int_equal(harness_setup(&H), 0);
        snprintf(good_dir, sizeof good_dir, "%s/good", H.dir);
        snprintf(hostile_dir, sizeof hostile_dir, "%s/hostile", H.dir);
        assert_int_equal(guest_build(&H, "guest.env", good_dir), 0);
        assert_int_equal(guest_build(&H, "guest-hostile.env", hostile_dir), 0);
        assert_int_equal(harness_start_libvirtd(&H, "qemu"), 0);
        assert_int_equal(guest_define(&H, GOOD_VM, GOOD_UUID, "guest.env", good_dir, true), 0);
        assert_int_equal(define_fat(), 0);
        harness_domain_path(GOOD_UUID, &p);
        snprintf(good_path, sizeof good_path, "%s", p);
        free(p);
        harness_domain_path(FAT_UUID, &p);
        snprintf(fat_path, sizeof fat_path, "%s", p);
        free(p);

        assert_int_equal(harness_start_daemon(&H, H.uri, 60, AGENT_TIMEOUT, NULL), 0);
        assert_int_equal(harness_virsh(&H, "start %s", GOOD_VM), 0);
        assert_true(harness_wait_line(&H, "InterfacesAdded " GOOD_UUID " Filesystems(", BOOT_TIMEOUT_MS));
        harness_settle(&H, 1000);
        floor_hwm_kib = daemon_status_kib("VmHWM");
        printf("# guestinfod with the good VM only: VmHWM %ld KiB, VmRSS %ld KiB\n", floor_hwm_kib,
               daemon_status_kib("VmRSS"));
        return 0;
}

/* What the daemon said about the fat VM, for the record. */
static void print_log(void) {
        char line[1024];
        int n = 0;
        FILE *f = fopen(H.daemon_log, "re");
        while (f && fgets(line, sizeof line, f))
                if (strstr(line, FAT_VM) && n++ < 20)
                        printf("#   log: %.200s", line);
        if (f)
                fclose(f);
}

static int group_teardown(void **state) {
        print_log();
        int status = harness_stop_daemon(&H);
        harness_cleanup(&H);
        assert_int_equal(status, 0);
        return 0;
}

static void test_fat_replies(void **state) {
        double took, good_max = 0;
        long hwm[REFRESHES + 1];
        int connected = 0;

        assert_int_equal(harness_virsh(&H, "start %s", FAT_VM), 0);
        assert_true(harness_wait_line(&H, "PropertiesChanged " FAT_UUID " AgentConnected=true", BOOT_TIMEOUT_MS) ||
                    (harness_get_property(&H, fat_path, DOMAIN_IFACE, "AgentConnected", 'b', &connected) >= 0 &&
                     connected));
        /* the first collection: guest-info, then the lists libvirt refuses
         * (too many entries); each Refresh() after it reads them raw */
        harness_settle(&H, 2000);
        hwm[0] = daemon_status_kib("VmHWM");
        for (int i = 1; i <= REFRESHES; i++) {
                /* a Refresh() within 2 s of a collection is answered from it
                 * (REFRESH_REUSE_USEC): wait, so that each one reads again */
                usleep(2500 * 1000);
                int r = refresh(fat_path, &took);
                printf("# fat VM Refresh() %d: %s after %.1f s; VmHWM %ld KiB, VmRSS %ld KiB\n", i,
                       r >= 0 ? "success" : "failed", took, daemon_status_kib("VmHWM"), daemon_status_kib("VmRSS"));
                hwm[i] = daemon_status_kib("VmHWM");
                double good;
                if (refresh(good_path, &good) < 0)
                        good_max = 1e9;
                else if (good > good_max)
                        good_max = good;
        }
        long rss = daemon_status_kib("VmRSS");
        printf("# guestinfod: VmHWM %ld KiB with the good VM only, %ld KiB after the first collection of the fat VM, "
               "%ld KiB after %d Refresh(); VmRSS now %ld KiB (bound %d KiB)\n",
               floor_hwm_kib, hwm[0], hwm[REFRESHES], REFRESHES, rss, (int) HWM_MAX_KIB);
        assert_true(harness_daemon_running(&H));
        assert_true(hwm[REFRESHES] <= HWM_MAX_KIB);

        /* the good VM was not held up */
        printf("# good VM Refresh(): slowest %.2f s\n", good_max);
        assert_true(good_max <= GOOD_REFRESH_MAX_S);
        char *want = spec_value("guest.env", "$GUEST_HOSTNAME"), *got = NULL;
        assert_non_null(want);
        assert_int_equal(harness_get_property(&H, good_path, OS_IFACE, "Hostname", 's', &got), 0);
        assert_string_equal(got, want);
        free(want);
        free(got);

        /* the fat VM: published, each fat entry skipped but counted */
        uint32_t users = 0, filesystems = 0;
        long commands = count_array(fat_path, DOMAIN_IFACE, "AgentSupportedCommands", false, "(sb)");
        assert_int_equal(harness_get_property(&H, fat_path, USERS_IFACE, "UserCount", 'u', &users), 0);
        assert_int_equal(harness_get_property(&H, fat_path, FS_IFACE, "FilesystemCount", 'u', &filesystems), 0);
        long list_users = count_array(fat_path, USERS_IFACE, "ListUsers", true, "(ssta{sv})");
        long list_fs = count_array(fat_path, FS_IFACE, "ListFilesystems", true, "(ssstta(ssa{sv})a{sv})");
        long ifaces = count_array(fat_path, NETWORK_IFACE, "Interfaces", false, "(sssa(ssy)asa{sv})");
        printf("# fat VM: %ld commands, UserCount %u (ListUsers %ld), FilesystemCount %u (ListFilesystems %ld), "
               "%ld interfaces\n",
               commands, users, list_users, filesystems, list_fs, ifaces);
        /* 13 commands, one of them fat */
        assert_int_equal(commands, 12);
        assert_int_equal(users, 1000);
        assert_int_equal(filesystems, 300);
        assert_in_range(list_users, 1, 256);
        assert_in_range(list_fs, 1, 256);
        assert_in_range(ifaces, 2, 11);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fat_replies),
        };
        return cmocka_run_group_tests_name("e2e: a hostile guest's memory", tests, group_setup, group_teardown);
}
