"""lockalias-drgn: lockalias on drgn, for dumps crash cannot open and for
the running kernel.

    lockalias-drgn [-d FILE]... VMLINUX VMCORE [LOCKALIAS OPTIONS] [ADDR|SYMBOL...]
    lockalias-drgn --live [-d FILE]... [--vmlinux VMLINUX] [LOCKALIAS OPTIONS] ...

LOCKALIAS OPTIONS are the crash command's (`help lockalias`): -j, -v,
-c CLASS, -n PATTERN, -t [PID|TASK], -l, -C, and addresses or symbols to
explain; output, text and JSON, is the crash command's, word for word.
Exit status: 0 done, 1 the command reported an error, 2 usage or the dump
could not be opened or read (what the command needs first, such as the
direct map, is not in it), 130 interrupted (the partial result is printed).
"""

import argparse
import os
import sys
from typing import List, Optional, Tuple

# argparse prints "usage: " itself before this.
USAGE = """lockalias-drgn [-d FILE]... VMLINUX VMCORE [LOCKALIAS OPTIONS] [ADDR|SYMBOL...]
       lockalias-drgn --live [--vmlinux VMLINUX] [-d FILE]... [LOCKALIAS OPTIONS] [ADDR|SYMBOL...]"""

def _operand_taken(word: str, following: Optional[str]) -> int:
    """1 when the crash command's option WORD ("-c", "-jc", "-t", ...) takes
    FOLLOWING as its operand, so that it is not taken for VMLINUX or VMCORE.
    The core's own parser answers (src/command/command_line.cpp,
    takes_next_word()), with one rule of this front end's: a word after a
    bare -t that is no PID or task address, or that is an existing file, is
    VMLINUX or VMCORE, not -t's optional operand."""
    from . import _core  # (the compiled core: not needed for the rest of the package)
    if not _core.takes_next_word(word, following):
        return 0
    if word.endswith("t") and not (_core.is_task_operand(following) and not os.path.exists(following)):
        return 0
    return 1


def _engine_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lockalias-drgn", usage=USAGE, add_help=False,
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--live", action="store_true",
                   help="read the running kernel through /proc/kcore (root)")
    p.add_argument("--vmlinux", help="with --live: the kernel's debuginfo "
                   "(default: drgn's search of /usr/lib/debug and /lib/modules)")
    p.add_argument("-d", "--debuginfo", action="append", default=[], metavar="FILE",
                   help="more debuginfo, e.g. a module's .ko (crash: mod -s); repeatable")
    p.add_argument("--debug", type=int, default=0, metavar="N",
                   help="say how the dump is read (crash: set debug N)")
    p.add_argument("-h", "--help", action="store_true")
    p.add_argument("--version", action="store_true", help="print lockalias's version")
    return p


def split_arguments(argv: List[str]) -> Tuple[List[str], List[str], List[str]]:
    """(engine options, files, lockalias words). The engine's options are
    the long ones above and -d; the first two other words that are not
    lockalias options are VMLINUX and VMCORE (none with --live); the rest,
    in order, is the crash command's line."""
    engine: List[str] = []
    files: List[str] = []
    words: List[str] = []
    live = "--live" in argv
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            words += argv[i:]
            break
        if a in ("--live", "-h", "--help", "--version") or a.startswith(("--vmlinux=", "--debuginfo=", "--debug=")):
            engine.append(a)
        elif a in ("--vmlinux", "--debuginfo", "--debug", "-d"):
            engine += argv[i:i + 2]
            i += 1
        elif a.startswith("-d") and len(a) > 2:
            engine.append(a)
        elif a.startswith("-") and len(a) > 1:
            takes = _operand_taken(a, argv[i + 1] if i + 1 < len(argv) else None)
            words += argv[i:i + 1 + takes]
            i += takes
        elif not live and len(files) < 2:
            files.append(a)
        else:
            words.append(a)
        i += 1
    return engine, files, words


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    engine_argv, files, words = split_arguments(argv)
    parser = _engine_options()
    opts = parser.parse_args(engine_argv)
    if opts.help:
        parser.print_help()
        return 0
    if opts.version:
        from .version import version
        print("lockalias-drgn " + version())
        return 0
    if not opts.live and len(files) != 2:
        print("usage: " + USAGE, file=sys.stderr)
        return 2
    if opts.vmlinux and not opts.live:
        print("lockalias-drgn: --vmlinux goes with --live (give VMLINUX VMCORE otherwise)", file=sys.stderr)
        return 2

    # Imported here so that --help works without drgn.
    from .api import run
    from .drgn_target import DrgnTarget
    from .program import OpenError, open_program
    from .reads import Unreadable

    vmlinux, vmcore = (opts.vmlinux, None) if opts.live else (files[0], files[1])
    try:
        prog = open_program(vmlinux, vmcore, opts.debuginfo)
    except OpenError as e:
        print(f"lockalias-drgn: {e}", file=sys.stderr)
        return 2
    target = DrgnTarget(prog, vmcore, debug_level=opts.debug)
    try:
        result = run(target, words)
    except Unreadable as e:
        # Pages the dump lacks are counted in the answer; this is memory
        # the command cannot start without.
        print(f"lockalias-drgn: {vmcore or 'the running kernel'}: {e}", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(result.output)
        sys.stdout.flush()
    except BrokenPipeError:  # lockalias-drgn ... | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    for e in result.errors:
        print(e if e.startswith("lockalias: ") else f"lockalias: {e}", file=sys.stderr)
    if result.interrupted:
        return 130
    return 1 if result.errors else 0
