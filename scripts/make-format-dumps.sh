#!/bin/bash
# scripts/make-format-dumps.sh [OUTDIR]: the 6.1 lockdep fixture dump in every
# format makedumpfile writes, for tests/integration/test_formats.py.
#
# From vmcore-fixtures/unpacked/lockdep/vmcore (the ELF dump; `make -C
# vmcore-fixtures unpack` first) with the makedumpfile of
# scripts/build-makedumpfile.sh (MAKEDUMPFILE=... to use another one), the
# same options as unpacked/lockdep/vmcore-d31.kdump (the program-header
# fix-up of vmcore-fixtures/scripts/elf-phdr-fixup.py, then -d 31 -x vmlinux)
# and one format each, in OUTDIR (default build/formats/lockdep):
#   zlib.kdump (-c)  lzo.kdump (-l)  snappy.kdump (-p)  zstd.kdump (-z)
#   plain.kdump (no compression)  flat.kdump (-F -c, written to stdout)
#   split.kdump.1 + split.kdump.2 (--split -c)
# Each copy is written under a temporary name and renamed when complete; one
# that exists and is newer than the ELF dump and the makedumpfile binary is
# reused.  OUTDIR/makedumpfile.txt records the binary's stamp, each copy's
# log is OUTDIR/NAME.log.  Generated, never committed (build/ is ignored).
# Exit status 3: makedumpfile could not be built for want of its sources;
# then OUTDIR/unavailable.txt says why (test_formats.py's skip reason).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
SRCDIR=$REPO/vmcore-fixtures/unpacked/lockdep
OUT=${1:-$REPO/build/formats/lockdep}
MDF_VERSION=${MDF_VERSION:-1.7.6}
say() { echo "make-format-dumps: $*" >&2; }

ELF=$SRCDIR/vmcore
VMLINUX=$SRCDIR/vmlinux
[ -f "$ELF" ] && [ -f "$VMLINUX" ] || { say "no $ELF (run: make -C vmcore-fixtures unpack)"; exit 1; }

mkdir -p "$OUT"
rm -f "$OUT/unavailable.txt"
if [ -z "${MAKEDUMPFILE:-}" ]; then
    rc=0
    dir=$(scripts/build-makedumpfile.sh "$MDF_VERSION" 2>"$OUT/build.err") || rc=$?
    cat "$OUT/build.err" >&2
    if [ $rc -ne 0 ]; then
        # Why there are no copies, for test_formats.py's skip reasons.
        { echo -n "makedumpfile $MDF_VERSION could not be built: "
          grep 'ERROR' "$OUT/build.err" | tail -n1 | sed 's/.*ERROR: //'; } > "$OUT/unavailable.txt"
        exit $rc
    fi
    rm -f "$OUT/build.err"
    MAKEDUMPFILE=$dir/makedumpfile
    STAMP=$dir/stamp
else
    STAMP=
fi
[ -x "$MAKEDUMPFILE" ] || { say "$MAKEDUMPFILE is not executable"; exit 1; }

# name, makedumpfile's options (all with -d 31 -x vmlinux)
FORMATS="zlib:-c lzo:-l snappy:-p zstd:-z plain: flat:-F,-c split:--split,-c"

fresh() {   # is every file of $@ newer than the inputs?
    local f
    for f in "$@"; do
        [ -f "$f" ] && [ "$f" -nt "$ELF" ] && [ "$f" -nt "$MAKEDUMPFILE" ] || return 1
    done
}

FIXED=
cleanup() { [ -z "$FIXED" ] || rm -f "$FIXED"; rm -f "$OUT"/*.tmp "$OUT"/*.tmp.[12]; }
trap cleanup EXIT
fixed_elf() {   # the program-header fix-up, once, for all formats
    if [ -z "$FIXED" ]; then
        FIXED=$OUT/vmcore.fixed.elf
        /usr/bin/python3 vmcore-fixtures/scripts/elf-phdr-fixup.py "$ELF" "$FIXED"
    fi
}

made=0 reused=0
for spec in $FORMATS; do
    name=${spec%%:*}
    opts=${spec#*:}; opts=${opts//,/ }
    log=$OUT/$name.log
    case $name in
        split) files=("$OUT/split.kdump.1" "$OUT/split.kdump.2") ;;
        *) files=("$OUT/$name.kdump") ;;
    esac
    if fresh "${files[@]}"; then reused=$((reused + 1)); continue; fi
    fixed_elf
    say "$name: makedumpfile $opts -d 31"
    rm -f "${files[@]}"
    case $name in
        flat)
            # -F writes the flattened format to stdout
            "$MAKEDUMPFILE" $opts -d 31 -x "$VMLINUX" "$FIXED" >"$OUT/$name.kdump.tmp" 2>"$log" ||
                { cat "$log" >&2; exit 1; }
            ;;
        split)
            "$MAKEDUMPFILE" $opts -d 31 -x "$VMLINUX" "$FIXED" \
                "$OUT/split.kdump.tmp.1" "$OUT/split.kdump.tmp.2" >"$log" 2>&1 ||
                { cat "$log" >&2; exit 1; }
            ;;
        *)
            "$MAKEDUMPFILE" $opts -d 31 -x "$VMLINUX" "$FIXED" "$OUT/$name.kdump.tmp" >"$log" 2>&1 ||
                { cat "$log" >&2; exit 1; }
            ;;
    esac
    if [ "$name" = split ]; then
        chmod 644 "$OUT"/split.kdump.tmp.[12]
        mv "$OUT/split.kdump.tmp.2" "$OUT/split.kdump.2"
        mv "$OUT/split.kdump.tmp.1" "$OUT/split.kdump.1"
    else
        chmod 644 "$OUT/$name.kdump.tmp"
        mv "$OUT/$name.kdump.tmp" "$OUT/$name.kdump"
    fi
    made=$((made + 1))
done
{
    echo "makedumpfile: $MAKEDUMPFILE"
    [ -n "$STAMP" ] && cat "$STAMP"
    "$MAKEDUMPFILE" -v 2>&1 | head -n1
} > "$OUT/makedumpfile.txt"
say "$made made, $reused reused in $OUT"
ls -l "$OUT"/*.kdump* >&2
echo "$OUT"
