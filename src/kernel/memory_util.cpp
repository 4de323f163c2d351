#include "kernel/memory_util.h"

#include <cctype>
#include <cstdio>
#include <cstring>

namespace lockalias {

uint64_t load_uint(const uint8_t* buf, long offset, long size) {
    uint64_t v = 0;
    std::memcpy(&v, buf + offset, size > 8 ? 8 : size);  // little-endian
    return v;
}

std::optional<uint64_t> read_u64(Target& t, uint64_t kvaddr) {
    uint64_t v;
    if (!t.read_kv(kvaddr, &v, sizeof v)) return std::nullopt;
    return v;
}

const uint8_t* KernelPageMemo::page(uint64_t kvaddr) {
    const uint64_t start = kvaddr / kPage * kPage;
    auto [it, added] = pages_.try_emplace(start);
    if (added) {
        it->second.resize(kPage);
        if (!t_.read_kv(start, it->second.data(), kPage)) it->second.clear();
    }
    return it->second.empty() ? nullptr : it->second.data();
}

KernelString read_kernel_string(Target& t, uint64_t kvaddr, size_t max_len, KernelPageMemo* pages) {
    KernelString s;
    if (kvaddr == 0) {
        s.problem = "NULL name pointer";
        return s;
    }
    // Read byte runs up to the next page boundary so a name at the end of a
    // readable page followed by an unreadable one still decodes.
    std::string text;
    uint64_t addr = kvaddr;
    while (text.size() < max_len) {
        size_t chunk = 4096 - (addr & 4095);
        if (chunk > max_len - text.size()) chunk = max_len - text.size();
        char buf[4096];
        const uint8_t* whole = pages ? pages->page(addr) : nullptr;
        if (whole) {
            std::memcpy(buf, whole + addr % KernelPageMemo::kPage, chunk);
        } else if (!t.read_kv(addr, buf, chunk)) {
            s.problem = "name at " + hex(kvaddr) + " is unreadable";
            s.text = text;
            return s;
        }
        for (size_t i = 0; i < chunk; i++) {
            unsigned char c = static_cast<unsigned char>(buf[i]);
            if (c == 0) {
                s.text = text;
                s.ok = !text.empty();
                if (!s.ok) s.problem = "empty name";
                return s;
            }
            if (c < 0x20 || c > 0x7e) {
                s.problem = "name at " + hex(kvaddr) + " is not printable text";
                s.text = text;
                return s;
            }
            text.push_back(static_cast<char>(c));
        }
        addr += chunk;
    }
    s.problem = "name at " + hex(kvaddr) + " is not terminated within " +
                std::to_string(max_len) + " bytes";
    s.text = text;
    return s;
}

long parse_decimal(const std::string& s, long fallback, long max) {
    if (s.empty() || s.size() > 15) return fallback;
    long v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return fallback;
        v = v * 10 + (c - '0');
    }
    return v > max ? fallback : v;
}

std::string hex(uint64_t v) {
    char buf[20];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

std::string hex0x(uint64_t v) { return "0x" + hex(v); }

bool parse_address(const std::string& s, uint64_t& out) {
    size_t i = (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 2 : 0;
    if (i == s.size() || s.size() - i > 16) return false;
    uint64_t v = 0;
    for (; i < s.size(); i++) {
        if (!std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
        char c = char(std::tolower(static_cast<unsigned char>(s[i])));
        v = v * 16 + uint64_t(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    out = v;
    return true;
}

}  // namespace lockalias
