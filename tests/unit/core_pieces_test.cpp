// The small pure pieces: class-pointer search, argument parsing, JSON.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <tuple>

#include "analysis/byte_memo.h"
#include "analysis/class_pointer_search.h"
#include "dump/parallel.h"
#include "command/command_line.h"
#include "kernel/enum_values.h"
#include "report/json_writer.h"

namespace lockalias {
namespace {

TEST(ClassPointerSearch, FindsOnlySlotStartsInsideTheArray) {
    ClassArray s{0xffffffff82000000ULL, 200, 10};
    uint64_t words[] = {
        s.base,                 // slot 0
        s.base + 200 * 9,       // last slot
        s.base + 200 * 10,      // one past the end
        s.base + 8,             // inside an entry, not its start
        s.base - 200,           // before the array
        0, ~0ULL,
    };
    std::vector<uint32_t> hits;
    find_class_pointers(reinterpret_cast<const uint8_t*>(words), sizeof words, s, hits);
    EXPECT_EQ(hits, (std::vector<uint32_t>{0, 8}));
}

TEST(ClassPointerSearch, IgnoresTrailingPartialWord) {
    ClassArray s{0x1000, 64, 4};
    uint8_t buf[12] = {};
    uint64_t v = 0x1000;
    std::memcpy(buf, &v, 8);
    std::vector<uint32_t> hits;
    find_class_pointers(buf, sizeof buf, s, hits);
    EXPECT_EQ(hits.size(), 1u);
}

// A span searched in parts (SpanSearch, as the scan's MapCollector hands
// them out), on threads: the parts' hits, in part order, are the answer of
// one search of the whole span, offsets within the span, key words still
// tagged.
TEST(ClassPointerSearch, PartsOnThreadsFindTheSameWordsInTheSameOrder) {
    ClassArray s{0xffffffff82000000ULL, 200, 1000};
    std::mt19937_64 rng(7);
    // Odd length (a partial word at the end), pointers planted at part
    // boundaries and at random places among random words; key words with
    // a zero after them.
    std::vector<uint8_t> buf((9u << 20) + 5);
    const uint64_t key_words[] = {0xffffffff83000010ULL, 0xffff888012345670ULL};
    for (size_t i = 0; i + 8 <= buf.size(); i += 8) {
        uint64_t v = rng();
        if (rng() % 1000 == 0 || i == 0 || i == (buf.size() / 8 - 1) * 8 || i % (3u << 20) == 0 ||
            i % (3u << 20) == (3u << 20) - 8) {
            v = s.base + s.size * (rng() % s.count);
        } else if (rng() % 5000 == 0 && i + 16 <= buf.size()) {
            v = key_words[rng() % 2];
            std::memset(&buf[i + 8], 0, 8);  // the empty class_cache[0] after it
            std::memcpy(&buf[i], &v, 8);
            i += 8;
            continue;
        }
        std::memcpy(&buf[i], &v, 8);
    }
    const KeySet keys({key_words[0], key_words[1]}, 1);
    std::vector<uint32_t> whole;
    find_class_pointers(buf.data(), buf.size(), s, whole, &keys);
    ASSERT_GT(whole.size(), 1000u);
    ASSERT_TRUE(std::any_of(whole.begin(), whole.end(), [](uint32_t o) { return o & kKeyWordTag; }));
    for (size_t n : {1u, 2u, 3u, 4u, 64u}) {
        SpanSearch search(s, &keys);
        search.parts(n);
        const size_t step = buf.size() / n / 8 * 8;  // word boundaries; the last takes the tail
        run_parallel(n, [&](size_t p) { search.part(p, buf.data(), p * step, p + 1 == n ? buf.size() : (p + 1) * step); });
        std::vector<uint32_t> found;
        for (size_t p = 0; p < n; p++) found.insert(found.end(), search.hits(p).begin(), search.hits(p).end());
        EXPECT_EQ(found, whole) << n << " parts";
    }
}

// find_class_pointers() filters four words at a time where the CPU has
// AVX2: it must give the scalar loop's answer, in its order, for words at
// every edge of every range (class array, both key ranges), at every
// position within a step of four, with and without keys, and odd lengths.
TEST(ClassPointerSearch, FourAtATimeGivesTheScalarAnswer) {
    const ClassArray s{0xffffffff82000000ULL, 200, 1000};
    const KeySet keys({0xffffffff81234560ULL, 0xffffffff81240000ULL, 0xffff888001000000ULL,
                       0xffff888003000040ULL});
    const uint64_t span = s.size * s.count;
    const std::vector<uint64_t> edges = {
        s.base, s.base - 1, s.base - s.size, s.base + s.size, s.base + 8, s.base + span - s.size,
        s.base + span - 1, s.base + span, 0xffffffff81234560ULL, 0xffffffff8123455fULL, 0xffffffff81240000ULL,
        0xffffffff81240001ULL, 0xffffffff81238000ULL, 0xffff888001000000ULL, 0xffff888000ffffffULL,
        0xffff888003000040ULL, 0xffff888003000041ULL, 0xffff888002000000ULL, 0, 1, ~0ULL, 1ULL << 63,
        (1ULL << 63) - 1};
    std::mt19937_64 rng(11);
    std::vector<uint8_t> buf(8 * 4096 + 7);
    for (size_t i = 0; i + 8 <= buf.size(); i += 8) {
        uint64_t v = rng() % 3 ? rng() : edges[rng() % edges.size()];
        std::memcpy(&buf[i], &v, 8);
    }
    for (const KeySet* k : {static_cast<const KeySet*>(nullptr), &keys}) {
        for (size_t len : {buf.size(), size_t(0), size_t(7), size_t(8), size_t(24), size_t(33), size_t(8 * 1001 + 3)}) {
            for (size_t shift : {0, 8, 16, 24}) {  // every position within a step of four
                if (shift > len) continue;
                std::vector<uint32_t> fast, slow;
                find_class_pointers(buf.data() + shift, len - shift, s, fast, k);
                find_class_pointers_scalar(buf.data() + shift, len - shift, s, slow, k);
                ASSERT_EQ(fast, slow) << "len " << len << " shift " << shift << (k ? " with keys" : "");
            }
        }
    }
    std::vector<uint32_t> all;
    find_class_pointers(buf.data(), buf.size(), s, all, &keys);
    EXPECT_GT(std::count_if(all.begin(), all.end(), [](uint32_t o) { return o & kKeyWordTag; }), 100);
    EXPECT_GT(std::count_if(all.begin(), all.end(), [](uint32_t o) { return !(o & kKeyWordTag); }), 100);
}

// Every word a candidate: the candidate list of each block fills up (the
// second pass sees every word), across blocks and with a tail of 1-3 words.
TEST(ClassPointerSearch, AllWordsMarkedGiveTheScalarAnswer) {
    const ClassArray s{0xffffffff82000000ULL, 200, 1000};
    const KeySet keys({0xffff888001000000ULL, 0xffff888003000040ULL});
    std::mt19937_64 rng(3);
    std::vector<uint64_t> words(3 * 1024 + 7);
    for (uint64_t& w : words)
        w = rng() % 5 ? s.base + (rng() % (s.size * s.count)) / 8 * 8 : 0xffff888001000000ULL + 0x40 * (rng() % 2);
    const auto* buf = reinterpret_cast<const uint8_t*>(words.data());
    for (const KeySet* k : {static_cast<const KeySet*>(nullptr), &keys}) {
        std::vector<uint32_t> fast, slow;
        find_class_pointers(buf, words.size() * 8, s, fast, k);
        find_class_pointers_scalar(buf, words.size() * 8, s, slow, k);
        EXPECT_EQ(fast, slow) << (k ? "with keys" : "");
        EXPECT_GT(slow.size(), words.size() / 40);
    }
}

// With an empty gap a key word counts only when the word that many words
// on is zero (a map not taken), or past the end of the bytes searched; the
// four-at-a-time search must still give the scalar answer, at every length
// and position within a step.
TEST(ClassPointerSearch, KeyWordsCountOnlyBeforeAnEmptyGapWord) {
    const ClassArray s{0xffffffff82000000ULL, 200, 1000};
    const uint64_t k1 = 0xffff888001000000ULL, k2 = 0xffffffff81234560ULL;
    for (unsigned gap : {1u, 2u}) {
        const KeySet keys({k1, k2}, gap);
        // a key before a zero, a key before a pointer, a class pointer, the last word a key
        std::vector<uint64_t> words(16, 0x1234);
        words[1] = k1, words[1 + gap] = 0;
        words[5] = k2, words[5 + gap] = s.base;
        words[9] = s.base + s.size;
        words[15] = k1;
        std::vector<uint32_t> hits;
        find_class_pointers(reinterpret_cast<const uint8_t*>(words.data()), words.size() * 8, s, hits, &keys);
        std::vector<uint32_t> expected = {8 | kKeyWordTag, uint32_t((5 + gap) * 8), 9 * 8, 15 * 8 | kKeyWordTag};
        EXPECT_EQ(hits, expected) << "gap " << gap;

        std::mt19937_64 rng(gap);
        std::vector<uint64_t> many(4 * 1024 + 9);
        for (uint64_t& w : many) {
            switch (rng() % 5) {
            case 0: w = rng() % 2 ? k1 : k2; break;
            case 1: w = 0; break;
            case 2: w = s.base + (rng() % s.count) * s.size; break;
            case 3: w = k1 + 8 * (rng() % 1000); break;  // in range, mostly not keys
            default: w = rng(); break;
            }
        }
        const auto* buf = reinterpret_cast<const uint8_t*>(many.data());
        for (size_t len : {many.size() * 8, size_t(8), size_t(16), size_t(40), size_t(8 * 1027 + 3)}) {
            for (size_t shift : {0, 8, 16, 24}) {
                if (shift > len) continue;
                std::vector<uint32_t> fast, slow;
                find_class_pointers(buf + shift, len - shift, s, fast, &keys);
                find_class_pointers_scalar(buf + shift, len - shift, s, slow, &keys);
                ASSERT_EQ(fast, slow) << "gap " << gap << " len " << len << " shift " << shift;
            }
        }
    }
}

// Within the keys' ranges the filter bit decides which steps the scalar
// loop sees: words that share a key's bit (false positives) and the keys
// themselves, beside words in range whose bit is clear, must still give
// the scalar answer.
TEST(ClassPointerSearch, KeyFilterStepsGiveTheScalarAnswer) {
    const ClassArray s{0xffffffff82000000ULL, 200, 1000};
    std::vector<uint64_t> key_list;
    for (uint64_t k = 0; k < 300; k++) key_list.push_back(0xffff888000000000ULL + k * 0x35a8c8ULL);  // spread, like slab keys
    const KeySet keys(key_list);
    std::vector<uint64_t> sharing_a_bit;  // in range, not keys, filter bit set
    for (uint64_t v = key_list.front(); sharing_a_bit.size() < 50 && v < key_list.back(); v += 8 * 977)
        if (keys.near(v) && keys.maybe(v) && !keys.contains(v)) sharing_a_bit.push_back(v);
    ASSERT_GE(sharing_a_bit.size(), 10u);
    std::mt19937_64 rng(5);
    std::vector<uint8_t> buf(8 * 8192);
    for (size_t i = 0; i + 8 <= buf.size(); i += 8) {
        uint64_t v;
        switch (rng() % 4) {
        case 0: v = key_list[rng() % key_list.size()]; break;
        case 1: v = sharing_a_bit[rng() % sharing_a_bit.size()]; break;
        case 2: v = key_list.front() + (rng() % (key_list.back() - key_list.front())) / 8 * 8; break;
        default: v = s.base + (rng() % s.count) * s.size; break;
        }
        std::memcpy(&buf[i], &v, 8);
    }
    std::vector<uint32_t> fast, slow;
    find_class_pointers(buf.data(), buf.size(), s, fast, &keys);
    find_class_pointers_scalar(buf.data(), buf.size(), s, slow, &keys);
    EXPECT_EQ(fast, slow);
    EXPECT_GT(std::count_if(fast.begin(), fast.end(), [](uint32_t o) { return o & kKeyWordTag; }), 1500);
}

// The search tests "a whole number of entries past the base" without a
// division: against the modulo itself, for entry sizes odd, even and a
// power of two, at and beside every multiple.
TEST(ClassPointerSearch, EntryStartsAsTheModuloSays) {
    for (uint64_t size : {200ULL, 192ULL, 7ULL, 1ULL, 256ULL, 4104ULL, 0x10000001ULL}) {
        const ClassArray s{0xffffffff82000000ULL, size, 700};
        std::vector<uint64_t> words;
        for (uint64_t k = 0; k <= s.count; k++)
            for (int64_t d : {-9, -8, -1, 0, 1, 8, 24})
                words.push_back(s.base + k * size + uint64_t(d));
        std::mt19937_64 rng(size);
        for (int i = 0; i < 5000; i++) words.push_back(s.base + rng() % (size * s.count + 64));
        std::vector<uint8_t> buf(words.size() * 8);
        std::memcpy(buf.data(), words.data(), buf.size());
        std::vector<uint32_t> expected;
        for (size_t i = 0; i < words.size(); i++) {
            const uint64_t rel = words[i] - s.base;
            if (rel < size * s.count && rel % size == 0) expected.push_back(uint32_t(i * 8));
        }
        std::vector<uint32_t> slow, fast;
        find_class_pointers_scalar(buf.data(), buf.size(), s, slow);
        find_class_pointers(buf.data(), buf.size(), s, fast);
        EXPECT_EQ(slow, expected) << size;
        EXPECT_EQ(fast, expected) << size;
        EXPECT_GE(expected.size(), size_t(s.count)) << size;
    }
}

// contains() is a hash table: it must answer as a search of the sorted
// keys does, for keys, their neighbours, 0, and keys that share a bucket.
TEST(KeySet, ContainsExactlyTheKeys) {
    std::mt19937_64 rng(17);
    std::vector<uint64_t> keys;
    for (int i = 0; i < 700; i++) keys.push_back(0xffff888000000000ULL + (rng() % (1ULL << 32)) / 8 * 8);
    for (int i = 0; i < 40; i++) keys.push_back(0xffffffff81000000ULL + uint64_t(i) * 8 * KeySet::kFilterBits);  // one bucket
    keys.push_back(keys[3]);  // a repeat
    for (bool with_zero : {false, true}) {
        std::vector<uint64_t> given = keys;
        if (with_zero) given.push_back(0);
        const KeySet set(given);
        std::vector<uint64_t> sorted = given;
        std::sort(sorted.begin(), sorted.end());
        std::vector<uint64_t> probes = given;
        for (uint64_t k : given) probes.insert(probes.end(), {k + 8, k - 8, k + 1});
        probes.push_back(0);
        for (uint64_t v : probes)
            ASSERT_EQ(set.contains(v), std::binary_search(sorted.begin(), sorted.end(), v)) << std::hex << v;
    }
    EXPECT_FALSE(KeySet().contains(0));
    EXPECT_FALSE(KeySet().contains(0xffff888000000000ULL));
}

// ByteMemo: a value is found only for exactly its bytes; a colliding put
// replaces (2 slots: three keys must collide).
TEST(ByteMemo, FindsOnlyTheSameBytes) {
    ByteMemo<int> memo(1);
    const uint8_t a[24] = {1, 2, 3}, b[24] = {1, 2, 4}, c[23] = {1, 2, 3};
    EXPECT_EQ(memo.find(a, sizeof a), nullptr);
    memo.put(a, sizeof a, 10);
    ASSERT_NE(memo.find(a, sizeof a), nullptr);
    EXPECT_EQ(*memo.find(a, sizeof a), 10);
    EXPECT_EQ(memo.find(c, sizeof c), nullptr);  // a prefix of a is not a
    memo.put(b, sizeof b, 20);
    memo.put(c, sizeof c, 30);
    int found = 0;
    for (auto [bytes, len, value] : {std::tuple{a, sizeof a, 10}, std::tuple{b, sizeof b, 20}, std::tuple{c, sizeof c, 30}}) {
        if (const int* v = memo.find(bytes, len)) {
            found++;
            EXPECT_EQ(*v, value);
        }
    }
    ASSERT_NE(memo.find(c, sizeof c), nullptr);  // the last put is always there
    EXPECT_LE(found, 2);                          // two slots
    // One slot: the entry found last, replaced by a put, answers only for its new bytes.
    ByteMemo<int> one(0);
    one.put(a, sizeof a, 10);
    ASSERT_NE(one.find(a, sizeof a), nullptr);
    one.put(b, sizeof b, 20);
    EXPECT_EQ(one.find(a, sizeof a), nullptr);
    ASSERT_NE(one.find(b, sizeof b), nullptr);
    EXPECT_EQ(*one.find(b, sizeof b), 20);
}

TEST(EnumValues, ParsesCrashEnumeratorList) {
    auto v = parse_enumerator_list(
        "enum lockdep_wait_type {\n  LD_WAIT_INV = 0\n  LD_WAIT_SPIN = 2\n  LD_WAIT_CONFIG = 2\n"
        "  NEG = -3\n  9bad = 1\n  NOVALUE = \n  HUGE = 99999999999999999999\n};\n");
    EXPECT_EQ(v, (EnumValues{{"LD_WAIT_INV", 0}, {"LD_WAIT_SPIN", 2}, {"LD_WAIT_CONFIG", 2}, {"NEG", -3}}));
    EXPECT_TRUE(parse_enumerator_list("").empty());
}

TEST(CommandLine, ParsesOptionsAndAddresses) {
    auto c = parse_command_line({"-j", "-v", "-c", "0xffffffff82a00000", "-n", "*xmit*"});
    EXPECT_EQ(c.error, "");
    EXPECT_TRUE(c.json);
    EXPECT_TRUE(c.verbose);
    EXPECT_EQ(c.class_addr, 0xffffffff82a00000ULL);
    EXPECT_EQ(c.name_pattern, "*xmit*");
    EXPECT_EQ(parse_command_line({"-n", "'*xmit*'"}).name_pattern, "*xmit*");
    EXPECT_NE(parse_command_line({"-q"}).error, "");
    EXPECT_NE(parse_command_line({"-c"}).error, "");
    EXPECT_EQ(parse_command_line({"jiffies"}).symbols.at(0), "jiffies");
    EXPECT_EQ(parse_command_line({"ffff888003a4d298"}).addresses.at(0), 0xffff888003a4d298ULL);
}

TEST(Json, EscapesAndNests) {
    JsonWriter j;
    j.begin_object().field("s", "a\"b\\c\n\x01").key("a").begin_array().value(1).value(true).end_array();
    j.key("p").address(0xff).end_object();
    EXPECT_EQ(j.str(), "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"a\":[1,true],\"p\":\"0x00000000000000ff\"}");
}

}  // namespace
}  // namespace lockalias
