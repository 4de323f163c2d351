// ReadAhead on its own: ranges made in order on its thread, found whole,
// let go once passed, stopped by a failing step, by its budget, or by
// settle().
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "dump/read_ahead.h"

namespace lockalias {
namespace {

constexpr uint64_t kPage = 4096;

// The byte a made page holds at paddr.
uint8_t byte_at(uint64_t paddr) { return uint8_t(paddr / kPage * 13 + paddr % 251); }

bool make_bytes(uint64_t paddr, size_t len, uint8_t* into) {
    for (size_t i = 0; i < len; i++) into[i] = byte_at(paddr + i);
    return true;
}

bool holds_the_bytes(const uint8_t* p, uint64_t paddr, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (p[i] != byte_at(paddr + i)) return false;
    return true;
}

// Waits (up to 10 s) until calls reaches n: the read-ahead has made what
// the test asked of it before the test settles it.
void wait_for(const std::atomic<int>& calls, int n) {
    for (int i = 0; i < 10000 && calls < n; i++) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_GE(calls.load(), n);
}

TEST(ReadAhead, MakesRangesInOrderInWholePagesAndFindsWhatWasMade) {
    std::atomic<int> calls{0};
    std::vector<uint64_t> asked;  // each step's paddr, in order (written on the thread, read after settle)
    // The second range ends inside a page: made up to that page's end.
    ReadAhead ahead({{1 * kPage, 5 * kPage}, {9 * kPage, 10 * kPage + 100}}, kPage, 2 * kPage,
                    [&](uint64_t paddr, size_t len, uint8_t* into) {
                        asked.push_back(paddr);
                        calls++;
                        return make_bytes(paddr, len, into);
                    });
    wait_for(calls, 3);
    EXPECT_EQ(ahead.made_bytes(), 6 * kPage);
    EXPECT_EQ(asked, (std::vector<uint64_t>{1 * kPage, 3 * kPage, 9 * kPage}));
    const uint8_t* p = ahead.find(2 * kPage, 3 * kPage);  // within the first range
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(holds_the_bytes(p, 2 * kPage, 3 * kPage));
    EXPECT_EQ(ahead.find(4 * kPage, 2 * kPage), nullptr);  // runs past the range's end
    p = ahead.find(10 * kPage, 100);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(holds_the_bytes(p, 10 * kPage, 100));
    // The scan went past the first range: its bytes were let go.
    EXPECT_EQ(ahead.find(1 * kPage, kPage), nullptr);
    EXPECT_EQ(ahead.find(12 * kPage, kPage), nullptr);  // never asked for
}

TEST(ReadAhead, AStepThatFailsStopsIt) {
    std::atomic<int> calls{0};
    ReadAhead ahead({{0, 4 * kPage}, {8 * kPage, 12 * kPage}}, kPage, kPage,
                    [&](uint64_t paddr, size_t len, uint8_t* into) {
                        calls++;
                        return paddr != 2 * kPage && make_bytes(paddr, len, into);
                    });
    wait_for(calls, 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // time to go on, if it did
    EXPECT_EQ(calls.load(), 3);
    EXPECT_EQ(ahead.made_bytes(), 2 * kPage);
    EXPECT_EQ(ahead.find(2 * kPage, kPage), nullptr);  // left to the source's own reads
    EXPECT_EQ(ahead.find(8 * kPage, kPage), nullptr);
}

TEST(ReadAhead, MakesNoMoreThanItsBudget) {
    const size_t step = 1 << 20;
    const int steps = int(ReadAhead::kBudget / step);
    std::atomic<int> calls{0};
    // Two ranges larger than the budget together: the second is cut.
    const uint64_t half = ReadAhead::kBudget / 2 + 3 * kPage;
    ReadAhead ahead({{0, half}, {half + 16 * kPage, half + 16 * kPage + half}}, kPage, step,
                    [&](uint64_t, size_t, uint8_t*) {
                        calls++;
                        return true;
                    });
    wait_for(calls, steps);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(ahead.made_bytes(), ReadAhead::kBudget);
    EXPECT_NE(ahead.find(half + 16 * kPage, kPage), nullptr);
    EXPECT_EQ(ahead.find(half + 16 * kPage + half - kPage, kPage), nullptr);  // beyond the budget
}

TEST(ReadAhead, SettleStopsItAfterTheStepItIsIn) {
    std::atomic<int> calls{0};
    ReadAhead ahead({{0, 1000 * kPage}}, kPage, kPage, [&](uint64_t paddr, size_t len, uint8_t* into) {
        calls++;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        return make_bytes(paddr, len, into);
    });
    wait_for(calls, 2);
    ahead.settle();
    const int made = calls.load();
    EXPECT_LT(made, 1000);
    EXPECT_EQ(ahead.made_bytes(), size_t(made) * kPage);
    const uint8_t* p = ahead.find(0, size_t(made) * kPage);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(holds_the_bytes(p, 0, size_t(made) * kPage));
    EXPECT_EQ(calls.load(), made);  // stopped for good
}

}  // namespace
}  // namespace lockalias
