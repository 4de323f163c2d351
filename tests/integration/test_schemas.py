"""Every JSON view lockalias prints, on the real fixture dumps, against its
schema in schemas/ (JSON Schema draft 2020-12): the scan (-j, -j -v, a
filtered dump, a class address), explain (a map, an uncached map, the
enclosing lock, a symbol and an address that are not locks), the class
table (-C), held locks (-t, and -t with a PID no task has), the kernel log
(-l), each view's error form on the dump without lockdep, and
lockalias-check --json (reports and errors). The schemas are strict
(required fields, enums, no unknown keys), so a writer that drifts from
its schema fails here; the last tests make sure the schemas do reject
such drift."""
import copy
import json

import pytest

# Also run with every `lockalias` command through drgn (make integration-drgn).
pytestmark = pytest.mark.drgn_suite

jsonschema = pytest.importorskip("jsonschema", reason="python3-jsonschema (scripts/install-deps.sh)")

from conftest import EXT, REPO, docs, json_lines, open_or_skip, run_check  # noqa: E402

SCHEMAS = REPO / "schemas"
# schema name -> its file; every view and its version.
FILES = {
    ("lockalias-scan", 2): "lockalias-scan.v2.json",
    ("lockalias-explain", 2): "lockalias-explain.v2.json",
    ("lockalias-classes", 2): "lockalias-classes.v2.json",
    ("lockalias-held", 1): "lockalias-held.v1.json",
    ("lockalias-log", 1): "lockalias-log.v1.json",
}
CHECK_FILE = "lockalias-check.v2.json"
NO_SUCH_PID = "99999"


def _load_all():
    store = {}
    for path in sorted(SCHEMAS.glob("*.json")):
        s = json.loads(path.read_text())
        store[path.name] = s
    return store


STORE = _load_all()
BY_ID = {s["$id"]: s for s in STORE.values()}


try:
    # jsonschema 4.18 and later (Debian 13's) resolve $ref through a
    # `referencing` registry; given a RefResolver they fetch the
    # schemas' $id URLs from the network instead.
    from referencing import Registry, Resource
    REGISTRY = Registry().with_resources((i, Resource.from_contents(s)) for i, s in BY_ID.items())
except ImportError:  # Debian 12's jsonschema 4.10: RefResolver's store
    REGISTRY = None


def validator(fname):
    s = STORE[fname]
    if REGISTRY is not None:
        return jsonschema.Draft202012Validator(s, registry=REGISTRY)
    resolver = jsonschema.RefResolver.from_schema(s, store=BY_ID)
    return jsonschema.Draft202012Validator(s, resolver=resolver)


def _leaves(e):
    """The innermost errors under E (a oneOf's own message is the whole document)."""
    if not e.context:
        yield e
    for c in e.context:
        yield from _leaves(c)


def errors(doc, fname):
    """Why DOC does not match schemas/FNAME, deepest first ([] when it does)."""
    leaves = [l for e in validator(fname).iter_errors(doc) for l in _leaves(e)]
    leaves.sort(key=lambda e: -len(e.absolute_path))
    return ["%s at /%s" % (e.message[:300], "/".join(map(str, e.absolute_path))) for e in leaves]


def assert_valid(doc, fname, what):
    errs = errors(doc, fname)
    assert not errs, "%s does not match schemas/%s:\n  %s" % (what, fname, "\n  ".join(errs[:10]))


def assert_view(doc, what):
    key = (doc.get("schema"), doc.get("version"))
    assert key in FILES, "%s: no schema file for %r" % (what, key)
    assert_valid(doc, FILES[key], what)


def test_schema_files_are_valid_draft_2020_12():
    assert set(STORE) == set(FILES.values()) | {CHECK_FILE}, sorted(STORE)
    for name, s in STORE.items():
        assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema", name
        assert s["$id"].endswith("/" + name), name
        jsonschema.Draft202012Validator.check_schema(s)


# ---- every view on every lockdep fixture this crash opens --------------------

