#!/bin/sh
# Print the libvirt domain XML of a test guest built by build-guest.sh.
set -eu

usage() {
    cat <<EOF
usage: $0 NAME UUID SPEC_FILE GUEST_DIR [--no-agent] [--agent-mode MODE]

Prints a <domain type='qemu'> (TCG, 256 MiB, 1 vCPU, ACPI) that boots
GUEST_DIR/vmlinuz + GUEST_DIR/initrd.img, with:
  - the qemu-ga channel org.qemu.guest_agent.0 (left out with --no-agent),
  - a virtio NIC on user-mode networking with GUEST_MAC from SPEC_FILE,
  - the data disk GUEST_DIR/NAME-data.img (virtio, <serial>DATA_DISK_SERIAL),
    copied from GUEST_DIR/data.img if missing, so no two domains share a
    writable disk,
  - the serial console written to GUEST_DIR/NAME-console.log.
For a guest built with GUEST_AGENT=hostile, the kernel command line gets
hostile=MODE: the misbehaviour of tests/vm/hostile-agent.c, from
--agent-mode MODE, else the spec's GUEST_AGENT_MODE, else "good".
EOF
}

die() { echo "domain-xml: $*" >&2; exit 1; }

case ${1:-} in -h|--help) usage; exit 0 ;; esac
[ $# -ge 4 ] || { usage >&2; exit 2; }
NAME=$1
UUID=$2
SPEC_FILE=$3
GUEST_DIR_ARG=$4
shift 4
AGENT=yes
MODE_ARG=
while [ $# -gt 0 ]; do
    case $1 in
        --no-agent) AGENT=no; shift ;;
        --agent-mode) [ $# -ge 2 ] || { usage >&2; exit 2; }; MODE_ARG=$2; shift 2 ;;
        *) usage >&2; exit 2 ;;
    esac
done
# "." searches PATH for a bare file name.
case $SPEC_FILE in */*) ;; *) SPEC_FILE=./$SPEC_FILE ;; esac
GUEST_DIR=$(cd "$GUEST_DIR_ARG" && pwd)
case $GUEST_DIR in *[\&\<\>\'\"]*) die "GUEST_DIR has XML special characters" ;; esac

# Values go into XML unescaped: allow only plain characters.
echo "$NAME" | grep -qxE '[A-Za-z0-9_.-]+' || die "bad NAME '$NAME'"
echo "$UUID" | grep -qxE '[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}' ||
    die "bad UUID '$UUID'"

# shellcheck disable=SC1090
. "$SPEC_FILE"
echo "$GUEST_MAC" | grep -qxE '([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}' || die "bad GUEST_MAC '$GUEST_MAC'"
echo "$DATA_DISK_SERIAL" | grep -qxE '[A-Za-z0-9_.-]{1,20}' ||
    die "bad DATA_DISK_SERIAL '$DATA_DISK_SERIAL'"

CMDLINE="console=ttyS0 loglevel=4"
if [ "${GUEST_AGENT:-qemu-ga}" = hostile ]; then
    MODE=${MODE_ARG:-${GUEST_AGENT_MODE:-good}}
    # hostile-agent.c checks the name; here it only has to be one word
    echo "$MODE" | grep -qxE '[a-z0-9]+' || die "bad agent mode '$MODE'"
    CMDLINE="$CMDLINE hostile=$MODE"
elif [ -n "$MODE_ARG" ]; then
    die "--agent-mode needs a spec with GUEST_AGENT=hostile"
fi

for f in vmlinuz initrd.img data.img; do
    [ -f "$GUEST_DIR/$f" ] || die "$GUEST_DIR/$f missing: run build-guest.sh first"
done
DISK=$GUEST_DIR/$NAME-data.img
[ -f "$DISK" ] || cp --sparse=always "$GUEST_DIR/data.img" "$DISK"

EMULATOR=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found"

cat <<EOF
<domain type='qemu'>
  <name>$NAME</name>
  <uuid>$UUID</uuid>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$GUEST_DIR/vmlinuz</kernel>
    <initrd>$GUEST_DIR/initrd.img</initrd>
    <cmdline>$CMDLINE</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$EMULATOR</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$DISK'/>
      <target dev='vda' bus='virtio'/>
      <serial>$DATA_DISK_SERIAL</serial>
    </disk>
    <interface type='user'>
      <mac address='$GUEST_MAC'/>
      <model type='virtio'/>
    </interface>
    <serial type='file'>
      <source path='$GUEST_DIR/$NAME-console.log'/>
      <target port='0'/>
    </serial>
    <console type='file'>
      <source path='$GUEST_DIR/$NAME-console.log'/>
      <target type='serial' port='0'/>
    </console>
EOF
if [ "$AGENT" = yes ]; then
    cat <<EOF
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
EOF
fi
cat <<EOF
    <video>
      <model type='none'/>
    </video>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
