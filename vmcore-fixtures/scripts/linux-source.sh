#!/bin/bash
# Print the path of Debian's linux-source-KVER tarball, fetching it if needed.
# usage: linux-source.sh KVER        (6.1, 5.10, 6.12, 7.2, ...)
#   6.1: /usr/src/linux-source-6.1.tar.xz (Debian 12's own package;
#        apt-get install linux-source-6.1 when missing).
#   other: ${LOCKALIAS_CACHE:-~/.cache/lockalias}/linux-source-KVER.tar.xz,
#        extracted from linux-source-KVER_*_all.deb in $CACHE/debs (never
#        installed: it belongs to another Debian suite); the .deb is
#        downloaded with apt-get and the separate sources list in $CACHE/apt
#        (scripts/debian-suites.sh at the repo root, when present) when it
#        is not there yet.
# Messages go to stderr; stdout is the path only.
set -euo pipefail
kver=${1:?usage: linux-source.sh KVER}
C=${LOCKALIAS_CACHE:-$HOME/.cache/lockalias}
pkg=linux-source-$kver
inner=./usr/src/$pkg.tar.xz

if [ "$kver" = 6.1 ]; then
    t=/usr/src/$pkg.tar.xz
    if [ ! -f "$t" ]; then
        echo "linux-source.sh: installing $pkg (Debian 12)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y "$pkg" >&2
    fi
    echo "$t"
    exit 0
fi

t=$C/$pkg.tar.xz
if [ ! -f "$t" ]; then
    mkdir -p "$C/debs"
    deb=$(ls "$C"/debs/"${pkg}"_*_all.deb 2>/dev/null | sort -V | tail -1 || true)
    if [ -z "$deb" ]; then
        here=$(cd "$(dirname "$0")/../.." && pwd)
        if [ -x "$here/scripts/debian-suites.sh" ]; then
            # the repo's private apt setup for the other suites
            apt_get() { "$here/scripts/debian-suites.sh" apt-get "$@"; }
        else
            [ -f "$C/apt/sources.list" ] || {
                echo "linux-source.sh: no $C/apt/sources.list (deb lines for bullseye/trixie/sid)" >&2
                exit 1
            }
            mkdir -p "$C/apt/lists/partial" "$C/apt/cache/archives/partial"
            apt_get() {
                apt-get -o Dir::Etc::sourcelist="$C/apt/sources.list" -o Dir::Etc::sourceparts=- \
                    -o Dir::State::Lists="$C/apt/lists" -o Dir::Cache="$C/apt/cache" "$@"
            }
        fi
        [ -n "$(ls "$C"/apt/lists/*_Packages* 2>/dev/null)" ] || apt_get update >&2
        (cd "$C/debs" && apt_get download "$pkg") >&2
        deb=$(ls "$C"/debs/"${pkg}"_*_all.deb | sort -V | tail -1)
    fi
    echo "linux-source.sh: extracting $inner from $deb" >&2
    tmp=$(mktemp -d "$C/.linux-source.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "$inner"
    mv "$tmp/usr/src/$pkg.tar.xz" "$t"
fi
echo "$t"
