#!/usr/bin/python3
"""Three captures of one "real system" (issue 29): the guest of
scripts/make-realsys-guest.sh booted under QEMU (TCG), then

  a. elf     once the workload prints LOCKALIAS-REALSYS-READY: QEMU's own
             dump (dump-guest-memory, paging false) -> vmcore.elf, with the
             console so far (console-ready.log), the guest's dmesg at that
             point (dmesg-ready.txt) and parse_gt.py's expected.json;
  b. live    the guest runs crash (lockalias.so: lockalias, -t, -C) and
             lockalias-drgn --live (the same three) on its running kernel
             -> /root/live/ in the guest, printed on the console too;
  c. kdump   echo c > /proc/sysrq-trigger: Debian's kdump-tools saves
             /var/crash/STAMP/dump.STAMP (makedumpfile -c -d 31) from the
             crash kernel and reboots; on the second boot
             lockalias-postmortem writes lockalias.json/.txt beside the
             dump; the guest powers off.

Then /var/crash and /root/live are copied out of the run's disk with
debugfs into OUT/guest/. Each phase's time is printed and written to
OUT/stamp. The guest's disk.img is not written: the run uses a sparse copy
(OUT/run-disk.img, removed at the end unless --keep-disk).

usage: scripts/realsys-capture.py [--guest DIR] [--out DIR] [--memory M]
                                  [--no-tap] [--keep-disk]
Needs root (the multi-queue tap; without one, --no-tap: user networking only).
"""
import argparse
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
CACHE = os.environ.get("LOCKALIAS_CACHE", os.path.expanduser("~/.cache/lockalias"))
PARSE_GT = os.path.join(REPO, "vmcore-fixtures", "scripts", "parse_gt.py")

# capture.py's QMP client (the fixtures' captures use it)
_spec = importlib.util.spec_from_file_location(
    "fixture_capture", os.path.join(REPO, "vmcore-fixtures", "scripts", "capture.py"))
_capture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_capture)
QMP = _capture.QMP

TAP = "larsys0"
HOST_IP, SINK_PORT = "10.77.0.1", 5577
USER_MAC, TAP_MAC = "52:54:00:12:34:56", "52:54:00:12:34:57"
QUEUES = 2

T0 = time.time()
TIMES = []   # (phase, seconds)


def log(msg):
    print("[%6.0f s] %s" % (time.time() - T0, msg), flush=True)


def phase_done(name, start):
    dt = time.time() - start
    TIMES.append((name, dt))
    log("phase %s: %.0f s" % (name, dt))
    return dt


