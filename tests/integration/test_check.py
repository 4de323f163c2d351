"""lockalias-check, the kdump post-mortem script, its systemd units and
`make install`, on the fixture dumps. Expected counts come from the
fixtures' expected.json (what their kernels printed)."""
import json
import os
import re
import shutil
import struct
import subprocess

import pytest

import dump_surgery as surgery
from conftest import (ALIAS_SEVERITY, CRASH, EXT, REPO, UNPACKED, MiB, crash_batch, crash_sections, effective_wait,
                      gt_locks, json_lines, run_check)

POSTMORTEM = REPO / "extension" / "lockalias-postmortem"


class CountingCrash:
    """A crash wrapper (for --crash) that counts its starts, then runs the
    crash under test (CRASH)."""
    def __init__(self, tmp_path):
        self.log = tmp_path / "crash-starts"
        self.path = tmp_path / "counting-crash"
        real = shutil.which(CRASH) or CRASH
        self.path.write_text('#!/bin/sh\necho "$@" >> "%s"\nexec "%s" "$@"\n' % (self.log, real))
        self.path.chmod(0o755)

    def starts(self):
        return self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture
def counting_crash(tmp_path):
    return CountingCrash(tmp_path)


def gt_counts(variant):
    exp = json.load(open(UNPACKED / variant / "expected.json"))
    v = exp["counts"]["by_verdict"]
    return v.get("alias-wait", 0), v.get("alias-name", 0)


def test_all_fixtures_at_once_in_parallel(unpacked):
    u = unpacked
    code, out, err = run_check("--json", "--jobs", "2",
                           u / "lockdep/vmlinux", u / "lockdep/vmcore", u / "lockdep/vmcore-d31.kdump",
                           u / "lockstat/vmlinux", u / "lockstat/vmcore",
                           u / "nolockdep/vmlinux", u / "nolockdep/vmcore")
    assert code == 2, (out, err)  # the no-lockdep dump cannot be checked
    by_dump = {os.path.relpath(d["check"]["dump"], u): d for d in json_lines(out)}
    assert set(by_dump) == {"lockdep/vmcore", "lockdep/vmcore-d31.kdump", "lockstat/vmcore", "nolockdep/vmcore"}
    for name in ("lockdep/vmcore", "lockstat/vmcore", "lockdep/vmcore-d31.kdump"):
        d = by_dump[name]
        assert d["schema"] == "lockalias-scan" and d["version"] == 2
        assert d["check"]["status"] == "found"
        wait, named = gt_counts(name.split("/")[0])
        assert d["summary"]["aliases"]["wait"] == wait, name
        assert d["summary"]["aliases"]["name"] == named, name
        assert d["check"]["release"] == json.load(open(u / name.split("/")[0] / "expected.json"))["release"]
    assert by_dump["lockdep/vmcore-d31.kdump"]["summary"]["pages_unreadable"] > 0
    nl = by_dump["nolockdep/vmcore"]
    assert nl["check"]["status"] == "error"
    assert "without CONFIG_LOCKDEP" in nl["check"]["reason"]


def test_text_lines_and_found_exit_code(unpacked):
    code, out, _ = run_check(unpacked / "lockdep/vmlinux", unpacked / "lockdep/vmcore")
    assert code == 1
    wait, named = gt_counts("lockdep")
    assert out.strip() == out.strip().splitlines()[0]
    assert ": FOUND %d wait, %d name" % (wait, named) in out


