"""lockalias's scan on the real fixture dumps, checked against what the
fixture kernel printed about itself (expected.json), never against
lockalias's own earlier output. Extra aliases that no scenario planted are
checked one by one with crash's own `struct` output."""
import re

import pytest

from conftest import ALIAS_SEVERITY, EXT, assert_alias_as_printed, cstring, first_doc, gt_locks, hexes, index_maps, intval, members

# Also run with every `lockalias` command through drgn (make integration-drgn).
pytestmark = pytest.mark.drgn_suite


def scan(dump, args="-j -v", extra_cmds=()):
    cmds = ["extend %s" % EXT, "lockalias %s" % args, *extra_cmds]
    out = dump.crash(cmds)
    return out, out["lockalias %s" % args]


@pytest.fixture(scope="module")
def lockdep_scan(dump_lockdep):
    out, text = scan(dump_lockdep)
    return dump_lockdep, first_doc(text)


def test_every_ground_truth_alias_is_found_with_its_class_and_severity(lockdep_scan):
    dump, doc = lockdep_scan
    seen = index_maps(doc)
    aliases = gt_locks(dump, ALIAS_SEVERITY)
    assert len(aliases) >= 5, "fixture lost its aliases?"
    for gt in aliases:
        cls, m = assert_alias_as_printed(seen, gt)
        assert (m["wait_outer"], m["wait_inner"]) == (gt["map_wait"]["outer"], gt["map_wait"]["inner"])
        assert (cls["wait_outer"], cls["wait_inner"]) == (gt["class_wait"]["outer"], gt["class_wait"]["inner"])


def test_origin_is_the_lock_that_registered_the_class(lockdep_scan):
    dump, doc = lockdep_scan
    seen = index_maps(doc)
    with_owner = [l for l in gt_locks(dump, ALIAS_SEVERITY) if l["owner"] not in ("-", None)]
    assert with_owner, "no scenario names the owner of its class"
    for gt in with_owner:
        cls, _, _ = seen[(int(gt["map"], 16), gt["slot"])]
        owners = {int(o["address"], 16) for o in cls["owners"]}
        assert int(gt["owner"], 16) in owners, gt
        assert cls["origin"] is not None and cls["origin"]["name"] == gt["class_name"]


def test_clean_ground_truth_locks_are_never_reported_as_aliases(lockdep_scan):
    dump, doc = lockdep_scan
    seen = index_maps(doc)
    for gt in gt_locks(dump, {"clean"}):
        key = (int(gt["map"], 16), gt["slot"])
        assert key in seen, "clean map %s (%s) was not found at all" % (gt["map"], gt["scenario"])
        assert seen[key][2] == "owner", gt


def test_uncached_maps_are_not_reported(lockdep_scan):
    dump, doc = lockdep_scan
    seen = index_maps(doc)
    uncached = gt_locks(dump, {"uncached"})
    assert uncached, "the seed scenario should leave uncached tx queue locks"
    for gt in uncached:
        assert not any(k[0] == int(gt["map"], 16) for k in seen), gt


def test_all_slab_clean_locks_share_one_class_without_alias(lockdep_scan):
    dump, doc = lockdep_scan
    sc = dump.expected["counts"]["slab-clean"]
    cls = [c for c in doc["classes"] if int(c["address"], 16) == int(sc["class"], 16)]
    assert len(cls) == 1
    assert cls[0]["aliases"] == []
    assert len(cls[0]["owners"]) >= sc["clean"]


