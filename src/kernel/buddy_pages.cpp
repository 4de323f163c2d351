#include "kernel/buddy_pages.h"

#include "kernel/memory_util.h"

namespace lockalias {

BuddyPages::BuddyPages(Target& t) : t_(t) {
    off_private_ = t.member_offset("page", "private").value_or(-1);
    auto area = t.member_size("zone", "free_area");
    auto one = t.type_size("free_area");
    if (off_private_ < 0 || !area || !one || *one <= 0) return;
    orders_ = unsigned(*area / *one);
    if (orders_ == 0 || orders_ > 64) return;
    // (before v6.10 PG_buddy was a #define, not in debuginfo: page_type.h)
    type_ = PageType::of(t, "buddy");
    ok_ = type_.has_value();
}

bool BuddyPages::is_buddy(uint64_t page, uint64_t& order) {
    uint32_t type = 0;
    if (!t_.read_kv(page + type_->offset(), &type, sizeof type) || !type_->marks(type)) return false;
    auto priv = read_u64(t_, page + off_private_);
    if (!priv) return false;
    order = *priv;
    return true;
}

std::optional<bool> BuddyPages::is_free(uint64_t phys) {
    if (!ok_) return std::nullopt;
    const uint64_t page_size = t_.page_size(), pfn = phys / page_size;
    for (unsigned o = 0; o < orders_; o++) {
        const uint64_t head = pfn & ~((uint64_t(1) << o) - 1);
        auto page = t_.page_struct_of_phys(head * page_size);
        if (!page) return std::nullopt;
        uint64_t order = 0;
        if (is_buddy(*page, order) && order < orders_ && pfn - head < (uint64_t(1) << order)) return true;
    }
    return false;
}

}  // namespace lockalias
