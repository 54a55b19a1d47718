/* guestinfod as a system service, proven against the real parts: a
 * system-type dbus-daemon with the installed bus policy, real polkitd with the
 * installed actions, the unit as installed by `meson install`, and callers
 * of several kinds (root, a member of the allowed group, an outsider).
 *
 * It runs in a private mount namespace: /etc/passwd, /etc/group, polkit's
 * actions and rules folders are replaced by throw-away copies there, so the
 * machine keeps its own. Needs root (as CI has). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

#define MEMBER_UID "64999"
#define GROUP_NAME "libvirt" /* the default of the bus_group build option */
#define TEST_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f"

static Harness H;
static char destdir[400], group_gid[16] = "64998";
static char unit_path[800], bus_policy_path[800], actions_path[800], rules_dir[400], installed_json_path[500];
static pid_t polkit_pid;

static void die_unless(int ok, const char *what) {
        if (!ok) {
                fprintf(stderr, "test-system: %s: %m\n", what);
                exit(1);
        }
}

/* ---- the throw-away world ---- */

static void write_file(const char *path, const char *content) {
        FILE *f = fopen(path, "we");
        die_unless(f != NULL, path);
        fputs(content, f);
        fclose(f);
}

static void bind(const char *from, const char *to) {
        die_unless(mount(from, to, NULL, MS_BIND, NULL) == 0, to);
}

static int run_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run_sh(const char *fmt, ...) {
        char cmd[4096];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof cmd, fmt, ap);
        va_end(ap);
        char *argv[] = { "sh", "-c", cmd, NULL };
        return harness_run(argv, 120, NULL);
}

static char *run_sh_out(int *status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *run_sh_out(int *status, const char *fmt, ...) {
        char cmd[4096], *out = NULL;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof cmd, fmt, ap);
        va_end(ap);
        char *argv[] = { "sh", "-c", cmd, NULL };
        *status = harness_run(argv, 120, &out);
        return out ? out : strdup("");
}

/* Users and groups: a member of the allowed group, added to copies. */
static void private_users(void) {
        char passwd[400], group[400];
        int status;

        snprintf(passwd, sizeof passwd, "%s/passwd", H.dir);
        snprintf(group, sizeof group, "%s/group", H.dir);
        die_unless(run_sh("cp /etc/passwd '%s' && cp /etc/group '%s'", passwd, group) == 0, "copy users");
        char *gid = run_sh_out(&status, "getent group " GROUP_NAME " | cut -d: -f3");
        if (status == 0 && gid[0] && gid[0] != '\n') {
                snprintf(group_gid, sizeof group_gid, "%.*s", (int) strcspn(gid, "\n"), gid);
                /* existing group: add the member to it */
                die_unless(run_sh("sed -i 's/^\\(" GROUP_NAME ":[^:]*:[^:]*:\\)\\(.\\)/\\1\\2,guestinfo-member/;"
                                  "s/^\\(" GROUP_NAME ":[^:]*:[^:]*:\\)$/\\1guestinfo-member/' '%s'",
                                  group) == 0,
                           "edit group");
        } else
                die_unless(run_sh("echo '" GROUP_NAME ":x:%s:guestinfo-member' >> '%s'", group_gid, group) == 0,
                           "add group");
        free(gid);
        die_unless(run_sh("echo 'guestinfo-member:x:" MEMBER_UID ":%s::/nonexistent:/usr/sbin/nologin' >> '%s'",
                          group_gid, passwd) == 0,
                   "add user");
        bind(passwd, "/etc/passwd");
        bind(group, "/etc/group");
}

/* The installed action next to the machine's own; an empty rules folder. */
static void private_polkit(void) {
        char actions[400];

        snprintf(actions, sizeof actions, "%s/polkit-actions", H.dir);
        snprintf(rules_dir, sizeof rules_dir, "%s/polkit-rules", H.dir);
        die_unless(run_sh("mkdir -p '%s' '%s' && cp /usr/share/polkit-1/actions/* '%s'/ 2>/dev/null; "
                          "cp '%s' '%s'/ && chmod 755 '%s' '%s'",
                          actions, rules_dir, actions, actions_path, actions, actions, rules_dir) == 0,
                   "polkit folders");
        bind(actions, "/usr/share/polkit-1/actions");
        bind(rules_dir, "/etc/polkit-1/rules.d");
}

