"""One crash session, for the tests and the benchmarks alike:
`crash -s [ARGS] VMLINUX DUMP... -i FILE` with the commands in FILE (and a
final quit), stdin closed, stdout and stderr together. Returns the output,
the wall time and crash's peak RSS. Also the `!date` stamps the benchmarks
time commands between, inside one session, so crash's start-up is in no
number."""
import os
import re
import subprocess
import tempfile
import threading
import time
from typing import List, NamedTuple, Optional, Sequence

CRASH = os.environ.get("CRASH", "crash")
# A shell stamp between commands: crash runs `!CMD` in a shell.
STAMP = "!date +%s.%N"
_STAMP_RE = re.compile(r"^\d{10}\.\d+$")


class CrashRun(NamedTuple):
    output: str
    seconds: float        # wall time of the whole process
    max_rss_kib: int      # peak RSS (getrusage of the crash process)
    returncode: int


def run_crash(vmlinux, dumps, commands: Sequence[str], extra_args: Sequence[str] = (),
              crash: Optional[str] = None, env=None, timeout: Optional[float] = None) -> CrashRun:
    """Run one batch session. DUMPS is one file or a list (a split dump).
    A TIMEOUT kills crash and raises subprocess.TimeoutExpired."""
    files = [str(dumps)] if isinstance(dumps, (str, os.PathLike)) else [str(d) for d in dumps]
    with tempfile.NamedTemporaryFile("w", prefix="crash-", suffix=".cmds", delete=False) as f:
        for c in commands:
            f.write(c.rstrip("\n") + "\n")
        f.write("quit\n")
        path = f.name
    argv = [crash or CRASH, "-s", *extra_args, str(vmlinux), *files, "-i", path]
    killed = []
    try:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, env=env)
        timer = None
        if timeout:
            def kill():
                killed.append(True)
                p.kill()
            timer = threading.Timer(timeout, kill)
            timer.start()
        out = p.stdout.read().decode(errors="replace")
        p.stdout.close()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - t0
        if timer:
            timer.cancel()
    finally:
        os.unlink(path)
    if killed:
        raise subprocess.TimeoutExpired(argv, timeout, output=out)
    return CrashRun(out, seconds, usage.ru_maxrss, p.returncode)


def stamps(output: str) -> List[float]:
    """The times STAMP printed, in order."""
    return [float(l) for l in output.splitlines() if _STAMP_RE.match(l.strip())]


def timed_between_stamps(vmlinux, dumps, setup: Sequence[str], parts: Sequence[Sequence[str]],
                         env=None) -> List[float]:
    """Seconds of each of PARTS (lists of commands), run one after another
    in one session after SETUP, each between two stamps (a stamp's own fork
    and exec, about 2 ms, is inside each)."""
    cmds = list(setup) + [STAMP]
    for part in parts:
        cmds += list(part) + [STAMP]
    out = run_crash(vmlinux, dumps, cmds, env=env).output
    t = stamps(out)
    if len(t) != len(parts) + 1:
        raise RuntimeError("expected %d stamps, crash printed %d:\n%s" % (len(parts) + 1, len(t), out[-2000:]))
    return [b - a for a, b in zip(t, t[1:])]
