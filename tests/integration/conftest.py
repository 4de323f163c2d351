"""Shared helpers for lockalias integration tests on the vmcore fixtures.

- crash_batch(vmlinux, vmcore, commands) -> str: one `crash -s` run, commands
  from an input file (-i), stdin closed; returns stdout+stderr.
- crash_sections(vmlinux, vmcore, commands) -> dict[cmd, str]: the same, one
  crash run, output split per command (marker lines via `gdb echo`).
- fixtures `fixture_dumps` (all dumps) and `dump_lockdep`, `dump_lockdep_d31`,
  `dump_nolockdep`: Dump records with paths and the parsed expected.json.
- shared by the test files: EXT (the lockalias.so under test), CHECK
  (lockalias-check) and run_check(), first_doc()/one_doc()/one_scan_doc()/
  docs()/json_lines() to pull JSON out of output, gt_locks() and the
  verdict -> severity maps, effective_wait().
- `dump_any_lockdep`: every lockdep fixture directory there is (6.1's
  lockdep and lockstat, lockdep-5.10, lockdep-6.12, ...), with the crash
  options of its `crash-args` file; `open_or_skip()` skips one that the
  chosen crash cannot open (CRASH=...), with crash's own reason.

Dumps are taken from vmcore-fixtures/unpacked/ (`make -C vmcore-fixtures
unpack` is run once per session; set LOCKALIAS_FIXTURES_NO_UNPACK=1 to skip).
Set CRASH=/path/to/crash to use another crash binary.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pytest

from support_matrix import must_open

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from crash_session import run_crash  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "vmcore-fixtures"
UNPACKED = FIXTURES / "unpacked"
CRASH = os.environ.get("CRASH", "crash")
CRASH_TIMEOUT = int(os.environ.get("CRASH_TIMEOUT", "600"))
_MARK = "@@lockalias-cmd %d@@"
# notes that tests want shown after the run even without -s (report())
_REPORT = []


def pytest_configure(config):
    config.addinivalue_line("markers", "drgn_suite: the ground-truth files that run again with every lockalias "
                            "command through drgn (make integration-drgn, and each root's drgn in make matrix)")
    config.addinivalue_line("markers", "formats: needs make formats' dump copies (run by make formats)")


def report(text):
    """Print TEXT and repeat it in pytest's terminal summary."""
    print(text)
    _REPORT.append(text)


def pytest_terminal_summary(terminalreporter):
    if _REPORT:
        terminalreporter.section("vmcore fixture notes")
        for t in _REPORT:
            terminalreporter.write_line(t.rstrip("\n"))
_MARK_RE = re.compile(r"^@@lockalias-cmd (\d+)@@$", re.M)


def crash_batch(vmlinux, vmcore, commands, extra_args=(), timeout=CRASH_TIMEOUT) -> str:
    """Run `crash -s [extra_args] vmlinux vmcore` once with COMMANDS (list of
    str) in batch mode; return its combined output."""
    return run_crash(vmlinux, vmcore, commands, extra_args, crash=CRASH, timeout=timeout).output


def crash_sections(vmlinux, vmcore, commands, extra_args=(), timeout=CRASH_TIMEOUT):
    """Like crash_batch, but return {command: its output}, plus the key
    None for what crash printed before the first command (start-up warnings).
    Duplicate commands are run once."""
    cmds = list(dict.fromkeys(commands))
    script = []
    for i, c in enumerate(cmds):
        script.append("gdb echo " + _MARK % i + "\\n")
        script.append(c)
    script.append("gdb echo " + _MARK % len(cmds) + "\\n")
    out = crash_batch(vmlinux, vmcore, script, extra_args, timeout)
    res = split_at_markers(out, cmds)
    missing = [c for c in cmds if c not in res]
    if missing:
        raise CrashIncomplete("crash output incomplete (missing %d of %d commands);"
                              " tail:\n%s" % (len(missing), len(cmds), out[-3000:]),
                              out, started=len(res) > 1)
    return res


