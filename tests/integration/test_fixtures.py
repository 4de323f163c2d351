"""Check the vmcore fixtures against their ground truth, using crash only.

Run from the repo root:  python3 -m pytest tests/integration/test_fixtures.py
(-s shows which GT locks sit in pages excluded from the filtered dump).

Every dump is opened by exactly one crash invocation (session-scoped fixtures
below collect all commands first), because crash start-up costs seconds.
"""
import json
import re

import pytest

from conftest import Dump, cstring, excluded, hexes, intval, members, report

NR_CACHING = 2
TYPE_FOR_CRASH = {"spinlock_t": "spinlock_t", "raw_spinlock_t": "raw_spinlock_t",
                  "rwlock_t": "rwlock_t", "struct mutex": "mutex",
                  "struct rw_semaphore": "rw_semaphore"}
CLASS_FIELDS = "name,key,subclass,wait_type_outer,wait_type_inner"


def a2i(s):
    return int(s, 16)


def eff(w):
    return (w["outer"] or w["inner"], w["inner"])


# ---- one crash run per dump -----------------------------------------------

def map_cmd(addr):
    return "struct lockdep_map -x %s" % addr


def class_cmd(addr):
    return "struct lock_class.%s -x %s" % (CLASS_FIELDS, addr)


def task_cmds(task):
    t = "((struct task_struct *)%s)" % task
    return {"pid": "p %s->pid" % t, "comm": "p %s->comm" % t,
            "depth": "p %s->lockdep_depth" % t,
            "instance": "p/x %s->held_locks[0].instance" % t}


def held_task(exp):
    return next((l for l in exp["locks"] if l["scenario"] == "held-novalidate"), None)


def slab_clean(exp):
    return [l for l in exp["locks"] if l["scenario"] == "slab-clean"]


def lockdep_commands(dump: Dump):
    exp = dump.expected
    cmds = ["sys", "log", "p debug_locks"]
    for t in sorted({l["lock_type"] for l in exp["locks"]}):
        cmds.append("struct %s -o -x" % TYPE_FOR_CRASH[t])
    for l in exp["locks"]:
        cmds.append(map_cmd(l["map"]))
        if l["class"]:
            cmds.append(class_cmd(l["class"]))
    h = held_task(exp)
    if h:
        cmds += list(task_cmds(h["task"]).values())
        cmds.append("list task_struct.tasks -h init_task")
    if dump.module is not None and not dump.filtered:
        # module symbols last: `mod -s` changes symbol resolution
        cmds += ["mod -s lockalias_scenarios %s" % dump.module,
                 "p &sc_objs[0]->lock", "p &sc_objs[%d]->lock" % (
                     exp["counts"]["slab-clean"]["objects"] - 1),
                 "p &ws_spin.dep_map", "p &ws_mutex.dep_map"]
    return cmds


@pytest.fixture(scope="session")
def out_lockdep(dump_lockdep):
    return dump_lockdep.crash(lockdep_commands(dump_lockdep))


@pytest.fixture(scope="session")
def out_lockdep_d31(dump_lockdep_d31):
    return dump_lockdep_d31.crash(lockdep_commands(dump_lockdep_d31))


NOLOCKDEP_CMDS = ["sys", "log", "struct lock_class", "whatis lock_classes",
                  "struct lockdep_map", "struct task_struct.lockdep_depth"]


@pytest.fixture(scope="session")
def out_nolockdep(dump_nolockdep):
    return dump_nolockdep.crash(NOLOCKDEP_CMDS)


@pytest.fixture(params=["elf", "d31"])
def lockdep_any(request, dump_lockdep, dump_lockdep_d31):
    if request.param == "elf":
        return dump_lockdep, request.getfixturevalue("out_lockdep")
    return dump_lockdep_d31, request.getfixturevalue("out_lockdep_d31")


# ---- expected.json itself (the capture did what the scenarios promise) ----

