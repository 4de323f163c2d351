"""The drgn front end (python/lockalias, lockalias-drgn) beside the crash
extension: on every dump both can read, every view's JSON must be the same
but for the fields that name the engine; plus what only the drgn front end
has (its command line, its Python API).

The drgn engine's run of the whole ground-truth suite is `make test-drgn`
(LOCKALIAS_ENGINE=drgn, conftest.py): this file is the side-by-side part."""
import copy
import json
import re
import subprocess
import sys

import pytest

from conftest import (ALIAS_SEVERITY, EXT, REPO, DrgnCannotOpen, assert_alias_as_printed, docs, drgn_cannot_open,
                      drgn_env, drgn_sections, gt_locks, index_maps, open_or_skip, report, run_lockalias_drgn)


def views(dump):
    """Every view, JSON: scan (-v), classes, held locks, the log's reports,
    and an explain of each lock the kernel printed."""
    maps = " ".join(l["map"] for l in dump.expected["locks"])
    return ["lockalias -j -v", "lockalias -j -C", "lockalias -j -t", "lockalias -j -l", "lockalias -j %s" % maps]


def engine_free(doc):
    """DOC without what names or times the engine: the memory line's
    reader ("... read through crash" / "drgn") and the scan's seconds."""
    doc = copy.deepcopy(doc)
    if isinstance(doc.get("summary"), dict):
        doc["summary"].pop("seconds", None)
    src = doc.get("dump_source")
    if isinstance(src, dict) and isinstance(src.get("text"), str):
        src["text"] = src["text"].replace("drgn", "crash")
    return doc


# An address as lockalias prints one where it has no symbol: 0x-prefixed or
# 16 hex digits.
_ADDRESS = re.compile(r"^(0x[0-9a-f]+|[0-9a-f]{16})$")
_TOLERATED = []
# The fields that hold a symbol or a text built with one.
_NAMED = ("/key_text", "/where/symbol", "/where/text", "/where", "/acquire_sym", "/explanation")


def crash_lacks_the_symbol(path, a, b):
    """A name crash could not give and drgn did, the one way the two may
    differ: crash started with --no_modules (7.2) has no module symbols, and
    crash 9.0.2 names 6.12 module data by its own _MODULE_DATA_START_
    pseudo-symbol. A, B: crash's and drgn's strings at PATH, one of the
    fields that name symbols; word by word, each differing word is crash's
    address or _MODULE_ name against a name of drgn's, or (a location)
    crash's text ends where drgn's adds the symbol."""
    if not (isinstance(a, str) and isinstance(b, str) and path.endswith(_NAMED)):
        return False
    crash_has_none = lambda v: bool(_ADDRESS.match(v)) or v.startswith("_MODULE_")  # noqa: E731
    is_name = lambda v: bool(re.match(r"^[A-Za-z_][\w.]*(\+0x[0-9a-f]+)?$", v))  # noqa: E731
    if path.endswith(("/where/symbol", "/acquire_sym")) and a == "":
        return is_name(b)
    wa, wb = re.split(r"([^\w.+]+)", a), re.split(r"([^\w.+]+)", b)
    if len(wa) != len(wb):  # "module/vmalloc" against "module/vmalloc ws_spin+0x18"
        return path.endswith(("/where/text", "/where")) and b.startswith(a + " ") and is_name(b[len(a) + 1:])
    return all(x == y or (crash_has_none(x) and is_name(y)) for x, y in zip(wa, wb))


def differences(a, b, path=""):
    """Where two JSON values differ, as 'path: a != b' lines (first 20);
    crash_lacks_the_symbol() cases are noted, not counted."""
    out = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append("%s/%s: only in %s" % (path, k, "drgn" if k not in a else "crash"))
            else:
                out += differences(a[k], b[k], "%s/%s" % (path, k))
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append("%s: %d items != %d" % (path, len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b)):
            out += differences(x, y, "%s[%d]" % (path, i))
    elif a != b:
        if crash_lacks_the_symbol(path, a, b):
            _TOLERATED.append("%s: crash %r, drgn %r" % (path, a, b))
        else:
            out.append("%s: %r != %r" % (path, a, b))
    return out[:20]


