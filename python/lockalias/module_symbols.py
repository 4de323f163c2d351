"""Module symbols from the kernel's own kallsyms, for modules drgn has no
debuginfo for: crash names module data this way without `mod -s`, so
lockalias-drgn names it too (struct module's kallsyms, since commit
8244062ef1e5 ("modules: fix longstanding /proc/kallsyms vs module insertion
race.") (in v4.5))."""

import struct
from typing import List, NamedTuple

import drgn
from drgn.helpers.linux.list import list_for_each_entry

from . import reads

_ELF64_SYM = struct.Struct("<IBBHQQ")  # st_name, st_info, st_other, st_shndx, st_value, st_size
_SHN_UNDEF = 0


class KernelSymbol(NamedTuple):
    name: str
    address: int
    size: int


def _c_string(prog: drgn.Program, addr: int, limit: int = 512) -> str:
    """A NUL-terminated name, read no further than its own pages (the
    string table may end right before an unmapped page)."""
    out = b""
    while len(out) < limit:
        chunk = 4096 - addr % 4096
        data = reads.memory(prog, addr, chunk)
        if data is None:
            return ""
        end = data.find(b"\0")
        if end >= 0:
            return (out + data[:end]).decode("ascii", "replace")
        out, addr = out + data, addr + chunk
    return ""


def module_kallsyms(prog: drgn.Program) -> List[KernelSymbol]:
    """Every defined symbol of every loaded module; [] when the kernel keeps
    none (no CONFIG_KALLSYMS) or its module list cannot be read."""
    out: List[KernelSymbol] = []
    try:
        with reads.reading("the module list"):
            modules = list(list_for_each_entry("struct module", prog["modules"].address_of_(), "list"))
    except (LookupError, reads.Unreadable):
        return out
    for mod in modules:
        try:
            with reads.reading("a module's kallsyms"):
                ks = mod.kallsyms
                n = ks.num_symtab.value_()
                symtab, strtab = ks.symtab.value_(), ks.strtab.value_()
        except (LookupError, AttributeError, reads.Unreadable):
            continue
        table = reads.memory(prog, symtab, n * _ELF64_SYM.size) if 0 < n < 1 << 20 else None
        if table is None:
            continue
        for i in range(n):
            st_name, _info, _other, shndx, value, size = _ELF64_SYM.unpack_from(table, i * _ELF64_SYM.size)
            if shndx == _SHN_UNDEF or not value or not st_name:
                continue
            name = _c_string(prog, strtab + st_name)
            if name:
                out.append(KernelSymbol(name, value, size))
    return out
