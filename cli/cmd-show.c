/* guestinfoctl show VM: everything known about one VM, grouped. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "output.h"
#include "vm-data.h"

#define LABEL_WIDTH 17

/* "  Label:           value", value escaped; nothing for an empty value
 * unless always. */
static void field(const char *label, const char *value, bool always) {
        _cleanup_(freep) char *escaped = NULL;
        char l[64];

        if (!always && (!value || !value[0]))
                return;
        escaped = text_escape(value ? value : "");
        snprintf(l, sizeof l, "%s:", label);
        printf("  %-*s %s\n", LABEL_WIDTH, l, escaped ? escaped : "");
}

static const char *yes_no(int b) {
        return b ? "yes" : "no";
}

static void print_domain(const Vm *vm) {
        char id[16];

        snprintf(id, sizeof id, "%d", vm->id);
        printf("Domain\n");
        field("Name", vm->name, true);
        field("UUID", vm->uuid, true);
        field("State", vm->state, true);
        field("Id", vm->id >= 0 ? id : "-", true);
        field("Persistent", yes_no(vm->persistent), true);
}

static void print_agent(const Vm *vm) {
        char buf[128];
        size_t enabled = 0;

        printf("\nAgent\n");
        field("Connected", yes_no(vm->agent_connected), true);
        if (time_usec_is_shown(vm->agent_transition_usec)) {
                format_time_usec(vm->agent_transition_usec, buf, sizeof buf);
                field("Last transition", buf, true);
        }
        if (time_usec_is_shown(vm->agent_probe_usec)) {
                format_time_usec(vm->agent_probe_usec, buf, sizeof buf);
                field("Last probe", buf, true);
        }
        field("Version", vm->agent_version, false);
        field("Filesystems", vm->fsfreeze, false); /* frozen, thawed */
        if (vm->n_commands > 0) {
                for (size_t i = 0; i < vm->n_commands; i++)
                        enabled += vm->commands[i].enabled != 0;
                snprintf(buf, sizeof buf, "%zu (%zu enabled)", vm->n_commands, enabled);
                field("Commands", buf, true);
        }
}

/* GuestDataReason in words; an unknown one (a newer daemon's) as it is. */
static const char *reason_text(const char *reason) {
        static const struct {
                const char *reason, *text;
        } texts[] = {
                { "libvirt-disconnected", "guestinfod has lost libvirt; these are the last known values" },
                { "paused", "the VM is paused; values are kept, not refreshed" },
                { "not-running", "the VM is not running" },
                { "no-agent-channel", "the VM has no guest agent channel" },
                { "agent-not-connected", "the guest agent is not connected" },
                { "frozen", "the guest's filesystems are frozen; values are kept until the thaw" },
                { "collecting", "the guest agent is connected and its first answer is awaited" },
                { "agent-timed-out", "the guest agent did not answer in time" },
                { "agent-failed", "the guest agent gave nothing" },
                { "agent-lacks-commands", "the guest agent offers none of the commands for guest data" },
        };
        for (size_t i = 0; i < ELEMENTSOF(texts); i++)
                if (streq(texts[i].reason, reason))
                        return texts[i].text;
        return reason;
}

/* Why there is no guest data, or why it is not refreshed. */
static void print_reason(const Vm *vm) {
        if (!vm->data_reason) {
                /* a guestinfod older than GuestDataReason */
                if (vm->has_guest_data)
                        return;
                if (!vm->agent_connected)
                        printf("\nNo guest data: the guest agent is not connected.\n");
                else if (vm->state && !streq(vm->state, "running"))
                        printf("\nNo guest data while the VM is %s.\n", vm->state);
                else
                        printf("\nNo guest data: the guest agent is connected but has not answered yet.\n");
                return;
        }
        if (!vm->data_reason[0])
                return;
        _cleanup_(freep) char *text = text_escape(reason_text(vm->data_reason));
        printf("\n%s: %s.\n", vm->has_guest_data ? "Guest data not refreshed" : "No guest data", text ? text : "");
}

/* Some kind was asked in this agent session: else the table says nothing. */
static bool kinds_asked(const Vm *vm) {
        for (size_t i = 0; i < vm->n_kind_status; i++)
                if (!streq(vm->kind_status[i].state, "not-asked"))
                        return true;
        return false;
}

