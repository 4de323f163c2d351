#!/bin/bash
# scripts/make-format-dumps.sh [OUTDIR]: the 6.1 lockdep fixture dump in every
# format makedumpfile writes, for tests/integration/test_formats.py.
#
# From vmcore-fixtures/unpacked/lockdep/vmcore (the ELF dump; `make -C
# vmcore-fixtures unpack` first) with Debian 13's packaged makedumpfile
# (1.7.6, run inside the trixie root of scripts/make-root.sh; MAKEDUMPFILE=...
# runs another one on the host), the same options as
# unpacked/lockdep/vmcore-d31.kdump (the program-header fix-up of
# vmcore-fixtures/scripts/elf-phdr-fixup.py, then -d 31 -x vmlinux) and one
# format each, in OUTDIR (default build/formats/lockdep):
#   zlib.kdump (-c)  lzo.kdump (-l)  zstd.kdump (-z)
#   plain.kdump (no compression)  flat.kdump (-F -c, written to stdout)
#   split.kdump.1 + split.kdump.2 (--split -c)
# and snappy.kdump (-p), which no Debian package writes (trixie's and sid's
# makedumpfile link no snappy, QEMU neither): a copy of the committed
# vmcore-fixtures/artifacts/lockdep/vmcore-d31.snappy.kdump.xz (unpacked),
# made once from the same ELF with upstream makedumpfile 1.7.6 built with
# USESNAPPY=on (vmcore-fixtures/README.md, "The snappy copy").
# Each copy is written under a temporary name and renamed when complete; one
# that exists and is newer than the ELF dump and the makedumpfile binary is
# reused.  OUTDIR/makedumpfile.txt records the binary's version, each copy's
# log is OUTDIR/NAME.log.  Generated, never committed (build/ is ignored).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$LA_REPO"
REPO=$PWD
SRCDIR=$REPO/vmcore-fixtures/unpacked/lockdep
OUT=${1:-$REPO/build/formats/lockdep}
say() { echo "make-format-dumps: $*" >&2; }

ELF=$SRCDIR/vmcore
VMLINUX=$SRCDIR/vmlinux
SNAPPY=$SRCDIR/vmcore-d31.snappy.kdump
[ -f "$ELF" ] && [ -f "$VMLINUX" ] && [ -f "$SNAPPY" ] ||
    { say "no $ELF or $SNAPPY (run: make -C vmcore-fixtures unpack)"; exit 1; }

mkdir -p "$OUT"
case $OUT/ in "$REPO"/*) ;; *) [ -n "${MAKEDUMPFILE:-}" ] ||
    { say "$OUT: outside the clone, where the trixie root cannot see it"; exit 1; } ;; esac
if [ -z "${MAKEDUMPFILE:-}" ]; then
    root=$(scripts/make-root.sh trixie | tail -n 1)
    BINARY=$(la_root_binary "$root" makedumpfile)
    mdf() { scripts/in-root.sh trixie makedumpfile "$@"; }
else
    BINARY=$MAKEDUMPFILE
    mdf() { "$MAKEDUMPFILE" "$@"; }
fi
[ -x "$BINARY" ] || { say "no makedumpfile ($BINARY)"; exit 1; }

# name, makedumpfile's options (all with -d 31 -x vmlinux)
FORMATS="zlib:-c lzo:-l zstd:-z plain: flat:-F,-c split:--split,-c"

fresh() {   # is every file of $@ newer than the inputs?
    local f
    for f in "$@"; do
        [ -f "$f" ] && [ "$f" -nt "$ELF" ] && [ "$f" -nt "$BINARY" ] || return 1
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
            mdf $opts -d 31 -x "$VMLINUX" "$FIXED" >"$OUT/$name.kdump.tmp" 2>"$log" ||
                { cat "$log" >&2; exit 1; }
            ;;
        split)
            mdf $opts -d 31 -x "$VMLINUX" "$FIXED" \
                "$OUT/split.kdump.tmp.1" "$OUT/split.kdump.tmp.2" >"$log" 2>&1 ||
                { cat "$log" >&2; exit 1; }
            ;;
        *)
            mdf $opts -d 31 -x "$VMLINUX" "$FIXED" "$OUT/$name.kdump.tmp" >"$log" 2>&1 ||
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
# (a copy, not made by BINARY: up to date when it is byte for byte the committed one)
if ! cmp -s "$SNAPPY" "$OUT/snappy.kdump"; then
    cp "$SNAPPY" "$OUT/snappy.kdump.tmp" && mv "$OUT/snappy.kdump.tmp" "$OUT/snappy.kdump"
    echo "copied from $SNAPPY (makedumpfile 1.7.6 with snappy, see vmcore-fixtures/README.md)" > "$OUT/snappy.log"
    made=$((made + 1))
fi
{
    echo "makedumpfile: $BINARY"
    mdf -v 2>&1 | head -n 4
    echo "snappy.kdump: a copy of $SNAPPY"
} > "$OUT/makedumpfile.txt"
say "$made made, $reused reused in $OUT"
ls -l "$OUT"/*.kdump* >&2
echo "$OUT"
