#include <cstdio>

#include "memory_util.h"
#include "scan_report.h"

namespace lockalias {

std::string wait_pair(unsigned outer, unsigned inner) {
    return "{" + std::to_string(effective_outer(outer, inner)) + ":" + std::to_string(inner) + "}";
}

namespace {

std::string quoted(const LockdepMap& m) {
    return m.name_ok ? "\"" + m.name + "\"" : "<" + m.name_problem + ">";
}

void class_header(Target& t, const ScanResult& r, const ClassGroup& g, std::string& o) {
    const LockdepLayout& l = r.classes.layout;
    o += "CLASS " + hex(g.class_addr);
    if (!g.cls || !g.cls->in_use) {
        o += "  (not a live lock class)\n";
        return;
    }
    const LockClass& c = *g.cls;
    o += "  \"" + c.display_name() + "\"\n";
    if (!c.readable) {
        o += "  (lock_class entry unreadable in this dump)\n";
        return;
    }
    o += "  key:    " + describe_key(t, l, lock_class_key(c, l)) +
         (c.subclass ? "  subclass " + std::to_string(c.subclass) : "") + "\n";
    o += "  wait:   " + wait_pair(c.wait_outer, c.wait_inner) + " " +
         l.wait.name(effective_outer(c.wait_outer, c.wait_inner)) + "  lock_type " +
         std::to_string(c.lock_type) + "\n";
    if (g.owners.empty()) {
        o += "  origin: not found in scanned memory (the lock that registered it is freed, "
             "uncached, unreadable, or renamed)\n";
    } else {
        const MapFinding& f = r.maps[g.owners.front().map_index];
        o += "  origin: " + hex(f.map.addr) + " " + quoted(f.map) + "  in " + f.where.describe();
        if (g.owner_count > 1)
            o += "  (+" + std::to_string(g.owner_count - 1) + " more with this name)";
        o += "\n";
    }
}

void map_line(const ScanResult& r, const MapSlot& s, std::string& o) {
    const MapFinding& f = r.maps[s.map_index];
    const LockClass* c = r.classes.slot_at(f.map.class_cache[s.slot]);
    const SlotVerdict* v = nullptr;
    for (const auto& sv : f.slots)
        if (sv.slot == s.slot) v = &sv;
    char head[256];
    std::snprintf(head, sizeof head, "    %s  %-6s slot %d  wait %s", hex(f.map.addr).c_str(),
                  severity_name(s.severity), s.slot,
                  wait_pair(f.map.wait_outer, f.map.wait_inner).c_str());
    o += head;
    if (c && c->readable) o += " as " + wait_pair(c->wait_outer, c->wait_inner);
    o += "  " + quoted(f.map) + "\n";
    o += "        in " + f.where.describe() + "\n";
    if (v && !v->consequence.empty()) o += "        " + v->consequence + "\n";
}

}  // namespace

std::string scan_summary_line(const ScanResult& r, const SeverityCounts& n) {
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "lockalias: scanned %.1f MiB (%llu pages, %llu unreadable), %zu lockdep maps, "
                  "%ld classes in use; aliases: %ld wait, %ld name, %ld stale, %ld unreadable; %.2f s%s",
                  double(r.stats.bytes_scanned) / (1 << 20),
                  (unsigned long long)r.stats.pages_scanned,
                  (unsigned long long)r.stats.pages_unreadable, (size_t)r.stats.maps_found,
                  r.classes.in_use_count, n.wait, n.name, n.stale, n.unreadable, r.stats.seconds,
                  r.stats.interrupted ? " (INTERRUPTED: partial)" : "");
    return buf;
}

std::string scan_report_text(Target& t, const ScanResult& r, const std::vector<ClassGroup>& groups,
                             const ReportOptions& opt) {
    std::string o;
    for (const ClassGroup& g : groups) {
        class_header(t, r, g, o);
        if (!g.aliases.empty()) o += "  ALIASED LOCKS (validated as this class):\n";
        for (const MapSlot& s : g.aliases) map_line(r, s, o);
        if (opt.verbose && !g.owners.empty()) {
            o += "  OWN LOCKS (clean):\n";
            for (const MapSlot& s : g.owners) map_line(r, s, o);
        }
        o += "\n";
    }
    if (groups.empty())
        o += opt.filtered ? "no aliased locks match the filter\n"
                          : "no aliased locks found in the memory that was read\n";
    for (const std::string& p : r.problems) o += "WARNING: " + p + "\n";
    if (!r.freed.empty()) {
        o += "NOTE: " + std::to_string(r.freed.size()) +
             " lockdep map(s) lie in freed slab objects (SLUB's free pointer overwrote the key): not locks, not judged:";
        for (size_t i = 0; i < r.freed.size() && i < 4; i++)
            o += " " + hex(r.freed[i].map.addr) + " (" + r.freed[i].where.slab_cache + ")";
        o += r.freed.size() > 4 ? " ...\n" : "\n";
    }
    o += scan_summary_line(r, count_aliases(groups)) + "\n";
    return o;
}

}  // namespace lockalias