static Table *kind_status_table(const Vm *vm) {
        static const char *const headers[] = { "KIND", "STATE", "COLLECTED", "MESSAGE" };
        Table *t = table_new(ELEMENTSOF(headers), headers);

        for (size_t i = 0; t && i < vm->n_kind_status; i++) {
                const VmKindStatus *k = &vm->kind_status[i];
                char collected[64] = "";
                if (time_usec_is_shown(k->collected_usec))
                        format_time_usec(k->collected_usec, collected, sizeof collected);
                const char *row[] = { k->kind, k->state, collected, k->message };
                if (table_add_row(t, row) < 0) {
                        table_free(t);
                        return NULL;
                }
        }
        return t;
}

/* The agent gave this kind in this session: its values are not just 0s. */
static bool kind_collected(const Vm *vm, const char *kind) {
        for (size_t i = 0; i < vm->n_kind_status; i++)
                if (streq(vm->kind_status[i].kind, kind))
                        return vm->kind_status[i].collected_usec != 0;
        return false;
}

static void print_os(const Vm *vm) {
        char tz[128], offset[16];

        printf("\nOS\n");
        field("Pretty name", vm->os_pretty_name, false);
        field("Name", vm->os_name, false);
        field("Id", vm->os_id, false);
        field("Version", vm->os_version, false);
        field("Version id", vm->os_version_id, false);
        field("Variant", vm->os_variant, false);
        field("Variant id", vm->os_variant_id, false);
        field("Kernel release", vm->kernel_release, false);
        field("Kernel version", vm->kernel_version, false);
        field("Machine", vm->machine, false);
        field("Hostname", vm->hostname, false);
        format_utc_offset(vm->timezone_offset, offset, sizeof offset);
        snprintf(tz, sizeof tz, "%s (UTC%s)", vm->timezone_name ? vm->timezone_name : "", offset);
        field("Timezone", tz, true);
        char buf[96];
        if (kind_collected(vm, "vcpus")) {
                snprintf(buf, sizeof buf, "%u of %u online (%u may go offline)", vm->vcpus_online, vm->vcpus_configured,
                         vm->vcpus_offlinable);
                field("vCPUs", buf, true);
        }
        if (kind_collected(vm, "load")) {
                snprintf(buf, sizeof buf, "%.2f %.2f %.2f (1, 5, 15 min)", vm->load[0], vm->load[1], vm->load[2]);
                field("Load average", buf, true);
        }
        if (kind_collected(vm, "clock")) {
                double s = (double) vm->clock_offset_usec / 1e6;
                snprintf(buf, sizeof buf, "%+.3f s (%s the host's)", s,
                         s >= 1    ? "ahead of"
                         : s <= -1 ? "behind"
                                   : "within a second of");
                field("Clock offset", buf, true);
        }
}

/* Prints the table under a heading; false when out of memory. */
static bool print_table(const char *heading, Table *t) {
        if (!t)
                return false;
        printf("\n%s\n", heading);
        table_print(t, true, "  ");
        table_free(t);
        return true;
}

/* The addresses as "10.0.2.15/24 fe80::1/64", of whatever family, and the
 * sources as "domain, guest-agent": malloc'ed, NULL without memory. */
static char *addresses_text(const VmInterface *e) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        bool ok = f;

        for (size_t k = 0; ok && k < e->n_addresses; k++) {
                _cleanup_(freep) char *a = vm_address_text(&e->addresses[k]);
                ok = a && fprintf(f, "%s%s", k ? " " : "", a) >= 0;
        }
        if (f && fclose(f) != 0)
                ok = false;
        if (!ok) {
                free(text);
                return NULL;
        }
        return text;
}

static char *sources_text(const VmInterface *e) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        for (size_t k = 0; f && k < e->n_sources; k++)
                fprintf(f, "%s%s", k ? ", " : "", e->sources[k]);
        if (f && fclose(f) == 0)
                return text;
        free(text);
        return NULL;
}

static Table *interfaces_table(const Vm *vm) {
        static const char *const headers[] = { "NAME", "INTERFACE", "MAC", "IP ADDRESSES", "SOURCE" };
        Table *t = table_new(ELEMENTSOF(headers), headers);

        for (size_t i = 0; t && i < vm->n_interfaces; i++) {
                const VmInterface *e = &vm->interfaces[i];
                _cleanup_(freep) char *ips = addresses_text(e);
                _cleanup_(freep) char *sources = sources_text(e);
                const char *row[] = { e->name, e->interface_name, e->mac, ips, sources };
                int r = ips && sources ? table_add_row(t, row) : -1;
                if (r < 0) {
                        table_free(t);
                        return NULL;
                }
        }
        return t;
}

