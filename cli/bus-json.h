/* Any D-Bus value as JSON, for watch --json: properties whatever their type. */
#pragma once

#include <jansson.h>
#include <systemd/sd-bus.h>

/* Reads the next complete value of m as JSON: numbers, booleans, strings;
 * arrays and structs as arrays; a dictionary with string keys as an object;
 * a variant as its contents. NULL if m is at the end or on error. */
json_t *bus_read_json(sd_bus_message *m);
