"""The drgn front end's own pieces on synthetic input (no dump): the page
table walker (x86-64 entries built here by the architecture's rules),
lockalias-drgn's split of its command line, and what becomes of a read
that faults (reads.py)."""
import sys

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "python"))
drgn = pytest.importorskip("drgn")
from lockalias.cli import split_arguments  # noqa: E402
from lockalias.page_tables import PageTableWalker  # noqa: E402

P, PSE = 1, 1 << 7
PGD_KV = 0xffffffff82000000  # where the top table is read (virtually)


class Value:
    def __init__(self, v):
        self.v = v

    def value_(self):
        return self.v


class FakeProg:
    """init_mm.pgd and, optionally, __pgtable_l5_enabled, a VMCOREINFO
    text and sme_me_mask."""
    def __init__(self, l5=None, vmcoreinfo=None, sme=None):
        self.l5, self.vmcoreinfo, self.sme = l5, vmcoreinfo, sme

    def __getitem__(self, name):
        if name == "init_mm":
            return type("MM", (), {"pgd": Value(PGD_KV)})()
        if name == "__pgtable_l5_enabled" and self.l5 is not None:
            return Value(self.l5)
        if name == "vmcoreinfo_data" and self.vmcoreinfo is not None:
            return type("S", (), {"string_": lambda _: self.vmcoreinfo.encode()})()
        if name == "sme_me_mask" and self.sme is not None:
            return Value(self.sme)
        raise KeyError(name)


class Tables:
    """Physical pages of 512 entries; the top one also at PGD_KV."""
    def __init__(self):
        self.pages = {}

    def set(self, table, index, entry):
        self.pages.setdefault(table, [0] * 512)[index] = entry

    def read(self, addr, size):
        page = self.pages.get(addr)
        if page is None or size != 4096:
            return None
        return b"".join(e.to_bytes(8, "little") for e in page)


def walker(tables, top_phys, l5=None, **prog):
    return PageTableWalker(FakeProg(l5, **prog), tables.read,
                           lambda a, n: tables.read(top_phys, n) if a == PGD_KV else None)


def idx(addr, shift):
    return (addr >> shift) & 511


def test_four_levels_down_to_a_4k_page():
    t, va = Tables(), 0xffffc90000123456
    t.set(0x1000, idx(va, 39), 0x2000 | P)
    t.set(0x2000, idx(va, 30), 0x3000 | P)
    t.set(0x3000, idx(va, 21), 0x4000 | P)
    t.set(0x4000, idx(va, 12), 0x7654000 | P | (1 << 63))  # NX set: not part of the frame
    assert walker(t, 0x1000).walk(va) == 0x7654456


def test_large_pages_at_pmd_and_pud():
    t, va = Tables(), 0xffff888012345678
    t.set(0x1000, idx(va, 39), 0x2000 | P)
    t.set(0x2000, idx(va, 30), 0x3000 | P)
    t.set(0x3000, idx(va, 21), 0x40000000 | P | PSE | (1 << 12))  # 2 MiB page; bit 12 is PAT
    assert walker(t, 0x1000).walk(va) == 0x40000000 | (va & (2 << 20) - 1)
    t2 = Tables()
    t2.set(0x1000, idx(va, 39), 0x2000 | P)
    t2.set(0x2000, idx(va, 30), 0x80000000 | P | PSE)  # 1 GiB page
    assert walker(t2, 0x1000).walk(va) == 0x80000000 | (va & (1 << 30) - 1)


def test_not_present_or_unreadable_is_none():
    t, va = Tables(), 0xffffc90000123456
    t.set(0x1000, idx(va, 39), 0x2000)  # not present
    assert walker(t, 0x1000).walk(va) is None
    t.set(0x1000, idx(va, 39), 0x9000 | P)  # present, table not in the dump
    assert walker(t, 0x1000).walk(va) is None


