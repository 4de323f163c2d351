// A page type of `enum pagetype` (slab, buddy, ...), as this kernel marks it
// in struct page's page_type: since commit 4ffca5a96678 ("mm: support only
// one page_type per page") (in v6.12) the top byte holds PGTY_<name>; since
// commit ff202303c398 ("mm: convert page type macros to enum") (in v6.10)
// until then, PG_<name> is a bit cleared under PAGE_TYPE_BASE. Earlier
// kernels have no such enum in debuginfo (slab pages then carry PG_slab in
// page->flags: slab_page.cpp).
#pragma once
#include <cstdint>
#include <optional>

#include "dump/target.h"

namespace lockalias {

class PageType {
public:
    // NAME without prefix ("slab", "buddy"); nullopt when this kernel's
    // debuginfo has neither form, or struct page has no page_type.
    static std::optional<PageType> of(Target& t, const char* name);
    // Whether the page_type word VALUE marks a page of this type.
    bool marks(uint32_t value) const {
        return top_byte_ ? (value >> 24) == type_ : (value & (base_ | type_)) == base_;
    }
    long offset() const { return offset_; }  // of page_type in struct page

private:
    bool top_byte_ = false;
    uint32_t type_ = 0, base_ = 0;
    long offset_ = -1;
};

}  // namespace lockalias
