/* Unit tests of the guest's counters (guest-counters.h): qemu-ga 7.2's
 * replies to guest-network-get-interfaces, guest-get-cpustats and
 * guest-get-diskstats, and hostile shapes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest-builder.h"
#include "guest-counters.h"

static void test_nics(void **state) {
        (void) state;
        static const char reply[] =
                "{\"return\":[{\"name\":\"lo\",\"ip-addresses\":[{\"ip-address-type\":\"ipv4\",\"ip-address\":"
                "\"127.0.0.1\",\"prefix\":8}],\"statistics\":{\"tx-packets\":4,\"tx-errs\":0,\"rx-bytes\":240,"
                "\"rx-dropped\":0,\"rx-packets\":4,\"rx-errs\":0,\"tx-bytes\":240,\"tx-dropped\":0},"
                "\"hardware-address\":\"00:00:00:00:00:00\"},{\"name\":\"eth0\"},{\"name\":7},"
                "{\"name\":\"eth1\",\"statistics\":{\"rx-bytes\":-5,\"tx-bytes\":\"9\",\"rx-packets\":1.5}}]}";
        GuestCounterList l;

        assert_int_equal(guest_nic_counters_from_agent_json(reply, strlen(reply), &l), 0);
        assert_int_equal(l.n_reported, 4);
        assert_int_equal(l.n_items, 3);
        assert_string_equal(l.items[0].name, "lo");
        assert_int_equal(l.items[0].v[NIC_RX_BYTES], 240);
        assert_int_equal(l.items[0].v[NIC_TX_PACKETS], 4);
        assert_int_equal(l.items[0].has, (1u << _NIC_COUNTER_MAX) - 1);
        assert_string_equal(l.items[1].name, "eth0");
        assert_int_equal(l.items[1].has, 0);
        assert_string_equal(l.items[2].name, "eth1");
        assert_int_equal(l.items[2].has, 0);
        guest_counter_list_done(&l);
        assert_int_equal(guest_nic_counters_from_agent_json("{\"return\":{}}", 13, &l), -EINVAL);
}

static void test_disks(void **state) {
        (void) state;
        static const char reply[] = "{\"return\":[{\"name\":\"vda\",\"major\":254,\"minor\":0,\"stats\":{"
                                    "\"read-sectors\":20000,\"read-ios\":900,\"write-sectors\":3000,\"write-ios\":70,"
                                    "\"flush-ios\":5,\"ios-pgr\":0}},{\"name\":\"vd\\u0000b\xff\"}]}";
        GuestCounterList l;

        assert_int_equal(guest_disk_counters_from_agent_json(reply, strlen(reply), &l), 0);
        assert_int_equal(l.n_items, 2);
        assert_string_equal(l.items[0].name, "vda");
        assert_int_equal(l.items[0].v[DISK_READ_SECTORS], 20000);
        assert_int_equal(l.items[0].v[DISK_WRITE_IOS], 70);
        assert_int_equal(l.items[0].v[DISK_FLUSH_IOS], 5);
        assert_true(l.items[0].has & (1u << DISK_IOS_PGR));
        assert_false(l.items[0].has & (1u << DISK_DISCARD_IOS));
        assert_string_equal(l.items[1].name, "vdb\xef\xbf\xbd");
        guest_counter_list_done(&l);

        /* 5000 disks: the first ones kept, within the list's share of the
         * budget as GetCounters carries them, all counted */
        size_t cap = 5000 * 64 + 64;
        char *big = malloc(cap), *p = big;
        p += sprintf(p, "{\"return\":[");
        for (int i = 0; i < 5000; i++)
                p += sprintf(p, "%s{\"name\":\"d%d\",\"stats\":{\"read-ios\":%d}}", i ? "," : "", i, i);
        sprintf(p, "]}");
        assert_int_equal(guest_disk_counters_from_agent_json(big, strlen(big), &l), 0);
        assert_int_equal(l.n_reported, 5000);
        /* each "dN" with one counter: 4 + 8 + 8, + 4 + 16 ("read-ios") + 8 */
        size_t fit = 0, spent = 0;
        for (int i = 0; i < GUEST_COUNTERS_MAX; i++) {
                size_t name = 1 + (size_t) snprintf(NULL, 0, "%d", i);
                size_t cost = 4 + ((4 + name + 1 + 3) & ~(size_t) 3) + 8 + 4 + 16 + 8;
                if (spent + cost > GUEST_COUNTERS_BUDGET)
                        break;
                spent += cost;
                fit++;
        }
        assert_int_equal(l.n_items, fit);
        assert_true(fit > 100 && fit < GUEST_COUNTERS_MAX);
        assert_int_equal(l.items[fit - 1].v[DISK_READ_IOS], fit - 1);
        guest_counter_list_done(&l);
        free(big);
}

static void test_cpus(void **state) {
        (void) state;
        static const char reply[] = "{\"return\":[{\"type\":\"linux\",\"cpu\":0,\"user\":100,\"nice\":1,\"system\":50,"
                                    "\"idle\":9000,\"iowait\":3,\"irq\":0,\"softirq\":2,\"steal\":0,\"guest\":0,"
                                    "\"guestnice\":0},{\"type\":\"linux\",\"cpu\":1,\"user\":200,\"idle\":"
                                    "-4},7,{\"user\":9223372036854775807},"
                                    "{\"user\":9223372036854775807}]}";
        GuestCpuCounters c;

        assert_int_equal(guest_cpu_counters_from_agent_json(reply, strlen(reply), &c), 0);
        assert_int_equal(c.n_cpus, 4);
        assert_true(c.v[CPU_USER] == UINT64_MAX); /* saturates */
        assert_int_equal(c.v[CPU_SYSTEM], 50);
        assert_int_equal(c.v[CPU_IDLE], 9000); /* a negative counter is none */
        /* a number past int64 is no JSON jansson reads: the reply is refused */
        static const char huge[] = "{\"return\":[{\"user\":18446744073709551615}]}";
        assert_int_equal(guest_cpu_counters_from_agent_json(huge, strlen(huge), &c), -EINVAL);
        assert_true(c.has & (1u << CPU_STEAL));
        assert_int_equal(guest_cpu_counters_from_agent_json("[]", 2, &c), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nics),
                cmocka_unit_test(test_disks),
                cmocka_unit_test(test_cpus),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