def split_at_markers(out, cmds):
    """{command: its output} from OUT, where each command's output follows
    its "@@lockalias-cmd N@@" line; key None: what came before the first."""
    parts = _MARK_RE.split(out)
    # parts: [preamble, idx0, text0, idx1, text1, ...]
    res = {None: parts[0]}
    for j in range(1, len(parts) - 1, 2):
        i = int(parts[j])
        if i < len(cmds):
            res[cmds[i]] = parts[j + 1].strip("\n")
    return res


class CrashIncomplete(RuntimeError):
    """crash stopped before the last command; started: a session came up
    (the first command ran) and died later, else crash gave up at start-up."""
    def __init__(self, msg, output, started):
        super().__init__(msg)
        self.output, self.started = output, started


# ---- the drgn front end (issue 17) ------------------------------------------

# Which front end runs the `lockalias` commands of Dump.crash(): "crash" (the
# extension) or "drgn" (python/lockalias; `make test-drgn`).
# LOCKALIAS_DRGN_PATH puts another drgn (a build tree, or a release's) first on
# PYTHONPATH instead of Debian's python3-drgn.
ENGINE = os.environ.get("LOCKALIAS_ENGINE", "crash")
DRGN_PATH = os.environ.get("LOCKALIAS_DRGN_PATH", "")
DRGN_BATCH = Path(__file__).resolve().parent / "drgn_batch.py"
LOCKALIAS_DRGN = REPO / "python" / "bin" / "lockalias-drgn"


class DrgnCannotOpen(RuntimeError):
    """drgn cannot open or read the dump (lockalias-drgn's own line, exit 2)."""


# Dump files drgn does not open, and why; any other that drgn cannot open or
# read fails the test (drgn 0.0.22 and 0.0.31 read every fixture).
DRGN_DOES_NOT_OPEN = {
    "flat.kdump": "libkdumpfile 0.5.1, drgn's kdump reader, does not read flattened (-F) kdumps",
}


def drgn_cannot_open(dump_file, error):
    """pytest.skip() for a file drgn is known not to open, else fail."""
    why = DRGN_DOES_NOT_OPEN.get(Path(dump_file).name)
    if why:
        report("skipped: drgn cannot open %s (%s): %s" % (dump_file, why, error))
        pytest.skip("drgn cannot open %s: %s" % (Path(dump_file).name, why))
    pytest.fail("drgn must read %s but: %s" % (dump_file, error))


def drgn_env():
    env = dict(os.environ)
    if DRGN_PATH:
        env["PYTHONPATH"] = DRGN_PATH + (":" + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


DRGN_SLAB_TRUTH = Path(__file__).resolve().parent / "drgn_slab_truth.py"


def drgn_slab_states(dump, addresses, timeout=CRASH_TIMEOUT):
    """drgn_slab_truth.py's answer for ADDRESSES in DUMP, or None where no
    drgn is importable, or drgn cannot open the dump or find its struct
    pages (said in the summary)."""
    p = subprocess.run([sys.executable, str(DRGN_SLAB_TRUTH), str(dump.vmlinux), str(dump.vmcore), *addresses],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, env=drgn_env())
    if p.returncode == 1 and "No module named 'drgn'" in p.stderr:
        return None
    if p.returncode in (2, 3) and p.stdout.startswith("drgn: "):
        report("skipped: %s" % p.stdout.strip())
        return None
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout)


