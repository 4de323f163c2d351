#!/usr/bin/env python3
"""Copy QEMU's dump-guest-memory ELF so makedumpfile 1.7.2 can read it.

usage: elf-phdr-fixup.py IN.elf OUT.elf

QEMU >= 7.2 writes a section header table right after the ELF header
(e_shoff = 64, for the PN_XNUM case) and the program headers after it
(e_phoff = 192).  makedumpfile 1.7.2 ignores e_phoff and reads program
header i at 64 + i * 56, finds no PT_LOAD there and fails with
"Can't get the number of PT_LOAD".  This copy moves the program header table
to offset 64 and drops the section headers (only needed when e_phnum ==
PN_XNUM, which a 256 MB guest never hits).  Segment offsets and data are
unchanged; the header table still ends before the first segment.
"""
import shutil, struct, sys

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")


def main():
    src, dst = sys.argv[1:3]
    with open(src, "rb") as f:
        eh = list(EHDR.unpack(f.read(EHDR.size)))
        ident, phoff, phentsize, phnum = eh[0], eh[5], eh[9], eh[10]
        if ident[:4] != b"\x7fELF" or ident[4] != 2:
            sys.exit("%s: not an ELF64 file" % src)
        if phnum == 0xFFFF:
            sys.exit("%s: e_phnum is PN_XNUM; makedumpfile cannot read it anyway" % src)
        if phentsize != PHDR.size:
            sys.exit("%s: unexpected e_phentsize %d" % (src, phentsize))
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    first = min(PHDR.unpack_from(table, i * phentsize)[2] for i in range(phnum))
    if EHDR.size + len(table) > first:
        sys.exit("%s: no room for the program headers before offset %#x" % (src, first))
    shutil.copyfile(src, dst)
    eh[5] = EHDR.size        # e_phoff
    eh[6] = 0                # e_shoff
    eh[11] = eh[12] = eh[13] = 0   # e_shentsize, e_shnum, e_shstrndx
    with open(dst, "r+b") as f:
        f.write(EHDR.pack(*eh))
        f.write(table)
    print("%s: program headers moved from %#x to %#x" % (dst, phoff, EHDR.size))


if __name__ == "__main__":
    main()
