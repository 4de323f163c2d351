"""The lockalias views on a drgn.Program (what `import lockalias` offers;
see the package's docstring). Each view is one command line of the C++ core
(_core), answered through a DrgnTarget."""


import json
import shlex
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Union

from . import _core
from .drgn_target import DrgnTarget, core_file_of
from .kernel_image import map_kernel_image
from .program import OpenError, check_readable
from .reads import Unreadable

__all__ = ["run", "scan", "explain", "held_locks", "log_reports", "classes",
           "DrgnTarget", "LockaliasError", "Result", "Unreadable"]


class LockaliasError(Exception):
    """A view failed; .errors holds its error lines, .result what it printed."""

    def __init__(self, errors: List[str], result: Optional[Dict[str, Any]] = None) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors
        self.result = result


class Result(NamedTuple):
    output: str        # what `lockalias ARGS` prints in crash
    errors: List[str]  # the lines crash would print with error(INFO)
    interrupted: bool  # Ctrl-C stopped it: output is what was found so far


def _target(prog, vmcore: Optional[str]) -> DrgnTarget:
    """PROG's one DrgnTarget, kept in prog.cache: its answers (types,
    symbols, page tables) are learned once per Program, not once per view."""
    if isinstance(prog, DrgnTarget):
        return prog
    key = ("lockalias.DrgnTarget", vmcore)
    target = prog.cache.get(key)
    if target is None:
        core = vmcore if vmcore is not None else core_file_of(prog)
        # A program opened by hand with drgn 0.0.22 on a QEMU ELF dump reads
        # no kernel memory until its kernel image is mapped (kernel_image.py).
        if core is not None:
            try:
                check_readable(prog, core)
            except OpenError:
                map_kernel_image(prog, core)
        target = prog.cache[key] = DrgnTarget(prog, core)
    return target


def run(prog, args: Union[str, Sequence[str]] = (), vmcore: Optional[str] = None) -> Result:
    """Runs one lockalias command line (crash's words) on PROG.

    VMCORE, the file PROG reads, lets the core read its pages in place
    (checked against PROG's reads first). Without it, the one core file
    this process has open is taken (core_file_of()); with none, or several,
    every page is read through drgn.
    """
    words = shlex.split(args) if isinstance(args, str) else list(args)
    return Result(*_core.run_command(_target(prog, vmcore), words))


def _json_view(prog, args: List[str], vmcore: Optional[str]) -> Dict[str, Any]:
    r = run(prog, ["-j"] + args, vmcore)
    if r.interrupted:
        # A partial answer is no answer for a script: Ctrl-C stays Ctrl-C.
        raise KeyboardInterrupt
    doc = json.loads(r.output) if r.output.strip() else None
    if doc is None or doc.get("error"):
        errors = r.errors or [str(doc.get("error")) if doc else "no output"]
        raise LockaliasError(errors, doc)
    return doc


def scan(prog, class_addr: Optional[int] = None, name: Optional[str] = None,
         verbose: bool = False, vmcore: Optional[str] = None) -> Dict[str, Any]:
    """The full scan (`lockalias -j [-v] [-c ADDR] [-n PATTERN]`)."""
    args = ["-v"] if verbose else []
    if class_addr is not None:
        args += ["-c", hex(class_addr)]
    if name is not None:
        args += ["-n", name]
    return _json_view(prog, args, vmcore)


def explain(prog, address: Union[int, str], vmcore: Optional[str] = None) -> Dict[str, Any]:
    """What lockdep has for one lock: an address, or a symbol name
    (`lockalias -j ADDR|SYMBOL`)."""
    word = hex(address) if isinstance(address, int) else address
    return _json_view(prog, ["--", word], vmcore)


def held_locks(prog, task: Optional[int] = None, pid: Optional[int] = None,
               vmcore: Optional[str] = None) -> Dict[str, Any]:
    """Every task's held locks (`-t`), or one task's by PID or task address."""
    args = ["-t"]
    if pid is not None:
        args.append(str(pid))
    elif task is not None:
        args.append(hex(task))
    return _json_view(prog, args, vmcore)


def log_reports(prog, vmcore: Optional[str] = None) -> Dict[str, Any]:
    """The lockdep reports in the kernel log, each lock checked (`-l`)."""
    return _json_view(prog, ["-l"], vmcore)


def classes(prog, vmcore: Optional[str] = None) -> Dict[str, Any]:
    """The lock_class table, each class's record checked (`-C`)."""
    return _json_view(prog, ["-C"], vmcore)
