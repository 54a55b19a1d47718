/* The commands; each returns 0, or -errno (cli.h) having printed why it
 * failed. */
#pragma once

#include "bus-client.h"
#include "cli.h"

int cmd_list(BusClient *c, const CliOptions *o);
int cmd_show(BusClient *c, const CliOptions *o, const char *vm);
/* guestosinfo, userlist, filesystemlist, interfaces */
int cmd_kubevirt(BusClient *c, const char *command, const char *vm);
int cmd_refresh(BusClient *c, const char *vm);
/* Prometheus's text format, once or kept in o->textfile */
int cmd_metrics(BusClient *c, const CliOptions *o);
int cmd_watch(BusClient *c, const CliOptions *o, const char *vm);
