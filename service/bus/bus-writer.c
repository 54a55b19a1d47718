#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "bus-frame.h"
#include "bus-wire.h"
#include "bus-writer.h"
#include "guestinfo-paths.h"
#include "log.h"

/* What the thread reads from the pipe at most at once. */
#define READ_CHUNK (256u * 1024)
/* The pipe's size asked for: fewer wake-ups of the thread for big replies. */
#define PIPE_SIZE (1024 * 1024)
/* A body nobody asked for this long is dropped: a fleet's tree may be
 * tens of MiB, kept for readers that stopped reading. */
#define KEPT_IDLE_USEC_DEFAULT (60ULL * 1000 * 1000)
/* The kinds of whole-fleet replies kept (ListDomains, ListSummaries,
 * GetManagedObjects). */
#define SLOTS_MAX 4

/* A reply's body, kept: filled by the thread as the reply passes (ready
 * then), read by the thread when later replies go out with it. */
typedef struct Kept {
        atomic_uint refs;
        atomic_bool ready;
        size_t len, filled;
        uint8_t *data;
} Kept;

/* A reply sd-bus is about to write, told by the main thread: the thread
 * keeps its body (capture) or puts kept's in its place. */
typedef struct Pending {
        struct Pending *next;
        char destination[256];
        uint32_t reply_serial;
        bool capture;
        Kept *kept;
} Pending;

typedef struct Slot {
        const char *key;
        char *signature; /* of the reply kept: one array */
        uint64_t generation;
        uint64_t used_usec; /* kept or sent last */
        Kept *kept;
} Slot;

struct BusWriter {
        sd_bus *bus;
        int pipe_fd; /* read end; sd-bus holds the write end */
        int socket_fd;
        pthread_t thread;
        bool thread_running;
        bool broken; /* the socket failed: what follows is read and dropped */

        pthread_mutex_t lock; /* pending */
        Pending *pending;
        atomic_uint n_pending;

        Slot slots[SLOTS_MAX];   /* the main thread's */
        sd_event_source *expiry; /* on the bus's loop, once a body is kept */

        atomic_uint_fast64_t messages, kept_sent, kept_bodies, kept_bytes, dropped;
        atomic_uint_fast64_t kept_max;
        atomic_uint_fast64_t in_flight; /* bodies to be sent in place, not yet written */
        uint64_t idle_usec;             /* a body unasked for this long is dropped */

        struct BusWriter *next; /* in writers */
};

/* Every writer, to be found from its bus by the reply code, which has the
 * bus only. */
static pthread_mutex_t writers_lock = PTHREAD_MUTEX_INITIALIZER;
static BusWriter *writers;

static BusWriter *writer_of(sd_bus *bus) {
        BusWriter *w;
        pthread_mutex_lock(&writers_lock);
        for (w = writers; w && w->bus != bus; w = w->next)
                ;
        pthread_mutex_unlock(&writers_lock);
        return w;
}

static Kept *kept_ref(Kept *k) {
        atomic_fetch_add(&k->refs, 1);
        return k;
}

static void kept_unref(BusWriter *w, Kept *k) {
        if (!k || atomic_fetch_sub(&k->refs, 1) != 1)
                return;
        if (k->data)
                atomic_fetch_sub(&w->kept_bytes, k->len);
        free(k->data);
        free(k);
}

/* ---- the thread ---- */

/* All of it onto the socket, waiting while it is full (sd-bus made it
 * non-blocking); after a failure nothing more is written. */
static void write_all(BusWriter *w, struct iovec *iov, int n) {
        while (!w->broken && n > 0) {
                ssize_t k = writev(w->socket_fd, iov, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN) {
                        struct pollfd p = { .fd = w->socket_fd, .events = POLLOUT };
                        (void) poll(&p, 1, -1);
                        continue;
                }
                if (k < 0) {
                        w->broken = true; /* sd-bus sees the end on its side and says so */
                        return;
                }
                for (; n > 0 && (size_t) k >= iov->iov_len; iov++, n--)
                        k -= (ssize_t) iov->iov_len;
                if (n > 0) {
                        iov->iov_base = (uint8_t *) iov->iov_base + k;
                        iov->iov_len -= (size_t) k;
                }
        }
}

static void write_bytes(BusWriter *w, const uint8_t *p, size_t n) {
        struct iovec iov = { .iov_base = (void *) p, .iov_len = n };
        if (n > 0)
                write_all(w, &iov, 1);
}

