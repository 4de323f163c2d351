"""Makes damaged copies of an ELF vmcore for the bad-input tests: patch
bytes at a physical address (through the PT_LOAD headers), truncate. The
physical addresses come from crash's own `vtop`, never from constants."""
import re
import shutil
import struct


def load_segments(path):
    """[(paddr, file offset, file size)] of every PT_LOAD."""
    with open(path, "rb") as f:
        ident = f.read(64)
        assert ident[:4] == b"\x7fELF" and ident[4] == 2, "not an ELF64 file"
        phoff, = struct.unpack_from("<Q", ident, 32)
        phentsize, phnum = struct.unpack_from("<HH", ident, 54)
        segs = []
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, _flags, p_offset, _vaddr, p_paddr, p_filesz = struct.unpack("<IIQQQQ", f.read(40))
            if p_type == 1:
                segs.append((p_paddr, p_offset, p_filesz))
    return segs


def file_offset(segs, paddr):
    for base, off, size in segs:
        if base <= paddr < base + size:
            return off + (paddr - base)
    raise KeyError("physical address %#x is not in the dump" % paddr)


def copy(src, dst):
    shutil.copyfile(src, dst)
    return dst


def patch_phys(path, paddr, data):
    segs = load_segments(path)
    with open(path, "r+b") as f:
        f.seek(file_offset(segs, paddr))
        f.write(data)


def truncate(path, size):
    with open(path, "r+b") as f:
        f.truncate(size)


def vtop_output_to_phys(text):
    """crash's `vtop ADDR` -> the physical address it prints."""
    m = re.search(r"^[0-9a-f]+\s+([0-9a-f]+)\s*$", text, re.M)
    if not m:
        raise ValueError("no translation in vtop output:\n" + text)
    return int(m.group(1), 16)
