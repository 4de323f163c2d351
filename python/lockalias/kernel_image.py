"""Makes drgn 0.0.22 read QEMU's ELF dumps (`virsh dump`, QEMU's
dump-guest-memory): their PT_LOADs carry physical addresses only, and that
drgn translates the kernel image through the page tables, whose root
(swapper_pg_dir) is itself in the kernel image: "recursive address
translation". drgn 0.0.31 reads them. Here the kernel image is found in
physical memory and given to drgn as a virtual segment; every other
address (direct map, vmalloc, modules) then translates through the page
tables as usual.

Where it is: the kernel is loaded at a multiple of CONFIG_PHYSICAL_ALIGN,
which x86-64 requires to be a multiple of 2 MiB (arch/x86/Kconfig), and
its linux_banner reads "Linux version RELEASE" with the dump's own
VMCOREINFO release: the one 2 MiB step where it does is _text's.
"""

from typing import Optional

import drgn

from . import reads
from .dump_identity import elf_program_headers

_STEP = 2 << 20
_PT_LOAD = 1


def physical_end(path: str) -> int:
    """One past the highest physical address an ELF core's PT_LOADs hold."""
    return max((ph.paddr + ph.memsz for ph in elf_program_headers(path) if ph.type == _PT_LOAD), default=0)


def find_kernel_image(prog: drgn.Program, vmcore: str) -> Optional[int]:
    """The physical address of _text, or None."""
    try:
        text = prog.symbol("_text").address
        banner = prog.symbol("linux_banner").address
        want = b"Linux version " + reads.string(prog["UTS_RELEASE"], "UTS_RELEASE") + b" "
    except (LookupError, reads.Unreadable):
        return None
    for base in range(0, physical_end(vmcore), _STEP):
        if reads.memory(prog, base + banner - text, len(want), physical=True) == want:
            return base
    return None


def map_kernel_image(prog: drgn.Program, vmcore: str) -> bool:
    """Adds the kernel image [_text, _end) as a virtual segment; False when
    it cannot be found."""
    phys = find_kernel_image(prog, vmcore)
    if phys is None:
        return False
    text = prog.symbol("_text").address
    end = prog.symbol("_end").address

    def read(address: int, count: int, offset: int, physical: bool) -> bytes:
        # drgn's own FaultError is the answer for a part the dump lacks
        # (truncated): drgn 0.0.22 hands it to Object reads as a plain
        # Exception, which reads.is_fault() knows.
        return prog.read(phys + offset, count, True)

    prog.add_memory_segment(text, end - text, read)
    return True