/* The entry for a method return, taken out of the list; NULL if none. */
static Pending *take_pending(BusWriter *w, const BusFrame *f) {
        Pending *found = NULL;
        if (!f->destination || f->reply_serial == 0)
                return NULL;
        pthread_mutex_lock(&w->lock);
        for (Pending **p = &w->pending; *p; p = &(*p)->next)
                if ((*p)->reply_serial == f->reply_serial && strcmp((*p)->destination, f->destination) == 0) {
                        found = *p;
                        *p = found->next;
                        atomic_fetch_sub(&w->n_pending, 1);
                        break;
                }
        pthread_mutex_unlock(&w->lock);
        return found;
}

typedef struct Reader {
        uint8_t *buf;
        size_t cap, start, end; /* unread: [start, end) */
        size_t out;             /* [out, start) is read and waits to be written */
} Reader;

/* Writes what waits, and makes room for at least want unread bytes; false
 * when the pipe ended. */
static bool read_more(BusWriter *w, Reader *r, size_t want) {
        write_bytes(w, r->buf + r->out, r->start - r->out);
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = r->out = 0;
        if (want < r->end + 1)
                want = r->end + 1; /* room to read into, whatever is unread */
        if (want > r->cap) {
                uint8_t *b = realloc(r->buf, want);
                if (!b)
                        return false;
                r->buf = b;
                r->cap = want;
        }
        for (;;) {
                ssize_t n = read(w->pipe_fd, r->buf + r->end, r->cap - r->end);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return false;
                r->end += (size_t) n;
                return true;
        }
}

/* The auth lines pass as they are, up to and with BEGIN. */
static bool pass_auth(BusWriter *w, Reader *r) {
        size_t line = 0; /* where the current line started */
        for (;;) {
                for (size_t i = r->start + line; i < r->end; i++) {
                        if (r->buf[i] != '\n')
                                continue;
                        bool begin = i - (r->start + line) == 6 && memcmp(r->buf + r->start + line, "BEGIN\r", 6) == 0;
                        line = i + 1 - r->start;
                        if (begin) {
                                r->start += line;
                                return true;
                        }
                }
                /* the partial line stays unread; what came before is written */
                size_t keep = line;
                r->start += keep;
                line = 0;
                if (!read_more(w, r, READ_CHUNK))
                        return false;
        }
}

/* Sends the header (its body length that of kept) and the kept body. */
static void send_with_kept(BusWriter *w, uint8_t *header, const BusFrame *f, const Kept *k) {
        bus_frame_set_body_len(header, f, (uint32_t) k->len);
        struct iovec iov[2] = { { header, f->header_len }, { k->data, k->len } };
        write_all(w, iov, 2);
}

/* One capture's body bytes as they pass. */
static void fill(Kept *k, const uint8_t *p, size_t n) {
        if (!k->data)
                return;
        memcpy(k->data + k->filled, p, n);
        k->filled += n;
        if (k->filled == k->len)
                atomic_store_explicit(&k->ready, true, memory_order_release);
}

