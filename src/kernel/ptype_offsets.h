// Parses gdb's `ptype /o struct X` output: the only place debuginfo gives
// bitfield positions (crash's datatype_info() stops at bytes).
#pragma once
#include <map>
#include <string>

namespace lockalias {

struct PtypeMember {
    long bit_offset = 0;  // from the start of the struct
    long bit_size = 0;    // width for bitfields, 8*size otherwise
};
using PtypeLayout = std::map<std::string, PtypeMember>;

// Top-level members only (nested structs' members are skipped).
PtypeLayout parse_ptype_offsets(const std::string& text);

}  // namespace lockalias
