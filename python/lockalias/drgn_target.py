"""lockalias's Target over a drgn.Program: the questions the C++ core asks
(src/dump/target.h), answered from drgn's DWARF, symbols and memory reads.

Each method mirrors a Target method of the same name: None means "no such
thing" or "unreadable", as nullopt/false do in C++. Memory is read through
reads.py; a question that cannot be answered without memory the dump lacks
(phys_to_direct_map(): the direct map's base) raises its Unreadable, which
the binding raises again when the command returns. crash's answers are the
reference (extension/crash_target.cpp): where the two could differ, the
comment says how this one matches crash's.
"""

import bisect
import functools
import os
import sys
from typing import Dict, List, Optional, Tuple, Union

import drgn
from . import reads
from .dump_identity import file_kind
from .memory_layout import KernelLayout
from .module_symbols import module_kallsyms
from .page_tables import PageTableWalker

try:
    # drgn 0.0.25 and later walk the page tables themselves
    # (drgn.helpers.linux.mm.follow_phys(), in Debian 13's 0.0.31 and
    # unstable's 0.3.0); Debian 12's 0.0.22 has none and takes
    # page_tables.py's walker.
    from drgn.helpers.linux.mm import follow_phys as _follow_phys
except ImportError:
    _follow_phys = None

def dump_format(path: str) -> Optional[str]:
    """'elf' (an ELF core), 'diskdump' or None: the core's names for what
    dump_identity.file_kind() finds."""
    return {"elf-dump": "elf", "kdump": "diskdump"}.get(file_kind(path))


def _memo(method):
    """Remembers METHOD's answers on the instance (the debuginfo and the
    layout do not change while a target lives), and dies with it, unlike
    functools.lru_cache, which would keep every target and its Program."""
    name = method.__name__

    @functools.wraps(method)
    def remembered(self, *args):
        answers = self._answers.setdefault(name, {})
        if args not in answers:
            answers[args] = method(self, *args)
        return answers[args]
    return remembered


def core_file_of(prog: drgn.Program) -> Optional[str]:
    """The dump file PROG reads, when it can be told: drgn 0.0.22 does not
    say, but keeps it open, so it is the one core file among this process's
    open files. None for a live kernel, or when several are open (the core
    then reads through drgn: slower, never wrong)."""
    if prog.flags & drgn.ProgramFlags.IS_LIVE:
        return None
    found = set()
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return None
    for fd in fds:
        try:
            path = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if path.startswith("/") and os.path.isfile(path) and dump_format(path):
            found.add(path)
    return found.pop() if len(found) == 1 else None


