#!/bin/bash
# scripts/make-root.sh SUITE: a Debian SUITE (trixie = Debian 13, sid =
# unstable) root file system with that release's own crash (and its defs.h),
# python3-drgn, makedumpfile, and what lockalias builds and tests with
# (g++, python3-dev, pybind11-dev, pytest, the page libraries), so that the
# matrix runs each release's packaged tools as its users run them. Their
# binaries need a newer libc than Debian 12's: they are only ever run inside
# the root (scripts/in-root.sh), never installed on the host.
#
#   root=$(scripts/make-root.sh trixie | tail -n 1)
#
# Cached in ${LOCKALIAS_CACHE:-~/.cache/lockalias}/roots/SUITE; the last line
# of stdout is that path, the rest of the output goes to stderr and to
# roots/SUITE.log. A finished root (it holds .lockalias-root, which names its
# packages' versions and how long it took) is reused at once. Two callers for
# one suite wait for each other (flock); the root is made under
# roots/SUITE.tmp.* and renamed only when complete, so an interrupted run
# leaves nothing that looks finished (the next run removes the leftovers).
# debootstrap runs in a mount namespace of its own: the /proc and /sys it
# mounts in the root go away with it, even when it is killed.
#
# Cold, measured 2026-12-07 on 2 cores: trixie 124 s (debootstrap 74 s,
# packages 50 s), 648 MiB; sid 177 s (91 + 86 s), 720 MiB. Mostly
# downloads from the mirror apt uses, so it varies with the network.
# Needs root (debootstrap, chroot); installs debootstrap when missing.
set -euo pipefail

SUITE=${1:-}
case $SUITE in
    trixie|sid) ;;
    *) echo "usage: $0 trixie|sid" >&2; exit 2 ;;
esac
exec 3>&1 1>&2          # stdout is only for the result (fd 3)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
ROOTS=$LA_CACHE/roots
OUT=$ROOTS/$SUITE
LOG=$ROOTS/$SUITE.log
STAMP=.lockalias-root
# What the matrix runs (crash, python3-drgn, makedumpfile) and what
# lockalias's crash extension and Python module are built and tested with.
PKGS="crash makedumpfile python3-drgn python3-pytest python3-jsonschema
      make g++ python3-dev pybind11-dev libelf-dev libdeflate-dev liblzo2-dev
      libsnappy-dev libzstd-dev xz-utils"

say() { echo "make-root $SUITE: $*" >&2; }
done_() { echo "$OUT" >&3; exit 0; }

[ -f "$OUT/$STAMP" ] && done_
[ "$(id -u)" -eq 0 ] || { say "needs root (debootstrap, chroot)"; exit 1; }
"$HERE/install-deps.sh" debootstrap
mkdir -p "$ROOTS"
exec 9>"$ROOTS/$SUITE.lock"
flock 9
[ -f "$OUT/$STAMP" ] && done_
rm -rf "$OUT" "$ROOTS/$SUITE".tmp.*      # leftovers of a killed run

t0=$(date +%s)
TMP=$(mktemp -d "$ROOTS/$SUITE.tmp.XXXXXX")
# Each step runs in a session of its own (run_in_session, lib.sh), so that
# an interrupt stops all of it (debootstrap, dpkg, apt) before the half-made
# root is removed.
cleanup() {
    stop_session_child
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT TERM HUP
# A mount namespace of its own for the mounts below (they go away with it).
PROPAGATION=$(la_mount_propagation)
MIRROR=$("$HERE/debian-suites.sh" mirror)
: > "$LOG"
say "debootstrap --variant=minbase $SUITE from $MIRROR (log: $LOG)"
debootstrap_root "$SUITE" "$TMP" "$MIRROR" ||
    { tail -n 20 "$LOG" >&2; say "debootstrap failed"; exit 1; }
t1=$(date +%s)
say "installing: $(echo $PKGS)"
run_in_session unshare -m --propagation "$PROPAGATION" bash -c '
    mount -t proc proc "$1/proc" && shift &&
    exec chroot "$0" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
        sh -c "apt-get update -q && apt-get install -y -q --no-install-recommends $*"' \
    "$TMP" "$TMP" $PKGS ||
    { tail -n 20 "$LOG" >&2; say "apt-get install failed"; exit 1; }
chroot "$TMP" apt-get clean >>"$LOG" 2>&1
t2=$(date +%s)
{
    echo "suite: $SUITE"
    echo "mirror: $MIRROR"
    echo "made: $(date -u +%Y-%m-%dT%H:%M:%SZ), debootstrap $((t1 - t0)) s, packages $((t2 - t1)) s"
    chroot "$TMP" dpkg-query -W -f='${Package} ${Version}\n' crash makedumpfile python3-drgn python3 g++
    echo "size: $(du -sm "$TMP" | cut -f1) MiB"
} > "$TMP/$STAMP.tmp"
mv "$TMP/$STAMP.tmp" "$TMP/$STAMP"
mv "$TMP" "$OUT"
trap - EXIT
say "made in $((t2 - t0)) s: $OUT"
cat "$OUT/$STAMP" >&2
done_
