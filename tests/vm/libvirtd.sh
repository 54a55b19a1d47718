#!/bin/sh
# Start/stop a private libvirtd with the QEMU driver, for tests. It runs in its
# own mount namespace where folders under STATE_DIR are bind-mounted over
# /etc/libvirt, /var/lib, /var/cache, /var/log and /run, so the machine's own
# files stay untouched and nothing is mounted on the host.
set -eu

usage() {
    cat <<EOF
usage: $0 start STATE_DIR    start libvirtd, print its URI on stdout
       $0 stop STATE_DIR     stop libvirtd and every QEMU it started
       $0 uri STATE_DIR      print the URI

STATE_DIR (created if needed) holds the configuration, the state, the logs
(STATE_DIR/libvirtd.log, STATE_DIR/var/log/libvirt/qemu/<domain>.log) and
STATE_DIR/libvirtd.pid. The URI is qemu+unix:///system?socket=STATE_DIR/sock/libvirt-sock.
STATE_DIR must not lie under /run, /var/lib, /var/cache, /var/log or /etc/libvirt.

Environment:
  LIBVIRTD_DRIVER    "qemu" (default) or "test": libvirt's built-in test
                     hypervisor served over the socket, no QEMU at all; the
                     URI is then test+unix:///default?socket=...
  LIBVIRTD_KEEP_STATE  1: keep the runtime state of the previous libvirtd
                     (restart after a crash: it reconnects to running QEMUs)
  LIBVIRT_CACHE_DIR  optional folder used as /var/cache/libvirt, to keep QEMU's
                     capabilities between runs (saves the ~4 s first probe)
EOF
}

die() { echo "libvirtd.sh: $*" >&2; exit 1; }

case ${1:-} in -h|--help) usage; exit 0 ;; esac
[ $# -eq 2 ] || { usage >&2; exit 2; }
CMD=$1
STATE=$(realpath -m "$2")
case $STATE/ in
    /run/*|/var/run/*|/var/lib/*|/var/cache/*|/var/log/*|/etc/libvirt/*)
        die "STATE_DIR $STATE is hidden inside the namespace; use another folder" ;;
esac

SOCKET=$STATE/sock/libvirt-sock
DRIVER=${LIBVIRTD_DRIVER:-qemu}
case $DRIVER in
    qemu) URI="qemu+unix:///system?socket=$SOCKET" ;;
    test) URI="test+unix:///default?socket=$SOCKET" ;;
    *) die "LIBVIRTD_DRIVER must be qemu or test, not '$DRIVER'" ;;
esac
CONF=$STATE/etc/libvirtd.conf
PIDFILE=$STATE/libvirtd.pid

# The PID in $PIDFILE, if that process is still ours: its command line has
# STATE_DIR (unshare/sh) or our config file (libvirtd), not a reused PID.
our_libvirtd_pid() {
    [ -f "$PIDFILE" ] || return 1
    pid=$(cat "$PIDFILE")
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    tr "\0" "\n" < "/proc/$pid/cmdline" | grep -qxF -e "$STATE" -e "$CONF" || return 1
    echo "$pid"
}

# True while PID $1 runs (a zombie does not count).
alive() {
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

# Wait up to $2 tenths of a second for PID $1 to exit.
wait_gone() {
    n=0
    while alive "$1"; do
        [ "$n" -lt "$2" ] || return 1
        sleep 0.1
        n=$((n + 1))
    done
}

# TERM, wait up to 5 s, then KILL.
terminate() {
    kill -TERM "$1" 2>/dev/null || return 0
    wait_gone "$1" 50 && return 0
    echo "libvirtd.sh: PID $1 ignored TERM, sending KILL" >&2
    kill -KILL "$1" 2>/dev/null || true
    wait_gone "$1" 50 || echo "libvirtd.sh: PID $1 still there" >&2
}

write_configs() {
    mkdir -p "$STATE/etc" "$STATE/sock" "$STATE/run" "$STATE/drivers" \
             "$STATE/var/lib/libvirt" "$STATE/var/cache/libvirt" \
             "$STATE/var/log/libvirt"
    cat > "$CONF" <<EOF
# Written by tests/vm/libvirtd.sh: local unix socket only, no auth.
unix_sock_dir = "$STATE/sock"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:file:$STATE/libvirtd.log"
EOF
    cat > "$STATE/etc/qemu.conf" <<EOF
# Written by tests/vm/libvirtd.sh. No virtlogd: QEMU's output goes to a file.
stdio_handler = "file"
# Plain root QEMU: no relabelling, no cgroups, no private /dev.
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
EOF
    # The test driver is built in: an empty driver folder keeps the others out.
    [ "$DRIVER" = qemu ] || return 0
    # Load only the QEMU driver: the network/nwfilter drivers would touch the
    # host's firewall and bridges.
    qemu_driver=
    for f in /usr/lib/*/libvirt/connection-driver/libvirt_driver_qemu.so; do
        [ ! -f "$f" ] || qemu_driver=$f
    done
    [ -n "$qemu_driver" ] || die "libvirt's QEMU driver is missing (package libvirt-daemon-driver-qemu)"
    ln -sf "$qemu_driver" "$STATE/drivers/"
}

