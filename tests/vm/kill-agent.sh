#!/bin/sh
# Kill (or freeze for a while) qemu-ga inside a running test guest, through
# the agent itself (guest-exec). The guest's /init restarts qemu-ga 1 s after
# it dies, so libvirt sees agent-lifecycle "disconnected", then "connected".
set -eu

usage() {
    cat <<EOF
usage: $0 URI DOMAIN [--signal SIG | --hang SECONDS]

  (default)       kill -KILL qemu-ga: disconnected ~0.5 s after this returns,
                  connected again ~1 s later
  --signal SIG    send SIG instead (TERM, KILL, ...)
  --hang SECONDS  SIGSTOP qemu-ga, SIGCONT it SECONDS later: the channel stays
                  connected but the agent does not answer

The signal is sent 0.5 s after guest-exec returns, so the agent's answer to
guest-exec always gets out first. Returns once guest-exec was accepted.
EOF
}

case ${1:-} in -h|--help) usage; exit 0 ;; esac
[ $# -eq 2 ] || [ $# -eq 4 ] || { usage >&2; exit 2; }
URI=$1
DOMAIN=$2

# Runs in the guest's busybox sh, in the background, detached from qemu-ga.
# shellcheck disable=SC2016 # $(...) runs in the guest
action='kill -KILL $(pidof qemu-ga)'
if [ $# -eq 4 ]; then
    case $3 in
        --signal)
            echo "$4" | grep -qxE '[A-Z0-9]+' || { echo "kill-agent: bad signal '$4'" >&2; exit 2; }
            action="kill -$4 \$(pidof qemu-ga)" ;;
        --hang)
            echo "$4" | grep -qxE '[0-9]+(\.[0-9]+)?' || { echo "kill-agent: bad seconds '$4'" >&2; exit 2; }
            action="pid=\$(pidof qemu-ga); kill -STOP \$pid; sleep $4; kill -CONT \$pid" ;;
        *) usage >&2; exit 2 ;;
    esac
fi

script="(sleep 0.5; $action) >/dev/null 2>&1 &"
virsh -q -c "$URI" qemu-agent-command "$DOMAIN" \
    "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/bin/sh\",\"arg\":[\"-c\",\"$script\"]}}" \
    >/dev/null
