/* hostile-agent: a QEMU guest agent that misbehaves on purpose.
 *
 * Runs inside the test guest instead of qemu-ga (build-guest.sh links it
 * with cc -static when the spec says GUEST_AGENT=hostile; the guest's /init
 * restarts it when it exits). It speaks the agent protocol on the virtio
 * port: one JSON command per line in, one JSON reply per line out. The mode
 * comes from the kernel command line (hostile=MODE, set by domain-xml.sh) or
 * from argv[1]; see the mode table below. Everything it does is bounded:
 * lines are cut at LINE_MAX_BYTES, replies are streamed through a 64 KiB
 * buffer, at most SLOW_MAX replies wait in slow mode.
 *
 * Protocol details that matter to libvirt (src/qemu/qemu_agent.c):
 *   - before a command libvirt sends
 *     {"execute":"guest-sync", "arguments":{"id":N}} and waits for
 *     {"return": N} with the same N (its timeout: min(5 s, agent timeout));
 *     libvirt 9.0 does so once per connection, and again after a timeout.
 *     A line that is not JSON is tolerated only as the answer to the first
 *     sync of a command, any other unparsable line puts libvirt's agent in
 *     an error state until the guest closes and reopens the port;
 *   - guest-sync-delimited is answered like guest-sync, with a 0xFF byte
 *     first (qemu-ga does so; libvirt does not use it);
 *   - replies longer than 10 MB are refused by libvirt (QEMU_AGENT_MAX_RESPONSE).
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define PORT_DEFAULT "/dev/virtio-ports/org.qemu.guest_agent.0"
#define VERSION "7.2.0-hostile"
#define LINE_MAX_BYTES 65536
#define SLOW_MAX 16
#define LOG_COMMANDS_MAX 40 /* commands logged to the console, then quiet */
#define MIB (1024 * 1024)

/* ---- the mode table ---- */

typedef struct Mode {
        const char *name;
        const char *what;
        bool silent;                 /* never answers */
        int delay_s;                 /* every reply waits this long */
        bool flap;                   /* port opened and closed 10 times a second */
        unsigned users;              /* users reported (default 1) */
        unsigned filesystems;        /* filesystems reported (default 1) */
        unsigned interfaces;         /* synthetic interfaces added to the real ones */
        size_t long_len;             /* hostname, OS fields and user names this long */
        bool bad_utf8;               /* names decode to invalid UTF-8 and NULs */
        bool bad_utf8_info;          /* ... in guest-info's version too */
        bool bad_json;               /* command replies are malformed */
        bool wrong_types;            /* numbers for strings, objects for arrays... */
        bool maxed;                  /* every string at or past its cap, every list past its count */
        size_t fat_len;              /* the second entry of every list carries this many bytes of {} */
        const char *const *listed;   /* the only commands it has (NULL-terminated); NULL: all of commands[] */
        const char *const *disabled; /* listed "enabled": false and refused, as qemu-ga's --block-rpcs does */
        bool old_shapes;             /* replies in an old agent's shapes, which libvirt 9.0's typed calls refuse */
        bool error_replies;          /* every command but sync, ping and info answers a hostile error */
} Mode;

/* An old agent (CentOS 6's, macOS's): no guest-get-osinfo, host name,
 * timezone or freeze status. */
static const char *const old_commands[] = {
        "guest-sync",       "guest-sync-delimited", "guest-ping", "guest-info", "guest-network-get-interfaces",
        "guest-get-fsinfo", "guest-get-users",      NULL,
};
/* An agent with nothing to say about its guest. */
static const char *const bare_commands[] = { "guest-sync", "guest-sync-delimited", "guest-ping", "guest-info", NULL };
static const char *const blocked_commands[] = { "guest-get-users", "guest-get-fsinfo", NULL };

