// The scan's findings regrouped by class: for each class that some lock is
// wrongly validated as, the lock(s) that own it and the aliases.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "scan.h"

namespace lockalias {

struct MapSlot {
    size_t map_index;  // into ScanResult::maps
    int slot;          // which class_cache[] entry points at the class
    Severity severity;
};

struct ClassGroup {
    const LockClass* cls = nullptr;
    uint64_t class_addr = 0;
    std::vector<MapSlot> aliases;   // severity name/wait/stale/unreadable
    std::vector<MapSlot> owners;    // clean users kept by the scan (at least the origin)
    long owner_count = 0;           // all clean users, kept or only counted
    Severity worst = Severity::Clean;
};

struct GroupFilter {
    uint64_t class_addr = 0;       // 0: any
    std::string name_pattern;      // fnmatch(3) on the class or map name; empty: any
    bool include_clean = false;    // -v: also classes with no alias
};

std::vector<ClassGroup> group_by_class(const ScanResult& r, const GroupFilter& filter);

struct SeverityCounts {
    long wait = 0, name = 0, stale = 0, unreadable = 0;
    long total() const { return wait + name + stale + unreadable; }
};
SeverityCounts count_aliases(const std::vector<ClassGroup>& groups);

// The maps a report of these groups shows: every alias, and the origin (or,
// with all_owners, every owning map).
std::vector<size_t> maps_shown(const std::vector<ClassGroup>& groups, bool all_owners);

// What the key is, in words: a symbol, and a note for the no-validate key.
std::string describe_key(Target& t, const LockdepLayout& l, uint64_t key);
// Just the key's symbol (or its address): for tables.
std::string key_symbol(Target& t, uint64_t key);

}  // namespace lockalias
