#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"

int domain_new(const DomainInfo *info, Domain **ret) {
        Domain *d = calloc(1, sizeof *d);
        if (!d)
                return -ENOMEM;

        memcpy(d->uuid, info->uuid, sizeof d->uuid);
        d->uuid[UUID_STRING_MAX - 1] = '\0';
        d->name = strdup(info->name ? info->name : "");
        if (!d->name) {
                free(d);
                return -ENOMEM;
        }
        d->state = info->state;
        d->persistent = info->persistent;
        d->id = info->id;
        *ret = d;
        return 0;
}

Domain *domain_free(Domain *d) {
        if (!d)
                return NULL;
        free(d->name);
        free(d);
        return NULL;
}

int domain_update(Domain *d, const DomainInfo *info) {
        unsigned changed = 0;
        const char *name = info->name ? info->name : "";

        if (strcmp(d->name, name) != 0) {
                char *n = strdup(name);
                if (!n)
                        return -ENOMEM;
                free(d->name);
                d->name = n;
                changed |= DOMAIN_PROPERTY_NAME;
        }
        if (d->state != info->state) {
                d->state = info->state;
                changed |= DOMAIN_PROPERTY_STATE;
        }
        if (d->persistent != info->persistent) {
                d->persistent = info->persistent;
                changed |= DOMAIN_PROPERTY_PERSISTENT;
        }
        if (d->id != info->id) {
                d->id = info->id;
                changed |= DOMAIN_PROPERTY_ID;
        }
        return (int) changed;
}
