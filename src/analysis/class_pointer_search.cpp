#include "analysis/class_pointer_search.h"

#include <algorithm>
#include <cstring>
#if defined(__x86_64__)
#include <immintrin.h>
#endif


namespace lockalias {

KeySet::KeySet(std::vector<uint64_t> keys, unsigned empty_gap)
    : empty_gap_(empty_gap), keys_(std::move(keys)), filter_(kFilterBits / 64, 0) {
    std::sort(keys_.begin(), keys_.end());
    keys_.erase(std::unique(keys_.begin(), keys_.end()), keys_.end());
    size_t slots = 16;
    while (slots < 2 * keys_.size()) slots *= 2;
    table_.assign(slots, 0);
    for (uint64_t k : keys_) {
        const uint32_t h = bucket(k);
        filter_[h >> 6] |= 1ULL << (h & 63);
        if (!k) {
            has_zero_ = true;
            continue;
        }
        size_t at = h & (slots - 1);
        while (table_[at]) at = (at + 1) & (slots - 1);
        table_[at] = k;
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

bool KeySet::contains(uint64_t v) const {
    if (!v) return has_zero_;
    const size_t last = table_.size() - 1;
    for (size_t at = bucket(v) & last;; at = (at + 1) & last) {
        if (table_[at] == v) return true;
        if (!table_[at]) return false;
    }
}

namespace {

// rel % size == 0 without a division (a lock-heavy dump has a class
// pointer every few words, and a 64-bit division costs tens of cycles):
// size = odd << shift divides rel when rel's low `shift` bits are zero and
// (rel >> shift) times odd's inverse mod 2^64 is at most 2^64 / odd, the
// multiples of odd being exactly the products that stay that small.
struct Divisor {
    explicit Divisor(uint64_t size) : shift(size ? unsigned(__builtin_ctzll(size)) : 0) {
        const uint64_t odd = size >> shift;
        inverse = odd;  // Newton's iteration: 5 steps double 3 correct bits to 96
        for (int k = 0; k < 5; k++) inverse *= 2 - odd * inverse;
        limit = odd ? ~0ULL / odd : 0;
        low = (1ULL << shift) - 1;
    }
    bool divides(uint64_t rel) const { return !(rel & low) && (rel >> shift) * inverse <= limit; }
    unsigned shift;
    uint64_t inverse, limit, low;
};

// One subtract and compare per word: values below base wrap to huge
// numbers, so a single unsigned compare tests the whole range. The entry
// test (entry.divides()) only runs for the words that land inside the
// array. With keys, the words within the keys' ranges also reach the key
// filter; the template keeps that test out of the loop that does not need
// it.
// Word i of `words` may start a map not taken: its empty_gap word is zero,
// or past the end (KeySet's constructor).
inline bool gap_word_empty(const uint8_t* buf, size_t i, size_t words, unsigned gap) {
    if (!gap || i + gap >= words) return true;
    uint64_t w;
    std::memcpy(&w, buf + (i + gap) * 8, 8);
    return !w;
}

template <bool kWithKeys>
void find_in_words(const uint8_t* buf, size_t words, const ClassArray& slots, const Divisor& entry,
                   const KeySet* keys, std::vector<uint32_t>& out) {
    const uint64_t span = slots.size * slots.count;
    const uint64_t base = slots.base;
    const KeySet::Ranges near = kWithKeys ? keys->ranges() : KeySet::Ranges{};
    const unsigned gap = kWithKeys ? keys->empty_gap() : 0;
    for (size_t i = 0; i < words; i++) {
        uint64_t v;
        std::memcpy(&v, buf + i * 8, 8);
        uint64_t rel = v - base;
        if (__builtin_expect(rel < span, 0) && entry.divides(rel)) {
            out.push_back(uint32_t(i * 8));
        } else if (kWithKeys && __builtin_expect(near.near(v), 0) && keys->maybe(v) &&
                   gap_word_empty(buf, i, words, gap) && keys->contains(v)) {
            out.push_back(uint32_t(i * 8) | kKeyWordTag);
        }
    }
}

#if defined(__x86_64__)
// The same search, four words per step, without a branch on hits: AVX2
// marks the words in the class array, and those in the keys' ranges whose
// key filter bit is set (KeySet::bucket(), gathered), and appends the
// marked words' indexes to a candidate list (a 16-entry shuffle table packs
// them; the list grows by the mask's popcount). A second pass over each
// block's candidates, still in its cache, applies the scalar loop's exact
// tests in word order, so the answer and its order are the scalar one's.
// Why no branch (issue 16): a guest holding a million locks has a class
// pointer every ~30 words; branching into the scalar loop on each such
// step mispredicted about once a hit (perf: the hit branch and the scalar
// re-scan were half the search's samples on the 256 MiB guest).
// Unsigned compares are signed ones on values with the top bit flipped
// (AVX2 compares 64-bit integers signed only).
// (helpers, not lambdas: a lambda does not inherit the target attribute)
__attribute__((target("avx2"))) inline __m256i flipped(uint64_t x) {
    return _mm256_set1_epi64x(int64_t(x ^ (1ULL << 63)));
}
// All ones in the words where x > limit, unsigned (limit comes flipped).
__attribute__((target("avx2"))) inline __m256i beyond(__m256i x, __m256i limit) {
    return _mm256_cmpgt_epi64(_mm256_xor_si256(x, _mm256_set1_epi64x(INT64_MIN)), limit);
}

// For each 4-bit mask, the pshufb control that packs the marked 32-bit
// lanes to the front, and how many there are.
struct LanePacking {
    alignas(16) uint8_t shuffle[16][16] = {};
    uint8_t count[16] = {};
    constexpr LanePacking() {
        for (int m = 0; m < 16; m++) {
            int n = 0;
            for (int lane = 0; lane < 4; lane++) {
                if (!((m >> lane) & 1)) continue;
                for (int b = 0; b < 4; b++) shuffle[m][n * 4 + b] = uint8_t(lane * 4 + b);
                n++;
            }
            for (int k = n * 4; k < 16; k++) shuffle[m][k] = 0x80;
            count[m] = uint8_t(n);
        }
    }
};
constexpr LanePacking kPacking;

template <bool kWithKeys>
__attribute__((target("avx2"))) void find_in_words_avx2(const uint8_t* buf, size_t words,
                                                         const ClassArray& slots, const KeySet* keys,
                                                         std::vector<uint32_t>& out) {
    const __m256i base = _mm256_set1_epi64x(int64_t(slots.base));
    // rel < span, as span - 1 >= rel (span is never 0 here: count and size are not)
    const __m256i last = flipped(slots.size * slots.count - 1);
    const KeySet::Ranges near = kWithKeys ? keys->ranges() : KeySet::Ranges{};
    const __m256i lo0 = _mm256_set1_epi64x(int64_t(near.lo[0])), span0 = flipped(near.span[0]);
    const __m256i lo1 = _mm256_set1_epi64x(int64_t(near.lo[1])), span1 = flipped(near.span[1]);
    const long long* filter = kWithKeys ? reinterpret_cast<const long long*>(keys->filter()) : nullptr;
    const __m256i low_bits = _mm256_set1_epi64x(KeySet::kFilterBits - 1), bit_of_word = _mm256_set1_epi64x(63);
    const Divisor entry(slots.size);
    const uint64_t span = slots.size * slots.count;
    const unsigned gap = kWithKeys ? keys->empty_gap() : 0;
    const __m256i zero = _mm256_setzero_si256();
    // Blocks of 8 KiB: the second pass re-reads its candidates from L1.
    constexpr size_t kBlockWords = 1024;
    uint32_t candidates[kBlockWords + 4];  // (+4: each step stores four lanes)
    // Steps whose gap words are all in buf; the scalar loop takes the rest.
    const size_t whole_steps = (words > gap ? words - gap : 0) / 4 * 4;
    for (size_t block = 0; block < whole_steps; block += kBlockWords) {
        const size_t block_end = std::min(whole_steps, block + kBlockWords);
        uint32_t* next = candidates;
        for (size_t i = block; i < block_end; i += 4) {
            const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(buf + i * 8));
            __m256i marked = _mm256_xor_si256(beyond(_mm256_sub_epi64(v, base), last), _mm256_set1_epi64x(-1));
            if (kWithKeys) {
                const __m256i far = _mm256_and_si256(beyond(_mm256_sub_epi64(v, lo0), span0),
                                                     beyond(_mm256_sub_epi64(v, lo1), span1));
                // In range, and (with a gap) followed by a zero: slab memory
                // is full of direct-map pointers, few of them followed so.
                __m256i maybe_key = _mm256_xor_si256(far, _mm256_set1_epi64x(-1));
                if (gap) {
                    const __m256i after = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(buf + (i + gap) * 8));
                    maybe_key = _mm256_and_si256(maybe_key, _mm256_cmpeq_epi64(after, zero));
                }
                // Gathered only for the steps with such a word: a gather
                // costs several cycles (30% of the search, gathered on
                // every step with a word in range).
                if (_mm256_movemask_pd(_mm256_castsi256_pd(maybe_key))) {
                    const __m256i h = _mm256_and_si256(
                        _mm256_xor_si256(_mm256_srli_epi64(v, 3), _mm256_srli_epi64(v, 3 + KeySet::kBits)), low_bits);
                    const __m256i filter_words = _mm256_i64gather_epi64(filter, _mm256_srli_epi64(h, 6), 8);
                    // the filter bit moved to each word's sign bit
                    const __m256i bits =
                        _mm256_slli_epi64(_mm256_srlv_epi64(filter_words, _mm256_and_si256(h, bit_of_word)), 63);
                    marked = _mm256_or_si256(marked, _mm256_and_si256(maybe_key, bits));
                }
            }
            const int m = _mm256_movemask_pd(_mm256_castsi256_pd(marked));
            const __m128i index = _mm_add_epi32(_mm_set1_epi32(int(i)), _mm_setr_epi32(0, 1, 2, 3));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(next),
                             _mm_shuffle_epi8(index, _mm_load_si128(reinterpret_cast<const __m128i*>(kPacking.shuffle[m]))));
            next += kPacking.count[m];
        }
        // The scalar loop's tests (find_in_words()), on the marked words only.
        for (const uint32_t* c = candidates; c < next; c++) {
            uint64_t v;
            std::memcpy(&v, buf + size_t(*c) * 8, 8);
            const uint64_t rel = v - slots.base;
            if (rel < span && entry.divides(rel))
                out.push_back(*c * 8);
            else if (kWithKeys && gap_word_empty(buf, *c, words, gap) && keys->contains(v))
                out.push_back((*c * 8) | kKeyWordTag);
        }
    }
    const size_t before = out.size();
    find_in_words<kWithKeys>(buf + whole_steps * 8, words - whole_steps, slots, entry, keys, out);
    for (size_t k = before; k < out.size(); k++) out[k] += uint32_t(whole_steps * 8);  // (tags survive: len < 2 GiB)
}

bool have_avx2() {
    static const bool yes = __builtin_cpu_supports("avx2");
    return yes;
}
#endif

}  // namespace

