#!/usr/bin/python3
"""Start-up plus scan per dump, crash against drgn (issue 17): what
lockalias-check's --engine auto weighs. For each dump, wall time of
  crash -s VMLINUX VMCORE -i {extend lockalias.so; lockalias -j; quit}
  python3 -m lockalias.check_run VMLINUX VMCORE   (drgn: open + lockalias -j)
medians of REPS runs, alternating which goes first; the ratio drgn/crash;
and whether both found the same aliases (summary counts). A dump an engine
cannot read is shown as such, not timed.

Usage: bench_engines.py EXT DRGN_PATH|- REPS NAME=VMLINUX:VMCORE ...
"""
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from crash_session import run_crash  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def crash_run(ext, vmlinux, vmcore):
    r = run_crash(vmlinux, vmcore, ["extend %s" % ext, "lockalias -j"])
    return r.seconds, r.output


def drgn_run(drgn_path, vmlinux, vmcore):
    env = dict(os.environ, PYTHONPATH=":".join(x for x in (drgn_path, os.path.join(REPO, "python")) if x))
    t = time.monotonic()
    p = subprocess.run(["/usr/bin/python3", "-m", "lockalias.check_run", vmlinux, vmcore], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", env=env)
    return time.monotonic() - t, p.stdout


def summary(out):
    for line in out.splitlines():
        if line.startswith('{"schema"'):
            doc = json.loads(line)
            if doc.get("error") is None:
                return doc["summary"]["aliases"]
            return None
    return None


def main():
    ext, drgn_path, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    drgn_path = "" if drgn_path == "-" else drgn_path
    print("engines, start-up + full scan (lockalias -j), medians of %d, drgn %s" % (reps, drgn_path or "Debian 12's"))
    print("%-22s %9s %9s %7s  %s" % ("dump", "crash s", "drgn s", "ratio", "same aliases"))
    for spec in sys.argv[4:]:
        name, files = spec.split("=", 1)
        vmlinux, vmcore = files.split(":")
        times = {"crash": [], "drgn": []}
        found = {}
        for i in range(reps):
            order = ("crash", "drgn") if i % 2 == 0 else ("drgn", "crash")
            for engine in order:
                sec, out = crash_run(ext, vmlinux, vmcore) if engine == "crash" else drgn_run(drgn_path, vmlinux, vmcore)
                found[engine] = summary(out)
                if found[engine] is not None:
                    times[engine].append(sec)
        cells = []
        for engine in ("crash", "drgn"):
            cells.append("%9.2f" % statistics.median(times[engine]) if times[engine] else "%9s" % "cannot")
        ratio = ("%7.2f" % (statistics.median(times["drgn"]) / statistics.median(times["crash"]))
                 if times["crash"] and times["drgn"] else "%7s" % "-")
        same = ("yes" if found["crash"] == found["drgn"] else "NO: %s / %s" % (found["crash"], found["drgn"])) \
            if found["crash"] is not None and found["drgn"] is not None else "-"
        print("%-22s %s %s %s  %s" % (name, cells[0], cells[1], ratio, same), flush=True)


if __name__ == "__main__":
    main()
