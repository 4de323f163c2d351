// KdumpPages and KdumpReader on a hand-made compressed kdump: the header
// fields makedumpfile writes, a bitmap with gaps, zlib and plain pages.
// The format is makedumpfile's diskdump_mod.h; nothing here is read back
// from lockalias's own writer, there is none.
#include <gtest/gtest.h>
#include <libdeflate.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
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

TEST(KdumpReader, OtherCompressionIsLeftToCrash) {
    std::string path = write_kdump(0x20);  // pfn 31 in zstd
    KdumpPages p;
    ASSERT_TRUE(p.open(path));
    KdumpReader r(p, 2);
    EXPECT_EQ(r.span(31 * kBlock, kBlock), nullptr);
    EXPECT_EQ(r.span(30 * kBlock, kBlock), nullptr);  // from then on, all of it
    std::remove(path.c_str());
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
