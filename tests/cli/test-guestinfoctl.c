/* guestinfoctl, the real binary as a subprocess, against the real daemon on a
 * private bus watching a hand-started libvirtd on libvirt's test hypervisor.
 * virsh, a separate process, changes the domains. Guest data needs a real
 * agent: tests/e2e/test-guestinfoctl-vm.c checks it. A real access denial
 * needs the system bus policy and polkit: the system suite; here the mapping
 * of the denial errors to exit status 5 is checked in test-cli-parts.c. */
#include <errno.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "ctl.h"
#include "guestinfo-names.h"
#include "harness.h"

#define DOMAIN_IFACE DOMAIN_INTERFACE
#define TEST_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f" /* the "test" domain of test:///default */
#define TEST_MAC "aa:bb:cc:dd:ee:ff"                     /* its NIC */
#define VM1_UUID "11111111-2222-3333-4444-00000000c001"
#define VM2_UUID "11111111-2222-3333-4444-00000000c002"
#define LINE_MS 10000
#define T 30 /* seconds any one guestinfoctl run may take */

static Harness H;

/* vm1: defined, shut off, next to the running "test". The test driver's
 * state lives as long as a connection to it: the daemon's. */
static void define_vm1(void) {
        harness_clear_lines(&H);
        assert_int_equal(harness_virsh(&H, "define %s", harness_test_domain_xml(&H, "vm1", VM1_UUID)), 0);
        assert_true(harness_wait_line(&H, "InterfacesAdded " VM1_UUID, LINE_MS));
}

static int group_setup(void **state) {
        /* login times and agent times are printed in local time */
        setenv("TZ", "UTC", 1);
        assert_int_equal(harness_setup_test_daemon(&H, 30, NULL), 0);
        define_vm1();
        return 0;
}

static int group_teardown(void **state) {
        int status = harness_stop_daemon(&H);
        harness_cleanup(&H);
        assert_int_equal(status, 0);
        return 0;
}

static int test_teardown(void **state) {
        /* whatever a test did: no watch left, the daemon runs (not stopped),
         * vm1 is off, vm2 gone */
        ctl_stop_all();
        if (H.daemon_pid > 0)
                kill(H.daemon_pid, SIGCONT);
        if (H.bus_pid > 0)
                kill(H.bus_pid, SIGCONT);
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "for d in vm1 vm2; do virsh -q -c '%s' destroy $d; done >/dev/null 2>&1", H.uri);
        char *argv[] = { "sh", "-c", cmd, NULL };
        harness_run(argv, 60, NULL);
        harness_settle(&H, 200);
        assert_true(harness_daemon_running(&H));
        return 0;
}

/* ---- helpers ---- */

static char *get_string(const char *path, const char *prop) {
        char *s = NULL;
        assert_int_equal(harness_get_property(&H, path, DOMAIN_IFACE, prop, 's', &s), 0);
        return s;
}

static char *domain_path(const char *uuid) {
        char *p = NULL;
        assert_true(harness_domain_path(uuid, &p) >= 0);
        return p;
}

/* A failure is one line on stderr, "guestinfoctl: ...", and nothing on stdout. */
static void assert_one_error_line(const CtlResult *r, const char *needle) {
        if (ctl_count_lines(r->err) != 1 || strncmp(r->err, "guestinfoctl: ", 14) != 0 || !strstr(r->err, needle))
                fprintf(stderr, "expected one error line with '%s', got: '%s'\n", needle, r->err);
        assert_int_equal(ctl_count_lines(r->err), 1);
        assert_int_equal(strncmp(r->err, "guestinfoctl: ", 14), 0);
        assert_non_null(strstr(r->err, needle));
        assert_string_equal(r->out, "");
}

/* The value after "  Label:" in show's text output (static buffer), or NULL. */
static const char *show_field(const char *out, const char *label) {
        static char value[512];
        char key[64];
        snprintf(key, sizeof key, "\n  %s:", label);
        const char *p = strstr(out, key);
        if (!p)
                return NULL;
        p += strlen(key);
        while (*p == ' ')
                p++;
        size_t n = strcspn(p, "\n");
        snprintf(value, sizeof value, "%.*s", (int) n, p);
        return value;
}

static json_t *parse_json(const char *s) {
        json_error_t e;
        json_t *j = json_loads(s, 0, &e);
        if (!j)
                fprintf(stderr, "not JSON (%s): %s\n", e.text, s);
        assert_non_null(j);
        return j;
}

