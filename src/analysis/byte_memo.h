// A small direct-mapped cache from a short byte string (a lockdep_map's
// raw bytes) to what was worked out from it. A dump with a million locks
// holds a few thousand distinct maps: the same key, name and class in
// every slab object of a cache. Judging each distinct one once takes the
// per-map cost off the scan. A colliding entry is simply replaced.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace lockalias {

template <typename Value>
class ByteMemo {
public:
    // 2^bits slots, each made on first use: a scan makes a memo per
    // command, and constructing 4096 judged values up front cost as much
    // as judging a small dump's few hundred distinct maps.
    explicit ByteMemo(unsigned bits = 12) : entries_(size_t(1) << bits), mask_((size_t(1) << bits) - 1) {}

    const Value* find(const uint8_t* bytes, size_t len) const {
        // The entry found last first: the locks of a slab page are objects
        // of one cache, mostly the same bytes one after the other, and the
        // last entry is in cache where the hashed slot often is not.
        if (last_ && last_->key.size() == len && same(last_->key.data(), bytes, len)) return &last_->value;
        const Entry* e = entries_[index(bytes, len)].get();
        if (!e || e->key.size() != len || !same(e->key.data(), bytes, len)) return nullptr;
        last_ = e;
        return &e->value;
    }
    const Value& put(const uint8_t* bytes, size_t len, Value v) {
        std::unique_ptr<Entry>& slot = entries_[index(bytes, len)];
        if (!slot) slot = std::make_unique<Entry>();
        slot->key.assign(bytes, bytes + len);
        slot->value = std::move(v);
        last_ = slot.get();
        return slot->value;
    }

private:
    struct Entry {
        std::vector<uint8_t> key;
        Value value{};
    };
    // (inline: a call to memcmp for some 50 bytes cost as much as the hash)
    static bool same(const uint8_t* a, const uint8_t* b, size_t len) {
        uint64_t differ = 0;
        size_t i = 0;
        for (; i + 8 <= len; i += 8) {
            uint64_t x, y;
            std::memcpy(&x, a + i, 8);
            std::memcpy(&y, b + i, 8);
            differ |= x ^ y;
        }
        for (; i < len; i++) differ |= uint64_t(a[i] ^ b[i]);
        return !differ;
    }
    // Runs once per lock found (a million on a large dump): each word's
    // multiply is independent of the others, only a rotate and an xor are
    // chained, and the slot is a mask, not a division.
    size_t index(const uint8_t* bytes, size_t len) const {
        uint64_t h = len;
        size_t i = 0;
        for (; i + 8 <= len; i += 8) {
            uint64_t w;
            std::memcpy(&w, bytes + i, 8);
            h = ((h << 23) | (h >> 41)) ^ (w * 0x9E3779B97F4A7C15ULL);
        }
        for (; i < len; i++) h = ((h << 8) | (h >> 56)) ^ (bytes[i] * 0xC2B2AE3D27D4EB4FULL);
        h ^= h >> 32;
        h *= 0xFF51AFD7ED558CCDULL;
        h ^= h >> 29;
        return size_t(h) & mask_;
    }
    std::vector<std::unique_ptr<Entry>> entries_;
    size_t mask_;
    mutable const Entry* last_ = nullptr;  // found or put last (an entry, once made, never moves)
};

}  // namespace lockalias
