"""lockalias on QEMU's own dumps (scripts/make-qemu-dumps.sh, make formats):
the live 6.12 kernel under TCG, stopped once its scenario module printed its
ground truth, and dumped by QEMU twice from that stop: as ELF, and as
kdump-zlib (`dump-guest-memory -z`, what `virsh dump --memory-only
--format=kdump-zlib` writes: makedumpfile's flattened form, every page
dumped, written by QEMU rather than makedumpfile).

Checked on the kdump: crash opens it; lockalias reads it in place; every
alias the kernel printed on that boot (parse_gt.py of its console) is found
as printed; and the answer is the same through crash's own page reads
(LOCKALIAS_READ_ALL=1) and on the ELF dump of the same stop.

Skips, saying why, when the dumps could not be made (no live kernel: make
live-kernel) or when the chosen crash (CRASH=...) cannot open a 6.12 dump;
make formats runs this file with crash 9.0.2.
"""
import json
import os
from pathlib import Path

import pytest

from conftest import (ALIAS_SEVERITY, EXT, REPO, Dump, assert_alias_as_printed, assert_freed_as_printed, first_doc,
                      gt_locks, index_maps, open_or_skip)

# On make formats' dump copies: run by `make formats`, which makes them.
pytestmark = pytest.mark.formats

QEMU_DIR = Path(os.environ.get("LOCKALIAS_QEMU_DUMPS", REPO / "build" / "formats" / "qemu-6.12"))
SCAN = "lockalias -j"


def qemu_dump(name):
    path = QEMU_DIR / name
    if not path.is_file() or not (QEMU_DIR / "expected.json").is_file():
        why = QEMU_DIR / "unavailable.txt"
        pytest.fail("no QEMU %s in %s (%s)" % (name, QEMU_DIR, why.read_text().strip() if why.is_file()
                                               else "run: scripts/make-qemu-dumps.sh, or make formats"))
    return Dump(name="qemu-6.12/" + name, variant="live", vmlinux=QEMU_DIR / "vmlinux", vmcore=path,
                expected=json.loads((QEMU_DIR / "expected.json").read_text()), dir=QEMU_DIR)


def scan(dump):
    doc = first_doc(open_or_skip(dump, ["extend %s" % EXT, SCAN])[SCAN])
    assert doc["schema"] == "lockalias-scan" and doc["error"] is None, doc["error"]
    return doc


def answer(doc):
    """The scan's findings, without how the memory was read and how long it took."""
    doc = dict(doc, summary={k: v for k, v in doc["summary"].items() if k != "seconds"})
    doc.pop("dump_source")
    return json.dumps(doc, sort_keys=True)


@pytest.fixture(scope="module")
def kdump():
    return qemu_dump("vmcore.kdump")


@pytest.fixture(scope="module")
def kdump_doc(kdump):
    return scan(kdump)


def test_maps_the_kernel_freed_are_not_locks(kdump, kdump_doc):
    """The live kernel has no slab debugging: freed objects keep their maps."""
    assert assert_freed_as_printed(kdump_doc, kdump.expected, "QEMU kdump: ") == 2, \
        "the live kernel's module predates the freed scenario (scripts/build-live-kernel.sh --artifacts)"


def test_explain_of_a_map_the_kernel_freed_says_so(kdump):
    """`lockalias ADDR` on the map the module freed (its address as the
    kernel printed it) names it freed memory, as the scan sets it aside."""
    (gt,) = [f for f in kdump.expected.get("freed", []) if f["scenario"] == "freed-ctor"]
    cmd = "lockalias -j %s" % gt["map"]
    doc = first_doc(open_or_skip(kdump, ["extend %s" % EXT, cmd])[cmd])
    assert doc["kind"] in ("map", "uncached-map") and doc["freed"] == "slab-freelist", doc


def test_qemu_kdump_is_read_in_place(kdump_doc):
    src = kdump_doc["dump_source"]
    assert src["used"] == "kdump-in-place", src
    # QEMU dumps every page: nothing is missing. The only source not
    # taken is the one for another format (ELF).
    assert kdump_doc["summary"]["pages_unreadable"] == 0, kdump_doc["summary"]
    assert [r["reason"] for r in src["refused"]] == ["other-format"], src


def test_every_alias_the_kernel_printed_is_found(kdump, kdump_doc):
    assert kdump.expected.get("gt_done"), "the scenario module did not print its ground truth"
    aliases = gt_locks(kdump, ALIAS_SEVERITY)
    assert len(aliases) >= 5, "the live kernel's scenarios lost their aliases?"
    seen = index_maps(kdump_doc)
    for gt in aliases:
        assert_alias_as_printed(seen, gt, "QEMU kdump: ")


def test_same_answer_through_crash_own_reads(kdump, kdump_doc, monkeypatch):
    monkeypatch.setenv("LOCKALIAS_READ_ALL", "1")
    through_crash = scan(kdump)
    assert through_crash["dump_source"]["used"] == "target-reads", through_crash["dump_source"]
    assert answer(through_crash) == answer(kdump_doc)


def test_same_answer_as_the_elf_dump_of_the_same_stop(kdump_doc):
    elf = scan(qemu_dump("vmcore.elf"))
    assert elf["dump_source"]["used"] == "elf-in-place", elf["dump_source"]
    assert answer(elf) == answer(kdump_doc)
