// lockdep's usage characters ("+.-." as in /proc/lockdep and splats),
// rebuilt from a class's usage_mask and this kernel's enum lock_usage_bit.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dump/target.h"

namespace lockalias {

struct UsageBits {
    // For each irq state lockdep tracks (HARDIRQ, SOFTIRQ): the bits of
    // LOCK_USED_IN_<STATE> and LOCK_USED_IN_<STATE>_READ.
    std::vector<std::pair<long, long>> used_in;
    long dir = 2;  // LOCK_ENABLED_x - LOCK_USED_IN_x, from the enum
    bool known() const { return !used_in.empty(); }
};

UsageBits load_usage_bits(Target& t);

// "" when the bits are unknown.
std::string usage_chars(uint64_t usage_mask, const UsageBits& bits);

}  // namespace lockalias
