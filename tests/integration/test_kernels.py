"""Every lockdep fixture kernel (6.1 and its lockstat twin, 5.10, 6.12, 7.x),
every view once, against what that kernel printed about itself
(expected.json) and crash's own `struct`/`kmem` output.

This is the focused suite the kernel x crash matrix runs (`make matrix`):
CRASH=/path/to/crash selects the crash, LOCKALIAS_SO the lockalias.so
built against that crash's headers. A fixture the chosen crash cannot
open is skipped with crash's exact error (see conftest.open_or_skip);
`support_matrix.py` says which pairs must open."""
import os
import re

import pytest

from conftest import (ENGINE, EXT, REPO, VERDICT_SEVERITY, confirm_aliases_by_crash_struct, crash_version,
                      drgn_slab_states, effective_wait, index_maps, json_lines, one_doc, open_or_skip, run_check)
from support_matrix import must_open

# Also run with every `lockalias` command through drgn (make integration-drgn).
pytestmark = pytest.mark.drgn_suite


def cached_slots(dump):
    return [l for l in dump.expected["locks"] if l["slot"] is not None]


def latent_truth(dump, gt):
    """For an uncached GT map: (latent, would_class) as the kernel knows it.
    Fixture modules since the latent scenario print both, from lockdep's own
    look-up of a probe copy of the map. 6.1's artifacts predate that: there
    the class is the one the kernel printed for a cached map on the same key
    (lockdep looks classes up by key and subclass only), and latent is the
    module's verdict_of() of the map against it. (None, None): not known."""
    if "latent" in gt:
        cls = gt["would_class"]
        return gt["latent"], int(cls, 16) if cls else None
    same_key = [l for l in cached_slots(dump)
                if l["map_key"] == gt["map_key"] and l["class_subclass"] == 0]
    if not same_key:
        return None, None
    c = same_key[0]
    if effective_wait(gt["map_wait"]) != effective_wait(c["class_wait"]):
        kind = "alias-wait"
    elif gt["map_name"] != c["class_name"]:
        kind = "alias-name"
    else:
        kind = "clean"
    return kind, int(c["class"], 16)


@pytest.fixture(scope="module")
def session(dump_any_lockdep):
    """One crash session per fixture: every view, an explain per GT map, and
    crash's own `kmem` for every lock the kernel says is not static."""
    dump = dump_any_lockdep
    locks = dump.expected["locks"]
    cmds = ["extend %s" % EXT, "help lockalias", "lockalias -j -v", "lockalias", "lockalias -j -l",
            "lockalias -j -t", "lockalias -j -C"]
    cmds += ["lockalias -j %s" % l["map"] for l in locks]
    cmds += ["kmem %s" % l["lock"] for l in locks if l["where"] != "static"]
    try:
        out = open_or_skip(dump, cmds)
    except pytest.skip.Exception:
        # (with LOCKALIAS_ENGINE=drgn the skip may be drgn's: crash's promise is not at stake)
        if ENGINE == "crash" and must_open(dump.variant, crash_version()):
            pytest.fail("%s must open %s (support_matrix.py), but it did not" % (crash_version(), dump.name))
        raise
    return dump, out


def test_extension_loads_and_names_its_crash_headers(session):
    dump, out = session
    assert "shared object" in out["extend %s" % EXT] and "lockalias" in out["extend %s" % EXT]
    assert re.search(r"built against the headers of crash \S+", out["help lockalias"])


def test_every_ground_truth_line_gets_the_kernels_verdict_at_the_kernels_address(session):
    dump, out = session
    doc = one_doc(out, "lockalias -j -v")
    assert doc["error"] is None, doc["error"]
    seen = index_maps(doc)
    assert cached_slots(dump), "fixture has no cached ground-truth map"
    for gt in dump.expected["locks"]:
        addr = int(gt["map"], 16)
        if gt["slot"] is None:  # uncached (and notrack): never validated, never reported
            assert not any(k[0] == addr for k in seen), gt
            continue
        key = (addr, gt["slot"])
        assert key in seen, "%s map %s slot %s not found at the kernel's address" % (
            gt["scenario"], gt["map"], gt["slot"])
        cls, m, role = seen[key]
        assert int(cls["address"], 16) == int(gt["class"], 16), gt
        assert cls["name"] == gt["class_name"] and m["name"] == gt["map_name"], gt
        assert (m["wait_outer"], m["wait_inner"]) == (gt["map_wait"]["outer"], gt["map_wait"]["inner"]), gt
        assert (cls["wait_outer"], cls["wait_inner"]) == (gt["class_wait"]["outer"], gt["class_wait"]["inner"]), gt
        assert m["severity"] == VERDICT_SEVERITY[gt["verdict"]], (gt, m)
        assert role == ("owner" if gt["verdict"] == "clean" else "alias"), gt


