#!/bin/bash
# Build the busybox-static initramfs for a fixture kernel.
# usage: mkinitramfs.sh OUT.cpio.gz VARIANT [MODULE.ko]
# Without MODULE.ko (nolockdep) /init only boots to its marker.
set -euo pipefail
out=$(realpath -m "$1"); variant=$2; ko=${3:-}
busybox=/bin/busybox
# static: ldd (libc-bin, on every machine; `file` is not) says so
# (ldd exits 1 on a static binary: its status is no test under pipefail)
[ -x "$busybox" ] && case $(LC_ALL=C ldd "$busybox" 2>&1 || true) in *"not a dynamic executable"*) ;; *) false ;; esac \
    || { echo "need busybox-static (apt-get install busybox-static)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,dev,proc,sys,tmp}
cp "$busybox" "$tmp/bin/busybox"
ln -s busybox "$tmp/bin/sh"
# an initial console for PID 1 (cpio entries keep device nodes; needs root)
mknod "$tmp/dev/console" c 5 1 2>/dev/null || true
mknod "$tmp/dev/null" c 1 3 2>/dev/null || true
if [ -n "$ko" ]; then
    cp "$ko" "$tmp/lockalias_scenarios.ko"
fi
cat > "$tmp/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
echo "lockalias-init: variant=$variant release=\$(uname -r)"
if [ -f /lockalias_scenarios.ko ]; then
    insmod /lockalias_scenarios.ko
    echo "lockalias-init: insmod rc=\$?"
else
    echo "lockalias-init: no module"
fi
echo "lockalias-init: done"
while true; do sleep 3600; done
INIT
chmod 755 "$tmp/init"
(cd "$tmp" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner=0:0 --quiet) | gzip -9n > "$out"
echo "wrote $out"
