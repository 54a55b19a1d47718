#!/bin/sh
# Glue for demos and tests: a private libvirtd plus one running test guest.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
DOMAIN=guest1
DOMAIN_UUID=6b1d8c5e-0f4a-4d2b-9c3e-1a2b3c4d5e01

usage() {
    cat <<EOF
usage: $0 up STATE_DIR [SPEC_FILE]
       $0 down STATE_DIR
       $0 wait-agent URI DOMAIN [TIMEOUT_SECONDS]

up          stops an earlier run in STATE_DIR, builds the guest from
            SPEC_FILE (default tests/vm/guest.env) into STATE_DIR/guest,
            starts libvirtd (tests/vm/libvirtd.sh), defines and starts
            domain '$DOMAIN' (UUID $DOMAIN_UUID), prints the URI.
            It does not wait for the agent: use wait-agent.
down        destroys the domain and stops libvirtd and every QEMU it started.
wait-agent  waits (default 60 s) until the live XML shows the agent channel
            state='connected'; exits 1 on timeout.

Environment:
  VM_CACHE_DIR       kernel package cache (default STATE_DIR/../vm-cache)
  LIBVIRT_CACHE_DIR  QEMU capabilities cache (default VM_CACHE_DIR/libvirt)
Console log: STATE_DIR/guest/$DOMAIN-console.log
EOF
}

wait_agent() { # URI DOMAIN TIMEOUT
    n=0
    while [ "$n" -lt $(($3 * 10)) ]; do
        if virsh -q -c "$1" dumpxml "$2" 2>/dev/null |
            grep -q "<target type='virtio' name='org.qemu.guest_agent.0' state='connected'/>"; then
            return 0
        fi
        sleep 0.1
        n=$((n + 1))
    done
    echo "vm.sh: agent of $2 not connected after $3 s" >&2
    return 1
}

up() { # STATE_DIR SPEC_FILE
    # Rejects a STATE_DIR that libvirtd.sh cannot use, before creating it.
    "$HERE/libvirtd.sh" uri "$1" >/dev/null
    mkdir -p "$1"
    state=$(cd "$1" && pwd)
    cache=${VM_CACHE_DIR:-$(dirname "$state")/vm-cache}
    LIBVIRT_CACHE_DIR=${LIBVIRT_CACHE_DIR:-$cache/libvirt}
    export LIBVIRT_CACHE_DIR

    # Start from scratch: an earlier run may have been left up.
    down "$state"
    "$HERE/build-guest.sh" "$cache" "$state/guest" "$2"
    # Whatever fails from here on, leave nothing running.
    trap '"$HERE/libvirtd.sh" stop "$state"' EXIT
    uri=$("$HERE/libvirtd.sh" start "$state")
    "$HERE/domain-xml.sh" "$DOMAIN" "$DOMAIN_UUID" "$2" "$state/guest" > "$state/$DOMAIN.xml"
    virsh -q -c "$uri" define "$state/$DOMAIN.xml" >/dev/null
    virsh -q -c "$uri" start "$DOMAIN" >/dev/null
    trap - EXIT
    echo "$uri"
}

down() { # STATE_DIR
    [ -d "$1" ] || return 0
    uri=$("$HERE/libvirtd.sh" uri "$1")
    if [ -S "$1/sock/libvirt-sock" ]; then
        timeout 20 virsh -q -c "$uri" destroy "$DOMAIN" >/dev/null 2>&1 || true
    fi
    "$HERE/libvirtd.sh" stop "$1"
}

case ${1:-} in
    -h|--help) usage ;;
    up)
        [ $# -eq 2 ] || [ $# -eq 3 ] || { usage >&2; exit 2; }
        up "$2" "${3:-$HERE/guest.env}" ;;
    down)
        [ $# -eq 2 ] || { usage >&2; exit 2; }
        down "$2" ;;
    wait-agent)
        [ $# -eq 3 ] || [ $# -eq 4 ] || { usage >&2; exit 2; }
        wait_agent "$2" "$3" "${4:-60}" ;;
    *) usage >&2; exit 2 ;;
esac
