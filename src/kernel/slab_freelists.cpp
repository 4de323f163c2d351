#include "kernel/slab_freelists.h"

#include <algorithm>

#include "kernel/memory_util.h"
#include "kernel/per_cpu.h"

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
    // Per-CPU sheaves: commit 2d517aa09bbc ("slab: add opt-in caching layer
    // of percpu sheaves") (in v6.18); since commit 32c894c7274b ("slab:
    // remove struct kmem_cache_cpu") (in v7.0) every cache has them and
    // kmem_cache_cpu is gone.
    off_cpu_sheaves_ = t.member_offset("kmem_cache", "cpu_sheaves").value_or(-1);
    off_pcs_main_ = t.member_offset("slub_percpu_sheaves", "main").value_or(-1);
    off_pcs_spare_ = t.member_offset("slub_percpu_sheaves", "spare").value_or(-1);
    off_sheaf_size_ = t.member_offset("slab_sheaf", "size").value_or(-1);
    off_sheaf_objects_ = t.member_offset("slab_sheaf", "objects").value_or(-1);
    off_sheaf_barn_list_ = t.member_offset("slab_sheaf", "barn_list").value_or(-1);
    off_barn_full_ = t.member_offset("node_barn", "sheaves_full").value_or(-1);
    // The node's barn: since commit 5ba6bc27b1f9 ("slab: decouple pointer to
    // barn from kmem_cache_node") (in v7.1) kmem_cache.per_node[].barn,
    // before it kmem_cache.node[]->barn.
    if (auto per_node = t.member_offset("kmem_cache", "per_node")) {
        off_node_array_ = *per_node;
        node_stride_ = t.type_size("kmem_cache_per_node_ptrs").value_or(0);
        off_barn_ = t.member_offset("kmem_cache_per_node_ptrs", "barn").value_or(-1);
        barn_in_node_ = false;
        nodes_ = node_stride_ > 0 ? unsigned(t.member_size("kmem_cache", "per_node").value_or(0) / node_stride_) : 0;
    } else if (auto node = t.member_offset("kmem_cache", "node")) {
        off_node_array_ = *node;
        node_stride_ = 8;
        off_barn_ = t.member_offset("kmem_cache_node", "barn").value_or(-1);
        barn_in_node_ = true;
        nodes_ = unsigned(t.member_size("kmem_cache", "node").value_or(0) / 8);
    }
    uint32_t nr_nodes = 0;
    if (auto ids = t.symbol_address("nr_node_ids"); ids && t.read_kv(*ids, &nr_nodes, sizeof nr_nodes) && nr_nodes)
        nodes_ = std::min(nodes_, unsigned(nr_nodes));
    const bool cpu_slabs = off_cpu_slab_ >= 0 && off_cpu_freelist_ >= 0 && off_cpu_slab_slab_ >= 0;
    const bool sheaves = off_cpu_sheaves_ >= 0 && off_pcs_main_ >= 0 && off_pcs_spare_ >= 0 &&
                         off_sheaf_size_ >= 0 && off_sheaf_objects_ >= 0;
    if (off_cpu_sheaves_ >= 0 && !sheaves)
        note("the layout of SLUB's per-CPU sheaves is not in debuginfo: objects in them are not seen as free");
    if (cpu_slabs || sheaves) {
        PerCpuOffsets cpus = per_cpu_offsets(t);
        per_cpu_offsets_ = std::move(cpus.offsets);
        if (!cpus.problem.empty()) note(cpus.problem + ": objects on a CPU's freelist are not seen as free");
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
    if (off_cpu_sheaves_ >= 0 && off_pcs_main_ >= 0 && off_pcs_spare_ >= 0 && off_sheaf_size_ >= 0 &&
        off_sheaf_objects_ >= 0)
        collect_sheaves(cache, c);
    c.ok = true;
    return c;
}

// A sheaf is an array of free objects: the size first pointers of
// objects[]. Each CPU has a main and a spare one; full sheaves wait in
// each node's barn. (The rcu_free sheaf holds objects still waiting for a
// grace period: in use, as drgn's slab_object_info() counts them.)
bool SlabFreelists::read_sheaf(uint64_t sheaf, CacheInfo& c) {
    uint32_t size = 0;
    if (!t_.read_kv(sheaf + off_sheaf_size_, &size, sizeof size) || size > (1u << 16)) return false;
    std::vector<uint64_t> objects(size);
    if (size && !t_.read_kv(sheaf + off_sheaf_objects_, objects.data(), size * sizeof(uint64_t))) return false;
    c.sheaf_objects.insert(objects.begin(), objects.end());
    return true;
}

void SlabFreelists::collect_sheaves(uint64_t cache, CacheInfo& c) {
    auto pcs = read_u64(t_, cache + off_cpu_sheaves_);
    if (!pcs || !*pcs) return;  // a cache without sheaves (6.18-6.19: opt-in)
    for (uint64_t off : per_cpu_offsets_) {
        for (long member : {off_pcs_main_, off_pcs_spare_}) {
            auto sheaf = read_u64(t_, *pcs + off + uint64_t(member));
            if (!sheaf || (*sheaf && !read_sheaf(*sheaf, c)))
                note("a CPU's sheaf of " + hex(cache) + " is not readable: objects in it are not seen as free");
        }
    }
    if (off_barn_ < 0 || off_barn_full_ < 0 || off_sheaf_barn_list_ < 0) return;
    for (unsigned n = 0; n < nodes_; n++) {
        uint64_t per_node = cache + uint64_t(off_node_array_) + n * uint64_t(node_stride_);
        if (barn_in_node_) {
            auto node = read_u64(t_, per_node);
            if (!node || !*node) continue;
            per_node = *node;
        }
        auto barn = read_u64(t_, per_node + uint64_t(off_barn_));
        if (!barn || !*barn) continue;
        const uint64_t head = *barn + uint64_t(off_barn_full_);
        auto next = read_u64(t_, head);
        for (unsigned k = 0; next && *next != head; k++) {
            if (k > (1u << 16) || !read_sheaf(*next - uint64_t(off_sheaf_barn_list_), c)) {
                note("a barn's list of full sheaves of " + hex(cache) +
                     " is unreadable or corrupt: objects in it are not seen as free");
                break;
            }
            next = read_u64(t_, *next);
        }
    }
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
    const CacheInfo& c = cache_info(loc.slab_cache_addr);
    if (c.sheaf_objects.count(loc.slab_object)) return State::InSheaf;
    const auto* free = free_objects(loc);
    if (!free) return State::Unknown;
    return free->count(loc.slab_object) ? State::Free : State::Allocated;
}

}  // namespace lockalias
