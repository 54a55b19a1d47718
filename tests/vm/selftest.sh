#!/bin/sh
# Checks the VM test environment end to end: boots guest1 from guest.env,
# checks what the agent reports, kills the agent and watches it come back,
# boots a second domain without agent, then tears everything down and checks
# that no process and no mount is left. Prints timings and
# "N passed, N failed".
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)

usage() {
    cat <<EOF
usage: $0 STATE_DIR

Uses vm.sh (VM_CACHE_DIR and LIBVIRT_CACHE_DIR apply) with tests/vm/guest.env.
STATE_DIR is stopped and reused; logs stay there (events.log, console logs).
EOF
}

case ${1:-} in -h|--help) usage; exit 0 ;; esac
[ $# -eq 1 ] || { usage >&2; exit 2; }
mkdir -p "$1"
STATE=$(cd "$1" && pwd)
SPEC=$HERE/guest.env
# shellcheck disable=SC1090
. "$SPEC"

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { # DESCRIPTION COMMAND...
    desc=$1
    shift
    if "$@"; then ok "$desc"; else fail "$desc"; fi
}
not() { ! "$@"; }
state_is() { [ "$(v domstate "$1")" = "$2" ]; }
# The host's own libvirt folders: absent, or nothing in them newer than this run.
untouched() { [ ! -e "$1" ] || [ -z "$(find "$1" -newer "$STATE/guest1.xml")" ]; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# Waits up to $3 s for $2 lines matching the extended regex $1 in events.log.
wait_events() {
    n=0
    while [ "$n" -lt $(($3 * 10)) ]; do
        [ "$(grep -cE "$1" "$STATE/events.log")" -lt "$2" ] || return 0
        sleep 0.1
        n=$((n + 1))
    done
    return 1
}

EVENT_PID=
cleanup() {
    [ -z "$EVENT_PID" ] || kill "$EVENT_PID" 2>/dev/null || true
    "$HERE/vm.sh" down "$STATE" || true
}
trap cleanup EXIT

"$HERE/vm.sh" down "$STATE"
rm -rf "$STATE/guest"

t=$(now)
URI=$("$HERE/vm.sh" up "$STATE" "$SPEC")
echo "time: build + libvirtd + define + start: $(since "$t")"
v() { virsh -q -c "$URI" "$@"; }
t=$(now)

v event --all --loop --timestamp > "$STATE/events.log" 2>&1 &
EVENT_PID=$!

check "agent connected" "$HERE/vm.sh" wait-agent "$URI" guest1 90
echo "time: start to agent connected: $(since "$t")"

info=$(v guestinfo guest1)
# has KEY_REGEX VALUE: a "key : value" line of virsh guestinfo, value exact.
has() {
    printf '%s\n' "$info" | awk -v key="^($1)\$" -v val="$2" '
        { k = $0; sub(/ *: .*/, "", k); v = substr($0, index($0, ": ") + 2) }
        k ~ key && v == val { found = 1 }
        END { exit !found }'
}
check "hostname" has hostname "$GUEST_HOSTNAME"
check "os.id" has os.id "$OS_ID"
check "os.pretty-name" has os.pretty-name "$OS_PRETTY_NAME"
check "os.variant-id" has os.variant-id "$OS_VARIANT_ID"
check "timezone" has timezone.name "$(TZ=$GUEST_TIMEZONE date +%Z)"
check "first user" has user.0.name "${GUEST_USERS%%:*}"
check "data disk serial" has 'fs[.][0-9]+[.]disk[.]0[.]serial' "$DATA_DISK_SERIAL"
check "data disk mount" has 'fs[.][0-9]+[.]mountpoint' "$DATA_DISK_MOUNT"
check "eth0 MAC" has 'if[.][0-9]+[.]hwaddr' "$GUEST_MAC"
check "eth0 IPv4" has 'if[.][0-9]+[.]addr[.][0-9]+[.]addr' "${GUEST_IPV4%/*}"
check "eth0 IPv6" has 'if[.][0-9]+[.]addr[.][0-9]+[.]addr' "${GUEST_IPV6%/*}"
agent_info() { v qemu-agent-command guest1 '{"execute":"guest-info"}' | grep -q '"version"'; }
check "guest-info" agent_info

t=$(now)
check "kill-agent" "$HERE/kill-agent.sh" "$URI" guest1
check "event disconnected" wait_events "agent-lifecycle.*'disconnected' reason: 'channel event'" 1 20
echo "time: kill-agent to disconnected event: $(since "$t")"
# One "connected" at boot, one now.
check "event connected again" wait_events "agent-lifecycle.*'connected' reason: 'channel event'" 2 20
echo "time: kill-agent to connected event: $(since "$t")"
check "live XML connected again" "$HERE/vm.sh" wait-agent "$URI" guest1 30

"$HERE/domain-xml.sh" guest2 6b1d8c5e-0f4a-4d2b-9c3e-1a2b3c4d5e02 "$SPEC" "$STATE/guest" --no-agent > "$STATE/guest2.xml"
check "no-agent: no channel" not grep -q '<channel' "$STATE/guest2.xml"
v define "$STATE/guest2.xml" >/dev/null
t=$(now)
check "no-agent: start" v start guest2
sleep 5
check "no-agent: running" state_is guest2 running
check "no-agent: destroy" v destroy guest2
check "no-agent: shut off" state_is guest2 "shut off"

LIBVIRTD_PID=$(cat "$STATE/libvirtd.pid")
QEMU_PID=$(cat "$STATE/run/libvirt/qemu/guest1.pid")
kill "$EVENT_PID" 2>/dev/null || true
EVENT_PID=
t=$(now)
"$HERE/vm.sh" down "$STATE"
echo "time: down: $(since "$t")"
# A zombie is gone too: only its parent (PID 1 by now) can reap it.
gone() { ! ps -o stat= -p "$1" | grep -qv Z; }
check "libvirtd gone" gone "$LIBVIRTD_PID"
check "QEMU gone" gone "$QEMU_PID"
no_mount() { ! findmnt -rn -o SOURCE,TARGET | grep -qF "$STATE"; }
check "no mount left" no_mount
for d in /var/lib/libvirt /run/libvirt /var/log/libvirt /var/cache/libvirt; do
    check "host $d untouched" untouched "$d"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
