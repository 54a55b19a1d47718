/* mkutmp: write utmp USER_PROCESS records for the test guest.
 *
 * Usage: mkutmp OUTPUT NAME:EPOCH[.FRACTION]...
 *
 * qemu-ga's guest-get-users reads /run/utmp with getutxent() and reports each
 * USER_PROCESS user once, with the earliest login time. The guest runs the
 * host's own libc (build-guest.sh copies it in), so the host's struct utmpx
 * is exactly the layout the guest reads. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utmpx.h>

static int parse_entry(const char *arg, struct utmpx *ut, int index) {
        const char *colon = strrchr(arg, ':');
        char *end;
        size_t name_len;
        long long sec;
        long usec = 0;
        char id[8];

        if (!colon || colon == arg)
                return -1;
        name_len = (size_t) (colon - arg);
        if (name_len >= sizeof(ut->ut_user))
                return -1;

        sec = strtoll(colon + 1, &end, 10);
        if (end == colon + 1 || sec < 0)
                return -1;
        if (*end == '.') {
                /* Up to 6 fraction digits, read as microseconds. */
                long scale = 100000;
                for (end++; *end >= '0' && *end <= '9' && scale > 0; end++, scale /= 10)
                        usec += (*end - '0') * scale;
        }
        if (*end != '\0')
                return -1;

        memset(ut, 0, sizeof(*ut));
        ut->ut_type = USER_PROCESS;
        ut->ut_pid = 1000 + index; /* qemu-ga does not check it */
        snprintf(ut->ut_line, sizeof(ut->ut_line), "pts/%d", index);
        snprintf(id, sizeof(id), "%d", index % 10000);
        memcpy(ut->ut_id, id, strlen(id)); /* 4 chars, no NUL needed */
        memcpy(ut->ut_user, arg, name_len);
        ut->ut_tv.tv_sec = (int32_t) sec;
        ut->ut_tv.tv_usec = (int32_t) usec;
        return 0;
}

int main(int argc, char **argv) {
        FILE *out;

        if (argc < 2) {
                fprintf(stderr, "usage: %s OUTPUT NAME:EPOCH[.FRACTION]...\n", argv[0]);
                return 2;
        }
        out = fopen(argv[1], "wb");
        if (!out) {
                perror(argv[1]);
                return 1;
        }
        for (int i = 2; i < argc; i++) {
                struct utmpx ut;

                if (parse_entry(argv[i], &ut, i - 2) < 0) {
                        fprintf(stderr, "mkutmp: bad entry '%s' (want NAME:EPOCH[.FRACTION])\n", argv[i]);
                        fclose(out);
                        return 2;
                }
                if (fwrite(&ut, sizeof(ut), 1, out) != 1) {
                        perror(argv[1]);
                        fclose(out);
                        return 1;
                }
        }
        if (fclose(out) != 0) {
                perror(argv[1]);
                return 1;
        }
        return 0;
}
