// Memory no lockdep_map can be in, so the scan does not read it:
// - the kernel's text, [_stext, _etext): read-only once booted, and a map
//   is written when it is initialised and each time its lock is taken;
// - lockdep's own tables (lockdep_own_tables()): class pointers inside
//   other structures, never a map.
// On a debug kernel these are a third of a filtered dump's pages (the 6.1
// fixture's -d 31 copy: 1537 pages of text and 2565 of tables out of
// 11040), and every one of them costs a decompression. Only whole pages
// are left out: a page shared with other data is still read.
#pragma once
#include <string>
#include <vector>

#include "dump/target.h"
#include "lockdep/lockdep_tables.h"

namespace lockalias {

// The kernel text's entry in MapFreeMemory::what (the others are tables'
// symbols): the report words the two kinds differently.
inline constexpr char kKernelText[] = "kernel text";

struct MapFreeMemory {
    std::vector<PhysRange> ranges;  // page-aligned, sorted, disjoint
    std::vector<std::string> what;  // what they are, for the report ("kernel text", "lock_classes", ...)
    std::vector<KernelTable> lockdep_tables;  // exact extents: their edge pages are read, hits there ignored
};

MapFreeMemory memory_without_maps(Target& t);

// The pieces of `range` outside every range of `skip` (sorted, disjoint).
std::vector<PhysRange> outside(const PhysRange& range, const std::vector<PhysRange>& skip);

}  // namespace lockalias