/* Where meson installed each file: `meson introspect --installed`. */
static void find_installed(void) {
        int status;
        char *json = run_sh_out(&status, "meson introspect '%s' --installed", harness_build_root());
        die_unless(status == 0, "meson introspect");
        json_t *j = json_loads(json, 0, NULL);
        die_unless(j != NULL, "parse meson introspect");
        const char *src;
        json_t *dst;
        json_object_foreach(j, src, dst) {
                const char *d = json_string_value(dst);
                char *target = NULL;
                if (strstr(src, "org.guestinfod.GuestInfo1.conf"))
                        target = bus_policy_path;
                else if (strstr(src, "org.guestinfod.guestinfo1.policy"))
                        target = actions_path;
                else if (strstr(d, "/system/guestinfod.service"))
                        target = unit_path;
                if (target)
                        snprintf(target, 800, "%s%s", destdir, d);
        }
        json_decref(j);
        free(json);
        snprintf(installed_json_path, sizeof installed_json_path, "%s/installed.json", H.dir);
}

static void start_polkitd(void) {
        polkit_pid = fork();
        if (polkit_pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                execl("/usr/lib/polkit-1/polkitd", "polkitd", "--no-debug", NULL);
                _exit(127);
        }
        /* It owns org.freedesktop.PolicyKit1 within a fraction of a second. */
        for (int i = 0; i < 200; i++) {
                int status;
                char *out = run_sh_out(&status, "busctl --system status org.freedesktop.PolicyKit1 >/dev/null 2>&1 "
                                                "&& echo up");
                bool up = strstr(out, "up") != NULL;
                free(out);
                if (up)
                        return;
                usleep(50000);
        }
        fprintf(stderr, "polkitd did not come up\n");
        exit(1);
}

static void stop_polkitd(void) {
        if (polkit_pid > 0) {
                kill(polkit_pid, SIGTERM);
                waitpid(polkit_pid, NULL, 0);
                polkit_pid = 0;
        }
}

/* guestinfod exactly as the installed unit starts it: its ExecStart, with
 * GUESTINFOD_OPTIONS as /etc/guestinfod.conf would set it. */
static int start_daemon_like_the_unit(void) {
        int status;
        char *exec = run_sh_out(&status, "sed -n 's/^ExecStart=//p' '%s'", unit_path);
        if (status != 0 || !exec[0])
                return -EINVAL;
        exec[strcspn(exec, "\n")] = '\0';
        char cmd[2048];
        /* the binary from DESTDIR, the same flags */
        snprintf(cmd, sizeof cmd, "GUESTINFOD_OPTIONS='--connect %s'; exec %s%s", H.uri, destdir, exec);
        free(exec);
        char *argv[] = { "sh", "-c", cmd, NULL };
        return harness_start_daemon_argv(&H, argv, 30);
}

static int group_setup(void **state) {
        char includedir[900];

        assert_int_equal(harness_init(&H), 0);
        chmod(H.dir, 0755); /* polkitd and the test users must reach the bus socket */
        snprintf(destdir, sizeof destdir, "%s/destdir", H.dir);
        assert_int_equal(run_sh("meson install -C '%s' --destdir '%s' --no-rebuild --quiet >/dev/null",
                                harness_build_root(), destdir),
                         0);
        find_installed();
        assert_true(unit_path[0] && bus_policy_path[0] && actions_path[0]);

        private_users();
        private_polkit();

        snprintf(includedir, sizeof includedir, "%s", bus_policy_path);
        *strrchr(includedir, '/') = '\0';
        assert_int_equal(harness_start_system_bus(&H, includedir), 0);
        start_polkitd();
        assert_int_equal(harness_start_libvirtd(&H, "test"), 0);
        assert_int_equal(start_daemon_like_the_unit(), 0);
        printf("# guestinfod started as the unit does: READY after %.3f s\n", H.ready_seconds);
        assert_true(sd_bus_open_system(&H.bus) >= 0);
        return 0;
}

