"""The one door through which the drgn front end reads the dump's memory.

Every read that can fault (an object's value or string, a run of bytes)
goes through here, and a fault comes out in lockalias's own terms:
Unreadable, saying what was being read, or None for bytes, as the Target's
read_kv()/read_phys() answer. The layers above turn it into the core's
"unreadable" (drgn_target.py) or, at the command line's edge, one line
(cli.py); never a traceback.

Looking a name up (prog["x"], a missing symbol: KeyError/LookupError) is
no read and is left to the caller.
"""

import contextlib
from typing import Iterator, Optional

import drgn

# drgn before 0.0.31 (Debian 12's 0.0.22) turns a FaultError raised inside
# a Python memory reader (kernel_image.py's segment) into a plain Exception
# whose text is "_drgn.FaultError: MESSAGE: ADDRESS", when the read is an
# Object's (value_(), string_(), read_u64()); prog.read() keeps the
# FaultError. drgn 0.0.31 passes it through as a FaultError (its commit
# 00c4f663 "libdrgn: python: pass fault errors through").
_WRAPPED_FAULT = "_drgn.FaultError: "


class Unreadable(Exception):
    """Memory the dump does not hold: truncated, filtered out, unmapped."""

    def __init__(self, what: str, why: str) -> None:
        super().__init__(f"cannot read {what}: {why}")
        self.what = what
        self.why = why


def is_fault(e: BaseException) -> bool:
    """E is drgn's "this memory cannot be read", in any drgn's spelling."""
    if isinstance(e, drgn.FaultError):
        return True
    return type(e) is Exception and str(e).startswith(_WRAPPED_FAULT)


def _why(e: BaseException) -> str:
    text = str(e)
    return text[len(_WRAPPED_FAULT):] if text.startswith(_WRAPPED_FAULT) else text


@contextlib.contextmanager
def reading(what: str) -> Iterator[None]:
    """Reads made inside (a helper's walk, an object's members) fault as
    Unreadable(WHAT); every other exception passes unchanged."""
    try:
        yield
    except Exception as e:
        if not is_fault(e):
            raise
        raise Unreadable(what, _why(e)) from e


def value(obj: drgn.Object, what: str):
    """OBJ's value (obj.value_()); WHAT names it for the error."""
    with reading(what):
        return obj.value_()


def string(obj: drgn.Object, what: str) -> bytes:
    """The C string OBJ holds or points to (obj.string_())."""
    with reading(what):
        return obj.string_()


def variable(prog: drgn.Program, name: str):
    """The value of the kernel variable (or VMCOREINFO constant) NAME;
    KeyError when the kernel has no such thing."""
    with reading(name):
        return prog[name].value_()


def memory(prog: drgn.Program, addr: int, size: int, physical: bool = False) -> Optional[bytes]:
    """SIZE bytes at ADDR, or None when any of them cannot be read (an
    address out of range is unreadable too: drgn says ValueError or
    OverflowError)."""
    try:
        return prog.read(addr, size, physical)
    except (ValueError, OverflowError):
        return None
    except Exception as e:
        if is_fault(e):
            return None
        raise
