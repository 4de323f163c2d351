// The scan's plan: what it does with RAM, in address order, made a window
// of RAM at a time, and ahead of the pages so that the dump source can
// start making the first ones while the scan reads lockdep's layout.
#pragma once
#include <cstdint>
#include <deque>
#include <vector>

#include "dump/dump_source.h"
#include "dump/target.h"

namespace lockalias {

// One step of the plan: a range to read, a range the dump does not hold,
// or bytes of dumped memory left out (no map can be there:
// memory_without_maps()).
struct ScanStep {
    enum class Kind { Read, NotDumped, LeftOut } kind;
    PhysRange range;  // LeftOut: only its length counts
};

// The steps are planned one window of RAM at a time, as they are asked
// for: a kdump filtered with -d 31 can have a run of dumped pages every
// few pages, millions of steps on a large machine, and only the steps of
// the windows not yet scanned are held.
class ScanPlan {
public:
    static constexpr uint64_t kWindow = 1ULL << 30;

    // `skip` is memory_without_maps()'s ranges (sorted, disjoint).
    ScanPlan(Target& t, DumpSource& source, std::vector<PhysRange> skip, uint64_t window = kWindow);

    // The next step, or nullptr after the last. Valid until the next call.
    const ScanStep* next();

    // The ranges of the next Read steps, up to `bytes` of them (the last
    // one whole), planning windows ahead as far as that needs.
    std::vector<PhysRange> first_reads(uint64_t bytes);

private:
    bool plan_window();  // appends the next window's steps; false after the last window

    DumpSource& source_;
    const std::vector<PhysRange> skip_;
    const std::vector<PhysRange> ram_;  // system_ram_ranges()
    const uint64_t window_;
    size_t ram_index_ = 0;  // the RAM range being planned
    uint64_t planned_to_ = 0;  // in it, planned up to here
    std::deque<ScanStep> steps_;  // planned, not yet handed out
    ScanStep current_{};
};

}  // namespace lockalias
