// Which struct page heads a slab, and of which kmem_cache: the kernel has
// marked slab pages three ways, and named the head-page link two ways.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "dump/target.h"
#include "kernel/page_type.h"

namespace lockalias {

class SlabPages {
public:
    // Reads the marking, the head-page link and the slab fields from
    // debuginfo; ok() is false when this kernel's marking is unknown.
    explicit SlabPages(Target& t);
    bool ok() const { return ok_; }
    // Why slab objects cannot be named, for the partial-answer notes; empty
    // when ok() or when the target has no struct page at all.
    const std::string& problem() const { return problem_; }

    // The head page of the (possibly compound) page `page`.
    uint64_t head_page(uint64_t page) const;
    // The kmem_cache of head page `head`, when that page is a slab.
    std::optional<uint64_t> slab_cache_of(uint64_t head) const;

    long page_struct_size() const { return page_size_; }

private:
    enum class Marking {
        PageFlagBit,  // PG_slab in page->flags (before 6.10)
        PageType,     // the slab page type in page_type (6.10 and later: page_type.h)
    };
    Target& t_;
    bool ok_ = false;
    std::string problem_;
    Marking marking_ = Marking::PageFlagBit;
    long flag_or_type_ = 0;     // the PG_slab bit, for PageFlagBit
    std::optional<PageType> page_type_;  // for PageType
    long off_flags_ = -1, off_head_ = -1, off_slab_cache_ = -1;
    long page_size_ = 0;
};

}  // namespace lockalias
