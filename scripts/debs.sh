#!/bin/bash
# scripts/debs.sh: the Debian packages (debian/), built and installed as a
# user would, each in a clean root of its release.
#
#   scripts/debs.sh build SUITE        build in a clean SUITE root with only
#                                      build-essential and the Build-Depends;
#                                      lintian; -> build/debs/SUITE/
#   scripts/debs.sh install-test SUITE apt install ./*.deb into another clean
#                                      root, run every entry point from the
#                                      installed paths, apt purge, check that
#                                      nothing is left
#   scripts/debs.sh all                both, for bookworm (Debian 12) and
#                                      trixie (Debian 13)
#   scripts/debs.sh base SUITE         only make the cached minbase (CI makes
#                                      them while make check runs)
#
# A clean root is a copy of a debootstrap --variant=minbase of SUITE from
# the mirror apt uses, made once and kept as a tarball in
# ${LOCKALIAS_CACHE:-~/.cache/lockalias}/debs/ (nothing else is cached: every
# package comes from apt in each run). The source is the clone's tracked
# files as they are in the working tree, without vmcore-fixtures/. The
# install test reads one fixture, bound in: lockdep-5.10, which
# every release's crash and drgn open (docs/testing.md).
# Needs root (debootstrap, chroot).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
WORK=$LA_CACHE/debs
OUT=$LA_REPO/build/debs
FIXTURE=$LA_REPO/vmcore-fixtures/unpacked/lockdep-5.10
PACKAGES="crash-lockalias python3-lockalias lockalias-check"

