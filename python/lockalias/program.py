"""Opens the drgn.Program lockalias-drgn reads: a vmcore with its vmlinux
(and module debuginfo), or the running kernel through /proc/kcore."""

import os
from typing import Optional, Sequence

import drgn

from . import reads
from .dump_identity import mismatch
from .kernel_image import map_kernel_image


class OpenError(Exception):
    """The dump or the debuginfo could not be opened; the message says which."""


def open_program(vmlinux: Optional[str], vmcore: Optional[str],
                 debuginfo: Sequence[str] = ()) -> drgn.Program:
    """VMCORE None: the running kernel. VMLINUX None: drgn's default search
    (/usr/lib/debug, /lib/modules/$(uname -r)/...)."""
    prog = drgn.Program()
    try:
        if vmcore is None:
            prog.set_kernel()
        else:
            prog.set_core_dump(vmcore)
    except (OSError, ValueError, drgn.FaultError) as e:
        where = "the running kernel (/proc/kcore: root needed)" if vmcore is None else vmcore
        raise OpenError(f"cannot open {where}: {e}") from e
    files = ([vmlinux] if vmlinux else []) + list(debuginfo)
    for f in files:
        if not os.path.isfile(f):
            raise OpenError(f"no such file: {f}")
    if vmlinux and vmcore:
        why = mismatch(vmlinux, vmcore)
        if why:
            raise OpenError(why)
    # The kernel's debuginfo first, the rest (modules) once memory reads:
    # drgn places a module's debuginfo at the module it finds in memory.
    _load(prog, [vmlinux] if vmlinux else [], default=vmlinux is None)
    try:
        check_readable(prog, vmcore)
    except OpenError:
        # drgn 0.0.22 on a QEMU ELF dump: give it the kernel image, try again.
        if vmcore is None or not map_kernel_image(prog, vmcore):
            raise
        check_readable(prog, vmcore)
    if debuginfo:
        _load(prog, list(debuginfo), default=False)
    return prog


def _load(prog: drgn.Program, files: Sequence[str], default: bool) -> None:
    try:
        if files:
            # default=False: only these files, as crash reads only the
            # vmlinux it is given (and the modules `mod -s` names).
            prog.load_debug_info(files, default=default)
        elif default:
            prog.load_default_debug_info()
    except drgn.MissingDebugInfoError as e:
        # drgn lists every module it found no debuginfo for; lockalias
        # needs the kernel's only (a module without is read without names).
        if "kernel" in str(e).split("\n")[0] and "vmlinux" in str(e):
            raise OpenError(f"no kernel debuginfo: {e}") from e


def check_readable(prog: drgn.Program, vmcore: Optional[str]) -> None:
    """Raises OpenError when drgn opens the dump but cannot read the
    kernel's memory through it (drgn 0.0.22 on QEMU's ELF dumps: "recursive
    address translation"): a clear reason instead of every read failing."""
    try:
        reads.string(prog["init_task"].comm, "init_task.comm")
    except (reads.Unreadable, LookupError, ValueError) as e:
        where = vmcore or "the running kernel"
        raise OpenError(f"drgn {drgn.__version__} cannot read kernel memory in {where}: {e}") from e
