#include "lockdep/usage_chars.h"

#include "kernel/enum_values.h"

namespace lockalias {

UsageBits load_usage_bits(Target& t) {
    UsageBits b;
    for (const char* state : {"HARDIRQ", "SOFTIRQ"}) {
        auto used = enum_value_of(t, "lock_usage_bit", std::string("LOCK_USED_IN_") + state);
        auto used_read = enum_value_of(t, "lock_usage_bit", std::string("LOCK_USED_IN_") + state + "_READ");
        if (used && used_read) b.used_in.push_back({*used, *used_read});
    }
    auto used = enum_value_of(t, "lock_usage_bit", "LOCK_USED_IN_HARDIRQ");
    auto enabled = enum_value_of(t, "lock_usage_bit", "LOCK_ENABLED_HARDIRQ");
    if (used && enabled) b.dir = *enabled - *used;
    return b;
}

namespace {

// Same order of checks as the kernel's get_usage_char().
char usage_char(uint64_t mask, long bit, long dir) {
    auto has = [mask](long b) { return b >= 0 && b < 64 && ((mask >> b) & 1); };
    if (has(bit + dir)) return has(bit) ? '?' : '+';
    return has(bit) ? '-' : '.';
}

}  // namespace

std::string usage_chars(uint64_t usage_mask, const UsageBits& bits) {
    std::string s;
    for (const auto& [used, used_read] : bits.used_in) {
        s += usage_char(usage_mask, used, bits.dir);
        s += usage_char(usage_mask, used_read, bits.dir);
    }
    return s;
}

}  // namespace lockalias
