"""Module symbols from the kernel's own kallsyms, for modules drgn has no
debuginfo for: crash names module data this way without `mod -s`, so
lockalias-drgn names it too (struct module's kallsyms, since v4.6)."""

import struct
from typing import List, NamedTuple

import drgn
from drgn.helpers.linux.list import list_for_each_entry

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
        try:
            data = prog.read(addr, chunk)
        except drgn.FaultError:
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
        modules = list(list_for_each_entry("struct module", prog["modules"].address_of_(), "list"))
    except (LookupError, drgn.FaultError):
        return out
    for mod in modules:
        try:
            ks = mod.kallsyms
            n = ks.num_symtab.value_()
            if not 0 < n < 1 << 20:
                continue
            table = prog.read(ks.symtab.value_(), n * _ELF64_SYM.size)
            strtab = ks.strtab.value_()
        except (LookupError, AttributeError, drgn.FaultError):
            continue
        for i in range(n):
            st_name, _info, _other, shndx, value, size = _ELF64_SYM.unpack_from(table, i * _ELF64_SYM.size)
            if shndx == _SHN_UNDEF or not value or not st_name:
                continue
            name = _c_string(prog, strtab + st_name)
            if name:
                out.append(KernelSymbol(name, value, size))
    return out
