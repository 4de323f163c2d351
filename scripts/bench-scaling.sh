#!/bin/bash
# scripts/bench-scaling.sh (make bench-scaling; not part of make test): how
# the scan's time and crash's peak RSS grow with the guest's memory. For each
# size in SCALING_SIZES (default 256M 1G 4G 16G) the lockdep fixture kernel
# boots under QEMU (TCG) with that much memory, the 1M slab locks of
# vmcore-fixtures/large/fill_locks.c and BALLAST_MB = MEM/2 - 32 MiB of kept,
# non-zero pages (so the pages makedumpfile -d 31 keeps grow with the size;
# the 32 MiB leave the 256 MiB guest, 214 MiB available after the kernel,
# room for its 64 MiB of locks and the scenario module), is dumped once as
# ELF (`make -C vmcore-fixtures large-capture`) and copied as zlib, lzo and
# zstd kdumps (makedumpfile -d 31 -x vmlinux, -c/-l/-z, as
# scripts/make-format-dumps.sh does). Then tests/bench/bench_scaling.py
# measures each dump (SCALING_REPS repetitions, default 3) and prints one
# table over all sizes, with a linear fit per format. "Dumped pages" are the
# ELF's file pages and the kdumps' page descriptors; for a kdump the table
# also gives how many of those are zero pages (makedumpfile writes each as a
# descriptor of one shared zero page; makedumpfile 1.7.6 says "The kernel
# version is not supported" for 6.12 and leaves its free pages in).
#
# Everything is generated outside the clone, never committed, and reused:
#   $SCALING_DIR (default ~/.cache/lockalias/scaling)/
#     build/lockdep -> the fixture build tree (bzImage, vmlinux, obj/,
#                      module/lockalias_scenarios.ko); FIXTURE_BUILD=DIR
#                      makes that link (default: vmcore-fixtures/build/lockdep
#                      when it exists)
#     MEM/capture/{vmcore.elf,console.log}  MEM/expected.json
#     MEM/{zlib,lzo,zstd}.kdump (+ .log)    results-DATE.jsonl, table-DATE.md
# A capture is reused when complete (every segment in the file, the
# scenario module's "done" on its console); a kdump when newer than its ELF
# and makedumpfile. makedumpfile reads the ELF only with QEMU's program
# headers moved (vmcore-fixtures/scripts/elf-phdr-fixup.py); instead of a
# full copy (16 GiB for the largest guest) the fix-up is applied to the
# ELF's first 4 KiB in place and undone, with the file's time, afterwards.
# SCALING_KEEP=current deletes a size's dumps once it is measured (when the
# disk cannot hold them all). Each row records the load and the CPU time
# other work took while it was measured; SCALING_WAIT_QUIET=SECONDS waits up
# to that long before each dump for the machine to go quiet (default 0).
#
# crash and makedumpfile: the packaged ones of Debian release SCALING_SUITE
# (default sid: crash 9.0.2, which opens every fixture kernel, and
# makedumpfile 1.7.8), run inside its root (scripts/in-root.sh, with
# SCALING_DIR and the fixture build tree bound in); lockalias.so and
# bench_read_floor are built there against its headers (make
# root-build-SUITE; LOCKALIAS_SO=... and READ_FLOOR=... to measure prebuilt
# ones instead, paths inside the root). The QEMU captures run on the host.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$LA_REPO"
REPO=$PWD
PY=/usr/bin/python3
CACHE=$LA_CACHE
DIR=${SCALING_DIR:-$CACHE/scaling}
SIZES=${SCALING_SIZES:-256M 1G 4G 16G}
REPS=${SCALING_REPS:-3}
SUITE=${SCALING_SUITE:-sid}
say() { echo "bench-scaling: $*" >&2; }

mkdir -p "$DIR/build"
BUILD=$DIR/build
if [ -n "${FIXTURE_BUILD:-}" ]; then
    ln -sfn "$(realpath "$FIXTURE_BUILD/lockdep")" "$BUILD/lockdep"
elif [ ! -e "$BUILD/lockdep" ] && [ -d vmcore-fixtures/build/lockdep ]; then
    ln -sfn "$REPO/vmcore-fixtures/build/lockdep" "$BUILD/lockdep"
fi
K=$BUILD/lockdep
for f in bzImage vmlinux obj/.config module/lockalias_scenarios.ko; do
    [ -e "$K/$f" ] || { say "no $K/$f: FIXTURE_BUILD=DIR names a fixture build tree (DIR/lockdep/...)"; exit 1; }
done

ROOT=$(scripts/make-root.sh "$SUITE" | tail -n 1)
in_root() { LOCKALIAS_ROOT_BIND="$DIR:$(realpath "$K")" scripts/in-root.sh "$SUITE" "$@"; }
MAKEDUMPFILE=$(la_root_binary "$ROOT" makedumpfile)
if [ -z "${LOCKALIAS_SO:-}" ] || [ -z "${READ_FLOOR:-}" ]; then
    make -s root-build-"$SUITE"
    in_root make -s BUILD="build/roots/$SUITE" "build/roots/$SUITE/bench_read_floor"
fi
SO=${LOCKALIAS_SO:-$(la_root_so "$SUITE")}
READ_FLOOR=${READ_FLOOR:-$REPO/build/roots/$SUITE/bench_read_floor}
STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS=$DIR/results-$STAMP.jsonl
say "$SUITE root: crash $(in_root crash -v 2>/dev/null | sed -n 's/^crash \([0-9.]*\).*/\1/p' | head -n1), $(in_root makedumpfile -v 2>&1 | head -n1)"
say "lockalias.so: $SO; results: $RESULTS"

