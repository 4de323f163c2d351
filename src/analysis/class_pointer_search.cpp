#include "analysis/class_pointer_search.h"

#include <algorithm>
#include <cstring>

#include "dump/parallel.h"

namespace lockalias {

KeySet::KeySet(std::vector<uint64_t> keys) : keys_(std::move(keys)), filter_((1u << kBits) / 64, 0) {
    std::sort(keys_.begin(), keys_.end());
    keys_.erase(std::unique(keys_.begin(), keys_.end()), keys_.end());
    for (uint64_t k : keys_) {
        const uint32_t h = bucket(k);
        filter_[h >> 6] |= 1ULL << (h & 63);
    }
    if (keys_.empty()) return;
    // Two ranges: split the sorted keys at their widest gap.
    size_t split = keys_.size();
    uint64_t widest = 0;
    for (size_t i = 1; i < keys_.size(); i++)
        if (keys_[i] - keys_[i - 1] > widest) widest = keys_[i] - keys_[i - 1], split = i;
    ranges_.lo[0] = keys_.front();
    ranges_.span[0] = keys_[split - 1] - keys_.front();
    if (split < keys_.size()) {
        ranges_.lo[1] = keys_[split];
        ranges_.span[1] = keys_.back() - keys_[split];
    }
}

bool KeySet::contains(uint64_t v) const { return std::binary_search(keys_.begin(), keys_.end(), v); }

namespace {

// One subtract and compare per word: values below base wrap to huge
// numbers, so a single unsigned compare tests the whole range. The
// division only runs for the rare words that land inside the array. With
// keys, the words within the keys' ranges also reach the key filter; the
// template keeps that test out of the loop that does not need it.
template <bool kWithKeys>
void find_in_words(const uint8_t* buf, size_t words, const ClassArray& slots, const KeySet* keys,
                   std::vector<uint32_t>& out) {
    const uint64_t span = slots.size * slots.count;
    const uint64_t base = slots.base;
    const KeySet::Ranges near = kWithKeys ? keys->ranges() : KeySet::Ranges{};
    for (size_t i = 0; i < words; i++) {
        uint64_t v;
        std::memcpy(&v, buf + i * 8, 8);
        uint64_t rel = v - base;
        if (__builtin_expect(rel < span, 0) && rel % slots.size == 0) {
            out.push_back(uint32_t(i * 8));
        } else if (kWithKeys && __builtin_expect(near.near(v), 0) && keys->maybe(v) && keys->contains(v)) {
            out.push_back(uint32_t(i * 8) | kKeyWordTag);
        }
    }
}

}  // namespace

void find_class_pointers(const uint8_t* buf, size_t len, const ClassArray& slots,
                         std::vector<uint32_t>& offsets_out, const KeySet* keys) {
    if (keys && !keys->empty())
        find_in_words<true>(buf, len / 8, slots, keys, offsets_out);
    else
        find_in_words<false>(buf, len / 8, slots, nullptr, offsets_out);
}

namespace {

constexpr size_t kMinBytesPerThread = 2u << 20;

}  // namespace

void find_class_pointers_parallel(const uint8_t* buf, size_t len, const ClassArray& slots,
                                  std::vector<uint32_t>& offsets_out, unsigned threads,
                                  const KeySet* keys) {
    const size_t parts = std::max<size_t>(1, std::min<size_t>(threads, len / kMinBytesPerThread));
    if (parts == 1) return find_class_pointers(buf, len, slots, offsets_out, keys);
    // Part boundaries on word boundaries; the last part takes the tail.
    const size_t step = len / parts / 8 * 8;
    std::vector<std::vector<uint32_t>> found(parts);
    run_parallel(parts, [&](size_t p) {
        const size_t from = p * step, to = p + 1 == parts ? len : from + step;
        find_class_pointers(buf + from, to - from, slots, found[p], keys);
    });
    // (the tag bit survives the add: blocks are far below 2 GiB)
    for (size_t p = 0; p < parts; p++)
        for (uint32_t off : found[p]) offsets_out.push_back(uint32_t(p * step) + off);
}

}  // namespace lockalias
