#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "bus-paths.h"
#include "bus-told.h"
#include "helpers.h"
#include "siphash.h"

/* Drawn once: whoever does not know it cannot make two values collide. */
static uint8_t key[16];
static bool keyed;

static const uint8_t *hash_key(void) {
        if (!keyed) {
                if (getrandom(key, sizeof key, GRND_NONBLOCK) != (ssize_t) sizeof key) {
                        /* no entropy yet (early boot): still unknown to a guest */
                        uint64_t a = now_usec(), b = (uint64_t) getpid() << 32 ^ (uint64_t) (uintptr_t) &key;
                        memcpy(key, &a, sizeof a);
                        memcpy(key + 8, &b, sizeof b);
                }
                keyed = true;
        }
        return key;
}

/* The vtable entry of a DomainProperty bit, and the interface it is in. */
typedef struct Property {
        const BusDomainInterface *interface;
        const sd_bus_vtable *entry;
} Property;

static bool find_property(DomainProperties bit, Property *ret) {
        const char *interface, *name = bus_domain_property_name(bit, &interface);
        size_t n;
        const BusDomainInterface *interfaces = bus_domain_interfaces(&n);

        if (!name)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (strcmp(interfaces[i].interface, interface) != 0)
                        continue;
                for (const sd_bus_vtable *v = interfaces[i].vtable + 1; v->type != _SD_BUS_VTABLE_END; v++)
                        if ((v->type == _SD_BUS_VTABLE_PROPERTY || v->type == _SD_BUS_VTABLE_WRITABLE_PROPERTY) &&
                            v->x.property.get && strcmp(v->x.property.member, name) == 0) {
                                *ret = (Property){ &interfaces[i], v };
                                return true;
                        }
        }
        return false;
}

/* Feeds the rest of m's current container into s: each value's type, then
 * its bytes (a string's length first); a container's signature, its values
 * and an end mark. */
static int hash_values(sd_bus_message *m, SipHash *s) {
        for (;;) {
                const char *contents;
                char type;
                int r = sd_bus_message_peek_type(m, &type, &contents);
                if (r <= 0)
                        return r; /* 0: the end of the container */
                siphash_feed(s, &type, 1);

                if (type == 'a' || type == 'r' || type == 'e' || type == 'v') {
                        static const char end = 0;
                        siphash_feed(s, contents, strlen(contents) + 1);
                        r = sd_bus_message_enter_container(m, type, contents);
                        if (r >= 0)
                                r = hash_values(m, s);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                        siphash_feed(s, &end, 1);
                        continue;
                }

                union {
                        uint8_t u8;
                        uint16_t u16;
                        uint32_t u32;
                        uint64_t u64;
                        double d;
                        int fd;
                        const char *str;
                } value = { 0 };
                r = sd_bus_message_read_basic(m, type, &value);
                if (r < 0)
                        return r;
                switch (type) {
                case 's':
                case 'o':
                case 'g': {
                        uint64_t len = strlen(value.str);
                        siphash_feed(s, &len, sizeof len);
                        siphash_feed(s, value.str, len);
                        break;
                }
                case 'y':
                        siphash_feed(s, &value.u8, 1);
                        break;
                case 'n':
                case 'q':
                        siphash_feed(s, &value.u16, 2);
                        break;
                case 'x':
                case 't':
                case 'd':
                        siphash_feed(s, &value.u64, 8);
                        break;
                default: /* b i u h */
                        siphash_feed(s, &value.u32, 4);
                }
        }
}

/* The fingerprints of the properties bits of d that its object has now,
 * by bit number into out: one message holds their values, one variant
 * each, as their getters write them; *ret_done: the bits done. */
static int fingerprint(sd_bus *bus, BusDomain *b, Domain *d, DomainProperties properties,
                       uint64_t out[DOMAIN_PROPERTY_BITS], DomainProperties *ret_done) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char path[DOMAIN_OBJECT_PATH_MAX];
        DomainProperties done = 0;
        int r;

        r = domain_object_path_buf(d->uuid, path);
        if (r >= 0)
                r = sd_bus_message_new_signal(bus, &m, path, "org.freedesktop.DBus.Properties", "PropertiesChanged");
        for (unsigned i = 0; r >= 0 && i < DOMAIN_PROPERTY_BITS; i++) {
                DomainProperties bit = DOMAIN_PROPERTY_BIT(i);
                Property p;
                void *found = b;
                if (!(properties & bit) || !find_property(bit, &p))
                        continue;
                r = p.interface->find(bus, path, p.interface->interface, b, &found, &error);
                if (r <= 0)
                        continue; /* not on the object now (or < 0: the loop ends) */
                r = sd_bus_message_open_container(m, 'v', p.entry->x.property.signature);
                if (r >= 0)
                        r = p.entry->x.property.get(bus, path, p.interface->interface, p.entry->x.property.member, m,
                                                    (uint8_t *) found + p.entry->x.property.offset, &error);
                if (r >= 0 && sd_bus_error_is_set(&error))
                        r = -sd_bus_error_get_errno(&error);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                done |= bit;
        }
        sd_bus_error_free(&error);
        if (r >= 0)
                r = sd_bus_message_seal(m, 1, 0);
        if (r >= 0)
                r = sd_bus_message_rewind(m, true);
        for (unsigned i = 0; r >= 0 && i < DOMAIN_PROPERTY_BITS; i++) {
                SipHash s;
                if (!(done & DOMAIN_PROPERTY_BIT(i)))
                        continue;
                siphash_init(&s, hash_key());
                r = sd_bus_message_enter_container(m, 'v', NULL);
                if (r >= 0)
                        r = hash_values(m, &s);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                out[i] = siphash_final(&s);
        }
        if (r < 0)
                return r;
        *ret_done = done;
        return 0;
}

void bus_told_forget(Domain *d, DomainProperties properties) {
        d->told_known &= ~properties;
}

void bus_told_record(sd_bus *bus, BusDomain *b, Domain *d, DomainProperties properties) {
        uint64_t now[DOMAIN_PROPERTY_BITS];
        DomainProperties done;

        bus_told_forget(d, properties);
        if (fingerprint(bus, b, d, properties, now, &done) < 0)
                return; /* unknown: the next change is sent whatever it is */
        for (unsigned i = 0; i < DOMAIN_PROPERTY_BITS; i++)
                if (done & DOMAIN_PROPERTY_BIT(i))
                        d->told[i] = now[i];
        d->told_known |= done;
}

DomainProperties bus_told_changes(sd_bus *bus, BusDomain *b, Domain *d, DomainProperties properties) {
        uint64_t now[DOMAIN_PROPERTY_BITS];
        DomainProperties done, send = 0;

        if (fingerprint(bus, b, d, properties, now, &done) < 0) {
                bus_told_forget(d, properties);
                return properties;
        }
        for (unsigned i = 0; i < DOMAIN_PROPERTY_BITS; i++) {
                DomainProperties bit = DOMAIN_PROPERTY_BIT(i);
                if (!(done & bit))
                        continue;
                if (!(d->told_known & bit) || d->told[i] != now[i])
                        send |= bit;
                d->told[i] = now[i];
        }
        d->told_known = (d->told_known & ~properties) | done;
        return send;
}