def five_level_tables():
    """Tables mapping one 5-level address to 0xabc000, top table at 0x1000."""
    t, va = Tables(), 0xff11000000123000
    t.set(0x1000, idx(va, 48), 0x2000 | P)
    t.set(0x2000, idx(va, 39), 0x3000 | P)
    t.set(0x3000, idx(va, 30), 0x4000 | P)
    t.set(0x4000, idx(va, 21), 0x5000 | P)
    t.set(0x5000, idx(va, 12), 0xabc000 | P)
    return t, va


def test_five_levels_when_the_kernel_says_so():
    t, va = five_level_tables()
    assert walker(t, 0x1000, l5=1).walk(va) == 0xabc000
    assert walker(t, 0x1000, l5=0).walk(va) != 0xabc000


@pytest.mark.parametrize("argv,files,words", [
    (["vmlinux", "vmcore"], ["vmlinux", "vmcore"], []),
    (["-j", "vmlinux", "vmcore", "-v"], ["vmlinux", "vmcore"], ["-j", "-v"]),
    (["-c", "0xffff", "vmlinux", "vmcore"], ["vmlinux", "vmcore"], ["-c", "0xffff"]),
    (["-jc", "0xffff", "vmlinux", "vmcore"], ["vmlinux", "vmcore"], ["-jc", "0xffff"]),
    (["-n", "*xmit*", "vmlinux", "vmcore"], ["vmlinux", "vmcore"], ["-n", "*xmit*"]),
    (["-t", "33", "vmlinux", "vmcore"], ["vmlinux", "vmcore"], ["-t", "33"]),
    (["-t", "vmlinux", "vmcore"], ["vmlinux", "vmcore"], ["-t"]),
    (["vmlinux", "vmcore", "ws_spin", "0xffff888002c2a898"], ["vmlinux", "vmcore"],
     ["ws_spin", "0xffff888002c2a898"]),
    (["vmlinux", "vmcore", "--", "-odd"], ["vmlinux", "vmcore"], ["--", "-odd"]),
])
def test_command_line_split(argv, files, words):
    engine, f, w = split_arguments(argv)
    assert (f, w) == (files, words)


def test_engine_options_are_kept_apart():
    engine, files, words = split_arguments(["-d", "m.ko", "--debug", "1", "vmlinux", "vmcore", "-j"])
    assert engine == ["-d", "m.ko", "--debug", "1"] and files == ["vmlinux", "vmcore"] and words == ["-j"]
    engine, files, words = split_arguments(["--live", "-t", "1"])
    assert engine == ["--live"] and files == [] and words == ["-t", "1"]


def test_five_levels_from_vmcoreinfo_when_the_variable_is_gone():
    t, va = five_level_tables()
    info = "OSRELEASE=7.2.0\nNUMBER(pgtable_l5_enabled)=1\nKERNELOFFSET=0\n"
    assert walker(t, 0x1000, vmcoreinfo=info).walk(va) == 0xabc000
    assert walker(t, 0x1000, vmcoreinfo=info.replace("=1", "=0")).walk(va) != 0xabc000


def test_the_memory_encryption_bit_is_no_part_of_the_address():
    t, va, c_bit = Tables(), 0xffffc90000123456, 1 << 47
    t.set(0x1000, idx(va, 39), 0x2000 | P | c_bit)
    t.set(0x2000, idx(va, 30), 0x3000 | P | c_bit)
    t.set(0x3000, idx(va, 21), 0x4000 | P | c_bit)
    t.set(0x4000, idx(va, 12), 0x7654000 | P | c_bit)
    assert walker(t, 0x1000, sme=c_bit).walk(va) == 0x7654456


class FaultingProg:
    """A kernel whose every object read faults (a dump truncated or damaged
    where the layout's variables are): PAGE_SHIFT is debuginfo, the rest is
    memory."""
    def __getitem__(self, name):
        if name == "PAGE_SHIFT":
            return Value(12)
        raise drgn.FaultError("could not read memory", 0xffffffff82000000)

    def read(self, addr, size, physical=False):
        raise drgn.FaultError("could not read memory", addr)


