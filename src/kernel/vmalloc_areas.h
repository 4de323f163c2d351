// The kernel's busy vmalloc areas (module memory included), read from its
// own lists: the scan finds module and vmalloc data at its direct-map alias
// and needs them to give the address the kernel itself uses.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dump/target.h"

namespace lockalias {

struct VmapArea {
    uint64_t start = 0;  // va_start
    uint64_t end = 0;    // va_end (one past the last byte)
};

struct VmapAreas {
    std::vector<VmapArea> areas;
    std::string source;   // which kernel list was walked, for diagnostics
    std::string problem;  // empty when every list was read to its end
};

// Every busy vmap_area, from vmap_area_list (before 6.9) or from each
// vmap_nodes[i].busy list (6.9 and later). Bounded against corrupt lists.
VmapAreas read_vmap_areas(Target& t);

}  // namespace lockalias