void find_class_pointers_scalar(const uint8_t* buf, size_t len, const ClassArray& slots,
                                std::vector<uint32_t>& offsets_out, const KeySet* keys) {
    const Divisor entry(slots.size);
    if (keys && !keys->empty())
        find_in_words<true>(buf, len / 8, slots, entry, keys, offsets_out);
    else
        find_in_words<false>(buf, len / 8, slots, entry, nullptr, offsets_out);
}

void find_class_pointers(const uint8_t* buf, size_t len, const ClassArray& slots,
                         std::vector<uint32_t>& offsets_out, const KeySet* keys) {
#if defined(__x86_64__)
    if (have_avx2() && slots.count && slots.size) {
        if (keys && !keys->empty())
            find_in_words_avx2<true>(buf, len / 8, slots, keys, offsets_out);
        else
            find_in_words_avx2<false>(buf, len / 8, slots, nullptr, offsets_out);
        return;
    }
#endif
    find_class_pointers_scalar(buf, len, slots, offsets_out, keys);
}

void SpanSearch::parts(size_t n) {
    // (kept from span to span: their capacity is reused)
    if (found_.size() < n) found_.resize(n);
    for (size_t p = 0; p < n; p++) found_[p].clear();
}

void SpanSearch::part(size_t p, const uint8_t* span, size_t from, size_t to) {
    std::vector<uint32_t>& out = found_.at(p);
    find_class_pointers(span + from, to - from, slots_, out, keys_);
    for (uint32_t& off : out) off += uint32_t(from);  // (the tag bit survives: spans are far below 2 GiB)
}

}  // namespace lockalias
