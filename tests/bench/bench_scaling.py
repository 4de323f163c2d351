#!/usr/bin/env python3
"""Scaling study (scripts/bench-scaling.sh, `make bench-scaling`): lockalias's
full scan, crash's `search -p <class>` and the read floor, and crash's peak
RSS without and with the scan, on guests of growing memory, each as QEMU's
ELF dump and as makedumpfile -d 31 kdumps (zlib, lzo, zstd). The timing and
the floor are bench_formats.py's (measure()), the RSS
without the scan bench_end_to_end.py's (peak_rss_kib); this file adds the
dumped-page count, the load, the check against the guest's expected.json,
and one table over all sizes with a linear fit per format.

Usage:
  bench_scaling.py pages DUMP                  dumped pages (ELF: PT_LOAD file pages;
                                               kdump: pages set in the 2nd bitmap)
  bench_scaling.py complete ELF                exit 0 if the ELF holds all its segments
  bench_scaling.py run VMLINUX EXT READ_FLOOR REPS MEM EXPECTED_JSON RESULTS_JSONL LABEL=FILE ...
                                               measure each dump, append one JSON line each
  bench_scaling.py table RESULTS_JSONL ...     the table and the fits (of each size and format
                                               the last row, the files read in the order given)
"""
import json
import os
import re
import resource
import statistics
import struct
import sys
import time

sys.dont_write_bytecode = True  # (no __pycache__ beside the other benches)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_end_to_end as e2e  # noqa: E402
import bench_formats as fmt  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from lockalias.dump_identity import KDUMP_SIGNATURE, elf_program_headers  # noqa: E402

PAGE = 4096
PT_LOAD = 1


def elf_loads(path):
    """An ELF dump's program headers (dump_identity's reader), None for another file."""
    return elf_program_headers(path) or None


