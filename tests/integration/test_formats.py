"""lockalias on the 6.1 lockdep fixture in every dump format makedumpfile
writes: compressed kdump with zlib, lzo, snappy and zstd, plain kdump pages,
the flattened format (-F, as makedumpfile writes it to stdout) and a split
dump (--split, two files, both on crash's command line).

The copies are made by `make formats` (scripts/make-format-dumps.sh, with
Debian 13's packaged makedumpfile 1.7.6 in its root) from the committed ELF
dump, with the options of unpacked/lockdep/vmcore-d31.kdump: -d 31 -x
vmlinux and one format each; the snappy copy, which no Debian package
writes, is committed (vmcore-fixtures/README.md).  The copies are never
committed; without them every case here fails with the command that makes
them (LOCKALIAS_FORMATS_DIR: another directory).

What is checked is ground truth, not lockalias's output on another dump:
every alias the fixture kernel printed (expected.json, less its
"excluded_maps") is found with its class, names and severity; and since every
copy holds the same pages as vmcore-d31.kdump, the scan's summary counts must
be those of that dump.  Which source read the dump (`dump_source.used`) is
recorded per format and printed as a table at the end; it must be one the
scan schema knows, and zlib, plain, flattened and split kdumps must be read
in place.  A format
the chosen crash (CRASH=...) cannot open is skipped with crash's own error.
"""
import json
import os
from pathlib import Path

import pytest

from conftest import (ALIAS_SEVERITY, ENGINE, EXT, REPO, Dump, assert_alias_as_printed, first_doc, gt_locks,
                      index_maps, open_or_skip, report)

# On make formats' dump copies: run by `make formats`, which makes them.
pytestmark = pytest.mark.formats

FORMATS_DIR = Path(os.environ.get("LOCKALIAS_FORMATS_DIR",
                                  REPO / "build" / "formats" / "lockdep"))
SCAN = "lockalias -j"

# name -> (files, the first one is crash's dump argument; makedumpfile's options)
FORMATS = {
    "zlib": (["zlib.kdump"], "-c"),
    "lzo": (["lzo.kdump"], "-l"),
    "snappy": (["snappy.kdump"], "-p"),
    "zstd": (["zstd.kdump"], "-z"),
    "plain": (["plain.kdump"], "(none)"),
    "flattened": (["flat.kdump"], "-F -c"),
    "split": (["split.kdump.1", "split.kdump.2"], "--split -c"),
}
# Formats lockalias must read in place (the others may be read in place,
# through the bitmap, or through crash: any source the schema knows will do).
# A flattened file is rearranged on the fly and a split dump read from all
# its files, as crash reads them (issue 16 item 2).
IN_PLACE = {"zlib", "plain", "flattened", "split"}

SCHEMA = REPO / "schemas" / "lockalias-scan.v2.json"
VALID_SOURCES = set(json.loads(SCHEMA.read_text())["$defs"]["dump_source"]
                    ["properties"]["used"]["enum"])

_ROWS = {}   # format -> row of the table printed at the end


@pytest.fixture(scope="module", autouse=True)
def format_table():
    yield
    if not _ROWS:
        return
    lines = ["dump formats (makedumpfile -d 31 copies of lockdep/vmcore, %s):" % FORMATS_DIR,
             "%-10s %-11s %15s  %-6s %-15s %s" % ("format", "options", "bytes", "opens", "dump_source", "result")]
    for name in FORMATS:
        if name in _ROWS:
            r = _ROWS[name]
            lines.append("%-10s %-11s %15s  %-6s %-15s %s" % (
                name, FORMATS[name][1], r.get("size", "-"), r.get("opens", "-"),
                r.get("used", "-"), r.get("result", "-")))
    report("\n".join(lines))


def format_dump(name, d31):
    """A Dump for format NAME, or skip when `make formats` did not make it."""
    files = [FORMATS_DIR / f for f in FORMATS[name][0]]
    absent = [str(f) for f in files if not f.is_file()]
    if absent:
        _ROWS[name] = {"result": "FAILED: no copy"}
        pytest.fail("no %s copy: %s absent (run: make formats, or scripts/make-format-dumps.sh)"
                    % (name, ", ".join(absent)))
    _ROWS[name] = {"size": "+".join(str(f.stat().st_size) for f in files)}
    # crash takes every file of a split dump; extra_args go before vmlinux,
    # and crash tells the files apart by their contents, not their order.
    return Dump(name="formats/%s" % "+".join(f.name for f in files), variant=d31.variant,
                vmlinux=d31.vmlinux, vmcore=files[0], expected=d31.expected,
                dir=FORMATS_DIR, filtered=True, module=d31.module,
                crash_args=tuple(d31.crash_args) + tuple(str(f) for f in files[1:]))


@pytest.fixture(scope="module")
def d31_summary(dump_lockdep_d31):
    """The scan's summary on vmcore-d31.kdump, which holds the same pages."""
    doc = first_doc(open_or_skip(dump_lockdep_d31, ["extend %s" % EXT, SCAN])[SCAN])
    assert doc["error"] is None, doc["error"]
    return doc["summary"]


def counts(summary):
    return {k: v for k, v in summary.items() if k not in ("seconds",)}


@pytest.mark.parametrize("name", list(FORMATS))
def test_format_is_read_and_every_ground_truth_alias_found(name, dump_lockdep_d31, request):
    dump = format_dump(name, dump_lockdep_d31)
    row = _ROWS[name]
    row["result"] = "FAILED"
    if ENGINE == "drgn" and len(FORMATS[name][0]) > 1:
        # drgn's set_core_dump() takes one file: it reads one part of a split dump.
        row.update(opens="no", result="skipped: drgn opens one file of a split dump")
        pytest.skip("drgn opens one file of a split dump, not the set")
    try:
        out = open_or_skip(dump, ["extend %s" % EXT, SCAN])
    except pytest.skip.Exception as e:
        row.update(opens="no", result="skipped: %s" % e)
        raise
    try:
        d31_summary = request.getfixturevalue("d31_summary")
    except pytest.skip.Exception as e:
        row["result"] = "skipped: %s" % e
        raise
    row["opens"] = "yes"
    doc = first_doc(out[SCAN])
    assert doc["schema"] == "lockalias-scan" and doc["error"] is None, doc["error"]

    src = doc["dump_source"]
    row["used"] = src["used"]
    assert src["used"] in VALID_SOURCES, src
    assert src["used"] != "elf-in-place", src         # none of these is an ELF dump
    for r in src["refused"]:
        assert set(r) == {"source", "reason", "detail"} and r["source"] in VALID_SOURCES, r
        assert r["source"] != src["used"], src
    if name in IN_PLACE:
        assert src["used"] == "kdump-in-place", src
    if src["used"] == "target-reads":   # then the scan says why each shortcut was not taken
        assert {r["source"] for r in src["refused"]} >= {"kdump-in-place", "kdump-bitmap"}, src

    # Ground truth: every alias the fixture kernel printed, as it printed it.
    seen = index_maps(doc)
    excluded = set(dump.expected.get("excluded_maps") or [])
    aliases = gt_locks(dump, ALIAS_SEVERITY)
    assert len(aliases) >= 5, "fixture lost its aliases?"
    for gt in aliases:
        if gt["map"] in excluded:
            continue
        assert_alias_as_printed(seen, gt, "%s: " % name)

    # The same pages as vmcore-d31.kdump: the same counts, pages unreadable
    # included (a split dump read from one of its files would miss pages).
    assert doc["summary"]["pages_unreadable"] > 0
    assert counts(doc["summary"]) == counts(d31_summary)
    row["result"] = "passed"