def sh(*argv, check=True):
    return subprocess.run(argv, check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def make_tap():
    """A multi-queue tap with the host end at HOST_IP; None when it cannot be made."""
    sh("ip", "tuntap", "del", "dev", TAP, "mode", "tap", "multi_queue", check=False)
    for argv in (["ip", "tuntap", "add", "dev", TAP, "mode", "tap", "multi_queue"],
                 ["ip", "addr", "add", HOST_IP + "/24", "dev", TAP],
                 ["ip", "link", "set", TAP, "up"]):
        p = sh(*argv, check=False)
        if p.returncode:
            log("no multi-queue tap (%s: %s): user networking only" % (" ".join(argv), p.stdout.strip()))
            sh("ip", "tuntap", "del", "dev", TAP, "mode", "tap", "multi_queue", check=False)
            return None
    return TAP


class Sink(threading.Thread):
    """The host end of the guest's TCP traffic: counts the bytes sent to it."""
    def __init__(self):
        super().__init__(daemon=True)
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind((HOST_IP, SINK_PORT))
        self.srv.listen(4)
        self.received = []

    def run(self):
        while True:
            try:
                c, peer = self.srv.accept()
            except OSError:
                return
            n = 0
            with c:
                while True:
                    b = c.recv(1 << 16)
                    if not b:
                        break
                    n += len(b)
            self.received.append((peer[0], n))
            log("sink: %d bytes from %s" % (n, peer[0]))


class Console:
    """The serial console log, read as it grows."""
    def __init__(self, path):
        self.path = path

    def text(self):
        try:
            with open(self.path, "r", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait(self, patterns, qemu, timeout, after=0):
        """Waits until one of PATTERNS (regexes) appears at or after offset
        AFTER; returns (pattern, match end offset). Fails on timeout or when
        QEMU exits first."""
        start = time.time()
        while True:
            text = self.text()
            for p in patterns:
                m = re.compile(p, re.M).search(text, after)
                if m:
                    return p, m.end()
            if qemu.poll() is not None:
                # one last look: the pattern may be the last thing QEMU wrote
                text = self.text()
                for p in patterns:
                    m = re.compile(p, re.M).search(text, after)
                    if m:
                        return p, m.end()
                raise RuntimeError("qemu exited (rc %s) before %s" % (qemu.returncode, patterns))
            if time.time() - start > timeout:
                raise RuntimeError("timeout (%d s) waiting for %s" % (timeout, patterns))
            time.sleep(2)

    def section(self, name, after=0):
        """The lines between LOCKALIAS-REALSYS-BEGIN NAME and -END NAME."""
        text = self.text().replace("\r", "")
        b = text.find("LOCKALIAS-REALSYS-BEGIN %s\n" % name, after)
        if b < 0:
            return None
        b = text.index("\n", b) + 1
        e = text.find("LOCKALIAS-REALSYS-END %s" % name, b)
        return text[b:e if e >= 0 else len(text)]


def size_of(path):
    st = os.stat(path)
    return "%s (%d MiB allocated)" % (fmt_bytes(st.st_size), st.st_blocks * 512 >> 20)


def fmt_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return "%.1f %s" % (n, unit) if unit != "B" else "%d B" % n
        n /= 1024.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--guest", default=os.path.join(CACHE, "realsys-6.12", "guest"))
    ap.add_argument("--out", default=None, help="default: GUEST/../captures")
    # (the live phase runs crash, i.e. gdb, on the whole debug vmlinux in the
    # guest, next to the 512M crashkernel reservation)
    ap.add_argument("--memory", default="3072M")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--no-tap", action="store_true", help="user networking only")
    ap.add_argument("--keep-disk", action="store_true", help="keep OUT/run-disk.img")
    ap.add_argument("--phases", default="elf,live,kdump",
                    help="comma-separated subset of elf,live,kdump (in that order)")
    ap.add_argument("--boot-timeout", type=float, default=5400)
    ap.add_argument("--live-timeout", type=float, default=7200)
    ap.add_argument("--kdump-timeout", type=float, default=7200)
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    a = ap.parse_args()
    phases = a.phases.split(",")
    guest = os.path.abspath(a.guest)
    out = os.path.abspath(a.out or os.path.join(os.path.dirname(guest), "captures"))
    for f in ("disk.img", "vmlinuz", "initrd.img", "cmdline", "stamp"):
        if not os.path.exists(os.path.join(guest, f)):
            sys.exit("no %s in %s: run scripts/make-realsys-guest.sh" % (f, guest))
    cmdline = open(os.path.join(guest, "cmdline")).read().strip()
    guest_stamp = open(os.path.join(guest, "stamp")).read()
    release = re.search(r"^release: (\S+)", guest_stamp, re.M).group(1)

    if os.path.exists(out):   # the previous run's, kept once
        if os.path.exists(out + ".prev"):
            shutil.rmtree(out + ".prev")
        os.rename(out, out + ".prev")
    os.makedirs(out)
    console_path = os.path.join(out, "console.log")
    qmp_path = os.path.join(out, "qmp.sock")
    ctl_path = os.path.join(out, "ctl.sock")
    disk = os.path.join(out, "run-disk.img")
    xfs = os.path.join(out, "xfs.img")
    log("copying %s (sparse) to %s" % (os.path.join(guest, "disk.img"), disk))
    subprocess.run(["cp", "--sparse=always", os.path.join(guest, "disk.img"), disk], check=True)
    with open(xfs, "wb") as f:
        f.truncate(1 << 30)   # 1 GiB, empty: the guest makes the xfs

    tap = None if a.no_tap else make_tap()
    sink = None
    if tap:
        sink = Sink()
        sink.start()
    net = ["-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0,mac=%s" % USER_MAC]
    if tap:
        net += ["-netdev", "tap,id=n1,ifname=%s,script=no,downscript=no,vhost=off,queues=%d" % (tap, QUEUES),
                "-device", "virtio-net-pci,netdev=n1,mac=%s,mq=on,vectors=%d" % (TAP_MAC, 2 * QUEUES + 2)]
    argv = [a.qemu, "-machine", "pc", "-accel", "tcg", "-cpu", "qemu64", "-smp", str(a.smp), "-m", a.memory,
            "-kernel", os.path.join(guest, "vmlinuz"), "-initrd", os.path.join(guest, "initrd.img"),
            "-append", cmdline,
            "-drive", "file=%s,format=raw,if=virtio,cache=unsafe" % disk,
            "-drive", "file=%s,format=raw,if=virtio,cache=unsafe" % xfs,
            "-device", "vmcoreinfo", *net,
            "-display", "none", "-vga", "none",
            "-serial", "file:" + console_path,
            "-chardev", "socket,id=ctl,path=%s,server=on,wait=off" % ctl_path, "-serial", "chardev:ctl",
            "-qmp", "unix:%s,server=on,wait=off" % qmp_path]
    with open(os.path.join(out, "qemu-argv"), "w") as f:
        f.write(" ".join(argv) + "\n")
    log("+ " + " ".join(argv))
    qemu = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    console = Console(console_path)
    notes = ["networking: %s" % ("user (DHCP) + multi-queue tap %s (queues=%d, mq=on) bridged in the guest"
                                 % (tap, QUEUES) if tap else "user networking only (one queue)")]
    try:
        while not (os.path.exists(qmp_path) and os.path.exists(ctl_path)):
            if qemu.poll() is not None:
                sys.exit("qemu exited early: rc=%s" % qemu.returncode)
            time.sleep(0.1)
        qmp = QMP(qmp_path)
        ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ctl.connect(ctl_path)

        def command(word):
            log("control port: %s" % word)
            ctl.sendall(word.encode() + b"\n")

        # ---- boot to READY -------------------------------------------------------
        t = time.time()
        _, ready_end = console.wait([r"^LOCKALIAS-REALSYS-READY.*$"], qemu, a.boot_timeout)
        phase_done("boot+workload (to READY)", t)
        time.sleep(3)   # the lines after the marker (cmdline, Looking-for-class count)
        shutil.copy(console_path, os.path.join(out, "console-ready.log"))
        dmesg = console.section("dmesg")
        if dmesg is not None:
            with open(os.path.join(out, "dmesg-ready.txt"), "w") as f:
                f.write(dmesg)
            with open(os.path.join(out, "expected.json"), "w") as f:
                subprocess.run([sys.executable, PARSE_GT, os.path.join(out, "dmesg-ready.txt"),
                                "--variant", "realsys"], stdout=f, check=False)

        text = console.text()
        m1 = re.search(r"\[\s*([\d.]+)\].*kdump-tools\[\d+\]: kdump-tools: Generating /var/lib/kdump/initrd", text)
        m2 = re.search(r"\[\s*([\d.]+)\].*kdump-tools\[\d+\]: loaded kdump kernel", text)
        if m1 and m2:
            notes.append("first boot: kdump-tools' mkinitramfs + kexec -p took %.0f s (uptime %s to %s s)"
                         % (float(m2.group(1)) - float(m1.group(1)), m1.group(1), m2.group(1)))
        elif not m2:
            notes.append("first boot: no 'loaded kdump kernel' from kdump-tools on the console")

        # ---- a. QEMU's ELF dump --------------------------------------------------
        if "elf" in phases:
            t = time.time()
            qmp.cmd("stop")
            qmp.cmd("dump-guest-memory", paging=False, protocol="file:" + os.path.join(out, "vmcore.elf"))
            qmp.cmd("cont")
            phase_done("a. ELF dump (dump-guest-memory)", t)

        # ---- b. live -----------------------------------------------------------------
        pos = ready_end
        if "live" in phases:
            t = time.time()
            command("live")
            _, pos = console.wait([r"^LOCKALIAS-REALSYS-LIVE-DONE"], qemu, a.live_timeout, after=pos)
            phase_done("b. live (crash + lockalias-drgn in the guest)", t)
            os.makedirs(os.path.join(out, "live-console"), exist_ok=True)
            for name in ("crash.txt", "drgn.txt", "drgn-t.txt", "drgn-C.txt"):
                text = console.section("live/" + name)
                if text is not None:
                    with open(os.path.join(out, "live-console", name), "w") as f:
                        f.write(text)

        # ---- c. kdump ---------------------------------------------------------------
        if "kdump" in phases:
            t = time.time()
            command("crash")
            _, pos = console.wait([r"^LOCKALIAS-REALSYS-CRASHING"], qemu, 600, after=pos)
            # the crash kernel's banner, then the reboot's
            _, pos = console.wait([r"Linux version \S+"], qemu, 600, after=pos)
            t_k = time.time()
            log("crash kernel booting after %.0f s" % (t_k - t))
            which, pos2 = console.wait([r"Linux version \S+", r"^LOCKALIAS-REALSYS-POSTMORTEM-(DONE|FAILED)"],
                                       qemu, a.kdump_timeout, after=pos)
            if not which.startswith("Linux"):   # the "crash kernel" was the reboot (panic=): no kdump
                notes.append("kdump: no crash kernel ran; the system rebooted")
                pos2 = pos
            phase_done("c1. crash kernel: boot + makedumpfile + reboot", t_k)
            t_b = time.time()
            which, pos2 = console.wait([r"^LOCKALIAS-REALSYS-POSTMORTEM-(DONE|FAILED)"], qemu,
                                       a.kdump_timeout, after=pos2)
            phase_done("c2. second boot + lockalias-postmortem", t_b)
            failed = "FAILED" in console.text()[pos2 - 40:pos2]
            if failed:
                notes.append("kdump: the second boot found no dump")
            try:
                qemu.wait(timeout=900)
            except subprocess.TimeoutExpired:
                log("guest did not power off: quitting qemu")
            TIMES.append(("c. kdump total (sysrq-c to power off)", time.time() - t))
            # the crash kernel's own clock: makedumpfile's start and end
            text = console.text()[pos - 200:]
            m1 = re.search(r"\[\s*([\d.]+)\] kdump-tools\[\d+\]: running makedumpfile (-F )?-c", text)
            m2 = re.search(r"\[\s*([\d.]+)\] kdump-tools\[\d+\]: kdump-tools: saved vmcore", text)
            if m1 and m2:
                notes.append("crash kernel: makedumpfile started at %s s of its uptime, vmcore saved at %s s "
                             "(%.0f s)" % (m1.group(1), m2.group(1), float(m2.group(1)) - float(m1.group(1))))
        if qemu.poll() is None:
            try:
                qmp.cmd("quit")
            except (RuntimeError, OSError):
                pass
            qemu.wait(timeout=120)
    finally:
        if qemu.poll() is None:
            qemu.kill()
            qemu.wait()
        for p in (qmp_path, ctl_path):
            if os.path.exists(p):
                os.unlink(p)
        if tap:
            sink.srv.close()
            sh("ip", "tuntap", "del", "dev", TAP, "mode", "tap", "multi_queue", check=False)

    # ---- the guest's files -----------------------------------------------------------
    t = time.time()
    gdir = os.path.join(out, "guest")
    os.makedirs(gdir)
    p = sh("debugfs", "-R", "rdump /var/crash /root/live %s" % gdir, disk, check=False)
    with open(os.path.join(out, "debugfs.log"), "w") as f:
        f.write(p.stdout)
    phase_done("extract /var/crash, /root/live (debugfs rdump)", t)
    if not a.keep_disk:
        os.unlink(disk)
    os.unlink(xfs)

    # ---- stamp -------------------------------------------------------------------------
    files = []
    for root, _, names in os.walk(out):
        for n in sorted(names):
            pth = os.path.join(root, n)
            if n.startswith(("vmcore", "dump.")) or n == "run-disk.img":
                files.append("%s: %s" % (os.path.relpath(pth, out), size_of(pth)))
    with open(os.path.join(out, "stamp"), "w") as f:
        f.write("release: %s\n" % release)
        f.write("captured: %s\n" % time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        f.write("qemu: %s\n" % " ".join(argv))
        f.write("cmdline: %s\n" % cmdline)
        f.write("memory: %s, smp %d\n" % (a.memory, a.smp))
        for n in notes:
            f.write("note: %s\n" % n)
        if sink:
            f.write("tcp sink: %s\n" % sink.received)
        for name, dt in TIMES:
            f.write("time: %s: %.0f s\n" % (name, dt))
        f.write("total: %.0f s\n" % (time.time() - T0))
        for line in files:
            f.write("size: %s\n" % line)
        f.write("guest: %s" % "".join("  " + l + "\n" for l in guest_stamp.splitlines()))
    print(open(os.path.join(out, "stamp")).read(), end="")


if __name__ == "__main__":
    main()
