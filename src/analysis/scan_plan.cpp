#include "analysis/scan_plan.h"

#include "analysis/memory_without_maps.h"
#include "dump/read_ahead.h"
#include "kernel/system_ram.h"

namespace lockalias {

std::vector<ScanStep> plan_scan(Target& t, DumpSource& source, const std::vector<PhysRange>& skip) {
    std::vector<ScanStep> plan;
    for (const PhysRange& ram : system_ram_ranges(t)) {
        // Only the parts the dump holds, when it says which: the gaps are
        // noted as unreadable without a failing read per page.
        uint64_t noted = ram.start;
        for (const PhysRange& part : source.dumped_parts(ram).value_or(std::vector<PhysRange>{ram})) {
            if (part.start > noted) plan.push_back({ScanStep::Kind::NotDumped, {noted, part.start}});
            noted = part.end;
            uint64_t read = 0;
            for (const PhysRange& piece : outside(part, skip)) {
                read += piece.end - piece.start;
                plan.push_back({ScanStep::Kind::Read, piece});
            }
            if (part.end - part.start > read) plan.push_back({ScanStep::Kind::LeftOut, {0, part.end - part.start - read}});
        }
        if (ram.end > noted) plan.push_back({ScanStep::Kind::NotDumped, {noted, ram.end}});
    }
    return plan;
}

std::vector<PhysRange> first_reads(const std::vector<ScanStep>& plan) {
    std::vector<PhysRange> reads;
    uint64_t bytes = 0;
    for (const ScanStep& step : plan) {
        if (bytes >= ReadAhead::kBudget) break;
        if (step.kind != ScanStep::Kind::Read) continue;
        reads.push_back(step.range);
        bytes += step.range.end - step.range.start;
    }
    return reads;
}

}  // namespace lockalias
