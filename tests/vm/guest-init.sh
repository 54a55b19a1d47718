#!/bin/sh
# /init of the test guest (busybox sh, PID 1). build-guest.sh copies it into
# the initramfs next to /etc/guest.env (the spec) and /etc/guest-modules
# (kernel modules in load order). Everything goes to the serial console.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

log() { echo "init: $*"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts

# shellcheck disable=SC1091 # written by build-guest.sh
. /etc/guest.env

# No modules.dep and no modprobe: load by path, dependencies first.
while read -r mod; do
    insmod "/lib/modules/$mod.ko" || log "insmod $mod failed"
done < /etc/guest-modules

hostname "$GUEST_HOSTNAME"

# Set addresses before "up" with DAD off, so they are usable at once, and
# ignore router advertisements (slirp announces fec0::/64), so the addresses
# are exactly the spec's plus the kernel's fe80:: link-local one.
set_addrs() { # IFACE IPV4 IPV6
    echo 0 > "/proc/sys/net/ipv6/conf/$1/accept_dad"
    echo 0 > "/proc/sys/net/ipv6/conf/$1/accept_ra"
    [ -z "$2" ] || ip addr add "$2" dev "$1"
    [ -z "$3" ] || ip -6 addr add "$3" dev "$1"
    ip link set "$1" up
}

ip link set lo up
if [ -e /sys/class/net/eth0 ]; then
    set_addrs eth0 "$GUEST_IPV4" "$GUEST_IPV6"
else
    log "no eth0"
fi

# dummy.ko creates dummy0 by itself unless numdummies=0; we create each one.
if [ -n "$GUEST_EXTRA_NICS" ]; then
    insmod /lib/modules/dummy.ko numdummies=0 || log "insmod dummy failed"
    for nic in $GUEST_EXTRA_NICS; do
        IFS=, read -r name ipv4 ipv6 mac <<EOF
$nic
EOF
        ip link add "$name" type dummy || { log "cannot add $name"; continue; }
        [ -z "$mac" ] || ip link set "$name" address "$mac"
        set_addrs "$name" "$ipv4" "$ipv6"
    done
fi

# No udevd: write the udev database entries that qemu-ga's libudev reads for
# disk serials (ID_SERIAL), from what virtio_blk shows in sysfs.
mkdir -p /run/udev/data
data_dev=
tries=0
while [ -z "$data_dev" ] && [ "$tries" -lt 50 ]; do
    for blk in /sys/class/block/*; do
        [ -e "$blk/dev" ] || continue
        name=${blk##*/}
        serial=
        [ ! -r "$blk/serial" ] || serial=$(cat "$blk/serial")
        [ -n "$serial" ] || continue
        printf 'E:ID_SERIAL=%s\n' "$serial" > "/run/udev/data/b$(cat "$blk/dev")"
        [ "$serial" != "$DATA_DISK_SERIAL" ] || data_dev=/dev/$name
    done
    [ -n "$data_dev" ] || { tries=$((tries + 1)); sleep 0.1; }
done

if [ -n "$data_dev" ]; then
    mkdir -p "$DATA_DISK_MOUNT"
    mount -t ext4 "$data_dev" "$DATA_DISK_MOUNT" || log "cannot mount $data_dev"
else
    log "no disk with serial $DATA_DISK_SERIAL"
fi

for m in $GUEST_EXTRA_MOUNTS; do
    type=${m%%:*}
    path=${m#*:}
    mkdir -p "$path"
    if [ "$type" = bind ]; then
        mount --bind "$DATA_DISK_MOUNT" "$path" || log "cannot bind $path"
    else
        mount -t "$type" "$type" "$path" || log "cannot mount $type on $path"
    fi
done

# No udev either for /dev/virtio-ports/<name>; ports can appear after the
# driver loaded, so refresh the links before each agent start.
link_ports() {
    mkdir -p /dev/virtio-ports
    for port in /sys/class/virtio-ports/*; do
        [ -r "$port/name" ] || continue
        pname=$(cat "$port/name")
        [ -n "$pname" ] || continue
        ln -sf "../${port##*/}" "/dev/virtio-ports/$pname"
    done
}

log "up: $(hostname), agent loop starting"
# The agent in a restart loop: tests kill it and expect it back ~1 s later.
# Without an agent channel (a --no-agent domain) this just waits.
# GUEST_AGENT=hostile (guest-hostile.env) runs tests/vm/hostile-agent.c
# instead of qemu-ga; it reads its mode (hostile=MODE) from /proc/cmdline.
agent_port=/dev/virtio-ports/org.qemu.guest_agent.0
agent=qemu-ga
[ "${GUEST_AGENT:-qemu-ga}" != hostile ] || agent=hostile-agent
while :; do
    link_ports
    if [ -e "$agent_port" ]; then
        if [ "$agent" = qemu-ga ]; then
            qemu-ga -m virtio-serial -p "$agent_port"
        else
            hostile-agent
        fi
        log "$agent exited ($?), restarting"
    fi
    sleep 1
done
