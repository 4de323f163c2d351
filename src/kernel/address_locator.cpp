#include "kernel/address_locator.h"

#include <unordered_set>

#include "kernel/enum_values.h"
#include "kernel/memory_util.h"
#include "kernel/vmalloc_areas.h"

namespace lockalias {

const char* Location::kind_name() const {
    switch (kind) {
    case Kind::KernelImage: return "kernel";
    case Kind::Vmalloc: return "vmalloc";
    case Kind::Slab: return "slab";
    case Kind::DirectMap: return "direct-map";
    }
    return "?";
}

std::string Location::describe() const {
    switch (kind) {
    case Kind::KernelImage:
        return "kernel data" + (symbol.empty() ? "" : " " + symbol);
    case Kind::Vmalloc:
        return "module/vmalloc" + (symbol.empty() ? "" : " " + symbol);
    case Kind::Slab:
        return "slab " + slab_cache + " object " + hex(slab_object);
    case Kind::DirectMap:
        return "page memory (not slab)";
    }
    return "";
}

AddressLocator::AddressLocator(Target& t)
    : t_(t), slab_pages_(t), cache_(load_cache_fields()), page_(t.page_size()) {
    auto text = t.symbol_address("_text");
    auto end = t.symbol_address("_end");
    if (text && end && *end > *text) {
        if (auto p = t.kv_to_phys(*text)) {
            text_kv_ = *text;
            text_phys_ = *p;
            image_len_ = *end - *text;
        }
    }
    if (!image_len_) problem_ = "kernel image range unknown: its data is shown at direct-map addresses";
}

// The kernel gives parts of its image back to the page allocator: the init
// sections (free_initmem()), on x86 the gaps around .rodata
// (mark_rodata_ro()) and the unused part of .bss..decrypted
// (mem_encrypt_free_decrypted_mem()), and .brk past _brk_end. Those pages
// then hold slabs and anything else (seen on the real system: a slab of
// freed scenario objects in .bss..decrypted's pages, reported as "kernel
// data"). The image proper is memblock-reserved, so its pages carry
// PG_reserved, cleared when a page is given back: a page of the range
// without it is ordinary memory. Unknown (no PG_reserved in debuginfo, an
// unreadable struct page): counted as image, as before.
bool AddressLocator::in_kernel_image_phys(uint64_t phys) {
    if (!image_len_ || phys < text_phys_ || phys - text_phys_ >= image_len_) return false;
    const uint64_t pfn = phys / page_;
    auto it = image_pfn_reserved_.find(pfn);
    if (it != image_pfn_reserved_.end()) return it->second;
    if (reserved_bit_ == kUnread) {
        auto off = t_.member_offset("page", "flags");
        auto bit = enum_value_of(t_, "pageflags", "PG_reserved");
        reserved_bit_ = off && bit && *bit >= 0 && *bit < 64 ? *bit : -1;
        off_flags_ = off.value_or(-1);
    }
    bool image = true;
    if (reserved_bit_ >= 0) {
        auto page = t_.page_struct_of_phys(pfn * page_);
        auto flags = page ? read_u64(t_, *page + uint64_t(off_flags_)) : std::nullopt;
        if (flags) image = (*flags >> reserved_bit_) & 1;
    }
    image_pfn_reserved_[pfn] = image;
    return image;
}

void AddressLocator::learn_vmalloc_aliases(const std::vector<uint64_t>& phys_addrs) {
    std::unordered_set<uint64_t> wanted;
    for (uint64_t p : phys_addrs)
        if (!in_kernel_image_phys(p)) wanted.insert(p / page_);
    if (wanted.empty()) return;
    // Translate every page of every busy vmalloc area: crash's module list
    // is not needed (and lags new kernels), the kernel's own list is enough.
    VmapAreas areas = read_vmap_areas(t_);
    if (!areas.problem.empty()) problem_ = areas.problem;
    for (const VmapArea& a : areas.areas) {
        if (t_.interrupted()) break;
        for (uint64_t v = a.start; v < a.end && v - a.start < (1ULL << 34); v += page_) {
            auto p = t_.kv_to_phys(v);
            if (p && wanted.count(*p / page_)) vmalloc_page_of_pfn_[*p / page_] = v;
        }
    }
}

uint64_t AddressLocator::kernel_address(uint64_t phys) {
    if (in_kernel_image_phys(phys)) return text_kv_ + (phys - text_phys_);
    auto it = vmalloc_page_of_pfn_.find(phys / page_);
    if (it != vmalloc_page_of_pfn_.end()) return it->second + phys % page_;
    return t_.phys_to_direct_map(phys);
}

AddressLocator::CacheFields AddressLocator::load_cache_fields() {
    CacheFields f;
    auto name = t_.member_offset("kmem_cache", "name");
    auto size = t_.member_offset("kmem_cache", "size");
    if (!name || !size) return f;
    f = {true, *name, *size, t_.member_offset("kmem_cache", "red_left_pad").value_or(-1),
         t_.member_offset("kmem_cache", "offset").value_or(-1)};
    return f;
}

bool AddressLocator::slab_object_of(uint64_t phys, Location& loc) {
    if (!slab_pages_.ok() || !cache_.ok) return false;
    auto page = t_.page_struct_of_phys(phys);
    if (!page) return false;
    const uint64_t head = slab_pages_.head_page(*page);
    auto cache = slab_pages_.slab_cache_of(head);
    if (!cache) return false;
    auto name_ptr = read_u64(t_, *cache + cache_.name);
    uint32_t obj_size = 0;
    if (!name_ptr || !t_.read_kv(*cache + cache_.size, &obj_size, 4) || obj_size == 0) return false;
    if (head > *page) return false;
    uint64_t pages_before = (*page - head) / uint64_t(slab_pages_.page_struct_size());
    uint64_t head_phys = (phys / page_ - pages_before) * page_;
    uint64_t pad = 0;
    if (cache_.red_left_pad >= 0) {
        uint32_t v = 0;
        if (t_.read_kv(*cache + cache_.red_left_pad, &v, 4)) pad = v;
    }
    uint64_t rel = phys - head_phys;
    loc.kind = Location::Kind::Slab;
    loc.slab_cache = read_kernel_string(t_, *name_ptr, 64).text;
    loc.slab_object = t_.phys_to_direct_map(head_phys + (rel / obj_size) * obj_size + pad);
    loc.slab = head;
    loc.slab_cache_addr = *cache;
    loc.slab_start = t_.phys_to_direct_map(head_phys);
    loc.slab_object_size = obj_size;
    loc.slab_red_left_pad = uint32_t(pad);
    uint32_t free_off = 0;
    if (cache_.free_pointer >= 0 && t_.read_kv(*cache + cache_.free_pointer, &free_off, 4) && free_off < obj_size)
        loc.slab_free_pointer = loc.slab_object + free_off;
    return true;
}

std::optional<uint64_t> AddressLocator::page_mapping(uint64_t phys) {
    if (off_mapping_ == kUnread) off_mapping_ = t_.member_offset("page", "mapping").value_or(-1);
    auto page = off_mapping_ >= 0 ? t_.page_struct_of_phys(phys) : std::nullopt;
    if (!page) return std::nullopt;
    return read_u64(t_, slab_pages_.head_page(*page) + uint64_t(off_mapping_));
}

Location AddressLocator::locate(uint64_t kvaddr, uint64_t phys) {
    Location loc;
    if (in_kernel_image_phys(phys)) {
        loc.kind = Location::Kind::KernelImage;
        loc.symbol = t_.symbol_at(kvaddr);
        return loc;
    }
    // Given an address outside the direct map (a module or vmalloc address
    // typed by the user) or one the scan translated to a vmalloc address.
    if (vmalloc_page_of_pfn_.count(phys / page_) || kvaddr != t_.phys_to_direct_map(phys)) {
        loc.kind = Location::Kind::Vmalloc;
        loc.symbol = t_.symbol_at(kvaddr);
        return loc;
    }
    if (slab_object_of(phys, loc)) return loc;
    loc.kind = Location::Kind::DirectMap;
    return loc;
}

}  // namespace lockalias
