// The scan's plan: what it does with RAM, in address order, made before
// any page so that the dump source can start making the first ones ahead.
#pragma once
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

// Every RAM range's steps; `skip` is memory_without_maps()'s ranges.
std::vector<ScanStep> plan_scan(Target& t, DumpSource& source, const std::vector<PhysRange>& skip);

// The plan's first ranges to read, as many as a read-ahead can make.
std::vector<PhysRange> first_reads(const std::vector<ScanStep>& plan);

}  // namespace lockalias
