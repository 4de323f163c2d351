"""lockalias-check: run lockalias on many vmcores without opening crash by
hand; one line (or one JSON document) per dump and an exit code for
pipelines.  Each dump costs one session, of crash or of drgn: one
`lockalias -j -T` scan, from which the one-line summary, the JSON document
and the full text report (--text-report) are all made.

  lockalias-check [options] [VMLINUX] VMCORE... [VMLINUX VMCORE...]...

--engine picks what reads each dump: crash with lockalias.so, or drgn with
the lockalias Python package (python/lockalias). The default, auto, takes
drgn, which starts in well under a second where crash takes seconds, and
falls back to crash for a dump drgn cannot read (drgn 0.0.22 does not open
flattened kdumps); the JSON's check.engine says which.

Exit: 0 no dump has aliases at or above --fail-on; 1 some dump has; 2 some
dump could not be checked (unreadable, no lockdep, vmlinux mismatch, no
vmlinux found). Exit 2 wins over 1; every dump is reported either way.
Without VMLINUX, each dump's release is read from its header or VMCOREINFO
(dump_identity.py) and its vmlinux looked up in /usr/lib/debug (Debian and
Fedora debug paths).

Stdlib only, with the package's dump_identity: --engine crash works where
neither drgn nor the package's compiled core is installed (the kdump
post-mortem unit on a crash-only machine); the drgn engine runs
`python3 -m lockalias.check_run` in a process of its own."""
import argparse
import concurrent.futures
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

from .dump_identity import file_kind, release_of
from .version import version

# lockalias's own order (the scan JSON's "severity_order", version 2):
# a latent alias is a report still to come; corrupt and suspect classes are
# no alias at all, but each is its own level for --fail-on.
SEVERITY_ORDER = ["clean", "unreadable", "stale", "corrupt", "suspect", "latent", "name", "wait"]
# This package's parent: the PYTHONPATH of the drgn engine's process.
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
# lockalias.so: the source tree's build beside python/, then where crash's
# own extensions are (Debian, Fedora).
DEFAULT_EXTENSIONS = [os.path.join(PACKAGE_PARENT, "..", "extension", "lockalias.so"),
                      "/usr/lib/crash/extensions/lockalias.so", "/usr/lib64/crash/extensions/lockalias.so"]


# ---- which vmlinux ---------------------------------------------------------

def find_vmlinux(release, debug_root):
    for rel in ("boot/vmlinux-%s" % release, "lib/modules/%s/vmlinux" % release):
        p = os.path.join(debug_root, rel)
        if os.path.exists(p):
            return p
    return None


# ---- one dump ----------------------------------------------------------------

def reason_from_crash(out):
    if "do not match" in out:
        return "vmlinux does not match the dump"
    if "may be truncated or incomplete" in out:
        return "dump is truncated or incomplete: crash cannot open it"
    for line in reversed(out.splitlines()):
        if line.startswith("crash:") or line.startswith("lockalias:"):
            return "crash could not check the dump: " + line
    return "crash could not check the dump (no lockalias output)"


# The whole crash session for one dump: one scan gives both the JSON document
# and (-T) lockalias's own text report after it.
CRASH_COMMANDS = "extend %s\nlockalias -j -T\nquit\n"


def split_output(out):
    """(scan JSON line, text report) from `lockalias -j -T` output: the
    report is every line after the JSON document. (None, None) without one."""
    lines = out.splitlines()
    at = next((i for i, l in enumerate(lines) if l.startswith('{"schema"')), None)
    if at is None:
        return None, None
    return lines[at], "\n".join(lines[at + 1:]).strip("\n") + "\n"


