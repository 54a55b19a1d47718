#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

void metrics_daemon_done(MetricsDaemon *d) {
        free(d->version);
        *d = (MetricsDaemon){};
}

/* Every family is written whole, VM after VM, as the format wants a
 * family's samples together. */

/* The filesystems of a VM that get series, as indexes into vm->filesystems:
 * worked out once per VM for the three families that need them. */
typedef struct Kept {
        size_t n;
        size_t index[METRICS_MAX_FILESYSTEMS];
        /* the same for vm->kind_status */
        size_t n_kinds;
        size_t kind_index[METRICS_MAX_KINDS];
        /* the same for vm->nic_counters and vm->disk_counters */
        size_t n_nics, nic_index[METRICS_MAX_NICS];
        size_t n_disks, disk_index[METRICS_MAX_DISKS];
} Kept;

typedef void (*VmFamilyWriter)(PromText *t, const char *metric, const Vm *vm, const Kept *kept);

static void vm_labels(const Vm *vm, PromLabel labels[2]) {
        labels[0] = (PromLabel){ "name", vm->name };
        labels[1] = (PromLabel){ "uuid", vm->uuid };
}

static void write_running(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        PromLabel l[2];
        vm_labels(vm, l);
        prom_sample_u64(t, metric, l, 2, vm->state && strcmp(vm->state, "running") == 0);
}

static void write_agent_connected(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        PromLabel l[2];
        vm_labels(vm, l);
        prom_sample_u64(t, metric, l, 2, !!vm->agent_connected);
}

static void write_guest_data(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        PromLabel l[2];
        vm_labels(vm, l);
        prom_sample_u64(t, metric, l, 2, vm->has_guest_data);
}

static void write_seconds(PromText *t, const char *metric, const Vm *vm, uint64_t usec) {
        PromLabel l[2];
        if (usec == 0) /* never: no sample rather than 1970 */
                return;
        vm_labels(vm, l);
        prom_sample_double(t, metric, l, 2, (double) usec / 1e6);
}

static void write_transition(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        write_seconds(t, metric, vm, vm->agent_transition_usec);
}

static void write_probe(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        write_seconds(t, metric, vm, vm->agent_probe_usec);
}

static void write_info(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        if (!vm->has_guest_data)
                return;
        const PromLabel l[] = {
                { "name", vm->name },
                { "uuid", vm->uuid },
                { "os_id", vm->os_id },
                { "os_name", vm->os_name },
                { "os_pretty_name", vm->os_pretty_name },
                { "os_version", vm->os_version },
                { "os_version_id", vm->os_version_id },
                { "kernel_release", vm->kernel_release },
                { "machine", vm->machine },
                { "hostname", vm->hostname },
                { "agent_version", vm->agent_version },
        };
        prom_sample_u64(t, metric, l, ELEMENTSOF(l), 1);
}

static void write_users(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        PromLabel l[2];
        if (!vm->has_guest_data)
                return;
        vm_labels(vm, l);
        prom_sample_u64(t, metric, l, 2, vm->user_count);
}

static void write_filesystems(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        PromLabel l[2];
        if (!vm->has_guest_data)
                return;
        vm_labels(vm, l);
        prom_sample_u64(t, metric, l, 2, vm->filesystem_count);
}

/* The filesystems that get series: the first METRICS_MAX_FILESYSTEMS with
 * sizes (a total of 0 is the daemon's "the guest did not say", not an empty
 * disk) whose labels, as written, differ from every earlier one's (a guest
 * may report one twice, or two that the length bound makes alike; two
 * series with one set of labels would make the scrape fail). Returns
 * -ENOMEM or 0. */
static int keep_filesystems(const Vm *vm, Kept *kept) {
        typedef char Labels[3][PROM_LABEL_BUF_MAX];
        Labels *written = NULL;

        kept->n = 0;
        if (!vm->has_guest_data || vm->n_filesystems == 0)
                return 0;
        written = malloc(METRICS_MAX_FILESYSTEMS * sizeof *written);
        if (!written)
                return -ENOMEM;
        for (size_t i = 0; i < vm->n_filesystems && kept->n < METRICS_MAX_FILESYSTEMS; i++) {
                const VmFilesystem *f = &vm->filesystems[i];
                char(*w)[PROM_LABEL_BUF_MAX] = written[kept->n];
                bool same = false;

                if (f->total_bytes == 0)
                        continue;
                prom_label_value(f->disk_name, w[0], sizeof w[0]);
                prom_label_value(f->mount_point, w[1], sizeof w[1]);
                prom_label_value(f->type, w[2], sizeof w[2]);
                for (size_t k = 0; k < kept->n && !same; k++)
                        same = streq(w[0], written[k][0]) && streq(w[1], written[k][1]) && streq(w[2], written[k][2]);
                if (!same)
                        kept->index[kept->n++] = i;
        }
        free(written);
        return 0;
}

