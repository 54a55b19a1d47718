/* The libvirt connection, owned by one worker thread.
 *
 * Every call that may block on libvirt (open, list, per-domain queries) runs
 * on that thread. libvirt's event callbacks queue jobs for it; it answers with
 * VirtMsg results on the main thread's queue, in order. */
#pragma once

#include "queue.h"

typedef struct VirtSession VirtSession;

/* results: where VirtMsg items are pushed (the session takes a reference).
 * Starts the worker thread; the libvirt event loop must already run
 * (virt_loop_start). */
int virt_session_new(const char *uri, Queue *results, VirtSession **ret);
/* Asks the worker to stop: queued jobs are dropped, a list in progress ends
 * after the call in flight, then the worker closes the connection (while
 * libvirt's event loop still runs, as libvirt expects). Does not wait. */
void virt_session_request_stop(VirtSession *s);
/* Asks (if not yet) and waits up to wait_ms for the worker to end. Returns
 * -ETIMEDOUT if it is still inside a libvirt call. */
int virt_session_stop(VirtSession *s, unsigned wait_ms);
/* Gives up the caller's reference, stopping the worker first if that was
 * not asked (then without a bound). A worker that was asked but is still
 * inside a call is detached: it holds its own reference to the session and
 * the results queue and frees them when it ends. Call it only after
 * libvirt's event loop has stopped (virt_loop_stop): until then a callback
 * may be running with s. Accepts NULL. */
VirtSession *virt_session_unref(VirtSession *s);

/* Ask for a connection attempt; answered by VIRT_MSG_CONNECTED or
 * VIRT_MSG_CONNECT_FAILED. A no-op answer (CONNECTED with a fresh list) if
 * already connected. Requests not yet served are answered once. Allocates
 * nothing, so cannot fail. */
void virt_session_connect(VirtSession *s);

/* For tests: of the jobs and messages any session allocates from now on,
 * skip succeed and the next one fails, as if memory had run out. */
void virt_session_test_fail_allocation(unsigned skip);
