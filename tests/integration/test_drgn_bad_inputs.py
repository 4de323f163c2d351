"""Bad input through the drgn front end (lockalias-drgn): damaged copies of
the lockdep fixture (made here, never committed), a vmlinux of another
kernel, files that are no dump. Each gets one clear line or a partial
answer that says what it could not read; never a traceback, never a
verdict built on the wrong kernel's layouts."""
import os

import pytest

import dump_surgery as surgery
from conftest import MiB, crash_sections, first_doc, run_lockalias_drgn
from test_bad_inputs import aliases, damaged, phys, seed  # noqa: F401 - fixtures

def drgn(*args):
    rc, out, err = run_lockalias_drgn(*args)
    assert "Traceback" not in err, err
    return rc, out, err


def one_line_refusal(rc, out, err, *words):
    assert rc == 2 and out == "", (rc, out[-500:], err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lockalias-drgn: "), err
    for w in words:
        assert w in lines[0], (w, lines[0])


def test_vmlinux_of_another_kernel_is_refused_by_build_id(dump_lockdep, dump_nolockdep, unpacked):
    # Same release (6.1.192), another build: every layout could differ.
    rc, out, err = drgn(dump_nolockdep.vmlinux, dump_lockdep.vmcore, "-j")
    one_line_refusal(rc, out, err, "is not the dump's kernel", "build ID")
    other = unpacked / "lockdep-6.12" / "vmlinux"
    if other.exists():
        rc, out, err = drgn(other, dump_lockdep.vmcore)
        one_line_refusal(rc, out, err, "is not the dump's kernel")


def test_files_that_are_no_dump_are_refused_in_one_line(tmp_path, dump_lockdep):
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    noise = tmp_path / "noise"
    noise.write_bytes(os.urandom(1 << 16))
    for f in (empty, noise, tmp_path / "missing"):
        rc, out, err = drgn(dump_lockdep.vmlinux, f)
        one_line_refusal(rc, out, err, str(f))


def test_truncated_dump_counts_missing_pages_and_still_finds_low_aliases(damaged, dump_lockdep, seed):  # noqa: F811
    surgery.truncate(damaged, 252 * MiB)
    rc, out, err = drgn(dump_lockdep.vmlinux, damaged, "-j")
    assert rc == 0, err
    doc = first_doc(out)
    assert doc["error"] is None
    assert doc["summary"]["pages_unreadable"] > 0 and doc["unreadable_ranges"]
    assert any("could not be read" in p for p in doc["problems"])
    assert int(seed["map"], 16) in aliases(doc)


def test_dump_truncated_below_the_percpu_areas_is_a_partial_answer_or_a_refusal(damaged, dump_lockdep,  # noqa: F811
                                                                               phys):  # noqa: F811
    """crash refuses to start on it; drgn may open it: then the answer must
    say it is partial, or why there is none."""
    surgery.truncate(damaged, phys["class"] - 4 * MiB)
    rc, out, err = drgn(dump_lockdep.vmlinux, damaged, "-j")
    if rc == 2:
        one_line_refusal(rc, out, err)
        return
    doc = first_doc(out)
    assert doc["error"] or doc["summary"]["pages_unreadable"] > 0, doc.get("summary")


@pytest.fixture(scope="module")
def high_memory_phys(dump_lockdep):
    """Where high_memory is (crash's vtop): the direct map's base is read from it."""
    kv = int(crash_sections(dump_lockdep.vmlinux, dump_lockdep.vmcore, ["p/x &high_memory"])
             ["p/x &high_memory"].split("=")[1], 16)
    return surgery.vtop_output_to_phys(crash_sections(dump_lockdep.vmlinux, dump_lockdep.vmcore,
                                                      ["vtop %x" % kv])["vtop %x" % kv])


def test_dump_truncated_before_high_memory_is_refused_in_one_line(damaged, dump_lockdep,  # noqa: F811
                                                                 high_memory_phys):
    """The lock classes are in the dump, the direct map's base is not: no
    address could be named, so one line says what could not be read (drgn
    0.0.22 raised a bare Exception from the kernel image's reads here)."""
    surgery.truncate(damaged, surgery.file_offset(surgery.load_segments(damaged), high_memory_phys) & ~0xfff)
    rc, out, err = drgn(dump_lockdep.vmlinux, damaged, "-j")
    one_line_refusal(rc, out, err, str(damaged), "cannot read", "high_memory")


def test_zeroed_lock_class_page_is_reported_not_hidden(damaged, dump_lockdep, seed, phys):  # noqa: F811
    surgery.patch_phys(damaged, phys["class"] & ~0xfff, bytes(4096))
    rc, out, err = drgn(dump_lockdep.vmlinux, damaged, "-j")
    assert rc == 0, err
    doc = first_doc(out)
    # The zeroed record is corrupt, and the seed lock is no wait alias on its say-so.
    m = aliases(doc)[int(seed["map"], 16)]
    assert m["severity"] == "corrupt" and "null-key" in m["consequence"], m
    assert any("fail their checks" in p and "null-key" in p for p in doc["problems"]), doc["problems"]
    assert doc["summary"]["classes_corrupt"] > 0
