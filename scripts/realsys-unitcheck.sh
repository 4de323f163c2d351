#!/bin/bash
# scripts/realsys-unitcheck.sh [UNIT]: the locked-down lockalias-postmortem.service
# (extension/systemd/, or UNIT: e.g. a copy with one directive removed) in a
# BOOTED systemd system, on a real kdump. `systemd-analyze security` and the
# unit tests only read the unit; whether crash, gdb and Python still work
# under ProtectSystem=strict, the empty capability set, the @system-service
# syscall filter, MemoryDenyWriteExecute, MemoryMax=2G and UMask=0077 shows
# only when systemd runs the service. This is the evidence for that.
#
# It boots a sparse copy of the real-system guest (make-realsys-guest.sh)
# with, written into the copy by debugfs: the unit (@LIBDIR@ -> /usr/local/lib),
# kdump-tools and the workload masked (a short boot), the fixture's kdump as
# /var/crash/STAMP/dump.STAMP (0600 root, like kdump-tools'), and a report
# unit ordered after the service that prints its status, journal, hardening
# and `systemd-analyze security`, then powers off. QEMU: TCG, nice -n 15.
# It then reads the reports back with debugfs and compares lockalias.json
# with fixture/postmortem-lockalias.json (what the unhardened unit wrote in
# the guest): summary.aliases, maps_found, freed_maps; and their modes.
# Output: $CACHE/realsys-6.12/unitcheck/{console.log,out/,result.txt}; the
# disk copy is removed at the end (UNITCHECK_KEEP_DISK=1 keeps it).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
R=${LOCKALIAS_CACHE:-$HOME/.cache/lockalias}/realsys-6.12
G=$R/guest F=$R/fixture W=${UNITCHECK_DIR:-$R/unitcheck}
UNIT=${1:-$REPO/extension/systemd/lockalias-postmortem.service}
STAMP=202612080000
TIMEOUT=${UNITCHECK_TIMEOUT:-2400}
say() { echo "realsys-unitcheck: $*" >&2; }
for f in "$G/disk.img" "$G/vmlinuz" "$G/initrd.img" "$G/cmdline" "$F/vmcore.kdump" "$F/postmortem-lockalias.json" "$UNIT"; do
    [ -f "$f" ] || { say "missing $f"; exit 1; }
done
rm -rf "$W"; mkdir -p "$W/out"
DISK=$W/disk.img QPID=
cleanup() { [ -z "$QPID" ] || kill "$QPID" 2>/dev/null || true; [ -n "${UNITCHECK_KEEP_DISK:-}" ] || rm -f "$DISK"; }
trap cleanup EXIT

# ---- 1. the image copy -----------------------------------------------------------
t0=$(date +%s)
cp --sparse=always "$G/disk.img" "$DISK"
sed 's|@LIBDIR@|/usr/local/lib|' "$UNIT" > "$W/lockalias-postmortem.service"
cat > "$W/lockalias-unitcheck.service" <<'EOF'
[Unit]
Description=lockalias unit check: report on lockalias-postmortem.service, then power off
After=lockalias-postmortem.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/lockalias-unitcheck-report
StandardOutput=journal+console
StandardError=journal+console
EOF
cat > "$W/lockalias-unitcheck-report" <<EOF
#!/bin/sh
u=lockalias-postmortem.service
echo UNITCHECK-BEGIN
systemctl show \$u -p Result -p ExecMainStatus -p ExecMainCode -p ConditionResult -p ExecMainStartTimestampMonotonic \\
    -p ExecMainExitTimestampMonotonic -p CPUUsageNSec -p MemoryPeak -p MemoryMax -p UMask -p ProtectSystem \\
    -p ReadWritePaths -p PrivateNetwork -p NoNewPrivileges -p CapabilityBoundingSet -p MemoryDenyWriteExecute \\
    -p SystemCallErrorNumber