@pytest.fixture(scope="module")
def views(dump_any_lockdep):
    dump = dump_any_lockdep
    locks = dump.expected["locks"]
    cached = [l for l in locks if l["slot"] is not None]
    uncached = [l for l in locks if l["slot"] is None]
    cmds = ["extend %s" % EXT, "lockalias -j", "lockalias -j -v", "lockalias -j -C", "lockalias -j -t",
            "lockalias -j -t %s" % NO_SUCH_PID, "lockalias -j -l", "lockalias -j jiffies",
            "lockalias -j 0x1234"]
    cmds += ["lockalias -j %s" % l["map"] for l in cached[:2] + uncached[:2]]
    cmds += ["lockalias -j %s" % l["lock"] for l in cached[:1]]
    cmds += ["lockalias -j %s" % cached[0]["class"]]
    out = open_or_skip(dump, cmds)
    return dump, {c: out[c] for c in cmds if c.startswith("lockalias")}


def test_every_view_matches_its_schema(views):
    dump, out = views
    seen = set()
    for cmd, text in out.items():
        found = docs(text)
        assert found, "%s on %s printed no JSON:\n%s" % (cmd, dump.name, text[-2000:])
        for doc in found:
            assert_view(doc, "%s on %s" % (cmd, dump.name))
            seen.add((doc["schema"], "error" if doc.get("error") else "report"))
    assert {(s, "report") for s, _ in FILES} <= seen, seen
    # -t with a PID no task has: the held view's own "error" field
    (held,) = docs(out["lockalias -j -t %s" % NO_SUCH_PID])
    assert held["schema"] == "lockalias-held" and held["error"] and held["tasks"] == []


def test_explain_kinds_are_all_covered(views):
    dump, out = views
    kinds = {d["kind"] for t in out.values() for d in docs(t) if d["schema"] == "lockalias-explain"}
    assert {"map", "not-a-lock"} <= kinds, kinds
    if any(l["slot"] is None for l in dump.expected["locks"]):
        assert "uncached-map" in kinds, kinds


def test_filtered_dump_scan_with_unreadable_ranges(dump_lockdep_d31):
    cmds = ["extend %s" % EXT, "lockalias -j -v", "lockalias -j -C"]
    out = dump_lockdep_d31.crash(cmds)
    (scan,) = docs(out["lockalias -j -v"])
    assert scan["unreadable_ranges"], "the -d 31 dump should have excluded pages"
    assert_view(scan, "lockalias -j -v on " + dump_lockdep_d31.name)
    (classes,) = docs(out["lockalias -j -C"])
    assert_view(classes, "lockalias -j -C on " + dump_lockdep_d31.name)


def test_every_error_form_matches_its_schema(dump_nolockdep):
    cmds = ["extend %s" % EXT, "lockalias -j", "lockalias -j -C", "lockalias -j -t", "lockalias -j -l",
            "lockalias -j jiffies"]
    out = dump_nolockdep.crash(cmds)
    seen = set()
    for cmd in cmds[1:]:
        (doc,) = docs(out[cmd])
        assert set(doc) == {"schema", "version", "error"} and doc["error"], (cmd, doc)
        assert_view(doc, "%s on %s" % (cmd, dump_nolockdep.name))
        seen.add(doc["schema"])
    assert seen == {s for s, _ in FILES}, seen


# ---- lockalias-check --json ------------------------------------------------------

def test_lockalias_check_output_matches_its_schema(unpacked, tmp_path):
    u = unpacked
    missing = tmp_path / "no-such-vmcore"
    code, out, err = run_check("--json", "--extension", EXT,
                               u / "lockdep/vmlinux", u / "lockdep/vmcore", u / "lockdep/vmcore-d31.kdump",
                               u / "nolockdep/vmlinux", u / "nolockdep/vmcore", u / "lockdep/vmcore", missing)
    assert code == 2, (code, out, err)
    results = json_lines(out)
    assert len(results) == 5, out
    for doc in results:
        assert_valid(doc, CHECK_FILE, "lockalias-check --json on %s" % doc["check"]["dump"])
    status = [d["check"]["status"] for d in results]
    # lockdep's two dumps report; nolockdep's is lockalias's error form; a
    # vmlinux that does not match and a missing file are the checker's own
    assert status[:2] == ["found", "found"] and status[2:] == ["error"] * 3, status
    # and each check document without its "check" is a lockalias-scan one
    for doc in results:
        bare = {k: v for k, v in doc.items() if k != "check"}
        assert_valid(bare, FILES[("lockalias-scan", 2)], "lockalias-check's scan part")


