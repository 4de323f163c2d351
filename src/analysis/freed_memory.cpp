#include "analysis/freed_memory.h"

namespace lockalias {

const char* FreedMemory::how(MapFinding& f) {
    if (!f.located) {
        f.where = locator_.locate(f.map.addr, f.map.phys);
        f.located = true;
    }
    if (f.where.kind == Location::Kind::DirectMap) {
        if (buddy_.is_free(f.map.phys).value_or(false)) return "buddy-free";
        if (pcp_.is_free(f.map.phys).value_or(false)) return "pcp-free";
        return locator_.page_mapping(f.map.phys).value_or(0) ? "user-page" : nullptr;
    }
    if (f.where.kind != Location::Kind::Slab) return nullptr;
    switch (freelists_.state(f.where)) {
    case SlabFreelists::State::Free: return "slab-freelist";
    case SlabFreelists::State::InSheaf: return "slab-sheaf";
    case SlabFreelists::State::Allocated: return nullptr;
    case SlabFreelists::State::Unknown: break;
    }
    if (f.worst() == Severity::Stale && f.where.slab_free_pointer &&
        f.where.slab_free_pointer == f.map.addr + uint64_t(key_offset_))
        return "free-pointer";
    return nullptr;
}

std::vector<std::string> FreedMemory::problems() const {
    std::vector<std::string> p;
    if (!freelists_.problem().empty()) p.push_back(freelists_.problem());
    if (!pcp_.problem().empty()) p.push_back(pcp_.problem());
    return p;
}

}  // namespace lockalias
