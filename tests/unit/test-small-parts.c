/* Unit tests of the small pure parts: UUIDs, object paths, state names,
 * reconnect backoff, the hash map, SipHash, log lines and error quotes,
 * addresses and login times as the bus carries them, a kind's status
 * packed into 12 bytes, the slabs of short strings. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unistd.h>

#include "backoff.h"
#include "bus-errors.h"
#include "bus-paths.h"
#include "domain-state.h"
#include "guest-data.h"
#include "hashmap.h"
#include "intern.h"
#include "ip-address.h"
#include "kind-status.h"
#include "log.h"
#include "siphash.h"
#include "slab.h"
#include "uuid.h"

static void test_uuid_normalize(void **state) {
        char out[UUID_STRING_MAX];

        assert_int_equal(uuid_normalize("6695eb01-f6a4-8304-79aa-97f2502e193f", out), 0);
        assert_string_equal(out, "6695eb01-f6a4-8304-79aa-97f2502e193f");
        assert_int_equal(uuid_normalize("6695EB01-F6A4-8304-79AA-97F2502E193F", out), 0);
        assert_string_equal(out, "6695eb01-f6a4-8304-79aa-97f2502e193f");
        assert_int_equal(uuid_normalize("6695eb01f6a4830479aa97f2502e193f", out), 0);
        assert_string_equal(out, "6695eb01-f6a4-8304-79aa-97f2502e193f");

        assert_int_equal(uuid_normalize(NULL, out), -EINVAL);
        assert_int_equal(uuid_normalize("", out), -EINVAL);
        assert_int_equal(uuid_normalize("bad", out), -EINVAL);
        /* right length, a dash out of place */
        assert_int_equal(uuid_normalize("6695eb01f-6a4-8304-79aa-97f2502e193f", out), -EINVAL);
        /* right shape, not hex */
        assert_int_equal(uuid_normalize("6695eb01-f6a4-8304-79aa-97f2502e193g", out), -EINVAL);
        /* too long */
        assert_int_equal(uuid_normalize("6695eb01-f6a4-8304-79aa-97f2502e193f0", out), -EINVAL);
        /* 32 characters but with dashes */
        assert_int_equal(uuid_normalize("6695eb01-f6a4-8304-79aa-97f2502e", out), -EINVAL);
}

static void test_domain_paths(void **state) {
        char *path = NULL, buf[UUID_STRING_MAX], out[DOMAIN_OBJECT_PATH_MAX];

        /* the UUID's 32 hex digits, lowercase, no dashes, nothing escaped */
        assert_int_equal(domain_object_path("6695eb01-f6a4-8304-79aa-97f2502e193f", &path), 0);
        assert_string_equal(path, "/org/guestinfod/GuestInfo1/domain/6695eb01f6a4830479aa97f2502e193f");
        free(path);
        assert_int_equal(domain_object_path_buf("C0FFEE00-0000-4000-8000-00000000002A", out), 0);
        assert_string_equal(out, "/org/guestinfod/GuestInfo1/domain/c0ffee0000004000800000000000002a");
        assert_int_equal(domain_object_path_buf("c0ffee0000004000800000000000002a", out), 0);
        assert_string_equal(out, "/org/guestinfod/GuestInfo1/domain/c0ffee0000004000800000000000002a");
        /* not a UUID */
        assert_int_equal(domain_object_path_buf("abc", out), -EINVAL);
        assert_int_equal(domain_object_path_buf("", out), -EINVAL);
        assert_int_equal(domain_object_path_buf("6695eb01-f6a4-8304-79aa-97f2502e193f0", out), -EINVAL);
        assert_int_equal(domain_object_path_buf("6695eb01-f6a4-8304-79aa-97f2502e193g", out), -EINVAL);

        /* the decoder: exactly that spelling, back to the dashed UUID */
        assert_int_equal(
                domain_uuid_from_path_buf("/org/guestinfod/GuestInfo1/domain/6695eb01f6a4830479aa97f2502e193f", buf),
                0);
        assert_string_equal(buf, "6695eb01-f6a4-8304-79aa-97f2502e193f");
        static const char *const not_ours[] = {
                /* another spelling of the same UUID answers nothing */
                "/org/guestinfod/GuestInfo1/domain/6695EB01F6A4830479AA97F2502E193F",
                "/org/guestinfod/GuestInfo1/domain/_36695eb01_2df6a4_2d8304_2d79aa_2d97f2502e193f",
                "/org/guestinfod/GuestInfo1/domain/6695eb01_f6a4_8304_79aa_97f2502e193f",
                "/org/guestinfod/GuestInfo1/domain/abc",
                "/org/guestinfod/GuestInfo1/domain",
                "/org/guestinfod/GuestInfo1/domain/",
                "/org/guestinfod/GuestInfo1/domain/6695eb01f6a4830479aa97f2502e193f/x",
                "/org/guestinfod/GuestInfo1/domain/6695eb01f6a4830479aa97f2502e193f0",
                "/org/other/domain/6695eb01f6a4830479aa97f2502e193f",
                "/org/guestinfod/GuestInfo1",
        };
        for (size_t i = 0; i < sizeof not_ours / sizeof *not_ours; i++)
                assert_int_equal(domain_uuid_from_path_buf(not_ours[i], buf), -ENXIO);

        /* round trip */
        assert_int_equal(domain_object_path_buf("93000000-0000-4000-8000-000000000100", out), 0);
        assert_int_equal(domain_uuid_from_path_buf(out, buf), 0);
        assert_string_equal(buf, "93000000-0000-4000-8000-000000000100");
}

