/* The floor of a fleet read: a bus peer that answers ListSummaries and
 * GetManagedObjects with the very bytes guestinfod replied, captured once
 * at start, and marshals nothing per call.
 *
 *   bench-floor NAME     (DBUS_SESSION_BUS_ADDRESS: unix:path=...)
 *
 * It asks guestinfod (org.guestinfod.GuestInfo1) both calls once, keeps the
 * two reply bodies and their signatures, prints one line a call,
 * "captured MEMBER BYTES SIGNATURE" or "refused MEMBER ERROR" (a reply too
 * big for the bus: that call is then answered with the same error), then
 * "ready", and takes NAME on the bus. Every later call of either method gets a reply whose header is
 * written by hand (a few dozen bytes) followed by the stored body, one
 * writev: what is left is the bus, the kernel and the reader, the same as
 * for guestinfod's reply of the same bytes. It speaks the wire protocol on
 * the socket itself: sd-bus has no way to send a body it did not marshal.
 * Little-endian only (what sd-bus writes on x86 and arm64). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define GUESTINFOD "org.guestinfod.GuestInfo1"
#define GUESTINFOD_PATH "/org/guestinfod/GuestInfo1"

enum { MSG_CALL = 1, MSG_RETURN = 2, MSG_ERROR = 3, MSG_SIGNAL = 4 };
enum { F_PATH = 1, F_IFACE = 2, F_MEMBER = 3, F_ERROR = 4, F_REPLY_SERIAL = 5, F_DEST = 6, F_SENDER = 7, F_SIG = 8 };
#define FLAG_NO_REPLY 0x1

typedef struct Buf {
        uint8_t *p;
        size_t len, cap;
} Buf;

static void die(const char *what) {
        fprintf(stderr, "bench-floor: %s: %s\n", what, strerror(errno));
        exit(1);
}

static void buf_reserve(Buf *b, size_t n) {
        if (b->len + n <= b->cap)
                return;
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
                cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p)
                die("out of memory");
        b->p = p;
        b->cap = cap;
}

static void buf_put(Buf *b, const void *d, size_t n) {
        buf_reserve(b, n);
        memcpy(b->p + b->len, d, n);
        b->len += n;
}

static void buf_align(Buf *b, size_t a) {
        static const uint8_t zero[8];
        buf_put(b, zero, (a - b->len % a) % a);
}

static void buf_u32(Buf *b, uint32_t v) {
        buf_align(b, 4);
        buf_put(b, &v, 4);
}

static void buf_str(Buf *b, const char *s) {
        buf_u32(b, (uint32_t) strlen(s));
        buf_put(b, s, strlen(s) + 1);
}

static void buf_sig(Buf *b, const char *s) {
        uint8_t n = (uint8_t) strlen(s);
        buf_put(b, &n, 1);
        buf_put(b, s, (size_t) n + 1);
}

/* One header field: (yv) aligned to 8. */
static void field_str(Buf *b, uint8_t code, char type, const char *v) {
        buf_align(b, 8);
        uint8_t hdr[4] = { code, 1, (uint8_t) type, 0 };
        buf_put(b, hdr, 4);
        if (type == 'g')
                buf_sig(b, v);
        else
                buf_str(b, v);
}

static void field_u32(Buf *b, uint8_t code, uint32_t v) {
        buf_align(b, 8);
        uint8_t hdr[4] = { code, 1, 'u', 0 };
        buf_put(b, hdr, 4);
        buf_u32(b, v);
}

static int sock = -1;
static uint32_t next_serial = 1;

static void write_all(struct iovec *iov, int n) {
        while (n > 0) {
                ssize_t w = writev(sock, iov, n);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        die("write");
                }
                while (n > 0 && (size_t) w >= iov->iov_len) {
                        w -= (ssize_t) iov->iov_len;
                        iov++;
                        n--;
                }
                if (n > 0) {
                        iov->iov_base = (uint8_t *) iov->iov_base + w;
                        iov->iov_len -= (size_t) w;
                }
        }
}

/* Starts a header in b; fields follow; header_end() closes it. */
static void header_begin(Buf *b, uint8_t type, uint8_t flags) {
        b->len = 0;
        uint8_t fixed[4] = { 'l', type, flags, 1 };
        buf_put(b, fixed, 4);
        buf_u32(b, 0); /* body length, set by header_end */
        buf_u32(b, next_serial++);
        buf_u32(b, 0); /* fields' length */
}

static void header_end(Buf *b, uint32_t body_len) {
        uint32_t fields = (uint32_t) (b->len - 16);
        memcpy(b->p + 4, &body_len, 4);
        memcpy(b->p + 12, &fields, 4);
        buf_align(b, 8);
}

