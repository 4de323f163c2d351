// The scan's hot loop: find every aligned word in a block of memory that
// points at the start of a lock_classes[] entry. Pure functions, no Target,
// so they can be benchmarked and fuzzed on their own.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lockalias {

struct ClassArray {
    uint64_t base = 0;     // &lock_classes[0]
    uint64_t size = 0;     // sizeof(struct lock_class)
    uint64_t count = 0;    // entries in lock_classes[]
};

// The lock_class_key addresses that have a live class: a lockdep_map whose
// key word is one of them and whose class_cache[] is empty is a lock not
// taken yet, which lockdep will validate as that class (latent aliases).
// The hot loop asks near() of every word: two subtract-and-compares
// against the two address ranges the keys cluster in (static keys in the
// kernel image, dynamic ones in slab). Only words in range pay for maybe(),
// one multiply and one bit of a 64 KiB filter; contains() confirms the rare
// hits.
class KeySet {
public:
    struct Ranges {  // copied into the hot loop's registers
        uint64_t lo[2] = {1, 1}, span[2] = {0, 0};  // empty: only v == 1 is "near"
        bool near(uint64_t v) const { return v - lo[0] <= span[0] || v - lo[1] <= span[1]; }
    };
    explicit KeySet(std::vector<uint64_t> keys = {});
    bool empty() const { return keys_.empty(); }
    const Ranges& ranges() const { return ranges_; }
    bool near(uint64_t v) const { return ranges_.near(v); }
    bool maybe(uint64_t v) const {
        const uint32_t h = bucket(v);
        return (filter_[h >> 6] >> (h & 63)) & 1;
    }
    bool contains(uint64_t v) const;

private:
    Ranges ranges_;
    static uint32_t bucket(uint64_t v) { return uint32_t((v * 0x9E3779B97F4A7C15ULL) >> (64 - kBits)); }
    static constexpr unsigned kBits = 19;
    std::vector<uint64_t> keys_;    // sorted
    std::vector<uint64_t> filter_;  // 2^kBits bits
};

// Tags an offset reported for a key word rather than a class pointer.
constexpr uint32_t kKeyWordTag = 1u << 31;

// Appends the byte offsets (within buf) of 8-byte aligned words whose value
// is base + k*size for some k < count. len need not be a multiple of 8 and
// must be under 2 GiB. With keys, words that are one of them are appended
// too, as offset | kKeyWordTag, in the same address order.
void find_class_pointers(const uint8_t* buf, size_t len, const ClassArray& slots,
                         std::vector<uint32_t>& offsets_out, const KeySet* keys = nullptr);

// The same, one word at a time: the reference find_class_pointers() keeps
// to where the CPU has AVX2 (it filters four words at a time), for tests.
void find_class_pointers_scalar(const uint8_t* buf, size_t len, const ClassArray& slots,
                                std::vector<uint32_t>& offsets_out, const KeySet* keys = nullptr);

// The same answer, in the same order, with the block split over `threads`
// threads (the caller's included). One core does not saturate memory
// bandwidth, so a second core nearly halves the scan of a mapped dump.
// Blocks under a few MiB are searched on the caller's thread alone: a
// thread costs tens of microseconds to start.
void find_class_pointers_parallel(const uint8_t* buf, size_t len, const ClassArray& slots,
                                  std::vector<uint32_t>& offsets_out, unsigned threads,
                                  const KeySet* keys = nullptr);

}  // namespace lockalias
