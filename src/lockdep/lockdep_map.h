// One struct lockdep_map decoded from memory, and the test that tells a
// real map from eight bytes that merely happen to point at a lock_class.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "lockdep/class_table.h"
#include "kernel/memory_util.h"
#include "dump/target.h"

namespace lockalias {

struct LockdepMap {
    uint64_t addr = 0;   // the kernel's own address for it (see address_locator.h)
    uint64_t phys = 0;
    uint64_t key = 0;
    std::vector<uint64_t> class_cache;
    uint64_t name_ptr = 0;
    std::string name;
    bool name_ok = false;
    std::string name_problem;
    unsigned wait_outer = 0, wait_inner = 0, lock_type = 0;
};

// Names already read, by pointer: hundreds of maps share one name string
// (every "&dev->mutex" points at the same literal).
using NameCache = std::unordered_map<uint64_t, KernelString>;

// Decodes map bytes (layout.map_size of them). Reads the name through t
// (or from names, when given; a name not there is read through pages, when
// given).
LockdepMap decode_map(Target& t, const LockdepLayout& l, const uint8_t* bytes,
                      NameCache* names = nullptr, KernelPageMemo* pages = nullptr);

// True when class c was registered for m's key with subclass `slot`.
bool key_matches_slot(const LockdepMap& m, const LockClass& c, int slot,
                      const LockdepLayout& l);
bool key_matches_some_slot(const LockdepMap& m, const ClassTable& classes);

// Why decoded bytes are not taken for a lockdep_map.
enum class MapRejection {
    None,            // a map
    KeyNotKernel,    // key is not a kernel address
    WaitTypeRange,   // wait_type_inner/outer at or above LD_WAIT_MAX
    LockTypeRange,   // lock_type at or above LD_LOCK_MAX
    CacheNotAClass,  // a class_cache[] entry is not a lock_classes[] entry
    NoCachedClass,   // class_cache[] is all NULL (never taken, or not a map)
    ClassCached,     // (untaken maps) a class is cached after all
    NameUnreadable,  // the name pointer does not read as text (LockdepMap::name_problem says how)
    EmptyName,       // the name is ""
};
// For people: "no cached class"; NameUnreadable takes m's name_problem.
std::string map_rejection_text(MapRejection r, const LockdepMap& m);

// None when the decoded bytes are plausibly a lockdep_map whose cache
// entries all point at lock_classes[] entrys; else why not.
MapRejection why_not_a_map(const LockdepMap& m, const ClassTable& classes);

// None when the decoded bytes (class_cache[] all NULL, key already known
// to be a class's) are plausibly a lockdep_map not taken yet; else why not.
// With no class pointer to vouch for it, the name must read as text and the
// wait and lock types must be the kernel's own.
MapRejection why_not_an_untaken_map(const LockdepMap& m, const LockdepLayout& l);

}  // namespace lockalias
