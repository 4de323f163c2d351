#!/usr/bin/env python3
"""One table, dump x format: lockalias's full scan against crash's own
`search -p <class address>` on the same dump in the same crash session
(bench_end_to_end.in_session: timed between `!date` stamps, order
alternating), the floor under the scan (`cat` of the file for ELF dumps;
every dumped page read and decompressed by lockalias's reader alone,
build/bench_read_floor, for kdumps: plain, flattened and split),
the memory source the scan used, and crash's peak RSS with the scan.
Medians of REPS runs.

Usage: bench_formats.py VMLINUX EXPECTED_JSON EXT READ_FLOOR REPS LABEL=FILE[+FILE...] ...
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import bench_end_to_end as e2e  # noqa: E402
from crash_session import run_crash  # noqa: E402


def crash_cmds(vmlinux, files, cmds, env=None):
    r = run_crash(vmlinux, files, cmds, env=env)
    return r.output, r.max_rss_kib


def cat_seconds(files):
    t0 = time.perf_counter()
    for name in files:
        with open(name, "rb") as f:
            while f.read(1 << 22):
                pass
    return time.perf_counter() - t0


def floor(files, read_floor, reps):
    """(seconds, what, dumped pages or None) of the cheapest honest read of
    the dump's pages (all of them: the scan leaves some out, see "pages
    read")."""
    # A kdump (plain, flattened, or a split dump's files together): its
    # dumped pages decompressed alone. Anything else (ELF): cat.
    p = subprocess.run([read_floor, "+".join(files), str(reps)], capture_output=True, text=True)
    if p.returncode == 0:
        seconds, pages = p.stdout.split()
        return float(seconds), "decompress", int(pages)
    cat_seconds(files)  # warm the cache
    return statistics.median(cat_seconds(files) for _ in range(reps)), "cat", None


def measure(vmlinux, files, ext, cls, read_floor, reps):
    """One dump: {"error"} when crash cannot scan it, else the scan's
    summary line, memory source and pages, crash's peak RSS with the scan,
    the in-session (scan, search) pairs and their medians, and the floor."""
    out, rss = crash_cmds(vmlinux, files, ["extend " + ext, "lockalias"])
    summary = [l for l in out.splitlines() if l.startswith("lockalias: scanned")]
    source = [l for l in out.splitlines() if l.startswith("lockalias: memory:")]
    if not summary:
        return {"error": out.strip().splitlines()[-1] if out.strip() else "no output"}
    m = {"summary": summary[0], "rss_scan_kib": rss,
         "source": re.search(r"\(([a-z-]+)\)", source[0]).group(1) if source else "?",
         "scanned_pages": int(re.search(r"\((\d+) pages", summary[0]).group(1))}
    m["pairs"] = [e2e.in_session(vmlinux, files, ext, cls, i % 2 == 0) for i in range(reps)]
    m["scan"] = statistics.median(p[0] for p in m["pairs"])
    m["search"] = statistics.median(p[1] for p in m["pairs"])
    m["floor"], m["floor_what"], m["dumped_pages"] = floor(files, read_floor, reps)
    return m


def main():
    vmlinux, expected, ext, read_floor, reps = sys.argv[1:6]
    reps = int(reps)
    exp = json.load(open(expected))
    cls = [l for l in exp["locks"] if l["scenario"] == "seed" and l["verdict"] == "alias-wait"][0]["class"]
    rows = []
    for spec in sys.argv[6:]:
        label, paths = spec.split("=", 1)
        files = paths.split("+")
        m = measure(vmlinux, files, ext, cls, read_floor, reps)
        if "error" in m:
            rows.append((label, None, m["error"]))
            continue
        search = max(m["search"], 1e-6)
        size = sum(os.path.getsize(f) for f in files) / 2**20
        scanned, dumped = m["scanned_pages"], m["dumped_pages"]
        read = "%d/%d" % (scanned, dumped) if dumped else "%d" % scanned
        rows.append((label, (size, m["scan"], search, m["floor"], m["floor_what"], read, m["source"],
                             m["rss_scan_kib"] // 1024), m["summary"]))
    print("dump: %s, %d repetitions, medians; goal: scan <= 0.5x search, <= 1.5x floor" % (vmlinux, reps))
    print("| format | MiB | scan s | search -p s | scan/search | floor s | floor | scan/floor | pages read (/dumped) "
          "| memory source | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, r, note in rows:
        if r is None:
            print("| %s | crash cannot scan it: %s |" % (label, note))
            continue
        size, scan, search, fl, what, read, used, rss = r
        print("| %s | %.0f | %.3f | %.3f | %.2f | %.3f | %s | %.2f | %s | %s | %d |" %
              (label, size, scan, search, scan / search, fl, what, scan / max(fl, 1e-6), read, used, rss))


if __name__ == "__main__":
    main()
