"""The docs say what the code does, checked both ways where a machine can:

- every JSON field a doc names (written "JSON `summary.pages_skipped`") is
  a property in schemas/, so the docs cannot promise a key the schemas
  (and through test_schemas.py the real output) do not have;
- every option of `help lockalias` (crash's own help, from the .so under
  test), of `lockalias-check --help` and of `lockalias-drgn --help` is
  written in the docs, so a new option cannot ship undocumented.

The field references are the docs' convention: the word JSON, then the
field in backquotes (a dotted path from a document or an object, e.g.
JSON `dump_source.used`). The JSON field lists themselves live only in
schemas/.
"""
import json
import re
import subprocess

import pytest

from conftest import CHECK, EXT, LOCKALIAS_DRGN, REPO, crash_sections, drgn_env

DOCS = [REPO / "README.md"] + sorted((REPO / "docs").glob("*.md"))
SCHEMAS = sorted((REPO / "schemas").glob("*.json"))
JSON_REF = re.compile(r"\bJSON\s+`([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)`")


def schema_paths():
    """Every property path ("summary.aliases.wait") any schema allows, with
    arrays stepped through and $ref, oneOf/anyOf/allOf followed."""
    paths = set()
    by_id = {}
    for f in SCHEMAS:
        doc = json.loads(f.read_text())
        by_id[doc["$id"]] = doc

    def resolve(node, root):
        """(node, the schema it is in) once every $ref is followed."""
        while isinstance(node, dict) and "$ref" in node:
            uri, _, frag = node["$ref"].partition("#")
            if uri:     # another schema of ours, by its $id
                assert uri in by_id, "$ref to unknown %s" % uri
                root = by_id[uri]
            node = root
            for part in filter(None, frag.split("/")):
                node = node[part]
        return node, root

    def walk(node, root, prefix, seen):
        node, root = resolve(node, root)
        if not isinstance(node, dict) or id(node) in seen:
            return
        seen = seen | {id(node)}
        for key in ("oneOf", "anyOf", "allOf", "prefixItems"):
            for sub in node.get(key, []):
                walk(sub, root, prefix, seen)
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                walk(node[key], root, prefix, seen)
        for name, sub in node.get("properties", {}).items():
            path = prefix + (name,)
            paths.add(".".join(path))
            walk(sub, root, path, seen)

    for doc in by_id.values():
        walk(doc, doc, (), frozenset())
    return paths


def unknown_refs(text, paths):
    """The JSON field references in TEXT that no schema has: a reference
    matches a path equal to it or ending in it (a field of a nested object)."""
    bad = []
    for ref in JSON_REF.findall(text):
        if not any(p == ref or p.endswith("." + ref) for p in paths):
            bad.append(ref)
    return bad


def test_schema_paths_are_read():
    paths = schema_paths()
    # A few fields every release has had, at their depth: the walker follows
    # $ref and arrays, or it would miss these.
    for p in ("summary.pages_skipped", "classes.aliases.where.slab_cache",
              "dump_source.used", "check.engine", "freed_maps", "reports.locks.role"):
        assert p in paths, p


def test_unknown_reference_is_caught():
    paths = schema_paths()
    text = "JSON `summary.pages_skipped` and JSON `summary.no_such_count`; JSON `aliases`"
    assert unknown_refs(text, paths) == ["summary.no_such_count"]


def test_doc_json_fields_exist_in_schemas():
    paths = schema_paths()
    found, bad = 0, []
    for doc in DOCS:
        text = doc.read_text()
        found += len(JSON_REF.findall(text))
        bad += ["%s: JSON `%s`" % (doc.relative_to(REPO), r) for r in unknown_refs(text, paths)]
    assert not bad, "fields the docs name but no schema has:\n" + "\n".join(bad)
    # The convention is in use (a check over no references proves nothing).
    assert found >= 10, found


def docs_text():
    return "\n".join(d.read_text() for d in DOCS)


def documented(option, text):
    """OPTION written in the docs as code: `-c`, `-c ADDR`, `--engine
    auto|crash|drgn`, or in a synopsis ([--crash PATH], |-j N)."""
    return re.search(r"[`\[|]%s(?![\w-])" % re.escape(option), text)


@pytest.fixture(scope="module")
def help_lockalias(dump_lockdep_d31):
    out = crash_sections(dump_lockdep_d31.vmlinux, dump_lockdep_d31.vmcore,
                         ["extend %s" % EXT, "help lockalias"],
                         extra_args=dump_lockdep_d31.crash_args)
    return out["help lockalias"]


def test_help_lockalias_options_in_docs(help_lockalias):
    m = re.search(r"SYNOPSIS\s*\n\s*lockalias (.*)", help_lockalias)
    assert m, help_lockalias[:2000]
    options = set(re.findall(r"(?<![\w-])-[A-Za-z]\b", m.group(1)))
    # each option's paragraph too ("  -c class  only ...")
    options |= set(re.findall(r"^\s*(-[A-Za-z])\b", help_lockalias, re.M))
    assert {"-j", "-v", "-T", "-c", "-n", "-t", "-l", "-C"} <= options, options
    usage = (REPO / "docs" / "usage.md").read_text()
    missing = sorted(o for o in options if not documented(o, usage))
    assert not missing, "help lockalias options not in docs/usage.md: %s" % missing


def argparse_options(help_text):
    """The options argparse lists ("  -d FILE, --debuginfo FILE  more ..."),
    not words of the explanations; -h/--help aside."""
    found = set()
    for line in help_text.splitlines():
        if re.match(r"^  -", line):
            found |= set(re.findall(r"(?<![\w-])(--[a-z][\w-]*|-[A-Za-z])\b", line.strip().split("  ")[0]))
    return found - {"-h", "--help"}


def test_lockalias_check_options_in_docs():
    out = subprocess.run([str(CHECK), "--help"], capture_output=True, text=True, check=True).stdout
    options = argparse_options(out)
    assert {"--engine", "--text-report", "--fail-on", "--timeout"} <= options, options
    doc = (REPO / "docs" / "lockalias-check.md").read_text()
    missing = sorted(o for o in options if not documented(o, doc))
    assert not missing, "lockalias-check options not in docs/lockalias-check.md: %s" % missing


def test_lockalias_drgn_options_in_docs():
    out = subprocess.run([str(LOCKALIAS_DRGN), "--help"], capture_output=True, text=True,
                         env=drgn_env(), check=True).stdout
    options = argparse_options(out)
    assert {"--live", "--vmlinux", "--debug"} <= options, options
    doc = (REPO / "docs" / "drgn.md").read_text()
    missing = sorted(o for o in options if not documented(o, doc))
    assert not missing, "lockalias-drgn options not in docs/drgn.md: %s" % missing


def changelog_version():
    first = (REPO / "debian" / "changelog").read_text().splitlines()[0]
    m = re.match(r"lockalias \(([^)]+)\) ", first)
    assert m, first
    return m.group(1)


def test_one_version_everywhere(help_lockalias):
    """The release's version is said once (debian/changelog); the crash
    command's help, both commands' --version and the package print it."""
    v = changelog_version()
    assert "This is lockalias %s, built against" % v in help_lockalias
    out = subprocess.run([str(CHECK), "--version"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "lockalias-check " + v
    out = subprocess.run([str(LOCKALIAS_DRGN), "--version"], capture_output=True, text=True,
                         env=drgn_env(), check=True).stdout
    assert out.strip() == "lockalias-drgn " + v
    code = "import sys; sys.path.insert(0, %r); import lockalias; print(lockalias.__version__)" % str(REPO / "python")
    out = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == v
