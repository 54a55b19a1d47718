#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>

#include "agent-info.h"
#include "bus-manager.h"
#include "bus-paths.h"
#include "bus-writer.h"
#include "domain-devices.h"
#include "fake-daemon.h"
#include "guest-disks.h"
#include "guest-info.h"
#include "guest-kinds.h"
#include "kind-status.h"

/* ---- the model ---- */

static bool ends_with(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Not typed parameters: the agent's guest-info reply, what
 * guest-fsfreeze-status said ("thawed" or "frozen"), guest-get-vcpus'
 * "configured,online,offlinable", guest-get-load's "1,5,15" and
 * virDomainGetTime's clock offset in µs. */
#define AGENT_KEY "guest-info="
#define FSFREEZE_KEY "fsfreeze="
#define VCPUS_KEY "vcpus="
#define LOAD_KEY "load="
#define CLOCK_KEY "clock="

static bool starts_with(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool raw_key(const char *kv) {
        return starts_with(kv, AGENT_KEY) || starts_with(kv, FSFREEZE_KEY) || starts_with(kv, VCPUS_KEY) ||
               starts_with(kv, LOAD_KEY) || starts_with(kv, CLOCK_KEY);
}

/* The values of the keys that libvirt has no typed parameters for. */
static void take_raw(GuestInfo *g, const char *kv) {
        if (starts_with(kv, VCPUS_KEY))
                (void) sscanf(kv + strlen(VCPUS_KEY), "%u,%u,%u", &g->vcpus_configured, &g->vcpus_online,
                              &g->vcpus_offlinable);
        else if (starts_with(kv, LOAD_KEY))
                (void) sscanf(kv + strlen(LOAD_KEY), "%lf,%lf,%lf", &g->load[0], &g->load[1], &g->load[2]);
        else if (starts_with(kv, CLOCK_KEY))
                g->clock_offset_usec = strtoll(kv + strlen(CLOCK_KEY), NULL, 10);
}

static int typed_params(const char *const *kv, virTypedParameterPtr *params, int *n) {
        int max = 0;

        for (; *kv; kv++) {
                if (raw_key(*kv))
                        continue;
                const char *eq = strchr(*kv, '=');
                char key[VIR_TYPED_PARAM_FIELD_LENGTH];
                int r;

                if (!eq || (size_t) (eq - *kv) >= sizeof key)
                        return -EINVAL;
                snprintf(key, sizeof key, "%.*s", (int) (eq - *kv), *kv);
                if (ends_with(key, "count") || ends_with(key, "prefix"))
                        r = virTypedParamsAddUInt(params, n, &max, key, (unsigned) strtoul(eq + 1, NULL, 10));
                else if (strcmp(key, "timezone.offset") == 0)
                        r = virTypedParamsAddInt(params, n, &max, key, (int) strtol(eq + 1, NULL, 10));
                else if (ends_with(key, "partition"))
                        r = virTypedParamsAddBoolean(params, n, &max, key, strcmp(eq + 1, "yes") == 0);
                else
                        r = virTypedParamsAddString(params, n, &max, key, eq + 1);
                if (r < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int parse_devices(const FakeVm *vm, DomainDevices **ret) {
        char *xml = NULL;
        int r;

        if (asprintf(&xml, "<domain type='kvm'><name>%s</name><devices>%s</devices></domain>", vm->name,
                     vm->devices ? vm->devices : "") < 0)
                return -ENOMEM;
        r = domain_devices_parse_xml(xml, strlen(xml), ret);
        free(xml);
        return r;
}

/* Each asked kind's state after the collection, as the daemon's scheduler
 * sets it: fresh now, or failed keeping no value. */
static int set_status(Domain *d, unsigned requested, unsigned failed) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t now = (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;

        for (int i = 0; i < GUEST_KIND_COUNT; i++) {
                unsigned kind = guest_kinds[i].kind;
                int r = 0;
                if (!(requested & kind))
                        continue;
                if (failed & kind)
                        r = kind_status_set(&d->status[i], KIND_STATE_FAILED, 0, "the fake collection failed");
                else
                        r = kind_status_set(&d->status[i], KIND_STATE_FRESH, now, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* One collection's result into d, as collect_apply_result() takes it. */
static int collect(Domain *d, const FakeVm *vm) {
        unsigned kinds = GUEST_KIND_ALL & ~(unsigned) (GUEST_KIND_AGENT | GUEST_KIND_FSFREEZE);
        GuestData data = { .kinds_requested = kinds };
        unsigned failed = vm->failed_kinds & kinds;
        GuestFreeze freeze = GUEST_FREEZE_UNKNOWN;
        virTypedParameterPtr params = NULL;
        int n = 0, r;

        for (const char *const *kv = vm->guest; *kv; kv++)
                if (strncmp(*kv, AGENT_KEY, strlen(AGENT_KEY)) == 0 && !data.agent) {
                        const char *json = *kv + strlen(AGENT_KEY);
                        data.kinds_requested |= GUEST_KIND_AGENT;
                        r = agent_info_parse_json(json, strlen(json), &data.agent);
                        if (r < 0)
                                return r;
                } else if (strncmp(*kv, FSFREEZE_KEY, strlen(FSFREEZE_KEY)) == 0) {
                        data.kinds_requested |= GUEST_KIND_FSFREEZE;
                        freeze = strcmp(*kv + strlen(FSFREEZE_KEY), "frozen") == 0 ? GUEST_FREEZE_FROZEN
                                                                                   : GUEST_FREEZE_THAWED;
                }
        r = typed_params(vm->guest, &params, &n);
        if (r >= 0)
                r = guest_info_from_typed_params(params, n, kinds & ~failed, &data.guest);
        virTypedParamsFree(params, n);
        if (r >= 0)
                r = parse_devices(vm, &data.devices);
        /* the disks' bus types and links to the domain's, as the daemon sets them */
        if (r >= 0 && data.guest && data.devices)
                guest_info_fill_bus_types(data.guest, data.devices);
        if (r >= 0 && data.guest && data.guest->disks)
                r = guest_disks_link_domain(data.guest->disks, data.devices);
        for (const char *const *kv = vm->guest; r >= 0 && data.guest && *kv; kv++)
                take_raw(data.guest, *kv);
        if (r >= 0 && data.guest && freeze != GUEST_FREEZE_UNKNOWN) {
                data.guest->fsfreeze = freeze;
                data.guest->kinds |= GUEST_KIND_FSFREEZE;
        }
        if (r >= 0)
                r = set_status(d, data.kinds_requested, failed);
        if (r >= 0) {
                (void) domain_take_guest_data(d, &data);
                d->guest_exported = d->guest != NULL;
                (void) domain_update_reason(d);
        }
        guest_info_free(data.guest);
        agent_info_free(data.agent);
        domain_devices_free(data.devices);
        return r;
}

static int add_vm(Manager *m, const FakeVm *vm) {
        DomainInfo info = {
                .state = vm->state,
                .persistent = true,
                .id = vm->state == DOMAIN_STATE_SHUTOFF ? -1 : 1,
                .agent = vm->agent_connected ? AGENT_STATE_CONNECTED : AGENT_STATE_NO_CHANNEL,
                .agent_probe_usec = 1700000000000000ULL,
        };
        Domain *d = NULL;
        int r;

        snprintf(info.uuid, sizeof info.uuid, "%s", vm->uuid);
        info.name = strdup(vm->name);
        if (!info.name)
                return -ENOMEM;
        r = parse_devices(vm, &info.devices);
        if (r >= 0)
                r = domain_new(&info, &d);
        domain_info_done(&info);
        if (r >= 0)
                r = hashmap_put(m->domains, d->uuid, d);
        if (r < 0) {
                domain_free(d);
                return r;
        }
        return vm->guest ? collect(d, vm) : 0;
}

int fake_model_new(const FakeVm *vms, size_t n, Manager **ret) {
        Manager *m = NULL;
        int r;

        /* libvirt's typed parameters need it, as the daemon has it (virt-loop.c) */
        if (virInitialize() < 0)
                return -EIO;
        r = manager_new(NULL, "test:///fake", &m);

        for (size_t i = 0; r >= 0 && i < n; i++)
                r = add_vm(m, &vms[i]);
        if (r < 0) {
                manager_free(m);
                return r;
        }
        m->connected = true;
        m->synced = true;
        *ret = m;
        return 0;
}

/* ---- the bus side ---- */

static int old_property_get_connected(sd_bus *bus, const char *path, const char *interface, const char *property,
                                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "b", m->connected);
}

static const sd_bus_vtable old_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Connected", "b", old_property_get_connected, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

/* Counts the calls, and answers the refused ones as guestinfod answers a
 * reply over the bus's limit. */
static int count_calls(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        FakeDaemon *f = userdata;
        unsigned refuse = atomic_load(&f->refuse), bit = 0;

        if (sd_bus_message_is_method_call(message, MANAGER_INTERFACE, "ListSummaries")) {
                atomic_fetch_add(&f->list_summaries_calls, 1);
                bit = FAKE_REFUSE_LIST_SUMMARIES;
        } else if (sd_bus_message_is_method_call(message, MANAGER_INTERFACE, "ListDomains")) {
                atomic_fetch_add(&f->list_domains_calls, 1);
                bit = FAKE_REFUSE_LIST_DOMAINS;
        } else if (sd_bus_message_is_method_call(message, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")) {
                atomic_fetch_add(&f->get_managed_objects_calls, 1);
                bit = FAKE_REFUSE_GET_MANAGED_OBJECTS;
        } else if (sd_bus_message_is_method_call(message, DOMAIN_INTERFACE, METHOD_GET_COUNTERS)) {
                atomic_fetch_add(&f->get_counters_calls, 1);
        } else if (sd_bus_message_is_method_call(message, "org.freedesktop.DBus.Properties", "GetAll")) {
                const char *interface = NULL;
                atomic_fetch_add(&f->get_all_calls, 1);
                if ((refuse & FAKE_CHANGE_BEFORE_GET_ALL) && sd_bus_message_read(message, "s", &interface) > 0 &&
                    strcmp(interface, DOMAIN_INTERFACE) == 0)
                        (void) sd_bus_emit_properties_changed(sd_bus_message_get_bus(message),
                                                              sd_bus_message_get_path(message), DOMAIN_INTERFACE,
                                                              "State", NULL);
                (void) sd_bus_message_rewind(message, true);
        }
        if (!(refuse & bit))
                return 0;
        (void) sd_bus_reply_method_errorf(message, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                          "%s() of 99999 domains would be more than the 32 MiB a bus message may "
                                          "have: read the fleet with Manager.ListSummaries() or ListDomains() and "
                                          "each domain with Properties.GetAll().",
                                          sd_bus_message_get_member(message));
        return 1;
}

/* fake_daemon_call()'s request, in the serving thread. */
static int on_call(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        FakeDaemon *f = userdata;
        uint64_t n;

        (void) !read(fd, &n, sizeof n);
        pthread_mutex_lock(&f->call_lock);
        if (f->call_pending) {
                f->call_result = f->call_fn(f, f->call_userdata);
                /* whatever fn changed: what was kept of it is no more,
                 * unless fn tells the model itself */
                if (f->call_touches) {
                        Domain *d;
                        HASHMAP_FOREACH (d, f->model->domains, i)
                                domain_touch(d, true);
                        f->model->generation++;
                        f->model->summaries_generation++;
                }
                f->call_pending = false;
                pthread_cond_broadcast(&f->call_done);
        }
        pthread_mutex_unlock(&f->call_lock);
        return 0;
}

static int call(FakeDaemon *f, bool touches, int (*fn)(FakeDaemon *f, void *userdata), void *userdata) {
        uint64_t one = 1;
        int r;

        if (!f->running)
                return -ESRCH;
        pthread_mutex_lock(&f->call_lock);
        f->call_touches = touches;
        f->call_fn = fn;
        f->call_userdata = userdata;
        f->call_pending = true;
        if (write(f->call_fd, &one, sizeof one) != sizeof one) {
                f->call_pending = false;
                pthread_mutex_unlock(&f->call_lock);
                return -errno;
        }
        while (f->call_pending)
                pthread_cond_wait(&f->call_done, &f->call_lock);
        r = f->call_result;
        pthread_mutex_unlock(&f->call_lock);
        return r;
}

int fake_daemon_call(FakeDaemon *f, int (*fn)(FakeDaemon *f, void *userdata), void *userdata) {
        return call(f, true, fn, userdata);
}

int fake_daemon_call_told(FakeDaemon *f, int (*fn)(FakeDaemon *f, void *userdata), void *userdata) {
        return call(f, false, fn, userdata);
}

/* An event loop as the daemon's: the whole-tree calls take turns from it. */
static void *serve(void *userdata) {
        FakeDaemon *f = userdata;
        while (!atomic_load(&f->stop))
                if (sd_event_run(f->event, 50 * 1000) < 0)
                        break;
        return NULL;
}

int fake_daemon_start(FakeDaemon *f, Manager *m, bool old) {
        return fake_daemon_start_full(f, m, old, false);
}

int fake_daemon_start_full(FakeDaemon *f, Manager *m, bool old, bool sd_bus_tree) {
        int r;

        *f = (FakeDaemon){ .call_fd = -1, .model = m };
        pthread_mutex_init(&f->call_lock, NULL);
        pthread_cond_init(&f->call_done, NULL);
        /* Through a writer, as the daemon connects (service/main.c). */
        _cleanup_(freep) char *address = NULL;
        r = bus_writer_default_address(false, &address);
        if (r >= 0)
                r = bus_writer_connect(address, true, "fake-daemon", &f->bus, &f->writer);
        if (r >= 0)
                r = sd_event_new(&f->event);
        if (r >= 0) {
                f->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                r = f->call_fd < 0 ? -errno : 0;
        }
        if (r >= 0)
                r = sd_event_add_io(f->event, &f->call_source, f->call_fd, EPOLLIN, on_call, f);
        if (r >= 0)
                r = sd_bus_attach_event(f->bus, f->event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0 && old) {
                r = sd_bus_add_object_vtable(f->bus, NULL, MANAGER_PATH, MANAGER_INTERFACE, old_manager_vtable, m);
                if (r >= 0)
                        r = sd_bus_add_object_manager(f->bus, NULL, MANAGER_PATH);
        } else if (r >= 0)
                r = bus_manager_register(f->bus, m, NULL);
        if (r >= 0)
                r = bus_domain_new(f->bus, m, false, &f->domains);
        if (r >= 0 && !old && !sd_bus_tree) {
                r = bus_fairness_new(f->bus, &f->fairness);
                if (r >= 0)
                        r = bus_tree_new(f->bus, m, f->domains, f->fairness, &f->tree);
        }
        /* Last: sd-bus runs the newest filter first, so this one sees every call. */
        if (r >= 0)
                r = sd_bus_add_filter(f->bus, NULL, count_calls, f);
        if (r >= 0)
                r = sd_bus_request_name(f->bus, BUS_NAME, 0);
        if (r >= 0)
                r = -pthread_create(&f->thread, NULL, serve, f);
        if (r < 0) {
                fake_daemon_stop(f);
                return r;
        }
        f->running = true;
        return 0;
}

void fake_daemon_stop(FakeDaemon *f) {
        if (f->running) {
                atomic_store(&f->stop, true);
                pthread_join(f->thread, NULL);
                f->running = false;
        }
        if (f->bus)
                (void) sd_bus_release_name(f->bus, BUS_NAME);
        f->tree = bus_tree_free(f->tree);
        f->fairness = bus_fairness_free(f->fairness);
        f->domains = bus_domain_free(f->domains);
        if (f->bus)
                (void) sd_bus_detach_event(f->bus);
        f->bus = sd_bus_flush_close_unref(f->bus);
        f->writer = bus_writer_free(f->writer);
        f->call_source = sd_event_source_unref(f->call_source);
        f->event = sd_event_unref(f->event);
        if (f->call_fd > 0) /* 0: a FakeDaemon never started */
                close(f->call_fd);
        f->call_fd = -1;
}