def test_translations_without_a_readable_layout_are_none_not_exceptions():
    # crash's kvtop() and phys_to_page() fail quietly; an exception here
    # would leave the command as a traceback (b85147a).
    from lockalias.drgn_target import DrgnTarget
    t = DrgnTarget(FaultingProg())
    assert t.kv_to_phys(0xffff888000001000) is None
    assert t.page_struct_of_phys(0x1000) is None


# drgn before 0.0.31 (Debian 12's 0.0.22) hands a fault in a Python memory
# reader (kernel_image.py's segment) to Object reads as a bare Exception;
# 0.0.31 keeps the FaultError. Both are "unreadable".
FAULTS = {
    "FaultError": lambda addr: drgn.FaultError("short read from memory file", addr),
    "drgn-0.0.22-wrapped": lambda addr: Exception(f"_drgn.FaultError: short read from memory file: {addr:#x}"),
}


class TruncatedProg:
    """A kernel whose dump ends before its variables (high_memory, ...), the
    fault spelled FAULT."""
    def __init__(self, fault):
        self.fault = fault

    def __getitem__(self, name):
        if name == "PAGE_SHIFT":
            return Value(12)
        return self  # an object in memory: found, its value unreadable

    def __len__(self):  # as node_data[], one node
        return 1

    def value_(self):
        raise self.fault(0xffffffff827bbed0)

    def read(self, addr, size, physical=False):
        raise self.fault(addr)


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_a_layout_read_that_faults_is_unreadable_in_either_drgns_spelling(fault):
    from lockalias import reads
    from lockalias.drgn_target import DrgnTarget
    t = DrgnTarget(TruncatedProg(fault))
    assert t.kv_to_phys(0xffff888000001000) is None
    assert t.page_struct_of_phys(0x1000) is None
    assert t.read_kv(0xffffffff827bbed0, 8) is None and t.read_phys(0x27bbed0, 8) is None
    assert t.memory_node_spans() == []
    # No direct map, no address to name: the command stops, saying why.
    with pytest.raises(reads.Unreadable, match="cannot read high_memory: short read from memory file"):
        t.phys_to_direct_map(0x1000)


def kernel_image_past_the_end_of_the_dump():
    """A real drgn Program whose kernel image is a Python segment read from
    physical memory the dump does not hold, as kernel_image.py maps it on
    QEMU dumps: what this drgn raises for it, unchanged."""
    prog = drgn.Program(drgn.host_platform)
    prog.add_memory_segment(0xffffffff81000000, 4096, lambda a, n, off, phys: prog.read(0x900000 + off, n, True))
    return prog, drgn.Object(prog, "unsigned long", address=0xffffffff81000010)


def test_reads_turn_this_drgns_fault_in_a_python_segment_into_unreadable():
    from lockalias import reads
    prog, high_memory = kernel_image_past_the_end_of_the_dump()
    with pytest.raises(reads.Unreadable, match="cannot read high_memory: could not find memory segment"):
        reads.value(high_memory, "high_memory")
    assert reads.memory(prog, high_memory.address_, 8) is None
    # Anything else is no fault, and passes unchanged.
    with pytest.raises(TypeError):
        with reads.reading("x"):
            raise TypeError("not a read")


def test_the_command_line_refuses_an_unreadable_layout_in_one_line(monkeypatch, capsys):
    import lockalias.api
    import lockalias.program
    from lockalias import cli
    monkeypatch.setattr(lockalias.program, "open_program",
                        lambda *a: TruncatedProg(FAULTS["drgn-0.0.22-wrapped"]))

    def run(target, words):
        # The core's question; the binding raises its exception again
        # when the command returns.
        return target.phys_to_direct_map(0x1000)
    monkeypatch.setattr(lockalias.api, "run", run)
    assert cli.main(["vmlinux", "vmcore", "-j"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines() == [err.strip()]
    assert err.startswith("lockalias-drgn: vmcore: cannot read high_memory: "), err
