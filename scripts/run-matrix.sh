#!/bin/bash
# The kernel x crash and kernel x drgn matrix (make matrix): each Debian
# release's own packaged tools, as that release's users run them.
#   host:   Debian 12's crash 8.0.2 and python3-drgn 0.0.22
#   trixie: Debian 13's crash 8.0.6 and python3-drgn 0.0.31 (in its root)
#   sid:    unstable's crash 9.0.2 and python3-drgn 0.3.0 (in its root)
# The roots are scripts/make-root.sh's (made when missing, about 2 min each);
# lockalias.so and the Python module are built inside each root with that
# release's compiler, crash headers and Python (build/roots/SUITE). For each
# release: the focused suite (test_kernels.py + test_fixtures.py) on every
# fixture kernel with its crash, test_drgn.py's same-JSON checks (its drgn
# beside its crash), and the drgn suite (every `lockalias` command run by
# lockalias-drgn with that drgn, crash answering the ground truth). A crash
# that cannot open a fixture is recorded with its error;
# tests/integration/support_matrix.py lists the pairs that must open.
# On the host only the crash suite runs (for the table): make check has run
# the rest with Debian 12's crash and drgn (MATRIX_HOST_DRGN=1 runs it here
# too). Writes build/matrix/crash-V.xml, drgn-V.xml and the support table
# build/matrix/support.md. MATRIX_SUITES (default "host trixie sid").
set -uo pipefail
cd "$(dirname "$0")/.."
out=build/matrix
rm -rf "$out" && mkdir -p "$out"
# The drgn suite: what `make integration-drgn` runs (the drgn_suite marker).
drgn_suite=(-m "drgn_suite and not formats" tests/integration)

# The real system's capture (docs/real-system.md), where its recipe was run:
# seen at the same path inside the roots (test_realsys.py skips without it).
realsys=${LOCKALIAS_CACHE:-$HOME/.cache/lockalias}/realsys-6.12
if [ -f "$realsys/fixture/vmcore.kdump" ]; then
    export LOCKALIAS_REALSYS_DIR=$realsys/fixture
    export LOCKALIAS_ROOT_BIND=${LOCKALIAS_ROOT_BIND:+$LOCKALIAS_ROOT_BIND:}$realsys
fi

# run SUITE CMD...: CMD on the host (Debian 12) or inside SUITE's root
run() {
    local suite=$1; shift
    if [ "$suite" = host ]; then "$@"; else scripts/in-root.sh "$suite" "$@"; fi
}

# Does a .so built against Debian 12's headers run inside the others? Only
# if every crash structure member the glue touches sits where it did.
abi() { run "$1" sh -c "gcc -DX86_64 -I/usr/include/crash -o $out/glue_abi-$1 tests/abi/glue_abi.c && $out/glue_abi-$1"; }
abi host > "$out/abi-host.txt" || exit 1

status=0
for suite in ${MATRIX_SUITES:-host trixie sid}; do
    if [ "$suite" = host ]; then
        b=build; so=$PWD/extension/lockalias.so
        make -s all || exit 1
    else
        b=build/roots/$suite; so=$PWD/$b/lockalias.so
        make -s root-build-"$suite" || { echo "matrix: lockalias did not build in the $suite root" >&2; exit 1; }
    fi
    crash_v=$(run "$suite" crash --version | sed -n 's/^crash \([0-9.]*[0-9]\).*/\1/p' | head -n 1)
    drgn_v=$(run "$suite" /usr/bin/python3 -c 'import drgn; print(drgn.__version__)')
    [ -n "$crash_v" ] && [ -n "$drgn_v" ] || { echo "matrix: no crash or drgn version in $suite" >&2; exit 1; }
    abi "$suite" > "$out/abi-$crash_v.txt" || exit 1
    if cmp -s "$out/abi-host.txt" "$out/abi-$crash_v.txt"; then
        echo "== crash $crash_v: the glue's view of crash's structures is 8.0.2's: an 8.0.2-built lockalias.so runs in it"
    else
        echo "== crash $crash_v: crash's structures moved (diff below): build lockalias.so against its own defs.h"
        diff "$out/abi-host.txt" "$out/abi-$crash_v.txt"
    fi
    pytest=(env LOCKALIAS_SO="$so" LOCKALIAS_FIXTURES_NO_UNPACK=1 /usr/bin/python3 -m pytest -q -rs -p no:cacheprovider)
    echo "== $suite: crash $crash_v, lockalias built against its headers ($b)"
    run "$suite" "${pytest[@]}" --junitxml="$out/crash-$crash_v.xml" \
        tests/integration/test_kernels.py tests/integration/test_fixtures.py tests/integration/test_realsys.py || status=1
    # Debian 12's drgn beside its crash, and its drgn suite, are make check's
    # (make integration runs test_drgn.py, make integration-drgn the suite).
    [ "$suite" = host ] && [ -z "${MATRIX_HOST_DRGN:-}" ] && continue
    echo "== $suite: crash $crash_v beside lockalias-drgn with drgn $drgn_v"
    run "$suite" "${pytest[@]}" tests/integration/test_drgn.py -k same_json || status=1
    echo "== $suite: the drgn suite with drgn $drgn_v (crash $crash_v answers the ground truth)"
    run "$suite" env LOCKALIAS_ENGINE=drgn "${pytest[@]}" --junitxml="$out/drgn-$drgn_v.xml" \
        "${drgn_suite[@]}" || status=1
done
echo "== kernel x crash support (build/matrix/support.md)"
/usr/bin/python3 tests/integration/matrix_table.py "$out"/crash-*.xml | tee "$out/support.md"
exit $status
