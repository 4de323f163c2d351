#!/bin/sh
# A private apt setup for Debian 11 (bullseye), 13 (trixie) and unstable (sid),
# kept apart from the system's sources so nothing from those suites is ever
# installed: it is only for `apt-get source --download-only`, `apt-cache
# showsrc` and `apt-get download`.
#
#   scripts/debian-suites.sh                  # print the apt -o options
#   scripts/debian-suites.sh apt-get ARGS...  # run apt-get with them
#   scripts/debian-suites.sh apt-cache ARGS...
#   scripts/debian-suites.sh mirror           # print the mirror (for debootstrap)
#
# Lives in ${LOCKALIAS_CACHE:-$HOME/.cache/lockalias}/apt; the package lists
# are fetched (`... apt-get update`) by the caller when it needs them.
set -e
C=${LOCKALIAS_CACHE:-$HOME/.cache/lockalias}
A=$C/apt
# The mirror apt already uses for Debian 12 (bookworm's main archive, not
# the security one), from deb822 .sources files or a one-line sources.list.
system_mirror() {
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ && u !~ /security/ {print u; exit}' "$f"
    done
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1 == "deb" && $3 == "bookworm" && $2 !~ /security/ {print $2}'
}
MIRROR=${LOCKALIAS_DEBIAN_MIRROR:-$(system_mirror | head -n 1)}
[ -n "$MIRROR" ] || { echo "debian-suites.sh: no Debian 12 mirror in apt's sources (set LOCKALIAS_DEBIAN_MIRROR)" >&2; exit 1; }
[ "${1:-}" = mirror ] && { echo "$MIRROR"; exit 0; }

mkdir -p "$A/lists/partial" "$A/cache/archives/partial"
if [ ! -s "$A/sources.list" ]; then
    for s in bullseye trixie sid; do
        printf 'deb %s %s main\ndeb-src %s %s main\n' "$MIRROR" $s "$MIRROR" $s
    done > "$A/sources.list.tmp"
    mv "$A/sources.list.tmp" "$A/sources.list"
fi

# Sandbox::User=root: the cache is under root's home, which _apt cannot write.
OPTS="-o Dir::Etc::sourcelist=$A/sources.list -o Dir::Etc::sourceparts=- \
-o Dir::State::Lists=$A/lists -o Dir::Cache=$A/cache"
[ "$(id -u)" -eq 0 ] && OPTS="$OPTS -o APT::Sandbox::User=root"

case "$1" in
    "") echo $OPTS ;;
    apt-get|apt-cache) cmd=$1; shift; exec $cmd $OPTS "$@" ;;
    *) echo "usage: $0 [apt-get|apt-cache ARGS...]" >&2; exit 2 ;;
esac
