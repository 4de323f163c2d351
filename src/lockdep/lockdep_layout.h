// Where lockdep's structures and fields are in this kernel, read once from
// the dump's debuginfo. Nothing here is a constant from kernel sources.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dump/target.h"

namespace lockalias {

struct Field {
    long offset = -1;
    long size = 0;
};

struct WaitTypes {
    // enum lockdep_wait_type, as this kernel defines it.
    long inv = 0, free = -1, spin = -1, config = -1, sleep = -1, max = -1;
    std::string name(long v) const;   // "SPIN", "SLEEP", ... or the number
    bool is_sleeping(long v) const { return sleep >= 0 && v >= sleep; }
    bool is_spinning(long v) const { return v >= spin && !is_sleeping(v); }
};

struct LockdepLayout {
    // struct lockdep_map
    long map_size = 0;
    Field map_key, map_class_cache, map_name, map_wait_outer, map_wait_inner, map_lock_type;
    int cache_slots = 0;  // NR_LOCKDEP_CACHING_CLASSES

    // struct lock_class
    long class_size = 0;
    Field class_key, class_subclass, class_name, class_name_version,
          class_wait_outer, class_wait_inner, class_lock_type, class_usage_mask;
    long subkey_size = 1;  // sizeof(struct lockdep_subclass_key)
    long subclasses = 0;   // MAX_LOCKDEP_SUBCLASSES (lock_class_key.subkeys[]), 0 if unknown
    // The words a live class always holds as kernel pointers: its list
    // heads (linked or pointing at themselves), for the record checks.
    std::vector<long> class_pointer_words;
    Field class_hash_next, class_hash_pprev;  // lock_class.hash_entry.{next,pprev}
    // LD_LOCK_MAX; -1 before lock types: commit dfd5e3f5fe27
    // ("locking/lockdep: Mark local_lock_t") (in v5.12; 5.10.y has it too)
    long lock_type_max = -1;
    long usage_states = -1;      // LOCK_USAGE_STATES: usage_mask has this many bits

    // classhash_table[]: the hash lockdep finds a class by key in.
    uint64_t classhash_addr = 0;
    long classhash_count = 0;

    // lock_classes[] and which entries are live
    uint64_t classes_addr = 0;
    long classes_count = 0;
    uint64_t in_use_bitmap_addr = 0;   // lock_classes_in_use, 0 if absent
    // Kernels before lock_classes_in_use (commit 01bb6f0af992
    // ("locking/lockdep: Change the range of class_idx in held_lock struct")
    // (in v5.3)): entries [0, nr) live.
    uint64_t nr_lock_classes_addr = 0;

    uint64_t novalidate_key = 0;  // &__lockdep_no_validate__, 0 if absent
    // &__lockdep_no_track__ (lockdep_set_notrack_class(), since commit
    // 1a616c2fe96b ("lockdep: lockdep_set_notrack_class()") (in v6.11)):
    // lockdep returns early for such locks, so their class_cache[] stays empty.
    uint64_t notrack_key = 0;
    WaitTypes wait;

    uint64_t classes_end() const { return classes_addr + uint64_t(class_size) * classes_count; }
};

struct LayoutResult {
    std::optional<LockdepLayout> layout;
    std::string error;  // one line, when layout is empty
};

// Fails with a one-line reason when the kernel has no lockdep or a field
// lockalias needs is missing from its debuginfo.
LayoutResult load_lockdep_layout(Target& t);

}  // namespace lockalias
