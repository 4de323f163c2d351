"""Run one command as root inside a QEMU (TCG) guest booted from the live kernel.

The guest: the lockdep-6.12 fixture kernel + CONFIG_PROC_KCORE, committed in
vmcore-fixtures/live-6.12/ (made by scripts/build-live-kernel.sh --artifacts)
and unpacked by `make -C vmcore-fixtures unpack` into
vmcore-fixtures/unpacked/live-6.12/ (this module never builds it), an initramfs from scripts/mkinitramfs-live.sh
with busybox, Debian's python3.11 + python3-drgn, the vmlinux at
/lib/modules/RELEASE/build/vmlinux (where drgn.program_from_kernel() looks)
and PKGDIR on PYTHONPATH.  /init loads the scenario module, waits for its
ground-truth lines, runs the command and powers off.

    from live_guest import run_in_live_guest, require_live_guest
    require_live_guest()                       # pytest.skip() with the reason if unusable
    run = run_in_live_guest(REPO / "python", ["lockalias-drgn", "--live", "-j"], timeout=600)
    run.exit_code, run.stdout, run.stderr      # the command's (stdout/stderr: own serial ports)
    run.console_log                            # guest console (kernel log + markers)
    run.expected_gt                            # vmcore-fixtures/scripts/parse_gt.py's dict
                                               # (expected.json schema) for this boot
    run.timings                                # seconds: boot_to_command, command, total, ...

COMMAND is a list of argv words (no shell) or a str (run with `sh -c`).
PKGDIR/bin is on the guest's PATH (python/bin/lockalias-drgn).  Addresses in
expected_gt are this boot's (nokaslr, so the same boot after boot, but not
the committed lockdep-6.12 fixture's: the live kernel is another build).

Errors: LiveGuestUnavailable (live kernel not unpacked, no qemu, no
busybox-static, no python3-drgn; require_live_guest() turns it into a test
failure that names the command which makes it),
LiveGuestError (timeout, or the guest died before the end marker; the
message has the console's tail).  A non-zero exit of the command is not an
error: it is in exit_code.

Environment: LOCKALIAS_CACHE (cache root, for the initramfs), LOCKALIAS_LIVE_DIR
(another live kernel directory, e.g. a fresh build's), LOCKALIAS_LIVE_KEEP=1 (keep the work directory, path in
LiveRun.workdir; else it is removed), QEMU (default qemu-system-x86_64),
LOCKALIAS_LIVE_MEMORY (default 1G).
"""
import contextlib
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence, Union

REPO = Path(__file__).resolve().parents[2]
MKINITRAMFS = REPO / "scripts" / "mkinitramfs-live.sh"
PARSE_GT = REPO / "vmcore-fixtures" / "scripts" / "parse_gt.py"
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
MEMORY = os.environ.get("LOCKALIAS_LIVE_MEMORY", "1G")
VARIANT = "live"  # lockalias_variant= on the kernel command line -> expected_gt["variant"]

MARK = "lockalias-live: "
END_RE = re.compile(r"^lockalias-live: command end: exit=(\d+)", re.M)
UPTIME_RE = re.compile(r"^lockalias-live: uptime ([\d.]+) s at (.+?)\s*$", re.M)


class LiveGuestUnavailable(RuntimeError):
    """The live guest cannot run here (reason in the message)."""


class LiveGuestError(RuntimeError):
    """The guest ran but did not get the command to its end marker."""

    def __init__(self, msg, console_log="", workdir=None):
        super().__init__(msg)
        self.console_log, self.workdir = console_log, workdir


@dataclass
class LiveRun:
    stdout: str
    stderr: str
    console_log: str
    exit_code: int
    expected_gt: dict
    command: list
    timings: dict = field(default_factory=dict)
    workdir: Optional[Path] = None  # only kept with keep=True / LOCKALIAS_LIVE_KEEP=1