def test_no_stale_or_unreadable_report_on_a_clean_dump(session):
    dump, out = session
    doc = one_doc(out, "lockalias -j -v")
    bad = [(c["address"], m["address"], m["severity"], m.get("consequence"))
           for c in doc["classes"] for m in c["aliases"] if m["severity"] in ("stale", "unreadable")]
    assert bad == []
    assert doc["summary"]["aliases"]["stale"] == 0 and doc["summary"]["aliases"]["unreadable"] == 0


def test_every_other_alias_is_confirmed_by_crash_struct(session):
    """Aliases no scenario planted (the kernel's own) must show in crash's
    own `struct lockdep_map` / `struct lock_class` output."""
    dump, out = session
    doc = one_doc(out, "lockalias -j -v")
    planted = {(int(l["map"], 16), l["slot"]) for l in cached_slots(dump)}
    confirm_aliases_by_crash_struct(dump, [(c, m) for c in doc["classes"] for m in c["aliases"]
                                           if (int(m["address"], 16), m["slot"]) not in planted])


def test_maps_set_aside_as_freed_are_free_objects_in_crashs_kmem(session):
    """A map whose key is SLUB's free pointer is not judged; crash's own
    `kmem ADDR` must list its object as free (not [ALLOCATED])."""
    dump, out = session
    freed = one_doc(out, "lockalias -j -v")["freed_maps"]
    if not freed:
        return
    got = dump.crash(["kmem %s" % f["address"] for f in freed])
    for f in freed:
        text = got["kmem %s" % f["address"]]
        obj = f["slab_object"][2:].lstrip("0")
        assert kmem_cache_name(text) == f["slab_cache"], (f, text)
        assert re.search(r"^\s+0*%s\b" % obj, text, re.M) and "[%s" % obj not in text.replace("[0", "["), (f, text)


def test_every_reported_slab_lock_is_an_allocated_object_in_crashs_kmem(session):
    """A map in a free slab object is freed memory, not a lock: every alias,
    latent alias and untracked lock that lockalias reports in a slab object
    must be [ALLOCATED] in crash's own `kmem ADDR` (the object in brackets)."""
    dump, out = session
    doc = one_doc(out, "lockalias -j -v")
    shown = [m for c in doc["classes"] for m in c.get("aliases", [])]
    shown += [m for c in doc["latent"] for m in c.get("aliases", [])]
    shown += doc["untracked"]
    slab = [m for m in shown if m["where"]["kind"] == "slab"]
    assert slab, "no reported lock in a slab object: the fixture's scenarios place some"
    got = dump.crash(["kmem %s" % m["address"] for m in slab])
    checked = 0
    for m in slab:
        text = got["kmem %s" % m["address"]]
        if kmem_cache_name(text) is None:
            continue  # this crash's kmem cannot read the kernel's slabs (7.x, --no_kmem_cache)
        obj = m["where"]["slab_object"][2:].lstrip("0")
        assert "[%s]" % obj in text.replace("[0", "["), (m["address"], text)
        checked += 1
    if not checked:
        pytest.skip("%s: this crash's kmem reads no slab object, no ground truth" % dump.name)


def test_slab_states_agree_with_drgns_slab_object_info(session):
    """Where crash's kmem reads no slab (7.x, whose free objects also sit in
    sheaves), drgn's own slab_object_info() is the ground truth: every lock
    reported in a slab object is allocated, every map set aside from a slab
    free. Run on every fixture the drgn at hand opens."""
    dump, out = session
    doc = one_doc(out, "lockalias -j -v")
    shown = [m for c in doc["classes"] for m in c.get("aliases", [])]
    shown += [m for c in doc["latent"] for m in c.get("aliases", [])]
    shown += doc["untracked"]
    reported = [m["address"] for m in shown if m["where"]["kind"] == "slab"]
    freed = [f["address"] for f in doc["freed_maps"] if f["how"] in ("slab-freelist", "slab-sheaf")]
    truth = drgn_slab_states(dump, reported + freed)
    if truth is None:
        pytest.skip("%s: the drgn here answers nothing for it (see the notes), no second ground truth" % dump.name)
    if truth["sheaves"] and not truth["drgn_reads_sheaves"]:
        pytest.skip("%s: this drgn's slab helpers do not read the kernel's sheaves (drgn 0.3.0 does)" % dump.name)
    states = truth["states"]
    assert {a: states[a] for a in reported if states[a] != "allocated"} == {}
    assert {a: states[a] for a in freed if states[a] != "free"} == {}


