#!/bin/bash
# initramfs for the large benchmark dump: the filler, then the scenario
# module. usage: mkinitramfs-large.sh OUT.cpio.gz SCENARIOS.ko FILL.ko FILL_MB [BALLAST_MB]
# (BALLAST_MB, default 0: MiB of kept pages after the locks, fill_locks.c)
set -euo pipefail
out=$(realpath -m "$1"); scen=$2; fill=$3; mb=$4; ballast=${5:-0}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,dev,proc,sys}
cp /bin/busybox "$tmp/bin/busybox"
ln -s busybox "$tmp/bin/sh"
mknod "$tmp/dev/console" c 5 1 2>/dev/null || true
cp "$scen" "$tmp/scenarios.ko"
cp "$fill" "$tmp/fill.ko"
cat > "$tmp/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
exec </dev/console >/dev/console 2>&1
# The filler first: after the seed splat lockdep is off and caches no class.
insmod /fill.ko mb=$mb ballast_mb=$ballast
insmod /scenarios.ko
while true; do sleep 3600; done
INIT
chmod +x "$tmp/init"
(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
