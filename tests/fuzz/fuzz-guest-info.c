/* virDomainGetGuestInfo's typed parameters, with keys and values the guest
 * controls. Input: lines "key=value"; a value of digits only becomes an
 * unsigned long long, anything else a string. Then everything downstream
 * of the parser: merging with a domain NIC and the KubeVirt JSON. */
#include <stdint.h>
#include <stdio.h>

#include <libvirt/libvirt.h>

#include "fuzz-common.h"
#include "guest-info.h"
#include "kubevirt-json.h"

#define MAX_PARAMS 4096

static void check_guest(const GuestInfo *g) {
        const GuestOS *o = &g->os;
        const char *os[] = { o->id,         o->name,           o->pretty_name,    o->version,
                             o->version_id, o->kernel_release, o->kernel_version, o->machine,
                             o->variant,    o->variant_id };
        for (size_t i = 0; i < sizeof os / sizeof *os; i++)
                check_string(os[i]);
        check_string(g->hostname);
        check_string(g->timezone_name);
        if (g->n_users > GUEST_USERS_MAX || g->n_filesystems > GUEST_FILESYSTEMS_MAX ||
            g->n_interfaces > GUEST_INTERFACES_MAX)
                abort();
        for (size_t i = 0; i < g->n_users; i++) {
                check_string(g->users[i].name);
                check_string(g->users[i].domain);
        }
        for (size_t i = 0; i < g->n_filesystems; i++) {
                const GuestFilesystem *f = &g->filesystems[i];
                check_string(f->disk_name);
                check_string(f->mount_point);
                check_string(f->fs_type);
                if (f->n_disks > GUEST_FS_DISKS_MAX)
                        abort();
                for (size_t k = 0; k < f->n_disks; k++) {
                        check_string(f->disks[k].serial);
                        check_string(f->disks[k].alias);
                        check_string(f->disks[k].device);
                }
        }
        for (size_t i = 0; i < g->n_interfaces; i++) {
                const GuestInterface *n = &g->interfaces[i];
                check_string(n->name);
                check_string(n->mac);
                if (n->n_addresses > GUEST_ADDRESSES_MAX || n->n_ipv4 > n->n_addresses)
                        abort();
                for (size_t k = 0; k < n->n_addresses; k++)
                        check_string(n->addresses[k]);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static virTypedParameter params[MAX_PARAMS];
        size_t n = 0;
        const char *p = (const char *) data, *end = p + size;

        memset(params, 0, sizeof params);
        while (p < end && n < MAX_PARAMS) {
                const char *nl = memchr(p, '\n', end - p);
                const char *line_end = nl ? nl : end;
                const char *eq = memchr(p, '=', line_end - p);
                if (eq && eq > p) {
                        virTypedParameter *t = &params[n++];
                        size_t klen = (size_t) (eq - p) < VIR_TYPED_PARAM_FIELD_LENGTH - 1
                                              ? (size_t) (eq - p)
                                              : VIR_TYPED_PARAM_FIELD_LENGTH - 1;
                        memcpy(t->field, p, klen);
                        const char *v = eq + 1;
                        size_t vlen = line_end - v;
                        bool digits = vlen > 0 && vlen < 20;
                        for (size_t i = 0; digits && i < vlen; i++)
                                digits = v[i] >= '0' && v[i] <= '9';
                        if (digits) {
                                t->type = VIR_TYPED_PARAM_ULLONG;
                                /* the value ends at line_end, not at a NUL: no strtoull */
                                t->value.ul = 0;
                                for (size_t i = 0; i < vlen; i++)
                                        t->value.ul = t->value.ul * 10 + (unsigned) (v[i] - '0');
                        } else {
                                t->type = VIR_TYPED_PARAM_STRING;
                                t->value.s = strndup(v, vlen);
                        }
                }
                p = nl ? nl + 1 : end;
        }

        GuestInfo *g = NULL;
        if (guest_info_from_typed_params(params, (int) n, GUEST_KIND_ALL & ~(unsigned) GUEST_KIND_AGENT, &g) >= 0) {
                check_guest(g);

                DomainNic nic = { .alias = (char *) "net0", .mac = (char *) "52:54:00:12:34:56" };
                DomainDevices devices = { .nics = &nic, .n_nics = 1 };
                MergedInterfaces *m = NULL;
                if (interfaces_merge(&devices, g, &m) >= 0) {
                        size_t guest_only = 0;
                        for (size_t i = 0; i < m->n_items; i++)
                                guest_only += strcmp(m->items[i].info_source, "guest-agent") == 0;
                        if (guest_only > SUMMARY_MAX)
                                abort();
                        free(kubevirt_interfaces_json(m));
                        merged_interfaces_free(m);
                }
                free(kubevirt_guestosinfo_json(NULL, g));
                free(kubevirt_userlist_json(g));
                free(kubevirt_filesystemlist_json(g));
                guest_info_free(g);
        }
        for (size_t i = 0; i < n; i++)
                if (params[i].type == VIR_TYPED_PARAM_STRING)
                        free(params[i].value.s);
        return 0;
}
