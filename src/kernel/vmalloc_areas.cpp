#include "kernel/vmalloc_areas.h"

#include "kernel/memory_util.h"

namespace lockalias {

namespace {

constexpr long kMaxAreas = 1000000;  // far above any real kernel; stops a looping list

// Walks one list of vmap_area (linked through vmap_area.list) from `head`.
bool walk_area_list(Target& t, uint64_t head, long off_list, long off_start, long off_end,
                    VmapAreas& out) {
    uint64_t node = read_u64(t, head).value_or(0);
    while (node && node != head) {
        if (long(out.areas.size()) >= kMaxAreas || t.interrupted()) {
            out.problem = "vmap_area list at " + hex(head) + " did not end: some vmalloc addresses untranslated";
            return false;
        }
        const uint64_t va = node - off_list;
        auto start = read_u64(t, va + off_start);
        auto end = read_u64(t, va + off_end);
        auto next = read_u64(t, node);
        if (!start || !end || !next) {
            out.problem = "vmap_area list unreadable at " + hex(va) + ": some vmalloc addresses untranslated";
            return false;
        }
        if (*end > *start) out.areas.push_back({*start, *end});
        node = *next;
    }
    return true;
}

}  // namespace

VmapAreas read_vmap_areas(Target& t) {
    VmapAreas out;
    auto off_list = t.member_offset("vmap_area", "list");
    auto off_start = t.member_offset("vmap_area", "va_start");
    auto off_end = t.member_offset("vmap_area", "va_end");
    if (!off_list || !off_start || !off_end) {
        out.problem = "struct vmap_area not in debuginfo: module and vmalloc locks are shown at direct-map addresses";
        return out;
    }
    // Before commit 55c49fee57af ("mm/vmalloc: remove vmap_area_list") (in
    // v6.9), every busy area is on the global vmap_area_list.
    if (auto head = t.symbol_address("vmap_area_list")) {
        out.source = "vmap_area_list";
        walk_area_list(t, *head, *off_list, *off_start, *off_end, out);
        return out;
    }
    // Since commit d093602919ad ("mm: vmalloc: remove global vmap_area_root
    // rb-tree") (in v6.9), the areas are split over nr_vmap_nodes nodes, each
    // keeping its busy areas on busy.head.
    auto nodes_sym = t.symbol_address("vmap_nodes");
    auto count_sym = t.symbol_address("nr_vmap_nodes");
    auto node_size = t.type_size("vmap_node");
    auto off_busy = t.member_offset("vmap_node", "busy");
    auto off_head = t.member_offset("rb_list", "head");
    if (!nodes_sym || !count_sym || !node_size || !off_busy || !off_head) {
        out.problem = "neither vmap_area_list nor vmap_nodes in this kernel: module and vmalloc locks are shown at direct-map addresses";
        return out;
    }
    out.source = "vmap_nodes";
    auto nodes = read_u64(t, *nodes_sym);
    uint32_t count = 0;
    if (!nodes || !t.read_kv(*count_sym, &count, sizeof count) || count == 0 || count > 4096) {
        out.problem = "vmap_nodes/nr_vmap_nodes unreadable or implausible: module and vmalloc locks are shown at direct-map addresses";
        return out;
    }
    for (uint32_t i = 0; i < count; i++) {
        const uint64_t head = *nodes + uint64_t(i) * uint64_t(*node_size) + *off_busy + *off_head;
        if (!walk_area_list(t, head, *off_list, *off_start, *off_end, out)) break;
    }
    return out;
}

}  // namespace lockalias
