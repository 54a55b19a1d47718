#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "log.h"

static LogLevel max_level = LOG_LEVEL_INFO;

/* Prefixes understood by journald (sd-daemon(3)), so levels survive stderr. */
static const char *const level_prefix[_LOG_LEVEL_MAX] = {
        [LOG_LEVEL_ERROR] = "<3>", [LOG_LEVEL_WARNING] = "<4>", [LOG_LEVEL_NOTICE] = "<5>",
        [LOG_LEVEL_INFO] = "<6>",  [LOG_LEVEL_DEBUG] = "<7>",
};

static const char *const level_name[_LOG_LEVEL_MAX] = {
        [LOG_LEVEL_ERROR] = "error", [LOG_LEVEL_WARNING] = "warning", [LOG_LEVEL_NOTICE] = "notice",
        [LOG_LEVEL_INFO] = "info",   [LOG_LEVEL_DEBUG] = "debug",
};

LogLevel log_level_from_string(const char *s) {
        if (!s)
                return _LOG_LEVEL_INVALID;
        for (LogLevel l = 0; l < _LOG_LEVEL_MAX; l++)
                if (strcmp(level_name[l], s) == 0)
                        return l;
        return _LOG_LEVEL_INVALID;
}

void log_set_max_level(LogLevel l) {
        if (l >= 0 && l < _LOG_LEVEL_MAX)
                max_level = l;
}

int log_internal(LogLevel level, int error, const char *file, int line, const char *format, ...) {
        char buf[2048];
        va_list ap;

        if (level > max_level)
                return error < 0 ? error : -error;

        /* Let %m print the error we were handed, not whatever errno holds. */
        errno = error < 0 ? -error : error;
        va_start(ap, format);
        vsnprintf(buf, sizeof buf, format, ap);
        va_end(ap);
        /* Lines quote names from libvirt and text from guests: one line,
         * valid UTF-8, nothing that drives a terminal or reorders text. */
        char *safe = text_for_log(buf, sizeof buf);

        /* Under systemd, stderr goes to the journal: tag the level the way it understands. */
        const char *prefix = getenv("JOURNAL_STREAM") ? level_prefix[level] : "";
        if (max_level >= LOG_LEVEL_DEBUG)
                fprintf(stderr, "%s%s:%d: %s\n", prefix, file, line, safe ? safe : buf);
        else
                fprintf(stderr, "%s%s\n", prefix, safe ? safe : buf);
        free(safe);

        return error < 0 ? error : -error;
}