def run_lockalias_drgn(*args, timeout=600):
    """python/bin/lockalias-drgn ARGS -> (exit code, stdout, stderr)."""
    p = subprocess.run([str(LOCKALIAS_DRGN), *map(str, args)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout, env=drgn_env())
    return p.returncode, p.stdout, p.stderr


def drgn_sections(vmlinux, vmcore, module, commands, timeout=CRASH_TIMEOUT):
    """{command: output} of `lockalias ...` COMMANDS run by drgn_batch.py,
    the program opened once."""
    cmds = list(dict.fromkeys(commands))
    with tempfile.NamedTemporaryFile("w", prefix="drgn-", suffix=".cmds", delete=False) as f:
        f.write("".join(c + "\n" for c in cmds))
        path = f.name
    try:
        p = subprocess.run(["/usr/bin/python3", str(DRGN_BATCH), str(vmlinux), str(vmcore),
                            str(module) if module else "-", path],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, errors="replace", text=True, env=drgn_env())
    finally:
        os.unlink(path)
    res = split_at_markers(p.stdout, cmds)
    del res[None]
    if len(res) < len(cmds):
        lines = p.stdout.strip().splitlines()
        started = _MARK_RE.search(p.stdout) is not None
        if not started and p.returncode == 2 and lines and lines[-1].startswith("lockalias-drgn: "):
            raise DrgnCannotOpen(lines[-1])
        raise AssertionError("drgn_batch.py stopped after %d of %d commands:\n%s"
                             % (len(res), len(cmds), p.stdout[-3000:]))
    return res


# ---- parsing helpers for crash's struct/p output ---------------------------

HEX = re.compile(r"0x[0-9a-f]+")


def members(text: str) -> dict:
    """'  name = value,' lines of a `struct`/`p` print -> {name: raw value}."""
    d = {}
    for line in text.splitlines():
        m = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_]*) = (.*?),?$", line)
        if m and m.group(1) not in d:
            d[m.group(1)] = m.group(2)
    return d


def hexes(raw: str) -> list:
    return [int(h, 16) for h in HEX.findall(raw)]


def cstring(raw: str) -> Optional[str]:
    m = re.search(r'"((?:[^"\\]|\\.)*)"', raw)
    return m.group(1) if m else None


def intval(raw: str) -> int:
    raw = raw.strip()
    m = re.match(r"^(0x[0-9a-f]+|-?\d+)", raw)
    return int(m.group(1), 0)


def docs(text):
    """Every lockalias JSON document (one per line) in a command's output."""
    return [json.loads(l) for l in text.splitlines() if l.startswith('{"schema"')]


def index_maps(doc):
    """{(map address, slot): (class object, map object, role)} over every
    class; role is 'alias' or 'owner'."""
    seen = {}
    for cls in doc["classes"]:
        for role, key in (("alias", "aliases"), ("owner", "owners")):
            for m in cls.get(key, []):
                seen[(int(m["address"], 16), m["slot"])] = (cls, m, role)
    return seen


def excluded(text: str) -> bool:
    """crash's complaints about pages missing from a (filtered) dump."""
    return bool(re.search(r"page excluded|Cannot access memory|invalid kernel virtual address"
                          r"|seek error|read error", text))


# ---- shared by the test files ------------------------------------------------

# The extension under test (LOCKALIAS_SO: the matrix's per-crash build) and
# the batch checker.
EXT = Path(os.environ.get("LOCKALIAS_SO", REPO / "extension" / "lockalias.so"))
CHECK = REPO / "python" / "bin" / "lockalias-check"
MiB = 1 << 20

# expected.json's verdicts -> lockalias's severities.
ALIAS_SEVERITY = {"alias-wait": "wait", "alias-name": "name"}
VERDICT_SEVERITY = dict(ALIAS_SEVERITY, clean="clean")


def first_doc(text):
    """The first lockalias JSON document in a command's output."""
    for line in text.splitlines():
        if line.startswith('{"schema"'):
            return json.loads(line)
    raise AssertionError("no JSON document in lockalias output:\n" + text[-2000:])


def one_doc(out, cmd):
    """The one JSON document command CMD printed (OUT: crash_sections())."""
    found = docs(out[cmd])
    assert len(found) == 1, "%s printed %d JSON documents:\n%s" % (cmd, len(found), out[cmd][-3000:])
    return found[0]


def one_scan_doc(out, cmd):
    """one_doc(), which must be a scan (version 2) without an error."""
    doc = one_doc(out, cmd)
    assert doc["schema"] == "lockalias-scan" and doc["version"] == 2
    assert doc["error"] is None, doc["error"]
    return doc


