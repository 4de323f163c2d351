#!/bin/bash
# The kernel x crash matrix (make matrix). For Debian 12's crash and each
# crash in MATRIX_CRASHES (built by scripts/build-crash.sh, cached outside
# the clone): lockalias.so against that crash's headers, then the focused
# suite (tests/integration/test_kernels.py + test_fixtures.py) on every
# fixture kernel. A crash that cannot open a fixture is recorded with its
# error; support_matrix.py lists the pairs that must open. Writes
# build/matrix/crash-V.xml and the support table build/matrix/support.md.
set -uo pipefail
cd "$(dirname "$0")/.."
out=build/matrix
rm -rf "$out" && mkdir -p "$out"
pairs=("8.0.2 /usr/bin/crash /usr/include/crash")
for v in ${MATRIX_CRASHES:-8.0.6 9.0.2}; do
    dir=$(scripts/build-crash.sh "$v" | tail -n 1) && [ -x "$dir/crash" ] || {
        echo "matrix: crash $v did not build (see the log under ${LOCKALIAS_CACHE:-$HOME/.cache/lockalias})" >&2
        exit 1
    }
    pairs+=("$v $dir/crash $dir")
done
# Does a .so built against Debian 12's headers run inside the others? Only
# if every crash structure member the glue touches sits where it did.
abi() { gcc -DX86_64 -I"$1" -o "$out/glue_abi" tests/abi/glue_abi.c && "$out/glue_abi"; }
abi /usr/include/crash > "$out/abi-8.0.2.txt" || exit 1
# The newest drgn scripts/build-drgn.sh built, if any (as the Makefile picks it).
drgn_path=$(ls -d "${LOCKALIAS_CACHE:-$HOME/.cache/lockalias}"/drgn-*/stamp 2>/dev/null | sort -V | tail -n 1)
drgn_path=${drgn_path%/stamp}
status=0
for p in "${pairs[@]}"; do
    read -r v crash inc <<<"$p"
    so=$PWD/$out/$v/lockalias.so
    make -s SO="$so" EXT_BUILD="$out/$v/ext" CRASH_INC="$inc" || exit 1
    abi "$inc" > "$out/abi-$v.txt" || exit 1
    if cmp -s "$out/abi-8.0.2.txt" "$out/abi-$v.txt"; then
        echo "== crash $v: the glue's view of crash's structures is 8.0.2's: an 8.0.2-built lockalias.so runs in it"
    else
        echo "== crash $v: crash's structures moved (diff below): rebuild lockalias.so with make CRASH_INC=$inc"
        diff "$out/abi-8.0.2.txt" "$out/abi-$v.txt"
    fi
    echo "== crash $v ($crash), lockalias built against $inc"
    CRASH=$crash LOCKALIAS_SO=$so LOCKALIAS_FIXTURES_NO_UNPACK=1 \
        /usr/bin/python3 -m pytest -q -rs -p no:cacheprovider --junitxml="$out/crash-$v.xml" \
        tests/integration/test_kernels.py tests/integration/test_fixtures.py || status=1
    # The drgn front end beside this crash: the same JSON on every dump both read.
    echo "== crash $v beside lockalias-drgn (drgn: ${drgn_path:-python3-drgn of Debian 12})"
    CRASH=$crash LOCKALIAS_SO=$so LOCKALIAS_FIXTURES_NO_UNPACK=1 LOCKALIAS_DRGN_PATH=$drgn_path \
        /usr/bin/python3 -m pytest -q -rs -p no:cacheprovider tests/integration/test_drgn.py \
        -k same_json || status=1
done
echo "== kernel x crash support (build/matrix/support.md)"
/usr/bin/python3 tests/integration/matrix_table.py "$out"/crash-*.xml | tee "$out/support.md"
exit $status
