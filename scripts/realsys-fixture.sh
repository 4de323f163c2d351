#!/bin/bash
# The real system's test fixture, assembled from its captures
# (scripts/realsys-capture.py) and kernel (scripts/build-realsys-kernel.sh):
# ${LOCKALIAS_CACHE:-~/.cache/lockalias}/realsys-6.12/fixture/, the layout
# tests/integration/test_realsys.py reads (LOCKALIAS_REALSYS_DIR, or the
# unpacked committed copy when there is one):
#   vmlinux            the kernel's debuginfo
#   vmcore.kdump       the dump kdump-tools saved in the guest (makedumpfile -F -c -d 31)
#   expected.json      parse_gt.py of the first boot's dmesg (scenario ground truth)
#   console.log        the whole serial console: boot, crash kernel, second boot
#   dmesg.txt          the first boot's kernel log when the captures began
#   postmortem-lockalias.json, postmortem-lockalias.txt
#                      what lockalias-postmortem wrote beside the dump in the guest
#   live-crash.txt, live-drgn.txt, live-drgn-t.txt, live-drgn-C.txt
#                      crash and lockalias-drgn --live in the running guest
#   stamp              the capture's stamp
# Files are hard links where possible (the dump and vmlinux are large).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
C=$LA_CACHE
K=$C/realsys-6.12
cap=${1:-$K/captures}
out=$K/fixture
dump=$(ls "$cap"/guest/crash/*/dump.* 2>/dev/null | grep -v -e '\.tmp$' -e '\.incomplete$' | head -n 1 || true)
[ -n "$dump" ] || { echo "realsys-fixture: no kdump-tools dump under $cap/guest/crash" >&2; exit 1; }
rm -rf "$out.tmp"; mkdir -p "$out.tmp"
put() { ln "$1" "$out.tmp/$2" 2>/dev/null || cp "$1" "$out.tmp/$2"; }
put "$K/vmlinux" vmlinux
put "$dump" vmcore.kdump
put "$cap/expected.json" expected.json
put "$cap/console.log" console.log
put "$cap/dmesg-ready.txt" dmesg.txt
put "$cap/stamp" stamp
d=$(dirname "$dump")
for f in lockalias.json lockalias.txt; do [ -f "$d/$f" ] && put "$d/$f" "postmortem-$f"; done
for f in "$cap"/guest/live/*.txt; do [ -f "$f" ] && put "$f" "live-$(basename "$f")"; done
rm -rf "$out"; mv "$out.tmp" "$out"
ls -la "$out"