# libvirtd looks these up before reading qemu.conf.
ensure_qemu_user() {
    getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
    getent passwd libvirt-qemu >/dev/null ||
        useradd --system --gid libvirt-qemu --no-create-home \
                --home-dir /var/lib/libvirt --shell /usr/sbin/nologin libvirt-qemu
}

start() {
    if pid=$(our_libvirtd_pid); then
        echo "libvirtd.sh: already running (PID $pid)" >&2
        echo "$URI"
        return 0
    fi
    command -v libvirtd >/dev/null || die "libvirtd not found (package libvirt-daemon)"
    [ -d /etc/libvirt ] || die "/etc/libvirt missing (package libvirt-clients)"
    [ "$DRIVER" = test ] || ensure_qemu_user
    # Runtime state of an earlier run (stale QEMU pidfiles and status XML)
    # must not be picked up: a real /run does not survive a reboot either.
    # LIBVIRTD_KEEP_STATE=1 keeps it: a restart after a crash, where libvirtd
    # reconnects to the QEMUs still running.
    [ "${LIBVIRTD_KEEP_STATE:-}" = 1 ] || rm -rf "$STATE/run"
    write_configs
    rm -f "$PIDFILE" "$SOCKET"

    cache=$STATE/var/cache/libvirt
    if [ -n "${LIBVIRT_CACHE_DIR:-}" ]; then
        mkdir -p "$LIBVIRT_CACHE_DIR"
        cache=$(cd "$LIBVIRT_CACHE_DIR" && pwd)
    fi

    # unshare without --fork execs sh, and sh execs libvirtd: $! is
    # libvirtd's PID. The mounts die with the namespace's last process.
    # Order matters: bind /var/cache before /var/cache/libvirt, /run last.
    # shellcheck disable=SC2016 # expanded by the inner sh
    env -u DBUS_SYSTEM_BUS_ADDRESS -u DBUS_SESSION_BUS_ADDRESS \
        LIBVIRT_DRIVER_DIR="$STATE/drivers" \
        unshare -m --propagation private sh -c '
            set -e
            mount --bind "$1/etc" /etc/libvirt
            mount --bind "$1/var/lib" /var/lib
            mount --bind "$1/var/cache" /var/cache
            mount --bind "$2" /var/cache/libvirt
            mount --bind "$1/var/log" /var/log
            mount --bind "$1/run" /run
            exec libvirtd -f "$1/etc/libvirtd.conf" -p /run/libvirtd.pid
        ' sh "$STATE" "$cache" \
        < /dev/null > "$STATE/libvirtd.out" 2>&1 &
    pid=$!
    echo "$pid" > "$PIDFILE"

    # Ready when the socket answers; give up after ~20 s.
    n=0
    until timeout 10 virsh -q -c "$URI" version >/dev/null 2>&1; do
        if ! alive "$pid" || [ "$n" -ge 200 ]; then
            echo "libvirtd.sh: libvirtd did not come up; output and log:" >&2
            cat "$STATE/libvirtd.out" >&2 || true
            tail -n 20 "$STATE/libvirtd.log" >&2 2>/dev/null || true
            stop
            exit 1
        fi
        sleep 0.1
        n=$((n + 1))
    done
    [ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$(command -v libvirtd)")" ] ||
        die "PID $pid is not libvirtd"
    echo "$URI"
}

# True if process $1 lives in our namespace: its /run is our STATE_DIR/run
# (/proc/PID/root resolves paths in that process's mount namespace).
in_our_namespace() {
    [ "$(stat -L -c %d:%i "/proc/$1/root/run" 2>/dev/null)" = "$RUN_ID" ]
}

# libvirt writes each QEMU's pidfile in its run folder (our
# STATE_DIR/run/libvirt/qemu); the namespace check guards against reused PIDs.
stop_qemus() {
    RUN_ID=$(stat -L -c %d:%i "$STATE/run")
    for f in "$STATE"/run/libvirt/qemu/*.pid; do
        [ -f "$f" ] || continue
        qpid=$(cat "$f")
        if [ -n "$qpid" ] && in_our_namespace "$qpid"; then
            terminate "$qpid"
        fi
    done
    # Anything else still in the namespace (e.g. a QEMU killed before libvirt
    # wrote its pidfile) is ours too.
    for p in /proc/[0-9]*; do
        in_our_namespace "${p#/proc/}" || continue
        echo "libvirtd.sh: killing leftover PID ${p#/proc/}" >&2
        kill -KILL "${p#/proc/}" 2>/dev/null || true
    done
}

stop() {
    if pid=$(our_libvirtd_pid); then
        terminate "$pid"
    fi
    [ ! -d "$STATE/run" ] || stop_qemus
    rm -f "$PIDFILE"
}

case $CMD in
    start) start ;;
    stop) stop ;;
    uri) echo "$URI" ;;
    *) usage >&2; exit 2 ;;
esac
