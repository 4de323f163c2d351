#!/bin/bash
# scripts/in-root.sh SUITE COMMAND [ARG...]: runs COMMAND in the clone (in the
# current directory when it is inside the clone, else at its top), inside
# the Debian SUITE root of scripts/make-root.sh (made first when missing), so
# that it runs that release's crash, drgn, makedumpfile, compiler and Python.
#
#   scripts/in-root.sh sid make BUILD=build/roots/sid SO=build/roots/sid/lockalias.so all
#   scripts/in-root.sh trixie makedumpfile -v
#
# The clone is bind-mounted at its own path (so paths in arguments, in the
# environment and in the tests mean the same inside), with /proc, /dev, /sys
# and a fresh /tmp, in a private mount namespace: the mounts go away with the
# command. LOCKALIAS_ROOT_BIND=DIR[:DIR...] binds more directories (e.g.
# dumps outside the clone), each at its own path. Only LOCKALIAS_*
# variables, CRASH*, CI and TERM pass in; HOME is /root and PATH the root's
# own. Exit status: COMMAND's.
set -euo pipefail
SUITE=${1:?usage: in-root.sh SUITE COMMAND [ARG...]}
shift
[ $# -gt 0 ] || { echo "usage: in-root.sh SUITE COMMAND [ARG...]" >&2; exit 2; }
. "$(dirname "$0")/lib.sh"
REPO=$LA_REPO
ROOT=$("$REPO/scripts/make-root.sh" "$SUITE" | tail -n 1)

env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8)
while IFS= read -r v; do
    case ${v%%=*} in LOCKALIAS_*|CRASH*|CI|TERM) env+=("$v") ;; esac
done < <(env)

case $PWD/ in "$REPO"/*) cwd=$PWD ;; *) cwd=$REPO ;; esac
binds=$REPO
IFS=: read -r -a extra <<<"${LOCKALIAS_ROOT_BIND:-}"
for d in "${extra[@]}"; do
    [ -z "$d" ] && continue
    [ -d "$d" ] || { echo "in-root.sh: LOCKALIAS_ROOT_BIND: no directory $d" >&2; exit 1; }
    binds="$binds:$(realpath "$d")"
done
IFS=: read -r -a dirs <<<"$binds"
for d in "${dirs[@]}"; do mkdir -p "$ROOT$d"; done
# A mount namespace of its own for the mounts below (they go away with it).
exec unshare -m --propagation "$(la_mount_propagation)" bash -c '
    root=$1 binds=$2 cwd=$3; shift 3
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount --rbind /sys "$root/sys"
    mount -t tmpfs tmpfs "$root/tmp"
    IFS=: read -r -a dirs <<<"$binds"
    # (made again here: a dir under /tmp is hidden by the tmpfs above)
    for d in "${dirs[@]}"; do
        mkdir -p "$root$d" && mount --bind "$d" "$root$d" || { echo "in-root.sh: cannot bind $d" >&2; exit 1; }
    done
    exec chroot "$root" sh -c "cd \"\$0\" && exec env \"\$@\"" "$cwd" "$@"' \
    _ "$ROOT" "$binds" "$cwd" -i "${env[@]}" "$@"