static void send_call(const char *dest, const char *path, const char *iface, const char *member, const char *sig,
                      const Buf *body) {
        Buf h = { 0 };
        header_begin(&h, MSG_CALL, 0);
        field_str(&h, F_PATH, 'o', path);
        field_str(&h, F_IFACE, 's', iface);
        field_str(&h, F_MEMBER, 's', member);
        field_str(&h, F_DEST, 's', dest);
        if (sig)
                field_str(&h, F_SIG, 'g', sig);
        header_end(&h, body ? (uint32_t) body->len : 0);
        struct iovec iov[2] = { { h.p, h.len }, { body ? body->p : NULL, body ? body->len : 0 } };
        write_all(iov, body ? 2 : 1);
        free(h.p);
}

/* --- reading --- */

static Buf in;       /* bytes read, not yet taken */
static size_t taken; /* start of the next message in in */

static void fill(size_t need) {
        if (taken > 0 && taken == in.len)
                in.len = taken = 0;
        while (in.len - taken < need) {
                if (taken > 0) {
                        memmove(in.p, in.p + taken, in.len - taken);
                        in.len -= taken;
                        taken = 0;
                }
                buf_reserve(&in, need > 65536 ? need : 65536);
                ssize_t r = read(sock, in.p + in.len, in.cap - in.len);
                if (r == 0) {
                        fprintf(stderr, "bench-floor: the bus closed the connection\n");
                        exit(0);
                }
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        die("read");
                }
                in.len += (size_t) r;
        }
}

typedef struct Msg {
        uint8_t type, flags;
        uint32_t serial, reply_serial;
        char member[256], sender[256], sig[256], error[256];
        const uint8_t *body; /* valid until the next read */
        uint32_t body_len;
} Msg;

static uint32_t u32_at(const uint8_t *p) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
}

static void copy_bounded(char *dst, size_t cap, const uint8_t *src, size_t n) {
        if (n >= cap)
                n = cap - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
}

static void read_msg(Msg *m) {
        fill(16);
        const uint8_t *h = in.p + taken;
        if (h[0] != 'l') {
                fprintf(stderr, "bench-floor: a big-endian message; not supported\n");
                exit(1);
        }
        uint32_t fields = u32_at(h + 12), body_len = u32_at(h + 4);
        size_t hdr_len = (16 + (size_t) fields + 7) & ~(size_t) 7;
        fill(hdr_len + body_len);
        h = in.p + taken;
        memset(m, 0, sizeof *m);
        m->type = h[1];
        m->flags = h[2];
        m->serial = u32_at(h + 8);
        for (size_t o = 16; o + 4 <= 16 + (size_t) fields;) {
                o = (o + 7) & ~(size_t) 7;
                if (o + 4 > 16 + (size_t) fields)
                        break;
                uint8_t code = h[o], siglen = h[o + 1];
                char type = (char) h[o + 2];
                o += 2 + siglen + 1;
                if (type == 's' || type == 'o') {
                        o = (o + 3) & ~(size_t) 3;
                        uint32_t n = u32_at(h + o);
                        if (code == F_MEMBER)
                                copy_bounded(m->member, sizeof m->member, h + o + 4, n);
                        else if (code == F_SENDER)
                                copy_bounded(m->sender, sizeof m->sender, h + o + 4, n);
                        else if (code == F_ERROR)
                                copy_bounded(m->error, sizeof m->error, h + o + 4, n);
                        o += 4 + n + 1;
                } else if (type == 'g') {
                        uint8_t n = h[o];
                        if (code == F_SIG)
                                copy_bounded(m->sig, sizeof m->sig, h + o + 1, n);
                        o += 1 + n + 1;
                } else if (type == 'u') {
                        o = (o + 3) & ~(size_t) 3;
                        if (code == F_REPLY_SERIAL)
                                m->reply_serial = u32_at(h + o);
                        o += 4;
                } else
                        break; /* not a type dbus-daemon sends in headers */
        }
        m->body = h + hdr_len;
        m->body_len = body_len;
        taken += hdr_len + body_len;
}

/* Waits for the reply to serial; other messages are dropped. */
static void wait_reply(uint32_t serial, Msg *m) {
        for (;;) {
                read_msg(m);
                if ((m->type == MSG_RETURN || m->type == MSG_ERROR) && m->reply_serial == serial)
                        return;
        }
}

typedef struct Captured {
        const char *member;
        char sig[256];
        char error[256]; /* guestinfod refused the call: answered with this */
        uint8_t *body;
        uint32_t body_len;
} Captured;

static void capture(Captured *c, const char *iface) {
        uint32_t serial = next_serial;
        Msg m;
        send_call(GUESTINFOD, GUESTINFOD_PATH, iface, c->member, NULL, NULL);
        wait_reply(serial, &m);
        if (m.type != MSG_RETURN) {
                snprintf(c->error, sizeof c->error, "%s", m.error[0] ? m.error : "org.freedesktop.DBus.Error.Failed");
                printf("refused %s %s\n", c->member, c->error);
                return;
        }
        c->body = malloc(m.body_len ? m.body_len : 1);
        if (!c->body)
                die("out of memory");
        memcpy(c->body, m.body, m.body_len);
        c->body_len = m.body_len;
        snprintf(c->sig, sizeof c->sig, "%s", m.sig);
        printf("captured %s %u %s\n", c->member, c->body_len, c->sig);
}