DUMPS = ["lockdep/vmcore-d31.kdump", "lockdep/vmcore", "lockstat/vmcore",
         "lockdep-5.10/vmcore", "lockdep-6.12/vmcore", "lockdep-7.2/vmcore"]


def load(unpacked, name):
    from conftest import _load
    variant, fname = name.split("/")
    if not (unpacked / variant / fname).exists():
        pytest.skip("no fixture %s" % name)
    return _load(unpacked, variant, fname, fname != "vmcore")


@pytest.fixture(scope="module", params=DUMPS)
def drgn_views(request, unpacked):
    """Every view of one dump through drgn alone: crash is not needed (it
    cannot open some of these)."""
    dump = load(unpacked, request.param)
    cmds = views(dump)
    try:
        return dump, cmds, drgn_sections(dump.vmlinux, dump.vmcore, dump.module, cmds)
    except DrgnCannotOpen as e:
        drgn_cannot_open(dump.vmcore, e)


@pytest.fixture(scope="module")
def both_engines(drgn_views):
    dump, cmds, drgn_out = drgn_views
    crash_out = open_or_skip(dump, ["extend %s" % EXT] + (["mod -s lockalias_scenarios %s" % dump.module]
                                                            if dump.module else []) + cmds)
    return dump, cmds, crash_out, drgn_out


def test_both_engines_print_the_same_json_for_every_view(both_engines):
    dump, cmds, crash_out, drgn_out = both_engines
    del _TOLERATED[:]
    for cmd in cmds:
        a, b = docs(crash_out[cmd]), docs(drgn_out[cmd])
        assert a and len(a) == len(b), "%s on %s: crash printed %d documents, drgn %d" % (cmd, dump.name, len(a), len(b))
        for x, y in zip(a, b):
            diff = differences(engine_free(x), engine_free(y))
            assert not diff, "%s on %s differs between crash and drgn:\n%s" % (cmd, dump.name, "\n".join(diff))
    if _TOLERATED:
        report("%s: %d names only drgn could give (crash: no module symbols), e.g. %s"
               % (dump.name, len(_TOLERATED), _TOLERATED[0]))


def test_drgn_names_itself_in_the_memory_line(drgn_views):
    dump, cmds, drgn_out = drgn_views
    doc = docs(drgn_out["lockalias -j -v"])[0]
    text = doc["dump_source"]["text"]
    assert "crash" not in text, text
    if doc["dump_source"]["used"] in ("target-reads", "kdump-bitmap"):
        assert "drgn" in text, text


def test_drgn_finds_every_ground_truth_alias_on_every_kernel_it_reads(drgn_views):
    """Including the kernels crash 8.0.2 cannot open (6.12, 7.2)."""
    dump, cmds, drgn_out = drgn_views
    doc = docs(drgn_out["lockalias -j -v"])[0]
    assert doc["error"] is None, doc["error"]
    assert doc["dump_source"]["used"] in ("elf-in-place", "kdump-in-place"), doc["dump_source"]
    seen = index_maps(doc)
    aliases = gt_locks(dump, ALIAS_SEVERITY)
    assert len(aliases) >= 5, "fixture lost its aliases?"
    for gt in aliases:
        assert_alias_as_printed(seen, gt, "%s (drgn): " % dump.name)
    for gt in gt_locks(dump, {"clean"}):
        key = (int(gt["map"], 16), gt["slot"])
        assert key in seen and seen[key][2] == "owner", gt
    # explain: each lock the kernel printed, at its address.
    explained = docs(drgn_out[cmds[-1]])
    assert len(explained) == len(dump.expected["locks"]), drgn_out[cmds[-1]][-2000:]
    for gt, ex in zip(dump.expected["locks"], explained):
        assert int(ex["address"], 16) == int(gt["map"], 16), (gt, ex["address"])


# ---- lockalias-drgn, the command -------------------------------------------

def test_command_without_files_prints_usage_and_exits_2():
    rc, out, err = run_lockalias_drgn()
    assert rc == 2 and "usage: lockalias-drgn" in err and out == ""


def test_command_names_a_missing_file(tmp_path):
    rc, out, err = run_lockalias_drgn(tmp_path / "vmlinux", tmp_path / "vmcore")
    assert rc == 2 and str(tmp_path / "vmcore") in err, err


