# scripts/lib.sh: what the build and root scripts share. Source it:
#   . "$(dirname "$0")/lib.sh"
# It sets nothing but the names below (all LA_* or functions).

LA_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LA_CACHE=${LOCKALIAS_CACHE:-$HOME/.cache/lockalias}

# la_root_so SUITE: lockalias.so built in SUITE's root with that release's
# crash headers (make root-build-SUITE writes it there).
la_root_so() { echo "$LA_REPO/build/roots/$1/lockalias.so"; }

# la_root_binary ROOT NAME: the path of NAME in a root's /usr/bin or
# /usr/sbin (makedumpfile moved between them across releases); empty if none.
la_root_binary() { ls "$1/usr/bin/$2" "$1/usr/sbin/$2" 2>/dev/null | head -n 1 || true; }

# The propagation for `unshare -m --propagation P`: private, so the mounts
# made inside go away with the namespace. Inside a chroot / is no mount
# point and its propagation cannot be changed ("Invalid argument"): there
# the enclosing namespace's is kept.
la_mount_propagation() {
    if unshare -m --propagation private true 2>/dev/null; then echo private; else echo unchanged; fi
}

# run_in_session CMD...: CMD in a session of its own, output appended to
# $LOG, fd 9 (the scripts' flock) closed in it. An interrupt then stops all
# of it (debootstrap, dpkg, apt, mkfs) through stop_session_child, which the
# caller's EXIT trap runs before it removes what was half made.
LA_CHILD=
run_in_session() {
    setsid -w "$@" >>"$LOG" 2>&1 </dev/null 9>&- &
    LA_CHILD=$!
    local rc=0
    wait "$LA_CHILD" || rc=$?
    LA_CHILD=
    return $rc
}
stop_session_child() {
    if [ -n "$LA_CHILD" ]; then
        kill -TERM -- -"$LA_CHILD" 2>/dev/null || true
        wait "$LA_CHILD" 2>/dev/null || true
    fi
}

# chroot_script DIR SCRIPT [BIND...]: `sh -ec SCRIPT` as root in the chroot
# DIR, with /proc, /sys, /dev, a fresh /tmp and /run, and each host
# directory BIND at its own path, in a mount namespace of its own (the
# mounts go away with it); a clean environment (PATH, HOME, C.UTF-8,
# noninteractive debconf). Run by run_in_session: logged to $LOG, and
# stopped whole by an interrupt.
chroot_script() {
    local dir=$1 script=$2; shift 2
    run_in_session unshare -m --propagation "$(la_mount_propagation)" bash -c '
        r=$1 script=$2; shift 2
        mount -t proc proc "$r/proc" && mount -t sysfs sysfs "$r/sys" &&
        mount --bind /dev "$r/dev" && mount -t tmpfs tmpfs "$r/tmp" && mount -t tmpfs tmpfs "$r/run" || exit 1
        for d in "$@"; do
            mkdir -p "$r$d" && mount --bind "$d" "$r$d" || { echo "chroot_script: cannot bind $d" >&2; exit 1; }
        done
        exec chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
            DEBIAN_FRONTEND=noninteractive sh -ec "$script"' _ "$dir" "$script" "$@"
}

# debootstrap_root SUITE DIR MIRROR [DEBOOTSTRAP OPTION...]: a minbase of
# SUITE into DIR (run_in_session: logged, stopped whole by an interrupt),
# in a mount namespace of its own, then made ready for apt inside: the
# mirror's copy of a suite may be older than its Release file's
# Valid-Until (seen with sid: "Release file ... is expired") while its
# packages are still that suite's, so apt is told not to refuse them; and
# no package's service starts inside the root (policy-rc.d).
debootstrap_root() {
    local suite=$1 dir=$2 mirror=$3
    shift 3
    run_in_session unshare -m --propagation "$(la_mount_propagation)" \
        debootstrap --variant=minbase "$@" "$suite" "$dir" "$mirror" || return 1
    echo 'Acquire::Check-Valid-Until "false";' > "$dir/etc/apt/apt.conf.d/99lockalias"
    printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"
    chmod 755 "$dir/usr/sbin/policy-rc.d"
}
