#!/bin/sh
# Build the test guest: a Debian kernel (cached), an initramfs running the real
# qemu-ga (or, with GUEST_AGENT=hostile in the spec, hostile-agent.c built
# here with cc -static), and a small ext4 data disk. See tests/vm/README.md.
set -eu

usage() {
    cat <<EOF
usage: $0 CACHE_DIR OUT_DIR SPEC_FILE

Builds a tiny guest for libvirt's QEMU driver (TCG):
  OUT_DIR/vmlinuz      Debian's linux-image-6.1.0-N-amd64 kernel
  OUT_DIR/initrd.img   busybox + qemu-ga (or hostile-agent) + modules, /init
                       from guest-init.sh
  OUT_DIR/data.img     16 MiB raw ext4 data disk
  OUT_DIR/spec.env     the spec the guest was built from
CACHE_DIR keeps the downloaded kernel package (fetched once with
apt-get download, never installed); a second build needs no network.
SPEC_FILE is a shell env file, e.g. tests/vm/guest.env.
EOF
}

case ${1:-} in -h|--help) usage; exit 0 ;; esac
[ $# -eq 3 ] || { usage >&2; exit 2; }

[ -f "$3" ] || { echo "build-guest: spec $3 not found" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1" "$2"
CACHE_DIR=$(cd "$1" && pwd)
OUT_DIR=$(cd "$2" && pwd)
SPEC_FILE=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")

die() { echo "build-guest: $*" >&2; exit 1; }

# shellcheck disable=SC1090
. "$SPEC_FILE"
for var in GUEST_HOSTNAME OS_ID OS_NAME OS_PRETTY_NAME OS_VERSION OS_VERSION_ID \
           OS_VARIANT OS_VARIANT_ID GUEST_TIMEZONE GUEST_USERS GUEST_MAC \
           GUEST_IPV4 GUEST_IPV6 GUEST_EXTRA_NICS DATA_DISK_SERIAL \
           DATA_DISK_MOUNT GUEST_EXTRA_MOUNTS; do
    eval "[ \"\${$var+set}\" = set ]" || die "$SPEC_FILE does not set $var"
done
# Optional: which agent runs in the guest (guest-hostile.env documents it).
GUEST_AGENT=${GUEST_AGENT:-qemu-ga}
case $GUEST_AGENT in
    qemu-ga|hostile) ;;
    *) die "GUEST_AGENT must be qemu-ga or hostile, not '$GUEST_AGENT'" ;;
esac

for tool in apt-get dpkg-deb tar cpio gzip cc mkfs.ext4 truncate flock; do
    command -v "$tool" >/dev/null ||
        die "$tool not found (packages: cpio e2fsprogs gcc, see tests/vm/README.md)"
done

# Modules in load order (no modules.dep in the guest): virtio transport,
# console (agent channel), net, block, ext4 and its helpers. dummy.ko is
# loaded separately by /init, with numdummies=0.
MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
virtio_pci virtio_console failover net_failover virtio_net virtio_blk crc16
mbcache jbd2 crc32c_generic ext4"
ALL_MODULES="$MODULES dummy"

# --- Kernel: newest linux-image-6.1.0-N-amd64, downloaded once ---------------

newest_kernel_pkg() {
    apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
        grep -E '^linux-image-6\.1\.0-[0-9]+-amd64$' | sort -V -r |
        while read -r pkg; do
            # Only a package that apt can actually download.
            if apt-cache show --no-all-versions "$pkg" >/dev/null 2>&1; then
                echo "$pkg"
                break
            fi
        done
}

