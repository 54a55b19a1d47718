#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-paths.h"

int domain_object_path(const char *uuid, char **ret) {
        char path[DOMAIN_OBJECT_PATH_MAX];
        int r = domain_path_from_uuid(uuid, path);
        if (r < 0)
                return r;
        *ret = strdup(path);
        return *ret ? 0 : -ENOMEM;
}

int domain_object_path_buf(const char *uuid, char ret[static DOMAIN_OBJECT_PATH_MAX]) {
        return domain_path_from_uuid(uuid, ret);
}

int domain_uuid_from_path_buf(const char *path, char ret[static 37]) {
        return domain_uuid_from_path(path, ret);
}