def test_truncated_dump_and_wrong_vmlinux_give_2_with_reasons(tmp_path, unpacked):
    cut = surgery.copy(unpacked / "lockdep/vmcore", tmp_path / "cut.vmcore")
    surgery.truncate(cut, 20 * MiB)
    code, out, _ = run_check("--json", unpacked / "lockdep/vmlinux", cut, unpacked / "lockdep/vmcore",
                         unpacked / "nolockdep/vmlinux", unpacked / "lockstat/vmcore")
    assert code == 2
    d = {os.path.basename(x["check"]["dump"]) if "cut" in x["check"]["dump"] else
         os.path.relpath(x["check"]["dump"], unpacked): x for x in json_lines(out)}
    assert "truncated" in d["cut.vmcore"]["check"]["reason"]
    assert "does not match" in d["lockstat/vmcore"]["check"]["reason"]
    assert d["lockdep/vmcore"]["check"]["status"] == "found"  # the others still report


def test_vmlinux_is_found_from_vmcoreinfo_or_named(tmp_path, unpacked):
    release = json.load(open(unpacked / "lockdep/expected.json"))["release"]
    code, out, _ = run_check("--debug-root", tmp_path, unpacked / "lockdep/vmcore")
    assert code == 2 and "no vmlinux for %s" % release in out and "install" in out
    (tmp_path / "boot").mkdir()
    os.symlink(unpacked / "lockdep/vmlinux", tmp_path / "boot" / ("vmlinux-" + release))
    code, out, _ = run_check("--debug-root", tmp_path, unpacked / "lockdep/vmcore", unpacked / "lockdep/vmcore-d31.kdump")
    assert code == 1, out
    assert out.count("FOUND") == 2


def flatten(src, dst, record=1 << 20):
    """makedumpfile -F's flattened form of a kdump-compressed file: a 4096-byte
    makedumpfile_header (signature, type 1, version 1, big-endian), records of
    (offset, size) + data, and an end record (-1, -1). What Debian 13's
    kdump-tools always writes."""
    with open(src, "rb") as i, open(dst, "wb") as o:
        o.write(struct.pack(">16sqq", b"makedumpfile", 1, 1).ljust(4096, b"\0"))
        offset = 0
        while True:
            data = i.read(record)
            if not data:
                break
            o.write(struct.pack(">qq", offset, len(data)) + data)
            offset += len(data)
        o.write(struct.pack(">qq", -1, -1))


def test_a_flattened_dump_names_its_release_too(tmp_path, unpacked):
    """kdump-tools on Debian 13 saves dump.STAMP flattened: the checker must
    find its vmlinux by release as for any other kdump (it said "no VMCOREINFO
    release" for every such dump before)."""
    release = json.load(open(unpacked / "lockdep/expected.json"))["release"]
    flat = tmp_path / "dump.202612071200"
    flatten(unpacked / "lockdep/vmcore-d31.kdump", flat)
    (tmp_path / "boot").mkdir()
    os.symlink(unpacked / "lockdep/vmlinux", tmp_path / "boot" / ("vmlinux-" + release))
    code, out, _ = run_check("--engine", "crash", "--debug-root", tmp_path, flat)
    assert code == 1 and "FOUND" in out, out


FAKE_CRASH = """#!/bin/sh
echo '{"schema":"lockalias-scan","version":1,"error":null,"classes":[],"summary":{"bytes_scanned":1,"pages_scanned":1,"pages_unreadable":0,"maps_found":3,"classes_in_use":2,"classes_unreadable":0,"aliases":{"wait":0,"name":%d,"stale":0,"unreadable":0},"seconds":0.1,"interrupted":false},"unreadable_ranges":[],"problems":[]}'
"""


@pytest.mark.parametrize("names,fail_on,expect", [(0, "wait", 0), (2, "wait", 0), (2, "name", 1)])
def test_fail_on_threshold(tmp_path, unpacked, names, fail_on, expect):
    fake = tmp_path / "crash"
    fake.write_text(FAKE_CRASH % names)
    fake.chmod(0o755)
    code, out, _ = run_check("--engine", "crash", "--crash", fake, "--fail-on", fail_on, unpacked / "lockdep/vmlinux", unpacked / "lockdep/vmcore")
    assert code == expect, out
    assert ("CLEAN" if expect == 0 else "FOUND") in out


