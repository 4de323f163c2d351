#include "address_locator.h"

#include <unordered_set>

#include "enum_values.h"
#include "memory_util.h"

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

AddressLocator::AddressLocator(Target& t) : t_(t), slab_(load_slab_fields()), page_(t.page_size()) {
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

bool AddressLocator::in_kernel_image_phys(uint64_t phys) const {
    return image_len_ && phys >= text_phys_ && phys - text_phys_ < image_len_;
}

void AddressLocator::learn_vmalloc_aliases(const std::vector<uint64_t>& phys_addrs) {
    std::unordered_set<uint64_t> wanted;
    for (uint64_t p : phys_addrs)
        if (!in_kernel_image_phys(p)) wanted.insert(p / page_);
    if (wanted.empty()) return;
    auto head = t_.symbol_address("vmap_area_list");
    auto off_list = t_.member_offset("vmap_area", "list");
    auto off_start = t_.member_offset("vmap_area", "va_start");
    auto off_end = t_.member_offset("vmap_area", "va_end");
    if (!head || !off_list || !off_start || !off_end) {
        problem_ = "vmap_area_list not in this kernel: module and vmalloc locks are shown at direct-map addresses";
        return;
    }
    // Walk every vmalloc area and translate its pages; bounded so a corrupt
    // list cannot loop forever.
    uint64_t node = read_u64(t_, *head).value_or(0);
    for (long areas = 0; node && node != *head && areas < 1000000; areas++) {
        if (t_.interrupted()) break;
        uint64_t va = node - *off_list;
        auto start = read_u64(t_, va + *off_start);
        auto end = read_u64(t_, va + *off_end);
        if (!start || !end) {
            problem_ = "vmap_area list unreadable at " + hex(va) + ": some vmalloc addresses untranslated";
            break;
        }
        for (uint64_t v = *start; v < *end && v - *start < (1ULL << 34); v += page_) {
            auto p = t_.kv_to_phys(v);
            if (p && wanted.count(*p / page_)) vmalloc_page_of_pfn_[*p / page_] = v;
        }
        node = read_u64(t_, node).value_or(0);
    }
}

uint64_t AddressLocator::kernel_address(uint64_t phys) const {
    if (in_kernel_image_phys(phys)) return text_kv_ + (phys - text_phys_);
    auto it = vmalloc_page_of_pfn_.find(phys / page_);
    if (it != vmalloc_page_of_pfn_.end()) return it->second + phys % page_;
    return t_.phys_to_direct_map(phys);
}

AddressLocator::SlabFields AddressLocator::load_slab_fields() {
    SlabFields f;
    auto pg_slab = enum_value_of(t_, "pageflags", "PG_slab");
    auto flags = t_.member_offset("page", "flags");
    auto head = t_.member_offset("page", "compound_head");
    auto page_size = t_.type_size("page");
    auto cache = t_.member_offset("slab", "slab_cache");
    if (!cache) cache = t_.member_offset("page", "slab_cache");
    auto name = t_.member_offset("kmem_cache", "name");
    auto size = t_.member_offset("kmem_cache", "size");
    if (!pg_slab || !flags || !head || !page_size || !cache || !name || !size) return f;
    f = {true, *pg_slab, *flags, *head, *page_size, *cache, *name, *size,
         t_.member_offset("kmem_cache", "red_left_pad").value_or(-1)};
    return f;
}

bool AddressLocator::slab_object_of(uint64_t phys, Location& loc) {
    if (!slab_.ok) return false;
    auto page = t_.page_struct_of_phys(phys);
    if (!page) return false;
    uint64_t head = *page;
    auto compound = read_u64(t_, *page + slab_.page_head);
    if (compound && (*compound & 1)) head = *compound - 1;  // tail page
    auto flags = read_u64(t_, head + slab_.page_flags);
    if (!flags || !((*flags >> slab_.pg_slab) & 1)) return false;
    auto cache = read_u64(t_, head + slab_.slab_cache);
    if (!cache) return false;
    auto name_ptr = read_u64(t_, *cache + slab_.cache_name);
    uint32_t obj_size = 0;
    if (!name_ptr || !t_.read_kv(*cache + slab_.cache_size, &obj_size, 4) || obj_size == 0) return false;
    uint64_t pages_before = (*page - head) / uint64_t(slab_.page_size);
    uint64_t head_phys = (phys / page_ - pages_before) * page_;
    uint64_t pad = 0;
    if (slab_.red_left_pad >= 0) {
        uint32_t v = 0;
        if (t_.read_kv(*cache + slab_.red_left_pad, &v, 4)) pad = v;
    }
    uint64_t rel = phys - head_phys;
    loc.kind = Location::Kind::Slab;
    loc.slab_cache = read_kernel_string(t_, *name_ptr, 64).text;
    loc.slab_object = t_.phys_to_direct_map(head_phys + (rel / obj_size) * obj_size + pad);
    return true;
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
