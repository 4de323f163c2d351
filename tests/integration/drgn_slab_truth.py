#!/usr/bin/python3
"""drgn's own slab_object_info() for addresses in one dump: ground truth
from outside lockalias for whether a slab object is allocated or free,
where crash's `kmem` reads no slab (7.x). One JSON object on stdout:
{"sheaves": kernel has per-CPU sheaves, "drgn_reads_sheaves": this drgn's
helper walks them, "states": {ADDR: "allocated" | "free" | null (no slab
object)}}. Exit 2 with "drgn: ..." when drgn cannot open the dump, 3
when it finds no struct page in it.

usage: drgn_slab_truth.py VMLINUX VMCORE ADDR...
"""
import inspect
import json
import sys
from pathlib import Path

from drgn.helpers.linux import slab as slab_helpers
from drgn.helpers.linux.mm import pfn_to_page

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
# Opened as lockalias-drgn opens it (drgn 0.0.22 needs the kernel image
# mapped on a QEMU ELF dump); the answers below are drgn's own.
from lockalias.program import OpenError, open_program  # noqa: E402


def main():
    vmlinux, vmcore, *addrs = sys.argv[1:]
    try:
        prog = open_program(vmlinux, vmcore)
    except OpenError as e:
        print("drgn: %s" % e)
        return 2
    sheaves = prog.type("struct kmem_cache").has_member("cpu_sheaves")
    reads = "cpu_sheaves" in inspect.getsource(slab_helpers)
    states = {}
    if reads or not sheaves:
        try:
            pfn_to_page(prog, 0)
        except (LookupError, AttributeError) as e:
            # no vmemmap, no node_mem_map: drgn finds no struct page array
            # in some trimmed fixture kernels (KeyError in 0.0.22 and 0.3.0,
            # AttributeError in 0.0.31)
            print("drgn: finds no struct page in %s: %r" % (vmcore, e))
            return 3
        for a in addrs:
            info = slab_helpers.slab_object_info(prog, int(a, 16))
            states[a] = None if info is None else ("allocated" if info.allocated else "free")
    print(json.dumps({"sheaves": sheaves, "drgn_reads_sheaves": reads, "states": states}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