def live_dir() -> Path:
    if os.environ.get("LOCKALIAS_LIVE_DIR"):
        return Path(os.environ["LOCKALIAS_LIVE_DIR"])
    return REPO / "vmcore-fixtures" / "unpacked" / "live-6.12"


def check_live_guest() -> Path:
    """The live kernel directory, or LiveGuestUnavailable with the reason."""
    d = live_dir()
    missing = [f for f in ("bzImage", "vmlinux", "lockalias_scenarios.ko", "stamp")
               if not (d / f).is_file()]
    if missing:
        raise LiveGuestUnavailable(
            "live kernel not unpacked (%s missing in %s): run make -C vmcore-fixtures unpack"
            % (", ".join(missing), d))
    if not shutil.which(QEMU):
        raise LiveGuestUnavailable("no %s (apt-get install qemu-system-x86)" % QEMU)
    if not Path("/bin/busybox").exists():
        raise LiveGuestUnavailable("no /bin/busybox (apt-get install busybox-static)")
    if not list(Path("/usr/lib/python3/dist-packages").glob("_drgn.cpython-311-*.so")):
        raise LiveGuestUnavailable("no python3-drgn for /usr/bin/python3.11 (apt-get install python3-drgn)")
    if not Path("/usr/bin/python3.11").exists():
        raise LiveGuestUnavailable("no /usr/bin/python3.11")
    return d


def require_live_guest() -> Path:
    """check_live_guest(), as a pytest failure: every machine can have the
    live guest (scripts/install-deps.sh installs what it needs)."""
    import pytest
    try:
        return check_live_guest()
    except LiveGuestUnavailable as e:
        pytest.fail(str(e))


_parse_gt = None


