"""lockalias-check, the kdump post-mortem script, its systemd units and
`make install`, on the fixture dumps. Expected counts come from the
fixtures' expected.json (what their kernels printed)."""
import json
import os
import shutil
import subprocess
import sys

import pytest

import dump_surgery as surgery
from conftest import REPO, UNPACKED, MiB, crash_batch, json_lines, run_check

POSTMORTEM = REPO / "extension" / "lockalias-postmortem"


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


FAKE_CRASH = """#!/bin/sh
echo '{"schema":"lockalias-scan","version":1,"error":null,"classes":[],"summary":{"bytes_scanned":1,"pages_scanned":1,"pages_unreadable":0,"maps_found":3,"classes_in_use":2,"classes_unreadable":0,"aliases":{"wait":0,"name":%d,"stale":0,"unreadable":0},"seconds":0.1,"interrupted":false},"unreadable_ranges":[],"problems":[]}'
"""


@pytest.mark.parametrize("names,fail_on,expect", [(0, "wait", 0), (2, "wait", 0), (2, "name", 1)])
def test_fail_on_threshold(tmp_path, unpacked, names, fail_on, expect):
    fake = tmp_path / "crash"
    fake.write_text(FAKE_CRASH % names)
    fake.chmod(0o755)
    code, out, _ = run_check("--crash", fake, "--fail-on", fail_on, unpacked / "lockdep/vmlinux", unpacked / "lockdep/vmcore")
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
    code, out, _ = run_check("--crash", fake, "--fail-on", fail_on, unpacked / "lockdep/vmlinux", unpacked / "lockdep/vmcore")
    assert code == expect, out
    assert "%d latent; %d corrupt" % (latent, corrupt) in out


def test_postmortem_writes_reports_once(tmp_path, unpacked):
    release = json.load(open(unpacked / "lockdep/expected.json"))["release"]
    debug = tmp_path / "debug"
    (debug / "boot").mkdir(parents=True)
    os.symlink(unpacked / "lockdep/vmlinux", debug / "boot" / ("vmlinux-" + release))
    crash_dir = tmp_path / "var-crash"
    stamp = crash_dir / "202611271200"
    stamp.mkdir(parents=True)
    shutil.copyfile(unpacked / "lockdep/vmcore-d31.kdump", stamp / "dump.202611271200")
    (stamp / "dmesg.202611271200").write_text("")
    env = dict(os.environ, LOCKALIAS_CHECK_ARGS="--debug-root %s" % debug)
    p = subprocess.run(["sh", str(POSTMORTEM), str(crash_dir)], env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    report = json.loads((stamp / "lockalias.json").read_text())
    assert report["check"]["status"] == "found"
    assert "FOUND" in (stamp / "lockalias.txt").read_text()
    first = (stamp / "lockalias.json").stat().st_mtime_ns
    p = subprocess.run(["sh", str(POSTMORTEM), str(crash_dir)], env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0 and p.stdout == ""  # nothing redone
    assert (stamp / "lockalias.json").stat().st_mtime_ns == first


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
    # installed checker runs
    code, out, _ = run_check("--help")
    assert code == 0
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