systemctl cat --no-pager \$u
systemctl status --no-pager -l \$u
echo UNITCHECK-JOURNAL
journalctl -b --no-pager -o short-monotonic -u \$u
echo UNITCHECK-KERNEL-DENIALS
journalctl -b -k --no-pager | grep -iE 'seccomp|sigsys|audit|denied|oom' || echo none
echo UNITCHECK-FILES
ls -ln /var/crash /var/crash/$STAMP
echo UNITCHECK-SECURITY
systemd-analyze security --no-pager \$u
echo UNITCHECK-BLAME
systemd-analyze blame --no-pager | head -n 15
echo UNITCHECK-END
sync
systemctl poweroff
EOF
ETC=/etc/systemd/system UL=/usr/lib/systemd/system D=/var/crash/$STAMP
debugfs -w -f - "$DISK" > "$W/debugfs-write.log" 2>&1 <<EOF
rm $UL/lockalias-postmortem.service
write $W/lockalias-postmortem.service $UL/lockalias-postmortem.service
sif $UL/lockalias-postmortem.service mode 0100644
rm $ETC/lockalias-workload.service
symlink $ETC/lockalias-workload.service /dev/null
symlink $ETC/kdump-tools.service /dev/null
write $W/lockalias-unitcheck.service $ETC/lockalias-unitcheck.service
sif $ETC/lockalias-unitcheck.service mode 0100644
symlink $ETC/multi-user.target.wants/lockalias-unitcheck.service $ETC/lockalias-unitcheck.service
write $W/lockalias-unitcheck-report /usr/local/sbin/lockalias-unitcheck-report
sif /usr/local/sbin/lockalias-unitcheck-report mode 0100755
mkdir /var/crash
mkdir $D
write $F/vmcore.kdump $D/dump.$STAMP
sif $D/dump.$STAMP mode 0100600
sif $D/dump.$STAMP uid 0
sif $D/dump.$STAMP gid 0
EOF
if grep -vE '^(debugfs [0-9]|debugfs: |Allocated inode)' "$W/debugfs-write.log" | grep -q .; then cat "$W/debugfs-write.log" >&2; say "debugfs -w reported errors"; exit 1; fi
e2fsck -fn "$DISK" > "$W/e2fsck-before.log" 2>&1 || { cat "$W/e2fsck-before.log" >&2; say "e2fsck of the edited copy failed"; exit 1; }
debugfs -R "ls -l $D" "$DISK" 2>/dev/null | sed 's/^/  /' >&2
say "image ready in $(( $(date +%s) - t0 )) s: $DISK"

# ---- 3. boot until the report unit powers off -------------------------------------
argv=(nice -n 15 qemu-system-x86_64 -machine pc -accel tcg -cpu qemu64 -smp 2 -m 3072M
      -kernel "$G/vmlinuz" -initrd "$G/initrd.img" -append "$(cat "$G/cmdline") systemd.show_status=1"
      -drive "file=$DISK,format=raw,if=virtio,cache=unsafe" -device vmcoreinfo
      -netdev user,id=n0 -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56
      -display none -vga none -serial "file:$W/console.log" -no-reboot)
echo "${argv[*]}" > "$W/qemu-argv"
t1=$(date +%s)
"${argv[@]}" </dev/null > "$W/qemu.log" 2>&1 & QPID=$!
say "qemu pid $QPID; console: $W/console.log (timeout $TIMEOUT s)"
seen=
while kill -0 "$QPID" 2>/dev/null; do
    if [ -z "$seen" ] && grep -aqE '(Finished|Failed to start|Failed).*lockalias-postmortem' "$W/console.log" 2>/dev/null; then
        seen=1; say "service done after $(( $(date +%s) - t1 )) s: $(grep -aE '(Finished|Failed).*lockalias-postmortem' "$W/console.log" | tail -n 1 | sed 's/\x1b\[[0-9;]*m//g')"
    fi
    if [ $(( $(date +%s) - t1 )) -gt "$TIMEOUT" ]; then say "timeout: killing qemu"; kill "$QPID"; sleep 2; break; fi
    sleep 10
done
wait "$QPID" || true; QPID=
t2=$(date +%s)
grep -aq UNITCHECK-END "$W/console.log" || say "no UNITCHECK-END on the console: the report unit did not finish"
sed -n '/UNITCHECK-BEGIN/,/UNITCHECK-END/p' "$W/console.log" | sed 's/\r$//' > "$W/out/report-unit.txt"

# ---- 4. read back -----------------------------------------------------------------
e2fsck -fy "$DISK" > "$W/e2fsck-after.log" 2>&1 || [ $? -le 1 ] || { cat "$W/e2fsck-after.log" >&2; say "e2fsck after the boot failed"; }
debugfs -R "ls -l $D" "$DISK" > "$W/out/ls-l.txt" 2>/dev/null
debugfs -R "rdump $D $W/out" "$DISK" 2>/dev/null
rm -f "$W/out/$STAMP/dump.$STAMP"   # (the input)
python3 - "$F/postmortem-lockalias.json" "$W/out/$STAMP/lockalias.json" > "$W/result.txt" <<'EOF' || true
import json, sys
exp, got = (json.load(open(p)) for p in sys.argv[1:3])
for k in ("aliases", "maps_found", "classes_in_use", "untaken_maps", "maps_in_freed_objects", "seconds"):
    e, g = exp["summary"].get(k), got["summary"].get(k)
    print("summary.%s: %s %s expected %s" % (k, g, "==" if e == g else "!=", e))
print("len(freed_maps): %d %s expected %d" % (len(got["freed_maps"]), "==" if len(got["freed_maps"]) == len(exp["freed_maps"]) else "!=", len(exp["freed_maps"])))
for k in ("classes", "latent", "untracked", "freed_maps", "problems", "error"):
    print("%s: %s" % (k, "equal" if exp.get(k) == got.get(k) else "DIFFERENT"))
EOF
{
    echo "boot to power-off: $(( t2 - t1 )) s (qemu under nice -n 15, TCG)"
    echo "report files (debugfs ls -l):"; sed 's/^/  /' "$W/out/ls-l.txt"
} >> "$W/result.txt"
cat "$W/result.txt"
