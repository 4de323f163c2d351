#include "analysis/scan_plan.h"

#include <algorithm>

#include "analysis/memory_without_maps.h"
#include "kernel/system_ram.h"

namespace lockalias {

ScanPlan::ScanPlan(Target& t, DumpSource& source, std::vector<PhysRange> skip, uint64_t window)
    : source_(source), skip_(std::move(skip)), ram_(system_ram_ranges(t)), window_(std::max<uint64_t>(window, 1)) {
    if (!ram_.empty()) planned_to_ = ram_.front().start;
}

bool ScanPlan::plan_window() {
    while (ram_index_ < ram_.size() && planned_to_ >= ram_[ram_index_].end) {
        if (++ram_index_ < ram_.size()) planned_to_ = ram_[ram_index_].start;
    }
    if (ram_index_ >= ram_.size()) return false;
    const PhysRange win{planned_to_, std::min(ram_[ram_index_].end, planned_to_ + window_)};
    planned_to_ = win.end;
    // Only the parts the dump holds, when it says which: the gaps are
    // noted as unreadable without a failing read per page.
    uint64_t noted = win.start;
    for (const PhysRange& part : source_.dumped_parts(win).value_or(std::vector<PhysRange>{win})) {
        if (part.start > noted) steps_.push_back({ScanStep::Kind::NotDumped, {noted, part.start}});
        noted = part.end;
        uint64_t read = 0;
        for (const PhysRange& piece : outside(part, skip_)) {
            read += piece.end - piece.start;
            steps_.push_back({ScanStep::Kind::Read, piece});
        }
        if (part.end - part.start > read) steps_.push_back({ScanStep::Kind::LeftOut, {0, part.end - part.start - read}});
    }
    if (win.end > noted) steps_.push_back({ScanStep::Kind::NotDumped, {noted, win.end}});
    return true;
}

const ScanStep* ScanPlan::next() {
    while (steps_.empty())
        if (!plan_window()) return nullptr;
    current_ = steps_.front();
    steps_.pop_front();
    return &current_;
}

std::vector<PhysRange> ScanPlan::first_reads(uint64_t bytes) {
    std::vector<PhysRange> reads;
    uint64_t got = 0;
    for (size_t i = 0; got < bytes; i++) {
        while (i >= steps_.size())
            if (!plan_window()) return reads;
        const ScanStep& step = steps_[i];
        if (step.kind != ScanStep::Kind::Read) continue;
        reads.push_back(step.range);
        got += step.range.end - step.range.start;
    }
    return reads;
}

}  // namespace lockalias