say() { echo "debs: $*" >&2; }
usage() { echo "usage: $0 build SUITE | install-test SUITE | all | base SUITE" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { say "needs root (debootstrap, chroot)"; exit 1; }
mkdir -p "$WORK" "$OUT"

ROOTS=()
cleanup() { stop_session_child; [ ${#ROOTS[@]} -eq 0 ] || rm -rf "${ROOTS[@]}"; }
trap cleanup EXIT
trap 'say interrupted; exit 130' INT TERM HUP

# make_base SUITE: SUITE's minbase root as a tarball, made once.
make_base() {
    local suite=$1 tarball=$WORK/$1-minbase.tar
    [ -f "$tarball" ] && return 0
    # one maker per suite; a second caller waits and finds it made
    exec 8>"$WORK/$suite-minbase.lock"
    flock 8
    [ -f "$tarball" ] && return 0
    "$HERE/install-deps.sh" debootstrap >&2
    local tmp mirror
    tmp=$(mktemp -d "$WORK/$suite.debootstrap.XXXXXX")
    ROOTS+=("$tmp")
    mirror=$("$HERE/debian-suites.sh" mirror)
    say "debootstrap --variant=minbase $suite from $mirror (once; log: $LOG)"
    debootstrap_root "$suite" "$tmp" "$mirror" 8>&- ||
        { tail -n 20 "$LOG" >&2; say "debootstrap failed"; exit 1; }
    tar -C "$tmp" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$tmp"
}

# clean_root SUITE: a fresh copy of SUITE's minbase root in $ROOT (removed
# on exit).
clean_root() {
    make_base "$1"
    ROOT=$(mktemp -d "$WORK/$1.root.XXXXXX")
    ROOTS+=("$ROOT")
    tar -C "$ROOT" -xf "$WORK/$1-minbase.tar"
}

build() {
    local suite=$1 out=$OUT/$1 t0=$SECONDS root
    LOG=$WORK/$suite-build.log; : > "$LOG"
    clean_root "$suite"; root=$ROOT
    rm -rf "$out"; mkdir -p "$out" "$root/src/lockalias"
    # The tracked files (a clone's), else the tree without what builds make.
    if git -C "$LA_REPO" rev-parse --git-dir >/dev/null 2>&1; then
        (cd "$LA_REPO" && git ls-files -z -- . ':!vmcore-fixtures' | tar --null -T - -cf -)
    else
        tar -C "$LA_REPO" --exclude=./vmcore-fixtures --exclude=./build --exclude='*.so' \
            --exclude=__pycache__ --exclude=./.git -cf - .
    fi | tar -C "$root/src/lockalias" -xf -
    say "$suite: installing build-essential and the Build-Depends, building (log: $LOG)"
    chroot_script "$root" '
        apt-get update -q
        apt-get install -y -q --no-install-recommends build-essential
        cd /src/lockalias
        apt-get build-dep -y -q --no-install-recommends ./
        dpkg-buildpackage -b -us -uc -j2' ||
        { tail -n 30 "$LOG" >&2; say "$suite: the package build failed"; exit 1; }
    cp "$root"/src/*.deb "$root"/src/*.changes "$root"/src/*.buildinfo "$out/"
    say "$suite: lintian"
    # lintian's own exit status fails on errors; its output is kept whole.
    chroot_script "$root" '
        apt-get install -y -q --no-install-recommends lintian
        cd /src && lintian --info --display-info --pedantic *.changes > lintian.txt 2>&1 || echo "lintian exit $?" >> lintian.txt' ||
        { tail -n 30 "$LOG" >&2; say "$suite: lintian could not run"; exit 1; }
    cp "$root/src/lintian.txt" "$out/"
    cp "$LOG" "$out/build.log"
    say "$suite: built in $((SECONDS - t0)) s: $(cd "$out" && ls *.deb | tr '\n' ' ')"
    if grep -q "^E: \|^lintian exit" "$out/lintian.txt"; then
        cat "$out/lintian.txt" >&2; say "$suite: lintian reports errors"; exit 1
    fi
    grep "^[WIP]: " "$out/lintian.txt" >&2 || true
}

install_test() {
    local suite=$1 debs=$OUT/$1 t0=$SECONDS root
    LOG=$WORK/$suite-install.log; : > "$LOG"
    ls "$debs"/*.deb >/dev/null 2>&1 || { say "no packages in $debs (scripts/debs.sh build $suite)"; exit 1; }
    [ -f "$FIXTURE/vmcore" ] || { say "no $FIXTURE (make -C vmcore-fixtures unpack)"; exit 1; }
    clean_root "$suite"; root=$ROOT
    mkdir -p "$root/debs" && cp "$debs"/*.deb "$root/debs/"
    local wait
    wait=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"]["by_verdict"].get("alias-wait", 0))' "$FIXTURE/expected.json")
    say "$suite: apt install ./*.deb in a clean root, the entry points from installed paths (log: $LOG)"
    # Every command below runs what the packages installed: the clone is not
    # in the root (only the fixture is bound in).
    chroot_script "$root" '
        f='"$FIXTURE"' wait='"$wait"' pkgs="'"$PACKAGES"'"
        apt-get update -q
        apt-get install -y -q ./debs/*.deb
        step() { echo "== $*"; }
        step "crash finds the extension by name"
        printf "extend lockalias.so\nhelp lockalias\nlockalias\nquit\n" > /tmp/cmds
        crash -s "$f/vmlinux" "$f/vmcore" -i /tmp/cmds > /tmp/crash.out 2>&1 || true
        grep -q "lockalias.so: shared object loaded" /tmp/crash.out
        grep "This is lockalias" /tmp/crash.out
        grep "^lockalias: scanned" /tmp/crash.out
        grep -q "aliases: $wait wait," /tmp/crash.out
        step "lockalias-check, both engines"
        for e in crash drgn; do
            rc=0; lockalias-check --engine $e "$f/vmlinux" "$f/vmcore" > /tmp/check.out || rc=$?
            cat /tmp/check.out; [ $rc -eq 1 ] && grep -q "FOUND $wait wait" /tmp/check.out
        done
        lockalias-check --version
        step "lockalias-drgn"
        lockalias-drgn "$f/vmlinux" "$f/vmcore" -C > /tmp/drgn.out
        grep "classes in use shown" /tmp/drgn.out
        lockalias-drgn --version
        step "the Python package"
        python3 -c "import lockalias; print(lockalias.__file__, lockalias.__version__)"
        step "the units, present and enabled"
        # (no systemd in a minbase root: what systemctl is-enabled reads, the
        # links deb-systemd-helper made)
        ls /lib/systemd/system/lockalias-postmortem.* /usr/lib/systemd/system/lockalias-postmortem.* 2>/dev/null
        ls -l /etc/systemd/system/multi-user.target.wants/lockalias-postmortem.service \
              /etc/systemd/system/paths.target.wants/lockalias-postmortem.path
        step "apt purge leaves nothing"
        apt-get purge -y -q $pkgs
        left=$(ls -d /usr/lib/crash/extensions/lockalias.so /usr/lib/python3/dist-packages/lockalias \
               /usr/bin/lockalias-check /usr/bin/lockalias-drgn /usr/lib/lockalias \
               /lib/systemd/system/lockalias-postmortem.* /usr/lib/systemd/system/lockalias-postmortem.* \
               /etc/systemd/system/*/lockalias-postmortem.* 2>/dev/null || true)
        [ -z "$left" ] || { echo "left after purge: $left"; exit 1; }
        for p in $pkgs; do ! dpkg -s $p >/dev/null 2>&1 || { echo "$p still known to dpkg"; exit 1; }; done
        echo "== all passed"' "$FIXTURE" ||
        { tail -n 40 "$LOG" >&2; say "$suite: the install test failed"; exit 1; }
    grep "^== \|This is lockalias\|FOUND\|^lockalias-\|classes in use\|wants/\|__init__" "$LOG" >&2 || true
    cp "$LOG" "$debs/install.log"
    say "$suite: installed, checked and purged in $((SECONDS - t0)) s"
}

case "${1:-}" in
    base) [ $# -eq 2 ] || usage; LOG=$WORK/$2-base.log; : > "$LOG"; make_base "$2" ;;
    build) [ $# -eq 2 ] || usage; build "$2" ;;
    install-test) [ $# -eq 2 ] || usage; install_test "$2" ;;
    all) [ $# -eq 1 ] || usage
         for s in bookworm trixie; do build $s; install_test $s; done ;;
    *) usage ;;
esac