static const char *jstr(json_t *o, const char *key) {
        json_t *v = json_object_get(o, key);
        if (!json_is_string(v))
                fprintf(stderr, "'%s' is not a string\n", key);
        assert_true(json_is_string(v));
        return json_string_value(v);
}

/* The next watch line that parses as JSON with event (and, if given, the
 * property State equal to state); every line passed over is checked by
 * check_line. */
static json_t *next_event(CtlProcess *p, const char *event, const char *state, void (*check_line)(json_t *)) {
        double deadline = harness_now() + LINE_MS / 1000.0;
        while (harness_now() < deadline) {
                char *line = ctl_next_line(p, 500);
                if (!line)
                        continue;
                json_t *j = parse_json(line);
                free(line);
                if (check_line)
                        check_line(j);
                json_t *props = json_object_get(j, "properties");
                const char *e = json_string_value(json_object_get(j, "event"));
                if (e && strcmp(e, event) == 0 &&
                    (!state || (json_is_string(json_object_get(props, "State")) &&
                                strcmp(json_string_value(json_object_get(props, "State")), state) == 0)))
                        return j;
                json_decref(j);
        }
        fprintf(stderr, "no '%s' event%s%s within %d ms\n", event, state ? " with State=" : "", state ? state : "",
                LINE_MS);
        return NULL;
}

/* ---- list ---- */

static void test_list_piped_is_tab_separated(void **state) {
        CtlResult r;
        char *test_state = NULL, *vm1_state = NULL;
        char *test_path = domain_path(TEST_UUID), *vm1_path = domain_path(VM1_UUID);

        assert_int_equal(ctl_run(&r, false, T, "--user", "list", NULL), 0);
        assert_string_equal(r.err, "");
        /* no header; sorted by name; '-' for what only an agent knows */
        assert_string_equal(r.out, "test\trunning\tno\tno-agent-channel\t-\t-\t-\n"
                                   "vm1\tshutoff\tno\tnot-running\t-\t-\t-\n");

        /* and the state column is the daemon's State, field by field */
        test_state = get_string(test_path, "State");
        vm1_state = get_string(vm1_path, "State");
        char *line2 = strchr(r.out, '\n') + 1;
        assert_int_equal(strncmp(strchr(r.out, '\t') + 1, test_state, strlen(test_state)), 0);
        assert_int_equal(strncmp(strchr(line2, '\t') + 1, vm1_state, strlen(vm1_state)), 0);
        ctl_result_free(&r);
        free(test_state), free(vm1_state), free(test_path), free(vm1_path);
}

static void test_list_on_a_terminal_is_a_table(void **state) {
        CtlResult r;

        assert_int_equal(ctl_run(&r, true, T, "--user", "list", NULL), 0);
        assert_string_equal(r.out, "NAME  STATE    AGENT  DATA              OS  HOSTNAME  IP\n"
                                   "test  running  no     no-agent-channel  -   -         -\n"
                                   "vm1   shutoff  no     not-running       -   -         -\n");
        assert_string_equal(r.err, "");
        ctl_result_free(&r);
}

static void test_list_json(void **state) {
        CtlResult r;

        assert_int_equal(ctl_run(&r, false, T, "--user", "list", "--json", NULL), 0);
        json_t *j = parse_json(r.out);
        assert_true(json_is_array(j));
        assert_int_equal(json_array_size(j), 2);

        json_t *t = json_array_get(j, 0), *v = json_array_get(j, 1);
        assert_string_equal(jstr(t, "name"), "test");
        assert_string_equal(jstr(t, "uuid"), TEST_UUID);
        assert_string_equal(jstr(t, "state"), "running");
        assert_true(json_is_false(json_object_get(t, "agentConnected")));
        assert_true(json_is_null(json_object_get(t, "osPrettyName")));
        assert_true(json_is_null(json_object_get(t, "hostname")));
        assert_true(json_is_null(json_object_get(t, "address")));
        assert_string_equal(jstr(t, "guestDataReason"), "no-agent-channel");
        assert_int_equal(json_object_size(t), 8);

        assert_string_equal(jstr(v, "name"), "vm1");
        assert_string_equal(jstr(v, "uuid"), VM1_UUID);
        assert_string_equal(jstr(v, "state"), "shutoff");
        assert_true(json_is_false(json_object_get(v, "agentConnected")));
        json_decref(j);
        ctl_result_free(&r);
}

static void test_list_names_for_completion(void **state) {
        CtlResult r;

        assert_int_equal(ctl_run(&r, false, T, "--user", "list", "--names", NULL), 0);
        assert_string_equal(r.out, "test\nvm1\n");
        ctl_result_free(&r);
}

