// The worker pool behind run_parallel(): every part runs exactly once,
// workers are reused across calls, failures come back to the caller.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "dump/parallel.h"

namespace lockalias {
namespace {

TEST(Parallel, EveryPartRunsOnceAndWorkersAreReused) {
    for (size_t parts : {1, 2, 4, 37}) {
        std::vector<std::atomic<int>> runs(parts);
        run_parallel(parts, [&](size_t p) { runs[p]++; });
        for (size_t p = 0; p < parts; p++) EXPECT_EQ(runs[p].load(), 1) << parts << " parts, part " << p;
    }
    const size_t started = workers_started();
    EXPECT_GE(started, 1u);
    for (int round = 0; round < 200; round++) {
        std::atomic<size_t> sum{0};
        run_parallel(4, [&](size_t p) { sum += p + 1; });
        ASSERT_EQ(sum.load(), 10u);
    }
    EXPECT_EQ(workers_started(), started);  // no thread started per call
}

TEST(Parallel, AFailingPartIsRethrownAfterTheOthersFinish) {
    std::atomic<int> finished{0};
    EXPECT_THROW(run_parallel(8,
                              [&](size_t p) {
                                  if (p == 3) throw std::runtime_error("part 3");
                                  finished++;
                              }),
                 std::runtime_error);
    EXPECT_EQ(finished.load(), 7);
    std::atomic<int> again{0};
    run_parallel(8, [&](size_t) { again++; });  // the pool still works
    EXPECT_EQ(again.load(), 8);
}

TEST(Parallel, APartThatRunsItsOwnPartsRunsThemInline) {
    std::atomic<int> inner{0};
    run_parallel(3, [&](size_t) { run_parallel(5, [&](size_t) { inner++; }); });
    EXPECT_EQ(inner.load(), 15);
}

}  // namespace
}  // namespace lockalias