def check_one(dump, vmlinux, args):
    res = {"dump": dump, "vmlinux": vmlinux, "status": "error", "reason": None, "doc": None,
           "release": release_of(dump), "text": None, "engine": None, "engine_note": None}
    if not os.path.isfile(dump) or not os.access(dump, os.R_OK):
        res["reason"] = "dump is unreadable"
        return res
    if not file_kind(dump):
        res["reason"] = "not a vmcore (neither ELF core nor kdump-compressed)"
        return res
    if not vmlinux:
        if not res["release"]:
            res["reason"] = "no VMLINUX given and the dump has no VMCOREINFO release"
            return res
        vmlinux = res["vmlinux"] = find_vmlinux(res["release"], args.debug_root)
        if not vmlinux:
            res["reason"] = ("no vmlinux for %s: install its debug package (Debian: linux-image-%s-dbg, "
                             "Fedora: kernel-debuginfo-%s), or pass VMLINUX" % ((res["release"],) * 3))
            return res
    engines = {"crash": [run_crash], "drgn": [run_drgn], "auto": [run_drgn, run_crash]}[args.engine]
    for engine in engines:
        res["engine"] = engine.__name__[len("run_"):]
        doc_line, text, reason = engine(dump, vmlinux, args)
        if doc_line:
            break
        if engine is not engines[-1]:  # auto: say why drgn was not enough
            res["engine_note"] = "%s: %s" % (res["engine"], reason)
    if not doc_line:
        res["reason"] = reason
        return res
    doc = json.loads(doc_line)
    res["doc"] = doc
    res["text"] = text
    if doc.get("error"):
        res["reason"] = doc["error"]
        return res
    aliases = doc["summary"]["aliases"]
    order = doc.get("severity_order", SEVERITY_ORDER)
    rank = {s: i for i, s in enumerate(order)}
    worst = max((rank[s] for s, n in aliases.items() if n and s in rank), default=0)
    res["status"] = "found" if worst >= rank.get(args.fail_on, len(order)) else "clean"
    return res


def run_crash(dump, vmlinux, args):
    """One crash session -> (scan JSON line or None, text report, why not)."""
    if not args.extension:
        return None, None, "lockalias.so not found (use --extension)"
    with tempfile.NamedTemporaryFile("w", suffix=".cmds", delete=False) as f:
        f.write(CRASH_COMMANDS % args.extension)
        cmds = f.name
    try:
        p = subprocess.run([args.crash, "-s", *shlex.split(args.crash_args), vmlinux, dump, "-i", cmds],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           errors="replace", timeout=args.timeout)
        out = p.stdout
    except subprocess.TimeoutExpired:
        return None, None, "crash did not finish within %d s" % args.timeout
    except OSError as e:
        return None, None, "cannot run crash: %s" % e
    finally:
        os.unlink(cmds)
    doc, text = split_output(out)
    if not doc:
        return None, None, reason_from_crash(out)
    return doc, text, None


def run_drgn(dump, vmlinux, args):
    """One drgn process (python3 -m lockalias.check_run) -> as run_crash()."""
    env = dict(os.environ)
    env["PYTHONPATH"] = ":".join(x for x in (args.drgn_path, PACKAGE_PARENT, env.get("PYTHONPATH")) if x)
    try:
        p = subprocess.run(["/usr/bin/python3", "-m", "lockalias.check_run", vmlinux, dump],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           errors="replace", timeout=args.timeout, env=env)
    except subprocess.TimeoutExpired:
        return None, None, "drgn did not finish within %d s" % args.timeout
    except OSError as e:
        return None, None, "cannot run drgn: %s" % e
    doc, text = split_output(p.stdout)
    if p.returncode != 0 or not doc:
        last = (p.stderr.strip().splitlines() or ["no output (exit %d)" % p.returncode])[-1]
        return None, None, "drgn could not check the dump: " + last
    return doc, text, None


def check_one_safely(dump, vmlinux, args):
    """A bug while checking one dump must not hide the others' results."""
    try:
        return check_one(dump, vmlinux, args)
    except Exception as e:  # noqa: BLE001 - reported as this dump's error
        return {"dump": dump, "vmlinux": vmlinux, "status": "error", "doc": None, "release": None, "text": None,
                "engine": None, "engine_note": None,
                "reason": "lockalias-check internal error: %s: %s" % (type(e).__name__, e)}


def line_for(res):
    if res["status"] == "error":
        return "%s: ERROR %s" % (res["dump"], res["reason"])
    s = res["doc"]["summary"]
    a = s["aliases"]
    text = "%s: %s %d wait, %d name, %d stale, %d unreadable aliases; %d latent; %d corrupt, %d suspect; " \
        "%d maps, %d classes" % (
            res["dump"], "FOUND" if res["status"] == "found" else "CLEAN", a["wait"], a["name"], a["stale"],
            a["unreadable"], a.get("latent", 0), a.get("corrupt", 0), a.get("suspect", 0), s["maps_found"],
            s["classes_in_use"])
    if s["pages_unreadable"]:
        text += "; PARTIAL: %d pages unreadable" % s["pages_unreadable"]
    return text


def json_for(res):
    doc = res["doc"] or {"schema": "lockalias-scan", "version": 2, "error": res["reason"]}
    doc = dict(doc)
    doc["check"] = {k: res[k] for k in ("dump", "vmlinux", "release", "status", "reason", "engine", "engine_note")}
    return json.dumps(doc)


