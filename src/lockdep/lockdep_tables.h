// lockdep's own bookkeeping arrays (kernel/locking/lockdep.c). They hold
// class pointers inside other structures (lock_list.class and .links_to,
// hash buckets that point at lock_class.hash_entry), never a lockdep_map:
// a "map" found there is a misreading, so the scan skips them.
#pragma once
#include <string>
#include <vector>

#include "dump/target.h"

namespace lockalias {

struct KernelTable {
    std::string symbol;
    PhysRange phys;  // where the array lies in physical memory
};

// The arrays this kernel has (lock_classes[], list_entries[], the hash
// tables, ...), with their physical ranges; arrays whose symbol or size is
// not in debuginfo are left out.
std::vector<KernelTable> lockdep_own_tables(Target& t);

}  // namespace lockalias
