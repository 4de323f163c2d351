#include "report/class_list.h"

#include <cstdio>
#include <map>

#include "analysis/class_groups.h"
#include "report/json_writer.h"
#include "kernel/memory_util.h"
#include "report/scan_report.h"
#include "lockdep/usage_chars.h"

namespace lockalias {

namespace {

struct Counts {
    long maps = 0, aliases = 0, latent = 0;
};

// Aliases are wait and name verdicts only: a corrupt or suspect class's
// maps are counted as its maps, not as aliases.
std::map<uint64_t, Counts> count_users(const ScanResult& r) {
    std::map<uint64_t, Counts> by_class;
    for (const MapFinding& f : r.maps)
        for (const SlotVerdict& v : f.slots)
            if (v.severity != Severity::Clean) {
                by_class[v.class_addr].maps++;
                if (is_alias(v.severity)) by_class[v.class_addr].aliases++;
            }
    for (const auto& [cls, n] : r.clean_slots) by_class[cls].maps += n;  // kept or not
    for (const MapFinding& f : r.latent) by_class[f.slots.front().class_addr].latent++;
    return by_class;
}

std::string name_column(const LockClass& c) {
    if (c.defect == ClassDefect::None) return c.display_name();
    return "CORRUPT(" + std::string(class_defect_name(c.defect)) + ") " + c.display_name();
}

}  // namespace

std::string class_list_text(Target& t, const ScanResult& r) {
    const LockdepLayout& l = r.classes->layout;
    const UsageBits bits = load_usage_bits(t);
    auto users = count_users(r);
    std::string o;
    char line[512];
    std::snprintf(line, sizeof line, "%-16s  %5s  %-6s %-5s %6s %7s %6s  %-32s %s\n", "CLASS", "INDEX", "WAIT",
                  "USAGE", "MAPS", "ALIASES", "LATENT", "NAME", "KEY");
    o += line;
    long shown = 0;
    for (const LockClass& c : r.classes->entries) {
        if (!c.in_use) continue;
        Counts n = users.count(c.addr) ? users[c.addr] : Counts{};
        shown++;
        if (!c.readable) {
            std::snprintf(line, sizeof line, "%s  %5ld  (entry unreadable)\n", hex(c.addr).c_str(), c.index);
            o += line;
            continue;
        }
        std::snprintf(line, sizeof line, "%s  %5ld  %-6s %-5s %6ld %7ld %6ld  %-32s %s\n", hex(c.addr).c_str(),
                      c.index, wait_pair(c.wait_outer, c.wait_inner).c_str(),
                      usage_chars(c.usage_mask, bits).c_str(), n.maps, n.aliases, n.latent,
                      name_column(c).c_str(), key_symbol(t, lock_class_key(c, l)).c_str());
        o += line;
    }
    o += std::to_string(shown) + " of " + std::to_string(r.classes->in_use_count) +
         " classes in use shown; MAPS/ALIASES/LATENT count the lockdep_maps found in the memory that was read" +
         (r.stats.pages_unreadable ? " (" + std::to_string(r.stats.pages_unreadable) + " pages unreadable)" : "") +
         "\n";
    return o;
}

std::string class_list_json(Target& t, const ScanResult& r) {
    const LockdepLayout& l = r.classes->layout;
    const UsageBits bits = load_usage_bits(t);
    auto users = count_users(r);
    JsonWriter j;
    j.begin_object().field("schema", "lockalias-classes").field("version", 2);
    j.key("classes").begin_array();
    for (const LockClass& c : r.classes->entries) {
        if (!c.in_use) continue;
        Counts n = users.count(c.addr) ? users[c.addr] : Counts{};
        j.begin_object().key("address").address(c.addr).field("index", c.index).field("readable", c.readable);
        if (c.readable) {
            j.field("name", c.name).field("display_name", c.display_name());
            j.key("key").address(lock_class_key(c, l));
            j.field("key_text", key_symbol(t, lock_class_key(c, l)));
            j.field("subclass", c.subclass).field("wait_outer", c.wait_outer).field("wait_inner", c.wait_inner);
            j.field("usage", usage_chars(c.usage_mask, bits)).field("usage_mask", c.usage_mask);
            j.key("defect");
            if (c.defect == ClassDefect::None) j.null(); else j.value(class_defect_name(c.defect));
            j.field("defect_detail", c.defect_detail);
        }
        j.field("maps", n.maps).field("aliases", n.aliases).field("latent", n.latent);
        j.end_object();
    }
    j.end_array();
    j.field("classes_in_use", r.classes->in_use_count);
    j.field("classes_corrupt", r.classes->corrupt_count);
    j.field("pages_unreadable", r.stats.pages_unreadable);
    j.end_object();
    return j.str() + "\n";
}

}  // namespace lockalias