static Table *filesystems_table(const Vm *vm) {
        static const char *const headers[] = { "MOUNT POINT", "TYPE", "DEVICE", "USED", "TOTAL", "DISKS" };
        Table *t = table_new(ELEMENTSOF(headers), headers);

        for (size_t i = 0; t && i < vm->n_filesystems; i++) {
                const VmFilesystem *f = &vm->filesystems[i];
                char used[32], total[32], *disks = NULL;
                size_t len = 0;
                FILE *m = open_memstream(&disks, &len);
                for (size_t k = 0; m && k < f->n_disks; k++)
                        fprintf(m, "%s%s (%s)", k ? ", " : "", f->disks[k].serial[0] ? f->disks[k].serial : "-",
                                f->disks[k].bus_type[0] ? f->disks[k].bus_type : "-");
                if (m)
                        fclose(m);
                format_bytes(f->used_bytes, used, sizeof used);
                format_bytes(f->total_bytes, total, sizeof total);
                const char *row[] = { f->mount_point, f->type, f->disk_name, used, total, disks };
                int r = disks ? table_add_row(t, row) : -1;
                free(disks);
                if (r < 0) {
                        table_free(t);
                        return NULL;
                }
        }
        return t;
}

/* "a, b" of a NULL-terminated list: malloc'ed, NULL without memory. */
static char *joined(char *const *l) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        for (size_t k = 0; f && l && l[k]; k++)
                fprintf(f, "%s%s", k ? ", " : "", l[k]);
        if (f && fclose(f) == 0)
                return text;
        free(text);
        return NULL;
}

static Table *disks_table(const Vm *vm) {
        static const char *const headers[] = { "DEVICE", "PARTITION",   "BUILT ON", "SERIAL",
                                               "BUS",    "DOMAIN DISK", "SOURCE" };
        Table *t = table_new(ELEMENTSOF(headers), headers);

        for (size_t i = 0; t && i < vm->n_guest_disks; i++) {
                const VmGuestDisk *d = &vm->guest_disks[i];
                _cleanup_(freep) char *deps = joined(d->dependencies);
                const char *row[] = { d->name,  d->partition ? "yes" : "no", deps, d->serial, d->bus, d->target,
                                      d->source };
                int r = deps ? table_add_row(t, row) : -1;
                if (r < 0) {
                        table_free(t);
                        return NULL;
                }
        }
        return t;
}

/* One row per NIC or disk, a column per counter (keys[i] headed
 * headers[i + 1]); "-" for a counter the guest did not send. */
static Table *counters_table(const VmCounterSet *sets, size_t n, const char *const *headers, const char *const *keys,
                             size_t n_keys) {
        Table *t = table_new(n_keys + 1, headers);
        for (size_t i = 0; t && i < n; i++) {
                char cells[16][24];
                const char *row[17] = { sets[i].name };
                for (size_t k = 0; k < n_keys && k < 16; k++) {
                        uint64_t v = vm_counter(&sets[i], keys[k]);
                        if (v == UINT64_MAX)
                                snprintf(cells[k], sizeof cells[k], "-");
                        else
                                snprintf(cells[k], sizeof cells[k], "%" PRIu64, v);
                        row[k + 1] = cells[k];
                }
                if (table_add_row(t, row) < 0) {
                        table_free(t);
                        return NULL;
                }
        }
        return t;
}