/* libvirt lost: the list is still shown, with a word that it may be stale. */
static void test_list_warns_when_libvirt_is_lost(void **state) {
        CtlResult r;

        harness_clear_lines(&H);
        assert_int_equal(harness_kill_libvirtd(&H), 0);
        assert_true(harness_wait_line(&H, "Connected=false", LINE_MS));
        assert_int_equal(ctl_run(&r, false, T, "--user", "list", NULL), 0);
        /* and each VM says its values are the last known */
        assert_string_equal(r.out, "test\trunning\tno\tlibvirt-disconnected\t-\t-\t-\n"
                                   "vm1\tshutoff\tno\tlibvirt-disconnected\t-\t-\t-\n");
        assert_string_equal(r.err, "guestinfoctl: warning: guestinfod has lost its libvirt connection; "
                                   "this may be out of date.\n");
        ctl_result_free(&r);

        /* a new libvirtd: a new test:///default, without vm1 */
        harness_clear_lines(&H);
        assert_int_equal(harness_start_libvirtd(&H, "test"), 0);
        assert_true(harness_wait_line(&H, "Connected=true", 40000));
        define_vm1();
        assert_int_equal(ctl_run(&r, false, T, "--user", "list", NULL), 0);
        assert_string_equal(r.err, "");
        ctl_result_free(&r);
}

/* ---- show ---- */

static void test_show_text(void **state) {
        char *path = domain_path(TEST_UUID), *name = get_string(path, "Name"), id[16];
        int32_t daemon_id = 0;
        CtlResult r, by_uuid, by_raw_uuid;

        assert_int_equal(harness_get_property(&H, path, DOMAIN_IFACE, "Id", 'i', &daemon_id), 0);
        snprintf(id, sizeof id, "%d", daemon_id);

        assert_int_equal(ctl_run(&r, false, T, "--user", "show", "test", NULL), 0);
        assert_string_equal(r.err, "");
        assert_string_equal(show_field(r.out, "Name"), name);
        assert_string_equal(show_field(r.out, "UUID"), TEST_UUID);
        assert_string_equal(show_field(r.out, "State"), "running");
        assert_string_equal(show_field(r.out, "Id"), id);
        assert_string_equal(show_field(r.out, "Persistent"), "yes");
        assert_string_equal(show_field(r.out, "Connected"), "no");
        /* said plainly, and no OS, users or filesystems sections */
        assert_non_null(strstr(r.out, "\nNo guest data: the VM has no guest agent channel.\n"));
        /* nothing asked of an agent: no table of kinds */
        assert_null(strstr(r.out, "\nGuest data\n"));
        assert_null(strstr(r.out, "\nOS\n"));
        assert_null(strstr(r.out, "\nUsers"));
        assert_null(strstr(r.out, "\nFilesystems"));
        /* the domain's NIC, from the domain XML only */
        assert_non_null(strstr(r.out, "\nInterfaces\n  NAME  INTERFACE  MAC                IP ADDRESSES  SOURCE\n"
                                      "  -     -          " TEST_MAC "  -             domain\n"));

        /* the same VM by UUID, in any case, with or without dashes */
        assert_int_equal(ctl_run(&by_uuid, false, T, "--user", "show", TEST_UUID, NULL), 0);
        assert_string_equal(by_uuid.out, r.out);
        assert_int_equal(ctl_run(&by_raw_uuid, false, T, "--user", "show", "6695EB01F6A4830479AA97F2502E193F", NULL),
                         0);
        assert_string_equal(by_raw_uuid.out, r.out);
        ctl_result_free(&r), ctl_result_free(&by_uuid), ctl_result_free(&by_raw_uuid);

        /* a VM that is off has no id */
        assert_int_equal(ctl_run(&r, false, T, "--user", "show", "vm1", NULL), 0);
        assert_string_equal(show_field(r.out, "State"), "shutoff");
        assert_string_equal(show_field(r.out, "Id"), "-");
        ctl_result_free(&r);
        free(path), free(name);
}