def test_command_usage_error_is_the_crash_commands(dump_lockdep_d31):
    # Two modes on one line: the core's own usage error, nothing scanned.
    rc, out, err = run_lockalias_drgn(dump_lockdep_d31.vmlinux, dump_lockdep_d31.vmcore, "-t", "-l")
    assert rc == 1 and out == "" and "lockalias: " in err and "-t" in err, (rc, out, err)


def test_command_text_scan_has_the_summary_line_and_module_symbols(dump_lockdep_d31):
    d = dump_lockdep_d31
    rc, out, err = run_lockalias_drgn("-d", d.module, d.vmlinux, d.vmcore)
    assert rc == 0, err
    assert "lockalias: memory: the kdump's pages read and decompressed in place (kdump-in-place)" in out
    assert "ws_spin+0x18" in out       # a module symbol, from the .ko given with -d
    assert "aliases: 2 wait, 4 name" in out


# ---- the Python API ----------------------------------------------------------

API_SCRIPT = r'''
import json, sys
sys.path.insert(0, sys.argv[1])
import drgn, lockalias
prog = drgn.Program(); prog.set_core_dump(sys.argv[3]); prog.load_debug_info([sys.argv[2], sys.argv[4]])
scan = lockalias.scan(prog)
ex = lockalias.explain(prog, int(sys.argv[5], 16))
by_symbol = lockalias.explain(prog, "ws_spin")
out = {"scan_schema": scan["schema"], "used": scan["dump_source"]["used"],
       "aliases": sorted((m["address"], m["slot"]) for c in scan["classes"] for m in c["aliases"]),
       "explain": [ex["schema"], ex["address"]], "by_symbol": by_symbol["where"],
       "held": lockalias.held_locks(prog)["schema"], "log": lockalias.log_reports(prog)["schema"],
       "classes": len(lockalias.classes(prog)["classes"])}
try:
    lockalias.explain(prog, "no_such_symbol_anywhere")
except lockalias.LockaliasError as e:
    out["error"] = e.errors
print(json.dumps(out))
'''


def test_python_api_returns_the_json_schemas_objects(dump_lockdep_d31):
    d = dump_lockdep_d31
    seed = next(l for l in d.expected["locks"] if l["verdict"] == "alias-wait" and l["where"] != "static")
    p = subprocess.run([sys.executable, "-c", API_SCRIPT, str(REPO / "python"), str(d.vmlinux), str(d.vmcore),
                        str(d.module), seed["map"]], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=600, env=drgn_env())
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["scan_schema"] == "lockalias-scan" and out["used"] == "kdump-in-place"
    for gt in gt_locks(d, ALIAS_SEVERITY):
        assert [hex(int(gt["map"], 16)), gt["slot"]] in [[hex(int(a, 16)), s] for a, s in out["aliases"]], gt
    assert out["explain"][0] == "lockalias-explain" and int(out["explain"][1], 16) == int(seed["map"], 16)
    assert "ws_spin" in out["by_symbol"], out["by_symbol"]
    assert out["held"] == "lockalias-held" and out["log"] == "lockalias-log"
    assert out["classes"] > 100
    assert out["error"] and "no_such_symbol_anywhere" in " ".join(out["error"])


# ---- lockalias-check --engine -------------------------------------------------

def test_check_engines_agree_and_auto_takes_drgn_where_it_reads(dump_lockdep_d31):
    from conftest import json_lines, run_check
    d = dump_lockdep_d31
    env = drgn_env()
    docs = {}
    for engine in ("crash", "drgn", "auto"):
        rc, out, err = run_check("--json", "--engine", engine, d.vmlinux, d.vmcore, env=env)
        assert rc == 1, (engine, rc, err)           # the fixture has wait aliases
        docs[engine], = json_lines(out)
        assert docs[engine]["check"]["status"] == "found", docs[engine]["check"]
    assert docs["crash"]["check"]["engine"] == "crash"
    assert docs["drgn"]["check"]["engine"] == "drgn"
    assert docs["auto"]["check"]["engine"] == "drgn" and docs["auto"]["check"]["engine_note"] is None
    crash_doc = engine_free({k: v for k, v in docs["crash"].items() if k != "check"})
    drgn_doc = engine_free({k: v for k, v in docs["drgn"].items() if k != "check"})
    assert not differences(crash_doc, drgn_doc)
    # The text reports, rendered from each engine's JSON: the same but for the seconds.
    texts = []
    for engine in ("crash", "drgn"):
        rc, out, err = run_check("--engine", engine, "--text-report", "-", d.vmlinux, d.vmcore, env=env)
        assert rc == 1 and "CLASS " in out, (engine, rc, err)
        texts.append(re.sub(r"; [0-9.]+ s$", "", out, flags=re.M))
    assert texts[0] == texts[1]


