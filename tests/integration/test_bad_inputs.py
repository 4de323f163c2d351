"""Bad input: damaged copies of the lockdep fixture (made here, never
committed), each checked for crash surviving, a clear message, and a
partial answer that says what it could not read. Addresses to damage come
from expected.json (what the kernel printed) and crash's own `vtop`."""
import os

import pytest

import dump_surgery as surgery
from conftest import EXT, MiB, crash_batch, crash_sections, first_doc, json_lines, run_check

# The last lock_classes[] entry (never used on these small kernels), sized by gdb.
LAST_SLOT = "p/x &lock_classes[sizeof(lock_classes)/sizeof(lock_classes[0]) - 1]"


def run(vmlinux, vmcore, *cmds):
    cmds = ["extend %s" % EXT, *cmds, "p jiffies"]
    out = crash_sections(vmlinux, vmcore, cmds)
    assert "jiffies = " in out["p jiffies"], "crash did not survive:\n" + str(out)
    return out


def aliases(doc):
    return {int(m["address"], 16): m for c in doc["classes"] for m in c["aliases"]}


@pytest.fixture(scope="module")
def seed(dump_lockdep):
    gt = [l for l in dump_lockdep.expected["locks"] if l["scenario"] == "seed" and l["verdict"] == "alias-wait"][0]
    return gt


@pytest.fixture(scope="module")
def phys(dump_lockdep, seed):
    """Physical addresses (by crash's vtop) of what the cases damage."""
    names = {"map": seed["map"], "class": seed["class"]}
    out = crash_sections(dump_lockdep.vmlinux, dump_lockdep.vmcore,
                         ["vtop %s" % a for a in names.values()] + ["p/x &lock_classes_in_use", LAST_SLOT])
    res = {k: surgery.vtop_output_to_phys(out["vtop %s" % a]) for k, a in names.items()}
    res["bitmap_kv"] = int(out["p/x &lock_classes_in_use"].split("=")[1], 16)
    res["last_slot_kv"] = int(out[LAST_SLOT].split("=")[1], 16)
    bm = crash_sections(dump_lockdep.vmlinux, dump_lockdep.vmcore, ["vtop %x" % res["bitmap_kv"]])
    res["bitmap"] = surgery.vtop_output_to_phys(bm["vtop %x" % res["bitmap_kv"]])
    return res


@pytest.fixture
def damaged(tmp_path, dump_lockdep):
    return surgery.copy(dump_lockdep.vmcore, tmp_path / "vmcore")


def test_truncated_dump_counts_missing_pages_and_still_finds_low_aliases(damaged, dump_lockdep, seed):
    # Cut inside the top 16 MiB of RAM: lower cuts lose the per-cpu areas and
    # crash 8.0.2 itself refuses to start (next test).
    surgery.truncate(damaged, 252 * MiB)
    out = run(dump_lockdep.vmlinux, damaged, "lockalias -j")
    doc = first_doc(out["lockalias -j"])
    assert doc["error"] is None
    assert doc["summary"]["pages_unreadable"] > 0
    assert any("could not be read" in p for p in doc["problems"])
    assert doc["unreadable_ranges"]
    assert int(seed["map"], 16) in aliases(doc)


def test_dump_truncated_below_the_percpu_areas_is_refused_by_crash_itself(damaged, dump_lockdep, phys):
    """Recorded, not lockalias's doing: crash 8.0.2 does not start on it, so
    lockalias never runs (lockalias-check must report such a dump)."""
    surgery.truncate(damaged, phys["class"] - 4 * MiB)
    text = crash_batch(dump_lockdep.vmlinux, damaged, ["extend %s" % EXT, "lockalias"])
    assert "may be truncated or incomplete" in text
    assert "shared object loaded" not in text


def test_zeroed_lock_class_page_is_reported_not_hidden(damaged, dump_lockdep, seed, phys):
    surgery.patch_phys(damaged, phys["class"] & ~0xfff, bytes(4096))
    out = run(dump_lockdep.vmlinux, damaged, "lockalias -j")
    doc = first_doc(out["lockalias -j"])
    m = aliases(doc)[int(seed["map"], 16)]
    # The slot is still live by the bitmap: its zeroed record is corrupt,
    # and the seed lock is no longer called a wait alias on its say-so.
    assert m["severity"] == "corrupt"
    assert "null-key" in m["consequence"]
    assert any("fail their checks" in p and "null-key" in p for p in doc["problems"])
    assert all(a["severity"] == "corrupt" for c in doc["classes"] if c.get("defect") for a in c["aliases"])


def test_class_pointer_into_unused_slot_is_stale(damaged, dump_lockdep, seed, phys):
    surgery.patch_phys(damaged, phys["map"] + 8, phys["last_slot_kv"].to_bytes(8, "little"))
    out = run(dump_lockdep.vmlinux, damaged, "lockalias -j", "lockalias %s" % seed["map"])
    m = aliases(first_doc(out["lockalias -j"]))[int(seed["map"], 16)]
    assert m["severity"] == "stale"
    assert "unused lock_classes entry" in m["consequence"]
    assert "VERDICT: stale" in out["lockalias %s" % seed["map"]]


