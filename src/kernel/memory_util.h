// Small helpers for decoding little-endian kernel memory through a Target.
#pragma once
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dump/target.h"

namespace lockalias {

inline uint64_t load_u64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Reads an unsigned integer of 1, 2, 4 or 8 bytes at buf+offset.
uint64_t load_uint(const uint8_t* buf, long offset, long size);

std::optional<uint64_t> read_u64(Target& t, uint64_t kvaddr);

// A kernel string as lockdep stores names: NUL-terminated, printable.
struct KernelString {
    std::string text;
    bool ok = false;          // readable, terminated, printable
    std::string problem;      // why not, when !ok
};
// Whole kernel pages read once through the Target and kept. lockdep's
// names sit together in a few pages of .rodata: read from here, hundreds
// of names cost a few page reads instead of one crash read each (most of
// a first scan's class table on a compressed kdump, issue 16).
class KernelPageMemo {
public:
    explicit KernelPageMemo(Target& t) : t_(t) {}
    static constexpr uint64_t kPage = 4096;
    // The page holding kvaddr, or nullptr when it cannot be read whole.
    const uint8_t* page(uint64_t kvaddr);

private:
    Target& t_;
    std::unordered_map<uint64_t, std::vector<uint8_t>> pages_;  // empty: not readable whole
};

// (4096: stringified macro expressions make names of several hundred bytes)
// With pages, each page is read through them (a page they cannot read
// whole is read as before, byte run by byte run).
KernelString read_kernel_string(Target& t, uint64_t kvaddr, size_t max_len = 4096,
                                KernelPageMemo* pages = nullptr);

// Kernel virtual addresses on x86_64 live in the upper half.
inline bool looks_like_kernel_pointer(uint64_t v) { return v >= 0xffff800000000000ULL; }

// A decimal number from text that may be damaged (logs, tool output):
// `fallback` when it is empty, not a number, or above `max`. Never throws.
long parse_decimal(const std::string& s, long fallback, long max = 1L << 40);

std::string hex(uint64_t v);
// Accepts "ffff8880...", "0x..." (at most 16 hex digits); false for anything else.
bool parse_address(const std::string& s, uint64_t& out);          // "ffff888003c1a000" (16 digits)
std::string hex0x(uint64_t v);        // "0xffff888003c1a000"

}  // namespace lockalias