@pytest.mark.formats  # on make formats' flattened copy
def test_check_auto_falls_back_to_crash_where_drgn_cannot_read(dump_lockdep_d31):
    """drgn cannot open a flattened kdump (makedumpfile -F), crash can: auto
    says why and crash reads it."""
    from conftest import json_lines, run_check
    flat = REPO / "build" / "formats" / "lockdep" / "flat.kdump"
    if not flat.is_file():
        pytest.fail("no flattened copy %s (run: make formats)" % flat)
    rc, out, err = run_check("--json", dump_lockdep_d31.vmlinux, flat, env=drgn_env())
    doc, = json_lines(out)
    assert doc["check"]["status"] == "found" and doc["check"]["engine"] == "crash", doc["check"]
    assert doc["check"]["engine_note"].startswith("drgn: drgn could not check the dump: "), doc["check"]
    assert "cannot open" in doc["check"]["engine_note"], doc["check"]


INTERRUPT_SCRIPT = r'''
import os, sys
sys.path.insert(0, sys.argv[1])
import lockalias
from lockalias.drgn_target import DrgnTarget
from lockalias.program import open_program

class CtrlCDuringTheScan(DrgnTarget):
    reads = 0
    def read_phys(self, addr, size):
        self.reads += 1
        if self.reads == 50:   # as if Ctrl-C's handler ran inside this read
            raise KeyboardInterrupt
        return super().read_phys(addr, size)

os.environ["LOCKALIAS_READ_ALL"] = "1"   # every page through read_phys
prog = open_program(sys.argv[2], sys.argv[3])
r = lockalias.run(CtrlCDuringTheScan(prog, sys.argv[3]), [])
print("interrupted=%s" % r.interrupted)
print(r.output.splitlines()[-1])
try:
    lockalias.scan(CtrlCDuringTheScan(prog, sys.argv[3]))
except KeyboardInterrupt:
    print("scan() raised KeyboardInterrupt")
'''


def test_ctrl_c_inside_a_drgn_read_stops_the_scan_with_a_partial_answer(dump_lockdep_d31):
    """Python runs the SIGINT handler at its next bytecode, mostly inside a
    Target question: the command stops as Ctrl-C in crash does (partial
    result, marked so); the API's views raise KeyboardInterrupt."""
    d = dump_lockdep_d31
    p = subprocess.run([sys.executable, "-c", INTERRUPT_SCRIPT, str(REPO / "python"), str(d.vmlinux), str(d.vmcore)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600, env=drgn_env())
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "interrupted=True", p.stdout
    assert "(INTERRUPTED: partial)" in lines[1], p.stdout
    assert lines[2] == "scan() raised KeyboardInterrupt", p.stdout


def test_python_api_on_a_program_opened_by_hand_reads_a_qemu_elf_dump(dump_lockdep):
    """drgn.Program() + set_core_dump() + load_debug_info(), as a drgn user
    writes it: the dump file is found (core_file_of), and on drgn 0.0.22 the
    kernel image is mapped so that kernel memory reads at all."""
    d = dump_lockdep
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import drgn, lockalias\n"
              "p = drgn.Program(); p.set_core_dump(sys.argv[3]); p.load_debug_info([sys.argv[2]], default=False)\n"
              "doc = lockalias.scan(p); print(doc['dump_source']['used'])\n"
              "print(sorted(m['address'] for c in doc['classes'] for m in c['aliases']))\n")
    p = subprocess.run([sys.executable, "-c", script, str(REPO / "python"), str(d.vmlinux), str(d.vmcore)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600, env=drgn_env())
    assert p.returncode == 0, p.stderr
    used, addrs = p.stdout.splitlines()
    assert used == "elf-in-place"
    for gt in gt_locks(d, ALIAS_SEVERITY):
        assert hex(int(gt["map"], 16)) in [hex(int(a, 16)) for a in json.loads(addrs.replace("'", '"'))], gt