def test_expected_json_lockdep(dump_lockdep):
    exp = dump_lockdep.expected
    assert exp["variant"] in ("lockdep", "lockstat") and exp["release"]
    assert exp["module_loaded"] and exp["gt_done"] and not exp["errors"]
    by = {}
    for l in exp["locks"]:
        by.setdefault(l["scenario"], []).append(l)
    assert list(by) == ["wait-static", "name-static", "subclass1", "slab-alias",
                        "slab-clean", "held-novalidate", "clean", "seed"]
    assert [l["verdict"] for l in by["wait-static"]] == ["clean", "alias-wait"]
    assert [l["verdict"] for l in by["name-static"]] == ["clean", "alias-name"]
    assert [(l["slot"], l["verdict"]) for l in by["subclass1"]] == [(1, "clean"), (1, "alias-name")]
    assert [(l["where"], l["verdict"]) for l in by["slab-alias"]] == [("static", "clean"), ("slab", "alias-name")]
    assert {l["verdict"] for l in by["slab-clean"]} == {"clean"}
    sc = exp["counts"]["slab-clean"]
    assert sc["objects"] == sc["cached"] == sc["same_class"] == sc["clean"] == 3000
    (h,) = by["held-novalidate"]
    assert h["comm"] == "lockalias_held" and h["class_name"] == "&dev->mutex"
    assert {l["verdict"] for l in by["clean"]} == {"clean"}
    assert {l["lock_type"] for l in by["clean"]} == set(TYPE_FOR_CRASH)
    seed = by["seed"]
    assert [l["verdict"] for l in seed] == ["alias-wait", "uncached", "uncached",
                                            "uncached", "clean"]
    assert seed[0]["class_name"] == "&dev->mutex" and seed[0]["map_name"] == "&txq->_xmit_lock"
    assert seed[-1]["map_name"] == "&dev->tx_global_lock"
    assert exp["info"]["seed"]["debug_locks"] == 0
    sp = exp["splat"]
    assert sp["title"] == "BUG: Invalid wait context"
    assert sp["trying_to_lock"]["map"] == seed[0]["map"]
    assert sp["trying_to_lock"]["class_name"] == seed[0]["class_name"]
    assert (sp["trying_to_lock"]["wait"]["outer"], sp["trying_to_lock"]["wait"]["inner"]) \
        == eff(seed[0]["class_wait"])
    assert any(h["map"] == seed[-1]["map"] for h in sp["held_locks"])
    assert exp["class_warning"]["lock_name"] == "wait_static_spin"


def test_expected_json_nolockdep(dump_nolockdep):
    exp = dump_nolockdep.expected
    assert exp["variant"] == "nolockdep" and exp["release"]
    assert exp["locks"] == [] and exp["splat"] is None and not exp["module_loaded"]
    assert exp["init_done"]


# ---- every dump opens -------------------------------------------------------

def test_dumps_open(dump_lockdep, dump_lockdep_d31, dump_nolockdep,
                    out_lockdep, out_lockdep_d31, out_nolockdep):
    for d, out in ((dump_lockdep, out_lockdep), (dump_lockdep_d31, out_lockdep_d31),
                   (dump_nolockdep, out_nolockdep)):
        m = re.search(r"RELEASE: (\S+)", out["sys"])
        assert m, "%s: no sys output:\n%s" % (d.name, out[None] + out["sys"])
        assert m.group(1) == d.expected["release"], d.name
        if d.filtered:
            assert "PARTIAL DUMP" in out["sys"], d.name


# ---- lockdep dumps: log and every GT line ------------------------------------

def test_splat_in_log(lockdep_any):
    dump, out = lockdep_any
    sp = dump.expected["splat"]
    log = out["log"]
    assert sp["title"] in log
    t = sp["trying_to_lock"]
    line = "%s (%s){%s}-{%d:%d}" % (t["map"][2:], t["class_name"], t["usage"],
                                    t["wait"]["outer"], t["wait"]["inner"])
    assert line in log
    for s in sp["lines"]:
        if s.strip():
            assert s.rstrip() in log, s
    assert dump.expected["class_warning"]["text"] in log
    assert "lockalias-gt: done" in log
    assert re.search(r"debug_locks = \$\d+ = 0", out["p debug_locks"]) or \
        out["p debug_locks"].rstrip().endswith("= 0")


def check_lock(l, out, problems, missing):
    """Compare one GT line with crash's view of its map and class."""
    mo = out[map_cmd(l["map"])]
    if excluded(mo):
        missing.append((l, "map"))
        return
    m = members(mo)
    where = "%s %s %s" % (l["scenario"], l["map"], l["map_name"])
    cache = hexes(m["class_cache"])
    if cstring(m["name"]) != l["map_name"]:
        problems.append("%s: map name %r" % (where, m["name"]))
    if hexes(m["key"])[0] != a2i(l["map_key"]):
        problems.append("%s: map key %s" % (where, m["key"]))
    if (intval(m["wait_type_outer"]), intval(m["wait_type_inner"])) != \
            (l["map_wait"]["outer"], l["map_wait"]["inner"]):
        problems.append("%s: map waits %s:%s" % (where, m["wait_type_outer"], m["wait_type_inner"]))
    if len(cache) != NR_CACHING:
        problems.append("%s: class_cache %r" % (where, m["class_cache"]))
        return
    if l["verdict"] == "uncached":
        if any(cache):
            problems.append("%s: expected uncached, class_cache %r" % (where, cache))
        return
    if cache[l["slot"]] != a2i(l["class"]):
        problems.append("%s: class_cache[%d]=%#x, GT %s" % (where, l["slot"], cache[l["slot"]], l["class"]))
    co = out[class_cmd(l["class"])]
    if excluded(co):
        missing.append((l, "class"))
        return
    c = members(co)
    if cstring(c["name"]) != l["class_name"]:
        problems.append("%s: class name %r, GT %r" % (where, c["name"], l["class_name"]))
    if hexes(c["key"])[0] != a2i(l["class_key"]):
        problems.append("%s: class key %s" % (where, c["key"]))
    if intval(c["subclass"]) != l["class_subclass"]:
        problems.append("%s: class subclass %s" % (where, c["subclass"]))
    if (intval(c["wait_type_outer"]), intval(c["wait_type_inner"])) != \
            (l["class_wait"]["outer"], l["class_wait"]["inner"]):
        problems.append("%s: class waits %s:%s" % (where, c["wait_type_outer"], c["wait_type_inner"]))


