#!/bin/bash
# scripts/build-drgn.sh [VERSION]: builds drgn (the Python package and its C
# extension _drgn, with libkdumpfile) for Debian 12's /usr/bin/python3 from
# Debian's source package, and caches it in
#   ${LOCKALIAS_CACHE:-$HOME/.cache/lockalias}/drgn-VERSION/{drgn/,_drgn*.so,stamp}
# That directory goes in PYTHONPATH: it is put before dist-packages, so it
# shadows Debian 12's python3-drgn 0.0.22, which cannot read QEMU's ELF dumps.
# The last line of stdout is that directory; everything else goes to stderr or
# to the log, $CACHE/drgn.log.  A finished build (it holds its `stamp`) is
# reused at once: without VERSION, the newest one built, with no apt look-up.
#
#   D=$(scripts/build-drgn.sh | tail -1) && PYTHONPATH=$D /usr/bin/python3 -c 'import drgn'
#
# Without VERSION the newest Debian source version (sid's, else trixie's)
# whose sources can be had is built.  Sources come from $CACHE/src, and what is
# missing there via the private apt setup of scripts/debian-suites.sh
# (sources only; no binary of those suites is ever installed: they need a
# newer libc and Python).  Every file is checked against the sha256 of
# Debian's Sources index.  Debian's orig tarball of drgn is upstream's `git
# archive` of the tag, gzip -6 -n (byte for byte so for 0.0.31-1), so where
# the mirror answers 404 (it did for every file of sid's 0.3.0-1 and of
# trixie's 0.0.31-1) a clone of upstream drgn gives it;
# LOCKALIAS_DRGN_GIT=/path/to/drgn(.git) makes this script do
#   git archive --format=tar --prefix=drgn-0.0.31/ v0.0.31 | gzip -6 -n \
#       > $CACHE/src/drgn_0.0.31.orig.tar.gz
# itself for each version it tries (the checksum is still checked).  Without
# the .debian.tar.xz the build has no Debian patches (drgn's own setup.py
# builds it as it is).
#
# The build runs in $CACHE/drgn.tmp.*, removed on exit; the result is renamed
# into place only when complete.  Build dependencies (Debian 12 packages) are
# installed when missing.  LOCKALIAS_JOBS (default 2) = make -j.  Exit status
# 3: the sources cannot be had (the caller may skip what needs drgn); 1: any
# other failure.  Known to work for 0.0.31 (trixie's 0.0.31-1).
set -euo pipefail

VERSION=${1:-}
if [ -n "$VERSION" ] && [[ ! $VERSION =~ ^[0-9]+(\.[0-9]+)+$ ]]; then
    echo "usage: $0 [VERSION]   (upstream drgn version, e.g. 0.0.31; default: the newest to be had)" >&2
    exit 2
fi
exec 3>&1 1>&2          # stdout is only for the result (fd 3)

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${LOCKALIAS_CACHE:-$HOME/.cache/lockalias}
SRC=$CACHE/src
LOG=$CACHE/drgn.log
JOBS=${LOCKALIAS_JOBS:-2}
# `python3` on PATH may be another interpreter (pyenv): the extension must be
# built for, and is only ever loaded by, Debian's.
PY=/usr/bin/python3
# Debian's Build-Depends (libdw-dev libelf-dev libkdumpfile-dev pkg-config
# python3-dev python3-setuptools) less debhelper and sphinx, plus autoconf,
# automake and libtool (the orig is a git archive without libdrgn/configure,
# which setup.py then makes with autoreconf; Debian gets them through
# debhelper), liblzma-dev and libpcre2-dev (optional in newer drgn, which
# Debian enables) and what unpacking needs.
DEPS="make gcc libc6-dev dpkg-dev xz-utils patch autoconf automake libtool
      pkg-config python3-dev python3-setuptools libelf-dev libdw-dev
      libkdumpfile-dev zlib1g-dev liblzma-dev libpcre2-dev"
# libkdumpfile is optional upstream; without it drgn cannot open kdump files.
CONFIGURE_FLAGS="--with-libkdumpfile"

