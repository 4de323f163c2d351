#!/bin/bash
# Build one fixture kernel from Debian's linux-source-KVER.
# usage: build-kernel.sh VARIANT BUILDDIR [KVER]
#   VARIANT: lockdep, nolockdep, lockstat; KVER (or $KVER): 6.1 (default),
#   5.10, 6.12, 7.2, ... (scripts/linux-source.sh finds the tarball).
# Config: make tinyconfig, then config/base.fragment + config/VARIANT.fragment
# (+ config/distro.fragment for every KVER but 6.1, whose committed fixtures
# predate it), olddefconfig.
# Leaves BUILDDIR/NAME/{bzImage,vmlinux,config-warnings.txt} and the build
# tree NAME/obj for modules; NAME is VARIANT for 6.1, VARIANT-KVER otherwise.
# JOBS=N: make -jN (default: nproc); CONFIG_ONLY=1: stop after the config.
set -euo pipefail
variant=$1
build=$(realpath -m "$2")
kver=${3:-${KVER:-6.1}}
here=$(cd "$(dirname "$0")/.." && pwd)
name=$variant
frags="base $variant"
if [ "$kver" != 6.1 ]; then
    name=$variant-$kver
    frags="$frags distro"
fi
src=$build/linux-source-$kver
out=$build/$name/obj
tarball=$("$here/scripts/linux-source.sh" "$kver")
if [ ! -f "$src/Makefile" ]; then
    mkdir -p "$build"
    tar -C "$build" -xf "$tarball"
fi
mkdir -p "$out"
make -C "$src" O="$out" ARCH=x86_64 tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
    $(for f in $frags; do echo "$here/config/$f.fragment"; done) >/dev/null
make -C "$src" O="$out" ARCH=x86_64 olddefconfig >/dev/null
# Refuse a config that silently dropped an option we asked for: warn about
# every =y that is not set and every =n that is (symbols this kernel does
# not have at all are listed as such).
warn=$build/$name/config-warnings.txt
: > "$warn"
for frag in $frags; do
    # (|| true: a fragment with no =y lines, like nolockdep, must not trip pipefail)
    { grep -E '^CONFIG_[A-Z0-9_]+=[yn]$' "$here/config/$frag.fragment" || true; } | while read -r want; do
        sym=${want%%=*}
        case $want in
        *=y) grep -qx "$want" "$out/.config" && continue ;;
        *=n) grep -qE "^$sym=[ym]" "$out/.config" || continue ;;
        esac
        got=$(grep -E "^$sym=|^# $sym is not set" "$out/.config" || echo "(no such symbol)")
        echo "warning: $name: $frag: $want, final config: $got" | tee -a "$warn" >&2
    done
done
[ -z "${CONFIG_ONLY:-}" ] || { echo "configured $name ($kver): $out/.config"; exit 0; }
make -C "$src" O="$out" ARCH=x86_64 -j"${JOBS:-$(nproc)}" bzImage modules_prepare
cp "$out/arch/x86/boot/bzImage" "$out/vmlinux" "$build/$name/"
echo "built $name ($kver) in $build/$name"