static void test_domain_state_names(void **state) {
        static const char *const names[] = { "nostate",  "running", "blocked", "paused",
                                             "shutdown", "shutoff", "crashed", "pmsuspended" };

        assert_int_equal(sizeof names / sizeof *names, _DOMAIN_STATE_MAX);
        for (size_t i = 0; i < sizeof names / sizeof *names; i++)
                assert_string_equal(domain_state_to_string((DomainState) i), names[i]);
        assert_null(domain_state_to_string(_DOMAIN_STATE_INVALID));
        assert_null(domain_state_to_string(_DOMAIN_STATE_MAX));

        /* libvirt's numbering (virDomainState) */
        assert_int_equal(domain_state_from_libvirt(1), DOMAIN_STATE_RUNNING);
        assert_int_equal(domain_state_from_libvirt(3), DOMAIN_STATE_PAUSED);
        assert_int_equal(domain_state_from_libvirt(5), DOMAIN_STATE_SHUTOFF);
        assert_int_equal(domain_state_from_libvirt(7), DOMAIN_STATE_PMSUSPENDED);
        assert_int_equal(domain_state_from_libvirt(99), DOMAIN_STATE_NOSTATE);
}

static void test_backoff(void **state) {
        Backoff b;
        const uint64_t s = 1000000;

        backoff_init(&b, 1 * s, 30 * s);
        assert_int_equal(backoff_next(&b), 1 * s);
        assert_int_equal(backoff_next(&b), 2 * s);
        assert_int_equal(backoff_next(&b), 4 * s);
        assert_int_equal(backoff_next(&b), 8 * s);
        assert_int_equal(backoff_next(&b), 16 * s);
        assert_int_equal(backoff_next(&b), 30 * s);
        assert_int_equal(backoff_next(&b), 30 * s);
        backoff_reset(&b);
        assert_int_equal(backoff_next(&b), 1 * s);

        /* a cap below the start is raised to it, never loops at 0 */
        backoff_init(&b, 5 * s, 1 * s);
        assert_int_equal(backoff_next(&b), 5 * s);
        assert_int_equal(backoff_next(&b), 5 * s);
}

static void test_hashmap(void **state) {
        enum { N = 5000 };
        char(*keys)[16] = calloc(N, sizeof *keys);
        Hashmap *h = hashmap_new();
        void *v;
        size_t seen = 0;

        assert_non_null(h);
        for (int i = 0; i < N; i++) {
                snprintf(keys[i], sizeof keys[i], "key-%d", i);
                assert_int_equal(hashmap_put(h, keys[i], keys[i]), 0);
        }
        assert_int_equal(hashmap_size(h), N);
        assert_int_equal(hashmap_put(h, "key-7", NULL), -EEXIST);
        assert_ptr_equal(hashmap_get(h, "key-4999"), keys[4999]);
        assert_null(hashmap_get(h, "key-5000"));

        HASHMAP_FOREACH (v, h, i) {
                assert_non_null(v);
                seen++;
        }
        assert_int_equal(seen, N);

        for (int i = 0; i < N; i += 2)
                assert_ptr_equal(hashmap_remove(h, keys[i]), keys[i]);
        assert_null(hashmap_remove(h, keys[0]));
        assert_int_equal(hashmap_size(h), N / 2);
        assert_null(hashmap_get(h, "key-0"));
        assert_ptr_equal(hashmap_get(h, "key-1"), keys[1]);

        seen = 0;
        HASHMAP_FOREACH (v, h, i)
                seen++;
        assert_int_equal(seen, N / 2);

        hashmap_free(h);
        free(keys);
}

