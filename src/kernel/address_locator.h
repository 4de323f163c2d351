// Turns the physical address where the scan found a map into the address
// the kernel itself uses (the one a splat prints), and says where it lives:
// kernel image data, module/vmalloc memory, a slab object, or plain pages.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "kernel/slab_page.h"
#include "dump/target.h"

namespace lockalias {

struct Location {
    enum class Kind { KernelImage, Vmalloc, Slab, DirectMap };
    Kind kind = Kind::DirectMap;
    std::string symbol;        // "sym+0x10" for kernel image and module data
    std::string slab_cache;    // kmem_cache name, for slab objects
    uint64_t slab_object = 0;  // start of the enclosing slab object
    // Where SLUB keeps the free-list pointer while the object is free
    // (object + kmem_cache.offset); 0 when unknown.
    uint64_t slab_free_pointer = 0;
    // For kernel/slab_freelists.h: the slab (its head struct page, which
    // struct slab overlays), its kmem_cache, the slab's first byte and the
    // cache's object stride (kmem_cache.size) and left red zone (objects
    // start that far into their slot).
    uint64_t slab = 0, slab_cache_addr = 0, slab_start = 0;
    uint32_t slab_object_size = 0, slab_red_left_pad = 0;

    const char* kind_name() const;  // "kernel", "vmalloc", "slab", "direct-map"
    std::string describe() const;   // one phrase for the text report
};

class AddressLocator {
public:
    explicit AddressLocator(Target& t);

    // Learns the vmalloc addresses of these physical pages (module data and
    // vmalloc memory are found at their direct-map alias by the scan).
    void learn_vmalloc_aliases(const std::vector<uint64_t>& phys_addrs);

    uint64_t kernel_address(uint64_t phys);
    // Whether the page at phys is vmalloc memory (of those learned above):
    // its neighbours in physical memory are not its neighbours there.
    bool in_vmalloc(uint64_t phys) const { return vmalloc_page_of_pfn_.count(phys / page_) > 0; }
    Location locate(uint64_t kvaddr, uint64_t phys);

    // page->mapping of the (head) page at phys: set for a page of a file
    // (the page cache) or of a process (anonymous memory, bit 0), never for
    // the kernel's own allocations. nullopt when it cannot be read.
    std::optional<uint64_t> page_mapping(uint64_t phys);

    // What could not be done, e.g. "vmap_area_list not found".
    const std::string& problem() const { return problem_; }
    // Why slab locks cannot be named in this kernel; empty when they can.
    const std::string& slab_problem() const { return slab_pages_.problem(); }

private:
    bool in_kernel_image_phys(uint64_t phys);
    bool slab_object_of(uint64_t phys, Location& loc);

    // kmem_cache fields, read once (gdb look-ups are slow).
    struct CacheFields {
        bool ok = false;
        long name = 0, size = 0, red_left_pad = -1, free_pointer = -1;
    };
    CacheFields load_cache_fields();

    Target& t_;
    SlabPages slab_pages_;
    CacheFields cache_;
    uint64_t text_kv_ = 0, text_phys_ = 0, image_len_ = 0;
    size_t page_ = 4096;
    std::unordered_map<uint64_t, uint64_t> vmalloc_page_of_pfn_;
    static constexpr long kUnread = -2;
    long off_mapping_ = kUnread;  // page.mapping, looked up on first use
    long reserved_bit_ = kUnread, off_flags_ = -1;  // PG_reserved in page.flags
    std::unordered_map<uint64_t, bool> image_pfn_reserved_;  // pfn -> still the image's
    std::string problem_;
};

}  // namespace lockalias
