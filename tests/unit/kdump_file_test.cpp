// KdumpPages and KdumpReader on a hand-made compressed kdump: the header
// fields makedumpfile writes, a bitmap with gaps, pages in each compression
// (zlib, lzo, snappy, zstd) and plain, damaged pages.
// The format is makedumpfile's diskdump_mod.h; nothing here is read back
// from lockalias's own writer, there is none.
#include <gtest/gtest.h>
#include <libdeflate.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <unistd.h>

#include "dump/kdump_pages.h"
#include "dump/kdump_reader.h"
#include "dump_files.h"

namespace lockalias {
namespace {

constexpr uint64_t kBlock = 4096;
constexpr uint64_t kPages = 300;  // max_mapnr
// Dumped pfns: 0-2, 8-15 (a whole bitmap byte), 17, 30-299.
bool is_dumped(uint64_t pfn) {
    return pfn <= 2 || (pfn >= 8 && pfn <= 15) || pfn == 17 || pfn >= 30;
}
uint8_t page_byte(uint64_t pfn) { return uint8_t(0x40 + pfn * 7); }

// Pages filled with page_byte(pfn); other_flags (another compression's
// bit) on pfn 31.
std::string write_kdump(uint32_t other_flags = 0, bool split = false, uint64_t max_mapnr = kPages) {
    test::KdumpSpec spec;
    spec.memory.resize(kPages * kBlock);
    for (uint64_t pfn = 0; pfn < kPages; pfn++)
        std::memset(&spec.memory[pfn * kBlock], page_byte(pfn), kBlock);
    spec.dumped = is_dumped;
    spec.extra_flags = [other_flags](uint64_t pfn) { return pfn == 31 ? other_flags : 0u; };
    spec.split = split;
    spec.max_mapnr = max_mapnr;
    return test::write_kdump(spec);
}

TEST(KdumpPages, BitmapGivesDumpedPartsAndRanks) {
    std::string path = write_kdump();
    KdumpPages p;
    ASSERT_TRUE(p.open(path)) << p.why();
    EXPECT_EQ(p.page_size(), kBlock);
    EXPECT_EQ(p.max_pfn(), kPages);
    auto parts = p.dumped_parts({0x800, 305 * kBlock});  // clipped start, past max_mapnr
    ASSERT_EQ(parts.size(), 4u);
    EXPECT_EQ(parts[0].start, 0x800u);
    EXPECT_EQ(parts[0].end, 3 * kBlock);
    EXPECT_EQ(parts[1].start, 8 * kBlock);
    EXPECT_EQ(parts[1].end, 16 * kBlock);
    EXPECT_EQ(parts[2].start, 17 * kBlock);
    EXPECT_EQ(parts[2].end, 18 * kBlock);
    EXPECT_EQ(parts[3].start, 30 * kBlock);
    EXPECT_EQ(parts[3].end, 300 * kBlock);
    EXPECT_EQ(p.rank(17), 11u);
    EXPECT_EQ(p.rank(9), 4u);  // backwards works too
    EXPECT_EQ(p.rank(300), 282u);
    EXPECT_FALSE(p.dumped(5));
    EXPECT_FALSE(p.dumped(1000));
    std::remove(path.c_str());
}

TEST(KdumpReader, InflatesZlibAndPlainPagesOnThreads) {
    std::string path = write_kdump();
    KdumpPages p;
    ASSERT_TRUE(p.open(path));
    KdumpReader r(p, 2);
    EXPECT_EQ(r.span(30 * kBlock, KdumpReader::kMaxSpan + kBlock), nullptr);
    const uint64_t n = std::min<uint64_t>(270, KdumpReader::kMaxSpan / kBlock);
    ASSERT_GE(n, 130u);  // enough pages for two threads
    const uint8_t* s = r.span(30 * kBlock, n * kBlock);
    ASSERT_NE(s, nullptr);
    for (uint64_t pfn = 30; pfn < 30 + n; pfn++)
        for (uint64_t i : {uint64_t(0), kBlock - 1}) ASSERT_EQ(s[(pfn - 30) * kBlock + i], page_byte(pfn)) << pfn;
    s = r.span(8 * kBlock, 8 * kBlock);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s[7 * kBlock], page_byte(15));
    EXPECT_EQ(r.span(2 * kBlock, 2 * kBlock), nullptr);  // pfn 3 is not dumped
    EXPECT_EQ(r.span(17 * kBlock + 8, 8), nullptr);       // not page aligned
    std::remove(path.c_str());
}

TEST(KdumpReader, UnknownCompressionIsLeftToCrash) {
    std::string path = write_kdump(0x40);  // pfn 31: a flag makedumpfile does not define
    KdumpPages p;
    ASSERT_TRUE(p.open(path));
    KdumpReader r(p, 2);
    EXPECT_EQ(r.span(31 * kBlock, kBlock), nullptr);
    EXPECT_EQ(r.span(30 * kBlock, kBlock), nullptr);  // from then on, all of it
    std::remove(path.c_str());
}

// Pages that compress, but not to nothing: 512 bytes of noise, then words
// that change every few bytes (as a kernel page's pointers and counters).
std::vector<uint8_t> varied_memory() {
    std::vector<uint8_t> m(kPages * kBlock);
    uint32_t x = 12345;
    for (uint64_t pfn = 0; pfn < kPages; pfn++)
        for (uint64_t i = 0; i < kBlock; i++)
            m[pfn * kBlock + i] = i < 512 ? uint8_t((x = x * 1103515245u + 12345u) >> 23)
                                          : uint8_t(i % 8 < 2 ? (i / 8) * 5 + pfn : i % 8 == 7 ? 0xff : 0);
    return m;
}

std::string write_packed(const std::vector<uint8_t>& memory, std::function<test::Packing(uint64_t)> packing,
                         std::function<test::Damage(uint64_t)> damage = nullptr,
                         std::function<uint32_t(uint64_t)> extra_flags = nullptr) {
    test::KdumpSpec spec;
    spec.memory = memory;
    spec.dumped = is_dumped;
    spec.packing = std::move(packing);
    if (damage) spec.damage = std::move(damage);
    if (extra_flags) spec.extra_flags = std::move(extra_flags);
    return test::write_kdump(spec);
}

const test::Packing kPackings[] = {test::Packing::Zlib, test::Packing::Lzo, test::Packing::Snappy,
                                   test::Packing::Zstd, test::Packing::Plain};

const char* name_of(test::Packing how) {
    switch (how) {
    case test::Packing::Zlib: return "zlib";
    case test::Packing::Lzo: return "lzo";
    case test::Packing::Snappy: return "snappy";
    case test::Packing::Zstd: return "zstd";
    case test::Packing::Plain: return "plain";
    }
    return "?";
}

TEST(KdumpReader, EachCompressionReadsBackExactlyOnThreads) {
    const std::vector<uint8_t> memory = varied_memory();
    for (test::Packing how : kPackings) {
        SCOPED_TRACE(name_of(how));
        if (how != test::Packing::Plain) {  // the pages really are compressed
            const std::vector<uint8_t> page(memory.begin(), memory.begin() + kBlock);
            const size_t packed = test::pack_page(how, page).size();
            ASSERT_GT(packed, 0u);
            ASSERT_LT(packed, kBlock * 3 / 4);
        }
        std::string path = write_packed(memory, [how](uint64_t) { return how; });
        KdumpPages p;
        ASSERT_TRUE(p.open(path)) << p.why();
        for (unsigned threads : {1u, 2u, 4u}) {
            SCOPED_TRACE(threads);
            KdumpReader r(p, threads);
            const uint64_t n = std::min<uint64_t>(270, KdumpReader::kMaxSpan / kBlock);
            ASSERT_GE(n, 130u);  // more than one job
            const uint8_t* s = r.span(30 * kBlock, n * kBlock);
            ASSERT_NE(s, nullptr);
            EXPECT_EQ(std::memcmp(s, &memory[30 * kBlock], n * kBlock), 0);
            s = r.span(8 * kBlock, 8 * kBlock);
            ASSERT_NE(s, nullptr);
            EXPECT_EQ(std::memcmp(s, &memory[8 * kBlock], 8 * kBlock), 0);
            s = r.span(17 * kBlock, kBlock);
            ASSERT_NE(s, nullptr);
            EXPECT_EQ(std::memcmp(s, &memory[17 * kBlock], kBlock), 0);
        }
        std::remove(path.c_str());
    }
}

// Zero pages all point at one stored copy; a span's jobs each read their
// own pages, so pages of every job share the copy. Each span is also
// handed to a SpanWork in parts that cover it in order, each part's bytes
// already the memory's.
class RecordedParts final : public SpanWork {
public:
    struct Part {
        size_t from, to;
        std::vector<uint8_t> bytes;
    };
    void parts(size_t n) override {
        got.assign(n, Part{});
        seen.assign(n, 0);
        zero.assign(n, 0);
        done_order.clear();
        done_before_made = false;
        whole_calls = 0;
    }
    void part(size_t p, const uint8_t* span, size_t from, size_t to) override {
        got.at(p) = {from, to, std::vector<uint8_t>(span + from, span + to)};
        seen.at(p) = 1;
    }
    void zero_part(size_t p, const uint8_t* span, size_t from, size_t to) override {
        part(p, span, from, to);
        zero.at(p) = 1;
    }
    void done(size_t p) override {
        for (size_t q = 0; q <= p; q++)
            if (!seen.at(q)) done_before_made = true;
        done_order.push_back(p);
    }
    void whole(const uint8_t* span, size_t len) override {
        parts(1);
        part(0, span, 0, len);
        whole_calls = 1;
    }
    // done(0), done(1), ... as the reader called it
    bool in_order() const {
        for (size_t k = 0; k < done_order.size(); k++)
            if (done_order[k] != k) return false;
        return true;
    }
    std::vector<size_t> done_order;
    bool done_before_made = false;
    std::vector<Part> got;
    std::vector<char> seen;  // (not vector<bool>: parts are recorded from several threads at once)
    std::vector<char> zero;  // handed as zero_part()
    int whole_calls = 0;
};

// varied_memory() with a zero page every third page from pfn 30: zero
// pages in every job of a span.
std::vector<uint8_t> memory_with_zero_pages() {
    std::vector<uint8_t> memory = varied_memory();
    for (uint64_t pfn = 30; pfn < kPages; pfn += 3) std::memset(&memory[pfn * kBlock], 0, kBlock);
    return memory;
}

// memory's kdump: is_dumped() pages, each packed `how`.
test::KdumpSpec spec_packed(const std::vector<uint8_t>& memory, test::Packing how) {
    test::KdumpSpec spec;
    spec.memory = memory;
    spec.dumped = is_dumped;
    spec.packing = [how](uint64_t) { return how; };
    return spec;
}

TEST(KdumpReader, SharedZeroPagesAndWorkInPartsOnThreads) {
    const std::vector<uint8_t> memory = memory_with_zero_pages();
    for (test::Packing how : kPackings) {
        SCOPED_TRACE(name_of(how));
        test::KdumpSpec spec = spec_packed(memory, how);
        const std::string unshared = test::write_kdump(spec);
        spec.share_zero_pages = true;
        const std::string path = test::write_kdump(spec);
        EXPECT_LT(std::filesystem::file_size(path), std::filesystem::file_size(unshared));  // they do share a copy
        std::remove(unshared.c_str());
        KdumpPages p;
        ASSERT_TRUE(p.open(path)) << p.why();
        for (unsigned threads : {1u, 2u, 4u}) {
            SCOPED_TRACE(threads);
            KdumpReader r(p, threads);
            const uint64_t n = std::min<uint64_t>(270, KdumpReader::kMaxSpan / kBlock);
            for (size_t len : {size_t(n * kBlock), size_t(n * kBlock - 100)}) {  // and a span ending inside a page
                RecordedParts work;
                const uint8_t* s = r.span(30 * kBlock, len, &work);
                ASSERT_NE(s, nullptr);
                EXPECT_EQ(std::memcmp(s, &memory[30 * kBlock], len), 0);
                size_t covered = 0;
                for (size_t k = 0; k < work.got.size(); k++) {
                    ASSERT_TRUE(work.seen[k]) << "part " << k;
                    EXPECT_EQ(work.got[k].from, covered);
                    covered = work.got[k].to;
                    EXPECT_EQ(std::memcmp(work.got[k].bytes.data(), &memory[30 * kBlock + work.got[k].from],
                                          work.got[k].bytes.size()),
                              0);
                }
                EXPECT_EQ(covered, len);
                EXPECT_EQ(work.done_order.size(), work.got.size());  // done() for every part,
                EXPECT_TRUE(work.in_order());                        // in order,
                EXPECT_FALSE(work.done_before_made);                 // each once it and those before it were made
                if (threads > 1) {
                    EXPECT_GT(work.got.size(), 1u);  // worked where made, not whole
                }
            }
        }
        std::remove(path.c_str());
    }
}

// A read-ahead's pages (dump/read_ahead.h) are made into its own buffer:
// every compression, plain pages and the shared zero page as the reader
// makes them into its own, and that buffer is what span() returns. Plain
// pages with no shared zero page are stored as they are: read straight
// into the buffer.
TEST(KdumpReader, MakesPagesIntoTheCallersBuffer) {
    const std::vector<uint8_t> memory = memory_with_zero_pages();
    for (test::Packing how : kPackings) {
        for (bool shared : {true, false}) {
            SCOPED_TRACE(std::string(name_of(how)) + (shared ? ", zero pages shared" : ""));
            test::KdumpSpec spec = spec_packed(memory, how);
            spec.share_zero_pages = shared;
            const std::string path = test::write_kdump(spec);
            KdumpPages p;
            ASSERT_TRUE(p.open(path)) << p.why();
            KdumpReader r(p, 1);
            const uint64_t n = std::min<uint64_t>(270, KdumpReader::kMaxSpan / kBlock);
            std::vector<uint8_t> into(n * kBlock, 0xaa);
            const size_t len = n * kBlock - 100;  // rounded up to whole pages in `into`
            EXPECT_EQ(r.span(30 * kBlock, len, nullptr, into.data()), into.data());
            EXPECT_EQ(std::memcmp(into.data(), &memory[30 * kBlock], n * kBlock), 0);
            std::remove(path.c_str());
        }
    }
}

TEST(KdumpReader, MixedCompressionsInOneSpan) {
    const std::vector<uint8_t> memory = varied_memory();
    std::string path = write_packed(memory, [](uint64_t pfn) { return kPackings[pfn % 5]; });
    KdumpPages p;
    ASSERT_TRUE(p.open(path));
    KdumpReader r(p, 2);
    const uint64_t n = std::min<uint64_t>(270, KdumpReader::kMaxSpan / kBlock);
    const uint8_t* s = r.span(30 * kBlock, n * kBlock);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(std::memcmp(s, &memory[30 * kBlock], n * kBlock), 0);
    s = r.span(0, 3 * kBlock);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(std::memcmp(s, &memory[0], 3 * kBlock), 0);
    std::remove(path.c_str());
}

// A page that does not decompress to exactly one page makes every span
// holding it nullptr (the scan then reads it through crash); spans beside
// it are still read here.
TEST(KdumpReader, DamagedPageOfEachCompressionGivesNothing) {
    const std::vector<uint8_t> memory = varied_memory();
    const uint64_t bad = 100;
    const std::vector<uint8_t> page(memory.begin() + long(bad * kBlock), memory.begin() + long((bad + 1) * kBlock));
    std::vector<uint8_t> twice = page;
    twice.insert(twice.end(), page.begin(), page.end());
    for (test::Packing how : kPackings) {
        for (test::Damage damage : {test::Damage::Short, test::Damage::Long, test::Damage::Truncated,
                                    test::Damage::Garbage}) {
            if (how == test::Packing::Plain && damage == test::Damage::Garbage) continue;  // plain noise is a page
            SCOPED_TRACE(std::string(name_of(how)) + " damage " + std::to_string(int(damage)));
            if (how != test::Packing::Plain && damage == test::Damage::Long) {  // the size check, not the descriptor's
                ASSERT_LT(test::pack_page(how, twice).size(), kBlock);
            }
            std::string path = write_packed(memory, [how](uint64_t) { return how; },
                                            [damage](uint64_t pfn) { return pfn == bad ? damage : test::Damage::None; });
            KdumpPages p;
            ASSERT_TRUE(p.open(path));
            KdumpReader r(p, 2);
            EXPECT_EQ(r.span(bad * kBlock, kBlock), nullptr);
            RecordedParts work;  // the jobs before the damaged page's are done(), in order; none after
            EXPECT_EQ(r.span(30 * kBlock, 200 * kBlock, &work), nullptr);
            // (a plain page's descriptor claiming more than a page is refused
            // up front, before any job)
            if (!(how == test::Packing::Plain && damage == test::Damage::Long)) {
                EXPECT_FALSE(work.done_order.empty());
            }
            EXPECT_TRUE(work.in_order());
            for (size_t p : work.done_order) EXPECT_LE(work.got.at(p).to, (bad - 30) * kBlock) << "part " << p;
            const uint8_t* s = r.span(30 * kBlock, (bad - 30) * kBlock);  // up to the damaged page
            ASSERT_NE(s, nullptr);
            EXPECT_EQ(std::memcmp(s, &memory[30 * kBlock], (bad - 30) * kBlock), 0);
            s = r.span((bad + 1) * kBlock, 64 * kBlock);  // and after it
            ASSERT_NE(s, nullptr);
            EXPECT_EQ(std::memcmp(s, &memory[(bad + 1) * kBlock], 64 * kBlock), 0);
            std::remove(path.c_str());
        }
    }
}

// makedumpfile and QEMU store the shared zero page as it is, whatever the
// packing: a job whose pages all name it is made with a memset and handed
// as zero_part(), no search; the other jobs as before. memory: pfns 64-199
// zeros, whole jobs of them in a 1 MiB span on 2 threads.
std::vector<uint8_t> memory_with_a_zero_run() {
    std::vector<uint8_t> memory = varied_memory();
    std::memset(&memory[64 * kBlock], 0, (200 - 64) * kBlock);
    return memory;
}

void expect_parts_are_the_memory(const RecordedParts& work, const std::vector<uint8_t>& memory, uint64_t at,
                                 size_t len) {
    size_t covered = 0;
    for (size_t k = 0; k < work.got.size(); k++) {
        ASSERT_TRUE(work.seen[k]) << "part " << k;
        EXPECT_EQ(work.got[k].from, covered);
        covered = work.got[k].to;
        EXPECT_EQ(std::memcmp(work.got[k].bytes.data(), &memory[at + work.got[k].from], work.got[k].bytes.size()), 0);
    }
    EXPECT_EQ(covered, len);
}

TEST(KdumpReader, RunsOfTheSharedZeroPageAreZeroPartsWithoutARead) {
    const std::vector<uint8_t> memory = memory_with_a_zero_run();
    for (test::Packing how : kPackings) {
        SCOPED_TRACE(name_of(how));
        test::KdumpSpec spec = spec_packed(memory, how);
        spec.share_zero_pages = true;
        spec.zero_copy_as_it_is = true;
        const std::string path = test::write_kdump(spec);
        KdumpPages p;
        ASSERT_TRUE(p.open(path)) << p.why();
        KdumpReader r(p, 2);
        // Twice: a buffer reused from the first span must still read as zeros.
        for (uint64_t at : {uint64_t(30), uint64_t(34)}) {
            const size_t len = 256 * kBlock - (at - 30) * kBlock;
            RecordedParts work;
            const uint8_t* s = r.span(at * kBlock, len, &work);
            ASSERT_NE(s, nullptr);
            EXPECT_EQ(std::memcmp(s, &memory[at * kBlock], len), 0);
            expect_parts_are_the_memory(work, memory, at * kBlock, len);
            size_t zero_parts = 0;
            for (size_t k = 0; k < work.got.size(); k++) {
                if (!work.zero[k]) continue;
                zero_parts++;
                EXPECT_GE(at * kBlock + work.got[k].from, 64 * kBlock);  // only inside the run
                EXPECT_LE(at * kBlock + work.got[k].to, 200 * kBlock);
            }
            EXPECT_GE(zero_parts, 2u);
            EXPECT_TRUE(work.in_order());
        }
        std::remove(path.c_str());
    }
}

// A copy two pages share that is not zeros (no writer makes one, but a
// damaged file can) is read as it is: never taken for the zero page.
TEST(KdumpReader, ASharedCopyThatIsNotZerosIsReadAsItIs) {
    const std::vector<uint8_t> memory = memory_with_a_zero_run();
    test::KdumpSpec spec = spec_packed(memory, test::Packing::Lzo);
    spec.share_zero_pages = true;
    spec.zero_copy_as_it_is = true;
    const std::string path = test::write_kdump(spec);
    int64_t copy = -1;
    {
        KdumpPages p;
        ASSERT_TRUE(p.open(path)) << p.why();
        auto rank = p.rank(100);
        ASSERT_TRUE(rank);
        ASSERT_TRUE(p.read_file(&copy, 8, p.descriptors_offset() + *rank * 24));
    }
    std::vector<uint8_t> page(kBlock, 0x5a);
    FILE* f = std::fopen(path.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fseek(f, long(copy), SEEK_SET), 0);
    ASSERT_EQ(std::fwrite(page.data(), 1, kBlock, f), kBlock);
    std::fclose(f);
    std::vector<uint8_t> expected = memory;
    for (uint64_t pfn = 64; pfn < 200; pfn++) std::memset(&expected[pfn * kBlock], 0x5a, kBlock);
    KdumpPages p;
    ASSERT_TRUE(p.open(path)) << p.why();
    KdumpReader r(p, 2);
    RecordedParts work;
    const size_t len = 256 * kBlock;
    const uint8_t* s = r.span(30 * kBlock, len, &work);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(std::memcmp(s, &expected[30 * kBlock], len), 0);
    expect_parts_are_the_memory(work, expected, 30 * kBlock, len);
    for (size_t k = 0; k < work.got.size(); k++) EXPECT_FALSE(work.zero[k]) << "part " << k;
    std::remove(path.c_str());
}

TEST(KdumpReader, PageNamingTwoCompressionsIsDamaged) {
    const std::vector<uint8_t> memory = varied_memory();
    std::string path = write_packed(memory, [](uint64_t) { return test::Packing::Zlib; }, nullptr,
                                    [](uint64_t pfn) { return pfn == 40 ? 0x2u : 0u; });  // zlib | lzo
    KdumpPages p;
    ASSERT_TRUE(p.open(path));
    KdumpReader r(p, 2);
    EXPECT_EQ(r.span(40 * kBlock, kBlock), nullptr);
    const uint8_t* s = r.span(41 * kBlock, kBlock);  // only that page
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(std::memcmp(s, &memory[41 * kBlock], kBlock), 0);
    std::remove(path.c_str());
}

TEST(KdumpReader, UnknownFlagOnACompressedPageIsLeftToCrash) {
    const std::vector<uint8_t> memory = varied_memory();
    for (test::Packing how : kPackings) {
        SCOPED_TRACE(name_of(how));
        std::string path = write_packed(memory, [how](uint64_t) { return how; }, nullptr,
                                        [](uint64_t pfn) { return pfn == 40 ? 0x80u : 0u; });
        KdumpPages p;
        ASSERT_TRUE(p.open(path));
        KdumpReader r(p, 2);
        ASSERT_NE(r.span(30 * kBlock, 10 * kBlock), nullptr);  // before it is seen
        EXPECT_EQ(r.span(40 * kBlock, kBlock), nullptr);
        EXPECT_EQ(r.span(30 * kBlock, 10 * kBlock), nullptr);  // from then on, all of it
        std::remove(path.c_str());
    }
}

TEST(KdumpPages, RefusesSplitDamagedAndOtherFiles) {
    std::string split = write_kdump(0, true);
    KdumpPages p;
    EXPECT_FALSE(p.open(split));
    EXPECT_NE(p.why().find("split"), std::string::npos);
    std::remove(split.c_str());
    KdumpPages q;
    EXPECT_FALSE(q.open("/proc/self/status"));
    std::string huge = write_kdump(0, false, ~0ULL);  // found by fuzz_kdump: overflowed the bitmap size
    KdumpPages h;
    EXPECT_FALSE(h.open(huge));
    EXPECT_NE(h.why().find("max_mapnr"), std::string::npos);
    std::remove(huge.c_str());
    std::string cut = write_kdump();
    ASSERT_EQ(truncate(cut.c_str(), 3 * kBlock), 0);  // bitmap cut off
    KdumpPages r;
    EXPECT_FALSE(r.open(cut));
    std::remove(cut.c_str());
}

}  // namespace
}  // namespace lockalias
