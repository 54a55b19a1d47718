/* guestinfoctl list: one line per VM. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "guestinfo-names.h"
#include "output.h"
#include "vm-data.h"

/* A stale list is still worth showing, with a word about it. */
static void warn_if_disconnected(BusClient *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int connected = 1;

        if (bus_client_call(c, MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get", &error, &reply, "ss",
                            MANAGER_INTERFACE, PROPERTY_CONNECTED) < 0 ||
            sd_bus_message_read(reply, "v", "b", &connected) < 0)
                return;
        if (!connected)
                fprintf(stderr, "%s: warning: guestinfod has lost its libvirt connection; this may be out of date.\n",
                        PROGRAM_NAME);
}

static int print_json(const Vm *vms, size_t n) {
        json_t *a = json_array();

        for (size_t i = 0; a && i < n; i++) {
                const Vm *vm = &vms[i];
                const VmAddress *address = vm_primary_address(vm);
                /* guestDataReason: "" while collected as usual; null from an older guestinfod */
                json_t *o = json_pack("{s:s?, s:s?, s:s?, s:b, s:o, s:o, s:o, s:o}", "name", vm->name, "uuid", vm->uuid,
                                      "state", vm->state, "agentConnected", vm->agent_connected, "guestDataReason",
                                      json_string_or_null(vm->data_reason), "osPrettyName",
                                      json_string_or_null(vm->has_guest_data ? vm->os_pretty_name : NULL), "hostname",
                                      json_string_or_null(vm->has_guest_data ? vm->hostname : NULL), "address",
                                      address ? vm_address_json(address) : json_null());
                if (json_array_append_new(a, o) < 0) {
                        json_decref(a);
                        a = NULL;
                }
        }
        return json_print(a, true);
}

static int print_table(const Vm *vms, size_t n) {
        static const char *const headers[] = { "NAME", "STATE", "AGENT", "DATA", "OS", "HOSTNAME", "IP" };
        Table *t = table_new(ELEMENTSOF(headers), headers);
        int r = t ? 0 : -1;

        for (size_t i = 0; r >= 0 && i < n; i++) {
                const Vm *vm = &vms[i];
                const VmAddress *address = vm_primary_address(vm);
                _cleanup_(freep) char *ip = address ? vm_address_text(address) : NULL;
                /* DATA: "yes", or why not (an older guestinfod: yes or no) */
                const char *data = vm->data_reason && vm->data_reason[0] ? vm->data_reason
                                   : vm->has_guest_data                  ? "yes"
                                                                         : "no";
                const char *row[] = { vm->name,
                                      vm->state,
                                      vm->agent_connected ? "yes" : "no",
                                      data,
                                      vm->has_guest_data ? vm->os_pretty_name : NULL,
                                      vm->has_guest_data ? vm->hostname : NULL,
                                      ip };
                r = address && !ip ? -ENOMEM : table_add_row(t, row);
        }
        if (r < 0) {
                table_free(t);
                return cli_error(-ENOMEM, "Out of memory.");
        }
        table_print(t, output_is_terminal(), "");
        table_free(t);
        return output_flush();
}

/* One ListSummaries call; GetManagedObjects, as before it, when guestinfod
 * is older. */
static int load_vms(BusClient *c, Vm **vms, size_t *n) {
        int r = vm_load_summaries(c, vms, n);
        if (r != -EOPNOTSUPP)
                return r;
        return vm_load_all(c, vms, n);
}

int cmd_list(BusClient *c, const CliOptions *o) {
        Vm *vms = NULL;
        size_t n = 0;
        int r;

        r = load_vms(c, &vms, &n);
        if (r != 0)
                return r;
        if (o->names) {
                /* for shell completion: just the names */
                for (size_t i = 0; i < n; i++) {
                        _cleanup_(freep) char *name = text_escape(vms[i].name ? vms[i].name : "");
                        puts(name ? name : "");
                }
                r = output_flush();
        } else {
                warn_if_disconnected(c);
                r = o->json ? print_json(vms, n) : print_table(vms, n);
        }
        vm_free_many(vms, n);
        return r;
}
