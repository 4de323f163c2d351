#include <algorithm>
#include <cstdio>
#include <map>

#include "analysis/memory_without_maps.h"
#include "kernel/memory_util.h"
#include "report/scan_report.h"

namespace lockalias {

std::string wait_pair(unsigned outer, unsigned inner) {
    return "{" + std::to_string(effective_outer(outer, inner)) + ":" + std::to_string(inner) + "}";
}

namespace {

std::string quoted(const LockdepMap& m) {
    return m.name_ok ? "\"" + m.name + "\"" : "<" + m.name_problem + ">";
}

void class_header(Target& t, const ScanResult& r, const ClassGroup& g, std::string& o) {
    const LockdepLayout& l = r.classes->layout;
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
    if (c.defect != ClassDefect::None) {
        o += "  CORRUPT record (" + std::string(class_defect_name(c.defect)) + "): " + c.defect_detail +
             "\n  (its fields are not to be trusted; the locks below are not called aliases)\n";
        return;
    }
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
    const MapFinding& f = finding_of(r, s);
    const LockClass* c = s.untaken ? r.classes->class_at(f.slots.front().class_addr)
                                   : r.classes->class_at(f.map.class_cache[s.slot]);
    const SlotVerdict* v = nullptr;
    for (const auto& sv : f.slots)
        if (sv.slot == s.slot) v = &sv;
    char head[512];
    if (s.untaken)
        std::snprintf(head, sizeof head, "    %s  latent %-4s  wait %s", hex(f.map.addr).c_str(),
                      v ? severity_name(v->when_taken) : "?", wait_pair(f.map.wait_outer, f.map.wait_inner).c_str());
    else
        std::snprintf(head, sizeof head, "    %s  %-6s slot %d  wait %s", hex(f.map.addr).c_str(),
                      severity_name(s.severity), s.slot, wait_pair(f.map.wait_outer, f.map.wait_inner).c_str());
    o += head;
    if (c && c->readable && c->defect == ClassDefect::None) o += " as " + wait_pair(c->wait_outer, c->wait_inner);
    o += "  " + quoted(f.map) + "\n";
    o += "        in " + f.where.describe() + "\n";
    if (v && !v->consequence.empty()) o += "        " + v->consequence + "\n";
}

// Where a lock lives, coarse enough to fold locks of one kind: its slab
// cache, or the kind of memory (each static lock has its own symbol).
std::string place_kind(const Location& w) {
    switch (w.kind) {
    case Location::Kind::Slab: return "slab " + w.slab_cache;
    case Location::Kind::KernelImage: return "kernel data";
    case Location::Kind::Vmalloc: return "module/vmalloc";
    case Location::Kind::DirectMap: return "page memory";
    }
    return "?";
}

// A map's severity as the report names it: a latent one by what it will be.
std::string shown_severity(const ScanResult& r, const MapSlot& s) {
    if (!s.untaken) return severity_name(s.severity);
    const MapFinding& f = finding_of(r, s);
    return std::string("latent ") + severity_name(f.slots.front().when_taken);
}

// Locks of one class that differ only in address: same severity, slot,
// name, wait types and kind of place. Keyed in first-seen order.
std::vector<std::vector<MapSlot>> fold_alike(const ScanResult& r, const std::vector<MapSlot>& slots) {
    std::vector<std::vector<MapSlot>> runs;
    std::map<std::string, size_t> index;
    for (const MapSlot& s : slots) {
        const MapFinding& f = finding_of(r, s);
        const std::string key = shown_severity(r, s) + "|" + std::to_string(s.slot) + "|" + quoted(f.map) + "|" +
                                wait_pair(f.map.wait_outer, f.map.wait_inner) + "|" + place_kind(f.where);
        auto [it, fresh] = index.emplace(key, runs.size());
        if (fresh) runs.emplace_back();
        runs[it->second].push_back(s);
    }
    return runs;
}

// The map lines of one list: each run of alike locks as its first lock and
// a count, unless every address is asked for (-v).
void map_lines(const ScanResult& r, const std::vector<MapSlot>& slots, bool every, std::string& o) {
    if (every) {
        for (const MapSlot& s : slots) map_line(r, s, o);
        return;
    }
    for (const auto& run : fold_alike(r, slots)) {
        map_line(r, run.front(), o);
        if (run.size() > 1)
            o += "        (+" + std::to_string(run.size() - 1) + " more like it in " +
                 place_kind(finding_of(r, run.front()).where) + ": -v lists every one)\n";
    }
}

// A person's first look at a large dump: what was found, by pattern (the
// lock's name, its class's name, where it lives), most severe first.
void summary_block(const ScanResult& r, const ReportGroups& all, std::string& o) {
    struct Pattern {
        int rank;
        std::string severity, text;
        long count = 0;
    };
    std::map<std::string, Pattern> patterns;
    auto add = [&](const ClassGroup& g, const MapSlot& s) {
        const MapFinding& f = finding_of(r, s);
        const std::string sev = shown_severity(r, s);
        const std::string cls = g.cls && g.cls->in_use ? "\"" + g.cls->display_name() + "\"" : "(not a live class)";
        const std::string text = quoted(f.map) + " as " + cls + "  in " + place_kind(f.where);
        Pattern& p = patterns[sev + "|" + text];
        p.rank = severity_rank(s.untaken ? Severity::Latent : s.severity) * 10 +
                 (s.untaken ? severity_rank(f.slots.front().when_taken) : 0);
        p.severity = sev;
        p.text = text;
        p.count++;
    };
    for (const auto* groups : {&all.current, &all.latent})
        for (const ClassGroup& g : *groups)
            for (const MapSlot& s : g.aliases) add(g, s);
    if (patterns.empty()) return;
    std::vector<const Pattern*> sorted;
    for (const auto& [key, p] : patterns) sorted.push_back(&p);
    std::stable_sort(sorted.begin(), sorted.end(), [](const Pattern* a, const Pattern* b) {
        return a->rank != b->rank ? a->rank > b->rank : a->count > b->count;
    });
    o += "SUMMARY: " + std::to_string(patterns.size()) +
         " pattern(s), most severe first (lock name as its class's name, where it lives):\n";
    for (const Pattern* p : sorted) {
        char head[64];
        std::snprintf(head, sizeof head, "  %-12s %6ld  ", p->severity.c_str(), p->count);
        o += head + p->text + "\n";
    }
    if (!r.freed.empty())
        o += "  (and " + std::to_string(r.freed.size()) + " map(s) in freed memory or user pages, set aside: no locks)\n";
    o += "\n";
}

}  // namespace

std::string scan_summary_line(const ScanResult& r, const SeverityCounts& n) {
    char buf[640];
    std::snprintf(buf, sizeof buf,
                  "lockalias: scanned %.1f MiB (%llu pages, %llu unreadable), %zu lockdep maps, "
                  "%ld classes in use; aliases: %ld wait, %ld name, %ld stale, %ld unreadable; "
                  "%ld corrupt, %ld suspect; latent: %ld; %.2f s%s",
                  double(r.stats.bytes_scanned) / (1 << 20),
                  (unsigned long long)r.stats.pages_scanned,
                  (unsigned long long)r.stats.pages_unreadable, (size_t)r.stats.maps_found,
                  r.classes->in_use_count, n.wait, n.name, n.stale, n.unreadable, n.corrupt, n.suspect,
                  n.latent, r.stats.seconds, r.stats.interrupted ? " (INTERRUPTED: partial)" : "");
    return buf;
}

std::string memory_source_line(const ScanResult& r) {
    std::string o = std::string("lockalias: memory: ") + source_wording(r.memory_source, r.reader) + " (" +
                    source_name(r.memory_source) + ")";
    if (r.stats.pages_skipped) {
        const bool text = std::find(r.skipped.begin(), r.skipped.end(), kKernelText) != r.skipped.end();
        const size_t tables = r.skipped.size() - (text ? 1 : 0);
        std::string what = text ? kKernelText : "";
        if (tables) what += std::string(text ? " and " : "") + "lockdep's own tables";
        o += "; not read: " + std::to_string(r.stats.pages_skipped) + " pages of " + what +
             " (no lockdep_map can be there)";
    }
    for (const RefusedSource& x : r.refused_sources) {
        if (x.reason == Refusal::OtherFormat) continue;  // never a candidate for this dump
        o += std::string("; not ") + source_name(x.kind) + ": " + refusal_wording(x.reason, r.reader);
        if (!x.detail.empty()) o += " (" + x.detail + ")";
    }
    return o;
}

ReportGroups report_groups(const ScanResult& r, const GroupFilter& filter) {
    ReportGroups g;
    g.current = group_by_class(r, filter);
    g.latent = group_latent(r, filter);
    g.untracked = untracked_shown(r, filter);
    return g;
}

SeverityCounts report_counts(const ReportGroups& groups) {
    SeverityCounts n = count_aliases(groups.current);
    n.latent = count_aliases(groups.latent).latent;
    return n;
}

std::string scan_report_text(Target& t, const ScanResult& r, const ReportGroups& all,
                             const ReportOptions& opt) {
    std::string o;
    summary_block(r, all, o);
    const std::vector<ClassGroup>& groups = all.current;
    for (const ClassGroup& g : groups) {
        class_header(t, r, g, o);
        if (!g.aliases.empty())
            o += g.worst == Severity::Corrupt ? "  LOCKS CACHED TO IT:\n" : "  ALIASED LOCKS (validated as this class):\n";
        map_lines(r, g.aliases, opt.verbose, o);
        if (opt.verbose && !g.owners.empty()) {
            o += "  OWN LOCKS (clean):\n";
            for (const MapSlot& s : g.owners) map_line(r, s, o);
        }
        o += "\n";
    }
    if (groups.empty())
        o += opt.filtered ? "no aliased locks match the filter\n"
                          : "no aliased locks found in the memory that was read\n";
    if (!all.latent.empty())
        o += "LATENT ALIASES: locks not taken yet whose key already has another lock's class;\n"
             "lockdep will validate each as that class when it is first taken.\n\n";
    for (const ClassGroup& g : all.latent) {
        class_header(t, r, g, o);
        o += "  WILL BE VALIDATED AS THIS CLASS WHEN FIRST TAKEN:\n";
        map_lines(r, g.aliases, opt.verbose, o);
        o += "\n";
    }
    if (!all.untracked.empty()) {
        o += "UNTRACKED LOCKS (lockdep_set_notrack_class(): lockdep never validates them; not aliases):\n";
        for (size_t i : all.untracked) {
            const MapFinding& f = r.untracked[i];
            o += "    " + hex(f.map.addr) + "  " + quoted(f.map) + "  in " + f.where.describe() + "\n";
        }
        o += "\n";
    }
    for (const std::string& p : r.problems) o += "WARNING: " + p + "\n";
    if (!r.freed.empty()) {
        o += "NOTE: " + std::to_string(r.freed.size()) +
             " lockdep map(s) lie in freed memory (it keeps its old contents) or in a file's or process's pages: "
             "not locks, not judged:";
        for (size_t i = 0; i < r.freed.size() && i < 4; i++) {
            const Location& w = r.freed[i].where;
            o += " " + hex(r.freed[i].map.addr) + " (" + (w.kind == Location::Kind::Slab ? w.slab_cache : r.freed[i].freed_how) + ")";
        }
        o += r.freed.size() > 4 ? " ...\n" : "\n";
    }
    o += memory_source_line(r) + "\n";
    o += scan_summary_line(r, report_counts(all)) + "\n";
    return o;
}

}  // namespace lockalias
