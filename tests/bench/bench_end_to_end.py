#!/usr/bin/env python3
"""End-to-end benchmark on the largest lockdep fixture, all in one run:
lockalias's full scan against crash's own `search -p <class address>` (the
alternative an engineer has today, for one class), both timed inside one
crash session between `!date` stamps (crash's start-up is in neither; the
order alternates between repetitions), plus the I/O floor (reading the dump once, warm
cache) and peak RSS with and without the scan. Prints a table of medians
and ratios. Usage: bench_end_to_end.py VMLINUX VMCORE EXPECTED_JSON EXT [REPS]"""
import json
import os
import statistics
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from crash_session import run_crash, timed_between_stamps  # noqa: E402


def crash_run(vmlinux, vmcore, cmds, env=None):
    """Wall time and output of one crash run with these commands."""
    r = run_crash(vmlinux, vmcore, cmds, env=env)
    return r.seconds, r.output


def in_session(vmlinux, vmcore, ext, cls, scan_first, env=None):
    """(scan, search) seconds from one crash session, each between shell
    stamps, so crash's start-up is not in either number."""
    scan, search = ["lockalias"], ["search -p %s" % cls[2:]]
    parts = [scan, search] if scan_first else [search, scan]
    a, b = timed_between_stamps(vmlinux, vmcore, ["extend " + ext], parts, env=env)
    return (a, b) if scan_first else (b, a)


def peak_rss_kib(vmlinux, vmcore, cmds):
    return run_crash(vmlinux, vmcore, cmds).max_rss_kib


def median_time(fn, reps):
    return statistics.median(fn() for _ in range(reps))


def main():
    vmlinux, vmcore, expected, ext = sys.argv[1:5]
    reps = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    exp = json.load(open(expected))
    seed = [l for l in exp["locks"] if l["scenario"] == "seed" and l["verdict"] == "alias-wait"][0]
    cls = seed["class"]  # the &dev->mutex class, from the kernel's own ground truth

    startup = median_time(lambda: crash_run(vmlinux, vmcore, [])[0], reps)
    scan_out = crash_run(vmlinux, vmcore, ["extend " + ext, "lockalias"])[1]
    assert "lockalias: scanned" in scan_out, scan_out[-2000:]
    pairs = [in_session(vmlinux, vmcore, ext, cls, scan_first=(i % 2 == 0)) for i in range(reps)]
    scan_net = statistics.median(p[0] for p in pairs)
    search_net = max(statistics.median(p[1] for p in pairs), 1e-6)
    # The same scan with every page read through crash: what the shortcuts
    # (ELF mapping; kdump bitmap and inflater) buy.
    read_all_env = dict(os.environ, LOCKALIAS_READ_ALL="1")
    read_all = statistics.median(
        in_session(vmlinux, vmcore, ext, cls, scan_first=(i % 2 == 0), env=read_all_env)[0] for i in range(reps))

    def cat():
        t0 = time.perf_counter()
        with open(vmcore, "rb") as f:
            while f.read(1 << 22):
                pass
        return time.perf_counter() - t0
    cat()  # warm the cache
    io_floor = median_time(cat, reps)

    size = os.path.getsize(vmcore)
    summary = [l for l in scan_out.splitlines() if l.startswith("lockalias: scanned")][0]
    rss_plain = peak_rss_kib(vmlinux, vmcore, [])
    rss_scan = peak_rss_kib(vmlinux, vmcore, ["extend " + ext, "lockalias"])

    print("dump: %s (%.0f MiB), %d repetitions, medians" % (vmcore, size / 2**20, reps))
    print(summary)
    print("%-46s %9s" % ("measurement", "seconds"))
    print("%-46s %9.3f" % ("crash start-up (run that only exits)", startup))
    print("%-46s %9.3f" % ("lockalias full scan (in-session)", scan_net))
    print("%-46s %9.3f" % ("lockalias, every page through crash", read_all))
    print("%-46s %9.3f" % ("search -p <&dev->mutex class> (in-session)", search_net))
    print("%-46s %9.3f" % ("read the dump once, warm cache (I/O floor)", io_floor))
    print("ratio scan/search: %.2f   (goal <= 0.5)" % (scan_net / search_net))
    print("ratio scan/io-floor: %.2f" % (scan_net / io_floor))
    print("ratio scan/scan-through-crash: %.2f" % (scan_net / read_all))
    pages = re.search(r"\((\d+) pages", summary)
    print("scan throughput: %.0f MiB/s of dump file, %.0f pages/s of memory read" %
          (size / 2**20 / scan_net, int(pages.group(1)) / scan_net if pages else 0))
    print("peak RSS of crash: %d MiB without the scan, %d MiB with it" % (rss_plain // 1024, rss_scan // 1024))


if __name__ == "__main__":
    main()