static void test_show_json(void **state) {
        char *path = domain_path(TEST_UUID);
        int32_t daemon_id = 0;
        int persistent = 0;
        CtlResult r;

        assert_int_equal(harness_get_property(&H, path, DOMAIN_IFACE, "Id", 'i', &daemon_id), 0);
        assert_int_equal(harness_get_property(&H, path, DOMAIN_IFACE, "Persistent", 'b', &persistent), 0);
        assert_int_equal(ctl_run(&r, false, T, "--user", "show", "--json", "test", NULL), 0);
        json_t *j = parse_json(r.out);

        assert_string_equal(jstr(j, "name"), "test");
        assert_string_equal(jstr(j, "uuid"), TEST_UUID);
        assert_string_equal(jstr(j, "state"), "running");
        assert_int_equal(json_is_true(json_object_get(j, "persistent")), persistent);
        assert_int_equal(json_integer_value(json_object_get(j, "id")), daemon_id);

        json_t *agent = json_object_get(j, "agent");
        assert_true(json_is_false(json_object_get(agent, "connected")));
        assert_true(json_is_null(json_object_get(agent, "lastTransitionTime")));
        assert_true(json_is_null(json_object_get(agent, "version")));
        assert_int_equal(json_array_size(json_object_get(agent, "supportedCommands")), 0);

        /* no agent: null, not empty */
        const char *absent[] = { "os", "hostname", "timezone", "users", "userCount", "filesystems", "filesystemCount" };
        for (size_t i = 0; i < sizeof absent / sizeof *absent; i++) {
                if (!json_is_null(json_object_get(j, absent[i])))
                        fprintf(stderr, "'%s' should be null\n", absent[i]);
                assert_true(json_is_null(json_object_get(j, absent[i])));
        }

        json_t *nics = json_object_get(j, "interfaces");
        assert_int_equal(json_array_size(nics), 1);
        json_t *nic = json_array_get(nics, 0);
        assert_string_equal(jstr(nic, "mac"), TEST_MAC);
        json_t *sources = json_object_get(nic, "sources");
        assert_int_equal(json_array_size(sources), 1);
        assert_string_equal(json_string_value(json_array_get(sources, 0)), "domain");
        assert_true(json_is_array(json_object_get(nic, "addresses")));
        assert_int_equal(json_array_size(json_object_get(nic, "addresses")), 0);
        assert_int_equal(json_object_size(nic), 5);
        json_decref(j);
        ctl_result_free(&r);
        free(path);
}

/* ---- KubeVirt's documents, refresh ---- */

static char *call_json_method(const char *path, const char *method) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *s;
        assert_true(sd_bus_call_method(H.bus, BUS_NAME, path, DOMAIN_IFACE, method, &error, &reply, "") >= 0);
        assert_int_equal(sd_bus_message_read(reply, "s", &s), 1);
        char *copy = strdup(s);
        sd_bus_message_unref(reply);
        return copy;
}

static void test_kubevirt_documents(void **state) {
        char *path = domain_path(TEST_UUID), *daemon = call_json_method(path, METHOD_GET_INTERFACES), *want;
        CtlResult r;

        /* byte for byte the daemon's document, one line */
        assert_int_equal(ctl_run(&r, false, T, "--user", "interfaces", "test", NULL), 0);
        assert_true(asprintf(&want, "%s\n", daemon) > 0);
        assert_string_equal(r.out, want);
        json_t *j = parse_json(r.out);
        assert_string_equal(jstr(json_array_get(j, 0), "mac"), TEST_MAC);
        json_decref(j);
        ctl_result_free(&r);

        /* no agent: exit status 6, one line */
        const char *commands[] = { "guestosinfo", "userlist", "filesystemlist", "refresh" };
        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
                assert_int_equal(ctl_run(&r, false, T, "--user", commands[i], "test", NULL), 6);
                assert_one_error_line(&r, "test");
                ctl_result_free(&r);
        }
        free(path), free(daemon), free(want);
}

/* ---- errors ---- */

static void test_unknown_vm_exits_3(void **state) {
        const char *commands[] = {
                "show", "guestosinfo", "userlist", "filesystemlist", "interfaces", "refresh", "watch"
        };
        const char *vms[] = { "no-such-vm", "00000000-0000-0000-0000-000000000000" };
        CtlResult r;

        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
                for (size_t k = 0; k < 2; k++) {
                        assert_int_equal(ctl_run(&r, false, T, "--user", commands[i], vms[k], NULL), 3);
                        assert_one_error_line(&r, vms[k]);
                        ctl_result_free(&r);
                }
}

