#!/bin/bash
# QEMU's own dumps of one stopped guest, for tests/integration/test_qemu_dumps.py
# (make formats): the live kernel (lockdep-6.12 + PROC_KCORE, committed in
# vmcore-fixtures/live-6.12, unpacked by make -C vmcore-fixtures unpack) booted under TCG with the scenario module,
# stopped once its ground truth is printed, and dumped twice by QEMU itself:
# `dump-guest-memory` as ELF and with format=kdump-zlib (QEMU's `-z`, what
# `virsh dump --memory-only --format=kdump-zlib` writes; QEMU < 8.2 writes it
# in makedumpfile's flattened form). Debian 12's QEMU 7.2 offers only
# kdump-zlib (query-dump-guest-memory-capability: elf, kdump-zlib, win-dmp).
#
# usage: scripts/make-qemu-dumps.sh [OUTDIR]   (default build/formats/qemu-6.12)
# Writes OUTDIR/{vmcore.elf,vmcore.kdump,console.log,expected.json,vmlinux,stamp};
# reused while the stamp matches (the live kernel's stamp and these scripts).
# Exit 3, with the reason in OUTDIR/unavailable.txt, when the live kernel or
# QEMU is missing: the tests then skip with that reason. About 30 s under TCG.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$here/build/formats/qemu-6.12}")
live=${LOCKALIAS_LIVE_DIR:-$here/vmcore-fixtures/unpacked/live-6.12}
fx=$here/vmcore-fixtures/scripts
mkdir -p "$out"
rm -f "$out/unavailable.txt"

unavailable() {
    echo "$1" > "$out/unavailable.txt"
    echo "make-qemu-dumps: $1" >&2
    exit 3
}
for f in bzImage vmlinux lockalias_scenarios.ko stamp; do
    [ -f "$live/$f" ] || unavailable "no live kernel ($live/$f missing): make -C vmcore-fixtures unpack"
done
command -v qemu-system-x86_64 >/dev/null || unavailable "no qemu-system-x86_64 (apt-get install qemu-system-x86)"

sum=$(cat "$live/stamp" "$0" "$fx/capture.py" "$fx/mkinitramfs.sh" | sha256sum | cut -c1-16)
if [ -f "$out/stamp" ] && grep -qx "inputs: $sum" "$out/stamp" && [ -s "$out/expected.json" ] \
   && [ -s "$out/vmcore.elf" ] && [ -s "$out/vmcore.kdump" ]; then
    echo "$out"
    exit 0
fi
rm -f "$out/stamp"
"$fx/mkinitramfs.sh" "$out/initramfs.cpio.gz" live "$live/lockalias_scenarios.ko" >&2
/usr/bin/python3 "$fx/capture.py" --kernel "$live/bzImage" --initrd "$out/initramfs.cpio.gz" \
    --outdir "$out/capture" --variant live --kdump >&2
mv "$out/capture/vmcore.elf" "$out/capture/vmcore.kdump" "$out/capture/console.log" "$out/"
rmdir "$out/capture"
/usr/bin/python3 "$fx/parse_gt.py" "$out/console.log" --variant live > "$out/expected.json"
ln -sf "$live/vmlinux" "$out/vmlinux"
echo "inputs: $sum" > "$out/stamp"
echo "$out"
