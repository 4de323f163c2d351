#include "kernel/slab_page.h"

#include "kernel/enum_values.h"
#include "kernel/memory_util.h"

namespace lockalias {

SlabPages::SlabPages(Target& t) : t_(t) {
    auto size = t.type_size("page");
    off_flags_ = t.member_offset("page", "flags").value_or(-1);
    // Commit d50569612c29 ("mm: rename the 'compound_head' field in the
    // 'struct page' to 'compound_info'") (in v7.1) renamed page->compound_head
    // to compound_info (same bit 0 = tail).
    off_head_ = t.member_offset("page", "compound_head")
                    .value_or(t.member_offset("page", "compound_info").value_or(-1));
    // Commit d122019bf061 ("mm: Split slab into its own type") (in v5.17)
    // moved slab_cache to struct slab, which overlays struct page.
    off_slab_cache_ = t.member_offset("slab", "slab_cache")
                          .value_or(t.member_offset("page", "slab_cache").value_or(-1));
    if (!size) return;  // no struct page at all (a synthetic target): nothing to name
    if (off_head_ < 0 || off_slab_cache_ < 0) {
        problem_ = "struct page/slab layout not in debuginfo: slab locks are shown as page memory";
        return;
    }
    page_size_ = *size;
    if (auto bit = enum_value_of(t, "pageflags", "PG_slab"); bit && off_flags_ >= 0) {
        // Before commit 46df8e73a4a3 ("mm: free up PG_slab") (in v6.10): a
        // bit in page->flags.
        marking_ = Marking::PageFlagBit;
        flag_or_type_ = *bit;
        ok_ = true;
    } else if ((page_type_ = PageType::of(t, "slab"))) {
        // Since commit 46df8e73a4a3 ("mm: free up PG_slab") (in v6.10): a
        // page type (page_type.h says its two forms).
        marking_ = Marking::PageType;
        ok_ = true;
    }
    if (!ok_) problem_ = "this kernel's slab page marking (PG_slab, PGTY_slab) is not in debuginfo: slab locks are shown as page memory";
}

uint64_t SlabPages::head_page(uint64_t page) const {
    auto info = read_u64(t_, page + off_head_);
    if (!info || !(*info & 1)) return page;  // not a tail page
    // Bit 0 marks a tail page; the rest is the head's address, or (since
    // commit 8c846c879e22 ("mm: rework compound_head() for power-of-2
    // sizeof(struct page)") (in v7.1), with HugeTLB vmemmap optimisation and
    // struct page a power of 2) a mask that turns the tail's address into
    // the head's.
    const uint64_t pointer = *info - 1;
    if (pointer <= page && page - pointer < (uint64_t(1) << 30)) return pointer;
    return page & *info;
}

std::optional<uint64_t> SlabPages::slab_cache_of(uint64_t head) const {
    if (!ok_) return std::nullopt;
    bool slab = false;
    switch (marking_) {
    case Marking::PageFlagBit: {
        auto flags = read_u64(t_, head + off_flags_);
        slab = flags && ((*flags >> flag_or_type_) & 1);
        break;
    }
    case Marking::PageType: {
        uint32_t type = 0;
        if (!t_.read_kv(head + page_type_->offset(), &type, sizeof type)) return std::nullopt;
        slab = page_type_->marks(type);
        break;
    }
    }
    if (!slab) return std::nullopt;
    auto cache = read_u64(t_, head + off_slab_cache_);
    if (!cache || !looks_like_kernel_pointer(*cache)) return std::nullopt;
    return cache;
}

}  // namespace lockalias
