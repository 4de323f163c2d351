#include "class_pointer_search.h"

#include <cstring>

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

}  // namespace lockalias