static void test_bad_usage_exits_2(void **state) {
        /* each a command line, NULL-terminated */
        const char *bad[][6] = {
                { "bogus-command", NULL },
                { "--bogus", "list", NULL },
                { "show", NULL },
                { "show", "test", "extra", NULL },
                { "list", "extra", NULL },
                { "watch", "test", "extra", NULL },
                { "refresh", "test", "--json", NULL },
                { "guestosinfo", "test", "--json", NULL },
                { "--timeout=abc", "list", NULL },
                { "--timeout=0", "list", NULL },
                { "--timeout", NULL },
                { "-H", "somehost", "--user", "list", NULL },
                { "-H", "somehost", "--address=unix:path=/nowhere", "list", NULL },
                { "show", "", NULL },
                { "show", "--names", "test", NULL },
                { "help", "no-such-command", NULL },
        };
        CtlResult r;
        char long_name[1101];

        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                const char **a = bad[i];
                int status = ctl_run(&r, false, T, "--user", a[0], a[1], a[2], a[3], a[4], NULL);
                if (status != 2)
                        fprintf(stderr, "'%s %s %s ...' exited %d: %s\n", a[0], a[1] ? a[1] : "",
                                a[1] && a[2] ? a[2] : "", status, r.err);
                assert_int_equal(status, 2);
                assert_one_error_line(&r, "");
                ctl_result_free(&r);
        }

        /* a name the daemon refuses (org.freedesktop.DBus.Error.InvalidArgs):
         * bad usage too, said about the name */
        memset(long_name, 'v', 1100);
        long_name[1100] = '\0';
        assert_int_equal(ctl_run(&r, false, T, "--user", "show", long_name, NULL), 2);
        assert_one_error_line(&r, "Invalid VM name 'vvv");
        assert_non_null(strstr(r.err, "longer than"));
        ctl_result_free(&r);
}

static void test_help_for_every_command(void **state) {
        const char *commands[] = { "list",       "show",  "guestosinfo", "userlist", "filesystemlist",
                                   "interfaces", "watch", "refresh",     "help" };
        CtlResult r, h;

        assert_int_equal(ctl_run(&r, false, T, "--help", NULL), 0);
        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
                char line[64];
                snprintf(line, sizeof line, "\n  %s ", commands[i]);
                assert_non_null(strstr(r.out, line));
        }
        assert_non_null(strstr(r.out, "Exit status"));
        assert_non_null(strstr(r.out, "3 no such VM"));
        ctl_result_free(&r);

        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
                char want[64];
                snprintf(want, sizeof want, "guestinfoctl [OPTIONS...] %s", commands[i]);
                assert_int_equal(ctl_run(&r, false, T, commands[i], "--help", NULL), 0);
                assert_int_equal(strncmp(r.out, want, strlen(want)), 0);
                assert_true(r.out[strlen(want)] == ' ' || r.out[strlen(want)] == '\n');
                assert_string_equal(r.err, "");
                /* "help COMMAND" says the same */
                assert_int_equal(ctl_run(&h, false, T, "help", commands[i], NULL), 0);
                assert_string_equal(h.out, r.out);
                ctl_result_free(&r), ctl_result_free(&h);
        }

        assert_int_equal(ctl_run(&r, false, T, "--version", NULL), 0);
        assert_int_equal(strncmp(r.out, "guestinfoctl ", 13), 0);
        ctl_result_free(&r);
}

/* A stopped daemon (SIGSTOP) answers nothing: every command gives up after
 * --timeout with exit status 7. */
static void test_no_answer_exits_7_in_time(void **state) {
        const char *commands[][3] = { { "list", NULL }, { "show", "test" }, { "watch", NULL }, { "refresh", "test" } };
        enum { N = sizeof commands / sizeof *commands };
        CtlResult r[N];

        assert_int_equal(kill(H.daemon_pid, SIGSTOP), 0);
        for (size_t i = 0; i < N; i++)
                ctl_run(&r[i], false, T, "--user", "--timeout=1", commands[i][0], commands[i][1], NULL);
        kill(H.daemon_pid, SIGCONT);

        for (size_t i = 0; i < N; i++) {
                printf("# %s with the daemon stopped: exit %d after %.2f s\n", commands[i][0], r[i].status,
                       r[i].seconds);
                assert_int_equal(r[i].status, 7);
                assert_true(r[i].seconds >= 0.9 && r[i].seconds < 5.0);
                assert_one_error_line(&r[i], "guestinfod did not answer within 1 s");
                ctl_result_free(&r[i]);
        }

        /* the bus itself stopped: no answer to the handshake either */
        CtlResult b;
        assert_int_equal(kill(H.bus_pid, SIGSTOP), 0);
        ctl_run(&b, false, T, "--user", "--timeout=1", "list", NULL);
        kill(H.bus_pid, SIGCONT);
        printf("# list with the bus stopped: exit %d after %.2f s\n", b.status, b.seconds);
        assert_int_equal(b.status, 7);
        assert_true(b.seconds < 5.0);
        assert_one_error_line(&b, "The session bus did not answer within 1 s");
        ctl_result_free(&b);
}

