#!/bin/sh
# Installs the Debian 12 packages lockalias needs, when any is missing.
set -e
# Extra package names may be given as arguments (e.g. clang for `make fuzz`).
# The build and the tests: the compilers, crash and its defs.h, the page
# libraries, Python with drgn and pytest. systemd and man-db:
# test_check.py's `systemd-analyze verify` of the units (it checks that
# their Documentation=man: pages exist, so it needs man). The live test:
# qemu-system-x86, busybox-static, cpio and kmod (depmod, for
# scripts/mkinitramfs-live.sh). The matrix and `make formats`: debootstrap
# (scripts/make-root.sh) and makedumpfile.
pkgs="crash makedumpfile make g++ gcc libgtest-dev libelf-dev libdeflate-dev liblzo2-dev libsnappy-dev
      libzstd-dev python3 python3-dev python3-pytest python3-jsonschema python3-drgn pybind11-dev xz-utils
      systemd man-db qemu-system-x86 busybox-static cpio kmod debootstrap $*"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
    echo "run as root (or: sudo apt-get install$missing)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
