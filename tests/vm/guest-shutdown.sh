#!/bin/sh
# /sbin/shutdown of the test guest. qemu-ga's guest-shutdown runs
# "/sbin/shutdown -P|-H|-r +0 MESSAGE" and wants it to exit 0. There is no
# real init to ask, so power off/halt/reboot directly (needs ACPI in the
# domain for power off), a moment later so qemu-ga can answer first.
action=poweroff
for arg in "$@"; do
    case $arg in
        -r) action=reboot ;;
        -H) action=halt ;;
        -P|-h) action=poweroff ;;
    esac
done
echo "shutdown: $action" > /dev/console
sync
( sleep 1; "$action" -f ) > /dev/null 2>&1 < /dev/null &
exit 0
