// Is a page on one of the page allocator's per-CPU lists (PCP)? Freed
// pages go there first, not to the buddy allocator, and carry no mark
// that says so: only the lists tell. On a live system those are, among
// others, the pages a reader (crash, drgn) just freed after copying kernel
// memory into them. A block of 2^order pages is listed by its first page,
// its order given by the list it is on.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dump/target.h"

namespace lockalias {

class PcpPages {
public:
    explicit PcpPages(Target& t) : t_(t) {}
    // nullopt when the lists cannot be read (layout not in debuginfo). The
    // lists are read on the first call.
    std::optional<bool> is_free(uint64_t phys);
    // Why the lists were not read, or read only in part; empty when whole.
    const std::string& problem() const { return problem_; }

private:
    void collect();
    bool collect_zone(uint64_t zone);
    Target& t_;
    bool collected_ = false, ok_ = false;
    std::unordered_map<uint64_t, unsigned> first_pages_;  // struct page address -> order
    unsigned max_order_ = 0;
    std::string problem_;
    // layout
    long off_pageset_ = -1, off_pcp_in_pageset_ = 0, off_lists_ = -1, off_count_ = -1, off_link_ = -1;
    unsigned nr_lists_ = 0, pcp_types_ = 0;
    std::vector<uint64_t> cpus_;
};

}  // namespace lockalias
