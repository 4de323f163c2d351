// Where each CPU's copy of a per-CPU variable lives: a __percpu pointer
// plus that CPU's __per_cpu_offset[]. Read by SLUB's per-CPU lists
// (slab_freelists.h) and the page allocator's (pcp_pages.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dump/target.h"

namespace lockalias {

struct PerCpuOffsets {
    // One per possible CPU (up to nr_cpu_ids); {0} on a kernel without SMP,
    // whose per-CPU pointers are plain addresses. Empty when unreadable.
    std::vector<uint64_t> offsets;
    std::string problem;  // why empty
};

PerCpuOffsets per_cpu_offsets(Target& t);

}  // namespace lockalias