def json_lines(stdout):
    """lockalias-check --json's documents, one a line."""
    return [json.loads(l) for l in stdout.splitlines() if l.strip()]


def run_check(*args, env=None, timeout=900):
    """lockalias-check ARGS -> (exit code, stdout, stderr)."""
    p = subprocess.run(["/usr/bin/python3", str(CHECK), *map(str, args)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout, env=env)
    return p.returncode, p.stdout, p.stderr


def gt_locks(dump, verdicts):
    """expected.json's locks whose verdict is in VERDICTS."""
    return [l for l in dump.expected["locks"] if l["verdict"] in verdicts]


def assert_alias_as_printed(seen, gt, where=""):
    """One alias the fixture kernel printed (expected.json), found in
    index_maps(doc) as it printed it: its map and slot, as an alias, of its
    class (address and name), under its own name and severity. Returns the
    class and map found."""
    key = (int(gt["map"], 16), gt["slot"])
    assert key in seen, "%s%s alias %s not reported" % (where, gt["scenario"], gt["map"])
    cls, m, role = seen[key]
    assert role == "alias", gt
    assert int(cls["address"], 16) == int(gt["class"], 16), gt
    assert cls["name"] == gt["class_name"], gt
    assert m["name"] == gt["map_name"], gt
    assert m["severity"] == ALIAS_SEVERITY[gt["verdict"]], gt
    return cls, m


def assert_freed_as_printed(doc, expected, where=""):
    """The scenario module's freed objects (expected.json "freed", from
    consoles since the freed scenario): a map it took and then freed is no
    lock. The one in its constructor cache survives every kernel (no poison,
    SLUB's free pointer outside the object) and no one else allocates from
    that cache: it must be set aside as found on SLUB's freelists. The
    kmalloc one may be poisoned (slub_debug) or reused by the time of the
    dump: it must at least never be reported under the scenario's name.
    Returns how many freed objects the console named."""
    freed = {int(f["address"], 16): f for f in doc["freed_maps"]}
    reported = {int(m["address"], 16): m for c in doc["classes"] + doc["latent"] for m in c.get("aliases", [])}
    reported.update((int(m["address"], 16), m) for m in doc["untracked"])
    gts = expected.get("freed", [])
    for gt in gts:
        addr = int(gt["map"], 16)
        if gt["scenario"] == "freed-ctor":
            assert addr in freed, "%sfreed map %s (lockalias_freed) not set aside: %s" % (
                where, gt["map"], reported.get(addr))
            assert freed[addr]["how"] == "slab-freelist" and freed[addr]["slab_cache"] == gt["cache"], freed[addr]
            assert int(freed[addr]["slab_object"], 16) == int(gt["object"], 16), freed[addr]
        assert not (addr in reported and reported[addr]["name"] == "&o->lock"), (where, gt, reported.get(addr))
    return len(gts)


def confirm_aliases_by_crash_struct(dump, pairs):
    """Each (class, map) alias of a scan, seen in crash's own `struct
    lockdep_map` / `struct lock_class`: the map's class_cache[slot] is the
    class, and a wait alias's effective wait types differ from its class's,
    a name alias's are equal and its name is not the class's."""
    if not pairs:
        return
    cmds = []
    for c, m in pairs:
        cmds += ["struct lockdep_map -x %s" % m["address"], "struct lock_class -x %s" % c["address"]]
    got = dump.crash(cmds)
    for c, m in pairs:
        mm = members(got["struct lockdep_map -x %s" % m["address"]])
        cm = members(got["struct lock_class -x %s" % c["address"]])
        assert hexes(mm["class_cache"])[m["slot"]] == int(c["address"], 16), (m, mm)
        map_wait = (intval(mm["wait_type_outer"]) or intval(mm["wait_type_inner"]), intval(mm["wait_type_inner"]))
        cls_wait = (intval(cm["wait_type_outer"]) or intval(cm["wait_type_inner"]), intval(cm["wait_type_inner"]))
        if m["severity"] == "wait":
            assert map_wait != cls_wait, (m, mm, cm)
        else:
            assert m["severity"] == "name" and map_wait == cls_wait, m
            assert cstring(mm["name"]) != cstring(cm["name"]), m


def kmem_object(text):
    """(address, allocated) of the object crash's `kmem ADDR` shows under
    "FREE / [ALLOCATED]", or None. With slub_debug red zones crash names the
    object's slot (its left red zone first), lockalias and the kernel the
    object itself: callers compare with slot <= object < slot + a page."""
    m = re.search(r"FREE / \[ALLOCATED\]\n\s*(\[)?([0-9a-f]+)\]?", text)
    if not m:
        return None
    return int(m.group(2), 16), bool(m.group(1))


def effective_wait(w):
    """expected.json's {"outer", "inner"} as lockdep compares them: outer 0
    means inner."""
    return (w["outer"] or w["inner"], w["inner"])


# ---- dumps ----------------------------------------------------------------

@dataclass
class Dump:
    name: str            # e.g. "lockdep/vmcore-d31.kdump"
    variant: str         # artifacts/<variant>
    vmlinux: Path
    vmcore: Path
    expected: dict
    dir: Path
    filtered: bool = False
    module: Optional[Path] = None   # lockalias_scenarios.ko with debuginfo
    extra: dict = field(default_factory=dict)
    crash_args: tuple = ()          # from the fixture's crash-args file

    def crash(self, commands, **kw):
        """{command: output} of one session. With LOCKALIAS_ENGINE=drgn the
        `lockalias` lines run through the drgn front end (drgn_sections())
        and only the others (crash's own struct/rd/... ground truth) in crash."""
        kw.setdefault("extra_args", self.crash_args)
        if ENGINE == "drgn":
            return self._through_drgn(commands, **kw)
        return crash_sections(self.vmlinux, self.vmcore, commands, **kw)

    def _through_drgn(self, commands, **kw):
        ours = [c for c in commands if c.split()[:1] == ["lockalias"]]
        # Loading the extension and module symbols are crash's set-up only.
        setup = lambda c: c.startswith("extend ") or c.startswith("mod -s ")  # noqa: E731
        theirs = [c for c in commands if c not in ours]
        res = {None: ""}
        if any(not setup(c) for c in theirs):
            try:
                res = crash_sections(self.vmlinux, self.vmcore, theirs, **kw)
            except CrashIncomplete as e:
                # The ground truth is crash's: with a crash the support table
                # does not claim for this kernel (crash 8.0.6 and 6.1 in the
                # Debian 13 root), the matrix's other crashes answer it.
                if e.started or must_open(self.variant, crash_version()):
                    raise
                reason = "the ground truth is crash's, and %s does not open %s (Linux %s): %s" % (
                    crash_version(), self.name, self.expected.get("release"), crash_startup_error(e.output))
                report("skipped: " + reason)
                pytest.skip(reason)
        else:
            res.update({c: "" for c in theirs})
        if ours:
            try:
                res.update(drgn_sections(self.vmlinux, self.vmcore, self.module, ours))
            except DrgnCannotOpen as e:
                drgn_cannot_open(self.vmcore, e)
        return res


DUMP_FILES = [  # (variant, dump file in unpacked/<variant>/, filtered?)
    ("lockdep", "vmcore", False),
    ("lockdep", "vmcore-d31.kdump", True),
    ("nolockdep", "vmcore", False),
    ("lockstat", "vmcore", False),
]


@pytest.fixture(scope="session")
def unpacked():
    if not os.environ.get("LOCKALIAS_FIXTURES_NO_UNPACK"):
        subprocess.run(["make", "-s", "-C", str(FIXTURES), "unpack"], check=True)
    return UNPACKED


def _load(unpacked_dir, variant, fname, filtered):
    d = unpacked_dir / variant
    vmcore = d / fname
    if not vmcore.exists():
        pytest.fail("missing %s (run: make -C vmcore-fixtures unpack)" % vmcore)
    with open(d / "expected.json") as f:
        exp = json.load(f)
    ko = d / "lockalias_scenarios.ko"
    args = d / "crash-args"
    return Dump(name="%s/%s" % (variant, fname), variant=variant,
                vmlinux=d / "vmlinux", vmcore=vmcore, expected=exp, dir=d,
                filtered=filtered, module=ko if ko.exists() else None,
                crash_args=tuple(args.read_text().split()) if args.exists() else ())


@pytest.fixture(scope="session")
def fixture_dumps(unpacked):
    return [_load(unpacked, v, f, flt) for v, f, flt in DUMP_FILES]


# Every lockdep test runs on both lockdep configs: plain PROVE_LOCKING, and
# LOCK_STAT + PROVE_RAW_LOCK_NESTING (other struct layouts, shifted wait types).
LOCKDEP_VARIANTS = ["lockdep", "lockstat"]


@pytest.fixture(scope="session", params=LOCKDEP_VARIANTS)
def dump_lockdep(request, unpacked):
    return _load(unpacked, request.param, "vmcore", False)


@pytest.fixture(scope="session")
def dump_lockdep_d31(unpacked):
    return _load(unpacked, "lockdep", "vmcore-d31.kdump", True)


@pytest.fixture(scope="session")
def dump_nolockdep(unpacked):
    return _load(unpacked, "nolockdep", "vmcore", False)


# ---- every lockdep fixture, whatever its kernel ------------------------------

def lockdep_fixture_names():
    """artifacts/NAME/ directories that hold a lockdep dump (they have the
    scenario module): lockdep, lockstat, lockdep-5.10, lockdep-6.12, ..."""
    art = FIXTURES / "artifacts"
    return sorted(p.parent.name for p in art.glob("*/lockalias_scenarios.ko.xz"))


@pytest.fixture(scope="session", params=lockdep_fixture_names())
def dump_any_lockdep(request, unpacked):
    return _load(unpacked, request.param, "vmcore", False)


_CRASH_VERSION = []


def crash_version() -> str:
    """`crash --version`'s first line, e.g. "crash 8.0.2"."""
    if not _CRASH_VERSION:
        try:
            p = subprocess.run([CRASH, "--version"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, errors="replace", timeout=60)
            m = re.search(r"^crash \S+", p.stdout, re.M)
            _CRASH_VERSION.append(m.group(0) if m else p.stdout.strip()[:40])
        except OSError as e:
            _CRASH_VERSION.append("%s: %s" % (CRASH, e))
    return _CRASH_VERSION[0]


def crash_startup_error(text: str) -> str:
    """The line of crash's output that explains why no session came up."""
    for pat in (r"^crash: .*$", r"^.*(?:failed|error|invalid|cannot|not supported).*$"):
        m = re.search(pat, text, re.M | re.I)
        if m:
            line = m.group(0).strip()
            if line.endswith(":"):   # "crash: incompatible arguments:" + the reason
                rest = [l.strip() for l in text[m.end():].splitlines() if l.strip()]
                line += " " + rest[0] if rest else ""
            return line
    return text.strip().splitlines()[-1] if text.strip() else "no output"


def open_or_skip(dump: Dump, commands):
    """dump.crash(commands), or pytest.skip() when this crash cannot open the
    dump at all (no session: its kernel is newer than this crash knows).
    The reason names both sides: the fixture's release and crash's version
    and error.  LOCKALIAS_FIXTURES_STRICT=1 turns the skip into a failure."""
    try:
        return dump.crash(commands)
    except CrashIncomplete as e:
        if e.started:
            raise
        reason = "%s cannot open %s (Linux %s, crash options %r): %s" % (
            crash_version(), dump.name, dump.expected.get("release"),
            " ".join(dump.crash_args), crash_startup_error(e.output))
        report("skipped: " + reason)
        if os.environ.get("LOCKALIAS_FIXTURES_STRICT"):
            pytest.fail(reason)
        pytest.skip(reason)
