#!/bin/bash
# scripts/build-makedumpfile.sh VERSION: builds makedumpfile VERSION (x86_64)
# from Debian's source package, with lzo, snappy and zstd, and caches it in
#   ${LOCKALIAS_CACHE:-$HOME/.cache/lockalias}/makedumpfile-VERSION/{makedumpfile,...}
# The last line of stdout is that directory; everything else goes to stderr or
# to the log, $CACHE/makedumpfile-VERSION.log.  A finished build (the directory
# exists and holds its `stamp`) is reused at once.  Known to work for 1.7.6
# (trixie's 1:1.7.6-1), the one `make formats` uses.
#
#   MDF=$(scripts/build-makedumpfile.sh 1.7.6)/makedumpfile
#
# Sources come from $CACHE/src, and what is missing there from bullseye, trixie
# or sid via the private apt setup of scripts/debian-suites.sh (sources only;
# no binary of those suites is ever installed).  Every source file found is
# checked against the sha256 of Debian's Sources index, so one put into
# $CACHE/src by hand is used only if it is Debian's file.  Debian's orig
# tarball of makedumpfile is upstream's `git archive` of the tag, gzip -6 -n:
#   git archive --format=tar --prefix=makedumpfile-1.7.6/ 1.7.6 | gzip -6 -n \
#       > $CACHE/src/makedumpfile_1.7.6.orig.tar.gz
# gives Debian's file byte for byte (the mirror may answer 404 for it).
# Without the .debian.tar.xz the build has no Debian patches (Debian's only
# touch packaging; upstream's Makefile builds the binary as it is).
#
# The build runs in $CACHE/makedumpfile-VERSION.tmp.*, removed on exit; the
# result is renamed into place only when complete.  Build dependencies (Debian
# 12 packages) are installed when missing.  Exit status 3: the sources cannot
# be had (the caller may skip what needs the binary); 1: any other failure.
set -euo pipefail

VERSION=${1:-}
if [[ ! $VERSION =~ ^[0-9]+(\.[0-9]+)+$ ]]; then
    echo "usage: $0 VERSION   (upstream makedumpfile version, e.g. 1.7.6)" >&2
    exit 2
fi
exec 3>&1 1>&2          # stdout is only for the result (fd 3)

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${LOCKALIAS_CACHE:-$HOME/.cache/lockalias}
SRC=$CACHE/src
OUT=$CACHE/makedumpfile-$VERSION
LOG=$CACHE/makedumpfile-$VERSION.log
JOBS=${LOCKALIAS_JOBS:-2}
# Debian's Build-Depends (libbz2-dev libdw-dev libelf-dev liblzo2-dev
# libz-dev libzstd-dev) less debhelper, plus libsnappy-dev (Debian's package
# has no snappy; the tests want every compression makedumpfile writes) and
# what unpacking needs.
DEPS="make gcc libc6-dev dpkg-dev xz-utils patch
      libelf-dev libdw-dev zlib1g-dev libbz2-dev liblzma-dev
      liblzo2-dev libsnappy-dev libzstd-dev"
MAKEARGS="LINKTYPE=dynamic USELZO=on USESNAPPY=on USEZSTD=on"

