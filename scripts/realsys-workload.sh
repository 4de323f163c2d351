#!/bin/bash
# Inside the "real system" guest (scripts/make-realsys-guest.sh installs it as
# /usr/local/sbin/lockalias-realsys-workload, run by lockalias-workload.service):
# an ordinary machine's day, then the scenario module, then whatever the host
# asks for (scripts/realsys-capture.py drives it).
#
# First boot:
#   1. file work on ext4 (/) and xfs (/dev/vdb, made when empty), network
#      (a bridge over the second, multi-queue virtio NIC when present, ping and
#      TCP to the host; TCP over loopback), `dummy` loaded and unloaded;
#   2. insmod /root/lockalias_scenarios.ko (after the workload: its last
#      scenario splats and turns lockdep off, so lockdep sees the workload
#      first); the whole dmesg is printed between markers for parse_gt.py;
#   3. LOCKALIAS-REALSYS-READY, then it reads commands, one a line, from the
#      control port (/dev/ttyS1, QEMU's second serial port):
#        live   crash and lockalias-drgn on the running kernel -> /root/live/
#        crash  flag file, then echo c > /proc/sysrq-trigger (kdump)
#        off    power off
# After the kdump (flag file present): waits for lockalias-postmortem's
# reports beside the saved dump, prints them, powers off.
# Everything goes to /dev/console with LOCKALIAS-REALSYS-* markers.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8
STATE=/var/lib/lockalias-realsys
FLAG=$STATE/crashed
LIVE=/root/live
CTL=${LOCKALIAS_CTL:-/dev/ttyS1}
HOST_IP=10.77.0.1 GUEST_IP=10.77.0.2 SINK_PORT=5577
TAP_MAC=52:54:00:12:34:57
REL=$(uname -r)
VMLINUX=/usr/lib/debug/boot/vmlinux-$REL
mkdir -p "$STATE" "$LIVE"
exec >/dev/console 2>&1
say() { echo "lockalias-realsys: $*"; }
t_start=$(date +%s)
phase() { say "phase $1 done in $(( $(date +%s) - ${2} )) s"; }

# A file's text between BEGIN/END markers (the host cuts it out of console.log).
show() {  # show NAME FILE
    echo "LOCKALIAS-REALSYS-BEGIN $1"
    cat "$2"
    echo "LOCKALIAS-REALSYS-END $1"
}

poweroff_now() { sync; systemctl poweroff; sleep 600; }

