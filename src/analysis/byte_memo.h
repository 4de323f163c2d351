// A small direct-mapped cache from a short byte string (a lockdep_map's
// raw bytes) to what was worked out from it. A dump with a million locks
// holds a few thousand distinct maps: the same key, name and class in
// every slab object of a cache. Judging each distinct one once takes the
// per-map cost off the scan. A colliding entry is simply replaced.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace lockalias {

template <typename Value>
class ByteMemo {
public:
    explicit ByteMemo(size_t slots = 4096) : entries_(slots) {}

    const Value* find(const uint8_t* bytes, size_t len) const {
        const Entry& e = entries_[index(bytes, len)];
        if (!e.used || e.key.size() != len || std::memcmp(e.key.data(), bytes, len) != 0) return nullptr;
        return &e.value;
    }
    const Value& put(const uint8_t* bytes, size_t len, Value v) {
        Entry& e = entries_[index(bytes, len)];
        e.key.assign(bytes, bytes + len);
        e.value = std::move(v);
        e.used = true;
        return e.value;
    }

private:
    struct Entry {
        std::vector<uint8_t> key;
        Value value{};
        bool used = false;
    };
    size_t index(const uint8_t* bytes, size_t len) const {
        uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a over 8-byte words
        size_t i = 0;
        for (; i + 8 <= len; i += 8) {
            uint64_t w;
            std::memcpy(&w, bytes + i, 8);
            h = (h ^ w) * 0x100000001b3ULL;
            h ^= h >> 29;
        }
        for (; i < len; i++) h = (h ^ bytes[i]) * 0x100000001b3ULL;
        return size_t(h % entries_.size());
    }
    std::vector<Entry> entries_;
};

}  // namespace lockalias