/* -H runs "ssh -xT -- [USER@]HOST systemd-stdio-bridge", as busctl -H does.
 * With no sshd here, an "ssh" first in PATH stands in for it: it notes its
 * arguments and runs the real bridge to the private bus. */
static void test_remote_host_over_ssh(void **state) {
        char bin[400], ssh[450], args_file[450], path_env[4096], *args = NULL;
        const char *old_path = getenv("PATH");
        CtlResult r;

        snprintf(bin, sizeof bin, "%s/fake-ssh", H.dir);
        snprintf(ssh, sizeof ssh, "%s/ssh", bin);
        snprintf(args_file, sizeof args_file, "%s/ssh-args", H.dir);
        assert_int_equal(mkdir(bin, 0755), 0);
        FILE *f = fopen(ssh, "we");
        assert_non_null(f);
        fprintf(f,
                "#!/bin/sh\nprintf '%%s\\n' \"$@\" > '%s'\n"
                "[ \"$4\" = systemd-stdio-bridge ] || exit 1\n"
                "case $3 in *unreachable*)\n"
                "  echo \"ssh: connect to host $3 port 22: No route to host\" >&2; exit 255;; esac\n"
                /* a host that never answers; gone when guestinfoctl is */
                "case $3 in *hung*) while kill -0 $PPID 2>/dev/null; do sleep 0.1; done; exit 1;; esac\n"
                "exec systemd-stdio-bridge --bus-path=\"$DBUS_SESSION_BUS_ADDRESS\"\n",
                args_file);
        fclose(f);
        assert_int_equal(chmod(ssh, 0755), 0);
        snprintf(path_env, sizeof path_env, "%s:%s", bin, old_path ? old_path : "/usr/bin:/bin");
        char *saved_path = strdup(old_path ? old_path : "");
        setenv("PATH", path_env, 1);

        int status = ctl_run(&r, false, T, "-H", "alice@host.example", "list", "--names", NULL);
        char *argv[] = { "cat", args_file, NULL };
        harness_run(argv, 10, &args);
        setenv("PATH", saved_path, 1);
        free(saved_path);

        assert_int_equal(status, 0);
        assert_string_equal(r.out, "test\nvm1\n");
        assert_non_null(args);
        assert_string_equal(args, "-xT\n--\nalice@host.example\nsystemd-stdio-bridge\n");
        ctl_result_free(&r);
        free(args);

        /* ssh failing: its own words, then ours, exit status 4 */
        setenv("PATH", path_env, 1);
        status = ctl_run(&r, false, T, "-H", "unreachable.example", "list", NULL);
        setenv("PATH", old_path ? old_path : "/usr/bin:/bin", 1);
        assert_int_equal(status, 4);
        assert_non_null(strstr(r.err, "ssh: connect to host unreachable.example"));
        const char *last = strstr(r.err, "\nguestinfoctl: ");
        assert_non_null(last);
        assert_non_null(strstr(last, "the system bus of unreachable.example"));
        assert_int_equal(ctl_count_lines(last + 1), 1);
        ctl_result_free(&r);

        /* a hung connection: given up after --timeout, exit status 7 */
        setenv("PATH", path_env, 1);
        status = ctl_run(&r, false, T, "-H", "hung.example", "--timeout=1", "list", NULL);
        setenv("PATH", old_path ? old_path : "/usr/bin:/bin", 1);
        assert_int_equal(status, 7);
        assert_true(r.seconds < 5.0);
        assert_one_error_line(&r, "The system bus of hung.example did not answer within 1 s");
        ctl_result_free(&r);
}

/* ---- bash completion ---- */

/* What completion/guestinfoctl.bash offers for line (the cursor at its end),
 * one per line, with the build's guestinfoctl first in PATH. */
static char *complete(const char *line) {
        char script[4096], *out = NULL;
        snprintf(script, sizeof script,
                 "PATH='%s/cli':\"$PATH\"; . '%s/completion/guestinfoctl.bash' || exit 1; "
                 "COMP_LINE='%s'; COMP_POINT=${#COMP_LINE}; read -ra COMP_WORDS <<< \"$COMP_LINE\"; "
                 "[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=(''); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
                 "_guestinfoctl guestinfoctl; printf '%%s\\n' \"${COMPREPLY[@]}\"",
                 harness_build_root(), harness_source_root(), line);
        char *argv[] = { "bash", "-c", script, NULL };
        assert_int_equal(harness_run(argv, 30, &out), 0);
        return out;
}