class DrgnTarget:
    """Answers the core's questions about the kernel behind PROG.

    VMCORE is the dump file PROG reads (None for the live kernel): the core
    then reads its pages in place, after checking sample pages against
    PROG's own reads (src/dump/dump_source.cpp), as it does under crash.
    """

    def __init__(self, prog: drgn.Program, vmcore: Optional[str] = None,
                 debug_level: int = 0) -> None:
        self.prog = prog
        self.vmcore = vmcore
        self._debug_level = debug_level
        self._walker = PageTableWalker(prog, self.read_phys, self.read_kv)
        self._layout: Union[None, KernelLayout, Exception] = None
        self._sorted_symbols = None  # (every symbol, their addresses), by address
        self._answers: Dict[str, dict] = {}  # _memo's
        self._kallsyms_by_name: Optional[Dict[str, int]] = None

    @property
    def layout(self) -> KernelLayout:
        # One that cannot be read is remembered as such: the core asks once
        # a page, and each reading would fail the same way.
        if self._layout is None:
            try:
                self._layout = KernelLayout(self.prog, self._walker)
            except (reads.Unreadable, LookupError) as e:
                self._layout = e
        if isinstance(self._layout, Exception):
            raise self._layout.with_traceback(None)
        return self._layout

    # Memory ------------------------------------------------------------

    def read_kv(self, addr: int, size: int) -> Optional[bytes]:
        return reads.memory(self.prog, addr, size)

    def read_phys(self, addr: int, size: int) -> Optional[bytes]:
        return reads.memory(self.prog, addr, size, physical=True)

    @_memo
    def memory_node_spans(self) -> List[Tuple[int, int]]:
        """Each node's [start, end) in bytes, holes included (crash's node_table);
        none when the node table cannot be read, as the core takes "no spans"
        (it then has only iomem_resource's System RAM, or nothing to compare)."""
        shift = reads.variable(self.prog, "PAGE_SHIFT")
        spans = []
        try:
            with reads.reading("the memory nodes (pglist_data)"):
                for pgdat in self._nodes():
                    start = pgdat.node_start_pfn.value_()
                    spans.append((start << shift, (start + pgdat.node_spanned_pages.value_()) << shift))
        except reads.Unreadable as e:
            if self._debug_level >= 1:
                self.debug(str(e))
            return []
        return spans

    def _nodes(self) -> List[drgn.Object]:
        # CONFIG_NUMA: node_data[] (NULL for nodes never onlined);
        # otherwise the one contig_page_data.
        try:
            node_data = self.prog["node_data"]
        except KeyError:
            return [self.prog["contig_page_data"]]
        return [node_data[i][0] for i in range(len(node_data)) if node_data[i].value_()]

    @_memo
    def page_size(self) -> int:
        return reads.variable(self.prog, "PAGE_SIZE")

    # Translation -------------------------------------------------------

    def kv_to_phys(self, addr: int) -> Optional[int]:
        # The direct map by arithmetic, as crash's x86_64_kvtop() does;
        # the rest (kernel image, modules, vmalloc) through the page tables.
        # A layout that cannot be read (a damaged or truncated dump) is no
        # translation, as crash's kvtop() fails quietly: not an exception
        # out of the command.
        try:
            layout = self.layout
            if layout.direct_map_base <= addr < layout.high_memory:
                return addr - layout.direct_map_base
            return self._walk(addr)
        except (reads.Unreadable, LookupError):
            return None

    def _walk(self, addr: int) -> Optional[int]:
        """ADDR's physical address through init_mm's page tables; None when
        it is not mapped or a table cannot be read."""
        if _follow_phys is None:
            return self._walker.walk(addr)
        try:
            return _follow_phys(self.prog["init_mm"].address_of_(), addr).value_()
        except Exception as e:  # noqa: BLE001 - only a fault is "not mapped"
            if reads.is_fault(e):
                return None
            raise

    def phys_to_direct_map(self, addr: int) -> int:
        # No "unknown" here (crash's PTOV() cannot fail): without the
        # direct map's base the layout's Unreadable or LookupError stops
        # the command rather than let it name made-up addresses.
        return self.layout.direct_map_base + addr

    def page_struct_of_phys(self, addr: int) -> Optional[int]:
        # crash answers only for page frames the kernel has a page for, and
        # fails quietly (phys_to_page()) when it cannot tell: so does this,
        # when the layout or max_pfn cannot be read (as kv_to_phys()).
        try:
            layout, max_pfn = self.layout, self._max_pfn()
        except (reads.Unreadable, LookupError):
            return None
        pfn = addr >> layout.page_shift
        if layout.vmemmap is None or pfn >= max_pfn:
            return None
        return layout.vmemmap + pfn * self.type_size("page")

    @_memo
    def _max_pfn(self) -> int:
        return reads.variable(self.prog, "max_pfn")

    # Debuginfo ---------------------------------------------------------

    @_memo
    def symbol_address(self, name: str) -> Optional[int]:
        try:
            return self.prog.symbol(name).address
        except LookupError:
            pass
        try:
            return self.prog.object(name).address_
        except (LookupError, ValueError):
            pass
        # A module symbol known only from the kernel's kallsyms (the names
        # alone: the core asks for symbols that a release may lack, and the
        # whole sorted table costs 0.1 s).
        if self._kallsyms_by_name is None:
            self._kallsyms_by_name = {}
            for s in self._module_symbols():
                self._kallsyms_by_name.setdefault(s.name, s.address)
        return self._kallsyms_by_name.get(name)

    @_memo
    def _module_symbols(self):
        """The modules' kallsyms, read from the kernel once for both lookups."""
        return module_kallsyms(self.prog)

    def symbol_at(self, addr: int) -> Optional[str]:
        # crash's value_search() form, "name" or "name+0xoff", and its
        # choice: the symbol holding ADDR, else inside the kernel image the
        # nearest one below it (crash keeps no symbol sizes there), so both
        # front ends name an address the same way.
        try:
            sym = self.prog.symbol(addr)
        except LookupError:
            sym = self._symbol_by_table(addr)
            if sym is None:
                return None
        off = addr - sym.address
        return f"{sym.name}+{off:#x}" if off else sym.name

    def _symbol_table(self):
        """(symbols, their addresses), by address: drgn's, and the kernel's
        kallsyms for modules drgn has no debuginfo for."""
        if self._sorted_symbols is None:
            syms = [s for s in self.prog.symbols() if s.address]
            known = {(s.name, s.address) for s in syms}
            syms += [s for s in self._module_symbols() if (s.name, s.address) not in known]
            syms.sort(key=lambda s: s.address)
            self._sorted_symbols = (syms, [s.address for s in syms])
        return self._sorted_symbols

    def _symbol_by_table(self, addr: int) -> Optional[drgn.Symbol]:
        # Every symbol drgn has, sorted once. Also for module data: since
        # commit ac3b43283923 ("module: replace module_layout with
        # module_memory") (in v6.4), drgn 0.0.31 maps only a module's first
        # memory region (its text) to the module, so prog.symbol() misses
        # its data symbols.
        syms, addrs = self._symbol_table()
        i = bisect.bisect_right(addrs, addr) - 1
        for j in range(i, max(i - 8, -1), -1):  # sizes may overlap: a few back
            if syms[j].address <= addr < syms[j].address + syms[j].size:
                return syms[j]
        # Inside the kernel image only, as crash's in_ksymbol_range(), not
        # past its last symbol, and never an absolute symbol
        # (phys_startup_64 is no name for a direct-map address).
        lo, hi = self.symbol_address("_text"), self.symbol_address("_end")
        if lo is None or hi is None or not lo <= addr < hi:
            return None
        return syms[i] if i >= 0 and syms[i].address >= lo else None

    @_memo
    def _type(self, name: str) -> Optional[drgn.Type]:
        # crash's STRUCT_SIZE("lock_class") takes a bare tag: a struct, a
        # union or a typedef.
        for spelled in (f"struct {name}", f"union {name}", name):
            try:
                return self.prog.type(spelled)
            except (LookupError, SyntaxError):
                continue
        return None

    @_memo
    def type_size(self, name: str) -> Optional[int]:
        t = self._type(name)
        try:
            return drgn.sizeof(t) if t is not None else None
        except TypeError:  # incomplete type
            return None

    @_memo
    def member_offset(self, name: str, member: str) -> Optional[int]:
        t = self._type(name)
        if t is None:
            return None
        try:
            return drgn.offsetof(t, member)
        except (LookupError, ValueError, TypeError):
            return None

    def _member_type(self, name: str, member: str) -> Optional[drgn.Type]:
        t = self._type(name)
        if t is None:
            return None
        try:
            # drgn finds members of anonymous structs and unions, as gdb does.
            return drgn.Object(self.prog, t, address=0).member_(member).type_
        except (LookupError, ValueError, TypeError):
            return None

    @_memo
    def member_size(self, name: str, member: str) -> Optional[int]:
        t = self._member_type(name, member)
        try:
            return drgn.sizeof(t) if t is not None else None
        except TypeError:
            return None

    @_memo
    def member_bits(self, name: str, member: str) -> Optional[Tuple[int, int]]:
        # As crash's `ptype /o` gives it (src/kernel/ptype_offsets.h): top-level
        # members only, width 8*size for members that are not bitfields.
        t = self._type(name)
        if t is None or not t.unqualified().kind in (drgn.TypeKind.STRUCT, drgn.TypeKind.UNION):
            return None
        for m in t.unqualified().members:
            if m.name == member:
                width = m.bit_field_size or 8 * drgn.sizeof(m.type)
                return (m.bit_offset, width)
        return None

    @_memo
    def enum_value(self, name: str) -> Optional[int]:
        try:
            return self.prog.constant(name).value_()
        except LookupError:
            return None

    @_memo
    def enumerators(self, enum_type: str) -> Optional[Dict[str, int]]:
        try:
            t = self.prog.type(f"enum {enum_type}")
        except (LookupError, SyntaxError):
            return None
        return {e.name: e.value for e in (t.enumerators or ())} or None

    @_memo
    def array_length(self, name: str) -> Optional[int]:
        try:
            t = self.prog.object(name).type_.unqualified()
        except (LookupError, ValueError):
            return None
        return t.length if t.kind == drgn.TypeKind.ARRAY and t.length else None

    # The dump file and the log ------------------------------------------

    def dump_file(self) -> Optional[Tuple[str, str]]:
        if self.vmcore is None:
            return None  # live memory: read through drgn
        fmt = dump_format(self.vmcore)
        return (fmt, os.path.abspath(self.vmcore)) if fmt else None

    def kernel_log(self) -> Optional[str]:
        # drgn's get_dmesg() prints as dmesg does, "[    1.234567] text",
        # the form crash's `log` prints and the log parser reads.
        from drgn.helpers.linux.printk import get_dmesg
        try:
            return get_dmesg(self.prog).decode("utf-8", errors="replace")
        except Exception as e:  # noqa: BLE001 - a damaged log is no log, as in crash
            self.debug(f"kernel log unreadable: {type(e).__name__}: {e}")
            return None

    # Diagnostics ---------------------------------------------------------

    def reader_name(self) -> str:
        return "drgn"

    def live(self) -> bool:
        return bool(self.prog.flags & drgn.ProgramFlags.IS_LIVE)

    def debug_level(self) -> int:
        return self._debug_level

    def debug(self, message: str) -> None:
        print(f"lockalias: debug: {message}", file=sys.stderr)