def test_gt_lines(lockdep_any):
    dump, out = lockdep_any
    problems, missing = [], []
    locks = dump.expected["locks"]
    for l in locks:
        check_lock(l, out, problems, missing)
    # slots without a GT line must be empty
    slots = {}
    for l in locks:
        slots.setdefault(l["map"], set()).add(l["slot"])
    for mp, ss in slots.items():
        mo = out[map_cmd(mp)]
        if excluded(mo) or None in ss:
            continue
        cache = hexes(members(mo)["class_cache"])
        for i in range(NR_CACHING):
            if i not in ss and cache[i]:
                problems.append("%s: class_cache[%d]=%#x has no GT line" % (mp, i, cache[i]))
    if dump.filtered:
        report_excluded(dump, locks, missing)
    else:
        assert not missing, "unreadable in an unfiltered dump: %r" % missing
    assert not problems, "\n".join(problems)


def report_excluded(dump, locks, missing):
    lines = ["%s: %d of %d GT lines read from excluded pages" % (dump.name, len(missing), len(locks))]
    for l, what in missing:
        lines.append("  excluded %s: scenario=%s map=%s where=%s %s" % (
            what, l["scenario"], l["map"], l["where"], l["map_name"]))
    text = "\n".join(lines) + "\n"
    report(text)
    (dump.dir / "d31-excluded.txt").write_text(text)


def test_lock_offsets(dump_lockdep, out_lockdep):
    """map - lock is where the lock type keeps its dep_map."""
    offs = {}
    for t, name in TYPE_FOR_CRASH.items():
        o = out_lockdep.get("struct %s -o -x" % name)
        if o is None:
            continue
        m = re.search(r"\[(0x[0-9a-f]+|\d+)\]\s+struct lockdep_map dep_map;", o)
        assert m, o
        offs[t] = int(m.group(1), 0)
    for l in dump_lockdep.expected["locks"]:
        assert a2i(l["map"]) - a2i(l["lock"]) == offs[l["lock_type"]], l


def test_held_novalidate_task(dump_lockdep, out_lockdep):
    h = held_task(dump_lockdep.expected)
    c = task_cmds(h["task"])
    assert re.search(r"= %d$" % h["pid"], out_lockdep[c["pid"]].strip())
    assert '"%s' % h["comm"] in out_lockdep[c["comm"]]
    assert out_lockdep[c["depth"]].strip().endswith("= 1")
    assert hexes(out_lockdep[c["instance"]])[-1] == a2i(h["map"])
    # crash 8.0.2's task table misses it (ps shows only swapper), the list has it
    tasks = {int(x, 16) for x in re.findall(r"^([0-9a-f]{16})$",
                                             out_lockdep["list task_struct.tasks -h init_task"], re.M)}
    assert a2i(h["task"]) in tasks


def test_module_symbols(dump_lockdep, out_lockdep):
    if dump_lockdep.module is None:
        pytest.skip("no lockalias_scenarios.ko in the artifacts")
    exp = dump_lockdep.expected
    sc = slab_clean(exp)
    n = exp["counts"]["slab-clean"]["objects"]
    assert "MODULE" in out_lockdep["mod -s lockalias_scenarios %s" % dump_lockdep.module]
    assert hexes(out_lockdep["p &sc_objs[0]->lock"])[0] == a2i(sc[0]["lock"])
    assert hexes(out_lockdep["p &sc_objs[%d]->lock" % (n - 1)])[0] == a2i(sc[-1]["lock"])
    ws = [l for l in exp["locks"] if l["scenario"] == "wait-static"]
    assert hexes(out_lockdep["p &ws_mutex.dep_map"])[0] == a2i(ws[0]["map"])
    assert hexes(out_lockdep["p &ws_spin.dep_map"])[0] == a2i(ws[1]["map"])


# ---- nolockdep -------------------------------------------------------------

def test_nolockdep(out_nolockdep):
    o = out_nolockdep
    assert "invalid data structure reference" in o["struct lock_class"], o["struct lock_class"]
    assert "lock_classes" not in o["whatis lock_classes"] or "not" in o["whatis lock_classes"]
    assert "lockdep_depth" not in o["struct task_struct.lockdep_depth"] or \
        "invalid" in o["struct task_struct.lockdep_depth"]
    assert "lockalias-gt" not in o["log"]
    assert "Linux version" in o["log"]
