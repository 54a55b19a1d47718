/* Unit tests of the guest's disks (guest-disks.h): qemu-ga 7.2's
 * guest-get-disks reply, libvirt 9.0's disk.N.* parameters, the link to the
 * domain's disks, and hostile shapes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain-devices.h"
#include "guest-disks.h"

#define FFFD "\xef\xbf\xbd"

/* What qemu-ga 7.2 answers in the test guest: a root disk with a
 * partition, and the data disk with its serial. */
static const char reply[] =
        "{\"return\":[{\"name\":\"/dev/vda1\",\"dependencies\":[\"/dev/vda\"],\"partition\":true},"
        "{\"name\":\"/dev/vda\",\"dependencies\":[],\"partition\":false,\"address\":{\"serial\":\"\","
        "\"bus-type\":\"virtio\",\"bus\":0,\"unit\":0,\"pci-controller\":{\"bus\":0,\"slot\":4,\"domain\":0,"
        "\"function\":0},\"dev\":\"/dev/vda\",\"target\":0}},"
        "{\"name\":\"/dev/vdb\",\"partition\":false,\"address\":{\"serial\":\"gidata0001\",\"bus-type\":\"virtio\","
        "\"dev\":\"/dev/vdb\"}}]}";

static GuestDisks *parse_ok(const char *json) {
        GuestDisks *d = NULL;
        assert_int_equal(guest_disks_from_agent_json(json, strlen(json), &d), 0);
        assert_non_null(d);
        return d;
}

static void test_reply(void **state) {
        (void) state;
        GuestDisks *d = parse_ok(reply);

        assert_int_equal(d->n_items, 3);
        assert_int_equal(d->n_reported, 3);
        assert_string_equal(d->items[0].name, "/dev/vda1");
        assert_true(d->items[0].partition);
        assert_int_equal(d->items[0].n_dependencies, 1);
        assert_string_equal(d->items[0].dependencies[0], "/dev/vda");
        assert_null(d->items[0].serial);
        assert_false(d->items[1].partition);
        assert_string_equal(d->items[1].bus, "virtio");
        assert_string_equal(d->items[1].serial, "");
        assert_string_equal(d->items[2].serial, "gidata0001");
        assert_null(d->items[2].target);
        assert_ptr_equal(guest_disks_find(d, "vdb"), &d->items[2]);
        assert_ptr_equal(guest_disks_find(d, "/dev/vda1"), &d->items[0]);
        assert_null(guest_disks_find(d, "vdc"));
        assert_true(guest_disks_equal(d, d));
        guest_disks_free(d);
}

static const char domain_xml[] =
        "<domain><devices>"
        "<disk type='file' device='disk'><source file='/var/lib/images/root.qcow2'/>"
        "<target dev='vda' bus='virtio'/></disk>"
        "<disk type='file' device='disk'><source file='/var/lib/images/data.img'/>"
        "<target dev='vdb' bus='virtio'/><serial>gidata0001</serial></disk>"
        "<disk type='volume' device='disk'><source pool='p' volume='v'/><target dev='vdc' bus='virtio'/></disk>"
        "</devices></domain>";

static void test_link_domain(void **state) {
        (void) state;
        GuestDisks *d = parse_ok(reply);
        DomainDevices *dev = NULL;

        assert_int_equal(domain_devices_parse_xml(domain_xml, strlen(domain_xml), &dev), 0);
        assert_int_equal(dev->n_disks, 3);
        assert_string_equal(dev->disks[1].serial, "gidata0001");
        assert_string_equal(dev->disks[2].source, "p/v");
        assert_null(dev->disks[0].serial);
        assert_int_equal(guest_disks_link_domain(d, dev), 0);
        /* By serial: the data disk. The root disk's empty serial names nothing. */
        assert_string_equal(d->items[2].target, "vdb");
        assert_string_equal(d->items[2].source, "/var/lib/images/data.img");
        assert_null(d->items[1].target);
        assert_null(d->items[0].target);
        domain_devices_free(dev);
        guest_disks_free(d);
}