FAKE_CRASH_V2 = """#!/bin/sh
echo '{"schema":"lockalias-scan","version":2,"severity_order":["clean","unreadable","stale","corrupt","suspect","latent","name","wait"],"error":null,"classes":[],"latent":[],"untracked":[],"summary":{"bytes_scanned":1,"pages_scanned":1,"pages_unreadable":0,"maps_found":3,"classes_in_use":2,"classes_unreadable":0,"aliases":{"wait":0,"name":0,"stale":0,"unreadable":0,"corrupt":%d,"suspect":0,"latent":%d},"untracked":0,"classes_corrupt":%d,"seconds":0.1,"interrupted":false},"unreadable_ranges":[],"problems":[]}'
"""


@pytest.mark.parametrize("corrupt,latent,fail_on,expect", [
    (0, 2, "wait", 0), (0, 2, "latent", 1), (0, 2, "name", 0),
    (1, 0, "latent", 0), (1, 0, "corrupt", 1), (1, 0, "stale", 1)])
def test_fail_on_latent_and_corrupt_are_their_own_levels(tmp_path, unpacked, corrupt, latent, fail_on, expect):
    fake = tmp_path / "crash"
    fake.write_text(FAKE_CRASH_V2 % (corrupt, latent, corrupt))
    fake.chmod(0o755)
    code, out, _ = run_check("--engine", "crash", "--crash", fake, "--fail-on", fail_on, unpacked / "lockdep/vmlinux", unpacked / "lockdep/vmcore")
    assert code == expect, out
    assert "%d latent; %d corrupt" % (latent, corrupt) in out


