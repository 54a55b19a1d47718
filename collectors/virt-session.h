/* The libvirt connection, owned by one worker thread.
 *
 * Every call that may block on libvirt (open, list, per-domain queries) runs
 * on that thread. libvirt's event callbacks queue jobs for it; it answers with
 * VirtMsg results on the main thread's queue, in order. */
#pragma once

#include "queue.h"

typedef struct VirtSession VirtSession;

/* results: where VirtMsg items are pushed. Starts the worker thread; the
 * libvirt event loop must already run (virt_loop_start). */
int virt_session_new(const char *uri, Queue *results, VirtSession **ret);
/* Stops the worker and closes the connection. Accepts NULL. */
VirtSession *virt_session_free(VirtSession *s);

/* Ask for a connection attempt; answered by VIRT_MSG_CONNECTED or
 * VIRT_MSG_CONNECT_FAILED. A no-op answer (CONNECTED with a fresh list) if
 * already connected. */
void virt_session_connect(VirtSession *s);