# Download the newest kernel package into CACHE_DIR. Goes through a temporary
# folder so an interrupted download never looks like a cached package.
download_kernel() {
    pkg=$(newest_kernel_pkg)
    [ -n "$pkg" ] || return 1
    echo "build-guest: downloading $pkg" >&2
    rm -rf "$CACHE_DIR/download"
    mkdir -p "$CACHE_DIR/download"
    # apt warns that root downloads unsandboxed: expected, hide it.
    (cd "$CACHE_DIR/download" || exit 1
     apt-get download -q "$pkg" 2>&1 | grep -v "unsandboxed as root" >&2) || true
    for f in "$CACHE_DIR"/download/*.deb; do
        [ -f "$f" ] || return 1
        mv "$f" "$CACHE_DIR/"
    done
    rmdir "$CACHE_DIR/download"
}

# Sets $deb. A cached package is used as is: no apt at all on later runs.
fetch_kernel_deb() {
    # shellcheck disable=SC2012 # sort -V picks the newest version
    deb=$(ls "$CACHE_DIR"/linux-image-6.1.0-*-amd64_*.deb 2>/dev/null | sort -V | tail -n 1)
    [ -z "$deb" ] || return 0
    # Old or missing package lists: refresh them once and retry.
    if ! download_kernel; then
        echo "build-guest: running apt-get update" >&2
        apt-get update -qq
        download_kernel || die "cannot download a linux-image-6.1.0-N-amd64 package"
    fi
    # shellcheck disable=SC2012
    deb=$(ls "$CACHE_DIR"/linux-image-6.1.0-*-amd64_*.deb | sort -V | tail -n 1)
}

# Extract only vmlinuz and the modules we load (the full tree is 400 MB).
# The extraction is redone when the .deb or the module list changes.
extract_kernel() {
    stamp="$(basename "$deb") $ALL_MODULES"
    KDIR=$CACHE_DIR/kernel
    if [ -f "$KDIR/stamp" ] && [ "$(cat "$KDIR/stamp")" = "$stamp" ]; then
        return 0
    fi
    rm -rf "$KDIR" "$KDIR.tmp"
    mkdir -p "$KDIR.tmp/x" "$KDIR.tmp/modules"
    patterns="./boot/vmlinuz-*"
    for m in $ALL_MODULES; do
        patterns="$patterns */$m.ko"
    done
    # shellcheck disable=SC2086 # patterns are tar wildcards, split on purpose
    dpkg-deb --fsys-tarfile "$deb" |
        tar -x -C "$KDIR.tmp/x" --wildcards $patterns
    cp "$KDIR.tmp"/x/boot/vmlinuz-* "$KDIR.tmp/vmlinuz"
    for m in $ALL_MODULES; do
        f=$(find "$KDIR.tmp/x" -name "$m.ko" | head -n 1)
        [ -n "$f" ] || die "module $m.ko not in $deb"
        cp "$f" "$KDIR.tmp/modules/"
    done
    basename "$KDIR.tmp"/x/boot/vmlinuz-* | sed 's/^vmlinuz-//' > "$KDIR.tmp/release"
    rm -rf "$KDIR.tmp/x"
    echo "$stamp" > "$KDIR.tmp/stamp"
    mv "$KDIR.tmp" "$KDIR"
}

# Builds running in parallel share CACHE_DIR: one at a time (lock held
# until exit), so one fetches and the others reuse its cache.
exec 9> "$CACHE_DIR/lock"
flock 9
fetch_kernel_deb
extract_kernel

# --- Initramfs ----------------------------------------------------------------

ROOT=$OUT_DIR/rootfs
rm -rf "$ROOT"
mkdir -p "$ROOT"
cd "$ROOT"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev run tmp root lib/modules \
         usr/share/zoneinfo var
ln -s ../run var/run
chmod 1777 tmp

# busybox must be static: the guest has only the libraries qemu-ga needs.
BUSYBOX=$(command -v busybox) || die "busybox not found (package busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
    die "$BUSYBOX is dynamically linked: install busybox-static"
fi
cp "$BUSYBOX" bin/busybox
for applet in $(bin/busybox --list-full); do
    [ -e "$applet" ] || [ -L "$applet" ] || ln -s /bin/busybox "$applet"
done

WORK=$OUT_DIR/work
rm -rf "$WORK"
mkdir -p "$WORK"

if [ "$GUEST_AGENT" = hostile ]; then
    # Our own agent instead of qemu-ga: static, so no libraries at all.
    cc -static -O2 -Wall -Wextra -Werror -std=gnu11 -o usr/sbin/hostile-agent \
        "$HERE/hostile-agent.c" ||
        die "cannot build hostile-agent.c (static libc: package libc6-dev)"