static void test_typed(void **state) {
        (void) state;
        virTypedParameter p[] = {
                { .field = "disk.count", .type = VIR_TYPED_PARAM_UINT, .value.ui = 2 },
                { .field = "disk.0.name", .type = VIR_TYPED_PARAM_STRING, .value.s = (char *) "/dev/vda1" },
                { .field = "disk.0.partition", .type = VIR_TYPED_PARAM_BOOLEAN, .value.b = 1 },
                { .field = "disk.0.dependency.count", .type = VIR_TYPED_PARAM_UINT, .value.ui = 1 },
                { .field = "disk.0.dependency.0.name", .type = VIR_TYPED_PARAM_STRING, .value.s = (char *) "/dev/vda" },
                { .field = "disk.1.name", .type = VIR_TYPED_PARAM_STRING, .value.s = (char *) "/dev/vdb" },
                { .field = "disk.1.partition", .type = VIR_TYPED_PARAM_BOOLEAN, .value.b = 0 },
                { .field = "disk.1.serial", .type = VIR_TYPED_PARAM_STRING, .value.s = (char *) "gidata0001" },
                { .field = "disk.1.alias", .type = VIR_TYPED_PARAM_STRING, .value.s = (char *) "vdb" },
                { .field = "disk.1.guest_bus", .type = VIR_TYPED_PARAM_STRING, .value.s = (char *) "virtio" },
                /* beyond the count, malformed, of another type: not read */
                { .field = "disk.2.name", .type = VIR_TYPED_PARAM_STRING, .value.s = (char *) "/dev/evil" },
                { .field = "disk.01.name", .type = VIR_TYPED_PARAM_STRING, .value.s = (char *) "/dev/evil" },
                { .field = "disk.1.serial", .type = VIR_TYPED_PARAM_INT, .value.i = 7 },
                { .field = "disk.999999999999.name", .type = VIR_TYPED_PARAM_STRING, .value.s = (char *) "x" },
        };
        GuestDisks *d = NULL;

        assert_int_equal(guest_disks_from_typed_params(p, sizeof p / sizeof *p, &d), 0);
        assert_int_equal(d->n_items, 2);
        assert_int_equal(d->n_reported, 2);
        assert_true(d->items[0].partition);
        assert_int_equal(d->items[0].n_dependencies, 1);
        assert_string_equal(d->items[0].dependencies[0], "/dev/vda");
        assert_string_equal(d->items[1].serial, "gidata0001");
        assert_string_equal(d->items[1].target, "vdb");
        assert_string_equal(d->items[1].bus, "virtio");
        assert_null(d->items[0].bus);

        /* libvirt 9.0 names no bus: the domain disk's; and its source */
        DomainDevices *dev = NULL;
        assert_int_equal(domain_devices_parse_xml(domain_xml, strlen(domain_xml), &dev), 0);
        free(d->items[1].bus);
        d->items[1].bus = NULL;
        assert_int_equal(guest_disks_link_domain(d, dev), 0);
        assert_string_equal(d->items[1].bus, "virtio");
        assert_string_equal(d->items[1].source, "/var/lib/images/data.img");
        assert_null(d->items[0].target);
        assert_null(d->items[0].bus);
        domain_devices_free(dev);
        guest_disks_free(d);
}

static void test_hostile(void **state) {
        (void) state;
        GuestDisks *d = NULL;

        /* not a reply */
        assert_int_equal(guest_disks_from_agent_json("{}", 2, &d), -EINVAL);
        assert_int_equal(guest_disks_from_agent_json("{\"return\":{}}", 13, &d), -EINVAL);
        assert_int_equal(guest_disks_from_agent_json("{\"return\":[", 11, &d), -EINVAL);
        assert_null(d);

        /* wrong types, no name, invalid UTF-8, NUL in a name */
        static const char odd[] = "{\"return\":[{\"name\":5},{\"partition\":true},"
                                  "{\"name\":\"/dev/\xff\",\"partition\":\"yes\",\"dependencies\":\"x\","
                                  "\"address\":[1]},{\"name\":\"a\\u0000b\",\"dependencies\":[1,null,\"/dev/x\"]}]}";
        d = parse_ok(odd);
        assert_int_equal(d->n_reported, 4);
        assert_int_equal(d->n_items, 2);
        assert_string_equal(d->items[0].name, "/dev/" FFFD);
        assert_false(d->items[0].partition);
        assert_int_equal(d->items[0].n_dependencies, 0);
        assert_string_equal(d->items[1].name, "ab");
        assert_int_equal(d->items[1].n_dependencies, 1);
        guest_disks_free(d);

        /* many disks with many dependencies: held to the caps and the budget */
        size_t cap = 4 * 1024 * 1024;
        char *big = malloc(cap), *p = big;
        p += sprintf(p, "{\"return\":[");
        for (int i = 0; i < 2000; i++) {
                p += sprintf(p, "%s{\"name\":\"/dev/%0200d\",\"dependencies\":[", i ? "," : "", i);
                for (int k = 0; k < 40; k++)
                        p += sprintf(p, "%s\"/dev/d%d\"", k ? "," : "", k);
                p += sprintf(p, "]}");
        }
        p += sprintf(p, "]}");
        d = parse_ok(big);
        assert_int_equal(d->n_reported, 2000);
        assert_true(d->n_items > 0 && d->n_items < GUEST_DISKS_MAX);
        size_t bytes = 0;
        for (size_t i = 0; i < d->n_items; i++) {
                assert_true(d->items[i].n_dependencies <= GUEST_DISK_DEPS_MAX);
                bytes += DISK_WIRE_FIXED + strlen(d->items[i].name) + 5;
                for (size_t k = 0; k < d->items[i].n_dependencies; k++)
                        bytes += strlen(d->items[i].dependencies[k]) + 5;
        }
        assert_true(bytes <= GUEST_DISKS_BUDGET);
        guest_disks_free(d);
        free(big);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reply),
                cmocka_unit_test(test_link_domain),
                cmocka_unit_test(test_typed),
                cmocka_unit_test(test_hostile),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