static int group_teardown(void **state) {
        int status = harness_stop_daemon(&H);
        stop_polkitd();
        harness_cleanup(&H);
        assert_int_equal(status, 0);
        return 0;
}

/* ---- callers ---- */

/* The command prefix that runs as root, the group member or an outsider. */
static void user_prefix(const char *who, char *buf, size_t size) {
        if (strcmp(who, "root") == 0)
                buf[0] = '\0';
        else if (strcmp(who, "member") == 0)
                snprintf(buf, size, "setpriv --reuid=" MEMBER_UID " --regid=%s --groups=%s ", group_gid, group_gid);
        else
                snprintf(buf, size, "setpriv --reuid=65534 --regid=65534 --clear-groups ");
}

/* busctl --system as the given user; returns exit status, output in *out. */
static int busctl_as(const char *who, char **out, const char *args) {
        char pre[200], cmd[2048];
        user_prefix(who, pre, sizeof pre);
        snprintf(cmd, sizeof cmd, "%sbusctl --system --timeout=20 %s 2>&1", pre, args);
        char *argv[] = { "sh", "-c", cmd, NULL };
        int status = harness_run(argv, 60, out);
        if (!*out)
                *out = strdup("");
        return status;
}

#define MANAGER "call org.guestinfod.GuestInfo1 /org/guestinfod/GuestInfo1 org.guestinfod.GuestInfo1.Manager "

static char *domain_path(void) {
        char *p = NULL;
        harness_domain_path(TEST_UUID, &p);
        return p;
}

static void expect(const char *who, const char *args, int want_ok, const char *want_text) {
        char *out = NULL;
        int status = busctl_as(who, &out, args);
        if ((status == 0) != want_ok || (want_text && !strstr(out, want_text)))
                fprintf(stderr, "%s: busctl %s\n  exit %d, output: %s\n  wanted %s%s%s\n", who, args, status, out,
                        want_ok ? "success" : "failure", want_text ? " with " : "", want_text ? want_text : "");
        assert_int_equal(status == 0, want_ok);
        if (want_text)
                assert_non_null(strstr(out, want_text));
        free(out);
}

/* ---- tests ---- */

/* Refresh() of the test domain as who: the daemon's full answer. */
static char *refresh_as(const char *who) {
        char pre[200], cmd[1024], *path = domain_path(), *out = NULL;
        user_prefix(who, pre, sizeof pre);
        snprintf(cmd, sizeof cmd, "%s'%s/tests/system/call-method' '%s' org.guestinfod.GuestInfo1.Domain Refresh", pre,
                 harness_build_root(), path);
        char *argv[] = { "sh", "-c", cmd, NULL };
        harness_run(argv, 60, &out);
        free(path);
        return out ? out : strdup("");
}

static void expect_refresh(const char *who, const char *want) {
        char *out = refresh_as(who);
        if (!strstr(out, want))
                fprintf(stderr, "%s: Refresh() answered '%s', wanted '%s'\n", who, out, want);
        assert_non_null(strstr(out, want));
        free(out);
}

static void test_install_layout(void **state) {
        int status;
        /* every file meson says it installs is there */
        char *missing = run_sh_out(&status,
                                   "meson introspect '%s' --installed | tr ',' '\\n' | "
                                   "sed -n 's/.*\": *\"\\(.*\\)\"}*$/\\1/p' | while read f; do "
                                   "[ -e '%s'\"$f\" ] || echo \"$f\"; done",
                                   harness_build_root(), destdir);
        assert_int_equal(status, 0);
        assert_string_equal(missing, "");
        free(missing);

        /* and each where the system looks for it */
        const char *expected[] = {
                "/sbin/guestinfod",
                "/share/dbus-1/interfaces/org.guestinfod.GuestInfo1.Manager.xml",
                "/share/dbus-1/interfaces/org.guestinfod.GuestInfo1.Domain.xml",
                "/share/dbus-1/interfaces/org.guestinfod.GuestInfo1.OS.xml",
                "/share/dbus-1/interfaces/org.guestinfod.GuestInfo1.Users.xml",
                "/share/dbus-1/interfaces/org.guestinfod.GuestInfo1.Filesystems.xml",
                "/share/dbus-1/interfaces/org.guestinfod.GuestInfo1.Network.xml",
                "/share/dbus-1/system.d/org.guestinfod.GuestInfo1.conf",
                "/share/dbus-1/system-services/org.guestinfod.GuestInfo1.service",
                "/share/polkit-1/actions/org.guestinfod.guestinfo1.policy",
                "/lib/systemd/system/guestinfod.service",
                "/share/man/man8/guestinfod.8",
        };
        for (size_t i = 0; i < sizeof expected / sizeof *expected; i++) {
                int r = run_sh("ls '%s'/usr/local%s >/dev/null 2>&1 || ls '%s'/usr%s >/dev/null 2>&1", destdir,
                               expected[i], destdir, expected[i]);
                if (r != 0)
                        fprintf(stderr, "not installed: %s\n", expected[i]);
                assert_int_equal(r, 0);
        }
        assert_int_equal(run_sh("grep -q '^SystemdService=guestinfod.service$' "
                                "$(find '%s' -path '*system-services/org.guestinfod.GuestInfo1.service')",
                                destdir),
                         0);
}

