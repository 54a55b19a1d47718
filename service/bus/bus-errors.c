#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "utf8.h"

const char *bus_error_quote(const char *s, char *buf, size_t size) {
        if (size == 0)
                return "";
        char *t = text_for_log(s, size - 1);
        snprintf(buf, size, "%s", t ? t : "?");
        free(t);
        return buf;
}

/* Lets clients (sd_bus_error_get_errno) and our own code agree on errno values. */
const sd_bus_error_map bus_error_map[] = {
        SD_BUS_ERROR_MAP(BUS_ERROR_NO_SUCH_DOMAIN, ENOENT),
        SD_BUS_ERROR_MAP(BUS_ERROR_NO_AGENT, ENODEV),
        SD_BUS_ERROR_MAP(BUS_ERROR_AGENT_FAILED, EIO),
        SD_BUS_ERROR_MAP_END,
};
