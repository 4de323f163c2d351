// The worker pool behind run_parallel(): every part runs exactly once,
// workers are reused across calls, failures come back to the caller.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
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

// done(p) runs on the caller's thread, in order, after parts 0..p; parts
// run meanwhile on the workers (the last part waits for done(0): were
// done() only called after all parts, it would wait in vain).
TEST(Parallel, DoneRunsInOrderOnTheCallerAsPartsFinish) {
    const auto caller = std::this_thread::get_id();
    for (size_t parts : {1, 2, 5, 64}) {
        std::vector<std::atomic<int>> ran(parts);
        std::vector<size_t> order;
        std::atomic<bool> done0{false};
        run_parallel_in_order(
            parts, 2,
            [&](size_t p) {
                if (p == parts - 1 && parts > 2) {
                    // the last part waits until done(0) has run (bounded, in case it never does)
                    for (int i = 0; i < 5000 && !done0; i++) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                    EXPECT_TRUE(done0.load()) << "done(0) waited for the last part";
                }
                ran[p]++;
            },
            [&](size_t p) {
                EXPECT_EQ(std::this_thread::get_id(), caller);
                for (size_t q = 0; q <= p; q++) EXPECT_EQ(ran[q].load(), 1) << "done(" << p << ") before part " << q;
                order.push_back(p);
                if (p == 0) done0 = true;
            });
        std::vector<size_t> expected(parts);
        for (size_t p = 0; p < parts; p++) expected[p] = p;
        EXPECT_EQ(order, expected) << parts << " parts";
    }
}

TEST(Parallel, DoneStopsAtAFailedPart) {
    std::vector<size_t> order;
    std::atomic<int> finished{0};
    EXPECT_THROW(run_parallel_in_order(
                     6, 3,
                     [&](size_t p) {
                         if (p == 2) throw std::runtime_error("part 2");
                         finished++;
                     },
                     [&](size_t p) { order.push_back(p); }),
                 std::runtime_error);
    EXPECT_EQ(finished.load(), 5);  // every other part still ran
    EXPECT_EQ(order, (std::vector<size_t>{0, 1}));
}

// More parts than threads: at most `threads` run at once, however many
// workers earlier calls started.
TEST(Parallel, InOrderRunsOnAtMostTheThreadsAsked) {
    run_parallel(16, [](size_t) {});  // start workers beyond 2
    std::atomic<int> running{0}, most{0};
    run_parallel_in_order(
        32, 2,
        [&](size_t) {
            const int now = ++running;
            for (int seen = most; now > seen && !most.compare_exchange_weak(seen, now);) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            running--;
        },
        [](size_t) {});
    EXPECT_LE(most.load(), 2);
    EXPECT_GE(workers_started(), 2u);
}

}  // namespace
}  // namespace lockalias