def parse_gt(console_path, variant=None) -> dict:
    """vmcore-fixtures/scripts/parse_gt.py on a console log, in this process:
    its main() with argv set and its JSON output captured."""
    global _parse_gt
    if _parse_gt is None:
        spec = importlib.util.spec_from_file_location("lockalias_parse_gt", PARSE_GT)
        _parse_gt = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_parse_gt)
    argv = [str(PARSE_GT), str(console_path)] + (["--variant", variant] if variant else [])
    buf = io.StringIO()
    saved = sys.argv
    try:
        sys.argv = argv
        with contextlib.redirect_stdout(buf):
            _parse_gt.main()
    finally:
        sys.argv = saved
    return json.loads(buf.getvalue())


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def run_in_live_guest(pkgdir, command: Union[str, Sequence[str]], timeout: float = 600, *,
                      memory: str = MEMORY, smp: int = 2, keep: Optional[bool] = None,
                      extra_append: str = "") -> LiveRun:
    """Boot the live guest with PKGDIR on its PYTHONPATH, run COMMAND as root
    once the scenario module's ground truth is printed, and return what it
    printed.  TIMEOUT (seconds) covers the whole boot; on expiry the guest is
    killed and LiveGuestError raised."""
    kdir = check_live_guest()
    argv = ["sh", "-c", command] if isinstance(command, str) else [str(a) for a in command]
    if not argv:
        raise ValueError("empty command")
    if keep is None:
        keep = bool(os.environ.get("LOCKALIAS_LIVE_KEEP"))
    work = Path(tempfile.mkdtemp(prefix="lockalias-live-"))
    try:
        return _run(kdir, Path(pkgdir), argv, timeout, memory, smp, extra_append, work, keep)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def _run(kdir, pkgdir, argv, timeout, memory, smp, extra_append, work, keep):
    t0 = time.monotonic()
    initrd = work / "initramfs.cpio.gz"
    mk = subprocess.run([str(MKINITRAMFS), str(initrd), str(pkgdir), str(kdir / "lockalias_scenarios.ko"),
                         *argv], env=dict(os.environ, VMLINUX=str(kdir / "vmlinux")),
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if mk.returncode != 0:
        raise LiveGuestError("mkinitramfs-live.sh failed (rc=%d):\n%s" % (mk.returncode, mk.stdout))
    t_initrd = time.monotonic()
    console, out, err = work / "console.log", work / "stdout", work / "stderr"
    append = ("console=ttyS0 nokaslr log_buf_len=1M panic=-1 lockalias_variant=%s %s"
              % (VARIANT, extra_append)).strip()
    qemu_argv = [QEMU, "-machine", "pc", "-accel", "tcg", "-cpu", "qemu64", "-m", memory,
                 "-smp", str(smp), "-kernel", str(kdir / "bzImage"), "-initrd", str(initrd),
                 "-append", append, "-display", "none", "-no-reboot", "-net", "none",
                 "-monitor", "none",
                 "-serial", "file:%s" % console,   # ttyS0: console
                 "-serial", "file:%s" % out,       # ttyS1: the command's stdout
                 "-serial", "file:%s" % err]       # ttyS2: its stderr
    (work / "qemu.argv").write_text("\n".join(qemu_argv) + "\n")
    qemu = subprocess.Popen(qemu_argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = t_initrd + timeout
    end_seen = None
    try:
        while qemu.poll() is None:
            now = time.monotonic()
            if end_seen is None and END_RE.search(_read(console)):
                end_seen = now
            # poweroff -f normally ends QEMU at once; give it 15 s after the marker
            if now > deadline or (end_seen is not None and now > end_seen + 15):
                break
            time.sleep(0.2)
    finally:
        if qemu.poll() is None:
            qemu.kill()
        qemu_out = qemu.communicate()[0].decode("utf-8", "replace")
    t_end = time.monotonic()
    log = _read(console)
    m = END_RE.search(log)
    if m is None:
        why = ("timeout after %.0f s" % timeout if t_end > deadline
               else "QEMU exited (rc=%s) before the end marker" % qemu.returncode)
        raise LiveGuestError("live guest: %s; command %r; workdir %s%s\nqemu: %s\nconsole tail:\n%s\nstderr tail:\n%s"
                             % (why, argv, work, "" if keep else " (removed; LOCKALIAS_LIVE_KEEP=1 keeps it)",
                                qemu_out.strip()[-2000:], log[-4000:], _read(err)[-2000:]),
                             log, work if keep else None)
    uptimes = {k: float(v) for v, k in UPTIME_RE.findall(log)}
    timings = {"initramfs": round(t_initrd - t0, 2), "guest": round(t_end - t_initrd, 2),
               "total": round(t_end - t0, 2)}
    if "command start" in uptimes:
        timings["boot_to_command"] = uptimes["command start"]  # guest uptime
        if "command end" in uptimes:
            timings["command"] = round(uptimes["command end"] - uptimes["command start"], 2)
    return LiveRun(stdout=_read(out), stderr=_read(err), console_log=log,
                   exit_code=int(m.group(1)), expected_gt=parse_gt(console),
                   command=argv, timings=timings, workdir=work if keep else None)


if __name__ == "__main__":
    # python3 tests/integration/live_guest.py [--pkgdir DIR] [--timeout S] -- CMD...
    import argparse
    ap = argparse.ArgumentParser(description="run CMD in the live guest (see the module docstring)")
    ap.add_argument("--pkgdir", default=str(REPO / "python"))
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("command", nargs="+")
    a = ap.parse_args()
    run = run_in_live_guest(a.pkgdir, a.command, a.timeout, keep=a.keep or None)
    sys.stdout.write(run.stdout)
    sys.stderr.write(run.stderr)
    gt = run.expected_gt
    print("# exit=%d timings=%s gt: release=%s gt_lines=%d gt_done=%s by_verdict=%s%s"
          % (run.exit_code, json.dumps(run.timings), gt["release"], gt["counts"]["gt_lines"],
             gt["gt_done"], json.dumps(gt["counts"]["by_verdict"]),
             " workdir=%s" % run.workdir if run.workdir else ""), file=sys.stderr)
    sys.exit(run.exit_code)
