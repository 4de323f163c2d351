#!/bin/bash
# Build the initramfs for lockalias's drgn live-mode tests: the live kernel
# (scripts/build-live-kernel.sh) boots it, loads the scenario module, waits
# for its ground-truth lines, runs one command as root and powers off.
#
# usage: scripts/mkinitramfs-live.sh OUT.cpio.gz PKGDIR MODULE.ko CMD [ARG...]
#
#   PKGDIR     a directory that goes on the guest's PYTHONPATH (e.g. python/,
#              which holds the lockalias package); copied to /opt/lockalias/python.
#              A directory that is itself a package (has __init__.py) is
#              copied as /opt/lockalias/python/BASENAME instead.
#              PKGDIR/bin (e.g. python/bin/lockalias-drgn) is in the guest's
#              PATH; so are wrappers /opt/lockalias/bin/NAME for the console
#              scripts of PKGDIR/pyproject.toml ([project.scripts]) or of
#              LIVE_SCRIPTS="name=module:function ..." (wins).  Shared objects
#              of PKGDIR are copied with --strip-debug (LIVE_STRIP=0: as they
#              are); the host libraries they need come along (ldd).
#   MODULE.ko  the scenario module, built against the live kernel; it goes to
#              /lib/modules/RELEASE/extra/ (RELEASE from its vermagic), with
#              modules.dep(.bin) from the host's depmod, so drgn finds it.
#   CMD...     the command, one word per argument (exec-style, no shell: use
#              `sh -c '...'` for one); cwd /root, HOME=/root,
#              PYTHONPATH=/opt/lockalias/python.
#   VMLINUX=   the kernel's vmlinux (default: vmlinux next to MODULE.ko); it
#              goes to /lib/modules/RELEASE/build/vmlinux, where drgn's
#              program_from_kernel() looks.
#
# Guest I/O: console (ttyS0) gets the kernel log and the markers
#   lockalias-live: command start: CMD
#   lockalias-live: command end: exit=N
#   lockalias-live: poweroff
# the command's stdout goes to the 2nd serial port (/dev/ttyS1), its stderr to
# the 3rd (/dev/ttyS2), both raw, so nothing the kernel prints can mix into
# them: boot QEMU with three -serial options (tests/integration/live_guest.py).
#
# OUT is three archives concatenated (the kernel unpacks them in order):
#   1. vmlinux + module + modules.dep, uncompressed cpio (no inflate under
#      TCG; cached per vmlinux/module);
#   2. userland, gzip: busybox-static, /usr/bin/python3.11, the shared
#      libraries that it, lib-dynload and drgn's _drgn need (ldd), the stdlib
#      (/usr/lib/python3.11 without test/, lib2to3, ensurepip, pydoc_data,
#      config-*, idlelib, tkinter, turtledemo; the stdlib's own __pycache__
#      .pyc are kept: compiling the stdlib on every boot costs seconds under
#      TCG) and drgn from /usr/lib/python3/dist-packages; cached per
#      python3.11/drgn/busybox version;
#   3. PKGDIR (precompiled), the libraries its .so files need beyond (2),
#      the wrappers and /init with CMD, gzip; built every time.
# Caches: ${LOCKALIAS_CACHE:-~/.cache/lockalias}/live-initramfs/.
set -euo pipefail
[ $# -ge 4 ] || { sed -n '4,6p' "$0" >&2; exit 2; }
out=$(realpath -m "$1"); pkgdir=$(realpath "$2"); ko=$(realpath "$3"); shift 3
vmlinux=$(realpath "${VMLINUX:-$(dirname "$ko")/vmlinux}")
. "$(dirname "$0")/lib.sh"
C=$LA_CACHE
cache=$C/live-initramfs
py=/usr/bin/python3.11
pylib=/usr/lib/python3.11
dist=/usr/lib/python3/dist-packages
busybox=/bin/busybox
mkdir -p "$cache"

die() { echo "mkinitramfs-live: $*" >&2; exit 1; }
[ -d "$pkgdir" ] || die "no package directory $pkgdir"
[ -f "$ko" ] || die "no module $ko"
[ -f "$vmlinux" ] || die "no vmlinux $vmlinux (set VMLINUX=)"
[ -x "$py" ] || die "no $py"
drgn_so=$(ls "$dist"/_drgn.cpython-311-*.so 2>/dev/null | head -1)
[ -n "$drgn_so" ] && [ -d "$dist/drgn" ] || die "no drgn in $dist (apt-get install python3-drgn)"
# static: ldd (libc-bin, on every machine; `file` is not) says so
# (ldd exits 1 on a static binary: its status is no test under pipefail)
[ -x "$busybox" ] && case $(LC_ALL=C ldd "$busybox" 2>&1 || true) in *"not a dynamic executable"*) ;; *) false ;; esac \
    || die "need busybox-static (apt-get install busybox-static)"
