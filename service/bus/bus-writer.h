/* The bus connection's outgoing side in our hands: sd-bus writes into a
 * pipe, and a thread of ours copies it, message by message, onto the bus
 * socket. That lets a whole-fleet reply go out with the body of an earlier
 * reply when nothing changed since: its bytes are kept as they pass, and a
 * later reply leaves sd-bus with an empty array that the thread replaces by
 * the kept body. sd-bus cannot send a body it did not marshal, and
 * marshalling is most of what such a read costs the daemon.
 *
 * The thread touches neither sd-bus nor sd-event: it reads the pipe and
 * writes the socket. The rest of the connection (reading, auth, Hello) is
 * sd-bus's own. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "macro.h"

typedef struct BusWriter BusWriter;

/* What the kept bodies of one connection hold at most in all, unless
 * bus_writer_set_kept_max() says otherwise: a whole-fleet reply may be
 * tens of MiB (GetManagedObjects of 10000 ordinary VMs: 30 MiB), and a body
 * over the rest is not kept. */
#define BUS_WRITER_KEPT_DEFAULT (48ULL * 1024 * 1024)

/* The address sd_bus_open_system() (system) or sd_bus_open_user() would
 * connect to, in *ret (to free). */
int bus_writer_default_address(bool system, char **ret);

/* The socket path of address's first unix:path= entry
 * ("unix:path=/run/x,guid=...;tcp:..."), %-escapes decoded, in path (size
 * bytes with its NUL); -EPROTONOSUPPORT if there is none, -EINVAL if it is
 * malformed or too long. */
int bus_writer_socket_path(const char *address, char *path, size_t size);

/* Connects to the first unix:path= entry of address as a bus client (Hello
 * sent) whose writes go through a writer. trusted as sd-bus means it: true
 * on the session bus (every caller is the same user). -EPROTONOSUPPORT
 * when address names no socket path (unix:abstract=, tcp:, unixexec:):
 * then connect as usual, without a writer. */
int bus_writer_connect(const char *address, bool trusted, const char *description, sd_bus **ret_bus, BusWriter **ret);

/* The most its kept bodies may hold from now on; 0: nothing is kept (every
 * reply is marshalled). */
void bus_writer_set_kept_max(BusWriter *w, uint64_t bytes);

/* How long a kept body nobody asks for stays (60 s unless set; from the
 * bus's thread, before the next reply is kept). */
void bus_writer_set_idle(BusWriter *w, uint64_t usec);

/* Once the bus is closed (sd_bus_flush_close_unref: what sd-bus still had
 * is in the pipe): waits for the thread to copy the rest, and frees. */
BusWriter *bus_writer_free(BusWriter *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusWriter *, bus_writer_free);

/* Replies to call with the body kept under key at generation: 1 if it
 * did; 0 if there is none to send (the bus has no writer, nothing kept
 * yet, or kept at another generation); < 0 if sending failed. */
int bus_writer_reply_kept(sd_bus_message *call, const char *key, uint64_t generation);

/* Replies to call with body (len bytes, taken: freed by the writer), the
 * marshalled contents of one array of signature, and keeps it under key at
 * generation (key NULL: not kept). -EOPNOTSUPP if the bus has no writer. */
int bus_writer_reply_body(sd_bus_message *call, const char *key, uint64_t generation, const char *signature,
                          uint8_t *body, size_t len);

/* Sends reply (to call), keeping its body under key at generation as it
 * goes out, if the bus has a writer. */
int bus_writer_send_keeping(sd_bus_message *call, sd_bus_message *reply, const char *key, uint64_t generation);

/* Calls fn with the body kept under key at generation, once the thread has
 * it whole, and drops it from the writer: 1 if it did, 0 if there is none. */
int bus_writer_with_kept(sd_bus *bus, const char *key, uint64_t generation,
                         void (*fn)(const uint8_t *body, size_t len, void *userdata), void *userdata);

/* How many bytes of kept bodies sent in place are not yet written to the
 * socket (0 without a writer). */
uint64_t bus_writer_backlog(sd_bus *bus);

/* Whether bus writes through a writer. */
bool bus_writer_attached(sd_bus *bus);

/* What a writer did, for tests and benchmarks. */
typedef struct BusWriterStats {
        uint64_t messages;    /* copied onto the socket */
        uint64_t kept_sent;   /* replies sent with the body of an earlier one */
        uint64_t kept_bodies; /* bodies kept */
        uint64_t kept_bytes;  /* held now */
        uint64_t dropped;     /* too big for the bus: not sent */
} BusWriterStats;

/* false if the bus has no writer. */
bool bus_writer_stats(sd_bus *bus, BusWriterStats *ret);
