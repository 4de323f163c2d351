// The scan's hot loop: find every aligned word in a block of memory that
// points at the start of a lock_classes[] slot. Pure functions, no Target,
// so they can be benchmarked and fuzzed on their own.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lockalias {

struct ClassSlots {
    uint64_t base = 0;     // &lock_classes[0]
    uint64_t size = 0;     // sizeof(struct lock_class)
    uint64_t count = 0;    // entries in lock_classes[]
};

// Appends the byte offsets (within buf) of 8-byte aligned words whose value
// is base + k*size for some k < count. len need not be a multiple of 8.
void find_class_pointers(const uint8_t* buf, size_t len, const ClassSlots& slots,
                         std::vector<uint32_t>& offsets_out);

// The same answer, in the same order, with the block split over `threads`
// threads (the caller's included). One core does not saturate memory
// bandwidth, so a second core nearly halves the scan of a mapped dump.
// Blocks under a few MiB are searched on the caller's thread alone: a
// thread costs tens of microseconds to start.
void find_class_pointers_parallel(const uint8_t* buf, size_t len, const ClassSlots& slots,
                                  std::vector<uint32_t>& offsets_out, unsigned threads);

}  // namespace lockalias