/* The kinds of guest data that get series: the first METRICS_MAX_KINDS
 * whose kind label, as written, differs from every earlier one's (two
 * series with one label set would fail the scrape). Returns -ENOMEM or 0. */
static int keep_kinds(const Vm *vm, Kept *kept) {
        char(*written)[PROM_LABEL_BUF_MAX] = NULL;

        kept->n_kinds = 0;
        if (vm->n_kind_status == 0)
                return 0;
        written = malloc(METRICS_MAX_KINDS * sizeof *written);
        if (!written)
                return -ENOMEM;
        for (size_t i = 0; i < vm->n_kind_status && kept->n_kinds < METRICS_MAX_KINDS; i++) {
                bool same = false;
                prom_label_value(vm->kind_status[i].kind, written[kept->n_kinds], sizeof written[0]);
                for (size_t k = 0; k < kept->n_kinds && !same; k++)
                        same = streq(written[kept->n_kinds], written[k]);
                if (!same)
                        kept->kind_index[kept->n_kinds++] = i;
        }
        free(written);
        return 0;
}

/* The counter sets (NICs or disks) that get series: the first max whose
 * name, as written, differs from every earlier one's. Returns -ENOMEM or
 * 0. */
static int keep_sets(const VmCounterSet *sets, size_t n, size_t max, size_t *index, size_t *ret_n) {
        char(*written)[PROM_LABEL_BUF_MAX] = NULL;
        size_t kept = 0;

        *ret_n = 0;
        if (n == 0)
                return 0;
        written = malloc(max * sizeof *written);
        if (!written)
                return -ENOMEM;
        for (size_t i = 0; i < n && kept < max; i++) {
                bool same = false;
                prom_label_value(sets[i].name, written[kept], sizeof written[0]);
                for (size_t k = 0; k < kept && !same; k++)
                        same = streq(written[kept], written[k]);
                if (!same)
                        index[kept++] = i;
        }
        free(written);
        *ret_n = kept;
        return 0;
}

static void write_filesystem_bytes(PromText *t, const char *metric, const Vm *vm, const Kept *kept, bool used) {
        if (!vm->has_guest_data)
                return;
        for (size_t i = 0; i < kept->n; i++) {
                const VmFilesystem *f = &vm->filesystems[kept->index[i]];
                const PromLabel l[] = {
                        { "name", vm->name },          { "uuid", vm->uuid },
                        { "disk_name", f->disk_name }, { "mount_point", f->mount_point },
                        { "fs_type", f->type },
                };
                prom_sample_u64(t, metric, l, ELEMENTSOF(l), used ? f->used_bytes : f->total_bytes);
        }
}

static void write_capacity(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        write_filesystem_bytes(t, metric, vm, kept, false);
}

static void write_used(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        write_filesystem_bytes(t, metric, vm, kept, true);
}

static void write_dropped(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        PromLabel l[2];

        if (!vm->has_guest_data)
                return;
        /* FilesystemCount is what the guest claimed: the daemon's own cut
         * and the bus property's 10 are in the difference too. */
        uint64_t reported = vm->filesystem_count > vm->n_filesystems ? vm->filesystem_count : vm->n_filesystems;
        vm_labels(vm, l);
        prom_sample_u64(t, metric, l, 2, reported - kept->n);
}

/* GuestDataReason as a label; "" while collected as usual. Absent from a
 * guestinfod older than the property. */
static void write_reason(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        if (!vm->data_reason)
                return;
        const PromLabel l[] = { { "name", vm->name }, { "uuid", vm->uuid }, { "reason", vm->data_reason } };
        prom_sample_u64(t, metric, l, ELEMENTSOF(l), 1);
}

/* FsFreezeStatus: no sample while unknown ("") or an unknown word. */
static void write_fs_frozen(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        PromLabel l[2];
        if (!vm->fsfreeze || !(streq(vm->fsfreeze, "frozen") || streq(vm->fsfreeze, "thawed")))
                return;
        vm_labels(vm, l);
        prom_sample_u64(t, metric, l, 2, streq(vm->fsfreeze, "frozen"));
}