static void *forward(void *userdata) {
        BusWriter *w = userdata;
        Reader r = { .buf = malloc(READ_CHUNK), .cap = READ_CHUNK };
        /* the current message's bytes still to come, dropped or passed (and
         * then into capture, if set) */
        size_t remaining = 0;
        bool drop = false;
        Kept *capture = NULL;

        if (!r.buf || !pass_auth(w, &r))
                goto done;
        for (;;) {
                size_t avail = r.end - r.start;
                if (remaining > 0) {
                        if (avail == 0) {
                                if (!read_more(w, &r, READ_CHUNK))
                                        break;
                                continue;
                        }
                        size_t n = avail < remaining ? avail : remaining;
                        if (drop) {
                                write_bytes(w, r.buf + r.out, r.start - r.out);
                                r.out = r.start + n;
                        } else if (capture)
                                fill(capture, r.buf + r.start, n);
                        r.start += n;
                        remaining -= n;
                        if (remaining == 0 && capture) {
                                kept_unref(w, capture);
                                capture = NULL;
                        }
                        continue;
                }

                if (avail < BUS_FRAME_FIXED) {
                        if (!read_more(w, &r, READ_CHUNK))
                                break;
                        continue;
                }
                BusFrame f;
                if (bus_frame_start(r.buf + r.start, &f) < 0) {
                        /* not a message: sd-bus wrote it, so pass the rest as it is */
                        log_error("The bus writer lost the messages' boundaries: copying the rest unread.");
                        remaining = SIZE_MAX;
                        continue;
                }
                Pending *p = NULL;
                if (f.type == BUS_FRAME_METHOD_RETURN && atomic_load(&w->n_pending) > 0 &&
                    f.fields_len <= BUS_FRAME_FIELDS_MAX) {
                        if (avail < f.header_len) {
                                if (!read_more(w, &r, f.header_len > READ_CHUNK ? f.header_len : READ_CHUNK))
                                        break;
                                continue; /* parsed again, whole */
                        }
                        if (bus_frame_fields(r.buf + r.start, &f) >= 0)
                                p = take_pending(w, &f);
                }
                atomic_fetch_add(&w->messages, 1);
                if (f.header_len + f.body_len > BUS_MESSAGE_SIZE_MAX) {
                        /* dbus-daemon would disconnect us for it: dropped, the
                         * caller's call times out (the tree's sizes said it fits) */
                        log_error("Dropped a message of %zu bytes, more than the bus takes.",
                                  f.header_len + (size_t) f.body_len);
                        atomic_fetch_add(&w->dropped, 1);
                        write_bytes(w, r.buf + r.out, r.start - r.out);
                        r.out = r.start;
                        remaining = f.header_len + f.body_len;
                        drop = true;
                        if (p) {
                                kept_unref(w, p->kept);
                                free(p);
                        }
                        continue;
                }
                if (p && !p->capture) {
                        write_bytes(w, r.buf + r.out, r.start - r.out);
                        send_with_kept(w, r.buf + r.start, &f, p->kept);
                        atomic_fetch_sub(&w->in_flight, p->kept->len);
                        r.start += f.header_len;
                        r.out = r.start;
                        remaining = f.body_len;
                        drop = true;
                } else if (p) {
                        /* the whole header is read: it passes, the body is kept as it does */
                        if (atomic_load(&w->kept_bytes) + f.body_len <= atomic_load(&w->kept_max)) {
                                p->kept->data = malloc(f.body_len ? f.body_len : 1);
                                p->kept->len = f.body_len;
                        }
                        if (p->kept->data) {
                                atomic_fetch_add(&w->kept_bodies, 1);
                                atomic_fetch_add(&w->kept_bytes, f.body_len);
                                capture = kept_ref(p->kept);
                                if (f.body_len == 0)
                                        fill(capture, NULL, 0);
                        }
                        r.start += f.header_len;
                        remaining = f.body_len;
                        drop = false;
                        if (remaining == 0 && capture) {
                                kept_unref(w, capture);
                                capture = NULL;
                        }
                } else {
                        remaining = f.header_len + f.body_len;
                        drop = false;
                }
                if (p) {
                        kept_unref(w, p->kept);
                        free(p);
                }
        }
done:
        if (capture)
                kept_unref(w, capture);
        free(r.buf);
        return NULL;
}

/* ---- the connection ---- */

int bus_writer_default_address(bool system, char **ret) {
        const char *e = getenv(system ? "DBUS_SYSTEM_BUS_ADDRESS" : "DBUS_SESSION_BUS_ADDRESS");
        if (e && *e) {
                *ret = strdup(e);
        } else if (system) {
                *ret = strdup("unix:path=/run/dbus/system_bus_socket");
        } else {
                const char *runtime = getenv("XDG_RUNTIME_DIR");
                if (!runtime || runtime[0] != '/')
                        return -ENOMEDIUM;
                if (asprintf(ret, "unix:path=%s/bus", runtime) < 0)
                        *ret = NULL;
        }
        return *ret ? 0 : -ENOMEM;
}

int bus_writer_socket_path(const char *address, char *path, size_t size) {
        for (const char *entry = address; entry && *entry;) {
                const char *end = strchrnul(entry, ';');
                if (strncmp(entry, "unix:", 5) == 0)
                        for (const char *kv = entry + 5; kv < end;) {
                                const char *kv_end = memchr(kv, ',', (size_t) (end - kv));
                                if (!kv_end)
                                        kv_end = end;
                                if (strncmp(kv, "path=", 5) == 0) {
                                        size_t n = 0;
                                        for (const char *c = kv + 5; c < kv_end; c++) {
                                                int v = *c;
                                                if (*c == '%') {
                                                        if (kv_end - c < 3 || guestinfo_hex_digit(c[1]) < 0 ||
                                                            guestinfo_hex_digit(c[2]) < 0)
                                                                return -EINVAL;
                                                        v = guestinfo_hex_digit(c[1]) << 4 | guestinfo_hex_digit(c[2]);
                                                        c += 2;
                                                }
                                                if (v == 0 || n + 1 >= size)
                                                        return -EINVAL;
                                                path[n++] = (char) v;
                                        }
                                        path[n] = 0;
                                        return n > 0 ? 0 : -EINVAL;
                                }
                                kv = kv_end + (kv_end < end);
                        }
                entry = *end ? end + 1 : NULL;
        }
        return -EPROTONOSUPPORT;
}

