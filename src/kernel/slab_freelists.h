// Is a slab object allocated or free? SLUB keeps free objects on singly
// linked lists: each slab's own freelist (partial and full slabs, and what
// other CPUs freed into a CPU's current slab), and each CPU's lockless
// freelist for its current slab (kmem_cache_cpu.freelist); since 6.18 also
// arrays of free objects, the sheaves (each CPU's, each node's barn). An object on
// none of them is allocated: the test crash's `kmem ADDR` and drgn's
// slab_object_info() make. A freed object's memory keeps whatever it held,
// lockdep_map included, so a map there is no lock.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dump/target.h"
#include "kernel/address_locator.h"

namespace lockalias {

class SlabFreelists {
public:
    explicit SlabFreelists(Target& t);

    enum class State { Allocated, Free, InSheaf, Unknown };  // InSheaf: free, in a sheaf
    // For a Location of kind Slab (AddressLocator::locate()).
    State state(const Location& loc);

    // Why some objects' state is Unknown (a layout missing from debuginfo,
    // a freelist that is unreadable or corrupt); empty when none was.
    const std::string& problem() const { return problem_; }

private:
    struct CacheInfo {
        bool ok = false;
        uint32_t offset = 0;      // kmem_cache.offset: where a free object holds the next pointer
        uint64_t random = 0;      // kmem_cache.random (CONFIG_SLAB_FREELIST_HARDENED)
        bool hardened = false;
        // (kmem_cache_cpu.slab, kmem_cache_cpu.freelist) of every CPU
        std::vector<std::pair<uint64_t, uint64_t>> cpu_slabs;
        std::unordered_set<uint64_t> sheaf_objects;  // free objects in the cache's sheaves
    };
    void collect_sheaves(uint64_t cache, CacheInfo& c);
    bool read_sheaf(uint64_t sheaf, CacheInfo& c);
    const CacheInfo& cache_info(uint64_t cache);
    // Every free object of one slab (memoized); null when a list cannot be
    // followed.
    const std::unordered_set<uint64_t>* free_objects(const Location& loc);
    bool walk(const CacheInfo& c, const Location& loc, uint64_t head, uint64_t limit,
              std::unordered_set<uint64_t>& out);
    uint64_t slab_objects(uint64_t slab);
    void note(const std::string& p) {
        if (problem_.empty()) problem_ = p;
    }

    Target& t_;
    // struct slab (5.17+) or struct page: freelist and the objects bitfield
    long off_slab_freelist_ = -1, off_slab_counters_ = -1;
    std::optional<std::pair<long, long>> objects_bits_;
    // struct kmem_cache
    long off_offset_ = -1, off_random_ = -1, off_cpu_slab_ = -1;
    // struct kmem_cache_cpu
    long off_cpu_freelist_ = -1, off_cpu_slab_slab_ = -1;
    // sheaves: kmem_cache.cpu_sheaves, slub_percpu_sheaves, slab_sheaf, the barns
    long off_cpu_sheaves_ = -1, off_pcs_main_ = -1, off_pcs_spare_ = -1;
    long off_sheaf_size_ = -1, off_sheaf_objects_ = -1, off_sheaf_barn_list_ = -1, off_barn_full_ = -1;
    long off_node_array_ = -1, node_stride_ = 0, off_barn_ = -1;
    bool barn_in_node_ = false;
    unsigned nodes_ = 0;
    std::vector<uint64_t> per_cpu_offsets_;
    std::unordered_map<uint64_t, CacheInfo> caches_;
    std::unordered_map<uint64_t, std::optional<std::unordered_set<uint64_t>>> slabs_;
    std::string problem_;
};

}  // namespace lockalias
