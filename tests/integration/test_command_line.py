"""`lockalias`'s command line inside crash: a usage error prints crash's own
usage line (cmd_usage's "Usage:" + SYNOPSIS) and scans nothing, crash goes
on with the next command, bundled and attached options mean what their
spelled-out forms mean, and no line says "lockalias: lockalias:".
The parser itself is unit-tested in tests/unit/command_line_test.cpp."""
import pytest

from conftest import EXT, docs, gt_locks, one_doc

USAGE_ERRORS = {  # command line -> what lockalias says before the usage line
    "lockalias -Q": "lockalias: invalid option -- 'Q'",
    "lockalias -t -l": "lockalias: -t and -l cannot be combined: one mode per command line",
    "lockalias -C -v": "lockalias: -v does not apply to -C",
    "lockalias -l -n *xmit*": "lockalias: -n does not apply to -l",
    "lockalias -j -c": "lockalias: option requires an argument -- 'c'",
    "lockalias jiffies -C": "lockalias: jiffies (explain) and -C cannot be combined",
    "lockalias --json": "lockalias: unrecognized option '--json'",
}
SAME_SCAN = ["lockalias -jv", "lockalias -vj", "lockalias -j -v"]


def a_class(dump):
    """A lock_class address the fixture kernel printed for an aliased lock."""
    return gt_locks(dump, {"alias-wait"})[0]["class"]


def commands(dump):
    cls = a_class(dump)
    return (["extend %s" % EXT] + list(USAGE_ERRORS) + SAME_SCAN +
            ["lockalias -j -c %s" % cls, "lockalias -jc%s" % cls,
             "lockalias -- zzz_no_such_symbol", "lockalias -j -t 1", "lockalias -jt1"])


@pytest.fixture(scope="module")
def session(dump_lockdep):
    return dump_lockdep, dump_lockdep.crash(commands(dump_lockdep))


def without_timing(doc):
    """The document without its wall-clock seconds (differs run to run)."""
    if isinstance(doc, dict):
        return {k: without_timing(v) for k, v in doc.items() if k != "seconds"}
    if isinstance(doc, list):
        return [without_timing(v) for v in doc]
    return doc


@pytest.mark.parametrize("line", list(USAGE_ERRORS))
def test_usage_error_prints_crash_usage_line_and_scans_nothing(session, line):
    _, out = session
    text = out[line]
    lines = text.splitlines()
    assert USAGE_ERRORS[line] in text, text
    # cmd_usage(..., SYNOPSIS): "Usage:", the command and help_lockalias[2]
    assert "Usage:" in lines, text
    synopsis = lines[lines.index("Usage:") + 1].strip()
    assert synopsis.startswith("lockalias [-jvT] [-c class] [-n pattern] |"), text
    assert 'Enter "help lockalias" for details.' in text
    assert "scanned" not in text, text
    assert not docs(text), text
    # the reason first, then the usage line, and nothing else
    assert lines[0] == USAGE_ERRORS[line] or lines[0].startswith(USAGE_ERRORS[line]), text
    assert len(lines) == 4, text


def test_crash_goes_on_after_a_usage_error(session):
    """cmd_usage() longjmps to crash's command loop: the next command runs
    (crash_sections found every command's output) and scans as usual."""
    _, out = session
    assert "scanned" not in out["lockalias -Q"]
    one_doc(out, "lockalias -jv")


def test_bundled_flags_are_the_spelled_out_ones(session):
    _, out = session
    spelled = without_timing(one_doc(out, "lockalias -j -v"))
    assert spelled["schema"] == "lockalias-scan"
    assert spelled["classes"], "a verbose scan lists classes"
    for line in ("lockalias -jv", "lockalias -vj"):
        assert without_timing(one_doc(out, line)) == spelled, line


def test_attached_operands_are_the_separate_ones(session):
    dump, out = session
    cls = a_class(dump)
    apart = without_timing(one_doc(out, "lockalias -j -c %s" % cls))
    assert apart == without_timing(one_doc(out, "lockalias -jc%s" % cls))
    assert [int(c["address"], 16) for c in apart["classes"]] == [int(cls, 16)]
    held = one_doc(out, "lockalias -j -t 1")
    assert held["schema"] == "lockalias-held" and held == one_doc(out, "lockalias -jt1")


def test_double_dash_ends_the_options(session):
    _, out = session
    text = out["lockalias -- zzz_no_such_symbol"]
    assert "neither an address nor a symbol: zzz_no_such_symbol" in text, text
    assert "Usage:" not in text


def test_no_doubled_command_prefix(session, dump_nolockdep):
    """crash's error() names the command: no message of lockalias's may
    name it again, usage errors, run errors, or a kernel without lockdep."""
    _, out = session
    nolockdep = dump_nolockdep.crash(["extend %s" % EXT, "lockalias", "lockalias -Q"])
    assert "lockalias: this kernel was built without CONFIG_LOCKDEP" in nolockdep["lockalias"]
    texts = list(out.values()) + list(nolockdep.values())
    doubled = [l for t in texts for l in t.splitlines() if "lockalias: lockalias:" in l]
    assert not doubled, doubled
    assert "lockalias: neither an address nor a symbol" in out["lockalias -- zzz_no_such_symbol"]