int bus_writer_connect(const char *address, bool trusted, const char *description, sd_bus **ret_bus, BusWriter **ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int sock = -1, pipe_fds[2] = { -1, -1 };
        sd_bus *bus = NULL;
        BusWriter *w = NULL;
        int r;

        r = bus_writer_socket_path(address, sa.sun_path, sizeof sa.sun_path);
        if (r < 0)
                return r;
        sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return -errno;
        if (connect(sock, (struct sockaddr *) &sa, sizeof sa) < 0 || pipe2(pipe_fds, O_CLOEXEC) < 0) {
                r = -errno;
                goto fail;
        }
        (void) fcntl(pipe_fds[1], F_SETPIPE_SZ, PIPE_SIZE);

        w = calloc(1, sizeof *w);
        if (!w) {
                r = -ENOMEM;
                goto fail;
        }
        pthread_mutex_init(&w->lock, NULL);
        atomic_init(&w->kept_max, BUS_WRITER_KEPT_DEFAULT);
        w->idle_usec = KEPT_IDLE_USEC_DEFAULT;
        w->pipe_fd = pipe_fds[0];
        pipe_fds[0] = -1;
        w->socket_fd = fcntl(sock, F_DUPFD_CLOEXEC, 3);
        if (w->socket_fd < 0) {
                r = -errno;
                goto fail;
        }

        r = sd_bus_new(&bus);
        if (r >= 0 && description)
                r = sd_bus_set_description(bus, description);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_set_trusted(bus, trusted);
        if (r >= 0)
                r = sd_bus_set_fd(bus, sock, pipe_fds[1]);
        if (r < 0)
                goto fail;
        sock = pipe_fds[1] = -1; /* sd-bus's now */
        w->bus = sd_bus_ref(bus);
        r = -pthread_create(&w->thread, NULL, forward, w);
        if (r < 0)
                goto fail;
        w->thread_running = true;
        r = sd_bus_start(bus);
        if (r < 0)
                goto fail;

        pthread_mutex_lock(&writers_lock);
        w->next = writers;
        writers = w;
        pthread_mutex_unlock(&writers_lock);
        *ret_bus = bus;
        *ret = w;
        return 0;
fail:
        if (sock >= 0)
                close(sock);
        if (pipe_fds[0] >= 0)
                close(pipe_fds[0]);
        if (pipe_fds[1] >= 0)
                close(pipe_fds[1]);
        if (bus)
                sd_bus_close(bus);
        sd_bus_unref(bus);
        bus_writer_free(w);
        return r;
}

void bus_writer_set_kept_max(BusWriter *w, uint64_t bytes) {
        atomic_store(&w->kept_max, bytes);
}

BusWriter *bus_writer_free(BusWriter *w) {
        if (!w)
                return NULL;
        pthread_mutex_lock(&writers_lock);
        for (BusWriter **p = &writers; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        break;
                }
        pthread_mutex_unlock(&writers_lock);
        /* closed, the pipe ends: the thread copies what is left and stops */
        if (w->bus)
                sd_bus_close(w->bus);
        if (w->thread_running)
                pthread_join(w->thread, NULL);
        while (w->pending) {
                Pending *p = w->pending;
                w->pending = p->next;
                kept_unref(w, p->kept);
                free(p);
        }
        sd_event_source_disable_unref(w->expiry);
        for (size_t i = 0; i < SLOTS_MAX; i++) {
                kept_unref(w, w->slots[i].kept);
                free(w->slots[i].signature);
        }
        if (w->pipe_fd >= 0)
                close(w->pipe_fd);
        if (w->socket_fd >= 0)
                close(w->socket_fd);
        sd_bus_unref(w->bus);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return NULL;
}

/* ---- the replies ---- */

