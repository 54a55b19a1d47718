/* What a hostile guest costs in memory (bench/run --vms).
 *
 * A real VM with the real qemu-guest-agent, and one whose agent is
 * tests/vm/hostile-agent.c in mode "fat": one entry of guest-info's command
 * list and of its users, filesystems and interfaces lists carries 3.7 MB of
 * empty objects (under libvirt's 4 MiB for a reply read raw). guestinfod is
 * started with the good VM only: its peak RSS then (VmHWM) is the floor.
 * Then the fat VM starts and is Refresh()ed --refreshes times, one after
 * the other: VmHWM after, and VmRSS 5 s later (what is kept).
 *
 * --fat N runs N such VMs, Refresh()ed together (N workers busy with fat
 * replies at once). --tunables A,B,... repeats the run with GLIBC_TUNABLES=A, then B ("-":
 * none, the daemon as shipped), to compare allocator settings. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "guest.h"
#include "harness.h"

#define GOOD_VM "bh-qemuga"
#define GOOD_UUID "95000000-0000-4000-8000-000000000100"
#define FAT_MAX 4
#define BOOT_TIMEOUT_MS 150000

static Harness H;
static int n_fat = 1;
static char fat_name[FAT_MAX][32], fat_uuid[FAT_MAX][40], fat_path[FAT_MAX][256];

static void cleanup(void) {
        harness_cleanup(&H);
}

static int define_fat(int i, const char *hostile_dir) {
        return guest_define_hostile(&H, fat_name[i], fat_uuid[i], hostile_dir, "fat");
}

static int refresh(const char *path) {
        sd_bus_message *reply = NULL;
        int r = bench_call(H.bus, BENCH_BUS_NAME, path, BENCH_DOMAIN_IFACE, "Refresh", 120, &reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

static int n_answers, n_failed;

static int on_refresh(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        n_answers++;
        if (sd_bus_message_is_method_error(m, NULL))
                n_failed++;
        return 0;
}

/* Refresh() of every fat VM at once; how many failed. */
static int refresh_fat(void) {
        n_answers = n_failed = 0;
        for (int i = 0; i < n_fat; i++)
                if (sd_bus_call_method_async(H.bus, NULL, BENCH_BUS_NAME, fat_path[i], BENCH_DOMAIN_IFACE, "Refresh",
                                             on_refresh, NULL, "") < 0) {
                        n_answers++;
                        n_failed++;
                }
        double end = bench_now() + 180;
        while (n_answers < n_fat && bench_now() < end)
                harness_settle(&H, 50);
        return n_failed + (n_fat - n_answers);
}

typedef struct Run {
        uint64_t floor_hwm, hwm, rss_after;
        double took;
        int refresh_failures;
} Run;

/* One daemon: the floor with the good VM, then the fat VM. */
static int one_run(const char *tunables, int refreshes, const char *good_path, Run *run) {
        if (strcmp(tunables, "-") != 0)
                setenv("GLIBC_TUNABLES", tunables, 1);
        else
                unsetenv("GLIBC_TUNABLES");
        int r = harness_start_daemon(&H, H.uri, 60, "--agent-timeout=10", NULL);
        unsetenv("GLIBC_TUNABLES");
        if (r < 0)
                return r;
        /* the good VM's first collection done */
        harness_clear_lines(&H);
        if (refresh(good_path) < 0)
                return -EIO;
        harness_settle(&H, 1000);
        run->floor_hwm = bench_rss(H.daemon_pid, "VmHWM");

        double t0 = bench_now();
        for (int i = 0; i < n_fat; i++)
                if (harness_virsh(&H, "start %s", fat_name[i]) != 0)
                        return -EIO;
        for (int i = 0; i < n_fat; i++) {
                char needle[256];
                snprintf(needle, sizeof needle, "PropertiesChanged %s AgentConnected=true", fat_uuid[i]);
                if (!harness_wait_line(&H, needle, BOOT_TIMEOUT_MS))
                        return -EIO;
        }
        run->refresh_failures = 0;
        for (int i = 0; i < refreshes; i++)
                run->refresh_failures += refresh_fat();
        run->took = bench_now() - t0;
        run->hwm = bench_rss(H.daemon_pid, "VmHWM");
        harness_settle(&H, 5000);
        run->rss_after = bench_rss(H.daemon_pid, "VmRSS");
        for (int i = 0; i < n_fat; i++)
                harness_virsh(&H, "destroy %s", fat_name[i]);
        return harness_stop_daemon(&H) == 0 ? 0 : -EIO;
}

