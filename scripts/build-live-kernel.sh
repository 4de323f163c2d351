#!/bin/bash
# Build the "live" kernel for lockalias's drgn live-mode tests: the
# lockdep-6.12 fixture kernel (vmcore-fixtures: tinyconfig + base + lockdep +
# distro fragments) plus CONFIG_PROC_KCORE=y (drgn reads a running kernel
# through /proc/kcore), and the scenario module built against it.
#
# usage: scripts/build-live-kernel.sh [--force] [--artifacts]
#
# The tests do not run this: they boot the committed copy in
# vmcore-fixtures/live-6.12/ (bzImage, vmlinux.xz, lockalias_scenarios.ko.xz,
# config, stamp), unpacked by `make -C vmcore-fixtures unpack`. --artifacts
# writes that directory from the result (then commit it) after the build.
#
# Result, in ${LOCKALIAS_CACHE:-~/.cache/lockalias}/live-6.12/:
#   bzImage, vmlinux, lockalias_scenarios.ko, release (uname -r of the
#   kernel), stamp (inputs' checksum and how it was built); the build tree
#   is build/lockdep-6.12/{obj,module}/ next to them.
# A no-op (well under a second) when the stamp matches the inputs: the
# fixture's config fragments, the scenario module's source and this script.
#
# Where the kernel comes from:
#   * LIVE_SEED_OBJ (default /root/kbuild/lockdep-6.12/obj), when it holds
#     a configured and built fixture tree: it is copied with `cp -a` (the
#     timestamps survive, so after switching PROC_KCORE on only what depends
#     on it is rebuilt) and built against the source tree its Makefile names.
#     The seed is only read, never written.
#   * otherwise the fixture's own recipe: `CONFIG_ONLY=1
#     vmcore-fixtures/scripts/build-kernel.sh lockdep BUILD 6.12` (Debian's
#     linux-source-6.12 via vmcore-fixtures/scripts/linux-source.sh, unpacked
#     into the cache), then the same live delta and build (a full build,
#     20+ minutes at -j2).
# JOBS=N: make -jN (default 2); CONFIG_ONLY=1: stop after the config.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
fx=$here/vmcore-fixtures
. "$(dirname "$0")/lib.sh"
C=$LA_CACHE
kver=6.12
out=$C/live-$kver
build=$out/build              # same layout as build-kernel.sh's BUILD
obj=$build/lockdep-$kver/obj
mod=$build/lockdep-$kver/module
seed=${LIVE_SEED_OBJ:-/root/kbuild/lockdep-$kver/obj}
jobs=${JOBS:-2}
force= artifacts=
for a in "$@"; do
    case $a in
        --force) force=1 ;;
        --artifacts) artifacts=1 ;;
        *) echo "usage: $0 [--force] [--artifacts]" >&2; exit 2 ;;
    esac
done

# write_artifacts: the committed copy, vmcore-fixtures/live-$kver/
write_artifacts() {
    local art=$fx/live-$kver
    mkdir -p "$art"
    cp "$out/bzImage" "$art/bzImage"
    cp "$obj/.config" "$art/config"
    xz -9 -T0 -c "$out/vmlinux" > "$art/vmlinux.xz"
    xz -9 -T0 -c "$out/lockalias_scenarios.ko" > "$art/lockalias_scenarios.ko.xz"
    cp "$out/stamp" "$art/stamp"
    echo "wrote $art: $(du -sh "$art" | cut -f1)"
}
# keep a calling make's flags (jobserver, variables) out of the kernel's make
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

# What the live kernel adds to the fixture config (merged last).
live_fragment() {
    cat <<'EOF'
# lockalias live kernel (scripts/build-live-kernel.sh): drgn's live mode
# reads kernel memory (and the VMCOREINFO note) from /proc/kcore
CONFIG_PROC_KCORE=y
EOF
}

inputs_sum() {
    { for f in base lockdep distro; do cat "$fx/config/$f.fragment"; done
      cat "$fx/scenarios/lockalias_scenarios.c" "$fx/scenarios/Kbuild"
      live_fragment
      cat "$0"; } | sha256sum | cut -c1-16
}
sum=$(inputs_sum)
if [ -z "$force" ] && [ -f "$out/stamp" ] && grep -qx "inputs: $sum" "$out/stamp" \
   && [ -f "$out/bzImage" ] && [ -f "$out/vmlinux" ] && [ -f "$out/lockalias_scenarios.ko" ]; then
    echo "live kernel up to date: $out"
    [ -z "$artifacts" ] || write_artifacts
    exit 0
fi

