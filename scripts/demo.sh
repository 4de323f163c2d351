#!/bin/sh
# The main job on the bundled dump: load lockalias into crash and scan.
# Run through `make demo`, which builds the extension and unpacks the dump.
set -e
here=$(cd "$(dirname "$0")/.." && pwd)
dump=$here/vmcore-fixtures/unpacked/lockdep
cmds=$(mktemp)
trap 'rm -f "$cmds"' EXIT
cat > "$cmds" <<CMDS
extend $here/extension/lockalias.so
lockalias
quit
CMDS
echo "crash -s $dump/vmlinux $dump/vmcore  (then: extend lockalias.so; lockalias)"
echo
crash -s "$dump/vmlinux" "$dump/vmcore" -i "$cmds" </dev/null