done_() { echo "$1" >&3; exit 0; }
say() { echo "build-drgn${VERSION:+ $VERSION}: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
nosrc() { say "ERROR: $*"; exit 3; }
# The newest finished build (of VERSION, if given).
built() {
    local d
    if [ -n "$VERSION" ]; then
        d=$CACHE/drgn-$VERSION
        [ -f "$d/stamp" ] && echo "$d"
        return 0
    fi
    for d in "$CACHE"/drgn-*/stamp; do
        if [ -f "$d" ]; then dirname "$d"; fi
    done | sort -V | tail -n1
}

d=$(built); [ -n "$d" ] && done_ "$d"

[ "$(uname -m)" = x86_64 ] || die "only x86_64 hosts are supported"
mkdir -p "$CACHE" "$SRC"
# One drgn build at a time (the version is known only after the apt look-up);
# a second caller waits and then reuses it.
exec 9>"$CACHE/drgn.lock"
flock 9
d=$(built); [ -n "$d" ] && done_ "$d"
rm -rf "$CACHE"/drgn.tmp.*      # leftovers of a killed build

TMP=$(mktemp -d "$CACHE/drgn.tmp.XXXXXX")
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
# interrupt stops the whole build (setup.py, make, the compilers).
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
# Debian's source versions of drgn (of upstream VERSION, if given), newest first.
debian_versions() {
    local re='[0-9.]+'
    [ -n "$VERSION" ] && re=${VERSION//./\\.}
    suites apt-cache showsrc drgn 2>/dev/null | sed -n 's/^Version: //p' |
        grep -E "^([0-9]+:)?${re}-[^-]+$" | sort -urV || true
}
# "sha256 size name" of each file of Debian source version $1.
source_files() {
    suites apt-cache showsrc drgn 2>/dev/null | awk -v v="$1" '
        /^Version: / { mine = ($2 == v) }
        /^[A-Za-z0-9-]+:/ { sec = $1 }
        mine && sec == "Checksums-Sha256:" && /^ [0-9a-f]+ [0-9]+ / && length($1) == 64 { print $1, $2, $3 }' | sort -u
}
sha_ok() { [ -f "$SRC/$1" ] && [ "$(sha256sum "$SRC/$1" | cut -d' ' -f1)" = "$2" ]; }

dvs=$(debian_versions)
if [ -z "$dvs" ]; then
    say "updating the package lists of $CACHE/apt (bullseye, trixie, sid)"
    run "$SUITES" apt-get update -q || say "apt-get update failed (see $LOG); trying what is there"
    dvs=$(debian_versions)
fi
[ -n "$dvs" ] || nosrc "no Debian source package of drgn${VERSION:+ $VERSION} in bullseye/trixie/sid"

# The newest Debian version whose orig tarball can be had with Debian's
# checksum; its .dsc and .debian.tar.* are used when they can be had too.
dv='' orig='' deb='' dsc='' ok=''
for v in $dvs; do
    files=$(source_files "$v")
    [ -n "$files" ] || { say "no file list for Debian source drgn $v"; continue; }
    have_all=1
    while read -r sum _ name; do sha_ok "$name" "$sum" || have_all=; done <<<"$files"
    if [ -z "$have_all" ]; then
        say "fetching what is missing of Debian source drgn $v into $SRC"
        # apt-get skips the files already there; the mirror may answer 404.
        run env -C "$SRC" "$SUITES" apt-get source --download-only -q "drgn=$v" ||
            say "apt-get source drgn=$v failed (see $LOG); using the files there are"
    fi
    uv=${v#*:}; uv=${uv%-*}
    o=$(awk -v u="drgn_$uv.orig.tar." 'index($3, u) == 1 {print $3; exit}' <<<"$files")
    osum=$(awk -v n="$o" '$3 == n {print $1}' <<<"$files")
    if [ -n "$o" ] && ! [ -f "$SRC/$o" ] && [ -n "${LOCKALIAS_DRGN_GIT:-}" ] && [[ $o == *.tar.gz ]]; then
        say "making $o from tag v$uv of $LOCKALIAS_DRGN_GIT"
        if git -C "$LOCKALIAS_DRGN_GIT" archive --format=tar --prefix="drgn-$uv/" "v$uv" 2>>"$LOG" |
                gzip -6 -n > "$TMP/$o" && [ -s "$TMP/$o" ]; then
            mv "$TMP/$o" "$SRC/$o"
        else
            say "no tag v$uv in $LOCKALIAS_DRGN_GIT"
        fi
    fi
    # Only Debian's files: one whose checksum differs is set aside.
    ok=
    while read -r sum _ name; do
        [ -f "$SRC/$name" ] || continue
        if sha_ok "$name" "$sum"; then
            ok="$ok $name"
        else
            say "$name does not have Debian's sha256 $sum: moved to $name.bad"
            mv -f "$SRC/$name" "$SRC/$name.bad"
        fi
    done <<<"$files"
    if [ -n "$o" ] && [[ " $ok " == *" $o "* ]]; then
        dv=$v orig=$o
        deb=$(echo "$ok" | tr ' ' '\n' | grep -E "^drgn_${v#*:}\.debian\.tar\." | head -n1 || true)
        dsc=drgn_${v#*:}.dsc
        [[ " $ok " == *" $dsc "* ]] || dsc=
        break
    fi
    say "Debian source drgn $v cannot be had: no ${o:-orig tarball} with Debian's sha256 $osum in $SRC (the mirror answered 404?); see this script's header"
done
[ -n "$dv" ] || nosrc "no Debian source of drgn${VERSION:+ $VERSION} can be had (tried: ${dvs//$'\n'/ })"
uv=${dv#*:}; uv=${uv%-*}
VERSION=$uv
OUT=$CACHE/drgn-$uv
[ -f "$OUT/stamp" ] && done_ "$OUT"     # built before under another name
rm -rf "$OUT"

B=$TMP/src
if [ -n "$deb" ] && [ -n "$dsc" ]; then
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
        how="$how (no Debian patches: drgn_${dv#*:}.debian.tar.* not to be had)"
    fi
    say "unpacked $how"
fi

# ---- build ---------------------------------------------------------------
# setup.py build runs autoreconf, libdrgn's configure (CONFIGURE_FLAGS) and
# make -jN, then compiles _drgn and copies the pure-Python package beside it.
# /usr/bin first on PATH: libdrgn's code generators run `python3` too.
# An sdist carries drgn/internal/version.py, a git archive does not: without
# it drgn calls itself "$uv+unknown".
[ -f "$B/drgn/internal/version.py" ] || echo "__version__ = \"$uv\"" > "$B/drgn/internal/version.py"
say "building with $PY (setup.py build -j$JOBS), about a minute; log: $LOG"
start=$(date +%s)
run env -C "$B" PATH="/usr/bin:$PATH" CONFIGURE_FLAGS="$CONFIGURE_FLAGS" \
    "$PY" setup.py build -j"$JOBS" || die "setup.py build failed, see $LOG"
lib=$(find "$B/build" -maxdepth 1 -name 'lib.*' -type d | head -n1)
[ -n "$lib" ] && [ -n "$(find "$lib" -maxdepth 1 -name '_drgn.*.so')" ] ||
    die "setup.py left no _drgn extension, see $LOG"

R=$TMP/out
mkdir "$R"
cp -a "$lib"/. "$R/"
# It must be this drgn that is imported (not dist-packages' 0.0.22), and
# have libkdumpfile.
info=$(cd / && PYTHONPATH=$R "$PY" -c '
import sys, drgn, _drgn
assert drgn.__file__.startswith(sys.argv[1] + "/"), drgn.__file__
assert _drgn.__file__.startswith(sys.argv[1] + "/"), _drgn.__file__
print("drgn:", drgn.__version__, "libkdumpfile:", drgn._with_libkdumpfile)
' "$R" 2>>"$LOG") || die "the new drgn does not import from $R, see $LOG"
[[ $info == "drgn: $uv"*" libkdumpfile: True" ]] || die "the new drgn says: $info (wanted $uv with libkdumpfile)"
{
    echo "drgn $uv for $("$PY" -V 2>&1) ($PY), x86_64, built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(( $(date +%s) - start ))s"
    echo "from: $how"
    echo "build: CONFIGURE_FLAGS=\"$CONFIGURE_FLAGS\" $PY setup.py build -j$JOBS"
    echo "$info"
    echo "use: PYTHONPATH=$OUT $PY"
} > "$R/stamp"
cp "$LOG" "$R/build.log"
mv -T "$R" "$OUT"       # atomic: either the whole result or nothing
say "done: $OUT"
done_ "$OUT"
