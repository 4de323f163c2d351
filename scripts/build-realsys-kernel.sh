#!/bin/bash
# Build the "real system" kernel: Debian 13's linux-source-6.12 with Debian's
# own amd64 configuration (linux-config-6.12, config.amd64_none_amd64) plus
# the kernel's own kernel/configs/debug.config, the fragment enterprise
# distributions' CI uses (PROVE_LOCKING, PROVE_RCU, DEBUG_OBJECTS, KMEMLEAK,
# SLUB_DEBUG_ON, ...).  Only modules are trimmed: localmodconfig against the
# modules the guest loads (realsys_modules below); every built-in option of
# Debian's config stays.
#
# usage: scripts/build-realsys-kernel.sh [--force]
#
# Deliberate departures from Debian + debug.config, each for a reason:
#   * KASAN off: under QEMU's TCG (this machine's /dev/kvm hangs nested
#     guests) a KASAN kernel booting systemd, then a crash kernel, then
#     systemd again does not fit a test run; the lock debugging all stays.
#   * the trusted/revocation key lists are emptied and modules are signed
#     with a key made at build time (Debian's certificates are not in the
#     source package).
#   * LOCALVERSION -lockalias-debug, so the guest's /lib/modules, kdump-tools
#     and crash's debuginfo lookup never confuse it with a Debian kernel.
# Needs on the host: the kernel build dependencies (install-deps.sh) and
# pahole (dwarves) for Debian's CONFIG_DEBUG_INFO_BTF.
#
# Result in ${LOCKALIAS_CACHE:-~/.cache/lockalias}/realsys-6.12/:
#   bzImage, vmlinux, config, release, modules/ (modules_install tree,
#   lib/modules/RELEASE), lockalias_scenarios.ko, stamp (inputs and times).
# A no-op when the stamp matches the inputs.  JOBS=N: make -jN (default 2);
# CONFIG_ONLY=1: stop after the config.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
fx=$here/vmcore-fixtures
. "$(dirname "$0")/lib.sh"
C=$LA_CACHE
kver=6.12
out=$C/realsys-$kver
build=$out/build
obj=$build/obj
jobs=${JOBS:-2}
force=
case "${1:-}" in --force) force=1 ;; "") ;; *) echo "usage: $0 [--force]" >&2; exit 2 ;; esac
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

# The modules the guest loads (scripts/realsys-guest.sh): disk, network,
# the second file system, fw_cfg for VMCOREINFO, and `dummy`, which the
# guest loads and unloads.  localmodconfig keeps these and their dependencies.
realsys_modules="virtio_blk virtio_net net_failover failover ext4 jbd2 mbcache
crc16 xfs libcrc32c crc32c_generic bridge stp llc qemu_fw_cfg dummy autofs4 loop
binfmt_misc"

# Our fragment, merged after debug.config (reasons in the header).
realsys_fragment() {
    cat <<'EOF'
# KASAN: too slow under TCG for a boot + kdump + boot (see build-realsys-kernel.sh)
# CONFIG_KASAN is not set
CONFIG_SYSTEM_TRUSTED_KEYS=""
CONFIG_SYSTEM_REVOCATION_KEYS=""
CONFIG_MODULE_SIG_KEY="certs/signing_key.pem"
CONFIG_LOCALVERSION="-lockalias-debug"
EOF
}

deb=$(ls "$C"/debs/linux-config-${kver}_*_amd64.deb 2>/dev/null | tail -n 1 || true)
if [ -z "$deb" ]; then
    mkdir -p "$C/debs"
    "$here/scripts/debian-suites.sh" apt-get update -qq
    (cd "$C/debs" && "$here/scripts/debian-suites.sh" apt-get download -q "linux-config-$kver")
    deb=$(ls "$C"/debs/linux-config-${kver}_*_amd64.deb | tail -n 1)
fi
tarball=$("$fx/scripts/linux-source.sh" "$kver")

