#!/usr/bin/env python3
"""Boot a fixture kernel under QEMU (TCG) and dump its memory.

Serial console goes to OUTDIR/console.log; QEMU's QMP monitor listens on a
unix socket that this script drives.  Once MARKER appears on the console the
guest is stopped and dumped with dump-guest-memory, as ELF (vmcore.elf) and,
with --kdump, as kdump-zlib (vmcore.kdump, QEMU's `dump-guest-memory -z`).
Both dumps are taken from the same stopped guest, so they hold the same memory.
"""
import argparse, json, os, shutil, socket, subprocess, sys, time


class QMP:
    def __init__(self, path, timeout=600):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        greeting = self._read()
        if "QMP" not in greeting:
            raise RuntimeError("no QMP greeting: %r" % greeting)
        self.cmd("qmp_capabilities")

    def _read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("QMP socket closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._read()
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise RuntimeError("%s: %s" % (name, reply["error"]))
            # asynchronous events (STOP, DUMP_COMPLETED, ...): ignore


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--outdir", required=True)
    ap.add_argument("--variant", required=True)
    ap.add_argument("--marker", default="lockalias-gt: done")
    ap.add_argument("--settle", type=float, default=3.0,
                    help="seconds to wait after the marker before stopping")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--kdump", action="store_true",
                    help="also write vmcore.kdump (dump-guest-memory -z)")
    ap.add_argument("--memory", default="256M")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    a = ap.parse_args()

    out = os.path.abspath(a.outdir)
    os.makedirs(out, exist_ok=True)
    console = os.path.join(out, "console.log")
    sockpath = os.path.join(out, "qmp.sock")
    for f in (console, sockpath, os.path.join(out, "vmcore.elf"),
              os.path.join(out, "vmcore.kdump")):
        if os.path.exists(f):
            os.unlink(f)
    # qemu_fw_cfg.ioport= lets the guest publish VMCOREINFO to
    # `-device vmcoreinfo` without ACPI, but only with
    # CONFIG_FW_CFG_SYSFS_CMDLINE=y (otherwise it is an ignored parameter and
    # QEMU warns "guest note is not present"; see README.md).
    append = ("console=ttyS0 nokaslr log_buf_len=1M panic=-1 "
              "qemu_fw_cfg.ioport=12@0x510:0:1:4 "
              "lockalias_variant=%s" % a.variant)
    argv = [a.qemu, "-machine", "pc", "-cpu", "qemu64", "-m", a.memory,
            "-smp", "2", "-kernel", a.kernel, "-initrd", a.initrd,
            "-append", append, "-device", "vmcoreinfo",
            "-display", "none", "-no-reboot", "-net", "none",
            "-serial", "file:" + console,
            "-qmp", "unix:%s,server=on,wait=off" % sockpath]
    print("+", " ".join(argv), flush=True)
    t0 = time.time()
    qemu = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    try:
        while not os.path.exists(sockpath):
            if qemu.poll() is not None:
                sys.exit("qemu exited early: rc=%s" % qemu.returncode)
            time.sleep(0.1)
        qmp = QMP(sockpath)
        while True:
            text = ""
            if os.path.exists(console):
                with open(console, "r", errors="replace") as f:
                    text = f.read()
            if a.marker in text:
                break
            if qemu.poll() is not None:
                sys.exit("qemu exited before %r (rc=%s)" % (a.marker, qemu.returncode))
            if time.time() - t0 > a.timeout:
                sys.exit("timeout waiting for %r; see %s" % (a.marker, console))
            time.sleep(1)
        t_marker = time.time() - t0
        print("marker after %.1fs" % t_marker, flush=True)
        time.sleep(a.settle)
        qmp.cmd("stop")
        t1 = time.time()
        qmp.cmd("dump-guest-memory", paging=False,
                protocol="file:" + os.path.join(out, "vmcore.elf"))
        print("ELF dump took %.1fs" % (time.time() - t1), flush=True)
        if a.kdump:
            t1 = time.time()
            qmp.cmd("dump-guest-memory", paging=False, format="kdump-zlib",
                    protocol="file:" + os.path.join(out, "vmcore.kdump"))
            print("kdump-zlib dump took %.1fs" % (time.time() - t1), flush=True)
        try:
            qmp.cmd("quit")
        except RuntimeError:
            pass
        qemu.wait(timeout=60)
    finally:
        if qemu.poll() is None:
            qemu.kill()
            qemu.wait()
        if os.path.exists(sockpath):
            os.unlink(sockpath)
    print("captured %s in %.1fs" % (out, time.time() - t0))


if __name__ == "__main__":
    main()
