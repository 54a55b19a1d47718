/* An agent that connects and disconnects about once a second (the hostile
 * agent's "flap" mode), followed by the daemon running under valgrind's
 * memcheck for at least 50 connect/disconnect cycles: no definitely lost
 * bytes, no memory errors, no stuck collection, the object still there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest.h"
#include "harness.h"

#define VM "flap-vg"
#define VM_UUID "f1a90000-0000-4000-8000-000000000001"
#define CYCLES 50

static Harness H;

static size_t count_lines(const char *needle) {
        size_t n = 0;
        for (size_t i = 0; i < H.n_lines; i++)
                n += strstr(H.lines[i], needle) != NULL;
        return n;
}

static void test_flapping_agent_under_valgrind(void **state) {
        char dir[400], script[512], spec[512], xml_path[500], exe[512], *xml = NULL, *path = NULL;

        assert_int_equal(harness_setup(&H), 0);
        snprintf(dir, sizeof dir, "%s/guest", H.dir);
        assert_int_equal(guest_build(&H, "guest-hostile.env", dir), 0);
        assert_int_equal(harness_start_libvirtd(&H, "qemu"), 0);

        snprintf(script, sizeof script, "%s/tests/vm/domain-xml.sh", harness_source_root());
        snprintf(spec, sizeof spec, "%s/tests/vm/guest-hostile.env", harness_source_root());
        char *argv[] = { script, VM, VM_UUID, spec, dir, "--agent-mode", "flap", NULL };
        assert_int_equal(harness_run(argv, 30, &xml), 0);
        snprintf(xml_path, sizeof xml_path, "%s/" VM ".xml", H.dir);
        FILE *f = fopen(xml_path, "we");
        assert_non_null(f);
        fputs(xml, f);
        fclose(f);
        free(xml);
        assert_int_equal(harness_virsh(&H, "define %s", xml_path), 0);

        snprintf(exe, sizeof exe, "%s/service/guestinfod", harness_build_root());
        char *daemon[] = { "valgrind",
                           "--quiet",
                           "--leak-check=full",
                           "--show-leak-kinds=definite",
                           "--errors-for-leak-kinds=definite",
                           "--error-exitcode=99",
                           exe,
                           "--user",
                           "--connect",
                           H.uri,
                           "--agent-timeout=3",
                           "--interval=users=2",
                           "--interval=interfaces=2",
                           NULL };
        assert_int_equal(harness_start_daemon_argv(&H, daemon, 120), 0);
        assert_int_equal(harness_virsh(&H, "start " VM), 0);

        /* wait for the cycles: each one is an AgentConnected=true and =false */
        double t0 = harness_now();
        while (count_lines("AgentConnected=false") < CYCLES && harness_now() - t0 < 400)
                harness_settle(&H, 500);
        size_t up = count_lines("AgentConnected=true"), down = count_lines("AgentConnected=false");
        printf("# %zu connects and %zu disconnects in %.0f s, daemon under valgrind\n", up, down, harness_now() - t0);
        assert_true(down >= CYCLES);
        assert_true(harness_daemon_running(&H));

        /* nothing stuck: Refresh() is answered (any answer), the object is there */
        harness_domain_path(VM_UUID, &path);
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        t0 = harness_now();
        int r = sd_bus_call_method(H.bus, "org.guestinfod.GuestInfo1", path, "org.guestinfod.GuestInfo1.Domain",
                                   "Refresh", &error, &reply, "");
        printf("# Refresh() afterwards: %s in %.1f s\n", r >= 0 ? "ok" : error.name, harness_now() - t0);
        assert_true(r >= 0 || !sd_bus_error_has_name(&error, SD_BUS_ERROR_NO_REPLY));
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        free(path);

        assert_int_equal(harness_virsh(&H, "destroy " VM), 0);
        /* valgrind exits 99 on a definite leak or a memory error */
        assert_int_equal(harness_stop_daemon(&H), 0);
        harness_cleanup(&H);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_flapping_agent_under_valgrind),
        };
        return cmocka_run_group_tests_name("e2e: flapping agent under valgrind", tests, NULL, NULL);
}
