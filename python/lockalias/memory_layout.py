"""Where the kernel keeps its direct map and its struct pages, read from
the kernel itself. drgn 0.0.22 knows both only from page_offset_base and
vmemmap_base, which exist with CONFIG_DYNAMIC_MEMORY_LAYOUT (commit
eedb92abb9bb ("x86/mm: Make virtual memory layout dynamic for
CONFIG_X86_5LEVEL=y") (in v4.17); KASLR or 5-level kernels); crash falls back
to per-release constants, this derives them.

A layout that cannot be read (a truncated or damaged dump) raises
Unreadable (reads.py), or LookupError when the kernel lacks what it needs.
"""

from typing import List, Optional

import drgn

from . import reads
from .page_tables import PageTableWalker


class KernelLayout:
    def __init__(self, prog: drgn.Program, walker: PageTableWalker) -> None:
        self.prog = prog
        self.walker = walker
        self.page_shift = reads.variable(prog, "PAGE_SHIFT")
        self.page_size = 1 << self.page_shift
        self.high_memory = reads.variable(prog, "high_memory")
        self.direct_map_base = self._direct_map_base()
        walker.direct_map_base = self.direct_map_base
        self.vmemmap = self._vmemmap()

    def _direct_map_base(self) -> int:
        try:
            return reads.variable(self.prog, "page_offset_base")
        except KeyError:
            pass
        # No page_offset_base: CONFIG_DYNAMIC_MEMORY_LAYOUT=n, the default
        # without KASLR before commit 18ec1eaf58fb ("x86/mm: Enable 5-level
        # paging support by default") (in v5.5).
        # high_memory is __va() of the end of directly mapped RAM on every
        # release: its last byte's virtual minus physical address is the base.
        last = self.high_memory - 1
        phys = self.walker.walk(last)
        if phys is None:
            # Every kernel maps it: init_mm's tables are damaged or missing.
            raise reads.Unreadable("the direct map's base", "high_memory is not mapped in init_mm's page tables")
        return last - phys

    def _vmemmap(self) -> Optional[int]:
        # Unreadable, it is derived as on kernels without it: struct pages
        # are optional to the core, the direct map is not.
        try:
            return reads.variable(self.prog, "vmemmap_base")
        except (KeyError, reads.Unreadable):
            pass
        # SPARSEMEM_VMEMMAP: each present section's section_mem_map encodes
        # mem_map - section_start_pfn (mm/sparse.c sparse_encode_mem_map()),
        # which is vmemmap itself, plus flag bits below the page size. Every
        # section then gives the same base; if they differ the kernel is not
        # VMEMMAP and struct pages are not located.
        bases = {v & ~(self.page_size - 1) for v in self._section_maps()}
        return bases.pop() if len(bases) == 1 else None

    def _section_maps(self) -> List[int]:
        prog = self.prog
        try:
            sections = prog["mem_section"]
        except KeyError:
            return []
        per_root = self.page_size // drgn.sizeof(prog.type("struct mem_section"))
        maps = []
        kind = sections.type_.unqualified().kind
        # SPARSEMEM_EXTREME: a pointer to NR_SECTION_ROOTS roots (2048 or
        # more on x86-64, so the first page of them is all allocated); else
        # a 2-D array.
        roots = range(self.page_size // 8) if kind == drgn.TypeKind.POINTER else range(len(sections))
        for r in roots:
            try:
                with reads.reading(f"mem_section[{r}]"):
                    root = sections[r]
                    if kind == drgn.TypeKind.POINTER and not root.value_():
                        continue
                    for i in range(per_root):
                        v = root[i].section_mem_map.value_()
                        # a kernel address: the top bit is set
                        if v >> 63:
                            maps.append(v)
            except reads.Unreadable:
                break
        return maps
