"""The triage views on the lockdep fixture, against what its kernel printed:
`lockalias ADDR` for every ground-truth map and its enclosing lock, `-l` on
the seed splat, `-t` for the sleeping kthread's held mutex, and `-C` usage
characters against the ones lockdep printed in the splat."""

import pytest

from conftest import EXT, VERDICT_SEVERITY, docs

# Also run with every `lockalias` command through drgn (make integration-drgn).
pytestmark = pytest.mark.drgn_suite

LOCK_TYPE_SHOWN = {"spinlock_t": "spinlock_t/raw_spinlock_t", "raw_spinlock_t": "spinlock_t/raw_spinlock_t",
                   "struct mutex": "struct mutex", "struct rw_semaphore": "struct rw_semaphore",
                   "rwlock_t": "rwlock_t"}


@pytest.fixture(scope="module")
def triage(dump_lockdep):
    locks = dump_lockdep.expected["locks"]
    cmds = ["extend %s" % EXT, "lockalias -j -l", "lockalias -j -t", "lockalias -j -C"]
    for l in locks:
        cmds += ["lockalias -j %s" % l["map"], "lockalias -j %s" % l["lock"]]
    return dump_lockdep, dump_lockdep.crash(cmds)


def test_explain_every_ground_truth_map_gives_the_kernels_verdict(triage):
    dump, out = triage
    for gt in dump.expected["locks"]:
        (doc,) = docs(out["lockalias -j %s" % gt["map"]])
        assert doc["schema"] == "lockalias-explain"
        if gt["verdict"] == "uncached":
            assert doc["kind"] == "uncached-map", gt
            continue
        assert doc["kind"] == "map", (gt, doc)
        slots = {s["slot"]: s for s in doc["slots"]}
        s = slots[gt["slot"]]
        assert int(s["class"], 16) == int(gt["class"], 16)
        assert s["class_name"] == gt["class_name"]
        assert s["severity"] == VERDICT_SEVERITY[gt["verdict"]], (gt, s)
        if gt["verdict"] != "clean":
            assert gt["map_name"] in s["explanation"] and gt["class_name"] in s["explanation"]


def test_explain_the_enclosing_lock_finds_its_map_and_type(triage):
    dump, out = triage
    for gt in dump.expected["locks"]:
        (doc,) = docs(out["lockalias -j %s" % gt["lock"]])
        if gt["lock"] == gt["map"]:
            continue
        assert doc["kind"] in ("map", "uncached-map"), (gt, doc)
        assert int(doc["map"]["address"], 16) == int(gt["map"], 16), gt
        assert LOCK_TYPE_SHOWN[gt["lock_type"]] in doc["lock_type"].split(" or "), gt
        assert doc["map"]["name"] == gt["map_name"]


def test_log_names_the_txq_lock_and_calls_the_seed_splat_a_false_positive(triage):
    dump, out = triage
    (doc,) = docs(out["lockalias -j -l"])
    splat = dump.expected["splat"]
    seed = [l for l in dump.expected["locks"] if l["scenario"] == "seed" and l["verdict"] == "alias-wait"][0]
    (report,) = [r for r in doc["reports"] if r["kind"] == "invalid-wait-context"]
    trying = [l for l in report["locks"] if l["role"] == "trying"][0]
    assert int(trying["address"], 16) == int(splat["trying_to_lock"]["map"], 16) == int(seed["map"], 16)
    assert trying["printed_name"] == splat["trying_to_lock"]["class_name"] == "&dev->mutex"
    assert trying["real_name"] == seed["map_name"] == "&txq->_xmit_lock"
    assert trying["alias"] is True
    assert report["recheck"]["false_positive"] is True
    held = [l for l in report["locks"] if l["role"].startswith("held")]
    assert [int(h["address"], 16) for h in held] == [int(h["map"], 16) for h in splat["held_locks"]]
    assert not any(h["alias"] for h in held)
    if dump.expected.get("class_warning"):
        (mm,) = [r for r in doc["reports"] if r["kind"] == "class-mismatch"]
        assert mm["title"].startswith('Looking for class "%s"' % dump.expected["class_warning"]["lock_name"])


def test_held_locks_list_the_sleeping_kthreads_novalidate_mutex(triage):
    dump, out = triage
    (doc,) = docs(out["lockalias -j -t"])
    (gt,) = [l for l in dump.expected["locks"] if l["scenario"] == "held-novalidate"]
    (task,) = [t for t in doc["tasks"] if t["pid"] == gt["pid"]]
    assert int(task["task"], 16) == int(gt["task"], 16)
    assert task["comm"] == gt["comm"]
    (held,) = [h for h in task["locks"] if int(h["instance"], 16) == int(gt["map"], 16)]
    assert held["name"] == gt["map_name"]
    assert held["class_name"] == gt["class_name"]
    assert held["alias"] is True


def test_class_table_usage_matches_what_lockdep_printed(triage):
    dump, out = triage
    (doc,) = docs(out["lockalias -j -C"])
    by_name = {}
    for c in doc["classes"]:
        by_name.setdefault(c.get("display_name"), []).append(c)
    splat = dump.expected["splat"]
    for printed in [splat["trying_to_lock"], *splat["held_locks"]]:
        cands = by_name[printed["class_name"]]
        assert any(c["usage"] == printed["usage"] and
                   (c["wait_outer"] or c["wait_inner"], c["wait_inner"]) ==
                   (printed["wait"]["outer"], printed["wait"]["inner"]) for c in cands), (printed, cands)