def kdump_pages(path):
    """(pages, zero pages) of a makedumpfile kdump: the pages with a
    descriptor (the bits set in its second bitmap), and how many of those
    share its one all-zero page (makedumpfile -d 31 writes a zero page as a
    descriptor of that page; it excludes only what its bitmaps leave out)."""
    with open(path, "rb") as f:
        head = f.read(PAGE)
        if head[:8] not in (KDUMP_SIGNATURE, b"DISKDUMP"):
            raise SystemExit("%s: not a kdump-compressed dump" % path)
        block_size, sub_hdr_size, bitmap_blocks = struct.unpack_from("<iiI", head, 428)
        f.seek(block_size * (1 + sub_hdr_size) + bitmap_blocks * block_size // 2)
        left, n = bitmap_blocks * block_size // 2, 0
        while left:
            chunk = f.read(min(left, 1 << 24))
            if not chunk:
                raise SystemExit("%s: truncated bitmap" % path)
            n += int.from_bytes(chunk, "little").bit_count()
            left -= len(chunk)
        # the page descriptors (offset, size, flags, page_flags), in pfn order
        f.seek(block_size * (1 + sub_hdr_size + bitmap_blocks))
        offsets = {}
        for _ in range(0, n, 1 << 16):
            buf = f.read(24 * min(1 << 16, n - _))
            for off, size, flags, _pf in struct.iter_unpack("<qIIQ", buf):
                if size == PAGE and flags == 0:  # stored uncompressed: a candidate zero page
                    offsets[off] = offsets.get(off, 0) + 1
        zero = 0
        for off, count in offsets.items():
            if count > 1:
                f.seek(off)
                if f.read(PAGE) == bytes(PAGE):
                    zero += count
    return n, zero


def dumped_pages(path):
    """(pages, zero pages or None): ELF: the PT_LOAD file pages (zeros not counted)."""
    loads = elf_loads(path)
    if loads is None:
        return kdump_pages(path)
    return sum(p.filesz for p in loads if p.type == PT_LOAD) // PAGE, None


def elf_complete(path):
    loads = elf_loads(path)
    end = max((p.offset + p.filesz for p in loads), default=0) if loads else 0
    return bool(loads) and os.path.getsize(path) >= end


def cpu_seconds():
    """(CPU seconds of the whole machine not idle, of this process and its
    finished children): the difference is what other work took meanwhile."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    busy = (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")
    mine = sum(getattr(resource.getrusage(w), a) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for a in ("ru_utime", "ru_stime"))
    return busy, mine


def wait_quiet(limit):
    """Up to LIMIT seconds for the other work on the machine to stop (under
    5% of one CPU over 5 s): the seconds waited, and whether it stopped."""
    t0 = time.perf_counter()
    while True:
        busy0, _ = cpu_seconds()
        time.sleep(5)
        busy1, _ = cpu_seconds()
        if busy1 - busy0 < 0.25:
            return time.perf_counter() - t0, True
        if time.perf_counter() - t0 >= limit:
            return time.perf_counter() - t0, False


def check_summary(summary, exp):
    """The scan's counts against the guest's ground truth ('ok' or what differs)."""
    m = re.search(r"aliases: (\d+) wait, (\d+) name.*latent: (\d+)", summary)
    maps = re.search(r"(\d+) lockdep maps", summary)
    if not m or not maps:
        return "no counts in: " + summary
    by = exp["counts"]["by_verdict"]
    lat = exp["counts"].get("by_latent", {})
    want = (by.get("alias-wait", 0), by.get("alias-name", 0), lat.get("alias-wait", 0) + lat.get("alias-name", 0))
    got = tuple(int(x) for x in m.groups())
    diffs = ["%s %d (expected %d)" % (w, g, e) for w, g, e in zip(("wait", "name", "latent"), got, want) if g != e]
    if int(maps.group(1)) < 1 << 20:
        diffs.append("only %s lockdep maps (the filler made 1048576)" % maps.group(1))
    return "; ".join(diffs) or "ok"


def run(argv):
    vmlinux, ext, read_floor, reps, mem, expected, results = argv[:7]
    reps = int(reps)
    exp = json.load(open(expected))
    cls = [l for l in exp["locks"] if l["scenario"] == "seed" and l["verdict"] == "alias-wait"][0]["class"]
    quiet = float(os.environ.get("SCALING_WAIT_QUIET", "0"))
    for spec in argv[7:]:
        label, path = spec.split("=", 1)
        waited = wait_quiet(quiet) if quiet > 0 else None
        load_before = os.getloadavg()
        row = {"mem": mem, "format": label, "file": path, "mib": os.path.getsize(path) / 2**20,
               "started": time.strftime("%Y-%m-%d %H:%M:%S"),
               "reps": reps, "load_before": load_before, "waited_quiet": waited}
        row["pages"], row["zero_pages"] = dumped_pages(path)
        t0, (busy0, mine0) = time.perf_counter(), cpu_seconds()
        m = fmt.measure(vmlinux, [path], ext, cls, read_floor, reps)
        if "error" in m:
            row["error"] = m["error"]
        else:
            row["summary"] = m["summary"]
            row["check"] = check_summary(m["summary"], exp)
            row["scanned_pages"] = m["scanned_pages"]
            row["source"] = m["source"]
            row["rss_scan_kib"] = m["rss_scan_kib"]
            row["rss_plain_kib"] = e2e.peak_rss_kib(vmlinux, path, [])
            for k in ("pairs", "scan", "search", "floor", "floor_what"):
                row[k] = m[k]
        row["bench_seconds"] = time.perf_counter() - t0
        busy1, mine1 = cpu_seconds()
        row["others_cpu"] = max(0.0, (busy1 - busy0) - (mine1 - mine0))
        row["load_after"] = os.getloadavg()
        with open(results, "a") as f:
            f.write(json.dumps(row) + "\n")
        print("bench-scaling: %s %s: %s" % (mem, label, row.get("summary", row.get("error"))), flush=True)


def fit(xs, ys):
    """Least squares y = a + b x: (a, b, r^2)."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    a = my - b * mx
    ss = sum((y - my) ** 2 for y in ys)
    res = sum((y - a - b * x) ** 2 for x, y in zip(xs, ys))
    return a, b, 1 - res / ss if ss else 1.0


def mem_mib(mem):
    n = float(mem[:-1])
    return n * {"M": 1, "G": 1024}[mem[-1].upper()]


def others(r):
    if "others_cpu" not in r:
        return "-"
    text = "%.0f / %.0f" % (r["others_cpu"], r["bench_seconds"])
    if r.get("waited_quiet"):
        text += " (after %.0f s %s)" % (r["waited_quiet"][0], "of quiet wait" if r["waited_quiet"][1] else
                                          "waiting in vain for quiet")
    return text


def zero(r):
    return "-" if r.get("zero_pages") is None else str(r["zero_pages"])


def table(results):
    rows = [json.loads(l) for path in results for l in open(path) if l.strip()]
    last = {}
    for r in rows:  # the last measurement of each (size, format)
        last[(r["mem"], r["format"])] = r
    for r in last.values():  # (rows measured before the zero count was recorded)
        if "zero_pages" not in r and os.path.exists(r["file"]):
            r["zero_pages"] = dumped_pages(r["file"])[1]
    order = {"elf": 0, "zlib": 1, "lzo": 2, "zstd": 3}
    rows = sorted(last.values(), key=lambda r: (mem_mib(r["mem"]), order.get(r["format"], 9), r["format"]))
    print("| mem | format | file MiB | dumped pages | of which zero | scan s | search -p s | scan/search | floor s | floor "
          "| scan/floor | scan µs/page | peak RSS MiB, crash alone / with scan | memory source "
          "| load 1-min before/after | others' CPU s / wall s | check |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print("| %s | %s | %.0f | %d | %s | crash cannot scan it: %s |" % (
                r["mem"], r["format"], r["mib"], r["pages"], zero(r), r["error"]))
            continue
        print("| %s | %s | %.0f | %d | %s | %.3f | %.3f | %.2f | %.3f | %s | %.2f | %.3f | %d / %d | %s | %.2f / %.2f | %s | %s |" % (
            r["mem"], r["format"], r["mib"], r["pages"], zero(r), r["scan"], r["search"], r["scan"] / max(r["search"], 1e-6),
            r["floor"], r["floor_what"], r["scan"] / max(r["floor"], 1e-6), r["scan"] / r["pages"] * 1e6,
            r["rss_plain_kib"] // 1024, r["rss_scan_kib"] // 1024, r["source"],
            r["load_before"][0], r["load_after"][0],
            others(r), r["check"]))
    print()
    print("Per format, least squares over the sizes: t = a + b * pages (b in µs/page) against the dumped "
          "pages, and for the kdumps also against their non-zero pages (dumped minus those sharing the zero "
          "page); peak RSS range over the sizes.")
    print("| format | sizes | scan b µs/dumped page | scan a s | R² | scan b µs/non-zero page | a s | R² "
          "| search -p b µs/dumped page | R² | RSS alone MiB | RSS with scan MiB | scan's extra RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for f in sorted({r["format"] for r in rows}, key=lambda f: order.get(f, 9)):
        rs = [r for r in rows if r["format"] == f and "error" not in r]
        if len(rs) < 2:
            continue
        xs = [r["pages"] for r in rs]
        ys = [r["scan"] for r in rs]
        a, b, r2 = fit(xs, ys)
        if all(r.get("zero_pages") is not None for r in rs):
            za, zb, zr2 = fit([r["pages"] - r["zero_pages"] for r in rs], ys)
            nonzero = "%.3f | %.3f | %.4f" % (zb * 1e6, za, zr2)
        else:
            nonzero = "- | - | -"
        _, sb, sr2 = fit(xs, [r["search"] for r in rs])
        plain = [r["rss_plain_kib"] // 1024 for r in rs]
        scan = [r["rss_scan_kib"] // 1024 for r in rs]
        extra = [s - p for s, p in zip(scan, plain)]
        print("| %s | %s | %.3f | %.3f | %.4f | %s | %.3f | %.4f | %d-%d | %d-%d | %d-%d |" % (
            f, " ".join(r["mem"] for r in rs), b * 1e6, a, r2, nonzero, sb * 1e6, sr2,
            min(plain), max(plain), min(scan), max(scan), min(extra), max(extra)))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "pages":
        print("%d pages, zero pages: %s" % dumped_pages(args[0]))
    elif cmd == "complete":
        sys.exit(0 if elf_complete(args[0]) else 1)
    elif cmd == "run":
        run(args)
    elif cmd == "table":
        table(args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