def test_extra_aliases_are_confirmed_by_crash_struct(lockdep_scan):
    """Aliases no scenario planted (the kernel's own) must be real: crash's
    `struct lockdep_map` and `struct lock_class` must show the difference."""
    dump, doc = lockdep_scan
    planted = {(int(l["map"], 16), l["slot"]) for l in dump.expected["locks"]}
    extras = []
    for cls in doc["classes"]:
        for m in cls["aliases"]:
            if (int(m["address"], 16), m["slot"]) not in planted:
                extras.append((cls, m))
    cmds = []
    for cls, m in extras:
        cmds += ["struct lockdep_map -x %s" % m["address"], "struct lock_class -x %s" % cls["address"]]
    out = dump.crash(cmds) if cmds else {}
    for cls, m in extras:
        mm = members(out["struct lockdep_map -x %s" % m["address"]])
        cm = members(out["struct lock_class -x %s" % cls["address"]])
        assert hexes(mm["class_cache"])[m["slot"]] == int(cls["address"], 16)
        map_name, cls_name = cstring(mm["name"]), cstring(cm["name"])
        waits_differ = ((intval(mm["wait_type_outer"]) or intval(mm["wait_type_inner"])) !=
                        (intval(cm["wait_type_outer"]) or intval(cm["wait_type_inner"])) or
                        intval(mm["wait_type_inner"]) != intval(cm["wait_type_inner"]))
        if m["severity"] == "wait":
            assert waits_differ, (m, mm, cm)
        elif m["severity"] == "name":
            assert not waits_differ and map_name != cls_name, (m, map_name, cls_name)
        else:
            pytest.fail("unexpected severity %s for an extra report: %s" % (m["severity"], m))


def test_seed_txq_lock_is_a_wait_alias_of_dev_mutex_in_text(dump_lockdep):
    out, text = scan(dump_lockdep, args="-n '*xmit*'")
    seed = [l for l in dump_lockdep.expected["locks"]
            if l["scenario"] == "seed" and l["verdict"] == "alias-wait"]
    assert seed
    assert '"&dev->mutex"' in text
    assert "no-validate key" in text
    for gt in seed:
        line = [l for l in text.splitlines() if l.strip().startswith(gt["map"][2:])]
        assert line and " wait " in line[0] and '"&txq->_xmit_lock"' in line[0], text
    assert re.search(r"aliases: \d+ wait", text)


def test_filtered_dump_counts_unreadable_pages_and_still_finds_what_it_can(dump_lockdep_d31):
    out, text = scan(dump_lockdep_d31)
    doc = first_doc(text)
    assert doc["error"] is None
    assert doc["summary"]["pages_unreadable"] > 0
    assert any("could not be read" in p for p in doc["problems"])
    seen = index_maps(doc)
    excluded = set(dump_lockdep_d31.expected.get("excluded_maps", []))
    for gt in gt_locks(dump_lockdep_d31, ALIAS_SEVERITY):
        if gt["map"] in excluded:
            continue
        assert (int(gt["map"], 16), gt["slot"]) in seen, gt


def test_no_lockdep_dump_gets_one_clear_line_and_crash_goes_on(dump_nolockdep):
    out, text = scan(dump_nolockdep, args="", extra_cmds=["p jiffies"])
    assert "this kernel was built without CONFIG_LOCKDEP: no lock classes to check" in text
    assert "jiffies = " in out["p jiffies"]


@pytest.fixture(params=["elf", "d31"])
def lockdep_dump_any_format(request, dump_lockdep, dump_lockdep_d31):
    return dump_lockdep if request.param == "elf" else dump_lockdep_d31


def test_shortcuts_around_crash_reads_change_nothing(lockdep_dump_any_format, monkeypatch):
    """The ELF mapping and the kdump bitmap and inflater must give exactly
    what reading every page through crash gives (LOCKALIAS_READ_ALL=1)."""
    dump = lockdep_dump_any_format
    monkeypatch.delenv("LOCKALIAS_READ_ALL", raising=False)
    fast = first_doc(scan(dump)[1])
    monkeypatch.setenv("LOCKALIAS_READ_ALL", "1")
    slow = first_doc(scan(dump)[1])
    # Which source read the memory: the shortcut on the fast run, crash's
    # reads with the shortcut turned off on the slow one.
    assert fast["dump_source"]["used"] == ("kdump-in-place" if dump.filtered else "elf-in-place")
    assert slow["dump_source"]["used"] == "target-reads"
    assert {r["reason"] for r in slow["dump_source"]["refused"]} == {"turned-off", "other-format"}
    for doc in (fast, slow):
        del doc["summary"]["seconds"]
        del doc["dump_source"]
    assert fast["summary"]["maps_found"] > 10000
    # Ground truth first (what the fixture kernel printed), then sameness.
    seen = index_maps(fast)
    excluded = set(dump.expected.get("excluded_maps", []))
    for gt in gt_locks(dump, ALIAS_SEVERITY):
        if gt["map"] not in excluded:
            assert (int(gt["map"], 16), gt["slot"]) in seen, gt
    assert fast == slow