static Slot *slot_of(BusWriter *w, const char *key, bool create) {
        for (size_t i = 0; i < SLOTS_MAX; i++)
                if (w->slots[i].key && strcmp(w->slots[i].key, key) == 0)
                        return &w->slots[i];
        for (size_t i = 0; create && i < SLOTS_MAX; i++)
                if (!w->slots[i].key) {
                        w->slots[i].key = key;
                        return &w->slots[i];
                }
        return NULL;
}

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static int on_expiry(sd_event_source *source, uint64_t usec, void *userdata) {
        BusWriter *w = userdata;
        uint64_t now = now_usec(), next = 0;
        for (size_t i = 0; i < SLOTS_MAX; i++) {
                Slot *s = &w->slots[i];
                if (!s->kept)
                        continue;
                if (now >= s->used_usec + w->idle_usec) {
                        kept_unref(w, s->kept);
                        s->kept = NULL;
                } else if (!next || s->used_usec + w->idle_usec < next)
                        next = s->used_usec + w->idle_usec;
        }
        if (next) {
                (void) sd_event_source_set_time(source, next);
                (void) sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
        }
        return 0;
}

void bus_writer_set_idle(BusWriter *w, uint64_t usec) {
        w->idle_usec = usec;
        if (w->expiry) {
                /* looked at again now, with the new time */
                (void) sd_event_source_set_time(w->expiry, now_usec());
                (void) sd_event_source_set_enabled(w->expiry, SD_EVENT_ONESHOT);
        }
}

/* A slot just used: its body stays another idle_usec. */
static void touch(BusWriter *w, Slot *s) {
        s->used_usec = now_usec();
        if (w->expiry) {
                int enabled = SD_EVENT_OFF;
                (void) sd_event_source_get_enabled(w->expiry, &enabled);
                if (enabled == SD_EVENT_OFF) {
                        (void) sd_event_source_set_time(w->expiry, s->used_usec + w->idle_usec);
                        (void) sd_event_source_set_enabled(w->expiry, SD_EVENT_ONESHOT);
                }
                return;
        }
        sd_event *e = sd_bus_get_event(w->bus);
        if (e)
                (void) sd_event_add_time(e, &w->expiry, CLOCK_MONOTONIC, s->used_usec + w->idle_usec, 0, on_expiry, w);
}

/* Tells the thread about the reply to call before sd-bus writes it. */
static int expect(BusWriter *w, sd_bus_message *call, bool capture, Kept *k, Pending **ret) {
        const char *sender = sd_bus_message_get_sender(call);
        uint64_t cookie;
        int r = sd_bus_message_get_cookie(call, &cookie);
        if (r < 0)
                return r;
        if (!sender || strlen(sender) >= sizeof((Pending){ 0 }.destination) || cookie > UINT32_MAX)
                return -EINVAL;
        Pending *p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        strcpy(p->destination, sender);
        p->reply_serial = (uint32_t) cookie;
        p->capture = capture;
        p->kept = kept_ref(k);
        pthread_mutex_lock(&w->lock);
        p->next = w->pending;
        w->pending = p;
        atomic_fetch_add(&w->n_pending, 1);
        pthread_mutex_unlock(&w->lock);
        *ret = p;
        return 0;
}

/* Takes p back if the thread has not seen it (sending failed): true then. */
static bool unexpect(BusWriter *w, Pending *p) {
        bool found = false;
        pthread_mutex_lock(&w->lock);
        for (Pending **q = &w->pending; *q; q = &(*q)->next)
                if (*q == p) {
                        *q = p->next;
                        atomic_fetch_sub(&w->n_pending, 1);
                        found = true;
                        break;
                }
        pthread_mutex_unlock(&w->lock);
        if (found) {
                kept_unref(w, p->kept);
                free(p);
        }
        return found;
}

/* Replies to call with an empty array of signature, which the thread
 * replaces by k's body. */
static int send_in_place(BusWriter *w, sd_bus_message *call, const char *signature, Kept *k) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Pending *p;
        int r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', signature + 1);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        r = expect(w, call, false, k, &p);
        if (r < 0)
                return r;
        atomic_fetch_add(&w->in_flight, k->len);
        r = sd_bus_send(NULL, reply, NULL);
        if (r < 0 && unexpect(w, p))
                atomic_fetch_sub(&w->in_flight, k->len);
        return r;
}