def test_postmortem_writes_reports_once_with_one_crash_start_per_dump(tmp_path, unpacked, counting_crash):
    release = json.load(open(unpacked / "lockdep/expected.json"))["release"]
    debug = tmp_path / "debug"
    (debug / "boot").mkdir(parents=True)
    os.symlink(unpacked / "lockdep/vmlinux", debug / "boot" / ("vmlinux-" + release))
    crash_dir = tmp_path / "var-crash"
    stamps = [crash_dir / s for s in ("202611271200", "202611271300")]
    for stamp in stamps:
        stamp.mkdir(parents=True)
        shutil.copyfile(unpacked / "lockdep/vmcore-d31.kdump", stamp / ("dump." + stamp.name))
        (stamp / ("dmesg." + stamp.name)).write_text("")
    env = dict(os.environ, LOCKALIAS_CHECK_ARGS="--engine crash --debug-root %s --crash %s --extension %s" % (
        debug, counting_crash.path, EXT))
    p = subprocess.run(["sh", str(POSTMORTEM), str(crash_dir)], env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    started = counting_crash.starts()
    assert len(started) == len(stamps), started  # one crash session per dump: JSON and text from one scan
    for stamp in stamps:
        assert sum(str(stamp) in s for s in started) == 1, started
        report = json.loads((stamp / "lockalias.json").read_text())
        assert report["check"]["status"] == "found"
        text = (stamp / "lockalias.txt").read_text()
        first_line = text.splitlines()[0]
        assert first_line.startswith("%s: FOUND %d wait, %d name, " % ((stamp / ("dump." + stamp.name),)
                                                                      + gt_counts("lockdep"))), first_line
        assert first_line.endswith("PARTIAL: %d pages unreadable" % report["summary"]["pages_unreadable"])
        # the full report, from the same scan as the JSON
        assert "ALIASED LOCKS (validated as this class):" in text and "LATENT ALIASES:" in text
        assert "WARNING: %d pages could not be read" % report["summary"]["pages_unreadable"] in text
        assert "lockalias: memory: " in text
        assert " (%s)" % report["dump_source"]["used"] in text
        assert text.rstrip().splitlines()[-1].startswith("lockalias: scanned ")
        assert "lockalias-postmortem: %s: exit 1 (%s)" % (stamp / ("dump." + stamp.name),
                                                            text.splitlines()[0]) in p.stdout
    first = (stamps[0] / "lockalias.json").stat().st_mtime_ns
    p = subprocess.run(["sh", str(POSTMORTEM), str(crash_dir)], env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0 and p.stdout == ""  # nothing redone
    assert (stamps[0] / "lockalias.json").stat().st_mtime_ns == first
    assert len(counting_crash.starts()) == len(stamps)


# ---- the text report, from the scan JSON, in the same crash session -------------

def class_blocks(text):
    """The text report's CLASS blocks: [(section, header line, [lines])],
    section 'current' or 'latent'."""
    blocks, section = [], "current"
    for line in text.splitlines():
        if line.startswith("LATENT ALIASES:"):
            section = "latent"
        if line.startswith("CLASS "):
            blocks.append((section, line, []))
        elif blocks and line.startswith("  "):
            blocks[-1][2].append(line)
    return blocks


def map_entry(lines, address):
    """A lock's three lines in a class block: head, 'in ...', consequence."""
    for i, line in enumerate(lines):
        if line.startswith("    %x  " % address):
            return lines[i:i + 3]
    return None


def test_one_crash_start_gives_json_and_a_text_report_with_every_alias_the_kernel_printed(
        tmp_path, dump_lockdep, counting_crash):
    dump = dump_lockdep
    text_file = tmp_path / "report.txt"
    code, out, err = run_check("--json", "--text-report", text_file, "--engine", "crash", "--crash", counting_crash.path,
                               "--extension", EXT, dump.vmlinux, dump.vmcore)
    assert code == 1, (out, err)
    assert len(counting_crash.starts()) == 1, counting_crash.starts()
    (doc,) = json_lines(out)
    text = text_file.read_text()
    blocks = class_blocks(text)
    json_maps = {int(m["address"], 16): m for c in doc["classes"] for m in c["aliases"]}
    gts = gt_locks(dump, ALIAS_SEVERITY)
    assert gts
    for gt in gts:
        addr, cls = int(gt["map"], 16), int(gt["class"], 16)
        found = [(h, map_entry(lines, addr)) for section, h, lines in blocks
                 if section == "current" and h.startswith("CLASS %x  " % cls) and map_entry(lines, addr)]
        assert len(found) == 1, (gt, text)
        header, (head, where, consequence) = found[0]
        assert header.startswith('CLASS %x  "%s' % (cls, gt["class_name"])), header
        severity = ALIAS_SEVERITY[gt["verdict"]]
        assert head.split()[1:4] == [severity, "slot", str(gt["slot"])], head
        assert "wait {%d:%d} as {%d:%d}" % (*effective_wait(gt["map_wait"]), *effective_wait(gt["class_wait"])) in head
        assert head.endswith('"%s"' % gt["map_name"]), head
        m = json_maps[addr]
        assert where.strip() == "in " + m["where"]["text"]
        assert consequence.strip() == m["consequence"]
        assert ("Invalid wait context" if severity == "wait" else '"%s"' % gt["class_name"]) in consequence
    # latent aliases, the memory source and the summary, as in the JSON
    latent = [m for c in doc["latent"] for m in c["aliases"]]
    assert len(latent) == doc["summary"]["aliases"]["latent"] > 0
    # alike locks are folded into their first one and a count (-v lists every one)
    listed, folded = 0, 0
    for m in latent:
        entries = [map_entry(lines, int(m["address"], 16)) for section, _h, lines in blocks
                   if section == "latent" and map_entry(lines, int(m["address"], 16))]
        for entry in entries:
            assert entry[0].split()[1:3] == ["latent", m["when_taken"]] and entry[2].strip() == m["consequence"]
        listed += len(entries)
    for section, _h, lines in blocks:
        for line in lines:
            more = re.search(r"^        \(\+(\d+) more like it in ", line)
            folded += int(more.group(1)) if more and section == "latent" else 0
    assert listed + folded == len(latent), text
    assert "lockalias: memory: " in text and "(%s)" % doc["dump_source"]["used"] in text
    a = doc["summary"]["aliases"]
    assert "aliases: %d wait, %d name, %d stale, %d unreadable; %d corrupt, %d suspect; latent: %d;" % (
        a["wait"], a["name"], a["stale"], a["unreadable"], a["corrupt"], a["suspect"], a["latent"]) in text


SECONDS = re.compile(r"; [0-9.]+ s$", re.M)


def test_text_report_reads_as_lockaliass_own(tmp_path, dump_lockdep):
    """The report the checker makes from `lockalias -j` is the one lockalias
    prints itself (but for the scan's seconds)."""
    dump = dump_lockdep
    code, out, _ = run_check("--text-report", "-", "--extension", EXT, dump.vmlinux, dump.vmcore)
    assert code == 1
    first, blank, *ours = out.splitlines()
    assert ": FOUND " in first and blank == ""
    own = crash_sections(dump.vmlinux, dump.vmcore, ["extend %s" % EXT, "lockalias"])["lockalias"]
    assert SECONDS.sub("", "\n".join(ours).strip()) == SECONDS.sub("", own.strip())


FAKE_CRASH_DOC = """#!/bin/sh
echo 'WARNING: kernel version inconsistency between vmlinux and dumpfile'
cat '%s'
printf 'CLASS ffffffff81f00000  "bad"\\n  CORRUPT record (wait-type)\\n\\nlockalias: scanned 1.0 MiB\\n'
"""


def test_text_report_is_lockaliass_own_after_the_json(tmp_path, unpacked):
    """The checker renders nothing itself: the report is what `lockalias -j
    -T` printed after its JSON document, crash's own noise before it left out."""
    doc = json.loads(FAKE_CRASH_V2.splitlines()[1][len("echo '"):-1] % (1, 0, 1))
    (tmp_path / "doc.json").write_text(json.dumps(doc) + "\n")
    fake = tmp_path / "crash"
    fake.write_text(FAKE_CRASH_DOC % (tmp_path / "doc.json"))
    fake.chmod(0o755)
    code, out, _ = run_check("--engine", "crash", "--crash", fake, "--fail-on", "stale", "--text-report", "-",
                             unpacked / "lockdep/vmlinux", unpacked / "lockdep/vmcore")
    assert code == 1, out
    first, blank, *report = out.splitlines()
    assert ": FOUND " in first and blank == "", out
    assert report == ['CLASS ffffffff81f00000  "bad"', "  CORRUPT record (wait-type)", "",
                      "lockalias: scanned 1.0 MiB"], out


def test_make_install_and_units(tmp_path, unpacked):
    dest = tmp_path / "dest"
    subprocess.run(["make", "-s", "-C", str(REPO), "install", "DESTDIR=%s" % dest], check=True)
    ext_dir = dest / "usr/lib/crash/extensions"
    assert (ext_dir / "lockalias.so").exists()
    # crash finds it by name through its extension search path
    env_before = os.environ.get("CRASH_EXTENSIONS")
    os.environ["CRASH_EXTENSIONS"] = str(ext_dir)
    try:
        out = crash_batch(unpacked / "lockdep/vmlinux", unpacked / "lockdep/vmcore", ["extend lockalias.so", "lockalias -C"])
    finally:
        if env_before is None:
            del os.environ["CRASH_EXTENSIONS"]
        else:
            os.environ["CRASH_EXTENSIONS"] = env_before
    assert "lockalias.so: shared object loaded" in out and "classes in use shown" in out
    # the installed package says the release's version (make install writes it)
    v = re.match(r"lockalias \(([^)]+)\)", (REPO / "debian" / "changelog").read_text()).group(1)
    p = subprocess.run([str(dest / "usr/local/bin/lockalias-check"), "--version"], capture_output=True, text=True)
    assert p.stdout.strip() == "lockalias-check " + v, p.stdout + p.stderr
    assert (dest / "usr/local/lib/lockalias/python/lockalias/_version.py").read_text().startswith('VERSION = "%s"' % v)
    # the installed checker finds its package beside it (PYTHONPATH unset, run
    # outside the tree) and checks a dump with either engine
    check = dest / "usr/local/bin/lockalias-check"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for engine in ("crash", "drgn"):
        p = subprocess.run([str(check), "--json", "--engine", engine, "--extension", str(ext_dir / "lockalias.so"),
                            str(unpacked / "lockdep/vmlinux"), str(unpacked / "lockdep/vmcore-d31.kdump")],
                           capture_output=True, text=True, timeout=600, env=env, cwd=str(tmp_path))
        assert p.returncode == 1, (engine, p.stdout[-2000:], p.stderr)
        doc = json.loads(p.stdout)
        assert doc["check"]["engine"] == engine and doc["check"]["status"] == "found", doc["check"]
        assert doc["summary"]["aliases"]["wait"] == gt_counts("lockdep")[0]
    # the installed lockalias-drgn finds its package beside it, and reads a dump
    drgn = dest / "usr/local/bin/lockalias-drgn"
    p = subprocess.run([str(drgn), str(unpacked / "lockdep/vmlinux"), str(unpacked / "lockdep/vmcore-d31.kdump"),
                        "-C"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and "classes in use shown" in p.stdout, p.stderr
    # units: point ExecStart at the installed script, then systemd-analyze verify
    units = tmp_path / "units"
    units.mkdir()
    for name in ("lockalias-postmortem.service", "lockalias-postmortem.path"):
        text = (dest / "lib/systemd/system" / name).read_text()
        text = text.replace("ExecStart=/usr/local/lib", "ExecStart=%s/usr/local/lib" % dest)
        (units / name).write_text(text)
    p = subprocess.run(["systemd-analyze", "verify", str(units / "lockalias-postmortem.service"),
                        str(units / "lockalias-postmortem.path")], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    # the service is locked down: systemd's own exposure score stays "OK" or
    # better (9.6 UNSAFE before its sandboxing lines; 1.0 with them, systemd 252)
    p = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                        str(units / "lockalias-postmortem.service")], capture_output=True, text=True)
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+) (\w+)", p.stdout)
    assert m and float(m.group(1)) <= 2.0, p.stdout[-1500:] + p.stderr


def test_checker_needs_neither_drgn_nor_the_core():
    """--engine crash must work where python3-drgn and the compiled core are
    not installed: importing the checker loads neither."""
    code = ("import sys; sys.path.insert(0, %r); import lockalias.check; "
            "bad = [m for m in ('drgn', 'lockalias._core', 'lockalias.api') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)" % str(REPO / "python"))
    p = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_text_report_is_the_crash_commands_own_text(dump_lockdep_d31):
    """--text-report holds lockalias's own text report, byte for byte as the
    crash command prints it (one renderer, in the core), but for the scan's
    seconds, which no two runs share."""
    d = dump_lockdep_d31
    crash_text = d.crash(["extend %s" % EXT, "lockalias"])["lockalias"]
    code, out, err = run_check("--engine", "crash", "--text-report", "-", *d.crash_args and
                               ["--crash-args", " ".join(d.crash_args)], d.vmlinux, d.vmcore)
    assert code == 1, err
    line, blank, report = out.split("\n", 2)
    assert line.startswith(str(d.vmcore) + ": FOUND") and blank == ""
    seconds = re.compile(r"; \d+\.\d\d s$", re.M)
    assert seconds.search(crash_text) and seconds.search(report)
    assert seconds.sub("; S s", report.rstrip("\n")) == seconds.sub("; S s", crash_text.rstrip("\n"))
