#include "analysis/memory_without_maps.h"

#include <algorithm>
#include <optional>

namespace lockalias {

namespace {

// The kernel image's text in physical memory (the image is mapped
// linearly, so one translation of each end is enough).
std::optional<PhysRange> kernel_text(Target& t) {
    auto start = t.symbol_address("_stext"), end = t.symbol_address("_etext");
    if (!start || !end || *end <= *start) return std::nullopt;
    auto phys = t.kv_to_phys(*start);
    if (!phys) return std::nullopt;
    return PhysRange{*phys, *phys + (*end - *start)};
}

}  // namespace

MapFreeMemory memory_without_maps(Target& t) {
    const uint64_t page = t.page_size();
    MapFreeMemory out;
    out.lockdep_tables = lockdep_own_tables(t);
    std::vector<std::pair<PhysRange, std::string>> found;
    if (auto text = kernel_text(t)) found.push_back({*text, kKernelText});
    for (const KernelTable& table : out.lockdep_tables) found.push_back({table.phys, table.symbol});
    std::vector<PhysRange> whole;
    for (const auto& [r, what] : found) {
        const uint64_t start = (r.start + page - 1) / page * page, end = r.end / page * page;
        if (start >= end) continue;  // smaller than a page, or not aligned to hold one
        whole.push_back({start, end});
        out.what.push_back(what);
    }
    std::sort(whole.begin(), whole.end(), [](const PhysRange& a, const PhysRange& b) { return a.start < b.start; });
    for (const PhysRange& r : whole) {  // merged where they touch or overlap
        if (!out.ranges.empty() && r.start <= out.ranges.back().end)
            out.ranges.back().end = std::max(out.ranges.back().end, r.end);
        else
            out.ranges.push_back(r);
    }
    return out;
}

std::vector<PhysRange> outside(const PhysRange& range, const std::vector<PhysRange>& skip) {
    std::vector<PhysRange> out;
    uint64_t pos = range.start;
    for (const PhysRange& s : skip) {
        if (s.end <= pos) continue;
        if (s.start >= range.end) break;
        if (s.start > pos) out.push_back({pos, s.start});
        pos = std::max(pos, s.end);
        if (pos >= range.end) break;
    }
    if (pos < range.end) out.push_back({pos, range.end});
    return out;
}

}  // namespace lockalias