done_() { echo "$OUT" >&3; exit 0; }
say() { echo "build-makedumpfile $VERSION: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
nosrc() { say "ERROR: $*"; exit 3; }

[ -f "$OUT/stamp" ] && done_

[ "$(uname -m)" = x86_64 ] || die "only x86_64 hosts are supported"
mkdir -p "$CACHE" "$SRC"
exec 9>"$CACHE/makedumpfile-$VERSION.lock"
flock 9
[ -f "$OUT/stamp" ] && done_
rm -rf "$OUT" "$CACHE/makedumpfile-$VERSION".tmp.*      # leftovers of a killed build

TMP=$(mktemp -d "$CACHE/makedumpfile-$VERSION.tmp.XXXXXX")
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
# Debian's newest source version of upstream VERSION (e.g. 1:1.7.6-1).
debian_version() {
    suites apt-cache showsrc makedumpfile 2>/dev/null | sed -n 's/^Version: //p' |
        grep -E "^([0-9]+:)?${VERSION//./\\.}-[^-]+$" | sort -uV | tail -n1 || true
}
# "sha256 size name" of each file of Debian source version $1.
source_files() {
    suites apt-cache showsrc makedumpfile 2>/dev/null | awk -v v="$1" '
        /^Version: / { mine = ($2 == v) }
        /^[A-Za-z0-9-]+:/ { sec = $1 }
        mine && sec == "Checksums-Sha256:" && /^ [0-9a-f]+ [0-9]+ / && length($1) == 64 { print $1, $2, $3 }' | sort -u
}

dv=$(debian_version)
if [ -z "$dv" ]; then
    say "updating the package lists of $CACHE/apt (bullseye, trixie, sid)"
    run "$SUITES" apt-get update -q || say "apt-get update failed (see $LOG); trying what is there"
    dv=$(debian_version)
fi
[ -n "$dv" ] || nosrc "no Debian source package of makedumpfile $VERSION in bullseye/trixie/sid"
files=$(source_files "$dv")
[ -n "$files" ] || nosrc "no file list for Debian source makedumpfile $dv"
# Fetches what is missing; apt-get skips the files already there.  The mirror
# may answer 404 (it did for all of 1:1.7.6-1), so a failure is not fatal.
have_all=1
while read -r sum size name; do [ -f "$SRC/$name" ] || have_all=; done <<<"$files"
if [ -z "$have_all" ]; then
    say "fetching what is missing of Debian source makedumpfile $dv into $SRC"
    run env -C "$SRC" "$SUITES" apt-get source --download-only -q "makedumpfile=$dv" ||
        say "apt-get source failed (see $LOG); using the files there are"
fi
# Only Debian's files: a file whose checksum differs is set aside.
ok=
while read -r sum size name; do
    [ -f "$SRC/$name" ] || { say "missing: $name"; continue; }
    if [ "$(sha256sum "$SRC/$name" | cut -d' ' -f1)" = "$sum" ]; then
        ok="$ok $name"
    else
        say "$name does not have Debian's sha256 $sum: moved to $name.bad"
        mv -f "$SRC/$name" "$SRC/$name.bad"
    fi
done <<<"$files"
uv=${dv#*:}; uv=${uv%-*}
dsc=makedumpfile_${dv#*:}.dsc
orig=$(echo $ok | tr ' ' '\n' | grep -E "^makedumpfile_${uv//./\\.}\.orig\.tar\." | head -n1 || true)
deb=$(echo $ok | tr ' ' '\n' | grep -E "^makedumpfile_${dv#*:}\.debian\.tar\." | head -n1 || true)
[ -n "$orig" ] || nosrc "no makedumpfile_$uv.orig.tar.* with Debian's checksum in $SRC (the mirror may not have it; see this script's header for how upstream's tag gives Debian's file)"

B=$TMP/src
if [ -n "$deb" ] && [ -f "$SRC/$dsc" ] && [[ " $ok " == *" $dsc "* ]]; then
    how="dpkg-source -x $dsc"
    say "unpacking: $how"
    run dpkg-source -x "$SRC/$dsc" "$B" || die "dpkg-source failed, see $LOG"
else
    mkdir "$TMP/x"
    tar -xf "$SRC/$orig" -C "$TMP/x" --no-same-owner
    mv "$TMP/x"/* "$B"
    how="$orig (Debian $dv's orig, sha256 checked)"
    if [ -n "$deb" ]; then
        tar -xf "$SRC/$deb" -C "$B" --no-same-owner
        how="$how + $deb"
        if [ -f "$B/debian/patches/series" ]; then
            sed -e 's/#.*//' "$B/debian/patches/series" | while read -r p opt; do
                [ -n "$p" ] || continue
                echo "+ patch ${opt:--p1} < debian/patches/$p" >>"$LOG"
                patch -d "$B" ${opt:--p1} --no-backup-if-mismatch -f -s <"$B/debian/patches/$p" >>"$LOG" 2>&1 ||
                    die "patch $p does not apply, see $LOG"
            done
            how="$how (patches applied with patch)"
        fi
    else
        how="$how (no Debian patches: makedumpfile_${dv#*:}.debian.tar.* not to be had)"
    fi
    say "unpacked $how"
fi

# ---- build ---------------------------------------------------------------
say "building (make $MAKEARGS), about a minute; log: $LOG"
start=$(date +%s)
run make -C "$B" -j"$JOBS" $MAKEARGS makedumpfile || die "make failed, see $LOG"
[ -x "$B/makedumpfile" ] || die "make left no makedumpfile binary, see $LOG"
"$B/makedumpfile" -v >"$TMP/v" 2>&1 || true
cat "$TMP/v" >>"$LOG"
grep -q "version $VERSION" "$TMP/v" || die "the new makedumpfile does not say version $VERSION, see $LOG"
for c in lzo snappy zstd; do
    grep -Eq "^$c[[:space:]]+enabled" "$TMP/v" || die "the new makedumpfile lacks $c (its -v: $(tr '\n' ' ' <"$TMP/v"))"
done

R=$TMP/out
mkdir "$R"
cp --preserve=mode,timestamps "$B/makedumpfile" "$R/"
[ -f "$B/makedumpfile.8" ] && cp "$B/makedumpfile.8" "$R/"
{
    echo "makedumpfile $VERSION for x86_64, built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(( $(date +%s) - start ))s"
    echo "from: $how"
    echo "make: make -j$JOBS $MAKEARGS"
    sed 's/^/-v: /' "$TMP/v"
} > "$R/stamp"
cp "$LOG" "$R/build.log"
mv -T "$R" "$OUT"       # atomic: either the whole result or nothing
say "done: $OUT"
done_
