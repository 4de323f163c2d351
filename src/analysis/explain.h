// `lockalias ADDR`: what is at one address, and is it validated as itself?
// ADDR may be a lockdep_map, a lock that embeds one, or a lock_class.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lockdep/class_table.h"
#include "analysis/scan.h"
#include "dump/target.h"

namespace lockalias {

struct Explanation {
    enum class Kind { Map, UncachedMap, Class, NotALock };
    Kind kind = Kind::NotALock;
    uint64_t addr = 0;            // what the user gave
    uint64_t map_addr = 0;        // the lockdep_map used
    std::string lock_type;        // "spinlock_t", ... when ADDR embeds the map; "" when ADDR is the map
    long map_offset = 0;          // map_addr - addr
    MapFinding finding;           // for Map / UncachedMap
    std::vector<std::string> why; // for NotALock: what each try found
    std::string where;            // Location::describe() of ADDR
    // For Map / UncachedMap in memory the kernel freed: how that is known
    // (MapFinding::freed_how's words); "" for a map in memory in use.
    std::string freed_how;
};

// The locator is the command's (AnalysisContext::locator()): one per
// command, not one per lock (it reads the kernel image bounds and slab
// debuginfo on creation, and keeps the vmalloc aliases a scan learned).
Explanation explain_address(Target& t, const ClassTable& classes, AddressLocator& locator, uint64_t addr);

// One or two sentences on a slot verdict, for people.
std::string explain_verdict(Target& t, const ClassTable& classes, const MapFinding& f,
                            const SlotVerdict& v);

}  // namespace lockalias
