#!/bin/bash
# scripts/build-crash.sh VERSION: builds crash(8) VERSION (x86_64 only) from
# Debian's source package and caches it in
#   ${LOCKALIAS_CACHE:-$HOME/.cache/lockalias}/crash-VERSION/{crash,defs.h,...}
# The last line of stdout is that directory; everything else goes to stderr or
# to the log, $CACHE/crash-VERSION.log.  A finished build (the directory exists
# and holds its `stamp`) is reused at once.  Known to work for 8.0.6 (trixie's
# 8.0.6-1) and 9.0.2 (sid's 9.0.2+~16.3-1).
#
#   OUT=$(scripts/build-crash.sh 9.0.2) && make CRASH_INC=$OUT ...
#
# Sources come from $CACHE/src, and what is missing there from bullseye, trixie
# or sid via the private apt setup of scripts/debian-suites.sh (sources only).
# The build runs in $CACHE/crash-VERSION.tmp.*, which is removed on exit; the
# result is renamed into place only when complete, so an interrupted or failed
# build leaves nothing that looks finished.  Build dependencies (Debian 12
# packages) are installed when missing.  LOCKALIAS_JOBS (default 2) = make -j.
set -euo pipefail

VERSION=${1:-}
if [[ ! $VERSION =~ ^[0-9]+(\.[0-9]+)+$ ]]; then
    echo "usage: $0 VERSION   (upstream crash version, e.g. 8.0.6 or 9.0.2)" >&2
    exit 2
fi
exec 3>&1 1>&2          # stdout is only for the result (fd 3)

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${LOCKALIAS_CACHE:-$HOME/.cache/lockalias}
SRC=$CACHE/src
OUT=$CACHE/crash-$VERSION
LOG=$CACHE/crash-$VERSION.log
JOBS=${LOCKALIAS_JOBS:-2}
# What crash and its bundled gdb need on Debian 12: Debian's Build-Depends
# minus debhelper, binutils-dev and gawk (the binary builds without them, mawk
# does), plus libgmp-dev (gdb 16's top-level configure stops without GMP and
# MPFR), liblzma-dev (gdb's .gnu_debugdata/xz support) and, to unpack,
# dpkg-dev, patch, xz-utils.  gdb 10.2 (crash 8) runs makeinfo for bfd's docs.
DEPS="make gcc g++ libc6-dev patch xz-utils dpkg-dev bison flex texinfo
      libncurses-dev zlib1g-dev liblzma-dev libgmp-dev libmpfr-dev
      liblzo2-dev libsnappy-dev libzstd-dev"