@pytest.mark.parametrize("bad", ["misaligned", "outside"])
def test_class_pointer_not_at_a_slot_is_named_by_explain(damaged, dump_lockdep, seed, phys, bad):
    target = int(seed["class"], 16) + 8 if bad == "misaligned" else phys["bitmap_kv"]
    surgery.patch_phys(damaged, phys["map"] + 8, target.to_bytes(8, "little"))
    out = run(dump_lockdep.vmlinux, damaged, "lockalias -j", "lockalias %s" % seed["map"])
    assert int(seed["map"], 16) not in aliases(first_doc(out["lockalias -j"]))
    assert "a class_cache entry is not a lock_classes entry" in out["lockalias %s" % seed["map"]]


def test_unreadable_name_pointer_is_reported_not_dropped(damaged, dump_lockdep, seed, phys):
    """The map is still proven by its key; its wait types still differ from
    the class's, so it stays a wait alias, with name_ok false."""
    surgery.patch_phys(damaged, phys["map"] + 24, (0x10).to_bytes(8, "little"))
    out = run(dump_lockdep.vmlinux, damaged, "lockalias -j")
    m = aliases(first_doc(out["lockalias -j"]))[int(seed["map"], 16)]
    assert m["name_ok"] is False
    assert m["severity"] == "wait"


def test_in_use_bitmap_all_ones_is_called_corrupt(damaged, dump_lockdep, seed, phys):
    surgery.patch_phys(damaged, phys["bitmap"], b"\xff" * 1024)
    out = run(dump_lockdep.vmlinux, damaged, "lockalias -j")
    doc = first_doc(out["lockalias -j"])
    # Every slot past the last live class is now "live" and keyless: each one
    # is a corrupt record, named; the real classes and aliases are untouched.
    assert any("fail their checks" in p and "null-key" in p for p in doc["problems"])
    assert doc["summary"]["classes_corrupt"] > 0
    assert aliases(doc)[int(seed["map"], 16)]["severity"] == "wait"


def test_wrong_vmlinux_is_refused_clearly(dump_lockdep, dump_nolockdep):
    text = crash_batch(dump_nolockdep.vmlinux, dump_lockdep.vmcore, ["extend %s" % EXT, "lockalias"])
    # crash 8.0.2 refuses the pair before any extension loads (recorded here;
    # lockalias-check must turn this into a reason).
    assert "do not match" in text, text[-2000:]
    assert "shared object loaded" not in text


@pytest.mark.parametrize("arg,expect", [
    ("1000", "address not in the dump"),
    ("jiffies", "not a lockdep_map, a lock that embeds one, or a lock_class"),
    ("zzz_no_such_symbol", "neither an address nor a symbol"),
])
def test_address_arguments_that_are_not_locks(dump_lockdep, arg, expect):
    out = run(dump_lockdep.vmlinux, dump_lockdep.vmcore, "lockalias %s" % arg)
    assert expect in out["lockalias %s" % arg]


def test_class_address_argument_lists_its_maps(dump_lockdep, seed):
    out = run(dump_lockdep.vmlinux, dump_lockdep.vmcore, "lockalias -j %s" % seed["class"])
    doc = first_doc(out["lockalias -j %s" % seed["class"]])
    (cls,) = doc["classes"]
    assert int(cls["address"], 16) == int(seed["class"], 16)
    assert int(seed["map"], 16) in {int(m["address"], 16) for m in cls["aliases"]}
    assert cls["owners"], "a class listing shows its own locks too"


def test_lockalias_check_exit_codes_on_damaged_dumps(tmp_path, dump_lockdep, seed, phys):
    """lockalias-check on the damaged copies: a partial answer still reports
    (exit 1, the aliases it could read) and says what it could not read."""
    zeroed = surgery.copy(dump_lockdep.vmcore, tmp_path / "zeroed")
    surgery.patch_phys(zeroed, phys["class"] & ~0xfff, bytes(4096))
    cut = surgery.copy(dump_lockdep.vmcore, tmp_path / "cut")
    surgery.truncate(cut, 252 * MiB)
    code, out, err = run_check("--json", "--fail-on", "corrupt", dump_lockdep.vmlinux, zeroed, cut)
    assert code == 1, out + err
    docs = {os.path.basename(d["check"]["dump"]): d for d in json_lines(out)}
    assert any("null-key" in x for x in docs["zeroed"]["problems"])
    assert docs["zeroed"]["summary"]["aliases"]["corrupt"] >= 1
    assert docs["cut"]["summary"]["pages_unreadable"] > 0
    text = run_check(dump_lockdep.vmlinux, cut)[1]
    assert "PARTIAL:" in text and "pages unreadable" in text