t0=$(date +%s)
mkdir -p "$build"
exec 9>"$out/.lock"
flock 9
# in_obj CMD...: run CMD with $O naming the build tree.  A copied seed tree is
# built under the seed's own path, bind-mounted over by the copy in a private
# mount namespace (the seed itself is never written): objtool's build records
# absolute paths, so under another path objtool is rebuilt, and every kernel
# object depends on the objtool binary (Makefile.lib's gen_objtooldep), i.e.
# a full rebuild (20 min) instead of an incremental one (a few minutes).
# Without unshare/mount (no CAP_SYS_ADMIN) the copy is built where it is.
bind=
in_obj() {
    if [ -n "$bind" ]; then
        unshare -m --propagation private bash -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' \
            _ "$obj" "$seed" "$@"
    else
        "$@"
    fi
}
if [ -f "$seed/.config" ] && [ -f "$seed/vmlinux" ] && [ -f "$seed/Makefile" ]; then
    src=$(sed -n 's/^include \(.*\)\/Makefile$/\1/p' "$seed/Makefile")
    [ -f "$src/Makefile" ] || { echo "build-live-kernel: $seed/Makefile names no source tree ($src)" >&2; exit 1; }
    seed=$(realpath "$seed")
    if unshare -m --propagation private bash -c 'mount --bind "$1" "$2"' _ "$build" "$build" 2>/dev/null; then
        bind=1; O=$seed
        how="copy of $seed, built under that path (bind mount), source $src"
    else
        O=$obj
        how="copy of $seed, built in place (no bind mount: full rebuild), source $src"
    fi
    # a copy built under another path than now (bind mount became (un)available) is useless
    if [ -f "$obj/.config" ] && [ "$(cat "$obj/.lockalias-live-O" 2>/dev/null)" != "$O" ]; then
        echo "build-live-kernel: $obj was built as $(cat "$obj/.lockalias-live-O" 2>/dev/null || echo '?'), not $O: copying again"
        rm -rf "$obj"
    fi
    if [ ! -f "$obj/.config" ]; then
        echo "build-live-kernel: copying $seed -> $obj"
        rm -rf "$obj.tmp"; mkdir -p "$(dirname "$obj")"
        cp -a "$seed" "$obj.tmp"
        echo "$O" > "$obj.tmp/.lockalias-live-O"
        mv "$obj.tmp" "$obj"
    fi
else
    echo "build-live-kernel: no seed tree at $seed; configuring from Debian's linux-source-$kver"
    CONFIG_ONLY=1 "$fx/scripts/build-kernel.sh" lockdep "$build" "$kver"
    src=$build/linux-source-$kver
    O=$obj
    how="vmcore-fixtures/scripts/build-kernel.sh (source $src)"
fi

# the live delta over the fixture config, checked like build-kernel.sh does
live_fragment > "$build/live.fragment"
in_obj "$src/scripts/kconfig/merge_config.sh" -m -O "$O" "$O/.config" "$build/live.fragment" >/dev/null
in_obj make -C "$src" O="$O" ARCH=x86_64 olddefconfig >/dev/null
grep -E '^CONFIG_[A-Z0-9_]+=y$' "$build/live.fragment" | while read -r want; do
    grep -qx "$want" "$obj/.config" || { echo "build-live-kernel: $want did not survive olddefconfig" >&2; exit 1; }
done
[ -z "${CONFIG_ONLY:-}" ] || { echo "configured the live kernel: $obj/.config"; exit 0; }

t1=$(date +%s)
in_obj make -C "$src" O="$O" ARCH=x86_64 -j"$jobs" bzImage modules_prepare
t2=$(date +%s)
# the scenario module, as vmcore-fixtures/regenerate.mk builds it
mkdir -p "$mod"
cp "$fx/scenarios/Kbuild" "$fx/scenarios/lockalias_scenarios.c" "$mod/"
in_obj make -C "$O" M="$mod" KBUILD_MODPOST_WARN=1 modules
release=$(in_obj make -s -C "$src" O="$O" ARCH=x86_64 kernelrelease)
t3=$(date +%s)

for f in "$obj/arch/x86/boot/bzImage" "$obj/vmlinux" "$mod/lockalias_scenarios.ko"; do
    cp "$f" "$out/$(basename "$f").tmp" && mv "$out/$(basename "$f").tmp" "$out/$(basename "$f")"
done
echo "$release" > "$out/release"
cat > "$out/stamp" <<EOF
inputs: $sum
release: $release
from: $how
built: $(date -u +%Y-%m-%dT%H:%M:%SZ), config+copy $((t1 - t0)) s, kernel $((t2 - t1)) s (-j$jobs), module $((t3 - t2)) s
EOF
echo "built live kernel $release in $out ($((t3 - t0)) s)"
[ -z "$artifacts" ] || write_artifacts
