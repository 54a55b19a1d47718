#include <stdlib.h>

#include "domain-devices.h"
#include "virt-message.h"

void domain_info_done(DomainInfo *info) {
        free(info->name);
        info->name = NULL;
        info->devices = domain_devices_free(info->devices);
}

VirtMsg *virt_msg_new(VirtMsgType type) {
        VirtMsg *m = calloc(1, sizeof *m);
        if (!m)
                return NULL;
        m->type = type;
        m->domain.id = -1;
        return m;
}

VirtMsg *virt_msg_free(VirtMsg *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_domains; i++)
                domain_info_done(&m->domains[i]);
        free(m->domains);
        domain_info_done(&m->domain);
        agent_info_free(m->data.agent);
        guest_info_free(m->data.guest);
        domain_devices_free(m->data.devices);
        free(m->data.message);
        for (size_t i = 0; i < GUEST_KIND_COUNT; i++)
                free(m->data.messages[i]);
        free(m->error);
        free(m);
        return NULL;
}

void virt_msg_free_item(QueueItem *item) {
        virt_msg_free(QUEUE_CONTAINER(item, VirtMsg, item));
}