/* The counters, when a counter kind was read. */
static bool print_counters(const Vm *vm) {
        static const char *const nic_headers[] = { "NIC",      "RX BYTES",   "RX PACKETS", "RX ERRS",   "RX DROPPED",
                                                   "TX BYTES", "TX PACKETS", "TX ERRS",    "TX DROPPED" };
        static const char *const nic_keys[] = { "rx-bytes", "rx-packets", "rx-errs", "rx-dropped",
                                                "tx-bytes", "tx-packets", "tx-errs", "tx-dropped" };
        static const char *const disk_headers[] = {
                "DISK", "READS", "READ SECTORS", "WRITES", "WRITE SECTORS", "IO MS"
        };
        static const char *const disk_keys[] = { "read-ios", "read-sectors", "write-ios", "write-sectors",
                                                 "total-ticks" };

        if (kind_collected(vm, "nic-counters") &&
            !print_table("NIC counters", counters_table(vm->nic_counters, vm->n_nic_counters, nic_headers, nic_keys,
                                                        ELEMENTSOF(nic_keys))))
                return false;
        if (kind_collected(vm, "disk-counters") &&
            !print_table("Disk counters", counters_table(vm->disk_counters, vm->n_disk_counters, disk_headers,
                                                         disk_keys, ELEMENTSOF(disk_keys))))
                return false;
        if (kind_collected(vm, "cpu-counters")) {
                static const char *const cpu_keys[] = { "user", "nice", "system", "idle", "iowait", "steal" };
                printf("\nCPU time (%u CPUs summed, ms)\n", vm->counter_cpus);
                for (size_t k = 0; k < ELEMENTSOF(cpu_keys); k++) {
                        uint64_t v = vm_counter(&vm->cpu_counters, cpu_keys[k]);
                        char buf[32];
                        if (v == UINT64_MAX)
                                continue;
                        snprintf(buf, sizeof buf, "%" PRIu64, v);
                        field(cpu_keys[k], buf, true);
                }
        }
        return true;
}

static Table *users_table(const Vm *vm) {
        static const char *const headers[] = { "NAME", "DOMAIN", "LOGIN TIME" };
        Table *t = table_new(ELEMENTSOF(headers), headers);

        for (size_t i = 0; t && i < vm->n_users; i++) {
                const VmUser *u = &vm->users[i];
                char login[64] = "";
                if (time_usec_is_shown(u->login_usec))
                        format_time_usec(u->login_usec, login, sizeof login);
                const char *row[] = { u->name, u->domain, login }; /* "" shows as "-" */
                if (table_add_row(t, row) < 0) {
                        table_free(t);
                        return NULL;
                }
        }
        return t;
}

/* "Users (3)", or "Users (300, 256 listed)" when the daemon kept fewer. */
static void heading(char *buf, size_t size, const char *what, uint32_t count, size_t listed) {
        if (count > listed)
                snprintf(buf, size, "%s (%u, %zu listed)", what, count, listed);
        else
                snprintf(buf, size, "%s (%zu)", what, listed);
}

static int print_text(const Vm *vm) {
        char h[64];

        print_domain(vm);
        print_agent(vm);
        print_reason(vm);
        if (vm->has_guest_data)
                print_os(vm);
        if (kinds_asked(vm) && !print_table("Guest data", kind_status_table(vm)))
                return cli_error(-ENOMEM, "Out of memory.");
        if (!print_table("Interfaces", interfaces_table(vm)))
                return cli_error(-ENOMEM, "Out of memory.");
        if (vm->has_guest_data) {
                heading(h, sizeof h, "Filesystems", vm->filesystem_count, vm->n_filesystems);
                if (!print_table(h, filesystems_table(vm)))
                        return cli_error(-ENOMEM, "Out of memory.");
                if (kind_collected(vm, "disks")) {
                        heading(h, sizeof h, "Disks", vm->disk_count, vm->n_guest_disks);
                        if (!print_table(h, disks_table(vm)))
                                return cli_error(-ENOMEM, "Out of memory.");
                }
                heading(h, sizeof h, "Users", vm->user_count, vm->n_users);
                if (!print_table(h, users_table(vm)))
                        return cli_error(-ENOMEM, "Out of memory.");
                if (!print_counters(vm))
                        return cli_error(-ENOMEM, "Out of memory.");
        }
        return output_flush();
}

/* ---- JSON ---- */

static json_int_t json_bytes(uint64_t v) {
        return v > (uint64_t) INT64_MAX ? (json_int_t) INT64_MAX : (json_int_t) v;
}

