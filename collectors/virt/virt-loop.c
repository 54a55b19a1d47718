#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/xmlerror.h>

#include "virt-loop.h"

static pthread_t loop_thread;
static bool loop_running;
static atomic_bool loop_quit;
static bool registered;

static void silence_errors(void *userdata, virErrorPtr error) {
        /* libvirt prints every error to stderr by default; callers report
         * what matters themselves, with context. */
}

static void silence_xml_errors(void *ctx, const char *msg, ...) {
        /* The in-process test driver parses with libxml2, which would print
         * its own copy of errors libvirt reports anyway. */
}

static void *loop_main(void *userdata) {
        while (!atomic_load(&loop_quit))
                if (virEventRunDefaultImpl() < 0)
                        break;
        return NULL;
}

static void wake_up(int timer, void *opaque) {
}

int virt_loop_start(void) {
        if (loop_running)
                return 0;

        if (!registered) {
                virSetErrorFunc(NULL, silence_errors);
                /* libxml2's handler is per thread: set it for the threads to come too. */
                xmlSetGenericErrorFunc(NULL, silence_xml_errors);
                xmlThrDefSetGenericErrorFunc(NULL, silence_xml_errors);
                if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0)
                        return -EIO;
                registered = true;
        }

        atomic_store(&loop_quit, false);
        int r = pthread_create(&loop_thread, NULL, loop_main, NULL);
        if (r != 0)
                return -r;
        loop_running = true;
        return 0;
}

void virt_loop_stop(void) {
        if (!loop_running)
                return;

        atomic_store(&loop_quit, true);
        /* Adding a timer wakes the loop out of poll() so it sees loop_quit. */
        int timer = virEventAddTimeout(0, wake_up, NULL, NULL);
        pthread_join(loop_thread, NULL);
        if (timer >= 0)
                virEventRemoveTimeout(timer);
        loop_running = false;
}