static void test_unit_verifies(void **state) {
        char exec_dir[900];
        int status;

        /* ExecStart must exist where the unit says: mount a private copy there */
        char *exec = run_sh_out(&status, "sed -n 's/^ExecStart=\\([^ ]*\\).*/\\1/p' '%s'", unit_path);
        exec[strcspn(exec, "\n")] = '\0';
        snprintf(exec_dir, sizeof exec_dir, "%s", exec);
        *strrchr(exec_dir, '/') = '\0';
        die_unless(mount("tmpfs", exec_dir, "tmpfs", 0, "mode=0755") == 0, exec_dir);
        assert_int_equal(run_sh("cp '%s%s' '%s'", destdir, exec, exec_dir), 0);

        char *out = run_sh_out(&status, "systemd-analyze verify --man=no '%s' 2>&1", unit_path);
        if (status != 0)
                fprintf(stderr, "systemd-analyze verify: %s\n", out);
        assert_int_equal(status, 0);
        free(out);
        umount(exec_dir);

        out = run_sh_out(&status,
                         "systemd-analyze security --offline=yes --root='%s' guestinfod.service 2>&1 | "
                         "sed -n 's/.*Overall exposure level for guestinfod.service: \\([0-9.]*\\).*/\\1/p'",
                         destdir);
        printf("# systemd-analyze security exposure: %s", out);
        assert_true(out[0] != '\0');
        assert_true(strtod(out, NULL) <= 2.0);
        free(out), free(exec);
}

static void test_root_may_do_everything(void **state) {
        char *path = domain_path(), args[600];

        expect("root", MANAGER "ListDomains", 1, TEST_UUID);
        expect("root", MANAGER "GetDomainByName s test", 1, path);
        expect("root", MANAGER "GetDomainByUUID s " TEST_UUID, 1, path);
        snprintf(args, sizeof args, "get-property org.guestinfod.GuestInfo1 %s org.guestinfod.GuestInfo1.Domain State",
                 path);
        expect("root", args, 1, "running");
        snprintf(args, sizeof args, "call org.guestinfod.GuestInfo1 %s org.guestinfod.GuestInfo1.Domain GetInterfaces",
                 path);
        expect("root", args, 1, "[");
        /* polkit lets root refresh; the test hypervisor has no agent to ask */
        expect_refresh("root", "ERROR org.guestinfod.GuestInfo1.Error.NoAgent");
        free(path);
}

static void test_outsider_is_refused_by_the_bus(void **state) {
        /* refused by dbus-daemon itself, before the daemon sees it */
        expect_refresh("outsider", "ERROR org.freedesktop.DBus.Error.AccessDenied: Rejected send message");
        char *path = domain_path(), args[600];

        expect("outsider", MANAGER "ListDomains", 0, "Access denied");
        snprintf(args, sizeof args, "get-property org.guestinfod.GuestInfo1 %s org.guestinfod.GuestInfo1.Domain Name",
                 path);
        expect("outsider", args, 0, "Access denied");
        snprintf(args, sizeof args, "call org.guestinfod.GuestInfo1 %s org.guestinfod.GuestInfo1.Domain Refresh", path);
        expect("outsider", args, 0, "Access denied");
        free(path);
}

