/* libvirt's own event loop, on a thread of its own. Its callbacks only ever
 * queue work: they never touch the model or the bus. */
#pragma once

/* Registers libvirt's default event implementation (once per process) and
 * starts the thread that runs it. */
int virt_loop_start(void);
/* Stops and joins the thread. Safe to call when not started. */
void virt_loop_stop(void);
