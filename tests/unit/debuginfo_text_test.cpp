// Parsers of debuginfo text and usage bits: gdb's `ptype /o` (held_lock's
// bitfields as Debian's 6.1.192 lays them out) and lockdep's usage chars.
#include <gtest/gtest.h>

#include "kernel/ptype_offsets.h"
#include "lockdep/usage_chars.h"

namespace lockalias {
namespace {

const char* kHeldLock = R"(/* offset    |  size */  type = struct held_lock {
/*    0      |     8 */    u64 prev_chain_key;
/*    8      |     8 */    unsigned long acquire_ip;
/*   16      |     8 */    struct lockdep_map *instance;
/*   24      |     8 */    struct lockdep_map *nest_lock;
/*   32: 0   |     4 */    unsigned int class_idx : 13;
/*   33: 5   |     4 */    unsigned int irq_context : 2;
/*   33: 7   |     4 */    unsigned int trylock : 1;
/*   34: 0   |     4 */    unsigned int read : 2;
/*   34: 5   |     4 */    unsigned int references : 11;
/*   36      |     4 */    unsigned int pin_count;

                           /* total size (bytes):   40 */
                         }
)";

TEST(PtypeOffsets, BitfieldsAndPlainMembers) {
    PtypeLayout l = parse_ptype_offsets(kHeldLock);
    EXPECT_EQ(l.at("instance").bit_offset, 16 * 8);
    EXPECT_EQ(l.at("instance").bit_size, 64);
    EXPECT_EQ(l.at("class_idx").bit_offset, 256);
    EXPECT_EQ(l.at("class_idx").bit_size, 13);
    EXPECT_EQ(l.at("irq_context").bit_offset, 33 * 8 + 5);
    EXPECT_EQ(l.at("trylock").bit_offset, 33 * 8 + 7);
    EXPECT_EQ(l.at("references").bit_size, 11);
    EXPECT_EQ(l.count("total"), 0u);
}

TEST(PtypeOffsets, SkipsNestedMembers) {
    PtypeLayout l = parse_ptype_offsets(R"(/* offset    |  size */  type = struct outer {
/*    0      |    16 */    struct {
/*    0      |     8 */        long inner_a;
/*    8      |     8 */        long inner_b;
                           } nested;
/*   16      |     4 */    int tail;
)");
    EXPECT_EQ(l.count("inner_a"), 0u);
    EXPECT_EQ(l.at("tail").bit_offset, 128);
}

TEST(PtypeOffsets, HugeNumbersAreSkippedNotThrown) {
    // Found by fuzz_log: std::stol threw out_of_range on this.
    PtypeLayout l = parse_ptype_offsets(
        "/* 99999999999999999999999 |     8 */    u64 prev_chain_key;\n"
        "/*    8      |     8 */    unsigned long acquire_ip;\n");
    EXPECT_EQ(l.count("prev_chain_key"), 0u);
    EXPECT_EQ(l.at("acquire_ip").bit_offset, 64);
}

TEST(UsageChars, MatchesGetUsageChar) {
    // 6.1: USED_IN_HARDIRQ 0, _READ 1, ENABLED_HARDIRQ 2, _READ 3, USED_IN_SOFTIRQ 4, ...
    UsageBits b;
    b.used_in = {{0, 1}, {4, 5}};
    b.dir = 2;
    EXPECT_EQ(usage_chars(0, b), "....");
    EXPECT_EQ(usage_chars((1 << 2) | (1 << 6), b), "+.+.");   // enabled, never in irq
    EXPECT_EQ(usage_chars(1 << 0, b), "-...");                 // used in hardirq only
    EXPECT_EQ(usage_chars((1 << 0) | (1 << 2), b), "?...");    // both
    EXPECT_EQ(usage_chars(1 << 2, UsageBits{}), "");
}

}  // namespace
}  // namespace lockalias