/* guestinfoctl's exit codes for the people the policy concerns. */
static void test_guestinfoctl_exit_codes(void **state) {
        char pre[200], cmd[1024];
        const struct {
                const char *who, *args;
                int want;
        } cases[] = {
                { "root", "list --names", 0 },
                { "member", "list --names", 0 },
                { "outsider", "list", 5 },       /* refused by the bus: access denied */
                { "member", "refresh test", 5 }, /* refused by polkit's default */
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                user_prefix(cases[i].who, pre, sizeof pre);
                snprintf(cmd, sizeof cmd, "%s'%s/cli/guestinfoctl' --system --no-ask-password %s >/dev/null 2>&1", pre,
                         harness_build_root(), cases[i].args);
                char *argv[] = { "sh", "-c", cmd, NULL };
                int status = harness_run(argv, 60, NULL);
                if (status != cases[i].want)
                        fprintf(stderr, "%s: guestinfoctl %s exited %d, want %d\n", cases[i].who, cases[i].args, status,
                                cases[i].want);
                assert_int_equal(status, cases[i].want);
        }
}

static void test_only_root_owns_the_name(void **state) {
        const char *request = "call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus RequestName su "
                              "org.guestinfod.GuestInfo1 4";
        expect("outsider", request, 0, "Access denied");
        expect("member", request, 0, "Access denied");
}

/* dbus-monitor (root may monitor the bus) writing every CheckAuthorization
 * call to a file; returns its PID. */
static pid_t monitor_polkit_checks(const char *log) {
        pid_t pid = fork();
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
                        _exit(127);
                execlp("dbus-monitor", "dbus-monitor", "--system",
                       "type='method_call',interface='org.freedesktop.PolicyKit1.Authority',"
                       "member='CheckAuthorization'",
                       NULL);
                _exit(127);
        }
        /* it is listening once it printed its own NameAcquired */
        for (int i = 0; i < 100; i++) {
                struct stat st;
                if (stat(log, &st) == 0 && st.st_size > 0)
                        break;
                usleep(50000);
        }
        usleep(200000);
        return pid;
}

static unsigned count_in_file(const char *path, const char *needle) {
        char line[4096];
        unsigned n = 0;
        FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof line, f))
                if (strstr(line, needle))
                        n++;
        if (f)
                fclose(f);
        return n;
}

/* A caller polkit denies, sending Refresh() as fast as the bus carries it:
 * 100 calls at once, then one after the other for 2 s. Before, each call
 * was one polkit check (335 a second); now one check is in flight per
 * caller and its answer serves that caller for POLKIT_CACHE_USEC (5 s). */
static void test_denied_flood_costs_polkit_one_check(void **state) {
        char log[600], pre[200], cmd[1200], *path = domain_path(), *out = NULL;
        unsigned calls = 0, denied = 0, other = 0;

        snprintf(log, sizeof log, "%s/polkit-checks.log", H.dir);
        pid_t monitor = monitor_polkit_checks(log);
        assert_true(monitor > 0); /* never kill(-1, ...) */
        user_prefix("member", pre, sizeof pre);
        snprintf(cmd, sizeof cmd, "%s'%s/tests/system/flood-refresh' '%s' 100 2", pre, harness_build_root(), path);
        char *argv[] = { "sh", "-c", cmd, NULL };
        int status = harness_run(argv, 120, &out);
        usleep(300000);
        kill(monitor, SIGTERM);
        waitpid(monitor, NULL, 0);

        unsigned checks = count_in_file(log, "member=CheckAuthorization");
        assert_int_equal(status, 0);
        assert_int_equal(sscanf(out ? out : "", "calls %u denied %u other %u", &calls, &denied, &other), 3);
        printf("# a denied caller's flood: %u Refresh() calls in 2 s, %u polkit checks\n", calls, checks);
        /* every call answered, with the denial */
        assert_true(calls >= 100);
        assert_int_equal(denied, calls);
        assert_true(checks >= 1);
        assert_true(checks <= 2);
        free(out), free(path);
}

