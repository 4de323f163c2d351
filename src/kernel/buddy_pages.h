// Is a page free in the buddy allocator? A free block of 2^order pages has
// its first page marked with the buddy page type and its order in
// page->private; the pages after it carry no mark. So a page is free when
// the aligned block start of some order is a buddy page whose order covers
// it: at most one look per order, cheap enough for the maps a scan reports.
// Pages on the per-CPU lists (PCP) are free too but unmarked: not seen here.
#pragma once
#include <cstdint>
#include <optional>

#include "dump/target.h"
#include "kernel/page_type.h"

namespace lockalias {

class BuddyPages {
public:
    explicit BuddyPages(Target& t);
    // false when this kernel's buddy marking is not in debuginfo: before
    // commit ff202303c398 ("mm: convert page type macros to enum") (in
    // v6.10) PG_buddy is a #define (no DWARF), so older kernels say nothing.
    bool ok() const { return ok_; }
    // nullopt when it cannot be told (no marking, unreadable struct page).
    std::optional<bool> is_free(uint64_t phys);

private:
    bool is_buddy(uint64_t page, uint64_t& order);
    Target& t_;
    bool ok_ = false;
    std::optional<PageType> type_;  // the buddy page type
    long off_private_ = -1;
    unsigned orders_ = 0;       // NR_PAGE_ORDERS: the length of zone.free_area[]
};

}  // namespace lockalias
