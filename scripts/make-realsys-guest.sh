#!/bin/bash
# scripts/make-realsys-guest.sh [--root-only]: the "real system" guest of
# issue 29, a Debian 13 (trixie) machine booting systemd on the real-system
# kernel of scripts/build-realsys-kernel.sh, with Debian 13's own kdump-tools,
# makedumpfile, crash and python3-drgn, lockalias installed by `make install`
# (built with trixie's compiler, crash headers and Python), and a workload
# unit (scripts/realsys-workload.sh). scripts/realsys-capture.py boots it.
#
# Result in ${LOCKALIAS_CACHE:-~/.cache/lockalias}/realsys-6.12/guest/:
#   root/      the directory root (debootstrap + packages, then the kernel,
#              lockalias and the configuration below)
#   disk.img   ext4 of the whole disk (no partition table: root=/dev/vda),
#              6 GiB sparse, made from root/ with mkfs.ext4 -d
#   vmlinuz, initrd.img   the guest's /boot/vmlinuz-RELEASE and the initrd
#              mkinitramfs made in the root, for QEMU's -kernel/-initrd
#   cmdline    the kernel command line to boot with
#   stamp      the inputs' checksum, versions, times and sizes
# Two stages, each reused when its stamp matches its inputs:
#   1. root/.lockalias-guest-root: debootstrap --variant=minbase of trixie
#      (with systemd-sysv, udev, dbus) + PKGS below; does not need the kernel
#      (--root-only stops there, e.g. while the kernel builds).
#   2. stamp: the kernel, lockalias and the configuration installed into
#      root/ (what an earlier stage 2 put there is removed first), disk.img.
# One caller at a time (flock); the root and the image are made under
# *.tmp.* names and renamed when complete, so an interrupted run leaves
# nothing that looks finished. The chroot's mounts live in a private mount
# namespace and go away with it.
#
# Guest: hostname realsys, root autologin on ttyS0, systemd-networkd DHCP on
# the NIC with MAC 52:54:00:12:34:56 (the other NIC, ...:57, is left to the
# workload's bridge), kdump-tools with Debian's defaults (USE_KDUMP=1,
# makedumpfile -c -d 31 to /var/crash, reboot after saving; its initrd is
# made by `kdump-config load` at the first boot), lockalias-postmortem.path
# and .service enabled, lockalias-workload.service.
# Needs root (debootstrap, chroot, mkfs.ext4 -d).
set -euo pipefail
ROOT_ONLY=
case "${1:-}" in --root-only) ROOT_ONLY=1 ;; "") ;; *) echo "usage: $0 [--root-only]" >&2; exit 2 ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
REPO=$LA_REPO
CACHE=$LA_CACHE
KDIR=${REALSYS_KDIR:-$CACHE/realsys-6.12}     # (another kernel: a test of the plumbing)
GHOME=$CACHE/realsys-6.12/guest
G=${REALSYS_GUEST:-$GHOME}      # the image's directory; the root is always $GHOME/root
ROOT=$GHOME/root
LOG=$G/make.log
SUITE=trixie
DISK_SIZE=6G
# crashkernel: the crash kernel boots systemd (kdump-tools-dump.service) on
# this debug kernel; lockdep's and the debug options' tables are tens of MiB.
CRASHKERNEL=${REALSYS_CRASHKERNEL:-512M}
CMDLINE="root=/dev/vda rw console=ttyS0 crashkernel=$CRASHKERNEL mitigations=off panic=10"
ROOT_STAMP=.lockalias-guest-root
PKGS="systemd systemd-sysv udev dbus kdump-tools makedumpfile kexec-tools crash python3-drgn
      initramfs-tools xfsprogs iproute2 iputils-ping procps kmod e2fsprogs zstd busybox file
      python3 libelf1t64 libstdc++6 less"
WORKLOAD=$HERE/realsys-workload.sh