static void test_member_reads_and_polkit_gates_refresh(void **state) {
        char rule[1024], rule_path[600];

        expect("member", MANAGER "ListDomains", 1, TEST_UUID);
        /* polkit's default for the action: an administrator must authenticate */
        expect_refresh("member", "ERROR org.freedesktop.DBus.Error.AccessDenied: Refresh is not allowed");

        /* a rule for the group, picked up live, nothing restarted */
        snprintf(rule, sizeof rule,
                 "polkit.addRule(function(action, subject) {\n"
                 "    if (action.id == \"org.guestinfod.guestinfo1.refresh\" && subject.isInGroup(\"%s\"))\n"
                 "        return polkit.Result.YES;\n"
                 "});\n",
                 GROUP_NAME);
        snprintf(rule_path, sizeof rule_path, "%s/50-guestinfod-test.rules", rules_dir);
        write_file(rule_path, rule);
        chmod(rule_path, 0644);
        bool allowed = false;
        for (int i = 0; i < 50 && !allowed; i++) {
                char *out = refresh_as("member");
                /* authorized: now only the missing agent stops it */
                allowed = strstr(out, "org.guestinfod.GuestInfo1.Error.NoAgent") != NULL;
                free(out);
                if (!allowed)
                        usleep(200000);
        }
        assert_true(allowed);
        unlink(rule_path);
}

static unsigned signals_seen_by(const char *who) {
        char cmd[1024], pre[200];
        user_prefix(who, pre, sizeof pre);
        snprintf(cmd, sizeof cmd, "%s'%s/tests/system/listen-signals' 4 > '%s/%s.signals' &", pre, harness_build_root(),
                 H.dir, who);
        return run_sh("%s", cmd) == 0 ? 0 : 1;
}

static unsigned read_count(const char *who) {
        char path[500];
        unsigned n = 0;
        snprintf(path, sizeof path, "%s/%s.signals", H.dir, who);
        FILE *f = fopen(path, "re");
        if (!f)
                return 9999;
        char line[64];
        while (fgets(line, sizeof line, f))
                if (line[0] >= '0' && line[0] <= '9')
                        n = (unsigned) atoi(line);
        fclose(f);
        return n;
}

static void test_signals_reach_only_allowed_users(void **state) {
        assert_int_equal(signals_seen_by("member"), 0);
        assert_int_equal(signals_seen_by("outsider"), 0);
        usleep(800000); /* both listening */
        assert_int_equal(harness_virsh(&H, "suspend test"), 0);
        assert_int_equal(harness_virsh(&H, "resume test"), 0);
        sleep(4);
        unsigned member = read_count("member"), outsider = read_count("outsider");
        printf("# PropertiesChanged seen: member %u, outsider %u\n", member, outsider);
        assert_true(member >= 2 && member != 9999);
        assert_int_equal(outsider, 0);
}

static void test_polkit_gone_is_a_clear_denial(void **state) {
        stop_polkitd();
        double t0 = harness_now();
        expect_refresh("member", "ERROR org.freedesktop.DBus.Error.AccessDenied: Refresh is not allowed");
        printf("# Refresh without polkit: denied in %.3f s\n", harness_now() - t0);
        assert_true(harness_now() - t0 < 10);
}

int main(void) {
        if (geteuid() != 0) {
                fprintf(stderr, "test-system needs root (it starts dbus-daemon, polkitd and libvirtd of its own)\n");
                return 77;
        }
        /* Everything below happens in our own mount namespace. */
        die_unless(unshare(CLONE_NEWNS) == 0, "unshare");
        die_unless(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "private mounts");

        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_install_layout),
                cmocka_unit_test(test_unit_verifies),
                cmocka_unit_test(test_root_may_do_everything),
                cmocka_unit_test(test_outsider_is_refused_by_the_bus),
                cmocka_unit_test(test_only_root_owns_the_name),
                cmocka_unit_test(test_guestinfoctl_exit_codes),
                cmocka_unit_test(test_denied_flood_costs_polkit_one_check),
                cmocka_unit_test(test_member_reads_and_polkit_gates_refresh),
                cmocka_unit_test(test_signals_reach_only_allowed_users),
                cmocka_unit_test(test_polkit_gone_is_a_clear_denial),
        };
        return cmocka_run_group_tests_name("system", tests, group_setup, group_teardown);
}