def kmem_cache_name(text):
    """The CACHE line's NAME column of crash's `kmem ADDR` for a slab object."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^\s*CACHE\s+OBJSIZE", line) and i + 1 < len(lines):
            return lines[i + 1].split()[-1]
    return None


def test_locks_are_located_where_crash_says_they_live(session):
    dump, out = session
    doc = one_doc(out, "lockalias -j -v")
    seen = index_maps(doc)
    checked = 0
    for gt in cached_slots(dump):
        _, m, _ = seen[(int(gt["map"], 16), gt["slot"])]
        where = m["where"]
        if gt["where"] == "static":  # module data, at its module address
            assert where["kind"] in ("vmalloc", "kernel"), (gt, where)
            continue
        cache = kmem_cache_name(out["kmem %s" % gt["lock"]])
        if cache is not None:
            assert where["kind"] == "slab" and where["slab_cache"] == cache, (gt, where, cache)
            checked += 1
        elif gt["where"] == "slab":
            # this crash's kmem cannot read the kernel's slabs (7.x: "SLUB:
            # cannot determine how compound pages are linked"): the kernel's
            # own word that it kmalloc'ed the lock is what is left
            assert where["kind"] == "slab" and where["slab_cache"].startswith("kmalloc"), (gt, where)
            checked += 1
    assert checked or not [l for l in cached_slots(dump) if l["where"] == "slab"], dump.name


def test_latent_aliases_get_the_class_the_kernels_lookup_gives(session):
    """Never-taken locks: each GT latent alias is reported apart, with the
    class lockdep would find; the controls (own class, no class yet) and
    notrack locks are not; and nothing else is latent in these kernels."""
    dump, out = session
    doc = one_doc(out, "lockalias -j -v")
    reported = {int(m["address"], 16): (int(c["address"], 16), m) for c in doc["latent"] for m in c["aliases"]}
    untracked = {int(m["address"], 16) for m in doc["untracked"]}
    want = set()
    for gt in dump.expected["locks"]:
        if gt["slot"] is not None:
            continue
        addr = int(gt["map"], 16)
        if gt.get("notrack"):
            assert addr in untracked and addr not in reported, gt
            continue
        kind, cls = latent_truth(dump, gt)
        if kind in ("alias-wait", "alias-name"):
            want.add(addr)
            assert addr in reported, "latent %s %s not reported" % (gt["scenario"], gt["map"])
            got_cls, m = reported[addr]
            assert got_cls == cls, (gt, m)
            assert m["severity"] == "latent" and m["when_taken"] == VERDICT_SEVERITY[kind], (gt, m)
            assert m["name"] == gt["map_name"], (gt, m)
        else:
            assert addr not in reported, (gt, kind)
    assert want, "every fixture has GT latent aliases (at least the seed's tx queues)"
    assert set(reported) == want, "latent beyond the GT: %s" % sorted(map(hex, set(reported) - want))
    assert doc["summary"]["aliases"]["latent"] == len(reported)
    assert doc["summary"]["classes_corrupt"] == 0 and doc["summary"]["aliases"]["suspect"] == 0
    # lockalias-check's fallback order is the extension's own
    import sys
    sys.path.insert(0, str(REPO / "python"))
    from lockalias import check as checker
    assert doc["severity_order"] == checker.SEVERITY_ORDER
    text = out["lockalias"]
    assert "latent: %d;" % len(reported) in text and "LATENT ALIASES" in text


def test_text_scan_summarises_what_json_found(session):
    dump, out = session
    doc = one_doc(out, "lockalias -j -v")
    text = out["lockalias"]
    s = doc["summary"]["aliases"]
    assert "aliases: %d wait, %d name, 0 stale, 0 unreadable" % (s["wait"], s["name"]) in text


def test_explain_every_ground_truth_map(session):
    dump, out = session
    for gt in dump.expected["locks"]:
        doc = one_doc(out, "lockalias -j %s" % gt["map"])
        if gt["slot"] is None:
            assert doc["kind"] == "uncached-map", (gt, doc)
            assert doc["map"]["notrack"] == bool(gt.get("notrack")), (gt, doc["map"])
            kind, cls = latent_truth(dump, gt)
            first = doc["first_acquire"]
            if gt.get("notrack") or kind == "none":
                assert first is None, (gt, first)
            elif kind is not None:
                assert int(first["class"], 16) == cls, (gt, first)
                assert first["severity"] == ("clean" if kind == "clean" else "latent"), (gt, first)
            continue
        slots = {s["slot"]: s for s in doc["slots"]}
        assert slots[gt["slot"]]["severity"] == VERDICT_SEVERITY[gt["verdict"]], (gt, slots)
        assert int(slots[gt["slot"]]["class"], 16) == int(gt["class"], 16)


def test_log_view_resolves_the_seed_splat_and_the_class_warning(session):
    dump, out = session
    doc = one_doc(out, "lockalias -j -l")
    splat = dump.expected["splat"]
    (report,) = [r for r in doc["reports"] if r["kind"] == "invalid-wait-context"]
    trying = [l for l in report["locks"] if l["role"] == "trying"][0]
    assert int(trying["address"], 16) == int(splat["trying_to_lock"]["map"], 16)
    assert trying["alias"] is True and trying["real_name"] == "&txq->_xmit_lock"
    assert report["recheck"]["false_positive"] is True
    cw = dump.expected.get("class_warning")
    if cw:  # one report for the one warning, in either of its forms
        (mm,) = [r for r in doc["reports"] if r["kind"] == "class-mismatch"]
        if cw.get("form", "looking-for-class") == "looking-for-class":
            assert mm["title"].startswith('Looking for class "%s"' % cw["lock_name"]), mm
        else:
            assert cw["at"] in mm["title"], (cw, mm)


def test_held_view_flags_the_kthreads_novalidate_mutex(session):
    dump, out = session
    doc = one_doc(out, "lockalias -j -t")
    (gt,) = [l for l in dump.expected["locks"] if l["scenario"] == "held-novalidate"]
    (task,) = [t for t in doc["tasks"] if t["pid"] == gt["pid"]]
    (held,) = [h for h in task["locks"] if int(h["instance"], 16) == int(gt["map"], 16)]
    assert held["alias"] is True and held["class_name"] == gt["class_name"]


def test_class_table_has_every_ground_truth_class(session):
    dump, out = session
    doc = one_doc(out, "lockalias -j -C")
    table = {int(c["address"], 16): c for c in doc["classes"]}
    for gt in cached_slots(dump):
        c = table[int(gt["class"], 16)]
        assert c["name"] == gt["class_name"], (gt, c)
        assert (c["wait_outer"], c["wait_inner"]) == (gt["class_wait"]["outer"], gt["class_wait"]["inner"])
        assert c["defect"] is None, c
    assert doc["version"] == 2 and doc["classes_corrupt"] == 0
    # LATENT counts the GT latent aliases at the class lockdep would find
    latent = {}
    for gt in dump.expected["locks"]:
        kind, cls = latent_truth(dump, gt) if gt["slot"] is None else (None, None)
        if kind in ("alias-wait", "alias-name"):
            latent[cls] = latent.get(cls, 0) + 1
    assert {a: c["latent"] for a, c in table.items() if c["latent"]} == latent


def test_lockalias_check_counts_the_planted_aliases(session):
    dump, out = session
    crash = os.environ.get("CRASH", "crash")
    code, stdout, _ = run_check("--json", "--crash", crash, "--crash-args", " ".join(dump.crash_args),
                                "--extension", EXT, dump.vmlinux, dump.vmcore)
    (doc,) = json_lines(stdout)
    scan = one_doc(out, "lockalias -j -v")
    assert doc["check"]["status"] == "found" and code == 1, (code, doc["check"])
    assert doc["summary"]["aliases"] == scan["summary"]["aliases"]
    assert doc["check"]["release"] == dump.expected["release"]