static const Mode modes[] = {
        { .name = "good", .what = "behaves: small, valid answers to every command" },
        { .name = "silent", .what = "reads commands, never answers", .silent = true },
        { .name = "slow", .what = "answers everything 30 s late", .delay_s = 30 },
        { .name = "users", .what = "100000 logged-in users", .users = 100000 },
        { .name = "filesystems", .what = "10000 filesystems", .filesystems = 10000 },
        { .name = "interfaces", .what = "5000 interfaces", .interfaces = 5000 },
        { .name = "longstrings",
          .what = "1 MiB agent version, hostname, OS name/pretty-name/version, user names",
          .long_len = MIB },
        { .name = "badutf8",
          .what = "invalid UTF-8 and NUL bytes (\\u0000) in names and the agent version",
          .bad_utf8 = true,
          .bad_utf8_info = true },
        { .name = "badutf8data", .what = "the same in names, guest-info clean", .bad_utf8 = true },
        { .name = "badjson", .what = "malformed or truncated JSON replies", .bad_json = true },
        { .name = "wrongtypes", .what = "numbers for strings, objects for arrays", .wrong_types = true },
        { .name = "flap", .what = "closes and reopens the port 10 times a second", .flap = true },
        { .name = "old",
          .what = "an old agent: no osinfo, host name, timezone, fsfreeze; users, filesystems and interfaces in "
                  "shapes libvirt refuses",
          .listed = old_commands,
          .old_shapes = true },
        { .name = "disabled",
          .what = "guest-get-users and guest-get-fsinfo listed disabled and refused (qemu-ga --block-rpcs)",
          .disabled = blocked_commands },
        { .name = "errors",
          .what = "every command but sync, ping and info fails with a 4 KB error text of terminal escapes, "
                  "control characters and lone surrogates",
          .error_replies = true },
        { .name = "bare",
          .what = "only guest-sync, guest-sync-delimited, guest-ping, guest-info",
          .listed = bare_commands },
        { .name = "maxed",
          .what = "everything at its cap: 1100-byte text everywhere, 64-byte MACs, addresses and command "
                  "names, 300 users, 260 filesystems (17 disks), 260 interfaces (33 addresses), 613 commands",
          .users = 300,
          .filesystems = 260,
          .interfaces = 260,
          .long_len = 1100,
          .maxed = true },
        /* Under libvirt's 4 MiB for a reply read raw; enough entries that
         * libvirt's typed parameters cannot carry the lists (> 2048), which
         * are then read raw. */
        { .name = "fat",
          .what = "one entry of 3.7 MB of empty objects in guest-info's commands and in 1000 users, "
                  "300 filesystems, 500 interfaces",
          .users = 1000,
          .filesystems = 300,
          .interfaces = 500,
          .fat_len = 3700000 },
};

/* maxed: the daemon's caps (collectors/parsers/guest-builder.h) a MAC, an address
 * and a command name may reach; text goes past every cap. */
#define MAXED_STRUCT_LEN 64
#define MAXED_COMMANDS 600
#define MAXED_DISKS 17
#define MAXED_ADDRESSES 33

static const Mode *mode;

/* Commands it knows; guest-info lists them as enabled. */
static const char *const commands[] = {
        "guest-sync",
        "guest-sync-delimited",
        "guest-ping",
        "guest-info",
        "guest-get-osinfo",
        "guest-get-host-name",
        "guest-get-timezone",
        "guest-get-users",
        "guest-get-fsinfo",
        "guest-get-disks",
        "guest-network-get-interfaces",
        "guest-get-load",
        "guest-fsfreeze-status",
};
#define N_COMMANDS (sizeof commands / sizeof *commands)

static bool in_list(const char *const *list, const char *name) {
        for (; list && *list; list++)
                if (strcmp(*list, name) == 0)
                        return true;
        return false;
}

/* Whether this mode's agent has the command at all. */
static bool has_command(const char *name) {
        if (mode->listed)
                return in_list(mode->listed, name);
        for (size_t i = 0; i < N_COMMANDS; i++)
                if (strcmp(commands[i], name) == 0)
                        return true;
        return false;
}

/* badutf8: JSON string bodies that libvirt's parser (yajl) decodes into
 * invalid UTF-8 or NUL bytes: a lone low surrogate becomes ED B2 80 (or
 * ED BF BF), a high surrogate followed by a non-surrogate is combined into
 * an unrelated character (U+10041 here), \u0000 a NUL (libvirt's C strings
 * then end there). Raw invalid bytes are not used: yajl rejects the whole
 * line, and libvirt's agent would stay in its error state. The last two
 * are well-formed but awkward: C0/C1 controls, an RTL override, a BOM and
 * the noncharacter U+FFFF (valid UTF-8, which sd-bus refuses). */
static const char *const bad_strings[] = {
        "bad\\udc80name",
        "\\ud800\\u0041surrogate",
        "nul\\u0000after",
        "\\u0000",
        "ctl\\u0001\\u001f\\u007f\\u0085",
        "\\udfff\\udbff\\udc00x\\ud83d",
        "rtl\\u202eevil\\ufeff\\uffff",
};
#define N_BAD_STRINGS (sizeof bad_strings / sizeof *bad_strings)

/* errors: the text of every error, valid JSON that libvirt's parser (yajl)
 * decodes into an ANSI escape, control characters and invalid UTF-8 (a lone
 * surrogate), then pads with 3-byte characters past 4 KB. libvirt quotes it
 * in its error message. */
