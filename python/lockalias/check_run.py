"""One dump for lockalias-check --engine drgn: `lockalias -j -T`, the scan
JSON on its first line, then lockalias's text report of the same scan.

    python3 -m lockalias.check_run VMLINUX VMCORE
Exit 2 with one line on stderr when drgn cannot open or read the dump.
"""
import sys

from .api import run
from .drgn_target import DrgnTarget
from .program import OpenError, open_program
from .reads import Unreadable


def main(argv) -> int:
    vmlinux, vmcore = argv
    try:
        prog = open_program(vmlinux, vmcore)
    except OpenError as e:
        print(f"lockalias-drgn: {e}", file=sys.stderr)
        return 2
    try:
        r = run(DrgnTarget(prog, vmcore), ["-j", "-T"])
    except Unreadable as e:
        print(f"lockalias-drgn: {vmcore}: {e}", file=sys.stderr)
        return 2
    sys.stdout.write(r.output)
    for e in r.errors:
        print(f"lockalias: {e}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