def text_report_for(res):
    """The checker's line for the dump, then (when lockalias gave a report)
    lockalias's full text report, from the same scan as the JSON."""
    text = line_for(res) + "\n"
    if res["status"] != "error" and res["text"]:
        text += "\n" + res["text"]
    return text


def main(argv=None):
    ap = argparse.ArgumentParser(prog="lockalias-check", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", metavar="[VMLINUX] VMCORE")
    ap.add_argument("--version", action="version", version="lockalias-check " + version())
    ap.add_argument("--json", action="store_true", help="one JSON document per dump (lockalias-scan schema + 'check')")
    ap.add_argument("--text-report", metavar="FILE",
                    help="also write each dump's full text report (lockalias's report, made from the same "
                         "scan: no second crash run) to FILE, '-' for stdout")
    ap.add_argument("--jobs", "-j", type=int, default=1, help="dumps checked in parallel")
    ap.add_argument("--fail-on", choices=SEVERITY_ORDER[1:][::-1], default="wait",
                    help="lowest severity that makes the exit code 1, in the order %s "
                         "(default: wait)" % " > ".join(SEVERITY_ORDER[1:][::-1]))
    ap.add_argument("--engine", choices=["auto", "crash", "drgn"], default="auto",
                    help="what reads each dump: crash (lockalias.so), drgn (the lockalias Python package), "
                         "or auto: drgn, crash where drgn cannot read the dump (default)")
    ap.add_argument("--drgn-path", default=os.environ.get("LOCKALIAS_DRGN_PATH", ""), metavar="DIR",
                    help="another drgn (its package directory's parent), put first on PYTHONPATH "
                         "(default: $LOCKALIAS_DRGN_PATH; else Debian's python3-drgn)")
    ap.add_argument("--crash", default="crash", help="crash binary")
    ap.add_argument("--crash-args", default=os.environ.get("LOCKALIAS_CRASH_ARGS", ""), metavar="ARGS",
                    help="options for crash (--engine crash, or auto falling back to it), e.g. \"--no_modules\" for Linux 7.2 "
                         "(default: $LOCKALIAS_CRASH_ARGS)")
    ap.add_argument("--extension", default=None, help="lockalias.so to load")
    ap.add_argument("--debug-root", default="/usr/lib/debug", help="where debug vmlinux files live")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per dump")
    args = ap.parse_args(argv)
    if args.json and args.text_report == "-":
        ap.error("--json and --text-report - would both write to stdout")
    search = ([os.path.join(os.environ["CRASH_EXTENSIONS"], "lockalias.so")]
              if os.environ.get("CRASH_EXTENSIONS") else []) + DEFAULT_EXTENSIONS
    args.extension = args.extension or next((p for p in search if os.path.exists(p)), None)
    if not args.extension and args.engine == "crash":
        print("lockalias-check: lockalias.so not found (use --extension)", file=sys.stderr)
        return 2
    # A VMLINUX applies to the dumps after it, up to the next VMLINUX.
    vmlinux, pairs = None, []
    for path in args.files:
        if file_kind(path) == "vmlinux":
            vmlinux = path
        else:
            pairs.append((path, vmlinux))
    if not pairs:
        ap.error("no VMCORE given")
    dumps = [d for d, _ in pairs]

    tty = sys.stderr.isatty()
    started = time.monotonic()
    results = [None] * len(dumps)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(check_one_safely, d, v, args): i for i, (d, v) in enumerate(pairs)}
        for done, fut in enumerate(concurrent.futures.as_completed(futures), 1):
            results[futures[fut]] = fut.result()
            if tty:
                print("\r[%d/%d] %.0f s  %s" % (done, len(dumps), time.monotonic() - started,
                                               os.path.basename(results[futures[fut]]["dump"])),
                      end="", file=sys.stderr, flush=True)
    if tty:
        print(file=sys.stderr)
    if args.text_report != "-":
        for res in results:
            print(json_for(res) if args.json else line_for(res))
    if args.text_report:
        report = "\n".join(text_report_for(res) for res in results)
        try:
            if args.text_report == "-":
                sys.stdout.write(report)
            else:
                with open(args.text_report, "w") as f:
                    f.write(report)
        except OSError as e:
            print("lockalias-check: cannot write the text report: %s" % e, file=sys.stderr)
            return 2
    if any(r["status"] == "error" for r in results):
        return 2
    return 1 if any(r["status"] == "found" for r in results) else 0


def entry():
    """The lockalias-check command (python/bin/lockalias-check)."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    entry()