say() { echo "make-realsys-guest: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { say "needs root (debootstrap, chroot, mkfs.ext4 -d)"; exit 1; }
"$HERE/install-deps.sh" debootstrap
mkdir -p "$G" "$GHOME"
exec 9>"$GHOME/.lock"
flock 9

TMPS=()
# Each step runs in a session of its own (run_in_session, lib.sh): an
# interrupt stops all of it before the half-made files are removed.
cleanup() {
    stop_session_child
    [ ${#TMPS[@]} -eq 0 ] || rm -rf "${TMPS[@]}"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT TERM HUP
fail() { tail -n 30 "$LOG" >&2; say "$*"; exit 1; }
# in_root DIR SCRIPT: SCRIPT in the chroot DIR (chroot_script, lib.sh), logged.
in_root() { chroot_script "$@"; }

# ---- stage 1: the root -------------------------------------------------------------
MIRROR=$("$HERE/debian-suites.sh" mirror)
root_sum=$(printf '%s\n' "$SUITE" "$MIRROR" $PKGS "v1" | sha256sum | cut -c1-16)
if [ -f "$ROOT/$ROOT_STAMP" ] && grep -qx "inputs: $root_sum" "$ROOT/$ROOT_STAMP"; then
    say "root up to date: $ROOT"
else
    rm -rf "$ROOT" "$GHOME"/root.tmp.* "$G/stamp"
    : > "$LOG"
    t0=$(date +%s)
    TMP=$(mktemp -d "$GHOME/root.tmp.XXXXXX"); TMPS+=("$TMP")
    say "debootstrap --variant=minbase --include=systemd-sysv,udev,dbus $SUITE from $MIRROR (log: $LOG)"
    debootstrap_root "$SUITE" "$TMP" "$MIRROR" --include=systemd-sysv,udev,dbus || fail "debootstrap failed"
    t1=$(date +%s)
    # kdump-tools asks (debconf) whether to enable kdump: yes, as its default file says
    say "installing: $(echo $PKGS)"
    in_root "$TMP" "echo 'kdump-tools kdump-tools/use_kdump boolean true' | debconf-set-selections;
        apt-get update -q; apt-get install -y -q --no-install-recommends $(echo $PKGS); apt-get clean" ||
        fail "apt-get install failed"
    rm -f "$TMP/usr/sbin/policy-rc.d"
    t2=$(date +%s)
    {
        echo "inputs: $root_sum"
        echo "suite: $SUITE, mirror: $MIRROR"
        echo "made: $(date -u +%Y-%m-%dT%H:%M:%SZ), debootstrap $((t1 - t0)) s, packages $((t2 - t1)) s"
        chroot "$TMP" dpkg-query -W -f='${Package} ${Version}\n' systemd kdump-tools makedumpfile kexec-tools \
            crash python3-drgn python3 initramfs-tools xfsprogs
        echo "size: $(du -sm "$TMP" | cut -f1) MiB"
    } > "$TMP/$ROOT_STAMP"
    mv "$TMP" "$ROOT"; TMPS=()
    say "root made in $((t2 - t0)) s: $ROOT"
    cat "$ROOT/$ROOT_STAMP" >&2
fi
[ -z "$ROOT_ONLY" ] || { echo "$ROOT"; exit 0; }

# ---- stage 2: kernel, lockalias, configuration, disk image ---------------------------
[ -f "$KDIR/stamp" ] && [ -f "$KDIR/vmlinux" ] && [ -f "$KDIR/release" ] ||
    { say "no real-system kernel in $KDIR (scripts/build-realsys-kernel.sh)"; exit 1; }
REL=$(cat "$KDIR/release")
[ -d "$KDIR/modules/lib/modules/$REL" ] || { say "no modules for $REL in $KDIR/modules"; exit 1; }

# lockalias, built with trixie's compiler, crash headers and Python and
# installed by `make install` from inside that root (so the .so is built
# against trixie's crash and PY_MODULE is the cpython-313 module) into a
# staging tree: make root-install-trixie.
t0=$(date +%s)
# (under the cache: in-root.sh's fresh /tmp would hide a directory under /tmp)
STAGE=$GHOME/lockalias.stage
rm -rf "$STAGE"; mkdir -p "$STAGE"
say "building lockalias in the $SUITE root and installing it (make install DESTDIR=... PREFIX=/usr/local UNITDIR=/usr/lib/systemd/system)"
run_in_session make -s -C "$REPO" root-install-$SUITE DESTDIR="$STAGE" PREFIX=/usr/local \
    UNITDIR=/usr/lib/systemd/system || fail "lockalias build/install failed"
[ -f "$STAGE/usr/lib/crash/extensions/lockalias.so" ] && [ -x "$STAGE/usr/local/bin/lockalias-check" ] &&
    ls "$STAGE"/usr/local/lib/lockalias/python/lockalias/_core.cpython-313-*.so >/dev/null ||
    fail "make install put nothing in $STAGE"
cmp -s "$(la_root_so $SUITE)" "$STAGE/usr/lib/crash/extensions/lockalias.so" ||
    fail "make install did not install the $SUITE build of lockalias.so"
t_lockalias=$(( $(date +%s) - t0 ))
lockalias_sum=$(cd "$STAGE" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)

sum=$( { cat "$ROOT/$ROOT_STAMP" "$KDIR/stamp" "$0" "$WORKLOAD"; echo "$lockalias_sum $CMDLINE"; } |
       sha256sum | cut -c1-16)
if [ -f "$G/stamp" ] && grep -qx "inputs: $sum" "$G/stamp" && [ -f "$G/disk.img" ]; then
    say "guest up to date: $G"; echo "$G"; exit 0
fi
rm -f "$G/stamp"
t0=$(date +%s)
say "installing kernel $REL, lockalias and the configuration into $ROOT"
# what an earlier stage 2 installed
rm -rf "$ROOT"/boot/vmlinuz-* "$ROOT"/boot/initrd.img-* "$ROOT"/boot/config-* "$ROOT"/boot/System.map-* \
    "$ROOT"/lib/modules/* "$ROOT"/usr/lib/debug/boot "$ROOT"/var/lib/kdump/* \
    "$ROOT"/usr/local/lib/lockalias "$ROOT"/usr/lib/crash/extensions/lockalias.so \
    "$ROOT"/var/crash/* "$ROOT"/root/live "$ROOT"/var/lib/lockalias-realsys "$ROOT"/var/log/journal/*
mkdir -p "$ROOT/boot" "$ROOT/usr/lib/debug/boot" "$ROOT/lib/modules"
cp "$KDIR/bzImage" "$ROOT/boot/vmlinuz-$REL"
cp "$KDIR/config" "$ROOT/boot/config-$REL"
cp -a "$KDIR/modules/lib/modules/$REL" "$ROOT/lib/modules/"
rm -f "$ROOT/lib/modules/$REL/build" "$ROOT/lib/modules/$REL/source"
cp "$KDIR/vmlinux" "$ROOT/usr/lib/debug/boot/vmlinux-$REL"
cp "$KDIR/lockalias_scenarios.ko" "$ROOT/root/lockalias_scenarios.ko"
cp -a "$STAGE/." "$ROOT/"

# configuration
echo realsys > "$ROOT/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\trealsys\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$ROOT/etc/hosts"
printf '# whole-disk ext4, no partition table\n/dev/vda\t/\text4\tdefaults,errors=remount-ro\t0\t1\n' > "$ROOT/etc/fstab"
mkdir -p "$ROOT/etc/systemd/system/serial-getty@ttyS0.service.d"
cat > "$ROOT/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 - $TERM
EOF
# under TCG this debug kernel's udev coldplug takes minutes: systemd's 90 s
# device timeout failed serial-getty@ttyS0 (/dev/ttyS0 "timed out")
mkdir -p "$ROOT/etc/systemd/system.conf.d"
printf '[Manager]\nDefaultDeviceTimeoutSec=600\n' > "$ROOT/etc/systemd/system.conf.d/lockalias-realsys.conf"
mkdir -p "$ROOT/etc/systemd/network"
cat > "$ROOT/etc/systemd/network/20-dhcp.network" <<'EOF'
# the user-networking virtio NIC (realsys-capture.py gives it this MAC); the
# other NIC (52:54:00:12:34:57, a multi-queue tap) is the workload's bridge port
[Match]
MACAddress=52:54:00:12:34:56

[Network]
DHCP=ipv4
EOF
# the virtio NICs and disks, ext4 and xfs: in the initrd whatever MODULES says
printf '%s\n' virtio_blk virtio_net ext4 > "$ROOT/etc/initramfs-tools/modules"
# fw_cfg: the kernel publishes VMCOREINFO to QEMU's -device vmcoreinfo
mkdir -p "$ROOT/etc/modules-load.d"
echo qemu_fw_cfg > "$ROOT/etc/modules-load.d/lockalias-realsys.conf"
# kdump-tools: Debian's defaults file, USE_KDUMP=1 (its default), the rest
# Debian's (KDUMP_KERNEL/INITRD: /var/lib/kdump's links to the running
# kernel's, made by kdump-config; MAKEDUMP_ARGS unset: -c -d 31).
sed -i 's/^USE_KDUMP=.*/USE_KDUMP=1/' "$ROOT/etc/default/kdump-tools"
grep -q '^USE_KDUMP=1' "$ROOT/etc/default/kdump-tools" || fail "/etc/default/kdump-tools has no USE_KDUMP"
install -D -m 755 "$WORKLOAD" "$ROOT/usr/local/sbin/lockalias-realsys-workload"
cat > "$ROOT/etc/systemd/system/lockalias-workload.service" <<'EOF'
[Unit]
Description=lockalias real-system workload (issue 29): files, network, modules, scenarios; then the host's commands
After=kdump-tools.service lockalias-postmortem.service systemd-networkd.service network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=/usr/local/sbin/lockalias-realsys-workload
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
EOF
echo "$CMDLINE" > "$ROOT/etc/lockalias-realsys-cmdline"
in_root "$ROOT" "
    passwd -d root >/dev/null
    systemctl enable systemd-networkd.service lockalias-postmortem.path lockalias-postmortem.service \
        lockalias-workload.service kdump-tools.service
    for t in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer \
             xfs_scrub_all.timer e2scrub_reap.service; do systemctl mask \$t; done
    depmod -a $REL
    mkinitramfs -o /boot/initrd.img-$REL $REL
    ls -la /boot /lib/modules/$REL
    ldd /usr/lib/crash/extensions/lockalias.so /usr/local/lib/lockalias/python/lockalias/_core*.so > /tmp/ldd
    cat /tmp/ldd; ! grep 'not found' /tmp/ldd
    PYTHONPATH=/usr/local/lib/lockalias/python python3 -c 'import lockalias._core, drgn; print(\"imports ok\")'
" || fail "configuring the root failed"
cp "$ROOT/boot/vmlinuz-$REL" "$G/vmlinuz.tmp" && mv "$G/vmlinuz.tmp" "$G/vmlinuz"
cp "$ROOT/boot/initrd.img-$REL" "$G/initrd.img.tmp" && mv "$G/initrd.img.tmp" "$G/initrd.img"
echo "$CMDLINE" > "$G/cmdline"
t1=$(date +%s)

say "mkfs.ext4 -d $ROOT ($DISK_SIZE)"
IMG=$G/disk.img.tmp.$$; TMPS+=("$IMG")
rm -f "$G"/disk.img.tmp.*
truncate -s "$DISK_SIZE" "$IMG"
run_in_session mkfs.ext4 -q -F -L realsys -d "$ROOT" "$IMG" || fail "mkfs.ext4 -d failed"
run_in_session e2fsck -fn "$IMG" || fail "e2fsck of the new image failed"
mv "$IMG" "$G/disk.img"; TMPS=()
t2=$(date +%s)
{
    echo "inputs: $sum"
    echo "release: $REL"
    echo "cmdline: $CMDLINE"
    echo "made: $(date -u +%Y-%m-%dT%H:%M:%SZ), lockalias build+install ${t_lockalias} s, root configuration+initrd $((t1 - t0)) s, mkfs.ext4 -d $((t2 - t1)) s"
    sed -n 's/^/root: /p' "$ROOT/$ROOT_STAMP"
    echo "sizes: root $(du -sm "$ROOT" | cut -f1) MiB, disk.img $(du -m "$G/disk.img" | cut -f1) MiB used of $DISK_SIZE, initrd $(du -k "$G/initrd.img" | cut -f1) KiB"
} > "$G/stamp"
cat "$G/stamp" >&2
echo "$G"