/* One sample per kind, its state as a label: a state the client does not
 * know yet goes out as it is, one series all the same. */
static void write_kind_state(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        for (size_t i = 0; i < kept->n_kinds; i++) {
                const VmKindStatus *k = &vm->kind_status[kept->kind_index[i]];
                const PromLabel l[] = {
                        { "name", vm->name }, { "uuid", vm->uuid }, { "kind", k->kind }, { "state", k->state }
                };
                prom_sample_u64(t, metric, l, ELEMENTSOF(l), 1);
        }
}

static void write_kind_collected(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        for (size_t i = 0; i < kept->n_kinds; i++) {
                const VmKindStatus *k = &vm->kind_status[kept->kind_index[i]];
                if (k->collected_usec == 0) /* never: no sample rather than 1970 */
                        continue;
                const PromLabel l[] = { { "name", vm->name }, { "uuid", vm->uuid }, { "kind", k->kind } };
                prom_sample_double(t, metric, l, ELEMENTSOF(l), (double) k->collected_usec / 1e6);
        }
}

/* The agent gave this kind in this session: its values are not just 0s. */
static bool kind_collected(const Vm *vm, const char *kind) {
        for (size_t i = 0; i < vm->n_kind_status; i++)
                if (streq(vm->kind_status[i].kind, kind))
                        return vm->kind_status[i].collected_usec != 0;
        return false;
}

static void write_vcpus(PromText *t, const char *metric, const Vm *vm, bool online) {
        PromLabel l[2];
        if (!vm->has_guest_data || !kind_collected(vm, "vcpus"))
                return;
        vm_labels(vm, l);
        prom_sample_u64(t, metric, l, 2, online ? vm->vcpus_online : vm->vcpus_configured);
}

static void write_vcpus_configured(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        write_vcpus(t, metric, vm, false);
}

static void write_vcpus_online(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        write_vcpus(t, metric, vm, true);
}

static void write_load(PromText *t, const char *metric, const Vm *vm, int which) {
        PromLabel l[2];
        if (!vm->has_guest_data || !kind_collected(vm, "load"))
                return;
        vm_labels(vm, l);
        prom_sample_double(t, metric, l, 2, vm->load[which]);
}

static void write_load1(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        write_load(t, metric, vm, 0);
}

static void write_load5(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        write_load(t, metric, vm, 1);
}

static void write_load15(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        write_load(t, metric, vm, 2);
}

/* OS.ClockOffset, in seconds: guest less host. */
static void write_clock_offset(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        PromLabel l[2];
        if (!vm->has_guest_data || !kind_collected(vm, "clock"))
                return;
        vm_labels(vm, l);
        prom_sample_double(t, metric, l, 2, (double) vm->clock_offset_usec / 1e6);
}

/* The agent's counter key of a family, and what one unit of it is in the
 * family's base unit: sectors of 512 bytes, or milliseconds (ms true). */
typedef struct CounterFamily {
        const char *key;
        uint64_t bytes_per_unit; /* 0: as it is */
        bool ms;
} CounterFamily;

static void write_counter_value(PromText *t, const char *metric, const PromLabel *l, size_t n_labels,
                                const CounterFamily *c, uint64_t value) {
        if (value == UINT64_MAX) /* the guest did not send it */
                return;
        if (c->ms)
                prom_sample_thousandths(t, metric, l, n_labels, value);
        else if (c->bytes_per_unit > 0)
                prom_sample_u64(t, metric, l, n_labels,
                                value > UINT64_MAX / c->bytes_per_unit ? UINT64_MAX : value * c->bytes_per_unit);
        else
                prom_sample_u64(t, metric, l, n_labels, value);
}

/* One counter of each kept NIC or disk, its name as the label. The
 * counters, like every guest family, only while the guest data is
 * published (not after the agent went). */
static void write_set_counters(PromText *t, const char *metric, const Vm *vm, const VmCounterSet *sets,
                               const size_t *index, size_t n, const char *label, const CounterFamily *c) {
        for (size_t i = 0; i < n; i++) {
                const VmCounterSet *set = &sets[index[i]];
                const PromLabel l[] = { { "name", vm->name }, { "uuid", vm->uuid }, { label, set->name } };
                write_counter_value(t, metric, l, ELEMENTSOF(l), c, vm_counter(set, c->key));
        }
}

