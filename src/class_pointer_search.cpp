#include "class_pointer_search.h"

#include <algorithm>
#include <cstring>

#include "parallel.h"

namespace lockalias {

void find_class_pointers(const uint8_t* buf, size_t len, const ClassSlots& slots,
                         std::vector<uint32_t>& offsets_out) {
    const uint64_t span = slots.size * slots.count;
    const uint64_t base = slots.base;
    const size_t words = len / 8;
    // One subtract and compare per word: values below base wrap to huge
    // numbers, so a single unsigned compare tests the whole range. The
    // division only runs for the rare words that land inside the array.
    for (size_t i = 0; i < words; i++) {
        uint64_t v;
        std::memcpy(&v, buf + i * 8, 8);
        uint64_t rel = v - base;
        if (__builtin_expect(rel < span, 0) && rel % slots.size == 0)
            offsets_out.push_back(uint32_t(i * 8));
    }
}

namespace {

constexpr size_t kMinBytesPerThread = 2u << 20;

}  // namespace

void find_class_pointers_parallel(const uint8_t* buf, size_t len, const ClassSlots& slots,
                                  std::vector<uint32_t>& offsets_out, unsigned threads) {
    const size_t parts = std::max<size_t>(1, std::min<size_t>(threads, len / kMinBytesPerThread));
    if (parts == 1) return find_class_pointers(buf, len, slots, offsets_out);
    // Part boundaries on word boundaries; the last part takes the tail.
    const size_t step = len / parts / 8 * 8;
    std::vector<std::vector<uint32_t>> found(parts);
    run_parallel(parts, [&](size_t p) {
        const size_t from = p * step, to = p + 1 == parts ? len : from + step;
        find_class_pointers(buf + from, to - from, slots, found[p]);
    });
    for (size_t p = 0; p < parts; p++)
        for (uint32_t off : found[p]) offsets_out.push_back(uint32_t(p * step + off));
}

}  // namespace lockalias
