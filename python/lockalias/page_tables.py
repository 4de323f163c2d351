"""Kernel virtual -> physical addresses by walking init_mm's page tables,
for drgn 0.0.22, which has no follow_phys() (added in drgn 0.0.25; with a
newer drgn, drgn_target.py uses follow_phys() for translations, and this
walker only finds the direct map's base for memory_layout.py).

The entry bits are the x86-64 architecture's (arch/x86/include/asm/
pgtable_types.h: _PAGE_PRESENT bit 0, _PAGE_PSE bit 7, the frame in bits
12-51), not a kernel release's, so they are constants here.
"""

from typing import Callable, Dict, Optional, Tuple

import drgn

from . import reads

_PRESENT = 1 << 0
_PSE = 1 << 7  # a 1 GiB (PUD) or 2 MiB (PMD) page
_FRAME = ((1 << 52) - 1) & ~((1 << 12) - 1)
_ENTRIES = 512

Reader = Callable[[int, int], Optional[bytes]]


class PageTableWalker:
    """Walks init_mm's page tables: the top table read at its virtual
    address, the lower ones by physical address (through the direct map
    when the dump has no physical view, once its base is known)."""

    def __init__(self, prog: drgn.Program, read_phys: Reader, read_kv: Reader) -> None:
        self.prog = prog
        self.read_phys = read_phys
        self.read_kv = read_kv
        self.direct_map_base: Optional[int] = None  # set by KernelLayout
        self._tables: Dict[Tuple[str, int], Optional[bytes]] = {}
        self._setup: Optional[Tuple[int, int]] = None

    def _top(self) -> Tuple[int, int, int]:
        # Raises Unreadable when init_mm is not in the dump: no table can
        # be walked then, which the caller says better than "not mapped".
        if self._setup is None:
            self._setup = (reads.value(self.prog["init_mm"].pgd, "init_mm.pgd"),
                           5 if self._five_level() else 4, _FRAME & ~self._encryption_bit())
        return self._setup

    def _five_level(self) -> bool:
        # __pgtable_l5_enabled is set at boot when the CPU runs 5-level
        # paging (CONFIG_X86_5LEVEL, chosen at boot since commit 6657fca06e3f
        # ("x86/mm: Allow to boot without LA57 if CONFIG_X86_5LEVEL=y") (in
        # v4.17)); kernels that dropped it still write
        # NUMBER(pgtable_l5_enabled) into VMCOREINFO.
        try:
            return bool(reads.variable(self.prog, "__pgtable_l5_enabled"))
        except (KeyError, reads.Unreadable):
            pass
        try:
            info = reads.string(self.prog["vmcoreinfo_data"], "vmcoreinfo_data").decode("ascii", "replace")
        except (KeyError, reads.Unreadable, ValueError):
            return False
        return "NUMBER(pgtable_l5_enabled)=1" in info.splitlines()

    def _encryption_bit(self) -> int:
        # AMD SME/SEV: the encryption bit (sme_me_mask) is set in table
        # entries and is no part of the physical address.
        try:
            return reads.variable(self.prog, "sme_me_mask")
        except (KeyError, reads.Unreadable):
            return 0

    def _table(self, kind: str, addr: int) -> Optional[bytes]:
        key = (kind, addr)
        if key not in self._tables:
            if kind == "kv":
                page = self.read_kv(addr, 4096)
            else:
                page = self.read_phys(addr, 4096)
                if page is None and self.direct_map_base is not None:
                    page = self.read_kv(self.direct_map_base + addr, 4096)
            self._tables[key] = page
        return self._tables[key]

    def walk(self, addr: int) -> Optional[int]:
        """ADDR's physical address; None when it is not mapped or a table
        on the way is unreadable (Unreadable when the root is)."""
        pgd, levels, frame = self._top()
        shifts = (48, 39, 30, 21, 12)[5 - levels:]
        kind, table = "kv", pgd
        for shift in shifts:
            page = self._table(kind, table)
            if page is None:
                return None
            i = (addr >> shift) % _ENTRIES
            e = int.from_bytes(page[i * 8:i * 8 + 8], "little")
            if not e & _PRESENT:
                return None
            # A large page at the PUD (1 GiB) or PMD (2 MiB) level.
            if shift in (30, 21) and e & _PSE:
                size = 1 << shift
                return (e & frame & ~(size - 1)) | (addr & (size - 1))
            kind, table = "phys", e & frame
        return table | (addr & 0xFFF)
