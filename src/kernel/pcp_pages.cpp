#include "kernel/pcp_pages.h"

#include <algorithm>

#include "kernel/enum_values.h"
#include "kernel/memory_util.h"
#include "kernel/per_cpu.h"

namespace lockalias {

namespace {
constexpr uint64_t kListHead = 16;            // struct list_head: next, prev
constexpr uint64_t kMaxPages = uint64_t(1) << 22;  // a bound for corrupt lists
}  // namespace

void PcpPages::collect() {
    collected_ = true;
    // zone->per_cpu_pageset (struct per_cpu_pages) since commit 28f836b6777b
    // ("mm/page_alloc: split per cpu page lists and zone stats") (in v5.14);
    // before it zone->pageset (struct per_cpu_pageset, the lists in .pcp).
    if (auto off = t_.member_offset("zone", "per_cpu_pageset")) {
        off_pageset_ = *off;
    } else if (auto old = t_.member_offset("zone", "pageset")) {
        off_pageset_ = *old;
        off_pcp_in_pageset_ = t_.member_offset("per_cpu_pageset", "pcp").value_or(-1);
    }
    off_lists_ = t_.member_offset("per_cpu_pages", "lists").value_or(-1);
    off_count_ = t_.member_offset("per_cpu_pages", "count").value_or(-1);
    nr_lists_ = unsigned(t_.member_size("per_cpu_pages", "lists").value_or(0) / long(kListHead));
    // page->pcp_list since "mm/page_alloc: add page->buddy_list and
    // page->pcp_list" (in v6.0), in a union with page->lru, used before.
    off_link_ = t_.member_offset("page", "pcp_list").value_or(t_.member_offset("page", "lru").value_or(-1));
    pcp_types_ = unsigned(enum_value_of(t_, "migratetype", "MIGRATE_PCPTYPES").value_or(0));
    auto node_zones = t_.member_offset("pglist_data", "node_zones");
    const long zone_size = t_.type_size("zone").value_or(0);
    const long zones = zone_size > 0 ? t_.member_size("pglist_data", "node_zones").value_or(0) / zone_size : 0;
    if (off_pageset_ < 0 || off_pcp_in_pageset_ < 0 || off_lists_ < 0 || !nr_lists_ || off_link_ < 0 ||
        !node_zones || zones <= 0) {
        problem_ = "the per-CPU page lists' layout is not in debuginfo: maps in pages on them are not seen as free";
        return;
    }
    PerCpuOffsets cpus = per_cpu_offsets(t_);
    if (cpus.offsets.empty()) {
        problem_ = cpus.problem + ": maps in pages on the per-CPU page lists are not seen as free";
        return;
    }
    cpus_ = std::move(cpus.offsets);
    // The nodes: node_data[nr_node_ids] with NUMA, else the one
    // contig_page_data. (x86's node_data[] is declared without a length,
    // and crash reads its type from that declaration: its length is unknown.)
    std::vector<uint64_t> nodes;
    if (auto arr = t_.symbol_address("node_data")) {
        uint32_t ids = 0;
        auto nr = t_.symbol_address("nr_node_ids");
        long n = nr && t_.read_kv(*nr, &ids, sizeof ids) && ids ? long(ids) : t_.array_length("node_data").value_or(1);
        for (long i = 0; i < n && i < 4096; i++)
            if (auto pg = read_u64(t_, *arr + uint64_t(i) * 8); pg && *pg) nodes.push_back(*pg);
    } else if (auto contig = t_.symbol_address("contig_page_data")) {
        nodes.push_back(*contig);
    }
    ok_ = !nodes.empty();
    for (uint64_t node : nodes)
        for (long z = 0; z < zones; z++)
            if (!collect_zone(node + uint64_t(*node_zones) + uint64_t(z * zone_size)) && problem_.empty())
                problem_ = "a per-CPU page list is unreadable or corrupt: maps in its pages are not seen as free";
    if (!ok_) problem_ = "no memory node found (node_data, contig_page_data): the per-CPU page lists are not read";
    if (t_.debug_level() > 0)
        t_.debug("per-CPU page lists: " + std::to_string(first_pages_.size()) + " free blocks in " +
                 std::to_string(nodes.size()) + " node(s), " + std::to_string(cpus_.size()) + " CPU(s)");
}

bool PcpPages::collect_zone(uint64_t zone) {
    auto pageset = read_u64(t_, zone + uint64_t(off_pageset_));
    if (!pageset) return false;
    if (!*pageset) return true;  // a zone with no memory
    bool whole = true;
    for (uint64_t cpu : cpus_) {
        const uint64_t pcp = *pageset + cpu + uint64_t(off_pcp_in_pageset_);
        const uint64_t lists = pcp + uint64_t(off_lists_);
        // pcp->count pages in all: more blocks than that is a list torn by
        // a running kernel or a corrupt one (slack for a live count).
        int32_t count = 0;
        if (off_count_ < 0 || !t_.read_kv(pcp + uint64_t(off_count_), &count, sizeof count) || count < 0)
            count = int32_t(kMaxPages);
        uint64_t blocks = 0;
        for (unsigned l = 0; l < nr_lists_; l++) {
            // The list's order: order_to_pindex() files order o, migratetype
            // m at o * MIGRATE_PCPTYPES + m since commit 44042b449872
            // ("mm/page_alloc: allow high-order pages to be stored on the
            // per-cpu lists") (in v5.13); before it every list is order 0
            // (l < MIGRATE_PCPTYPES). The THP lists after the low orders
            // hold larger blocks than this says: under-counted, never over.
            const unsigned order = pcp_types_ ? l / pcp_types_ : 0;
            const uint64_t head = lists + l * kListHead;
            auto next = read_u64(t_, head);
            while (next && *next != head) {
                if (++blocks > uint64_t(count) + 1024 || first_pages_.size() >= kMaxPages) return false;
                auto& o = first_pages_[*next - uint64_t(off_link_)];
                o = std::max(o, order);
                max_order_ = std::max(max_order_, order);
                next = read_u64(t_, *next);
            }
            if (!next) whole = false;
        }
    }
    return whole;
}

std::optional<bool> PcpPages::is_free(uint64_t phys) {
    if (!collected_) collect();
    if (!ok_) return std::nullopt;
    const uint64_t page_size = t_.page_size(), pfn = phys / page_size;
    for (unsigned o = 0; o <= max_order_; o++) {
        const uint64_t first = pfn & ~((uint64_t(1) << o) - 1);
        auto page = t_.page_struct_of_phys(first * page_size);
        if (!page) return std::nullopt;
        auto it = first_pages_.find(*page);
        if (it != first_pages_.end() && pfn - first < (uint64_t(1) << it->second)) return true;
    }
    return false;
}

}  // namespace lockalias
