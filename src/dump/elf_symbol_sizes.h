// The sizes of a kernel's data objects from its vmlinux's ELF symbol table
// (st_size). gdb answers "how long is this array" only after looking the
// name up in the debuginfo, about 0.7 ms a name in crash 8.0.2 on a debug
// kernel; one pass over the symbol table answers a list of names in about
// 1.3 ms (6.1 debug vmlinux, 55k symbols).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dump/target.h"

namespace lockalias {

// For each wanted object, the st_size of the object symbol of that name at
// that address, or nullopt. Static symbols repeat names across files, so
// the address picks one: the symbol's link-time address plus the kernel's
// relocation (`stext`, the running address of _stext, minus its link-time
// one). All nullopt when the file has no symbol table or no _stext.
std::vector<std::optional<uint64_t>> elf_object_sizes(const std::string& vmlinux,
                                                      const std::vector<ObjectSymbol>& wanted, uint64_t stext);

}  // namespace lockalias