int main(int argc, char *argv[]) {
        int refreshes = 5;
        char *tunables = strdup("-");
        static const struct option options[] = {
                { "refreshes", required_argument, NULL, 'r' },
                { "tunables", required_argument, NULL, 't' },
                { "fat", required_argument, NULL, 'f' },
                {},
        };
        for (int c; (c = getopt_long(argc, argv, "r:t:f:", options, NULL)) >= 0;)
                if (c == 'r')
                        refreshes = atoi(optarg);
                else if (c == 'f')
                        n_fat = atoi(optarg);
                else if (c == 't') {
                        free(tunables);
                        tunables = strdup(optarg);
                } else
                        return 2;
        if (refreshes < 1)
                refreshes = 1;
        if (n_fat < 1 || n_fat > FAT_MAX)
                n_fat = 1;
        for (int i = 0; i < n_fat; i++) {
                snprintf(fat_name[i], sizeof fat_name[i], "bh-fat%d", i + 1);
                snprintf(fat_uuid[i], sizeof fat_uuid[i], "95000000-0000-4000-8000-00000000000%c", (char) ('1' + i));
        }

        char good_dir[512], hostile_dir[512], *p = NULL, good_path[256];
        if (harness_init(&H) < 0)
                return 1;
        bench_init(1800);
        bench_on_exit(cleanup);
        snprintf(good_dir, sizeof good_dir, "%s/good", H.dir);
        snprintf(hostile_dir, sizeof hostile_dir, "%s/hostile", H.dir);
        if (harness_start_bus(&H) < 0 || harness_connect_client(&H) < 0 || guest_build(&H, "guest.env", good_dir) ||
            guest_build(&H, "guest-hostile.env", hostile_dir) || harness_start_libvirtd(&H, "qemu") < 0 ||
            guest_define(&H, GOOD_VM, GOOD_UUID, "guest.env", good_dir, true)) {
                fprintf(stderr, "bench-hostile: cannot set up the VMs\n");
                return 1;
        }
        for (int i = 0; i < n_fat; i++) {
                if (define_fat(i, hostile_dir) < 0) {
                        fprintf(stderr, "bench-hostile: cannot define %s\n", fat_name[i]);
                        return 1;
                }
                harness_domain_path(fat_uuid[i], &p);
                snprintf(fat_path[i], sizeof fat_path[i], "%s", p);
                free(p);
        }
        harness_domain_path(GOOD_UUID, &p);
        snprintf(good_path, sizeof good_path, "%s", p);
        free(p);

        /* the good VM up, its agent answering, before any daemon runs */
        if (harness_virsh(&H, "start %s", GOOD_VM) != 0 || harness_start_daemon(&H, H.uri, 60, NULL) < 0 ||
            !harness_wait_line(&H, "InterfacesAdded " GOOD_UUID " Filesystems(", BOOT_TIMEOUT_MS) ||
            harness_stop_daemon(&H) != 0) {
                fprintf(stderr, "bench-hostile: the good VM did not come up\n");
                return 1;
        }

        int failures = 0;
        for (char *save = NULL, *t = strtok_r(tunables, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                Run run = { 0 };
                bool shipped = strcmp(t, "-") == 0;
                const char *name = shipped ? "as shipped" : t;
                if (one_run(t, refreshes, good_path, &run) < 0) {
                        fprintf(stderr, "bench-hostile: the run with %s failed\n", name);
                        failures++;
                        for (int i = 0; i < n_fat; i++)
                                harness_virsh(&H, "destroy %s", fat_name[i]);
                        harness_stop_daemon(&H);
                        continue;
                }
                printf("# %s: VmHWM %s with the good VM (floor), %s after %d fat VMs' start and %d Refresh() "
                       "(%d failed, %.1f s); VmRSS 5 s later %s\n",
                       name, bench_fmt_bytes((double) run.floor_hwm), bench_fmt_bytes((double) run.hwm), n_fat,
                       refreshes, run.refresh_failures, run.took, bench_fmt_bytes((double) run.rss_after));
                char metric[256], value[64], ratio[32];
                snprintf(metric, sizeof metric,
                         "memory, %d hostile guest%s (3.7 MB fat entries), %d Refresh(): peak VmHWM%s%s", n_fat,
                         n_fat > 1 ? "s at once" : "", refreshes, shipped ? "" : ", GLIBC_TUNABLES=", shipped ? "" : t);
                snprintf(value, sizeof value, "%s", bench_fmt_bytes((double) run.hwm));
                snprintf(ratio, sizeof ratio, "%s", bench_fmt_ratio((double) run.hwm / (double) run.floor_hwm));
                bench_row(metric, value, "idle daemon, one good VM (VmHWM)", bench_fmt_bytes((double) run.floor_hwm),
                          ratio, n_fat > 1 ? "≤ floor + 64 MiB × guests" : "≤ floor + 64 MiB",
                          bench_met(run.hwm <= run.floor_hwm + (uint64_t) n_fat * 64 * 1024 * 1024 &&
                                    run.refresh_failures == 0));
        }
        free(tunables);
        return failures ? 1 : 0;
}
