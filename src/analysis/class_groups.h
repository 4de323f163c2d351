// The scan's findings regrouped by class: for each class that some lock is
// wrongly validated as, the lock(s) that own it and the aliases.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/scan.h"

namespace lockalias {

struct MapSlot {
    size_t map_index;  // into ScanResult::maps, or ScanResult::latent when untaken
    int slot;          // which class_cache[] entry points at the class
    Severity severity;
    bool untaken = false;
};
// The finding a MapSlot names.
const MapFinding& finding_of(const ScanResult& r, const MapSlot& s);

struct ClassGroup {
    const LockClass* cls = nullptr;
    uint64_t class_addr = 0;
    std::vector<MapSlot> aliases;   // every severity but clean; latent ones untaken
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
// The latent aliases by the class lockdep will find for them; owners are
// the taken locks that use the class as their own (kept by the scan).
std::vector<ClassGroup> group_latent(const ScanResult& r, const GroupFilter& filter);

struct SeverityCounts {
    long wait = 0, name = 0, stale = 0, unreadable = 0, corrupt = 0, suspect = 0, latent = 0;
    long total() const { return wait + name + stale + unreadable + corrupt + suspect + latent; }
};
SeverityCounts count_aliases(const std::vector<ClassGroup>& groups);
// The untracked maps the filter keeps (by map name only: they have no class).
std::vector<size_t> untracked_shown(const ScanResult& r, const GroupFilter& filter);

// The maps a report of these groups shows: every alias, and the origin (or,
// with all_owners, every owning map).
std::vector<size_t> maps_shown(const std::vector<ClassGroup>& groups, bool all_owners);

// What the key is, in words: a symbol, and a note for the no-validate key.
std::string describe_key(Target& t, const LockdepLayout& l, uint64_t key);
// Just the key's symbol (or its address): for tables.
std::string key_symbol(Target& t, uint64_t key);

}  // namespace lockalias
