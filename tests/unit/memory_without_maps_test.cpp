// The scan leaves out whole pages no lockdep_map can be in (kernel text,
// lockdep's own tables) and still reads the pages they share with data.
#include <gtest/gtest.h>

#include "analysis/memory_without_maps.h"
#include "analysis/scan.h"
#include "command/command.h"
#include "synthetic_kernel.h"

namespace lockalias::test {
namespace {

using K = SyntheticKernel;
constexpr unsigned SPIN = 2, SLEEP = 3;

bool found(const ScanResult& r, uint64_t addr) {
    for (const auto& f : r.maps)
        if (f.map.addr == addr) return true;
    return false;
}

TEST(MapFreeMemory, OutsideCutsTheSkippedPiecesOut) {
    const std::vector<PhysRange> skip = {{0x2000, 0x4000}, {0x6000, 0x7000}};
    auto pieces = outside({0x1000, 0x8000}, skip);
    ASSERT_EQ(pieces.size(), 3u);
    EXPECT_EQ(pieces[0].start, 0x1000u);
    EXPECT_EQ(pieces[0].end, 0x2000u);
    EXPECT_EQ(pieces[1].start, 0x4000u);
    EXPECT_EQ(pieces[1].end, 0x6000u);
    EXPECT_EQ(pieces[2].start, 0x7000u);
    EXPECT_EQ(pieces[2].end, 0x8000u);
    EXPECT_TRUE(outside({0x2000, 0x3000}, skip).empty());  // wholly inside
    auto tail = outside({0x3000, 0x5000}, skip);           // starts inside
    ASSERT_EQ(tail.size(), 1u);
    EXPECT_EQ(tail[0].start, 0x4000u);
    EXPECT_EQ(tail[0].end, 0x5000u);
    auto clear = outside({0x8000, 0x9000}, skip);  // after every range
    ASSERT_EQ(clear.size(), 1u);
    EXPECT_EQ(clear[0].start, 0x8000u);
}

// Text of 16 pages and a half: the half page is shared, so read.
struct TextKernel : ::testing::Test {
    K k;
    static constexpr uint64_t kText = K::kImageKv + 0x300000, kTextLen = 0x10800;
    void SetUp() override {
        k.add_symbol("_stext", kText);
        k.add_symbol("_etext", kText + kTextLen);
    }
};

TEST_F(TextKernel, WholePagesOfTextAndTablesOnly) {
    MapFreeMemory m = memory_without_maps(k);
    // lock_classes[]: 64 records of 128 bytes, page-aligned: 2 whole pages;
    // classhash_table[]: 512 bytes, no whole page.
    const uint64_t text = K::kImagePhys + 0x300000, classes = K::kImagePhys + 0x100000;
    ASSERT_EQ(m.ranges.size(), 2u);
    EXPECT_EQ(m.ranges[0].start, classes);
    EXPECT_EQ(m.ranges[0].end, classes + 2 * K::kPage);
    EXPECT_EQ(m.ranges[1].start, text);
    EXPECT_EQ(m.ranges[1].end, text + 0x10000);  // not the shared last page
    EXPECT_EQ(m.lockdep_tables.size(), 2u);      // both tables, for the word check
}

TEST_F(TextKernel, ScanSkipsThemAndSaysSo) {
    const uint64_t key = K::kImageKv + 0x91000;
    const uint64_t cls = k.add_class(1, key, 0, "owner", 0, SLEEP);
    const uint64_t in_text = kText + 0x2000, after_text = kText + kTextLen + 0x40, data = K::direct(0x40000);
    for (uint64_t m : {in_text, after_text, data}) k.add_map(m, key, cls, 0, "spin", 0, SPIN);
    ScanResult r = scan_dump(k);
    EXPECT_FALSE(found(r, in_text));  // a "map" in text is not one
    EXPECT_TRUE(found(r, after_text));
    EXPECT_TRUE(found(r, data));
    EXPECT_EQ(r.stats.pages_skipped, 16u + 2u);
    EXPECT_EQ(r.stats.pages_scanned + r.stats.pages_skipped, K::kMemBytes / K::kPage);
    auto out = run_command(k, {});
    EXPECT_NE(out.output.find("not read: 18 pages of kernel text and lockdep's own tables "
                              "(no lockdep_map can be there)"),
              std::string::npos)
        << out.output;
    auto json = run_command(k, {"-j"});
    EXPECT_NE(json.output.find("\"pages_skipped\":18"), std::string::npos);
}

TEST(MapFreeMemory, NoTextSymbolsLeavesTheText) {
    K k;  // no _stext/_etext
    MapFreeMemory m = memory_without_maps(k);
    ASSERT_EQ(m.ranges.size(), 1u);  // lock_classes[] alone
    EXPECT_EQ(m.what, std::vector<std::string>{"lock_classes"});
}

}  // namespace
}  // namespace lockalias::test