/* The SipHash paper's vectors (key 00..0f, message 00..0e and empty), and
 * the same in pieces of every size. */
static void test_siphash(void **state) {
        uint8_t key[16], msg[15];
        SipHash s;

        for (unsigned i = 0; i < 16; i++)
                key[i] = (uint8_t) i;
        for (unsigned i = 0; i < 15; i++)
                msg[i] = (uint8_t) i;
        siphash_init(&s, key);
        siphash_feed(&s, msg, sizeof msg);
        assert_true(siphash_final(&s) == 0xa129ca6149be45e5ULL);
        siphash_init(&s, key);
        assert_true(siphash_final(&s) == 0x726fdb47dd0e0e31ULL);

        for (size_t piece = 1; piece <= sizeof msg; piece++) {
                siphash_init(&s, key);
                for (size_t at = 0; at < sizeof msg; at += piece)
                        siphash_feed(&s, msg + at, at + piece <= sizeof msg ? piece : sizeof msg - at);
                assert_true(siphash_final(&s) == 0xa129ca6149be45e5ULL);
        }
        /* another key, another hash */
        key[0] ^= 1;
        siphash_init(&s, key);
        siphash_feed(&s, msg, sizeof msg);
        assert_true(siphash_final(&s) != 0xa129ca6149be45e5ULL);
}

/* A log line quoting a name libvirt took: what reaches stderr. */
static void test_log_lines_are_safe_text(void **state) {
        char path[] = "/tmp/test-small-parts-log.XXXXXX", line[512] = "";
        int fd = mkstemp(path), saved = dup(STDERR_FILENO);
        assert_true(fd >= 0 && saved >= 0);
        fflush(stderr);
        assert_true(dup2(fd, STDERR_FILENO) >= 0);
        log_info("Guest agent of '%s' connected.", "www.bank\xe2\x80\xaemoc.evil\xc2\x9b\x1b[2J\n\xef\xb7\x90\xff");
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        FILE *f = fdopen(fd, "r");
        rewind(f);
        assert_non_null(fgets(line, sizeof line, f));
        fclose(f);
        unlink(path);
        assert_string_equal(line, "Guest agent of 'www.bank?moc.evil??[2J?\xef\xbf\xbd\xef\xbf\xbd' connected.\n");
}