static void test_bash_completion(void **state) {
        const char *cases[][2] = {
                { "guestinfoctl ",
                  "list\nshow\nguestosinfo\nuserlist\nfilesystemlist\ninterfaces\nwatch\nrefresh\nmetrics\nhelp\n" },
                { "guestinfoctl --te", "--textfile=\n" },
                { "guestinfoctl --user metrics ", "\n" },
                { "guestinfoctl g", "guestosinfo\n" },
                { "guestinfoctl --us", "--user\n" },
                { "guestinfoctl --no", "--no-ask-password\n" },
                /* VM names, from the daemon on the bus the line names */
                { "guestinfoctl --user show ", "test\nvm1\n" },
                { "guestinfoctl --user watch --json v", "vm1\n" },
                { "guestinfoctl refresh --user t", "test\n" },
                /* one VM per command, and none for list */
                { "guestinfoctl --user show test ", "\n" },
                { "guestinfoctl --user list ", "\n" },
                { "guestinfoctl help sh", "show\n" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                char *got = complete(cases[i][0]);
                if (strcmp(got, cases[i][1]) != 0)
                        fprintf(stderr, "completing '%s': got '%s'\n", cases[i][0], got);
                assert_string_equal(got, cases[i][1]);
                free(got);
        }
}

/* ---- watch ---- */

static void only_vm1(json_t *line) {
        const char *vm = json_string_value(json_object_get(line, "vm"));
        if (!vm || strcmp(vm, "vm1") != 0)
                fprintf(stderr, "watch vm1 printed a line about another VM: %s\n", vm ? vm : "(none)");
        assert_non_null(vm);
        assert_string_equal(vm, "vm1");
}

static void test_watch_json_sees_start_and_stop(void **state) {
        char *path = domain_path(VM1_UUID);
        int32_t id = 0;
        CtlProcess p;

        assert_int_equal(ctl_start(&p, "--user", "watch", "--json", "vm1", NULL), 0);
        /* first where it stands */
        json_t *j = next_event(&p, "present", NULL, only_vm1);
        assert_non_null(j);
        assert_string_equal(jstr(j, "uuid"), VM1_UUID);
        json_t *domain = json_object_get(json_object_get(j, "interfaces"), "Domain");
        assert_string_equal(jstr(domain, "State"), "shutoff");
        assert_string_equal(jstr(domain, "Name"), "vm1");
        assert_true(json_is_false(json_object_get(domain, "AgentConnected")));
        assert_true(strlen(jstr(j, "time")) > 20);
        json_decref(j);

        /* another VM's changes are not shown */
        assert_int_equal(harness_virsh(&H, "suspend test"), 0);
        assert_int_equal(harness_virsh(&H, "resume test"), 0);

        assert_int_equal(harness_virsh(&H, "start vm1"), 0);
        j = next_event(&p, "changed", "running", only_vm1);
        assert_non_null(j);
        assert_string_equal(jstr(j, "interface"), "Domain");
        assert_int_equal(harness_get_property(&H, path, DOMAIN_IFACE, "Id", 'i', &id), 0);
        assert_true(id > 0);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "properties"), "Id")), id);
        json_decref(j);

        assert_int_equal(harness_virsh(&H, "destroy vm1"), 0);
        j = next_event(&p, "changed", "shutoff", only_vm1);
        assert_non_null(j);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "properties"), "Id")), -1);
        json_decref(j);

        /* Ctrl-C: a clean exit, at once */
        double t0 = harness_now();
        assert_int_equal(ctl_stop(&p, SIGINT), 0);
        assert_true(harness_now() - t0 < 2.0);
        free(path);
}

/* The next line, which must match pattern (fnmatch). */
static void expect_line(CtlProcess *p, const char *pattern) {
        char *line = ctl_next_line(p, LINE_MS);
        if (!line || fnmatch(pattern, line, 0) != 0)
                fprintf(stderr, "expected a line like '%s', got '%s'\n", pattern, line ? line : "(nothing)");
        assert_non_null(line);
        assert_int_equal(fnmatch(pattern, line, 0), 0);
        free(line);
}

#define CLOCK "[0-2][0-9]:[0-5][0-9]:[0-6][0-9] "

