#include "kernel/system_ram.h"

#include "kernel/memory_util.h"

namespace lockalias {

std::vector<PhysRange> system_ram_ranges(Target& t) {
    std::vector<PhysRange> out;
    auto root = t.symbol_address("iomem_resource");
    auto off_start = t.member_offset("resource", "start");
    auto off_end = t.member_offset("resource", "end");
    auto off_name = t.member_offset("resource", "name");
    auto off_sibling = t.member_offset("resource", "sibling");
    auto off_child = t.member_offset("resource", "child");
    if (root && off_start && off_end && off_name && off_sibling && off_child) {
        uint64_t res = read_u64(t, *root + *off_child).value_or(0);
        for (int n = 0; res && n < 4096; n++) {
            auto start = read_u64(t, res + *off_start);
            auto end = read_u64(t, res + *off_end);
            auto name = read_u64(t, res + *off_name);
            if (!start || !end || !name) break;
            if (read_kernel_string(t, *name, 64).text == "System RAM" && *end > *start)
                out.push_back({*start, *end + 1});
            res = read_u64(t, res + *off_sibling).value_or(0);
        }
    }
    if (out.empty()) out = t.memory_node_spans();
    return out;
}

}  // namespace lockalias
