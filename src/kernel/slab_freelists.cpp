#include "kernel/slab_freelists.h"

#include "kernel/memory_util.h"

namespace lockalias {

namespace {

// The first of these members the kernel has: commit d122019bf061 ("mm: Split
// slab into its own type") (in v5.17) moved the slab fields from struct page
// to struct slab, and commit bb192ed9aa71 ("mm/slub: Convert most struct page
// to struct slab by spatch") (in v5.17) made kmem_cache_cpu.page
// kmem_cache_cpu.slab.
long first_offset(Target& t, std::initializer_list<std::pair<const char*, const char*>> names) {
    for (const auto& [type, member] : names)
        if (auto off = t.member_offset(type, member)) return *off;
    return -1;
}

}  // namespace

SlabFreelists::SlabFreelists(Target& t) : t_(t) {
    off_slab_freelist_ = first_offset(t, {{"slab", "freelist"}, {"page", "freelist"}});
    objects_bits_ = t.member_bits("slab", "objects");
    if (!objects_bits_) objects_bits_ = t.member_bits("page", "objects");
    off_offset_ = t.member_offset("kmem_cache", "offset").value_or(-1);
    // Only with CONFIG_SLAB_FREELIST_HARDENED: the stored pointers are
    // obfuscated with it (freelist_ptr_decode()).
    off_random_ = t.member_offset("kmem_cache", "random").value_or(-1);
    // No per-CPU slabs with CONFIG_SLUB_TINY (commit 0af8489b0216 ("mm, slub:
    // remove percpu slabs with CONFIG_SLUB_TINY") (in v6.2)): only the slabs'
    // lists.
    off_cpu_slab_ = t.member_offset("kmem_cache", "cpu_slab").value_or(-1);
    off_cpu_freelist_ = t.member_offset("kmem_cache_cpu", "freelist").value_or(-1);
    off_cpu_slab_slab_ = first_offset(t, {{"kmem_cache_cpu", "slab"}, {"kmem_cache_cpu", "page"}});
    if (off_slab_freelist_ < 0 || off_offset_ < 0) {
        note("SLUB's freelist layout (slab.freelist, kmem_cache.offset) is not in debuginfo: "
             "maps in free slab objects cannot be told from locks");
        return;
    }
    if (off_cpu_slab_ >= 0 && off_cpu_freelist_ >= 0 && off_cpu_slab_slab_ >= 0) {
        // __per_cpu_offset[] up to nr_cpu_ids; a kernel without SMP has no
        // such array and its per-CPU pointers are plain addresses.
        auto offsets = t.symbol_address("__per_cpu_offset");
        if (!offsets) {
            per_cpu_offsets_ = {0};
        } else {
            uint32_t n = 0;
            auto ids = t.symbol_address("nr_cpu_ids");
            if (!ids || !t.read_kv(*ids, &n, sizeof n) || n == 0)
                n = uint32_t(t.array_length("__per_cpu_offset").value_or(0));
            if (n > 0 && n <= 65536) {
                per_cpu_offsets_.resize(n);
                if (!t.read_kv(*offsets, per_cpu_offsets_.data(), n * sizeof(uint64_t))) per_cpu_offsets_.clear();
            }
            if (per_cpu_offsets_.empty())
                note("__per_cpu_offset[] is not readable: objects on a CPU's freelist are not seen as free");
        }
    }
}

const SlabFreelists::CacheInfo& SlabFreelists::cache_info(uint64_t cache) {
    auto it = caches_.find(cache);
    if (it != caches_.end()) return it->second;
    CacheInfo& c = caches_[cache];
    if (!t_.read_kv(cache + off_offset_, &c.offset, sizeof c.offset)) return c;
    if (off_random_ >= 0) {
        if (!t_.read_kv(cache + off_random_, &c.random, sizeof c.random)) return c;
        c.hardened = true;
    }
    auto cpu_slab = off_cpu_slab_ >= 0 ? read_u64(t_, cache + off_cpu_slab_) : std::nullopt;
    if (cpu_slab && *cpu_slab) {
        for (uint64_t off : per_cpu_offsets_) {
            const uint64_t c_addr = *cpu_slab + off;
            auto slab = read_u64(t_, c_addr + off_cpu_slab_slab_);
            auto freelist = read_u64(t_, c_addr + off_cpu_freelist_);
            if (!slab || !freelist) {
                note("a CPU's kmem_cache_cpu is not readable: objects on its freelist are not seen as free");
                continue;
            }
            if (*slab) c.cpu_slabs.emplace_back(*slab, *freelist);
        }
    }
    c.ok = true;
    return c;
}

// The objects bitfield of struct slab (or page): how many objects the slab
// holds, the longest a freelist can be. 0 when unknown.
uint64_t SlabFreelists::slab_objects(uint64_t slab) {
    if (!objects_bits_) return 0;
    const auto [bit, width] = *objects_bits_;
    uint64_t word = 0;
    if (width <= 0 || width > 32 || !t_.read_kv(slab + uint64_t(bit / 8), &word, sizeof word)) return 0;
    return (word >> (bit % 8)) & ((uint64_t(1) << width) - 1);
}

// Follows one freelist from head, collecting its objects. false when it
// leaves the slab, meets an object twice or cannot be read: then it is no
// list this slab can be judged by.
bool SlabFreelists::walk(const CacheInfo& c, const Location& loc, uint64_t head, uint64_t limit,
                         std::unordered_set<uint64_t>& out) {
    const uint64_t first = loc.slab_start + loc.slab_red_left_pad, size = loc.slab_object_size;
    uint64_t p = head;
    for (uint64_t n = 0; p; n++) {
        if (n >= limit || p < first || (p - first) % size || (p - first) / size >= limit) return false;
        if (!out.insert(p).second) return false;
        const uint64_t ptr_addr = p + c.offset;
        auto stored = read_u64(t_, ptr_addr);
        if (!stored) return false;
        // freelist_ptr_decode(): since commit 1ad53d9fa3f6 ("slub: improve bit
        // diffusion for freelist ptr obfuscation") (in v5.7) the address is
        // byte-swapped.
        p = c.hardened ? *stored ^ c.random ^ __builtin_bswap64(ptr_addr) : *stored;
    }
    return true;
}

const std::unordered_set<uint64_t>* SlabFreelists::free_objects(const Location& loc) {
    auto it = slabs_.find(loc.slab);
    if (it != slabs_.end()) return it->second ? &*it->second : nullptr;
    std::optional<std::unordered_set<uint64_t>>& result = slabs_[loc.slab];
    const CacheInfo& c = cache_info(loc.slab_cache_addr);
    if (!c.ok || !loc.slab_object_size) return nullptr;
    uint64_t limit = slab_objects(loc.slab);
    if (!limit) limit = uint64_t(1) << 15;  // the bitfield's width in every SLUB release
    std::unordered_set<uint64_t> free;
    auto head = read_u64(t_, loc.slab + uint64_t(off_slab_freelist_));
    bool ok = head && walk(c, loc, *head, limit, free);
    for (const auto& [slab, freelist] : c.cpu_slabs)
        if (ok && slab == loc.slab) ok = walk(c, loc, freelist, limit, free);
    if (!ok) {
        note("the freelist of slab " + hex(loc.slab) + " (" + loc.slab_cache +
             ") is unreadable or corrupt: its objects are not known to be allocated or free");
        return nullptr;
    }
    result = std::move(free);
    return &*result;
}

SlabFreelists::State SlabFreelists::state(const Location& loc) {
    if (loc.kind != Location::Kind::Slab || !loc.slab || off_slab_freelist_ < 0 || off_offset_ < 0)
        return State::Unknown;
    const auto* free = free_objects(loc);
    if (!free) return State::Unknown;
    return free->count(loc.slab_object) ? State::Free : State::Allocated;
}

}  // namespace lockalias
