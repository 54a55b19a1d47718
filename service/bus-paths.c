#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "bus-paths.h"

int domain_object_path(const char *uuid, char **ret) {
        return sd_bus_path_encode(DOMAIN_PATH_PREFIX, uuid, ret);
}

int domain_uuid_from_path(const char *path, char **ret) {
        char *label = NULL;
        int r = sd_bus_path_decode(path, DOMAIN_PATH_PREFIX, &label);
        if (r < 0)
                return r;
        /* A deeper path ("…/domain/x/y") is not a domain object. */
        if (r == 0 || !label || !*label || strchr(label, '/')) {
                free(label);
                return -ENXIO;
        }
        *ret = label;
        return 0;
}
