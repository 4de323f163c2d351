#!/usr/bin/python3
"""Runs lockalias command lines through the drgn front end on one dump, the
way crash_sections() runs them in one crash session: the program opened
once, each line's output after a marker line, error lines as crash prints
them ("lockalias: ..."). For conftest's LOCKALIAS_ENGINE=drgn.

usage: drgn_batch.py VMLINUX VMCORE MODULE|- COMMANDS_FILE
Each line of COMMANDS_FILE is `lockalias ARGS`; output: "@@lockalias-cmd N@@"
then that command's output, for N = 0..; one more marker at the end.
"""
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))

from lockalias import run  # noqa: E402
from lockalias.drgn_target import DrgnTarget  # noqa: E402
from lockalias.program import OpenError, open_program  # noqa: E402

MARK = "@@lockalias-cmd %d@@"


def main():
    vmlinux, vmcore, module, commands = sys.argv[1:5]
    lines = [l.rstrip("\n") for l in open(commands) if l.strip()]
    try:
        prog = open_program(vmlinux, vmcore, [] if module == "-" else [module])
    except OpenError as e:
        print("lockalias-drgn: %s" % e, flush=True)
        return 2
    target = DrgnTarget(prog, vmcore)
    for i, line in enumerate(lines):
        print(MARK % i, flush=True)
        words = shlex.split(line)
        assert words[0] == "lockalias", line
        r = run(target, words[1:])
        sys.stdout.write(r.output)
        for e in r.errors:
            print(e if e.startswith("lockalias: ") else "lockalias: " + e)
        sys.stdout.flush()
    print(MARK % len(lines), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