# ---- the schemas catch drift -------------------------------------------------------

@pytest.fixture(scope="module")
def lockdep_docs(dump_lockdep):
    cmds = ["extend %s" % EXT, "lockalias -j", "lockalias -j -t", "lockalias -j -l", "lockalias -j -C"]
    cmds += ["lockalias -j %s" % l["map"] for l in dump_lockdep.expected["locks"] if l["slot"] is not None][:1]
    out = dump_lockdep.crash(cmds)
    return {d["schema"]: d for c in cmds[1:] for d in docs(out[c])}


def _mutations(doc):
    """(what, mutated copy) pairs that a strict schema must reject."""
    yield "an unknown top-level key", dict(doc, unexpected=1)
    yield "a wrong version", dict(doc, version=doc["version"] + 1)
    yield "a missing field", {k: v for k, v in doc.items() if k not in ("problems", "tasks_checked", "reports",
                                                                       "slots", "classes_in_use")}
    if doc["schema"] == "lockalias-scan":
        d = copy.deepcopy(doc)
        cls = next(c for c in d["classes"] if c["aliases"])
        cls["aliases"][0]["severity"] = "dangerous"
        yield "an unknown severity", d
        d = copy.deepcopy(doc)
        next(c for c in d["classes"] if c["aliases"])["aliases"][0]["where"]["extra"] = ""
        yield "an unknown key in a map's where", d
        d = copy.deepcopy(doc)
        d["classes"][0]["address"] = "ffff888000000000"
        yield "an address without 0x and 16 digits", d
        yield "a dump_source of the wrong shape", dict(doc, dump_source={"used": "elf", "refused": ["kdump"]})
    if doc["schema"] == "lockalias-held":
        d = copy.deepcopy(doc)
        d["tasks"][0]["locks"][0]["alias"] = "no"
        yield "a string for a boolean", d
    if doc["schema"] == "lockalias-log":
        d = copy.deepcopy(doc)
        d["reports"][0]["kind"] = "deadlock"
        yield "an unknown report kind", d
    if doc["schema"] == "lockalias-classes":
        d = copy.deepcopy(doc)
        d["classes"][0]["defect"] = "none"
        yield "defect 'none' (the writer prints null)", d


def test_schemas_reject_drift(lockdep_docs):
    assert set(lockdep_docs) == {s for s, _ in FILES}, set(lockdep_docs)
    for schema, doc in lockdep_docs.items():
        fname = FILES[(schema, doc["version"])]
        assert_valid(doc, fname, schema)
        for what, bad in _mutations(doc):
            assert not validator(fname).is_valid(bad), "schemas/%s accepts %s" % (fname, what)


def test_scan_schema_takes_the_dump_source_object(lockdep_docs):
    """The real scan says how it read memory; the schema holds it to the
    names of src/dump/dump_source.cpp."""
    doc = lockdep_docs["lockalias-scan"]
    assert doc["dump_source"]["used"] == "elf-in-place", doc["dump_source"]
    assert_valid(doc, FILES[("lockalias-scan", 2)], "the scan's dump_source")
    bad = copy.deepcopy(doc)
    bad["dump_source"]["refused"].append({"source": "kdump-in-place", "reason": "other format", "detail": ""})
    assert not validator(FILES[("lockalias-scan", 2)]).is_valid(bad), "an unknown refusal reason is accepted"
    checked = dict(doc, check={"dump": "vmcore", "vmlinux": "vmlinux", "release": "6.1.0", "status": "found",
                               "reason": None, "engine": "crash", "engine_note": "drgn: cannot open it"})
    assert_valid(checked, CHECK_FILE, "a checker document with dump_source")
    assert not validator(CHECK_FILE).is_valid(dict(checked, unexpected=1)), "the checker's schema accepts an unknown key"