mib() {   # 256M, 1G, 16G -> MiB
    case $1 in *M) echo "${1%M}" ;; *G) echo $(( ${1%G} * 1024 )) ;; *) say "size $1: use M or G"; exit 1 ;; esac
}

# The program-header fix-up in place: the fixed copy of the first 4 KiB
# over the ELF's own, the original kept beside it and put back on exit.
ELF_PATCHED=
unpatch() {
    [ -n "$ELF_PATCHED" ] || return 0
    local elf=$ELF_PATCHED
    dd if="$elf.head" of="$elf" bs=4096 count=1 conv=notrunc status=none
    cmp -s -n 4096 "$elf.head" "$elf" || { say "could not restore $elf's header (saved in $elf.head)"; return 1; }
    touch -r "$elf.saved" "$elf"
    chmod "$(cat "$elf.saved")" "$elf"
    rm -f "$elf.head" "$elf.head.fixed" "$elf.saved"
    ELF_PATCHED=
}
patch_elf() {
    local elf=$1
    [ -z "$ELF_PATCHED" ] || return 0
    [ ! -e "$elf.head" ] || { say "$elf.head exists: an earlier run stopped while $elf was patched; restore it first"; exit 1; }
    stat -c %a "$elf" > "$elf.saved" && touch -r "$elf" "$elf.saved"
    dd if="$elf" of="$elf.head" bs=4096 count=1 status=none
    $PY vmcore-fixtures/scripts/elf-phdr-fixup.py "$elf.head" "$elf.head.fixed" >&2
    chmod u+w "$elf"
    ELF_PATCHED=$elf
    dd if="$elf.head.fixed" of="$elf" bs=4096 count=1 conv=notrunc status=none
}
cleanup() { unpatch; rm -f "$DIR"/*/*.kdump.tmp; }
trap cleanup EXIT

MAKE_LARGE=(make -s -C vmcore-fixtures PYTHON=$PY BUILD="$BUILD" CAPTURE_TIMEOUT=5400
            -o "$K/bzImage" -o "$K/vmlinux" -o "$K/module/lockalias_scenarios.ko")

for MEM in $SIZES; do
    D=$DIR/$MEM
    ELF=$D/capture/vmcore.elf
    ballast=$(( $(mib "$MEM") / 2 - 32 ))
    [ $ballast -ge 0 ] || ballast=0
    mkdir -p "$D"
    if [ -f "$ELF" ] && ! { $PY tests/bench/bench_scaling.py complete "$ELF" &&
                              grep -q 'lockalias-gt: done' "$D/capture/console.log"; }; then
        say "$MEM: $ELF is incomplete: captured again"
        rm -f "$ELF"
    fi
    before=$(stat -c %Y "$ELF" 2>/dev/null || echo 0)
    t0=$(date +%s)
    "${MAKE_LARGE[@]}" LARGE="$D" LARGE_MEM="$MEM" BALLAST_MB=$ballast large-capture >"$D/capture.log" 2>&1 ||
        { cat "$D/capture.log" >&2; say "$MEM: capture failed"; exit 1; }
    if [ "$(stat -c %Y "$ELF")" != "$before" ]; then
        echo "$MEM: capture (make large-capture) took $(( $(date +%s) - t0 )) s;" \
            $(grep -h 'marker after\|ELF dump took' "$D/capture.log") > "$D/capture.took"
        say "$(cat "$D/capture.took")"
    else
        say "$MEM: capture reused ($ELF)"
    fi
    grep -h 'lockalias-fill: ballast [0-9]* of' "$D/capture/console.log" | sed 's/^\[[ 0-9.]*\] /bench-scaling: '"$MEM"': /' >&2 || true
    if [ ! "$D/expected.json" -nt "$D/capture/console.log" ]; then
        $PY vmcore-fixtures/scripts/parse_gt.py "$D/capture/console.log" --variant large > "$D/expected.json.tmp"
        mv "$D/expected.json.tmp" "$D/expected.json"
    fi
    todo=   # (decided before the fix-up touches the ELF)
    for spec in zlib:-c lzo:-l zstd:-z; do
        out=$D/${spec%%:*}.kdump
        [ "$out" -nt "$ELF" ] && [ "$out" -nt "$MAKEDUMPFILE" ] || todo="$todo $spec"
    done
    for spec in $todo; do
        name=${spec%%:*} opt=${spec#*:}
        out=$D/$name.kdump
        patch_elf "$ELF"
        t0=$(date +%s)
        rm -f "$out"
        in_root makedumpfile "$opt" -d 31 -x "$K/vmlinux" "$ELF" "$out.tmp" >"$D/$name.log" 2>&1 ||
            { cat "$D/$name.log" >&2; say "$MEM: makedumpfile $opt failed"; exit 1; }
        mv "$out.tmp" "$out"
        msg="$MEM: $name.kdump: makedumpfile $opt -d 31 took $(( $(date +%s) - t0 )) s"
        echo "$msg" >> "$D/capture.took"; say "$msg"
    done
    unpatch
    say "$MEM: load $(cut -d' ' -f1-3 /proc/loadavg) before the benchmark ($(uptime))"
    in_root /usr/bin/python3 tests/bench/bench_scaling.py run "$K/vmlinux" "$SO" "$READ_FLOOR" "$REPS" "$MEM" "$D/expected.json" "$RESULTS" \
        elf="$ELF" zlib="$D/zlib.kdump" lzo="$D/lzo.kdump" zstd="$D/zstd.kdump"
    if [ "${SCALING_KEEP:-all}" = current ]; then
        say "$MEM: SCALING_KEEP=current: its dumps deleted"
        rm -f "$ELF" "$D"/*.kdump
    fi
done
$PY tests/bench/bench_scaling.py table "$RESULTS" | tee "$DIR/table-$STAMP.md"
