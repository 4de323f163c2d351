"""One dump for lockalias-check --engine drgn: the scan JSON on its first
line, then "wait-types: {value: name}" (what crash's `whatis enum
lockdep_wait_type` gives the checker for its text report).

    python3 -m lockalias.check_run VMLINUX VMCORE
Exit 2 with one line on stderr when drgn cannot open or read the dump.
"""
import json
import sys

import drgn

from . import run
from .drgn_target import DrgnTarget
from .program import OpenError, open_program
from .reads import Unreadable


def wait_type_names(prog: drgn.Program) -> dict:
    """{value: name} of enum lockdep_wait_type, the first name per value
    (CONFIG == SPIN without PROVE_RAW_LOCK_NESTING), as the checker's
    wait_names_from() reads crash's print of it."""
    names = {}
    try:
        for e in prog.type("enum lockdep_wait_type").enumerators:
            if e.name.startswith("LD_WAIT_") and e.name != "LD_WAIT_MAX":
                names.setdefault(e.value, e.name[len("LD_WAIT_"):])
    except LookupError:
        pass
    return names


def main(argv) -> int:
    vmlinux, vmcore = argv
    try:
        prog = open_program(vmlinux, vmcore)
    except OpenError as e:
        print(f"lockalias-drgn: {e}", file=sys.stderr)
        return 2
    try:
        r = run(DrgnTarget(prog, vmcore), ["-j"])
    except Unreadable as e:
        print(f"lockalias-drgn: {vmcore}: {e}", file=sys.stderr)
        return 2
    sys.stdout.write(r.output)
    print("wait-types: " + json.dumps(wait_type_names(prog)))
    for e in r.errors:
        print(f"lockalias: {e}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
