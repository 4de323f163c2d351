#!/bin/bash
# Build one fixture kernel from Debian's linux-source-6.1.
# usage: build-kernel.sh VARIANT BUILDDIR   (VARIANT: lockdep, nolockdep, lockstat)
# KVER=6.12 builds from linux-source-6.12 instead (a probe of newer kernels).
# Leaves BUILDDIR/VARIANT/{bzImage,vmlinux} and the build tree for modules.
set -euo pipefail
variant=$1
build=$(realpath -m "$2")
here=$(cd "$(dirname "$0")/.." && pwd)
kver=${KVER:-6.1}
src=$build/linux-source-$kver
out=$build/$variant/obj
tarball=/usr/src/linux-source-$kver.tar.xz
[ -f "$tarball" ] || { echo "missing $tarball: apt-get install linux-source-$kver" >&2; exit 1; }
if [ ! -f "$src/Makefile" ]; then
    mkdir -p "$build"
    tar -C "$build" -xf "$tarball"
fi
mkdir -p "$out"
make -C "$src" O="$out" ARCH=x86_64 tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
    "$here/config/base.fragment" "$here/config/$variant.fragment" >/dev/null
make -C "$src" O="$out" ARCH=x86_64 olddefconfig >/dev/null
# Refuse a config that silently dropped an option we asked for.
for frag in base "$variant"; do
    # (|| true: a fragment with no =y lines, like nolockdep, must not trip pipefail)
    { grep -E '^CONFIG_[A-Z0-9_]+=y' "$here/config/$frag.fragment" || true; } | while read -r want; do
        grep -qx "$want" "$out/.config" || echo "warning: $variant: $want not set in final config" >&2
    done
done
make -C "$src" O="$out" ARCH=x86_64 -j"$(nproc)" bzImage modules_prepare
cp "$out/arch/x86/boot/bzImage" "$out/vmlinux" "$build/$variant/"
echo "built $variant in $build/$variant"