# ---- second boot: after the kdump ------------------------------------------------
if [ -f "$FLAG" ]; then
    say "second boot after kdump (uptime $(cut -d' ' -f1 /proc/uptime) s)"
    t0=$(date +%s)
    dumps=$(ls /var/crash/*/dump.* 2>/dev/null | grep -v -e '\.tmp$' -e '\.incomplete$' || true)
    if [ -z "$dumps" ]; then
        say "NO DUMP in /var/crash"; ls -laR /var/crash
        echo "LOCKALIAS-REALSYS-POSTMORTEM-FAILED no dump"
        mv "$FLAG" "$FLAG.done"; poweroff_now; exit 1
    fi
    # lockalias-postmortem.service ran before us (After=); start it again in
    # case the .path unit and the boot raced (it skips dumps it has checked).
    systemctl start lockalias-postmortem.service
    for d in $dumps; do
        dir=$(dirname "$d")
        # lockalias-postmortem names no vmlinux: lockalias-check finds it from
        # the dump's release. When that failed (an ERROR line), the same check
        # again with this kernel's vmlinux named, beside it (not instead).
        if head -n 1 "$dir/lockalias.txt" 2>/dev/null | grep -q ': ERROR '; then
            say "postmortem: $(head -n 1 "$dir/lockalias.txt"); again with $VMLINUX"
            t1=$(date +%s)
            lockalias-check --json --text-report "$dir/lockalias-vmlinux.txt" "$VMLINUX" "$d" \
                > "$dir/lockalias-vmlinux.json" 2> "$dir/lockalias-vmlinux.err"
            say "lockalias-check $VMLINUX $d: exit $?, $(( $(date +%s) - t1 )) s"
        fi
        ls -la "$dir"
        for f in lockalias.txt lockalias.json lockalias.err lockalias-vmlinux.txt lockalias-vmlinux.json \
                 lockalias-vmlinux.err dmesg.*; do
            for g in "$dir"/$f; do [ -f "$g" ] && show "postmortem/$(basename "$g")" "$g"; done
        done
    done
    systemctl status --no-pager -n 20 lockalias-postmortem.service kdump-tools.service || true
    phase postmortem "$t0"
    echo "LOCKALIAS-REALSYS-POSTMORTEM-DONE"
    mv "$FLAG" "$FLAG.done"
    poweroff_now
    exit 0
fi

# ---- first boot --------------------------------------------------------------------
say "workload start (uptime $(cut -d' ' -f1 /proc/uptime) s, $REL)"

# 1a. files on ext4 and xfs
t0=$(date +%s)
mkdir -p /mnt/xfs
if [ -b /dev/vdb ]; then
    if [ -z "$(blkid -o value -s TYPE /dev/vdb)" ]; then mkfs.xfs -q -f -L realsys-xfs /dev/vdb; fi
    mount -t xfs /dev/vdb /mnt/xfs && say "xfs mounted: $(findmnt -n -o SOURCE,FSTYPE,OPTIONS /mnt/xfs)"
else
    say "no /dev/vdb: xfs skipped"
fi
for fs in /var/tmp /mnt/xfs; do
    mountpoint -q "$fs" || [ "$fs" = /var/tmp ] || continue
    w=$fs/lockalias-work
    rm -rf "$w"; mkdir -p "$w/a"
    for i in $(seq 1 64); do
        dd if=/dev/urandom of="$w/a/f$i" bs=16k count=$((i % 8 + 1)) status=none
    done
    cp -a "$w/a" "$w/b"
    cp -a /usr/share/doc "$w/doc" 2>/dev/null || true
    sync
    rm -rf "$w/b" "$w/doc"
    ln -s a "$w/link"; mv "$w/a/f1" "$w/a/f1.renamed"; truncate -s 1M "$w/sparse"
    setfattr -n user.la -v 1 "$w/sparse" 2>/dev/null || true
    sync
    say "files on $(findmnt -n -o FSTYPE -T "$fs") ($fs): $(find "$w" | wc -l) entries kept"
done
phase files "$t0"

# 1b. network: a bridge over the multi-queue NIC, ping and TCP to the host;
# TCP over loopback.
t0=$(date +%s)
ip -br link; ip -br addr
nic=$(ip -o link | awk -v m="$TAP_MAC" 'index($0, m) {sub(":", "", $2); print $2; exit}')
if [ -n "$nic" ]; then
    ip link add br0 type bridge
    ip link set "$nic" master br0
    ip link set "$nic" up; ip link set br0 up
    ip addr add $GUEST_IP/24 dev br0
    say "bridge br0 over $nic ($(ls /sys/class/net/$nic/queues | tr '\n' ' '))"
    # the bridge's port is forwarding after STP's delay (forward_delay 15 s by default)
    for i in $(seq 1 60); do
        [ "$(cat /sys/class/net/br0/operstate)" = up ] && ping -q -c 1 -W 1 $HOST_IP >/dev/null && break
        sleep 1
    done
    ping -c 5 -i 0.2 $HOST_IP || say "ping $HOST_IP failed"
    if timeout 120 dd if=/dev/zero bs=64k count=256 status=none > /dev/tcp/$HOST_IP/$SINK_PORT; then
        say "sent 16 MiB to $HOST_IP:$SINK_PORT"
    else
        say "TCP to $HOST_IP:$SINK_PORT failed"
    fi
else
    say "no NIC with $TAP_MAC: no bridge (user networking only)"
    ip link add br0 type bridge && ip link set br0 up
fi
ping -c 3 -W 2 10.0.2.2 || say "ping 10.0.2.2 (user networking gateway) failed"
timeout 120 python3 - <<'EOF' || say "loopback TCP failed"
import socket, threading
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
got = []
def sink():
    c, _ = srv.accept(); n = 0
    while True:
        b = c.recv(65536)
        if not b: break
        n += len(b)
    got.append(n)
t = threading.Thread(target=sink); t.start()
s = socket.create_connection(srv.getsockname()); s.sendall(b"x" * (8 << 20)); s.close(); t.join()
print("lockalias-realsys: loopback TCP %d bytes" % got[0])
EOF
ip -br addr
phase network "$t0"

# 1c. a module load and unload
t0=$(date +%s)
modprobe dummy && ip link add dummy0 type dummy && ip link set dummy0 up &&
    ip addr add 10.78.0.1/24 dev dummy0 && ip link del dummy0 && rmmod dummy &&
    say "dummy loaded, dummy0 added and deleted, dummy unloaded"
lsmod
phase modules "$t0"

# 2. the scenario module (its last scenario turns lockdep off)
t0=$(date +%s)
if insmod /root/lockalias_scenarios.ko; then
    for i in $(seq 1 120); do dmesg | grep -q 'lockalias-gt: done' && break; sleep 1; done
else
    say "insmod lockalias_scenarios.ko failed"
fi
dmesg > "$LIVE/dmesg-ready.txt"
phase scenarios "$t0"
show dmesg "$LIVE/dmesg-ready.txt"

# 3. ready
for i in $(seq 1 600); do   # kdump-tools loads the crash kernel before basic.target; make sure
    [ "$(cat /sys/kernel/kexec_crash_loaded 2>/dev/null)" = 1 ] && break; sleep 1
done
say "kexec_crash_loaded=$(cat /sys/kernel/kexec_crash_loaded 2>/dev/null) crash_size=$(cat /sys/kernel/kexec_crash_size 2>/dev/null)"
kdump-config show 2>&1 | sed 's/^/kdump-config: /'
free -m
echo "LOCKALIAS-REALSYS-READY $REL after $(( $(date +%s) - t_start )) s of workload, uptime $(cut -d' ' -f1 /proc/uptime) s"
cat /proc/cmdline
echo "Looking-for-class warnings: $(dmesg | grep -c 'Looking for class')"

live() {
    local t0 t1 rc
    t0=$(date +%s)
    printf '%s\n' "extend lockalias.so" "lockalias" "lockalias -t" "lockalias -C" "quit" > "$LIVE/crash.cmds"
    say "crash live: crash -s $VMLINUX -i $LIVE/crash.cmds"
    # live: no dump file, crash reads /proc/kcore
    timeout 3600 crash -s "$VMLINUX" -i "$LIVE/crash.cmds" < /dev/null > "$LIVE/crash.txt" 2>&1
    rc=$?; t1=$(date +%s)
    echo "exit $rc, $((t1 - t0)) s" >> "$LIVE/crash.txt"
    show live/crash.txt "$LIVE/crash.txt"
    for args in "" "-t" "-C"; do
        name=drgn${args:+$args}.txt
        t0=$(date +%s)
        say "lockalias-drgn --live --vmlinux $VMLINUX $args"
        timeout 3600 lockalias-drgn --live --vmlinux "$VMLINUX" $args < /dev/null > "$LIVE/$name" 2>&1
        rc=$?
        echo "exit $rc, $(( $(date +%s) - t0 )) s" >> "$LIVE/$name"
        show "live/$name" "$LIVE/$name"
    done
    sync
}

if [ ! -c "$CTL" ]; then say "no control port $CTL: waiting"; sleep infinity; fi
stty -F "$CTL" raw -echo 115200 2>/dev/null || true
exec 3<"$CTL"
while read -r cmd <&3; do
    cmd=${cmd%$'\r'}
    say "command: $cmd"
    case $cmd in
        live)
            t0=$(date +%s); live; phase live "$t0"
            echo "LOCKALIAS-REALSYS-LIVE-DONE" ;;
        crash)
            echo "kdump requested at uptime $(cut -d' ' -f1 /proc/uptime)" > "$FLAG"
            umount /mnt/xfs 2>/dev/null; sync
            echo "LOCKALIAS-REALSYS-CRASHING"
            sleep 1
            echo c > /proc/sysrq-trigger ;;
        off) poweroff_now ;;
        "") ;;
        *) say "unknown command: $cmd" ;;
    esac
done
say "control port closed"
sleep infinity