static void test_watch_text_sees_a_transient_vm_come_and_go(void **state) {
        CtlProcess p;

        assert_int_equal(ctl_start(&p, "--user", "watch", NULL), 0);
        /* one "present" line per VM, in no particular order */
        char *a = ctl_next_line(&p, LINE_MS), *b = ctl_next_line(&p, LINE_MS);
        assert_non_null(a);
        assert_non_null(b);
        if (strstr(a, " vm1 ")) {
                char *t = a;
                a = b;
                b = t;
        }
        assert_int_equal(fnmatch(CLOCK "test present State=running AgentConnected=no", a, 0), 0);
        assert_int_equal(fnmatch(CLOCK "vm1 present State=shutoff AgentConnected=no", b, 0), 0);
        free(a), free(b);

        assert_int_equal(harness_virsh(&H, "create %s", harness_test_domain_xml(&H, "vm2", VM2_UUID)), 0);
        expect_line(&p, CLOCK "vm2 added State=running AgentConnected=no");
        expect_line(&p, CLOCK "- daemon-changed DomainCount=3");
        assert_int_equal(harness_virsh(&H, "destroy vm2"), 0);
        expect_line(&p, CLOCK "vm2 removed");
        expect_line(&p, CLOCK "- daemon-changed DomainCount=2");
        assert_int_equal(ctl_stop(&p, SIGTERM), 0);
}

/* The daemon stops: every command says so with exit status 4; a watch says
 * so too, keeps going, and shows where things stand when it is back. */
static void test_daemon_not_running_exits_4(void **state) {
        const char *commands[][3] = {
                { "list", NULL }, { "show", "test" }, { "watch", NULL }, { "refresh", "test" }, { "interfaces", "test" }
        };
        CtlProcess p;
        CtlResult r;

        assert_int_equal(ctl_start(&p, "--user", "watch", "--json", NULL), 0);
        json_decref(next_event(&p, "present", NULL, NULL));
        json_decref(next_event(&p, "present", NULL, NULL));

        assert_int_equal(harness_stop_daemon(&H), 0);
        json_t *j = next_event(&p, "daemon-stopped", NULL, NULL);
        assert_non_null(j);
        assert_true(json_is_null(json_object_get(j, "vm")));
        json_decref(j);

        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
                assert_int_equal(ctl_run(&r, false, T, "--user", commands[i][0], commands[i][1], NULL), 4);
                assert_one_error_line(&r, "guestinfod is not running on the session bus.");
                ctl_result_free(&r);
        }
        /* no bus at all */
        assert_int_equal(ctl_run(&r, false, T, "--address=unix:path=/nonexistent/bus", "list", NULL), 4);
        assert_one_error_line(&r, "Failed to connect to the bus at unix:path=/nonexistent/bus");
        ctl_result_free(&r);

        assert_int_equal(harness_start_daemon(&H, H.uri, 30, NULL), 0);
        assert_non_null((j = next_event(&p, "daemon-started", NULL, NULL)));
        json_decref(j);
        /* a new test:///default: "test" alone */
        assert_non_null((j = next_event(&p, "present", NULL, NULL)));
        assert_string_equal(jstr(j, "vm"), "test");
        json_decref(j);
        define_vm1();
        assert_non_null((j = next_event(&p, "added", NULL, NULL)));
        assert_string_equal(jstr(j, "vm"), "vm1");
        json_decref(j);
        assert_int_equal(ctl_stop(&p, SIGINT), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_list_piped_is_tab_separated, test_teardown),
                cmocka_unit_test_teardown(test_list_on_a_terminal_is_a_table, test_teardown),
                cmocka_unit_test_teardown(test_list_json, test_teardown),
                cmocka_unit_test_teardown(test_list_names_for_completion, test_teardown),
                cmocka_unit_test_teardown(test_list_warns_when_libvirt_is_lost, test_teardown),
                cmocka_unit_test_teardown(test_show_text, test_teardown),
                cmocka_unit_test_teardown(test_show_json, test_teardown),
                cmocka_unit_test_teardown(test_kubevirt_documents, test_teardown),
                cmocka_unit_test_teardown(test_unknown_vm_exits_3, test_teardown),
                cmocka_unit_test_teardown(test_bad_usage_exits_2, test_teardown),
                cmocka_unit_test_teardown(test_help_for_every_command, test_teardown),
                cmocka_unit_test_teardown(test_no_answer_exits_7_in_time, test_teardown),
                cmocka_unit_test_teardown(test_remote_host_over_ssh, test_teardown),
                cmocka_unit_test_teardown(test_bash_completion, test_teardown),
                cmocka_unit_test_teardown(test_watch_json_sees_start_and_stop, test_teardown),
                cmocka_unit_test_teardown(test_watch_text_sees_a_transient_vm_come_and_go, test_teardown),
                cmocka_unit_test_teardown(test_daemon_not_running_exits_4, test_teardown),
        };
        return cmocka_run_group_tests_name("cli: guestinfoctl", tests, group_setup, group_teardown);
}
