#include "dump/read_ahead.h"

#include <algorithm>
#include <new>
#include <system_error>

#include "dump/parallel.h"

namespace lockalias {

ReadAhead::ReadAhead(std::vector<PhysRange> ranges, uint64_t page, size_t step, Make make)
    : ranges_(std::move(ranges)), page_(page), step_(std::max<size_t>(step, page)), make_(std::move(make)) {
    try {
        thread_ = start_quiet_thread([this] { run(); });
    } catch (const std::system_error&) {
    }
}

ReadAhead::~ReadAhead() { settle(); }

void ReadAhead::settle() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void ReadAhead::run() {
    try {
        size_t left = kBudget / page_ * page_;
        for (const PhysRange& r : ranges_) {
            const uint64_t start = r.start / page_ * page_, end = (r.end + page_ - 1) / page_ * page_;
            if (start >= end) continue;
            const size_t len = size_t(std::min<uint64_t>(end - start, left));
            if (len == 0) return;  // the budget is spent
            // (not zeroed: untouched pages of a read-ahead stopped early
            // cost no memory)
            Made m;
            m.start = start;
            m.bytes.reset(new (std::nothrow) uint8_t[len]);
            if (!m.bytes) return;
            made_.push_back(std::move(m));
            Made& cur = made_.back();
            while (cur.made < len) {
                if (stop_) return;
                const size_t n = std::min(step_, len - cur.made);
                if (!make_(start + cur.made, n, cur.bytes.get() + cur.made)) return;
                cur.made += n;
            }
            left -= len;
        }
    } catch (...) {
        // (std::bad_alloc growing made_: what was made stays usable)
    }
}

const uint8_t* ReadAhead::find(uint64_t paddr, size_t len) {
    settle();
    const uint8_t* found = nullptr;
    for (Made& m : made_) {
        if (!m.bytes) continue;
        if (paddr >= m.start + m.made)  // the scan is past it
            m.bytes.reset();
        else if (paddr >= m.start && paddr + len <= m.start + m.made)
            found = m.bytes.get() + (paddr - m.start);
    }
    return found;
}

size_t ReadAhead::made_bytes() {
    settle();
    size_t n = 0;
    for (const Made& m : made_) n += m.made;
    return n;
}

}  // namespace lockalias
