#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "kind-status.h"

static const char *const names[_KIND_STATE_MAX] = {
        [KIND_STATE_NOT_ASKED] = "not-asked", [KIND_STATE_FRESH] = "fresh",   [KIND_STATE_UNSUPPORTED] = "unsupported",
        [KIND_STATE_DISABLED] = "disabled",   [KIND_STATE_FAILED] = "failed", [KIND_STATE_TIMED_OUT] = "timed-out",
        [KIND_STATE_FROZEN] = "frozen",
};

const char *kind_state_to_string(KindState s) {
        return s >= 0 && s < _KIND_STATE_MAX ? names[s] : "not-asked";
}

int kind_status_set(KindStatus *s, KindState state, uint64_t collected_usec, const char *message) {
        if (collected_usec > KIND_STATUS_USEC_MAX)
                collected_usec = KIND_STATUS_USEC_MAX;
        bool changed = s->state != state || s->collected_usec != collected_usec || !streq_ptr(s->message, message);
        int r = 0;

        s->state = state;
        s->collected_usec = collected_usec;
        if (!streq_ptr(s->message, message)) {
                free(s->message);
                s->message = message ? strdup(message) : NULL;
                if (message && !s->message)
                        r = -ENOMEM;
        }
        return r < 0 ? r : changed;
}

bool kind_status_reset(KindStatus *s) {
        return kind_status_set(s, KIND_STATE_NOT_ASKED, 0, NULL) > 0;
}
