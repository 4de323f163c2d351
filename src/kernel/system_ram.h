// Which physical memory to scan: the kernel's own "System RAM" resources
// (iomem_resource), so firmware holes are not counted as unreadable pages.
#pragma once
#include <vector>

#include "dump/target.h"

namespace lockalias {

// Falls back to Target::memory_node_spans() (holes included) when
// iomem_resource cannot be walked.
std::vector<PhysRange> system_ram_ranges(Target& t);

}  // namespace lockalias