done_() { echo "$OUT" >&3; exit 0; }
say() { echo "build-crash $VERSION: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[ -f "$OUT/stamp" ] && done_

[ "$(uname -m)" = x86_64 ] || die "only x86_64 hosts are supported"
mkdir -p "$CACHE" "$SRC"
# One build per version at a time; a second caller waits and then reuses it.
exec 9>"$CACHE/crash-$VERSION.lock"
flock 9
[ -f "$OUT/stamp" ] && done_
rm -rf "$OUT" "$CACHE/crash-$VERSION".tmp.*      # leftovers of a killed build

TMP=$(mktemp -d "$CACHE/crash-$VERSION.tmp.XXXXXX")
CHILD=
cleanup() {
    if [ -n "$CHILD" ]; then kill -TERM -- -"$CHILD" "$CHILD" 2>/dev/null || true; wait "$CHILD" 2>/dev/null || true; fi
    [ -n "${LOCKALIAS_KEEP_BUILD:-}" ] && { say "build tree kept in $TMP"; return; }
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT TERM HUP
: > "$LOG"
say "log: $LOG"

# Runs "$@" with its output in the log, in its own process group so that an
# interrupt stops the whole build (make, gdb's make, the compilers).
run() {
    echo "+ $*" >>"$LOG"
    setsid -w "$@" >>"$LOG" 2>&1 </dev/null 9>&- &
    CHILD=$!
    local rc=0
    wait "$CHILD" || rc=$?
    CHILD=
    return $rc
}

# ---- build dependencies (Debian 12 only, from the system's sources) --------
missing=
for p in $DEPS; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
    say "installing build dependencies:$missing"
    [ "$(id -u)" -eq 0 ] || die "run as root (or: sudo apt-get install --no-install-recommends$missing)"
    export DEBIAN_FRONTEND=noninteractive
    inst="apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600$missing"
    run $inst || { run apt-get update -q && run $inst; } || die "apt-get install failed, see $LOG"
fi

# ---- sources -----------------------------------------------------------------
SUITES=$HERE/debian-suites.sh
suites() { "$SUITES" "$@"; }
# Debian's newest source version of upstream VERSION (e.g. 9.0.2+~16.3-1).
debian_version() {
    suites apt-cache showsrc crash 2>/dev/null | sed -n 's/^Version: //p' |
        grep -E "^([0-9]+:)?${VERSION//./\\.}(\+~[0-9.]+)?-[^-]+$" | sort -uV | tail -n1 || true
}
# A .dsc whose files are all in $SRC.
dsc_complete() {
    [ -f "$1" ] || return 1
    local f
    for f in $(sed -n '/^Files:/,/^[^ ]/s/^ [0-9a-f]\{32\} [0-9]* //p' "$1"); do
        [ -f "$SRC/$f" ] || return 1
    done
}
local_dsc() { ls "$SRC/crash_$VERSION"-*.dsc "$SRC/crash_$VERSION"+*.dsc 2>/dev/null | sort -V | tail -n1 || true; }

dsc=$(local_dsc)
if ! dsc_complete "$dsc"; then
    dv=$(debian_version)
    if [ -z "$dv" ]; then
        say "updating the package lists of $CACHE/apt (bullseye, trixie, sid)"
        run "$SUITES" apt-get update -q || say "apt-get update failed (see $LOG); trying what is there"
        dv=$(debian_version)
    fi
    [ -n "$dv" ] || die "no Debian source package of crash $VERSION in bullseye/trixie/sid"
    say "fetching what is missing of Debian source crash $dv into $SRC"
    # apt-get skips the files already there; for 8.0.6-1 the mirror answers
    # 404 for the .dsc and .debian.tar.xz, so a failure here is not fatal.
    run env -C "$SRC" "$SUITES" apt-get source --download-only -q "crash=$dv" ||
        say "apt-get source failed (see $LOG); using the files there are"
    dsc=$SRC/crash_${dv#*:}.dsc
    dsc_complete "$dsc" || dsc=
    uv=${dv#*:}; uv=${uv%-*}
else
    uv=$(basename "$dsc" .dsc); uv=${uv#crash_}; uv=${uv%-*}
fi

# Unpacks tarball $1 as directory $2, dropping a single top-level directory.
unpack_as() {
    local x=$TMP/x
    rm -rf "$x"; mkdir "$x"
    tar -xf "$1" -C "$x" --no-same-owner
    if [ "$(ls -A "$x" | wc -l)" = 1 ] && [ -d "$x/$(ls -A "$x")" ]; then
        mv "$x/$(ls -A "$x")" "$2"; rmdir "$x"
    else
        mv "$x" "$2"
    fi
}

B=$TMP/src
if [ -n "$dsc" ]; then
    how="dpkg-source -x $(basename "$dsc")"
    say "unpacking: $how"
    run dpkg-source -x "$dsc" "$B" || die "dpkg-source failed, see $LOG"
else
    # No complete .dsc: trixie's crash 8.0.6-1 is like this on this mirror
    # (its .dsc and .debian.tar.xz answer 404).  Its orig tarball is upstream
    # crash-8.0.6 with gdb-10.2.tar.gz inside, which crash's Makefile unpacks
    # and patches itself, so it builds as it is; Debian's own patches for it
    # (only packaging ones) are then missing.
    orig=$(ls "$SRC/crash_$uv".orig.tar.* 2>/dev/null | head -n1 || true)
    [ -n "$orig" ] || die "neither a complete .dsc nor crash_$uv.orig.tar.* in $SRC"
    how="$(basename "$orig")"
    unpack_as "$orig" "$B"
    for comp in "$SRC/crash_$uv".orig-*.tar.*; do      # e.g. orig-gdb -> gdb/
        [ -f "$comp" ] || continue
        name=${comp##*.orig-}; name=${name%%.tar.*}
        how="$how + $(basename "$comp")"
        unpack_as "$comp" "$B/$name"
    done
    deb=$(ls "$SRC/crash_${dv#*:}".debian.tar.* 2>/dev/null | head -n1 || true)
    if [ -n "$deb" ]; then
        how="$how + $(basename "$deb") (patches applied with patch -p1)"
        tar -xf "$deb" -C "$B" --no-same-owner
        if [ -f "$B/debian/patches/series" ]; then
            sed -e 's/#.*//' "$B/debian/patches/series" | while read -r p opt; do
                [ -n "$p" ] || continue
                echo "+ patch ${opt:--p1} < debian/patches/$p" >>"$LOG"
                patch -d "$B" ${opt:--p1} --no-backup-if-mismatch -f -s <"$B/debian/patches/$p" >>"$LOG" 2>&1 ||
                    die "patch $p does not apply, see $LOG"
            done
        fi
    else
        how="$how (no Debian patches)"
    fi
    say "unpacked $how"
fi

# ---- build ---------------------------------------------------------------
# Plain `make` on x86_64 builds crash for X86_64, gdb included; the lzo, snappy
# and zstd goals add those compressions (kdump-compressed dumps), as Debian's
# rules do with `make; make extensions lzo snappy zstd`, here in one pass.
say "building (make -j$JOBS lzo snappy zstd), 15-30 minutes; log: $LOG"
start=$(date +%s)
run make -C "$B" -j"$JOBS" lzo snappy zstd || die "make failed, see $LOG"
[ -x "$B/crash" ] || die "make left no crash binary, see $LOG"
"$B/crash" --version >>"$LOG" 2>&1 || die "the new crash does not run, see $LOG"

R=$TMP/out
mkdir "$R"
cp --preserve=mode,timestamps "$B/crash" "$B/defs.h" "$B/crash.8" "$B/CFLAGS.extra" "$B/LDFLAGS.extra" "$R/"
{
    echo "crash $VERSION for x86_64, built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(( $(date +%s) - start ))s"
    echo "from: $how"
    echo "make: make -j$JOBS lzo snappy zstd"
    "$B/crash" --version 2>/dev/null | sed -n 's/^crash \([^ ]*\).*/crash: \1/p; s/^GNU gdb/gdb:/p'
} > "$R/stamp"
cp "$LOG" "$R/build.log"
mv -T "$R" "$OUT"       # atomic: either the whole result or nothing
say "done: $OUT"
done_