#define ERROR_TEXT "\\u001b[31mREFUSED\\u001b[0m \\udc80 ctl\\u0001\\u007f\\r\\nnext line "
#define ERROR_TEXT_LEN 4096

/* badjson: what a command gets instead of its reply, in turn. The first is
 * cut short (then a newline) and carries an ANSI escape and invalid UTF-8:
 * libvirt's error message quotes the line raw, to whoever logs it. After a
 * line it cannot parse, libvirt refuses the agent until the guest reopens
 * the port, so the second, cut without a newline (libvirt would wait for
 * the rest until its timeout), is only seen after a reconnect. */
static const char *const bad_replies[] = {
        "{\"return\": {\"version\": \"\x1b[31mFAKE\x1b[0m\xfe\xc0\xaf\n",
        "{\"return\": {\"host-name\": \"cut-short",
};
#define N_BAD_REPLIES (sizeof bad_replies / sizeof *bad_replies)

static void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_msg(const char *fmt, ...) {
        va_list ap;
        fputs("hostile-agent: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- output: replies streamed through a fixed buffer ---- */

static struct {
        int fd;
        char buf[65536];
        size_t len;
        bool failed; /* the host went away mid-reply: drop the rest */
} out = { .fd = -1 };

static void out_flush(void) {
        size_t done = 0;
        while (done < out.len && !out.failed) {
                ssize_t n = write(out.fd, out.buf + done, out.len - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN) {
                        /* the host reads slowly: wait, but not forever */
                        struct pollfd p = { .fd = out.fd, .events = POLLOUT };
                        if (poll(&p, 1, 5000) <= 0 || (p.revents & (POLLHUP | POLLERR)))
                                out.failed = true;
                        continue;
                }
                if (n <= 0)
                        out.failed = true;
                else
                        done += (size_t) n;
        }
        out.len = 0;
}

static void out_raw(const char *s, size_t n) {
        while (n > 0 && !out.failed) {
                size_t k = sizeof out.buf - out.len < n ? sizeof out.buf - out.len : n;
                memcpy(out.buf + out.len, s, k);
                out.len += k;
                s += k;
                n -= k;
                if (out.len == sizeof out.buf)
                        out_flush();
        }
}

static void out_str(const char *s) {
        out_raw(s, strlen(s));
}

static void out_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out_fmt(const char *fmt, ...) {
        char tmp[1024];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
        va_end(ap);
        if (n > 0)
                out_raw(tmp, (size_t) n < sizeof tmp ? (size_t) n : sizeof tmp - 1);
}

#define NAME_LONG 1u /* longstrings pads this one */
#define NAME_INFO 2u /* in guest-info */

/* A JSON string holding s (plain ASCII here), made hostile as the mode says:
 * badutf8 appends bad_strings[i], longstrings pads it to long_len bytes. */
static void out_name(const char *s, unsigned i, unsigned flags) {
        out_str("\"");
        for (const char *p = s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        out_str("\\");
                out_raw(p, 1);
        }
        if (mode->bad_utf8 && (!(flags & NAME_INFO) || mode->bad_utf8_info))
                out_str(bad_strings[i % N_BAD_STRINGS]);
        if (mode->long_len && (flags & NAME_LONG)) {
                /* 3-byte characters, so that a cut at any byte lands inside one */
                static const char pattern[] = "-\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"; /* -日本語 */
                for (size_t n = strlen(s); n + sizeof pattern - 1 <= mode->long_len; n += sizeof pattern - 1)
                        out_raw(pattern, sizeof pattern - 1);
        }
        out_str("\"");
}

/* maxed: a JSON string of s padded with fill to exactly len bytes (ASCII). */
static void out_padded(const char *s, char fill, size_t len) {
        size_t n = strlen(s);
        out_str("\"");
        out_raw(s, n < len ? n : len);
        for (; n < len; n++)
                out_raw(&fill, 1);
        out_str("\"");
}

/* fat: a member of mode->fat_len bytes of empty objects, [{},{},...], for
 * the entry at index 1 of a list: what jansson needs most memory for. */
static void out_fat(unsigned i) {
        static char chunk[3 * 4096];
        if (!mode->fat_len || i != 1)
                return;
        if (!chunk[0])
                for (size_t k = 0; k < sizeof chunk; k += 3)
                        memcpy(chunk + k, "{},", 3);
        out_str(", \"fat\": [");
        for (size_t n = 0; n + sizeof chunk < mode->fat_len; n += sizeof chunk)
                out_raw(chunk, sizeof chunk);
        out_str("{}]");
}

/* ---- replies (shapes as qemu-ga 7.2 sends them) ---- */

static void reply_error(const char *cmd) {
        static const char pattern[] = "\xe6\x8b\x92"; /* 拒 */
        out_fmt("{\"error\": {\"class\": \"GenericError\", \"desc\": \"%s: " ERROR_TEXT, cmd);
        for (size_t n = 0; n < ERROR_TEXT_LEN; n += sizeof pattern - 1)
                out_str(pattern);
        out_str("\"}}\n");
}

static void reply_info(void) {
        if (mode->wrong_types)
                /* the daemon parses this one itself: libvirt passes it through */
                out_str("{\"return\": {\"version\": 7.2, \"supported_commands\": ["
                        "{\"name\": 42, \"enabled\": \"yes\"}, [\"guest-ping\"], \"guest-info\", null, "
                        "{\"name\": {\"nested\": true}, \"enabled\": true}, "
                        "{\"name\": [\"guest-get-users\"], \"enabled\": 1}, ");
        else {
                out_str("{\"return\": {\"version\": ");
                out_name(VERSION, 0, NAME_LONG | NAME_INFO);
                out_str(", \"supported_commands\": [");
        }
        for (size_t i = 0, n = 0; i < N_COMMANDS; i++) {
                if (!has_command(commands[i]))
                        continue;
                /* old agents (before qemu-ga 1.7) do not say success-response */
                out_fmt("%s{\"enabled\": %s, \"name\": \"%s\"%s", n++ ? ", " : "",
                        in_list(mode->disabled, commands[i]) ? "false" : "true", commands[i],
                        mode->old_shapes ? "" : ", \"success-response\": true");
                out_fat((unsigned) i);
                out_str("}");
        }
        /* maxed: made-up commands with names as long as a kept one may be */
        for (unsigned i = 0; mode->maxed && i < MAXED_COMMANDS; i++) {
                char name[32];
                snprintf(name, sizeof name, "guest-maxed-%04u-", i);
                out_str(", {\"enabled\": true, \"name\": ");
                out_padded(name, 'c', MAXED_STRUCT_LEN);
                out_str(", \"success-response\": true}");
        }
        out_str("]}}\n");
}

static void reply_osinfo(void) {
        static const char *const keys[] = { "id",      "name",       "pretty-name",    "version",        "version-id",
                                            "variant", "variant-id", "kernel-release", "kernel-version", "machine" };
        const char *values[] = { "hostile", "Hostile Agent", "Hostile Agent 1.0", "1.0", "1.0", "Test", "test", "", "",
                                 "" };
        struct utsname u;

        if (mode->wrong_types) {
                out_str("{\"return\": {\"id\": 42, \"name\": {\"a\": 1}, \"pretty-name\": [\"x\"], "
                        "\"version\": true, \"version-id\": null, \"variant\": 1e308, \"variant-id\": -1, "
                        "\"kernel-release\": {}, \"kernel-version\": [], \"machine\": \"x86_64\"}}\n");
                return;
        }
        uname(&u);
        values[7] = u.release;
        values[8] = u.version;
        values[9] = u.machine;
        out_str("{\"return\": {");
        for (unsigned i = 0; i < 10; i++) {
                out_fmt("%s\"%s\": ", i ? ", " : "", keys[i]);
                /* longstrings: 1 MiB in name, pretty-name and version. More
                 * would pass libvirt's 10 MB limit, but libvirt reads 8 MiB
                 * in ~3 s (a TCG guest, 1 KiB reads): the agent timeout. */
                out_name(values[i], i, (i >= 1 && i <= 3) || mode->maxed ? NAME_LONG : 0);
        }
        out_str("}}\n");
}

static void reply_hostname(void) {
        char name[256] = "";
        if (mode->wrong_types) {
                out_str("{\"return\": {\"host-name\": 12345}}\n");
                return;
        }
        gethostname(name, sizeof name - 1);
        out_str("{\"return\": {\"host-name\": ");
        out_name(name, 2, NAME_LONG);
        out_str("}}\n");
}

/* qemu-ga 10.0's guest-get-load, from the guest's own /proc/loadavg (the
 * guest's qemu-ga 7.2 lacks the command). */
static void reply_load(void) {
        double l1 = 0, l5 = 0, l15 = 0;
        FILE *f = fopen("/proc/loadavg", "r");

        if (mode->wrong_types) {
                out_str("{\"return\": {\"load1\": \"high\", \"load5\": [], \"load15\": -1}}\n");
                return;
        }
        if (f) {
                if (fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) != 3)
                        l1 = l5 = l15 = 0;
                fclose(f);
        }
        out_fmt("{\"return\": {\"load1\": %.2f, \"load5\": %.2f, \"load15\": %.2f}}\n", l1, l5, l15);
}

static void reply_timezone(void) {
        if (mode->wrong_types)
                out_str("{\"return\": {\"zone\": 5, \"offset\": \"32400\"}}\n");
        else {
                out_str("{\"return\": {\"zone\": ");
                out_name("UTC", 0, mode->maxed ? NAME_LONG : 0);
                out_str(", \"offset\": 0}}\n");
        }
}

static void reply_users(void) {
        /* longstrings: three users with 1 MiB names */
        unsigned n = mode->users ? mode->users : mode->long_len ? 3 : 1;
        if (mode->wrong_types) {
                out_str("{\"return\": {\"user\": \"root\", \"login-time\": \"yesterday\"}}\n");
                return;
        }
        out_str("{\"return\": [");
        for (unsigned i = 0; i < n; i++) {
                char name[32];
                snprintf(name, sizeof name, n > 1 ? "user%06u" : "hostile", i);
                out_str(i ? ", {\"user\": " : "{\"user\": ");
                out_name(name, i, NAME_LONG);
                if (mode->maxed) {
                        out_str(", \"domain\": ");
                        out_name("CORP", i, NAME_LONG);
                } else if (i % 3 == 2)
                        out_str(", \"domain\": \"CORP\"");
                /* old: no login time (libvirt's typed call refuses the reply) */
                if (!mode->old_shapes)
                        out_fmt(", \"login-time\": %u.5", 1700000000u + i);
                out_fat(i);
                out_str("}");
        }
        out_str("]}\n");
}

static void reply_fsinfo(void) {
        unsigned n = mode->filesystems ? mode->filesystems : 1;
        if (mode->wrong_types) {
                out_str("{\"return\": [{\"name\": 1, \"mountpoint\": [\"/\"], \"type\": {}, "
                        "\"disk\": {\"serial\": 7}, \"used-bytes\": \"lots\", \"total-bytes\": -5}]}\n");
                return;
        }
        out_str("{\"return\": [");
        for (unsigned i = 0; mode->maxed && i < n; i++) {
                char mount[32];
                snprintf(mount, sizeof mount, "/mnt/fs%05u", i);
                out_str(i ? ", {\"name\": " : "{\"name\": ");
                out_name("vda", i, NAME_LONG);
                out_str(", \"mountpoint\": ");
                out_name(mount, i, NAME_LONG);
                out_str(", \"type\": ");
                out_name("ext4", i, NAME_LONG);
                out_fmt(", \"used-bytes\": %u, \"total-bytes\": 1073741824, \"disk\": [", 4096 * (i + 1));
                /* the first filesystems have more disks than are kept */
                for (unsigned d = 0; d < (i < 4 ? MAXED_DISKS : 1); d++) {
                        out_str(d ? ", {\"serial\": " : "{\"serial\": ");
                        out_padded("HOSTILE-", 'S', 200);
                        out_str(", \"bus-type\": ");
                        out_padded("virtio", 'b', 40);
                        out_str(", \"dev\": ");
                        out_padded("/dev/vd", 'd', 300);
                        /* libvirt refuses a disk without its address */
                        out_fmt(", \"bus\": 0, \"target\": 0, \"unit\": %u, \"pci-controller\": {\"domain\": 0, "
                                "\"bus\": 0, \"slot\": 4, \"function\": 0}}",
                                d);
                }
                out_str("]}");
        }
        for (unsigned i = 0; !mode->maxed && i < n; i++) {
                char mount[32];
                snprintf(mount, sizeof mount, n > 1 ? "/mnt/fs%05u" : "/data", i);
                out_str(i ? ", {\"name\": \"vda\", \"mountpoint\": " : "{\"name\": \"vda\", \"mountpoint\": ");
                out_name(mount, i, 0);
                out_fmt(", \"type\": \"ext4\", \"used-bytes\": %u, \"total-bytes\": 1073741824", 4096 * (i + 1));
                /* old: no disk list (libvirt's typed call refuses the reply) */
                if (!mode->old_shapes)
                        out_fmt(", \"disk\": [{\"serial\": \"HOSTILE-%05u\", \"bus-type\": \"virtio\", \"bus\": 0, "
                                "\"target\": 0, \"unit\": 0, \"pci-controller\": {\"domain\": 0, \"bus\": 0, "
                                "\"slot\": 4, \"function\": 0}, \"dev\": \"/dev/vda\"}]",
                                i);
                out_fat(i);
                out_str("}");
        }
        out_str("]}\n");
}

static void out_address(bool first, int family, const void *addr, unsigned prefix) {
        char buf[INET6_ADDRSTRLEN] = "";
        inet_ntop(family, addr, buf, sizeof buf);
        out_fmt("%s{\"ip-address-type\": \"%s\", \"ip-address\": \"%s\"", first ? "" : ", ",
                family == AF_INET6 ? "ipv6" : "ipv4", buf);
        /* old: no prefix (libvirt's typed call refuses the reply) */
        if (!mode->old_shapes)
                out_fmt(", \"prefix\": %u", prefix);
        out_str("}");
}

static unsigned prefix_len(const struct sockaddr *mask) {
        const uint8_t *m;
        size_t n;
        unsigned bits = 0;
        if (!mask)
                return 0;
        if (mask->sa_family == AF_INET) {
                m = (const uint8_t *) &((const struct sockaddr_in *) mask)->sin_addr;
                n = 4;
        } else {
                m = (const uint8_t *) &((const struct sockaddr_in6 *) mask)->sin6_addr;
                n = 16;
        }
        for (size_t i = 0; i < n; i++)
                bits += (unsigned) __builtin_popcount(m[i]);
        return bits;
}

/* The guest's real interfaces (lo, eth0), then mode->interfaces made-up ones. */
static void reply_interfaces(void) {
        struct ifaddrs *ifa = NULL;
        unsigned n = 0;

        if (mode->wrong_types) {
                out_str("{\"return\": [{\"name\": 0, \"hardware-address\": {}, \"ip-addresses\": \"none\"}, "
                        "{\"name\": \"eth0\", \"ip-addresses\": "
                        "[{\"ip-address-type\": 4, \"ip-address\": [], \"prefix\": \"24\"}]}]}\n");
                return;
        }
        out_str("{\"return\": [");
        if (getifaddrs(&ifa) == 0) {
                for (struct ifaddrs *p = ifa; p; p = p->ifa_next) {
                        if (!p->ifa_addr || p->ifa_addr->sa_family != AF_PACKET)
                                continue;
                        const uint8_t *mac = ((const struct sockaddr_ll *) p->ifa_addr)->sll_addr;
                        out_str(n ? ", {\"name\": " : "{\"name\": ");
                        out_name(p->ifa_name, n++, 0);
                        out_fmt(", \"hardware-address\": \"%02x:%02x:%02x:%02x:%02x:%02x\", \"ip-addresses\": [",
                                mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
                        bool first = true;
                        for (struct ifaddrs *a = ifa; a; a = a->ifa_next) {
                                if (!a->ifa_addr || strcmp(a->ifa_name, p->ifa_name) != 0)
                                        continue;
                                if (a->ifa_addr->sa_family == AF_INET)
                                        out_address(first, AF_INET, &((struct sockaddr_in *) a->ifa_addr)->sin_addr,
                                                    prefix_len(a->ifa_netmask));
                                else if (a->ifa_addr->sa_family == AF_INET6)
                                        out_address(first, AF_INET6, &((struct sockaddr_in6 *) a->ifa_addr)->sin6_addr,
                                                    prefix_len(a->ifa_netmask));
                                else
                                        continue;
                                first = false;
                        }
                        out_str("]}");
                }
                freeifaddrs(ifa);
        }
        for (unsigned k = 0; mode->maxed && k < mode->interfaces; k++) {
                char mac[32];
                snprintf(mac, sizeof mac, "02:00:00:00:%02x:%02x:", k / 256, k % 256);
                out_fmt("%s{\"name\": ", n++ ? ", " : "");
                out_name("fake", k, NAME_LONG);
                out_str(", \"hardware-address\": ");
                out_padded(mac, 'a', MAXED_STRUCT_LEN);
                out_str(", \"ip-addresses\": [");
                for (unsigned a = 0; a < MAXED_ADDRESSES; a++) {
                        char addr[64];
                        snprintf(addr, sizeof addr, a % 2 ? "fe80::%x:%x%%" : "10.%u.%u.1%%", k, a);
                        out_fmt("%s{\"ip-address-type\": \"%s\", \"ip-address\": ", a ? ", " : "",
                                a % 2 ? "ipv6" : "ipv4");
                        out_padded(addr, 'z', MAXED_STRUCT_LEN);
                        out_fmt(", \"prefix\": %u}", a % 2 ? 64 : 24);
                }
                out_str("]}");
        }
        for (unsigned k = 0; !mode->maxed && k < mode->interfaces; k++) {
                struct in_addr a = { htonl(0x0a000001u + (k << 8)) }; /* 10.0.k.1 */
                out_fmt("%s{\"name\": \"fake%04u\", \"hardware-address\": \"02:00:00:00:%02x:%02x\", "
                        "\"ip-addresses\": [",
                        n++ ? ", " : "", k, k / 256, k % 256);
                out_address(true, AF_INET, &a, 24);
                out_str("]");
                out_fat(k);
                out_str("}");
        }
        out_str("]}\n");
}

/* ---- commands ---- */

/* The value of "key" in a JSON line: a string's contents (no unescaping:
 * command names are plain) or a number's digits, copied to buf. Good
 * enough for what libvirt sends. */
static bool json_field(const char *line, const char *key, bool string, char *buf, size_t size) {
        char pattern[64];
        snprintf(pattern, sizeof pattern, "\"%s\"", key);
        const char *p = strstr(line, pattern);
        if (!p)
                return false;
        p += strlen(pattern);
        p += strspn(p, " \t");
        if (*p++ != ':')
                return false;
        p += strspn(p, " \t");
        if (string && *p++ != '"')
                return false;
        size_t n = string ? strcspn(p, "\"") : strspn(p, "-0123456789");
        if (n == 0 || n >= size)
                return false;
        memcpy(buf, p, n);
        buf[n] = '\0';
        return true;
}

static void handle_line(const char *line) {
        static unsigned bad_turn;
        char cmd[64], id[32] = "0";

        if (!json_field(line, "execute", true, cmd, sizeof cmd))
                return; /* not a command: ignored, as qemu-ga does */
        out.failed = false;
        if (strcmp(cmd, "guest-sync") == 0 || strcmp(cmd, "guest-sync-delimited") == 0) {
                /* libvirt matches the id; the delimited form starts with 0xFF */
                json_field(line, "id", false, id, sizeof id);
                if (strcmp(cmd, "guest-sync-delimited") == 0)
                        out_str("\xff");
                out_fmt("{\"return\": %s}\n", id);
        } else if (mode->bad_json)
                out_str(bad_replies[bad_turn++ % N_BAD_REPLIES]);
        else if (!has_command(cmd))
                out_fmt("{\"error\": {\"class\": \"CommandNotFound\", "
                        "\"desc\": \"The command %s has not been found\"}}\n",
                        cmd);
        else if (in_list(mode->disabled, cmd))
                /* qemu-ga's words for a command its admin blocked */
                out_fmt("{\"error\": {\"class\": \"GenericError\", "
                        "\"desc\": \"The command %s has been disabled for this instance\"}}\n",
                        cmd);
        else if (mode->error_replies && strcmp(cmd, "guest-ping") != 0 && strcmp(cmd, "guest-info") != 0)
                reply_error(cmd);
        else if (strcmp(cmd, "guest-ping") == 0)
                out_str("{\"return\": {}}\n");
        else if (strcmp(cmd, "guest-info") == 0)
                reply_info();
        else if (strcmp(cmd, "guest-get-osinfo") == 0)
                reply_osinfo();
        else if (strcmp(cmd, "guest-get-host-name") == 0)
                reply_hostname();
        else if (strcmp(cmd, "guest-get-timezone") == 0)
                reply_timezone();
        else if (strcmp(cmd, "guest-get-users") == 0)
                reply_users();
        else if (strcmp(cmd, "guest-get-fsinfo") == 0)
                reply_fsinfo();
        else if (strcmp(cmd, "guest-get-disks") == 0)
                out_str("{\"return\": []}\n");
        else if (strcmp(cmd, "guest-network-get-interfaces") == 0)
                reply_interfaces();
        else if (strcmp(cmd, "guest-get-load") == 0)
                reply_load();
        else if (strcmp(cmd, "guest-fsfreeze-status") == 0)
                out_str(mode->wrong_types ? "{\"return\": {\"status\": 1}}\n" : "{\"return\": \"thawed\"}\n");
        else
                out_fmt("{\"error\": {\"class\": \"CommandNotFound\", "
                        "\"desc\": \"The command %s has not been found\"}}\n",
                        cmd);
        out_flush();
}

/* ---- the port ---- */

/* slow: lines wait here until they are due */
static struct {
        char line[1024];
        double due;
} slow[SLOW_MAX];
static size_t n_slow;

static unsigned n_logged;

static void take_line(const char *line) {
        char cmd[64];
        if (n_logged < LOG_COMMANDS_MAX && json_field(line, "execute", true, cmd, sizeof cmd) && ++n_logged)
                log_msg("<- %s%s", cmd, n_logged == LOG_COMMANDS_MAX ? " (no more logged)" : "");
        if (mode->silent)
                return;
        if (mode->delay_s == 0) {
                handle_line(line);
                return;
        }
        if (n_slow == SLOW_MAX)
                return; /* a full backlog drops what comes */
        size_t k = strnlen(line, sizeof slow[0].line - 1);
        memcpy(slow[n_slow].line, line, k);
        slow[n_slow].line[k] = '\0';
        slow[n_slow++].due = now() + mode->delay_s;
}

static void run_due(void) {
        while (n_slow > 0 && slow[0].due <= now()) {
                char line[sizeof slow[0].line];
                memcpy(line, slow[0].line, sizeof line);
                memmove(&slow[0], &slow[1], (n_slow - 1) * sizeof slow[0]);
                n_slow--;
                handle_line(line);
        }
}

/* Reads and answers on fd until `until` (monotonic seconds; 0: forever). */
static void serve(int fd, double until) {
        static char line[LINE_MAX_BYTES];
        static size_t len;
        static bool overlong;
        char buf[4096];

        out.fd = fd;
        for (;;) {
                double t = now(), next = t + 1;
                run_due();
                if (n_slow > 0 && slow[0].due < next)
                        next = slow[0].due;
                if (until > 0 && until < next)
                        next = until;
                if (until > 0 && t >= until)
                        return;

                struct pollfd p = { .fd = fd, .events = POLLIN };
                int r = poll(&p, 1, next > t ? (int) ((next - t) * 1000) + 1 : 0);
                if (r <= 0)
                        continue;
                ssize_t n = (p.revents & POLLIN) ? read(fd, buf, sizeof buf) : 0;
                if (n <= 0) {
                        /* POLLHUP / EOF: nobody on the host side yet. qemu-ga
                         * waits too; closing would tell the host we left. */
                        usleep(100 * 1000);
                        continue;
                }
                for (ssize_t i = 0; i < n; i++) {
                        char c = buf[i];
                        if (c == '\n' || (unsigned char) c == 0xff) {
                                /* 0xFF from the host resets the line, as in qemu-ga */
                                line[len] = '\0';
                                if (c == '\n' && !overlong)
                                        take_line(line);
                                len = 0;
                                overlong = false;
                        } else if (len < sizeof line - 1)
                                line[len++] = c;
                        else
                                overlong = true;
                }
        }
}

static const Mode *find_mode(const char *name) {
        for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
                if (strcmp(modes[i].name, name) == 0)
                        return &modes[i];
        return NULL;
}

/* hostile=MODE from the kernel command line, "good" without one. */
static const char *cmdline_mode(char *buf, size_t size) {
        FILE *f = fopen("/proc/cmdline", "re");
        char cmdline[4096] = "";
        if (f) {
                if (!fgets(cmdline, sizeof cmdline, f))
                        cmdline[0] = '\0';
                fclose(f);
        }
        for (char *save = NULL, *w = strtok_r(cmdline, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
                if (strncmp(w, "hostile=", 8) == 0) {
                        snprintf(buf, size, "%s", w + 8);
                        return buf;
                }
        return "good";
}

int main(int argc, char *argv[]) {
        char buf[64];
        const char *name, *port = PORT_DEFAULT;

        if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
                printf("usage: %s [MODE [PORT]]\n\nA guest agent that misbehaves. MODE (default: hostile=MODE "
                       "on the kernel command line, else good):\n",
                       argv[0]);
                for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
                        printf("  %-12s %s\n", modes[i].name, modes[i].what);
                printf("PORT defaults to %s.\n", PORT_DEFAULT);
                return 0;
        }
        name = argc > 1 ? argv[1] : cmdline_mode(buf, sizeof buf);
        if (argc > 2)
                port = argv[2];
        mode = find_mode(name);
        if (!mode) {
                log_msg("unknown mode '%s' (--help lists them)", name);
                return 2;
        }
        log_msg("mode %s: %s", mode->name, mode->what);

        do {
                int fd = open(port, O_RDWR | O_NONBLOCK | O_CLOEXEC);
                if (fd < 0) {
                        log_msg("cannot open %s: %s", port, strerror(errno));
                        return 1;
                }
                if (!mode->flap) {
                        serve(fd, 0);
                        return 0; /* not reached */
                }
                /* 50 ms open, 50 ms closed */
                serve(fd, now() + 0.05);
                close(fd);
                usleep(50 * 1000);
        } while (mode->flap);
        return 0;
}
