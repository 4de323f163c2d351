#include "analysis/class_groups.h"

#include <fnmatch.h>

#include <map>

#include "kernel/memory_util.h"

namespace lockalias {

namespace {

bool matches(const std::string& pattern, const std::string& text) {
    return fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

ClassGroup& group_for(std::map<uint64_t, ClassGroup>& by_addr, const ScanResult& r, uint64_t class_addr) {
    ClassGroup& g = by_addr[class_addr];
    g.class_addr = class_addr;
    g.cls = r.classes->class_at(class_addr);
    return g;
}

void add_alias(ClassGroup& g, const MapSlot& s) {
    g.aliases.push_back(s);
    if (severity_rank(s.severity) > severity_rank(g.worst)) g.worst = s.severity;
}

// Every taken map's clean use of a class in by_addr (or of any class, when
// `any`) becomes an owner.
void add_owners(std::map<uint64_t, ClassGroup>& by_addr, const ScanResult& r, bool any) {
    for (size_t i = 0; i < r.maps.size(); i++) {
        for (const SlotVerdict& v : r.maps[i].slots) {
            if (v.severity != Severity::Clean || (!any && !by_addr.count(v.class_addr))) continue;
            group_for(by_addr, r, v.class_addr).owners.push_back({i, v.slot, v.severity});
        }
    }
}

std::vector<ClassGroup> filtered(std::map<uint64_t, ClassGroup>& by_addr, const ScanResult& r,
                                 const GroupFilter& filter) {
    std::vector<ClassGroup> out;
    for (auto& [addr, g] : by_addr) {
        auto counted = r.clean_slots.find(addr);
        g.owner_count = counted != r.clean_slots.end() ? counted->second : long(g.owners.size());
        if (g.aliases.empty() && !filter.include_clean) continue;
        if (filter.class_addr && addr != filter.class_addr) continue;
        if (!filter.name_pattern.empty()) {
            bool hit = g.cls && matches(filter.name_pattern, g.cls->name);
            for (const MapSlot& a : g.aliases)
                hit = hit || matches(filter.name_pattern, finding_of(r, a).map.name);
            if (!hit) continue;
        }
        out.push_back(std::move(g));
    }
    return out;
}

}  // namespace

const MapFinding& finding_of(const ScanResult& r, const MapSlot& s) {
    return s.untaken ? r.latent[s.map_index] : r.maps[s.map_index];
}

std::vector<ClassGroup> group_by_class(const ScanResult& r, const GroupFilter& filter) {
    std::map<uint64_t, ClassGroup> by_addr;
    for (size_t i = 0; i < r.maps.size(); i++)
        for (const SlotVerdict& v : r.maps[i].slots)
            if (v.severity != Severity::Clean) add_alias(group_for(by_addr, r, v.class_addr), {i, v.slot, v.severity});
    add_owners(by_addr, r, filter.include_clean);
    return filtered(by_addr, r, filter);
}

std::vector<ClassGroup> group_latent(const ScanResult& r, const GroupFilter& filter) {
    std::map<uint64_t, ClassGroup> by_addr;
    for (size_t i = 0; i < r.latent.size(); i++)
        for (const SlotVerdict& v : r.latent[i].slots)
            add_alias(group_for(by_addr, r, v.class_addr), {i, v.slot, v.severity, true});
    add_owners(by_addr, r, false);
    GroupFilter only_aliases = filter;
    only_aliases.include_clean = false;
    return filtered(by_addr, r, only_aliases);
}

std::vector<size_t> untracked_shown(const ScanResult& r, const GroupFilter& filter) {
    std::vector<size_t> out;
    if (filter.class_addr) return out;  // no class to match
    for (size_t i = 0; i < r.untracked.size(); i++)
        if (filter.name_pattern.empty() || matches(filter.name_pattern, r.untracked[i].map.name))
            out.push_back(i);
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
            case Severity::Corrupt: c.corrupt++; break;
            case Severity::Suspect: c.suspect++; break;
            case Severity::Latent: c.latent++; break;
            case Severity::Clean: break;
            }
        }
    }
    return c;
}

std::vector<size_t> maps_shown(const std::vector<ClassGroup>& groups, bool all_owners) {
    std::vector<size_t> out;
    for (const ClassGroup& g : groups) {
        for (const MapSlot& a : g.aliases)
            if (!a.untaken) out.push_back(a.map_index);
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
