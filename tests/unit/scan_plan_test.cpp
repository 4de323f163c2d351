// The scan's plan: every byte of RAM is read, noted as not in the dump, or
// counted as left out, once, in address order, window by window; the
// read-ahead gets the first reads up to its budget.
#include <gtest/gtest.h>

#include "analysis/scan_plan.h"
#include "synthetic_kernel.h"

namespace lockalias::test {
namespace {

using K = SyntheticKernel;
using Kind = ScanStep::Kind;
constexpr uint64_t P = K::kPage;

// A source that says which parts of a range the dump holds.
class PartsSource final : public DumpSource {
public:
    explicit PartsSource(std::vector<PhysRange> parts) : parts_(std::move(parts)) {}
    SourceKind kind() const override { return SourceKind::KdumpBitmap; }
    std::optional<std::vector<PhysRange>> dumped_parts(const PhysRange& range) override {
        std::vector<PhysRange> in;
        for (const PhysRange& p : parts_)
            if (p.start < range.end && p.end > range.start)
                in.push_back({std::max(p.start, range.start), std::min(p.end, range.end)});
        return in;
    }

private:
    std::vector<PhysRange> parts_;
};

// Every step, window by window.
std::vector<ScanStep> all_steps(ScanPlan& plan) {
    std::vector<ScanStep> steps;
    while (const ScanStep* s = plan.next()) steps.push_back(*s);
    return steps;
}

// A source that cannot tell: all of RAM is read.
class SilentSource final : public DumpSource {
public:
    SourceKind kind() const override { return SourceKind::TargetReads; }
};

TEST(ScanPlan, GapsSkippedPiecesAndReadsInAddressOrder) {
    K t;  // RAM: [0, kMemBytes), from memory_node_spans()
    PartsSource source({{0, 64 * P}, {128 * P, 256 * P}});
    const std::vector<PhysRange> skip = {{10 * P, 12 * P}, {200 * P, 300 * P}};
    ScanPlan whole(t, source, skip);
    const auto plan = all_steps(whole);

    const std::vector<std::pair<Kind, PhysRange>> want = {
        {Kind::Read, {0, 10 * P}},
        {Kind::Read, {12 * P, 64 * P}},
        {Kind::LeftOut, {0, 2 * P}},
        {Kind::NotDumped, {64 * P, 128 * P}},
        {Kind::Read, {128 * P, 200 * P}},
        {Kind::LeftOut, {0, 56 * P}},  // only the part the dump holds: 200-256
        {Kind::NotDumped, {256 * P, K::kMemBytes}},
    };
    ASSERT_EQ(plan.size(), want.size());
    for (size_t i = 0; i < want.size(); i++) {
        EXPECT_EQ(int(plan[i].kind), int(want[i].first)) << i;
        EXPECT_EQ(plan[i].range.start, want[i].second.start) << i;
        EXPECT_EQ(plan[i].range.end, want[i].second.end) << i;
    }
}

TEST(ScanPlan, EveryByteOfRamIsAccountedForOnce) {
    K t;
    PartsSource source({{P, 3 * P}, {5 * P, 9 * P}, {100 * P, 101 * P}});
    ScanPlan windows(t, source, {{0, 2 * P}, {6 * P, 7 * P}, {8 * P, 100 * P}}, 3 * P);
    const auto plan = all_steps(windows);
    uint64_t bytes = 0, last_end = 0;
    for (const ScanStep& s : plan) {
        bytes += s.range.end - s.range.start;
        if (s.kind == Kind::LeftOut) continue;
        EXPECT_GE(s.range.start, last_end);  // in order, no overlap
        last_end = s.range.end;
    }
    EXPECT_EQ(bytes, K::kMemBytes);
}

TEST(ScanPlan, SourceThatCannotTellReadsAllOfRam) {
    K t;
    SilentSource source;
    ScanPlan one(t, source, {});
    const auto plan = all_steps(one);
    ASSERT_EQ(plan.size(), 1u);
    EXPECT_EQ(int(plan[0].kind), int(Kind::Read));
    EXPECT_EQ(plan[0].range.end, K::kMemBytes);
}

// Small windows split reads at their edges and nothing else: the same
// bytes are read, not dumped and left out as with one window.
TEST(ScanPlan, WindowsCoverTheSameBytesAsOnePlan) {
    K t;
    PartsSource source({{P, 40 * P}, {41 * P, 700 * P}, {900 * P, 2000 * P}});
    const std::vector<PhysRange> skip = {{30 * P, 50 * P}, {1000 * P, 1001 * P}};
    auto totals = [&](uint64_t window) {
        ScanPlan plan(t, source, skip, window);
        uint64_t bytes[3] = {0, 0, 0};
        for (const ScanStep& s : all_steps(plan)) bytes[int(s.kind)] += s.range.end - s.range.start;
        return std::vector<uint64_t>(bytes, bytes + 3);
    };
    const auto one = totals(ScanPlan::kWindow);
    EXPECT_EQ(totals(7 * P), one);
    EXPECT_EQ(totals(64 * P), one);
    EXPECT_EQ(one[int(Kind::Read)], (29 + 650 + 1099) * P);
}

TEST(ScanPlan, FirstReadsStopAtTheBudgetAndAreReadAgainInOrder) {
    K t;
    PartsSource source({{0, 64 * P}, {128 * P, 256 * P}, {512 * P, 600 * P}});
    ScanPlan plan(t, source, {}, 32 * P);  // the reads span several windows
    const auto reads = plan.first_reads(100 * P);
    // 0-32, 32-64 (one part, two windows), 128-160, 160-192: the fourth
    // read reaches 128 pages, the first over the budget.
    ASSERT_EQ(reads.size(), 4u);
    EXPECT_EQ(reads[0].start, 0u);
    EXPECT_EQ(reads[2].start, 128 * P);
    EXPECT_EQ(reads[3].end, 192 * P);
    // Planning ahead hands nothing out: next() still starts at the start.
    const ScanStep* s = plan.next();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(int(s->kind), int(Kind::Read));
    EXPECT_EQ(s->range.start, 0u);
    EXPECT_EQ(plan.first_reads(1).front().start, 32 * P);
}

}  // namespace
}  // namespace lockalias::test