int bus_writer_reply_kept(sd_bus_message *call, const char *key, uint64_t generation) {
        BusWriter *w = writer_of(sd_bus_message_get_bus(call));
        int r;

        if (!w)
                return 0;
        Slot *s = slot_of(w, key, false);
        if (!s || !s->kept || s->generation != generation ||
            !atomic_load_explicit(&s->kept->ready, memory_order_acquire))
                return 0;
        r = send_in_place(w, call, s->signature, s->kept);
        if (r < 0)
                return r;
        atomic_fetch_add(&w->kept_sent, 1);
        touch(w, s);
        return 1;
}

int bus_writer_reply_body(sd_bus_message *call, const char *key, uint64_t generation, const char *signature,
                          uint8_t *body, size_t len) {
        BusWriter *w = writer_of(sd_bus_message_get_bus(call));
        int r;

        if (!w || signature[0] != 'a') {
                free(body);
                return -EOPNOTSUPP;
        }
        Kept *k = calloc(1, sizeof *k);
        char *copy = strdup(signature);
        if (!k || !copy) {
                free(k);
                free(copy);
                free(body);
                return -ENOMEM;
        }
        atomic_init(&k->refs, 1);
        k->data = body;
        k->len = k->filled = len;
        atomic_init(&k->ready, true);
        atomic_fetch_add(&w->kept_bytes, len);
        r = send_in_place(w, call, copy, k);
        /* kept for the next callers, if it fits what may be kept */
        Slot *s = key && r >= 0 && atomic_load(&w->kept_bytes) <= atomic_load(&w->kept_max) ? slot_of(w, key, true)
                                                                                            : NULL;
        if (s) {
                kept_unref(w, s->kept);
                free(s->signature);
                s->kept = k;
                s->signature = copy;
                s->generation = generation;
                atomic_fetch_add(&w->kept_bodies, 1);
                touch(w, s);
        } else {
                kept_unref(w, k);
                free(copy);
        }
        return r < 0 ? r : 1;
}

int bus_writer_send_keeping(sd_bus_message *call, sd_bus_message *reply, const char *key, uint64_t generation) {
        BusWriter *w = writer_of(sd_bus_message_get_bus(call));
        const char *signature = sd_bus_message_get_signature(reply, true);
        Pending *p = NULL;
        int r;

        if (!w || !signature || signature[0] != 'a' || atomic_load(&w->kept_max) == 0)
                return sd_bus_send(NULL, reply, NULL);
        Slot *s = slot_of(w, key, true);
        Kept *k = s ? calloc(1, sizeof *k) : NULL;
        char *copy = k ? strdup(signature) : NULL;
        if (copy) {
                atomic_init(&k->refs, 1);
                kept_unref(w, s->kept);
                free(s->signature);
                s->kept = k;
                s->signature = copy;
                s->generation = generation;
                if (expect(w, call, true, k, &p) < 0)
                        p = NULL;
                touch(w, s);
        } else
                free(k);
        r = sd_bus_send(NULL, reply, NULL);
        if (r < 0 && p)
                unexpect(w, p);
        return r;
}

int bus_writer_with_kept(sd_bus *bus, const char *key, uint64_t generation,
                         void (*fn)(const uint8_t *body, size_t len, void *userdata), void *userdata) {
        BusWriter *w = writer_of(bus);
        if (!w)
                return 0;
        Slot *s = slot_of(w, key, false);
        if (!s || !s->kept || s->generation != generation ||
            !atomic_load_explicit(&s->kept->ready, memory_order_acquire))
                return 0;
        /* the thread may still send it in place: it holds its own reference */
        Kept *k = TAKE_PTR(s->kept);
        if (k->data)
                fn(k->data, k->len, userdata);
        kept_unref(w, k);
        return 1;
}

uint64_t bus_writer_backlog(sd_bus *bus) {
        BusWriter *w = writer_of(bus);
        return w ? atomic_load(&w->in_flight) : 0;
}

bool bus_writer_attached(sd_bus *bus) {
        return writer_of(bus) != NULL;
}

bool bus_writer_stats(sd_bus *bus, BusWriterStats *ret) {
        BusWriter *w = writer_of(bus);
        if (!w)
                return false;
        *ret = (BusWriterStats){
                .messages = atomic_load(&w->messages),
                .kept_sent = atomic_load(&w->kept_sent),
                .kept_bodies = atomic_load(&w->kept_bodies),
                .kept_bytes = atomic_load(&w->kept_bytes),
                .dropped = atomic_load(&w->dropped),
        };
        return true;
}
