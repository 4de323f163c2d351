// The scan's plan: every byte of RAM is read, noted as not in the dump, or
// counted as left out, once, in address order; the read-ahead gets the
// first reads up to its budget.
#include <gtest/gtest.h>

#include "analysis/scan_plan.h"
#include "dump/read_ahead.h"
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

// A source that cannot tell: all of RAM is read.
class SilentSource final : public DumpSource {
public:
    SourceKind kind() const override { return SourceKind::TargetReads; }
};

TEST(ScanPlan, GapsSkippedPiecesAndReadsInAddressOrder) {
    K t;  // RAM: [0, kMemBytes), from memory_node_spans()
    PartsSource source({{0, 64 * P}, {128 * P, 256 * P}});
    const std::vector<PhysRange> skip = {{10 * P, 12 * P}, {200 * P, 300 * P}};
    const auto plan = plan_scan(t, source, skip);

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
    const auto plan = plan_scan(t, source, {{0, 2 * P}, {6 * P, 7 * P}, {8 * P, 100 * P}});
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
    const auto plan = plan_scan(t, source, {});
    ASSERT_EQ(plan.size(), 1u);
    EXPECT_EQ(int(plan[0].kind), int(Kind::Read));
    EXPECT_EQ(plan[0].range.end, K::kMemBytes);
}

TEST(ScanPlan, FirstReadsStopAtTheReadAheadBudget) {
    const uint64_t step = ReadAhead::kBudget / 4;
    std::vector<ScanStep> plan;
    for (uint64_t i = 0; i < 8; i++) {
        plan.push_back({Kind::NotDumped, {2 * i * step, (2 * i + 1) * step}});
        plan.push_back({Kind::Read, {(2 * i + 1) * step, (2 * i + 2) * step}});
    }
    const auto reads = first_reads(plan);
    ASSERT_EQ(reads.size(), 4u);  // the fourth read reaches the budget
    for (size_t i = 0; i < reads.size(); i++) EXPECT_EQ(reads[i].start, (2 * i + 1) * step);
}

}  // namespace
}  // namespace lockalias::test
