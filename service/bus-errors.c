#include <errno.h>

#include "bus-errors.h"

/* Lets clients (sd_bus_error_get_errno) and our own code agree on errno values. */
const sd_bus_error_map bus_error_map[] = {
        SD_BUS_ERROR_MAP(BUS_ERROR_NO_SUCH_DOMAIN, ENOENT),
        SD_BUS_ERROR_MAP(BUS_ERROR_INVALID_ARGS, EINVAL),
        SD_BUS_ERROR_MAP(BUS_ERROR_NO_AGENT, ENODEV),
        SD_BUS_ERROR_MAP(BUS_ERROR_AGENT_FAILED, EIO),
        SD_BUS_ERROR_MAP_END,
};
