"""lockalias-drgn --live: the running kernel through drgn on /proc/kcore,
inside a QEMU (TCG) guest booted from the live kernel (the lockdep-6.12
fixture kernel + CONFIG_PROC_KCORE, scripts/build-live-kernel.sh, `make
live-kernel`) with the scenario module loaded. Ground truth: what that
kernel printed about itself on this boot (parse_gt.py), never lockalias's
output. Skips, saying why, when the live kernel is not built."""
import json

import pytest

from conftest import ALIAS_SEVERITY, REPO, assert_alias_as_printed, index_maps, report
from live_guest import run_in_live_guest, require_live_guest

MARK = "@@view %s@@"
VIEWS = {"scan": "-j -v", "held": "-j -t", "log": "-j -l"}


@pytest.fixture(scope="module")
def live():
    require_live_guest()
    # One boot, every view (a boot under TCG costs 10-30 s).
    # Each view's exit status follows its output ("@@rc N@@"): the guest's
    # own exit status is the script's last command's.
    script = "; ".join("echo '%s'; lockalias-drgn --live %s; echo \"@@rc $?@@\"" % (MARK % name, args)
                       for name, args in VIEWS.items())
    run = run_in_live_guest(REPO / "python", script, timeout=900)
    outputs, rcs, current = {}, {}, None
    for line in run.stdout.splitlines():
        if line.startswith("@@view ") and line.endswith("@@"):
            current = line[len("@@view "):-2]
            outputs[current] = []
        elif line.startswith("@@rc ") and current:
            rcs[current] = int(line[len("@@rc "):-2])
        elif current:
            outputs[current].append(line)
    run.view_rcs = rcs
    docs = {name: json.loads(next(l for l in lines if l.startswith('{"schema"')))
            for name, lines in outputs.items() if name in VIEWS and any(l.startswith('{"schema"') for l in lines)}
    report("live guest: %s; stderr: %s" % (", ".join("%s %.1f s" % kv for kv in sorted(run.timings.items())),
                                          run.stderr.strip()[:300] or "-"))
    return run, docs


def test_every_view_runs_on_the_live_kernel(live):
    run, docs = live
    assert run.view_rcs == {name: 0 for name in VIEWS}, (run.view_rcs, run.stdout[-2000:], run.stderr[-2000:])
    assert set(docs) == set(VIEWS), (sorted(docs), run.stdout[-2000:], run.stderr[-2000:])
    for name, doc in docs.items():
        assert doc.get("error") is None, (name, doc.get("error"))


def test_live_scan_finds_every_alias_the_kernel_printed(live):
    run, docs = live
    gt = run.expected_gt
    assert gt.get("init_done"), "the scenario module did not finish: %s" % run.console_log[-2000:]
    doc = docs["scan"]
    # Live memory is read through drgn, page by page: no dump file to map.
    assert doc["dump_source"]["used"] == "target-reads", doc["dump_source"]
    assert "through drgn" in doc["dump_source"]["text"], doc["dump_source"]
    # ... and the report says memory changed under the scan (drgn's IS_LIVE)
    assert any(p.startswith("the running kernel: ") for p in doc["problems"]), doc["problems"]
    seen = index_maps(doc)
    aliases = [l for l in gt["locks"] if l["verdict"] in ALIAS_SEVERITY]
    assert len(aliases) >= 5, gt["counts"]
    for lock in aliases:
        assert_alias_as_printed(seen, lock, "live: ")
    for lock in (l for l in gt["locks"] if l["verdict"] == "clean"):
        key = (int(lock["map"], 16), lock["slot"])
        assert key in seen and seen[key][2] == "owner", lock


def test_live_log_explains_the_seed_splat_as_a_false_positive(live):
    run, docs = live
    assert run.expected_gt.get("splat"), "the kernel printed no seed splat this boot"
    reports = [r for r in docs["log"]["reports"] if r["kind"] == "invalid-wait-context"]
    assert reports, docs["log"]
    assert any("FALSE POSITIVE" in r["verdict"] for r in reports), reports


def test_live_held_locks_has_the_scenario_task(live):
    run, docs = live
    tasks = {t["comm"]: t for t in docs["held"]["tasks"]}
    assert "lockalias_held" in tasks, sorted(tasks)
    assert tasks["lockalias_held"]["locks"], tasks["lockalias_held"]