static json_t *commands_json(const Vm *vm) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < vm->n_commands; i++)
                if (json_array_append_new(a, json_pack("{s:s, s:b}", "name", vm->commands[i].name, "enabled",
                                                       vm->commands[i].enabled)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static json_t *addresses_json(const VmInterface *e) {
        json_t *a = json_array();
        for (size_t k = 0; a && k < e->n_addresses; k++)
                if (json_array_append_new(a, vm_address_json(&e->addresses[k])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static json_t *sources_json(const VmInterface *e) {
        json_t *a = json_array();
        for (size_t k = 0; a && k < e->n_sources; k++)
                if (json_array_append_new(a, json_string(e->sources[k])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static json_t *interfaces_json(const Vm *vm) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < vm->n_interfaces; i++) {
                const VmInterface *e = &vm->interfaces[i];
                if (json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o, s:o}", "name", e->name, "interfaceName",
                                                       e->interface_name, "mac", e->mac, "addresses", addresses_json(e),
                                                       "sources", sources_json(e))) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

static json_t *filesystems_json(const Vm *vm) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < vm->n_filesystems; i++) {
                const VmFilesystem *f = &vm->filesystems[i];
                json_t *disks = json_array();
                for (size_t k = 0; disks && k < f->n_disks; k++)
                        if (json_array_append_new(disks, json_pack("{s:s, s:s}", "serial", f->disks[k].serial,
                                                                   "busType", f->disks[k].bus_type)) < 0) {
                                json_decref(disks);
                                disks = NULL;
                        }
                if (json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:I, s:I, s:o}", "diskName", f->disk_name,
                                                       "mountPoint", f->mount_point, "fileSystemType", f->type,
                                                       "usedBytes", json_bytes(f->used_bytes), "totalBytes",
                                                       json_bytes(f->total_bytes), "disk", disks)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

static json_t *guest_disks_json(const Vm *vm) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < vm->n_guest_disks; i++) {
                const VmGuestDisk *d = &vm->guest_disks[i];
                json_t *deps = json_array();
                for (size_t k = 0; deps && d->dependencies && d->dependencies[k]; k++)
                        if (json_array_append_new(deps, json_string(d->dependencies[k])) < 0) {
                                json_decref(deps);
                                deps = NULL;
                        }
                /* "" on the bus is unknown: null here */
                if (json_array_append_new(a, json_pack("{s:s, s:b, s:o, s:o, s:o, s:o, s:o}", "name", d->name,
                                                       "partition", d->partition, "dependencies", deps, "serial",
                                                       json_string_or_null(d->serial[0] ? d->serial : NULL), "busType",
                                                       json_string_or_null(d->bus[0] ? d->bus : NULL), "target",
                                                       json_string_or_null(d->target[0] ? d->target : NULL), "source",
                                                       json_string_or_null(d->source[0] ? d->source : NULL))) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

static json_t *counter_values_json(const VmCounterSet *s) {
        json_t *o = json_object();
        for (size_t k = 0; o && k < s->n_items; k++)
                if (json_object_set_new(
                            o, s->items[k].key,
                            json_integer((json_int_t) (s->items[k].value > INT64_MAX ? INT64_MAX
                                                                                     : s->items[k].value))) < 0) {
                        json_decref(o);
                        return NULL;
                }
        return o;
}

static json_t *counter_list_json(const VmCounterSet *sets, size_t n) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++)
                if (json_array_append_new(a, json_pack("{s:s, s:o}", "name", sets[i].name, "counters",
                                                       counter_values_json(&sets[i]))) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

/* Each part null until its kind was read. */
static json_t *counters_json(const Vm *vm) {
        bool nics = kind_collected(vm, "nic-counters"), cpu = kind_collected(vm, "cpu-counters"),
             disks = kind_collected(vm, "disk-counters");
        if (!nics && !cpu && !disks)
                return json_null();
        return json_pack("{s:o, s:o, s:o}", "nics",
                         nics ? counter_list_json(vm->nic_counters, vm->n_nic_counters) : json_null(), "cpu",
                         cpu ? json_pack("{s:I, s:o}", "cpus", (json_int_t) vm->counter_cpus, "counters",
                                         counter_values_json(&vm->cpu_counters))
                             : json_null(),
                         "disks", disks ? counter_list_json(vm->disk_counters, vm->n_disk_counters) : json_null());
}

static json_t *users_json(const Vm *vm) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < vm->n_users; i++)
                /* as the agent's times are: RFC 3339, or null */
                if (json_array_append_new(a, json_pack("{s:s, s:s, s:o}", "userName", vm->users[i].name, "domain",
                                                       vm->users[i].domain, "loginTime",
                                                       json_time_usec(vm->users[i].login_usec))) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static json_t *os_json(const Vm *vm) {
        return json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "id", vm->os_id, "name",
                         vm->os_name, "prettyName", vm->os_pretty_name, "version", vm->os_version, "versionId",
                         vm->os_version_id, "kernelRelease", vm->kernel_release, "kernelVersion", vm->kernel_version,
                         "machine", vm->machine, "variant", vm->os_variant, "variantId", vm->os_variant_id);
}

static json_t *kind_status_json(const Vm *vm) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < vm->n_kind_status; i++) {
                const VmKindStatus *k = &vm->kind_status[i];
                if (json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o}", "kind", k->kind, "state", k->state,
                                                       "collected", json_time_usec(k->collected_usec), "message",
                                                       json_string_or_null(k->message[0] ? k->message : NULL))) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

static int print_json(const Vm *vm) {
        bool g = vm->has_guest_data;
        json_t *agent = json_pack("{s:b, s:o, s:o, s:s?, s:o, s:o}", "connected", vm->agent_connected,
                                  "lastTransitionTime", json_time_usec(vm->agent_transition_usec), "lastProbeTime",
                                  json_time_usec(vm->agent_probe_usec), "version",
                                  vm->agent_version && vm->agent_version[0] ? vm->agent_version : NULL,
                                  "supportedCommands", commands_json(vm), "fsFreezeStatus",
                                  json_string_or_null(vm->fsfreeze && vm->fsfreeze[0] ? vm->fsfreeze : NULL));
        /* null from a guestinfod older than these */
        json_t *data = vm->data_reason
                               ? json_pack("{s:s, s:o}", "reason", vm->data_reason, "kinds", kind_status_json(vm))
                               : json_null();
        json_t *tz =
                g ? json_pack("{s:s?, s:i}", "name", vm->timezone_name, "offset", vm->timezone_offset) : json_null();
        /* null until the agent gave them (an older agent has no guest-get-load) */
        json_t *vcpus =
                g && kind_collected(vm, "vcpus")
                        ? json_pack("{s:I, s:I, s:I}", "configured", (json_int_t) vm->vcpus_configured, "online",
                                    (json_int_t) vm->vcpus_online, "offlinable", (json_int_t) vm->vcpus_offlinable)
                        : json_null();
        json_t *load = g && kind_collected(vm, "load") ? json_pack("{s:f, s:f, s:f}", "load1", vm->load[0], "load5",
                                                                   vm->load[1], "load15", vm->load[2])
                                                       : json_null();
        json_t *disks = g && kind_collected(vm, "disks") ? guest_disks_json(vm) : json_null();
        json_t *clock =
                g && kind_collected(vm, "clock") ? json_real((double) vm->clock_offset_usec / 1e6) : json_null();

        /* without guest data its keys are null, so a script can tell "no
         * agent" from "no users" */
        return json_print(
                json_pack("{s:s?, s:s?, s:s?, s:b, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
                          "s:o, s:o, s:o, s:o, s:o}",
                          "name", vm->name, "uuid", vm->uuid, "state", vm->state, "persistent", vm->persistent, "id",
                          vm->id, "agent", agent, "guestData", data, "os", g ? os_json(vm) : json_null(), "hostname",
                          json_string_or_null(g ? vm->hostname : NULL), "timezone", tz, "vcpus", vcpus, "loadAverage",
                          load, "interfaces", interfaces_json(vm), "filesystems",
                          g ? filesystems_json(vm) : json_null(), "filesystemCount",
                          g ? json_integer(vm->filesystem_count) : json_null(), "users",
                          g ? users_json(vm) : json_null(), "userCount", g ? json_integer(vm->user_count) : json_null(),
                          "disks", disks, "diskCount",
                          g && kind_collected(vm, "disks") ? json_integer(vm->disk_count) : json_null(),
                          "clockOffsetSeconds", clock, "counters", g ? counters_json(vm) : json_null()),
                true);
}

int cmd_show(BusClient *c, const CliOptions *o, const char *name) {
        _cleanup_(freep) char *path = NULL;
        Vm vm;
        int r;

        r = bus_client_find_vm(c, name, &path);
        if (r != 0)
                return r;
        r = vm_load(c, path, name, &vm);
        if (r != 0)
                return r;
        r = o->json ? print_json(&vm) : print_text(&vm);
        vm_done(&vm);
        return r;
}
