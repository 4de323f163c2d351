"""What a file is (a vmlinux, an ELF vmcore, a kdump), which kernel a dump
is of (its release and VMCOREINFO), and whether a vmlinux is that kernel's:
the GNU build ID of the vmlinux against the BUILD-ID line of the dump's
VMCOREINFO (the kernel writes it since v5.9, commit 0935288c6e00 "kdump:
append kernel build-id string to VMCOREINFO"). crash refuses a pair that
does not match ("do not match"); drgn 0.0.22 reads on and would give
answers built on the wrong kernel's layouts, 0.0.31 drops the vmlinux
without saying why. Stdlib only: read before drgn opens anything, and by
lockalias-check where drgn is not installed. The one reader of dump
headers in the package."""

import struct
from typing import Iterator, List, NamedTuple, Optional, Tuple

_PT_NOTE = 4
_NT_GNU_BUILD_ID = 3


# makedumpfile's disk_dump_header signature; a flattened file (makedumpfile
# -F, what Debian 13's kdump-tools writes) starts with its own header.
KDUMP_SIGNATURE = b"KDUMP   "
FLATTENED_SIGNATURE = b"makedumpfile"
_FLAT_HEADER_SIZE = 4096


def file_kind(path: str) -> Optional[str]:
    """'vmlinux', 'elf-dump', 'kdump' (compressed or flattened) or None,
    from the file's first bytes."""
    try:
        with open(path, "rb") as f:
            head = f.read(18)
    except OSError:
        return None
    if head.startswith(KDUMP_SIGNATURE) or head.startswith(FLATTENED_SIGNATURE):
        return "kdump"
    if head[:4] == b"\x7fELF" and len(head) == 18:
        # e_type: ET_CORE (4) a vmcore, ET_EXEC (2) a vmlinux, ET_REL a .ko
        e_type = int.from_bytes(head[16:18], "little" if head[5] == 1 else "big")
        return {4: "elf-dump", 2: "vmlinux"}.get(e_type)
    return None


def flattened_at_zero(f, length: int) -> bytes:
    """The first LENGTH bytes of the dump a flattened file stands for: after
    its 4096-byte makedumpfile_header come records of (offset, size), both
    big-endian 64-bit, then size bytes; the record for offset 0 comes early."""
    pos = _FLAT_HEADER_SIZE
    for _ in range(64):
        f.seek(pos)
        rec = f.read(16)
        if len(rec) < 16:
            break
        offset, size = struct.unpack(">qq", rec)
        if offset == 0:
            return f.read(min(size, length))
        if size < 0 or offset < 0:
            break
        pos += 16 + size
    return b""


def kdump_release(path: str) -> Optional[str]:
    """utsname.release from a kdump's disk_dump_header: signature[8],
    header_version, then struct new_utsname (six 65-byte fields: sysname,
    nodename, release, ...); from its record for offset 0 when flattened."""
    with open(path, "rb") as f:
        hdr = f.read(12 + 6 * 65)
        if hdr.startswith(FLATTENED_SIGNATURE):
            hdr = flattened_at_zero(f, 12 + 6 * 65)
    if not hdr.startswith(KDUMP_SIGNATURE) or len(hdr) < 12 + 3 * 65:
        return None
    return hdr[12 + 2 * 65:12 + 3 * 65].split(b"\0")[0].decode("ascii", "replace") or None


def release_of(path: str) -> Optional[str]:
    """The kernel release a dump is of: a kdump's utsname, an ELF dump's
    VMCOREINFO OSRELEASE; None when it does not say."""
    try:
        if file_kind(path) == "kdump":
            return kdump_release(path)
    except (OSError, struct.error):
        return None
    info = dump_vmcoreinfo(path) or ""
    return next((l.split("=", 1)[1].strip() for l in info.splitlines() if l.startswith("OSRELEASE=")), None)


class ProgramHeader(NamedTuple):
    type: int
    offset: int
    paddr: int
    filesz: int
    memsz: int


def elf_program_headers(path: str) -> List[ProgramHeader]:
    """The program headers of a 64-bit little-endian ELF file (a vmcore,
    a vmlinux); [] for anything else."""
    with open(path, "rb") as f:
        ehdr = f.read(64)
        if ehdr[:4] != b"\x7fELF" or ehdr[4] != 2 or ehdr[5] != 1:
            return []
        phoff, = struct.unpack_from("<Q", ehdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", ehdr, 54)
        out = []
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, _flags, offset, _va, paddr, filesz, memsz = struct.unpack("<IIQQQQQ", f.read(48))
            out.append(ProgramHeader(p_type, offset, paddr, filesz, memsz))
        return out


def elf_notes(path: str) -> Iterator[Tuple[bytes, int, bytes]]:
    """(name, type, desc) of every note in a 64-bit little-endian ELF
    file's PT_NOTE segments (a vmcore's, or a vmlinux's)."""
    with open(path, "rb") as f:
        for ph in elf_program_headers(path):
            if ph.type != _PT_NOTE or ph.filesz > 1 << 24:
                continue
            f.seek(ph.offset)
            notes, pos = f.read(ph.filesz), 0
            while pos + 12 <= len(notes):
                namesz, descsz, ntype = struct.unpack_from("<III", notes, pos)
                desc_at = pos + 12 + ((namesz + 3) & ~3)
                yield notes[pos + 12:pos + 12 + namesz].rstrip(b"\0"), ntype, notes[desc_at:desc_at + descsz]
                pos = desc_at + ((descsz + 3) & ~3)


def vmlinux_build_id(path: str) -> Optional[str]:
    for name, ntype, desc in elf_notes(path):
        if name == b"GNU" and ntype == _NT_GNU_BUILD_ID:
            return desc.hex()
    return None


def _kdump_vmcoreinfo(path: str) -> Optional[str]:
    # makedumpfile's disk_dump_header: block_size at 428; the sub-header,
    # one block in, holds offset_vmcoreinfo at 32 and size_vmcoreinfo at 40.
    with open(path, "rb") as f:
        hdr = f.read(432)
        if not hdr.startswith(KDUMP_SIGNATURE) or len(hdr) < 432:
            return None
        block_size, = struct.unpack_from("<i", hdr, 428)
        f.seek(block_size)
        sub = f.read(48)
        if len(sub) < 48:
            return None
        offset, size = struct.unpack_from("<QQ", sub, 32)
        if not offset or not 0 < size < 1 << 20:
            return None
        f.seek(offset)
        return f.read(size).decode("ascii", "replace")


def dump_vmcoreinfo(path: str) -> Optional[str]:
    """The VMCOREINFO text of an ELF vmcore or a (plain, not flattened)
    kdump; None when it has none or the file is neither."""
    try:
        with open(path, "rb") as f:
            magic = f.read(8)
        if magic == KDUMP_SIGNATURE:
            return _kdump_vmcoreinfo(path)
        for name, _type, desc in elf_notes(path):
            if name == b"VMCOREINFO":
                return desc.decode("ascii", "replace")
    except (OSError, struct.error):
        return None
    return None


def mismatch(vmlinux: str, vmcore: str) -> Optional[str]:
    """Why VMLINUX is not the dump's kernel, or None (they match, or the
    dump or the file does not say)."""
    info = dump_vmcoreinfo(vmcore) or ""
    dumped = next((l[len("BUILD-ID="):].strip() for l in info.splitlines() if l.startswith("BUILD-ID=")), None)
    try:
        ours = vmlinux_build_id(vmlinux)
    except OSError:
        return None
    if dumped and ours and dumped != ours:
        return f"{vmlinux} is not the dump's kernel: its build ID is {ours}, the dump's {dumped}"
    return None
