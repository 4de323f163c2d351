// A dump source's first pages made ahead, on a thread of their own, while
// crash's thread does what a scan must do before it reads memory: the
// lockdep layout and class table, through gdb and crash's reads (about
// 8 ms). On a small compressed kdump that is as long as decompressing
// every page the scan reads (issue 16: the bundled lzo copy scanned in
// 1.76x its floor, a third of it spent before the first page), and with
// the pages made meanwhile the scan only searches them.
//
// The pages are made in the order the scan will ask for them, at most
// kBudget bytes, and kept until the scan has asked for them. The source
// must not be used by its own thread while the read-ahead runs: each of
// its entry points calls settle() first, which stops the thread (it
// finishes the step it is in) and joins it.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "dump/target.h"

namespace lockalias {

class ReadAhead {
public:
    // Makes len bytes at paddr (whole pages) into `into`; false when it
    // cannot (the read-ahead then stops: the scan makes those itself, and
    // says what went wrong).
    using Make = std::function<bool(uint64_t paddr, size_t len, uint8_t* into)>;

    // Starts making `ranges` (in this order, each widened to whole pages)
    // in steps of `step` bytes. No thread to be had: nothing is made.
    ReadAhead(std::vector<PhysRange> ranges, uint64_t page, size_t step, Make make);
    ~ReadAhead();
    ReadAhead(const ReadAhead&) = delete;
    ReadAhead& operator=(const ReadAhead&) = delete;

    // Stops making pages and waits for the thread.
    void settle();
    // The len bytes at paddr when they were made ahead, else nullptr
    // (settles first). Valid until the next call: a range's bytes are let
    // go once a call asks for bytes at or past its end.
    const uint8_t* find(uint64_t paddr, size_t len);
    // Bytes made (for tests; settles first).
    size_t made_bytes();

    // Memory a read-ahead may hold. In its 8-10 ms it made 7-10 MiB in
    // this project's VM, bound by the page faults of new memory (one per
    // 4 KiB, about as costly as decompressing it): the budget bounds a
    // machine where faults are cheap.
    static constexpr size_t kBudget = 32 << 20;

private:
    struct Made {
        uint64_t start = 0;  // of the widened range
        size_t made = 0;     // bytes made from start
        std::unique_ptr<uint8_t[]> bytes;
    };
    void run();

    const std::vector<PhysRange> ranges_;
    const uint64_t page_;
    const size_t step_;
    const Make make_;
    std::vector<Made> made_;  // written by the thread; read only after settle()
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace lockalias