command -v depmod >/dev/null || die "need depmod (kmod)"
release=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
[ -n "$release" ] || die "no vermagic in $ko"

tmp=$(mktemp -d "$cache/.mk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# newc cpio of directory $1 on stdout, owned by root, sorted
mkcpio() { (cd "$1" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner=0:0 --quiet); }
# the libraries (and the dynamic loader) the ELF files $@ need, one path a line
needed_libs() {
    ldd "$@" 2>/dev/null | awk '/=> \//{print $3} $1 ~ /^\/.*ld-linux/{print $1}' | sort -u
}
# copy library path $2 into root $1 (as a file, at the path ldd names)
copy_lib() { mkdir -p "$1$(dirname "$2")"; cp -L "$2" "$1$2"; }

# the cached parts are shared by concurrent runs
exec 9>"$cache/.lock"
flock 9

# ---- 1. kernel part: vmlinux, module, modules.dep (uncompressed) ----------
kkey=$(stat -c '%n %s %Y' "$vmlinux" "$ko" | sha256sum | cut -c1-16)
kpart=$cache/kernel-$release-$kkey.cpio
if [ ! -f "$kpart" ]; then
    r=$tmp/kernel; m=$r/lib/modules/$release
    mkdir -p "$m/build" "$m/extra"
    cp "$vmlinux" "$m/build/vmlinux"
    cp "$ko" "$m/extra/lockalias_scenarios.ko"
    depmod -b "$r" "$release" 2>/dev/null || depmod -b "$r" "$release"
    [ -f "$m/modules.dep.bin" ] || die "depmod wrote no modules.dep.bin"
    rm -f "$cache"/kernel-"$release"-*.cpio
    mkcpio "$r" > "$kpart.tmp.$$" && mv "$kpart.tmp.$$" "$kpart"
    rm -rf "$r"
fi

# ---- 2. userland part: busybox, python, stdlib, drgn (gzip) ---------------
ukey=$( { dpkg-query -W -f='${Package} ${Version}\n' python3.11-minimal libpython3.11-stdlib \
            python3-drgn busybox-static 2>/dev/null; stat -c '%n %s %Y' "$py" "$drgn_so" "$busybox" "$(realpath "$0")"; } \
        | sha256sum | cut -c1-16)
upart=$cache/userland-$ukey.cpio.gz
ulist=$cache/userland-$ukey.files
if [ ! -f "$upart" ] || [ ! -f "$ulist" ]; then
    r=$tmp/userland
    mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,run,lib64,etc} "$r$dist"
    cp "$busybox" "$r/bin/busybox"
    ln -s busybox "$r/bin/sh"
    mknod "$r/dev/console" c 5 1 2>/dev/null || true
    mknod "$r/dev/null" c 1 3 2>/dev/null || true
    cp "$py" "$r/usr/bin/python3.11"
    ln -s python3.11 "$r/usr/bin/python3"
    ln -s python3 "$r/usr/bin/python"
    tar -C / -c --exclude=__pycache__/'*.opt-[12].pyc' \
        --exclude="${pylib#/}/test" --exclude="${pylib#/}/lib2to3" --exclude="${pylib#/}/ensurepip" \
        --exclude="${pylib#/}/pydoc_data" --exclude="${pylib#/}/config-3.11-*" \
        --exclude="${pylib#/}/idlelib" --exclude="${pylib#/}/tkinter" --exclude="${pylib#/}/turtledemo" \
        --exclude="${pylib#/}/unittest/test" --exclude="${pylib#/}/*/tests" \
        "${pylib#/}" "${dist#/}/drgn" "${drgn_so#/}" | tar -C "$r" -x
    # the stdlib's .so files and the ones they, python and _drgn need
    for lib in $(needed_libs "$py" "$drgn_so" "$pylib"/lib-dynload/*.so); do
        copy_lib "$r" "$lib"
    done
    # Debian's site.py adds /usr/lib/python3/dist-packages to sys.path
    printf 'root:x:0:0:root:/root:/bin/sh\n' > "$r/etc/passwd"
    printf 'root:x:0:\n' > "$r/etc/group"
    rm -f "$cache"/userland-*.cpio.gz "$cache"/userland-*.files
    (cd "$r" && find . ! -type d | sed 's|^\.||' | LC_ALL=C sort) > "$ulist.tmp"
    mkcpio "$r" | gzip -6n > "$upart.tmp.$$"
    mv "$ulist.tmp" "$ulist"; mv "$upart.tmp.$$" "$upart"
    rm -rf "$r"
fi
flock -u 9

# ---- 3. this run: PKGDIR, its libraries, wrappers, /init (gzip) -----------
r=$tmp/run
mkdir -p "$r/opt/lockalias/python" "$r/opt/lockalias/bin"
if [ -f "$pkgdir/__init__.py" ]; then
    dst=$r/opt/lockalias/python/$(basename "$pkgdir")
else
    dst=$r/opt/lockalias/python
fi
mkdir -p "$dst"
# Extension modules for another Python (cpython-313, -314: built in the
# Debian 13 and unstable roots by make matrix) stay out: the guest runs
# Debian 12's python3.11, and their libraries are not on this host.
tar -C "$pkgdir" -c --exclude=__pycache__ --exclude=.pytest_cache --exclude='*.egg-info' \
    --exclude=build --exclude=.git . | tar -C "$dst" -x
find "$dst" -name '*.cpython-3*.so' ! -name '*.cpython-311-*' -delete
python3.11 -m compileall -q -j0 "$r/opt/lockalias/python" >/dev/null 2>&1 || true
sos=$(find "$dst" -name '*.so' -type f)
if [ -n "$sos" ]; then
    [ "${LIVE_STRIP:-1}" = 0 ] || strip --strip-debug $sos
    for lib in $(needed_libs $sos); do
        grep -qxF "$lib" "$ulist" || copy_lib "$r" "$lib"
    done
    missing=$(ldd $sos 2>/dev/null | grep 'not found' || true)
    [ -z "$missing" ] || die "libraries of PKGDIR's .so files not found on the host: $missing"
fi
# console-script wrappers
scripts=${LIVE_SCRIPTS:-}
if [ -z "$scripts" ] && [ -f "$pkgdir/pyproject.toml" ]; then
    scripts=$(python3.11 -c '
import sys, tomllib
d = tomllib.load(open(sys.argv[1], "rb"))
for k, v in d.get("project", {}).get("scripts", {}).items():
    print("%s=%s" % (k, v.replace(" ", "")))' "$pkgdir/pyproject.toml")
fi
for s in $scripts; do
    name=${s%%=*}; target=${s#*=}; modname=${target%%:*}; func=${target#*:}
    cat > "$r/opt/lockalias/bin/$name" <<EOF
#!/usr/bin/python3
import sys
from $modname import ${func%%.*}
sys.exit(${func}())
EOF
    chmod 755 "$r/opt/lockalias/bin/$name"
done

# CMD, quoted for sh: one 'word' per argument
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
cmd=""; for a in "$@"; do cmd="$cmd $(q "$a")"; done
shown=$(printf '%s' "$*" | tr '\n' ' ')
cat > "$r/init" <<INIT
#!/bin/busybox sh
# lockalias live guest (scripts/mkinitramfs-live.sh)
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
echo "lockalias-init: variant=live release=\$(uname -r)"
echo "lockalias-live: uptime \$(cut -d' ' -f1 /proc/uptime) s at /init"
insmod /lib/modules/\$(uname -r)/extra/lockalias_scenarios.ko
echo "lockalias-init: insmod rc=\$?"
# insmod returns after the module's init, which prints every GT line; the
# ring buffer has them then (the console may lag)
n=0
until dmesg | grep -q 'lockalias-gt: done'; do
    n=\$((n + 1)); [ \$n -le 300 ] || { echo "lockalias-live: no 'lockalias-gt: done' after 30 s"; break; }
    sleep 0.1
done
echo "lockalias-init: done"
for t in /dev/ttyS1 /dev/ttyS2; do stty -F \$t raw -echo 2>/dev/null || echo "lockalias-live: no \$t"; done
export HOME=/root PATH=/opt/lockalias/bin:/opt/lockalias/python/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
       PYTHONPATH=/opt/lockalias/python PYTHONUTF8=1 PYTHONDONTWRITEBYTECODE=1 TERM=dumb
cd /root
echo "lockalias-live: uptime \$(cut -d' ' -f1 /proc/uptime) s at command start"
echo "lockalias-live: command start: $(printf '%s' "$shown" | sed 's/[\\$`"]/\\&/g')"
$cmd >/dev/ttyS1 2>/dev/ttyS2 </dev/null
rc=\$?
echo "lockalias-live: uptime \$(cut -d' ' -f1 /proc/uptime) s at command end"
echo "lockalias-live: command end: exit=\$rc"
sync
echo "lockalias-live: poweroff"
poweroff -f
sleep 5
reboot -f
INIT
chmod 755 "$r/init"
mkcpio "$r" | gzip -6n > "$tmp/run.cpio.gz"

# the uncompressed part first: an uncompressed cpio must start 4-byte aligned
cat "$kpart" "$upart" "$tmp/run.cpio.gz" > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out ($(stat -c %s "$out") bytes: kernel part $(stat -c %s "$kpart"), userland $(stat -c %s "$upart"), run $(stat -c %s "$tmp/run.cpio.gz"))"