inputs_sum() {
    { sha256sum "$deb" "$tarball" | cut -d' ' -f1
      realsys_fragment; echo "$realsys_modules"
      cat "$fx/scenarios/lockalias_scenarios.c" "$fx/scenarios/Kbuild" "$0"; } | sha256sum | cut -c1-16
}
sum=$(inputs_sum)
if [ -z "$force" ] && [ -f "$out/stamp" ] && grep -qx "inputs: $sum" "$out/stamp" && [ -f "$out/vmlinux" ]; then
    echo "real-system kernel up to date: $out"; exit 0
fi

t0=$(date +%s)
mkdir -p "$build"
exec 9>"$out/.lock"; flock 9
src=$build/linux-source-$kver
[ -f "$src/Makefile" ] || tar -C "$build" -xf "$tarball"
mkdir -p "$obj"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-config-$kver/config.amd64_none_amd64.xz | xz -dc > "$obj/.config"
realsys_fragment > "$build/realsys.fragment"
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
    "$src/kernel/configs/debug.config" "$build/realsys.fragment" >/dev/null
make -C "$src" O="$obj" ARCH=x86_64 olddefconfig >/dev/null
# localmodconfig reads an lsmod listing: ours names the guest's modules.
{ echo "Module                  Size  Used by"
  for m in $realsys_modules; do echo "$m 16384 0"; done; } > "$build/lsmod"
make -C "$src" O="$obj" ARCH=x86_64 LSMOD="$build/lsmod" localmodconfig </dev/null >/dev/null 2>"$build/localmodconfig.log" || {
    cat "$build/localmodconfig.log" >&2; exit 1; }
# Refuse a config that lost a debug.config option we keep, or a built-in of
# Debian's (localmodconfig must only have touched =m).
warn=$build/config-warnings.txt; : > "$warn"
grep -E '^CONFIG_[A-Z0-9_]+=y$' "$src/kernel/configs/debug.config" | while read -r want; do
    case $want in CONFIG_KASAN*=y) continue ;; esac
    grep -qx "$want" "$obj/.config" || echo "debug.config: $want, final: $(grep -E "^${want%%=*}=|^# ${want%%=*} is not set" "$obj/.config" || echo '(no such symbol)')"
done >> "$warn"
cat "$warn" >&2
make -C "$src" O="$obj" ARCH=x86_64 olddefconfig >/dev/null
[ -z "${CONFIG_ONLY:-}" ] || { echo "configured: $obj/.config"; exit 0; }
t1=$(date +%s)
make -C "$src" O="$obj" ARCH=x86_64 -j"$jobs" bzImage modules
rm -rf "$out/modules.tmp"
make -C "$src" O="$obj" ARCH=x86_64 INSTALL_MOD_PATH="$out/modules.tmp" INSTALL_MOD_STRIP=1 modules_install >/dev/null
t2=$(date +%s)
mod=$build/module
mkdir -p "$mod"
cp "$fx/scenarios/Kbuild" "$fx/scenarios/lockalias_scenarios.c" "$mod/"
make -C "$obj" M="$mod" KBUILD_MODPOST_WARN=1 modules
release=$(make -s -C "$src" O="$obj" ARCH=x86_64 kernelrelease)
t3=$(date +%s)
rm -rf "$out/modules"; mv "$out/modules.tmp" "$out/modules"
for f in "$obj/arch/x86/boot/bzImage" "$obj/vmlinux" "$mod/lockalias_scenarios.ko"; do
    cp "$f" "$out/$(basename "$f").tmp" && mv "$out/$(basename "$f").tmp" "$out/$(basename "$f")"
done
cp "$obj/.config" "$out/config"
echo "$release" > "$out/release"
cat > "$out/stamp" <<EOF
inputs: $sum
release: $release
config: $(basename "$deb") config.amd64_none_amd64 + kernel/configs/debug.config + realsys fragment, localmodconfig
built: $(date -u +%Y-%m-%dT%H:%M:%SZ), config $((t1 - t0)) s, kernel+modules $((t2 - t1)) s (-j$jobs, $(gcc --version | head -n 1)), scenario module $((t3 - t2)) s
sizes: bzImage $(du -h "$out/bzImage" | cut -f1), vmlinux $(du -h "$out/vmlinux" | cut -f1), modules $(du -sh "$out/modules" | cut -f1)
EOF
cat "$out/stamp"