/* Quotes in error replies: bounded, whole characters, safe text. */
static void test_error_quotes(void **state) {
        char buf[BUS_ERROR_QUOTE_MAX], arg[200];
        memset(arg, 'a', 63);
        snprintf(arg + 63, sizeof arg - 63, "\xc3\xa9\xe2\x80\xae%s", "tail");
        /* the old cut at byte 64 fell inside the é */
        assert_string_equal(bus_error_quote(arg, buf, sizeof buf),
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9?tail");
        memset(arg, 'b', 199);
        arg[199] = '\0';
        assert_int_equal(strlen(bus_error_quote(arg, buf, sizeof buf)), BUS_ERROR_QUOTE_MAX - 1);
        assert_string_equal(buf + BUS_ERROR_QUOTE_MAX - 4, "\xe2\x80\xa6"); /* cut: an ellipsis */
        char small[8];
        assert_string_equal(bus_error_quote("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", small, sizeof small),
                            "\xe2\x82\xac\xe2\x80\xa6");
        assert_string_equal(bus_error_quote(NULL, small, sizeof small), "");
}

static void assert_split(const char *text, bool ipv4, const char *family, const char *address, unsigned prefix) {
        IpAddressParts a;
        assert_true(ip_address_split(text, ipv4, &a));
        assert_string_equal(a.family, family);
        assert_string_equal(a.address, address);
        assert_int_equal(a.prefix, prefix);
        assert_int_equal(ip_address_text_len(text, ipv4), strlen(address));
}

static void test_ip_address_split(void **state) {
        assert_split("10.0.2.15/24", true, "ipv4", "10.0.2.15", 24);
        assert_split("10.0.2.15", true, "ipv4", "10.0.2.15", 0);
        assert_split("192.0.2.1/32", true, "ipv4", "192.0.2.1", 32);
        assert_split("fe80::5054:ff:fe12:3456/64", false, "ipv6", "fe80::5054:ff:fe12:3456", 64);
        assert_split("::1/128", false, "ipv6", "::1", 128);
        assert_split("fe80::1%eth0", false, "ipv6", "fe80::1%eth0", 0);
        /* what is not a prefix of the family stays in the address */
        assert_split("10.0.0.1/33", true, "ipv4", "10.0.0.1/33", 0);
        assert_split("fe80::1/129", false, "ipv6", "fe80::1/129", 0);
        assert_split("10.0.0.1/", true, "ipv4", "10.0.0.1/", 0);
        assert_split("10.0.0.1/2a", true, "ipv4", "10.0.0.1/2a", 0);
        assert_split("10.0.0.1/0024", true, "ipv4", "10.0.0.1/0024", 0);
        assert_split("/24", true, "ipv4", "/24", 0);
        assert_split("a/b/16", true, "ipv4", "a/b", 16);

        IpAddressParts a = { .prefix = 7 };
        assert_false(ip_address_split("", true, &a));
        assert_false(ip_address_split(NULL, false, &a));
        assert_int_equal(a.prefix, 7);
        char *longest = malloc(GUEST_STRING_MAX + 2);
        memset(longest, '1', GUEST_STRING_MAX + 1);
        longest[GUEST_STRING_MAX + 1] = '\0';
        assert_false(ip_address_split(longest, true, &a));
        longest[GUEST_STRING_MAX] = '\0';
        assert_true(ip_address_split(longest, true, &a));
        assert_int_equal(strlen(a.address), GUEST_STRING_MAX);
        free(longest);
}

static void test_login_usec(void **state) {
        GuestUser u = { .login_time = 1700000000.123456 };
        assert_true(guest_user_login_usec(&u) == 1700000000123456ULL);
        u.login_time = 1.0000004; /* rounded to the nearest µs */
        assert_true(guest_user_login_usec(&u) == 1000000ULL);
        u.login_time = 1.0000006;
        assert_true(guest_user_login_usec(&u) == 1000001ULL);
        u.login_time = 0;
        assert_true(guest_user_login_usec(&u) == 0);
        u.login_time = -5; /* never negative */
        assert_true(guest_user_login_usec(&u) == 0);
        u.login_time = 0.0 / 0.0;
        assert_true(guest_user_login_usec(&u) == 0);
        u.login_time = 1e300;
        assert_true(guest_user_login_usec(&u) == UINT64_MAX);
}

/* One copy per distinct text, gone with its last holder; the table keeps
 * finding every string as others leave it (its runs close up). */
static void test_intern(void **state) {
        enum { N = 5000 };
        static char *held[N];
        unsigned long strings0, bytes0, strings, bytes;
        char text[32];

        intern_stats(&strings0, &bytes0);
        char *a = intern_take(strdup("ext4")), *b = intern_take(strdup("ext4")), *c = intern_take(strdup("xfs"));
        assert_non_null(a);
        assert_ptr_equal(a, b);
        assert_ptr_not_equal(a, c);
        assert_string_equal(a, "ext4");
        assert_null(intern_take(NULL));
        intern_stats(&strings, &bytes);
        assert_int_equal(strings, strings0 + 2);
        intern_unref(a);
        assert_string_equal(b, "ext4"); /* one holder left */
        intern_unref(b);
        intern_unref(c);
        intern_unref(NULL);
        /* a copy of an interned text made elsewhere is freed, the table's
         * copy keeps its holder (leak and use-after-free checks under ASan) */
        a = intern_take(strdup("btrfs"));
        intern_unref(strdup("btrfs"));
        assert_string_equal(a, "btrfs");
        intern_unref(a);
        intern_stats(&strings, &bytes);
        assert_int_equal(strings, strings0);
        assert_int_equal(bytes, bytes0);

        for (int i = 0; i < N; i++) {
                snprintf(text, sizeof text, "/mnt/%d", i);
                held[i] = intern_take(strdup(text));
                assert_non_null(held[i]);
        }
        for (int i = 1; i < N; i += 2)
                intern_unref(held[i]);
        for (int i = 0; i < N; i += 2) {
                snprintf(text, sizeof text, "/mnt/%d", i);
                char *again = intern_take(strdup(text));
                assert_ptr_equal(again, held[i]);
                intern_unref(again);
                intern_unref(held[i]);
        }
        intern_stats(&strings, &bytes);
        assert_int_equal(strings, strings0);
        assert_int_equal(bytes, bytes0);
}

/* Workers intern while the main thread drops: every thread gets the one
 * copy of each text, and all of it is gone at the end. */
enum { INTERN_THREADS = 4, INTERN_TEXTS = 2000 };
static char *intern_seen[INTERN_THREADS][INTERN_TEXTS];

static void *intern_worker(void *arg) {
        char text[32];
        size_t t = (size_t) (uintptr_t) arg;
        for (int round = 0; round < 3; round++)
                for (int i = 0; i < INTERN_TEXTS; i++) {
                        snprintf(text, sizeof text, "shared-%d", i);
                        char *s = intern_take(strdup(text));
                        if (round < 2)
                                intern_unref(s); /* take and drop, while others do */
                        else
                                intern_seen[t][i] = s;
                }
        return NULL;
}

static void test_intern_threads(void **state) {
        pthread_t th[INTERN_THREADS];
        unsigned long strings0, bytes0, strings, bytes;

        intern_stats(&strings0, &bytes0);
        for (size_t t = 0; t < INTERN_THREADS; t++)
                assert_int_equal(pthread_create(&th[t], NULL, intern_worker, (void *) (uintptr_t) t), 0);
        for (size_t t = 0; t < INTERN_THREADS; t++)
                assert_int_equal(pthread_join(th[t], NULL), 0);
        intern_stats(&strings, &bytes);
        assert_int_equal(strings, strings0 + INTERN_TEXTS);
        for (int i = 0; i < INTERN_TEXTS; i++)
                for (size_t t = 1; t < INTERN_THREADS; t++)
                        assert_ptr_equal(intern_seen[t][i], intern_seen[0][i]);
        for (int i = 0; i < INTERN_TEXTS; i++)
                for (size_t t = 0; t < INTERN_THREADS; t++)
                        intern_unref(intern_seen[t][i]);
        intern_stats(&strings, &bytes);
        assert_int_equal(strings, strings0);
        assert_int_equal(bytes, bytes0);
}

/* A status holds every state beside the largest time, and each field
 * survives the other at its extremes; a later time is held as the largest
 * (and setting it again is no change). */
static void test_kind_status(void **state) {
        static const char *const names[] = { "not-asked", "fresh",     "unsupported", "disabled",
                                             "failed",    "timed-out", "frozen" };
        KindStatus st = { 0 };

        assert_int_equal(sizeof st, 12);
        assert_int_equal(_KIND_STATE_MAX, sizeof names / sizeof names[0]);
        for (int s = 0; s < _KIND_STATE_MAX; s++) {
                const uint64_t times[] = { 0, 1, KIND_STATUS_USEC_MAX - 1, KIND_STATUS_USEC_MAX };
                for (size_t t = 0; t < sizeof times / sizeof times[0]; t++) {
                        assert_true(kind_status_set(&st, (KindState) s, times[t],
                                                    s == KIND_STATE_FAILED ? "why" : NULL) >= 0);
                        assert_int_equal(st.state, s);
                        assert_true(kind_status_usec(&st) == times[t]);
                        assert_string_equal(kind_state_to_string((KindState) st.state), names[s]);
                        if (s == KIND_STATE_FAILED)
                                assert_string_equal(kind_status_message(&st), "why");
                        else
                                assert_null(kind_status_message(&st));
                        /* the same again: nothing changed */
                        assert_int_equal(
                                kind_status_set(&st, (KindState) s, times[t], s == KIND_STATE_FAILED ? "why" : NULL),
                                0);
                }
        }

        /* past 56 bits: the largest, the state untouched */
        assert_int_equal(kind_status_set(&st, KIND_STATE_FROZEN, 5, NULL), 1);
        assert_int_equal(kind_status_set(&st, KIND_STATE_FROZEN, KIND_STATUS_USEC_MAX + 1, NULL), 1);
        assert_int_equal(st.state, KIND_STATE_FROZEN);
        assert_true(kind_status_usec(&st) == KIND_STATUS_USEC_MAX);
        assert_int_equal(kind_status_set(&st, KIND_STATE_FROZEN, UINT64_MAX, NULL), 0);
        assert_true(kind_status_usec(&st) == KIND_STATUS_USEC_MAX);
        assert_int_equal(st.state, KIND_STATE_FROZEN);

        /* a time in every bit: 2026 in µs, and the top bit of the field */
        assert_int_equal(kind_status_set(&st, KIND_STATE_FRESH, UINT64_C(1796000000123456), NULL), 1);
        assert_true(kind_status_usec(&st) == UINT64_C(1796000000123456));
        assert_int_equal(kind_status_set(&st, KIND_STATE_FRESH, UINT64_C(1) << 55, NULL), 1);
        assert_true(kind_status_usec(&st) == UINT64_C(1) << 55);
        assert_int_equal(st.state, KIND_STATE_FRESH);

        /* either side of the split between its two words */
        const uint64_t split[] = { UINT32_MAX, UINT64_C(1) << 32, (UINT64_C(1) << 32) + 1,
                                   KIND_STATUS_USEC_MAX & ~(uint64_t) UINT32_MAX };
        for (size_t i = 0; i < sizeof split / sizeof split[0]; i++) {
                assert_int_equal(kind_status_set(&st, KIND_STATE_TIMED_OUT, split[i], NULL), 1);
                assert_true(kind_status_usec(&st) == split[i]);
                assert_int_equal(st.state, KIND_STATE_TIMED_OUT);
        }

        assert_true(kind_status_reset(&st));
        assert_int_equal(st.state, KIND_STATE_NOT_ASKED);
        assert_true(kind_status_usec(&st) == 0);
        assert_false(kind_status_reset(&st));
        kind_status_done(&st);

        /* messages, kept apart by number: each its own, numbers reused,
         * none left once their statuses are done */
        enum { M = 1000 };
        static KindStatus many[M];
        char text[32];
        size_t held0 = kind_status_messages();
        for (int i = 0; i < M; i++) {
                snprintf(text, sizeof text, "failure %d", i);
                assert_int_equal(kind_status_set(&many[i], KIND_STATE_FAILED, (uint64_t) i, text), 1);
        }
        assert_int_equal(kind_status_messages(), held0 + M);
        for (int i = 0; i < M; i += 2)
                assert_true(kind_status_reset(&many[i]));
        assert_int_equal(kind_status_messages(), held0 + M / 2);
        for (int i = 0; i < M; i += 2) {
                snprintf(text, sizeof text, "again %d", i);
                assert_int_equal(kind_status_set(&many[i], KIND_STATE_FAILED, 1, text), 1);
        }
        for (int i = 0; i < M; i++) {
                snprintf(text, sizeof text, i % 2 ? "failure %d" : "again %d", i);
                assert_string_equal(kind_status_message(&many[i]), text);
        }
        /* the same text again is no change, another one is */
        assert_int_equal(kind_status_set(&many[1], KIND_STATE_FAILED, 1, "failure 1"), 0);
        assert_int_equal(kind_status_set(&many[1], KIND_STATE_FAILED, 1, "failure one"), 1);
        assert_string_equal(kind_status_message(&many[1]), "failure one");
        assert_int_equal(kind_status_messages(), held0 + M);
        for (int i = 0; i < M; i++)
                kind_status_done(&many[i]);
        assert_int_equal(kind_status_messages(), held0);
}

/* Models on other threads set their statuses' messages at once: each
 * keeps its own text, and none is left. */
enum { STATUS_THREADS = 4, STATUS_EACH = 500 };

static void *status_worker(void *arg) {
        static KindStatus st[STATUS_THREADS][STATUS_EACH];
        size_t t = (size_t) (uintptr_t) arg;
        char text[48];
        for (int round = 0; round < 4; round++) {
                for (int i = 0; i < STATUS_EACH; i++) {
                        snprintf(text, sizeof text, "thread %zu status %d round %d", t, i, round);
                        if (kind_status_set(&st[t][i], KIND_STATE_FAILED, 1, text) < 0)
                                return (void *) 1;
                }
                for (int i = 0; i < STATUS_EACH; i++) {
                        snprintf(text, sizeof text, "thread %zu status %d round %d", t, i, round);
                        if (strcmp(kind_status_message(&st[t][i]), text) != 0)
                                return (void *) 1;
                }
        }
        for (int i = 0; i < STATUS_EACH; i++)
                kind_status_done(&st[t][i]);
        return NULL;
}

static void test_kind_status_threads(void **state) {
        pthread_t th[STATUS_THREADS];
        size_t held0 = kind_status_messages();

        for (size_t t = 0; t < STATUS_THREADS; t++)
                assert_int_equal(pthread_create(&th[t], NULL, status_worker, (void *) (uintptr_t) t), 0);
        for (size_t t = 0; t < STATUS_THREADS; t++) {
                void *r;
                assert_int_equal(pthread_join(th[t], &r), 0);
                assert_null(r);
        }
        assert_int_equal(kind_status_messages(), held0);
}

/* Blocks of every size are aligned, apart, and keep what is written in
 * them; freed ones are handed out again; a slab whose blocks are all
 * freed goes (but the last one of its size with room). */
static void test_slab(void **state) {
        enum { N = 20000 };
        static unsigned char *p[N];
        size_t bytes0, blocks0, bytes, blocks;

        assert_null(slab_alloc(0));
        assert_null(slab_alloc(SLAB_BLOCK_MAX + 1));
        slab_free(NULL, 8);
        slab_stats(&bytes0, &blocks0);
        for (size_t size = 1; size <= SLAB_BLOCK_MAX; size++) {
                size_t round0;
                slab_stats(&round0, &blocks);
                for (size_t i = 0; i < N; i++) {
                        p[i] = slab_alloc(size);
                        assert_non_null(p[i]);
                        assert_int_equal((uintptr_t) p[i] % 8, 0);
                        memset(p[i], (int) (i % 251), size);
                }
                slab_stats(&bytes, &blocks);
                assert_int_equal(blocks, blocks0 + N);
                /* 8-byte steps, 64 KiB slabs with a 64-byte header */
                size_t per_slab = (64 * 1024 - 64) / ((size + 7) / 8 * 8);
                assert_true(bytes - round0 <= ((N + per_slab - 1) / per_slab + 1) * 64 * 1024);
                for (size_t i = 0; i < N; i++)
                        for (size_t k = 0; k < size; k++)
                                assert_int_equal(p[i][k], i % 251);
                /* half freed, then taken again: the same blocks */
                for (size_t i = 0; i < N; i += 2)
                        slab_free(p[i], size);
                slab_stats(&bytes, &blocks);
                assert_int_equal(blocks, blocks0 + N / 2);
                size_t before = bytes;
                for (size_t i = 0; i < N; i += 2) {
                        p[i] = slab_alloc(size);
                        assert_non_null(p[i]);
                        memset(p[i], (int) (i % 251), size);
                }
                slab_stats(&bytes, &blocks);
                assert_int_equal(bytes, before);
                for (size_t i = 0; i < N; i++) {
                        assert_int_equal(p[i][0], i % 251);
                        assert_int_equal(p[i][size - 1], i % 251);
                        slab_free(p[i], size);
                }
                slab_stats(&bytes, &blocks);
                assert_int_equal(blocks, blocks0);
                /* at most one empty slab kept for each size so far */
                assert_true(bytes <= bytes0 + (size + 7) / 8 * 64 * 1024);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_uuid_normalize),
                cmocka_unit_test(test_domain_paths),
                cmocka_unit_test(test_domain_state_names),
                cmocka_unit_test(test_backoff),
                cmocka_unit_test(test_hashmap),
                cmocka_unit_test(test_intern),
                cmocka_unit_test(test_intern_threads),
                cmocka_unit_test(test_siphash),
                cmocka_unit_test(test_log_lines_are_safe_text),
                cmocka_unit_test(test_error_quotes),
                cmocka_unit_test(test_ip_address_split),
                cmocka_unit_test(test_login_usec),
                cmocka_unit_test(test_kind_status),
                cmocka_unit_test(test_kind_status_threads),
                cmocka_unit_test(test_slab),
        };
        return cmocka_run_group_tests_name("small parts", tests, NULL, NULL);
}