static void write_nic(PromText *t, const char *metric, const Vm *vm, const Kept *kept, const CounterFamily *c) {
        if (!vm->has_guest_data || !kind_collected(vm, "nic-counters"))
                return;
        write_set_counters(t, metric, vm, vm->nic_counters, kept->nic_index, kept->n_nics, "interface", c);
}

static void write_disk(PromText *t, const char *metric, const Vm *vm, const Kept *kept, const CounterFamily *c) {
        if (!vm->has_guest_data || !kind_collected(vm, "disk-counters"))
                return;
        write_set_counters(t, metric, vm, vm->disk_counters, kept->disk_index, kept->n_disks, "disk", c);
}

#define NIC_WRITER(fname, key)                                                                                         \
        static void fname(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {                           \
                static const CounterFamily c = { key, 0, false };                                                      \
                write_nic(t, metric, vm, kept, &c);                                                                    \
        }
NIC_WRITER(write_rx_bytes, "rx-bytes")
NIC_WRITER(write_rx_packets, "rx-packets")
NIC_WRITER(write_rx_errs, "rx-errs")
NIC_WRITER(write_rx_dropped, "rx-dropped")
NIC_WRITER(write_tx_bytes, "tx-bytes")
NIC_WRITER(write_tx_packets, "tx-packets")
NIC_WRITER(write_tx_errs, "tx-errs")
NIC_WRITER(write_tx_dropped, "tx-dropped")

#define DISK_WRITER(fname, key, bytes, ms)                                                                             \
        static void fname(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {                           \
                static const CounterFamily c = { key, bytes, ms };                                                     \
                write_disk(t, metric, vm, kept, &c);                                                                   \
        }
DISK_WRITER(write_disk_reads, "read-ios", 0, false)
DISK_WRITER(write_disk_writes, "write-ios", 0, false)
DISK_WRITER(write_disk_read_bytes, "read-sectors", 512, false)
DISK_WRITER(write_disk_written_bytes, "write-sectors", 512, false)
DISK_WRITER(write_disk_io_time, "total-ticks", 0, true)

/* The entries the guest listed less those with series: duplicates, past
 * the daemon's cap and ours. */
static void write_sets_dropped(PromText *t, const char *metric, const Vm *vm, const char *kind, size_t n_read,
                               uint32_t reported, size_t kept) {
        PromLabel l[2];
        if (!vm->has_guest_data || !kind_collected(vm, kind))
                return;
        size_t listed = reported > n_read ? reported : n_read;
        vm_labels(vm, l);
        prom_sample_u64(t, metric, l, 2, listed - kept);
}

static void write_nics_dropped(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        write_sets_dropped(t, metric, vm, "nic-counters", vm->n_nic_counters, vm->counter_nics_reported, kept->n_nics);
}

static void write_disks_dropped(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        write_sets_dropped(t, metric, vm, "disk-counters", vm->n_disk_counters, vm->counter_disks_reported,
                           kept->n_disks);
}

/* The CPUs summed, one series per mode the guest sent; the agent counts in
 * milliseconds. Only the known modes: the label's values stay a fixed few
 * whatever the daemon sends. */
static void write_cpu_seconds(PromText *t, const char *metric, const Vm *vm, const Kept *kept) {
        static const char *const modes[] = { "user", "nice",    "system", "idle",  "iowait",
                                             "irq",  "softirq", "steal",  "guest", "guestnice" };
        static const CounterFamily ms = { NULL, 0, true };
        if (!vm->has_guest_data || !kind_collected(vm, "cpu-counters"))
                return;
        for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
                const PromLabel l[] = { { "name", vm->name }, { "uuid", vm->uuid }, { "mode", modes[i] } };
                write_counter_value(t, metric, l, ELEMENTSOF(l), &ms, vm_counter(&vm->cpu_counters, modes[i]));
        }
}

static const struct {
        const char *name, *type, *help;
        VmFamilyWriter write;
} vm_families[] = {
        { "guestinfod_vm_running", "gauge", "Whether libvirt's state of the domain is running (1) or another one (0).",
          write_running },
        { "guestinfod_vm_agent_connected", "gauge", "Whether the domain's guest agent channel is connected.",
          write_agent_connected },
        { "guestinfod_vm_guest_data_available", "gauge",
          "Whether the guest agent has answered and its data (OS, users, filesystems) is published.",
          write_guest_data },
        { "guestinfod_vm_agent_last_transition_timestamp_seconds", "gauge",
          "When the agent connected state last changed, in seconds since the epoch.", write_transition },
        { "guestinfod_vm_agent_last_probe_timestamp_seconds", "gauge",
          "When guestinfod last checked or heard from the guest agent, in seconds since the epoch.", write_probe },
        { "guestinfod_vm_info", "gauge",
          "The guest's operating system, kernel, hostname and agent version as labels; always 1.", write_info },
        { "guestinfod_vm_users", "gauge", "How many users are logged in to the guest, as the agent reports.",
          write_users },
        { "guestinfod_vm_filesystems", "gauge", "How many mounted filesystems the guest reported.", write_filesystems },
        { "guestinfod_vm_filesystem_capacity_bytes", "gauge", "Total size of the guest's filesystem, in bytes.",
          write_capacity },
        { "guestinfod_vm_filesystem_used_bytes", "gauge", "Used bytes of the guest's filesystem.", write_used },
        { "guestinfod_vm_filesystems_dropped", "gauge",
          "Filesystems the guest reported that have no capacity and used series: without sizes, duplicates, "
          "past the 10 the bus carries or the cap of " STRINGIFY(METRICS_MAX_FILESYSTEMS) " per VM.",
          write_dropped },
        { "guestinfod_vm_guest_data_reason", "gauge",
          "Why the guest data is absent or not refreshed as a label (\"\" while collected as usual); always 1.",
          write_reason },
        { "guestinfod_vm_fs_frozen", "gauge",
          "Whether the guest's filesystems are frozen (1) or thawed (0); no sample while unknown.", write_fs_frozen },
        { "guestinfod_vm_guest_data_state", "gauge",
          "The state of each kind of guest data (fresh, failed, timed-out, ...) as a label; always 1.",
          write_kind_state },
        { "guestinfod_vm_guest_data_collected_timestamp_seconds", "gauge",
          "When the published value of each kind of guest data was collected, in seconds since the epoch.",
          write_kind_collected },
        { "guestinfod_vm_vcpus", "gauge", "How many vCPUs the guest sees; no sample until its agent said.",
          write_vcpus_configured },
        { "guestinfod_vm_vcpus_online", "gauge",
          "How many of the guest's vCPUs are online; no sample until its agent said.", write_vcpus_online },
        { "guestinfod_vm_load1", "gauge", "The guest's 1 minute load average (guest-get-load, qemu-ga 10.0).",
          write_load1 },
        { "guestinfod_vm_load5", "gauge", "The guest's 5 minute load average (guest-get-load, qemu-ga 10.0).",
          write_load5 },
        { "guestinfod_vm_load15", "gauge", "The guest's 15 minute load average (guest-get-load, qemu-ga 10.0).",
          write_load15 },
        { "guestinfod_vm_clock_offset_seconds", "gauge",
          "The guest's clock less the host's, in seconds (positive: the guest is ahead); no sample until its agent "
          "said.",
          write_clock_offset },
        { "guestinfod_vm_cpu_seconds_total", "counter",
          "Seconds the guest's CPUs spent in each mode, summed over its CPUs (guest-get-cpustats, qemu-ga 7.1).",
          write_cpu_seconds },
        { "guestinfod_vm_network_receive_bytes_total", "counter",
          "Bytes the guest's NIC received, as the guest counts.", write_rx_bytes },
        { "guestinfod_vm_network_receive_packets_total", "counter",
          "Packets the guest's NIC received, as the guest counts.", write_rx_packets },
        { "guestinfod_vm_network_receive_errors_total", "counter",
          "Receive errors of the guest's NIC, as the guest counts.", write_rx_errs },
        { "guestinfod_vm_network_receive_drop_total", "counter",
          "Received packets the guest's NIC dropped, as the guest counts.", write_rx_dropped },
        { "guestinfod_vm_network_transmit_bytes_total", "counter",
          "Bytes the guest's NIC transmitted, as the guest counts.", write_tx_bytes },
        { "guestinfod_vm_network_transmit_packets_total", "counter",
          "Packets the guest's NIC transmitted, as the guest counts.", write_tx_packets },
        { "guestinfod_vm_network_transmit_errors_total", "counter",
          "Transmit errors of the guest's NIC, as the guest counts.", write_tx_errs },
        { "guestinfod_vm_network_transmit_drop_total", "counter",
          "Packets to transmit the guest's NIC dropped, as the guest counts.", write_tx_dropped },
        { "guestinfod_vm_network_counters_dropped", "gauge",
          "NICs the guest reported counters for that have no series: duplicates, past the daemon's 256 or the cap "
          "of " STRINGIFY(METRICS_MAX_NICS) " per VM.",
          write_nics_dropped },
        { "guestinfod_vm_disk_reads_completed_total", "counter",
          "Reads the guest's disk completed, as the guest counts (guest-get-diskstats, qemu-ga 7.1).",
          write_disk_reads },
        { "guestinfod_vm_disk_writes_completed_total", "counter",
          "Writes the guest's disk completed, as the guest counts (guest-get-diskstats, qemu-ga 7.1).",
          write_disk_writes },
        { "guestinfod_vm_disk_read_bytes_total", "counter",
          "Bytes the guest read from its disk (sectors of 512 bytes, as the guest counts).", write_disk_read_bytes },
        { "guestinfod_vm_disk_written_bytes_total", "counter",
          "Bytes the guest wrote to its disk (sectors of 512 bytes, as the guest counts).", write_disk_written_bytes },
        { "guestinfod_vm_disk_io_time_seconds_total", "counter",
          "Seconds the guest's disk spent doing I/O, as the guest counts.", write_disk_io_time },
        { "guestinfod_vm_disk_counters_dropped", "gauge",
          "Disks the guest reported counters for that have no series: duplicates, past the daemon's 256 or the cap "
          "of " STRINGIFY(METRICS_MAX_DISKS) " per VM.",
          write_disks_dropped },
};

_Static_assert(ELEMENTSOF(vm_families) == METRICS_VM_FAMILIES, "METRICS_VM_FAMILIES is the table's size");

static int keep_all(const Vm *vm, Kept *kept) {
        if (keep_filesystems(vm, kept) < 0 || keep_kinds(vm, kept) < 0 ||
            keep_sets(vm->nic_counters, vm->n_nic_counters, METRICS_MAX_NICS, kept->nic_index, &kept->n_nics) < 0 ||
            keep_sets(vm->disk_counters, vm->n_disk_counters, METRICS_MAX_DISKS, kept->disk_index, &kept->n_disks) < 0)
                return -ENOMEM;
        return 0;
}

void metrics_write_daemon(PromText *t, const MetricsDaemon *d) {
        prom_family(t, "guestinfod_up", "gauge", "Whether guestinfod answered on the bus when this was written.");
        prom_sample_u64(t, "guestinfod_up", NULL, 0, d->up);
        if (!d->up)
                return;

        const PromLabel version[] = { { "version", d->version } };
        prom_family(t, "guestinfod_info", "gauge", "guestinfod's version as a label; always 1.");
        prom_sample_u64(t, "guestinfod_info", version, 1, 1);
        prom_family(t, "guestinfod_libvirt_connected", "gauge", "Whether guestinfod's connection to libvirt is up.");
        prom_sample_u64(t, "guestinfod_libvirt_connected", NULL, 0, d->libvirt_connected);
        prom_family(t, "guestinfod_domains", "gauge", "How many libvirt domains guestinfod publishes.");
        prom_sample_u64(t, "guestinfod_domains", NULL, 0, d->domain_count);
}

void metrics_write_family_head(PromText *t, size_t family) {
        prom_family(t, vm_families[family].name, vm_families[family].type, vm_families[family].help);
}

void metrics_write_vm(PromText *t, const Vm *vm, size_t offsets[METRICS_VM_FAMILIES + 1]) {
        Kept kept;

        if (keep_all(vm, &kept) < 0) {
                t->failed = true;
                return;
        }
        for (size_t f = 0; f < METRICS_VM_FAMILIES; f++) {
                offsets[f] = t->len;
                vm_families[f].write(t, vm_families[f].name, vm, &kept);
        }
        offsets[METRICS_VM_FAMILIES] = t->len;
}

void metrics_write(PromText *t, const MetricsDaemon *d, const Vm *vms, size_t n) {
        metrics_write_daemon(t, d);
        if (!d->up)
                return;

        Kept *kept = n > 0 ? calloc(n, sizeof *kept) : NULL;
        if (n > 0 && !kept) {
                t->failed = true;
                return;
        }
        for (size_t i = 0; i < n; i++)
                if (keep_all(&vms[i], &kept[i]) < 0) {
                        t->failed = true;
                        free(kept);
                        return;
                }
        for (size_t f = 0; f < ELEMENTSOF(vm_families); f++) {
                metrics_write_family_head(t, f);
                for (size_t i = 0; i < n; i++)
                        vm_families[f].write(t, vm_families[f].name, &vms[i], &kept[i]);
        }
        free(kept);
}
