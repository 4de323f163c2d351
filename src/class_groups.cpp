#include "class_groups.h"

#include <fnmatch.h>

#include <map>

#include "memory_util.h"

namespace lockalias {

namespace {

bool matches(const std::string& pattern, const std::string& text) {
    return fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

}  // namespace

std::vector<ClassGroup> group_by_class(const ScanResult& r, const GroupFilter& filter) {
    std::map<uint64_t, ClassGroup> by_addr;
    for (size_t i = 0; i < r.maps.size(); i++) {
        for (const SlotVerdict& v : r.maps[i].slots) {
            ClassGroup& g = by_addr[v.class_addr];
            g.class_addr = v.class_addr;
            g.cls = r.classes.slot_at(v.class_addr);
            if (v.severity == Severity::Clean) {
                g.owners.push_back({i, v.slot, v.severity});
            } else {
                g.aliases.push_back({i, v.slot, v.severity});
                if (severity_rank(v.severity) > severity_rank(g.worst)) g.worst = v.severity;
            }
        }
    }
    std::vector<ClassGroup> out;
    for (auto& [addr, g] : by_addr) {
        auto counted = r.clean_slots.find(addr);
        g.owner_count = counted != r.clean_slots.end() ? counted->second : long(g.owners.size());
        if (g.aliases.empty() && !filter.include_clean) continue;
        if (filter.class_addr && addr != filter.class_addr) continue;
        if (!filter.name_pattern.empty()) {
            bool hit = g.cls && matches(filter.name_pattern, g.cls->name);
            for (const MapSlot& a : g.aliases)
                hit = hit || matches(filter.name_pattern, r.maps[a.map_index].map.name);
            if (!hit) continue;
        }
        out.push_back(std::move(g));
    }
    return out;
}

SeverityCounts count_aliases(const std::vector<ClassGroup>& groups) {
    SeverityCounts c;
    for (const ClassGroup& g : groups) {
        for (const MapSlot& a : g.aliases) {
            switch (a.severity) {
            case Severity::Wait: c.wait++; break;
            case Severity::Name: c.name++; break;
            case Severity::Stale: c.stale++; break;
            case Severity::Unreadable: c.unreadable++; break;
            case Severity::Clean: break;
            }
        }
    }
    return c;
}

std::vector<size_t> maps_shown(const std::vector<ClassGroup>& groups, bool all_owners) {
    std::vector<size_t> out;
    for (const ClassGroup& g : groups) {
        for (const MapSlot& a : g.aliases) out.push_back(a.map_index);
        for (size_t i = 0; i < g.owners.size() && (all_owners || i == 0); i++)
            out.push_back(g.owners[i].map_index);
    }
    return out;
}

std::string key_symbol(Target& t, uint64_t key) {
    std::string sym = t.symbol_at(key);
    return sym.empty() ? hex(key) : sym;
}

std::string describe_key(Target& t, const LockdepLayout& l, uint64_t key) {
    if (l.novalidate_key && key == l.novalidate_key)
        return "__lockdep_no_validate__ (no-validate key: lockdep_set_novalidate_class)";
    if (l.notrack_key && key == l.notrack_key)
        return "__lockdep_no_track__ (not tracked: lockdep_set_notrack_class)";
    return key_symbol(t, key);
}

}  // namespace lockalias