else
    # qemu-ga and the libraries it links (same paths as on the host), loader too.
    QGA=/usr/sbin/qemu-ga
    [ -x "$QGA" ] || die "$QGA not found (package qemu-guest-agent)"
    cp "$QGA" usr/sbin/qemu-ga
    for lib in $(ldd "$QGA" | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }'); do
        mkdir -p ".$(dirname "$lib")"
        cp -L "$lib" ".$lib"
    done
fi

for m in $ALL_MODULES; do
    cp "$CACHE_DIR/kernel/modules/$m.ko" lib/modules/
done
# shellcheck disable=SC2086 # one module per line
printf '%s\n' $MODULES > etc/guest-modules

cp "$HERE/guest-init.sh" init
cp "$HERE/guest-shutdown.sh" sbin/shutdown
chmod 755 init sbin/shutdown

# The spec as the guest's /init reads it (single-quoted values).
shq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
for var in GUEST_HOSTNAME GUEST_IPV4 GUEST_IPV6 GUEST_EXTRA_NICS \
           DATA_DISK_SERIAL DATA_DISK_MOUNT GUEST_EXTRA_MOUNTS GUEST_AGENT; do
    eval "printf '%s=%s\n' $var \"\$(shq \"\$$var\")\""
done > etc/guest.env

cat > etc/os-release <<EOF
ID=$OS_ID
NAME="$OS_NAME"
PRETTY_NAME="$OS_PRETTY_NAME"
VERSION="$OS_VERSION"
VERSION_ID="$OS_VERSION_ID"
VARIANT="$OS_VARIANT"
VARIANT_ID=$OS_VARIANT_ID
EOF
echo "$GUEST_HOSTNAME" > etc/hostname

# Timezone: glib reads the zone from the /etc/localtime symlink's target.
ZONEFILE=/usr/share/zoneinfo/$GUEST_TIMEZONE
[ -f "$ZONEFILE" ] || die "$ZONEFILE not found (package tzdata)"
mkdir -p ".$(dirname "$ZONEFILE")"
cp -L "$ZONEFILE" ".$ZONEFILE"
ln -s "$ZONEFILE" etc/localtime
echo "$GUEST_TIMEZONE" > etc/timezone

# Users: passwd/group entries and utmp login records.
echo "root:x:0:0:root:/root:/bin/sh" > etc/passwd
echo "root:x:0:" > etc/group
uid=1000
for entry in $GUEST_USERS; do
    name=${entry%%:*}
    grep -q "^$name:" etc/passwd && continue
    echo "$name:x:$uid:$uid:$name:/home/$name:/bin/sh" >> etc/passwd
    echo "$name:x:$uid:" >> etc/group
    uid=$((uid + 1))
done
cc -O2 -Wall -o "$WORK/mkutmp" "$HERE/mkutmp.c"
# shellcheck disable=SC2086 # one argument per user
"$WORK/mkutmp" run/utmp $GUEST_USERS
rm -rf "$WORK"

find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 | gzip -6 > "$OUT_DIR/initrd.img.tmp"
mv "$OUT_DIR/initrd.img.tmp" "$OUT_DIR/initrd.img"
cd "$OUT_DIR"
rm -rf "$ROOT"

# --- Kernel, data disk, spec --------------------------------------------------

cp "$CACHE_DIR/kernel/vmlinuz" "$OUT_DIR/vmlinuz"
cp "$CACHE_DIR/kernel/release" "$OUT_DIR/kernel-release"
# Per-domain copies (domain-xml.sh) of an older build go too.
rm -f "$OUT_DIR/data.img" "$OUT_DIR"/*-data.img
truncate -s 16M "$OUT_DIR/data.img"
mkfs.ext4 -q -F -L data "$OUT_DIR/data.img"
cp "$SPEC_FILE" "$OUT_DIR/spec.env"

echo "build-guest: $OUT_DIR ready (kernel $(cat "$OUT_DIR/kernel-release"))" >&2