static void connect_bus(void) {
        const char *addr = getenv("DBUS_SESSION_BUS_ADDRESS");
        const char *path = addr ? strstr(addr, "unix:path=") : NULL;
        if (!path) {
                fprintf(stderr, "bench-floor: DBUS_SESSION_BUS_ADDRESS is not unix:path=...\n");
                exit(1);
        }
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        path += strlen("unix:path=");
        size_t n = strcspn(path, ",;");
        if (n >= sizeof sa.sun_path) {
                fprintf(stderr, "bench-floor: socket path too long\n");
                exit(1);
        }
        memcpy(sa.sun_path, path, n);
        sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0 || connect(sock, (struct sockaddr *) &sa, sizeof sa) < 0)
                die("connect");

        /* SASL EXTERNAL: the uid in hex of its decimal digits. */
        char uid[32], auth[128];
        snprintf(uid, sizeof uid, "%u", (unsigned) getuid());
        size_t k = (size_t) snprintf(auth, sizeof auth, "%cAUTH EXTERNAL ", 0);
        for (const char *p = uid; *p; p++)
                k += (size_t) snprintf(auth + k, sizeof auth - k, "%02x", (unsigned char) *p);
        k += (size_t) snprintf(auth + k, sizeof auth - k, "\r\n");
        if (write(sock, auth, k) != (ssize_t) k)
                die("auth");
        char line[512];
        size_t got = 0;
        while (got < 2 || memcmp(line + got - 2, "\r\n", 2) != 0) {
                if (got == sizeof line || read(sock, line + got, 1) != 1)
                        die("auth reply");
                got++;
        }
        if (strncmp(line, "OK ", 3) != 0) {
                fprintf(stderr, "bench-floor: authentication refused\n");
                exit(1);
        }
        if (write(sock, "BEGIN\r\n", 7) != 7)
                die("auth begin");

        Msg m;
        uint32_t serial = next_serial;
        send_call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello", NULL, NULL);
        wait_reply(serial, &m);
}

static void request_name(const char *name) {
        Buf body = { 0 };
        Msg m;
        buf_str(&body, name);
        buf_u32(&body, 4); /* DBUS_NAME_FLAG_DO_NOT_QUEUE */
        uint32_t serial = next_serial;
        send_call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "RequestName", "su", &body);
        wait_reply(serial, &m);
        free(body.p);
        if (m.type != MSG_RETURN || m.body_len < 4 || u32_at(m.body) != 1) {
                fprintf(stderr, "bench-floor: could not take %s\n", name);
                exit(1);
        }
}

/* A reply to call: the stored body, or an error with none (the one
 * guestinfod gave, or an unknown method). */
static void answer(const Msg *call, const Captured *c) {
        static Buf h;
        const char *error = !c ? "org.freedesktop.DBus.Error.UnknownMethod" : c->error[0] ? c->error : NULL;
        if (error)
                c = NULL;
        header_begin(&h, c ? MSG_RETURN : MSG_ERROR, FLAG_NO_REPLY);
        if (error)
                field_str(&h, F_ERROR, 's', error);
        field_u32(&h, F_REPLY_SERIAL, call->serial);
        field_str(&h, F_DEST, 's', call->sender);
        if (c && c->sig[0])
                field_str(&h, F_SIG, 'g', c->sig);
        header_end(&h, c ? c->body_len : 0);
        struct iovec iov[2] = { { h.p, h.len }, { c ? c->body : NULL, c ? c->body_len : 0 } };
        write_all(iov, c && c->body_len ? 2 : 1);
}

int main(int argc, char *argv[]) {
        if (argc != 2) {
                fprintf(stderr, "usage: bench-floor NAME\n");
                return 2;
        }
        connect_bus();
        Captured cap[] = { { .member = "ListSummaries" }, { .member = "GetManagedObjects" } };
        capture(&cap[0], "org.guestinfod.GuestInfo1.Manager");
        capture(&cap[1], "org.freedesktop.DBus.ObjectManager");
        /* before the name: whoever sees the name owned finds these lines */
        printf("ready\n");
        fflush(stdout);
        request_name(argv[1]);

        for (;;) {
                Msg m;
                read_msg(&m);
                if (m.type != MSG_CALL)
                        continue;
                const Captured *c = NULL;
                for (size_t i = 0; i < sizeof cap / sizeof *cap; i++)
                        if (strcmp(m.member, cap[i].member) == 0)
                                c = &cap[i];
                if (!c && (m.flags & FLAG_NO_REPLY))
                        continue;
                answer(&m, c);
        }
}