def test_pages_said_unreadable_are_the_ones_crash_cannot_read(dump_lockdep_d31):
    """Ground truth from crash itself: `rd -p` fails at the first, a middle
    and the last word of each range the scan calls unreadable, and works on
    the word before each range (scanned memory). The other direction, that
    nothing readable is skipped, is the READ_ALL comparison above."""
    doc = first_doc(scan(dump_lockdep_d31)[1])
    ranges = [(int(r["start"], 16), int(r["end"], 16)) for r in doc["unreadable_ranges"]]
    assert len(ranges) >= 10
    probes = []
    for start, end in ranges:
        probes += [(a, False) for a in (start, (start + end) // 2 // 8 * 8, end - 8)]
        if not any(s <= start - 8 < e for s, e in ranges):
            probes.append((start - 8, True))
    cmds = ["rd -p %x" % addr for addr, _ in probes]
    out = dump_lockdep_d31.crash(cmds)
    for (addr, readable), cmd in zip(probes, cmds):
        if readable:
            assert re.search(r"^\s*%x:\s+[0-9a-f]{16}" % addr, out[cmd], re.M), (hex(addr), out[cmd])
        else:
            # crash 8.0.x says "page excluded"; unstable's crash 9.0.2 prints
            # nothing for an excluded page. Either way it shows no word there.
            assert not re.search(r"^\s*%x:" % addr, out[cmd], re.M), (hex(addr), out[cmd])
            assert out[cmd].strip() == "" or "page excluded" in out[cmd], (hex(addr), out[cmd])


LOCKDEP_TABLES = ["lock_classes", "list_entries", "lock_chains", "classhash_table", "chainhash_table",
                  "lock_keys_hash", "stack_trace_hash", "stack_trace", "chain_hlocks"]


def test_pages_not_read_are_the_text_and_lockdeps_tables_as_crash_sizes_them(dump_lockdep):
    """The scan leaves out the whole pages of the kernel text and of
    lockdep's own tables; their extents here come from crash itself (`sym`,
    gdb's sizeof). The ELF dump holds every page, so the count is exact."""
    sizes = ["p/x sizeof(%s)" % t for t in LOCKDEP_TABLES]
    syms = ["sym %s" % s for s in LOCKDEP_TABLES + ["_stext", "_etext"]]
    out = dump_lockdep.crash(["extend %s" % EXT, "lockalias -j", *sizes, *syms])
    addr = {s: int(out["sym %s" % s].split()[0], 16) for s in LOCKDEP_TABLES + ["_stext", "_etext"]}
    ranges = [(addr["_stext"], addr["_etext"])]
    for t in LOCKDEP_TABLES:
        size = int(re.search(r"= (0x[0-9a-f]+)", out["p/x sizeof(%s)" % t]).group(1), 16)
        ranges.append((addr[t], addr[t] + size))
    # whole pages only (the kernel image is mapped linearly: virtual page
    # boundaries are physical ones), merged where they meet
    pages = sorted(((s + 4095) // 4096, e // 4096) for s, e in ranges if (s + 4095) // 4096 < e // 4096)
    merged = []
    for s, e in pages:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    expected = sum(e - s for s, e in merged)
    doc = first_doc(out["lockalias -j"])
    assert doc["summary"]["pages_skipped"] == expected > 1000
    assert "not read: %d pages of kernel text and lockdep's own tables" % expected in doc["dump_source"]["text"]
