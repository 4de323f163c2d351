#include "kernel/buddy_pages.h"

#include "kernel/enum_values.h"
#include "kernel/memory_util.h"

namespace lockalias {

BuddyPages::BuddyPages(Target& t) : t_(t) {
    off_type_ = t.member_offset("page", "page_type").value_or(-1);
    off_private_ = t.member_offset("page", "private").value_or(-1);
    auto area = t.member_size("zone", "free_area");
    auto one = t.type_size("free_area");
    if (off_type_ < 0 || off_private_ < 0 || !area || !one || *one <= 0) return;
    orders_ = unsigned(*area / *one);
    if (orders_ == 0 || orders_ > 64) return;
    if (auto ty = enum_value_of(t, "pagetype", "PGTY_buddy")) {
        // Since commit 4ffca5a96678 ("mm: support only one page_type per
        // page") (in v6.12): the top byte of page_type
        top_byte_ = true;
        type_ = *ty;
        ok_ = true;
    } else if (auto mask = enum_value_of(t, "pagetype", "PG_buddy")) {
        // Since commit ff202303c398 ("mm: convert page type macros to enum")
        // (in v6.10), until v6.12: a bit cleared under PAGE_TYPE_BASE
        if (auto base = enum_value_of(t, "pagetype", "PAGE_TYPE_BASE")) {
            type_ = *mask;
            base_ = *base;
            ok_ = true;
        }
    }
}

bool BuddyPages::is_buddy(uint64_t page, uint64_t& order) {
    uint32_t type = 0;
    if (!t_.read_kv(page + off_type_, &type, sizeof type)) return false;
    const bool buddy = top_byte_ ? (type >> 24) == uint32_t(type_)
                                 : (type & uint32_t(base_ | type_)) == uint32_t(base_);
    if (!buddy) return false;
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
