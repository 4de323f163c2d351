#include "analysis/scan.h"

#include <algorithm>
#include <chrono>

#include "analysis/freed_memory.h"
#include "analysis/map_collector.h"
#include "analysis/memory_without_maps.h"
#include "analysis/scan_plan.h"
#include "dump/read_ahead.h"

namespace lockalias {

Severity MapFinding::worst() const {
    Severity w = Severity::Clean;
    for (const auto& s : slots)
        if (severity_rank(s.severity) > severity_rank(w)) w = s.severity;
    return w;
}

namespace {

void note_unreadable(ScanResult& r, uint64_t start, uint64_t len, uint64_t page) {
    r.stats.pages_unreadable += (len + page - 1) / page;
    if (!r.unreadable.empty() && r.unreadable.back().end == start)
        r.unreadable.back().end = start + len;
    else
        r.unreadable.push_back({start, start + len});
}

// Scans one range the dump is expected to hold; false when interrupted.
bool scan_range(Target& t, DumpSource& source, ScanResult& r, MapCollector& collector,
                const PhysRange& range, std::vector<uint8_t>& buf, const ScanOptions& opt) {
    const size_t page = t.page_size();
    const size_t chunk = buf.size();
    uint64_t pos = range.start / page * page;
    while (pos < range.end) {
        if (t.interrupted()) {
            r.stats.interrupted = true;
            return false;
        }
        const uint64_t left = range.end - pos;
        // In place when the source can: a large view first, then a
        // read-sized one (a segment may end inside the large one). The
        // source searches the view as it makes it, and the collector
        // judges its parts as they come (span_with()).
        size_t len = size_t(std::min<uint64_t>(opt.mapped_chunk_bytes, left));
        collector.begin(pos, len);
        const uint8_t* mapped = source.span_with(pos, len, collector);
        if (!mapped && !collector.judged_bytes()) {
            len = size_t(std::min<uint64_t>(chunk, left));
            collector.begin(pos, len);
            mapped = source.span_with(pos, len, collector);
        }
        if (!mapped && collector.judged_bytes()) {
            // Refused after its first parts were made and judged (a page
            // that does not decompress): the rest is asked for again.
            len = collector.judged_bytes();
            r.stats.bytes_scanned += len;
            r.stats.pages_scanned += (len + page - 1) / page;
            pos += len;
            continue;
        }
        if (!mapped && t.read_phys(pos, buf.data(), len)) {
            mapped = buf.data();
            collector.begin(pos, len);
            collector.whole(mapped, len);
        }
        if (mapped) {
            collector.finish();
            r.stats.bytes_scanned += len;
            r.stats.pages_scanned += (len + page - 1) / page;
        } else {
            // A hole somewhere in the chunk: find it page by page.
            for (uint64_t p = pos; p < pos + len; p += page) {
                const size_t plen = size_t(std::min<uint64_t>(page, pos + len - p));
                if (t.read_phys(p, buf.data(), plen)) {
                    collector.search_block(p, buf.data(), plen);
                    r.stats.bytes_scanned += plen;
                    r.stats.pages_scanned++;
                } else {
                    note_unreadable(r, p, plen, page);
                }
            }
        }
        pos += len;
    }
    return true;
}

void scan_memory(Target& t, DumpSource& source, ScanResult& r, MapCollector& collector,
                 ScanPlan& plan, const ScanOptions& opt) {
    const size_t page = t.page_size();
    std::vector<uint8_t> buf(std::max(page, opt.chunk_bytes / page * page));
    while (const ScanStep* next = plan.next()) {
        const ScanStep& step = *next;
        const uint64_t len = step.range.end - step.range.start;
        switch (step.kind) {
        case ScanStep::Kind::Read:
            if (!scan_range(t, source, r, collector, step.range, buf, opt)) return;
            break;
        case ScanStep::Kind::NotDumped:
            note_unreadable(r, step.range.start, len, page);
            break;
        case ScanStep::Kind::LeftOut:
            r.stats.pages_skipped += len / page;
            break;
        }
    }
}

// Maps in freed memory are no locks (freed_memory.h): set aside, counted,
// never judged, before any verdict is shown. Only maps that would be
// reported are checked: clean ones are many and say nothing.
void set_aside_freed_objects(ScanResult& r, AddressLocator& locator, Target& t) {
    FreedMemory freed(t, locator, r.classes->layout.map_key.offset);
    for (auto* list : {&r.maps, &r.latent, &r.untracked}) {
        std::vector<MapFinding> kept;
        kept.reserve(list->size());
        for (MapFinding& f : *list) {
            const char* how = list == &r.maps && f.worst() == Severity::Clean ? nullptr : freed.how(f);
            if (how) {
                f.freed_how = how;
                r.freed.push_back(std::move(f));
            } else {
                kept.push_back(std::move(f));
            }
        }
        *list = std::move(kept);
    }
    for (const std::string& p : freed.problems()) r.problems.push_back(p);
}

// A map over a page boundary is read by the scan as physical memory goes
// on; in vmalloc memory (module data, vmalloc'd tables such as a BPF hash
// map's buckets) its next page is elsewhere. Each such finding is judged
// again from the bytes at its vmalloc address. (Seen on the real system: a
// bucket lock's wait types read as zeros from the physically next page, a
// false latent wait alias.) Maps the wrong bytes made clean or no map at
// all are not found this way.
void rejudge_vmalloc_straddlers(ScanResult& r, MapCollector& collector, const AddressLocator& locator,
                                Target& t) {
    const uint64_t page = t.page_size(), size = uint64_t(r.classes->layout.map_size);
    std::vector<uint8_t> bytes(size);
    for (auto* list : {&r.maps, &r.latent, &r.untracked}) {
        std::vector<MapFinding> kept;
        kept.reserve(list->size());
        for (MapFinding& f : *list) {
            const bool straddles = page && f.map.addr % page + size > page;
            if (straddles && locator.in_vmalloc(f.map.phys) && t.read_kv(f.map.addr, bytes.data(), size) &&
                !collector.rejudge(f, bytes.data(), list != &r.maps))
                continue;
            kept.push_back(std::move(f));
        }
        *list = std::move(kept);
    }
}

// A wait alias whose map has its class's very name: real when some lock of
// that name already uses the class with its wait types (a clean user, taken
// or not); with none in memory, the class record is what is in doubt. An
// untaken lock of that name is then no latent alias either: it is one more
// lock the record disagrees with, counted, not listed.
void mark_suspect_classes(ScanResult& r) {
    auto in_doubt = [&](const MapFinding& f, const SlotVerdict& v) {
        const LockClass* c = r.classes->class_at(v.class_addr);
        if (!c || !f.map.name_ok || !c->name_ok || f.map.name != c->name) return false;
        auto clean = r.clean_slots.find(v.class_addr);
        auto untaken = r.latent_clean.find(v.class_addr);
        return !((clean != r.clean_slots.end() && clean->second > 0) ||
                 (untaken != r.latent_clean.end() && untaken->second > 0));
    };
    for (MapFinding& f : r.maps)
        for (SlotVerdict& v : f.slots)
            if (v.severity == Severity::Wait && in_doubt(f, v))
                mark_suspect(v, *r.classes->class_at(v.class_addr), r.classes->layout.wait);
    std::vector<MapFinding> latent;
    for (MapFinding& f : r.latent) {
        const SlotVerdict& v = f.slots.front();
        if (v.when_taken == Severity::Wait && in_doubt(f, v))
            r.stats.untaken_of_suspect_classes++;
        else
            latent.push_back(std::move(f));
    }
    r.latent = std::move(latent);
}

void by_address(std::vector<MapFinding>& maps) {
    std::sort(maps.begin(), maps.end(),
              [](const MapFinding& a, const MapFinding& b) { return a.map.addr < b.map.addr; });
}

}  // namespace

ScanResult scan_dump(AnalysisContext& ctx, const ScanOptions& opt) {
    const auto started = std::chrono::steady_clock::now();
    Target& t = ctx.target();
    ScanResult r;
    // The memory source is chosen and the scan planned first, on a kernel
    // with lockdep (the layout's first check), so that the source makes the
    // first pages while gdb looks up the layout and crash reads the class
    // table.
    ChosenSource* memory = nullptr;
    MapFreeMemory map_free;
    std::unique_ptr<ScanPlan> plan;
    auto prepare = [&] {
        memory = &ctx.memory();
        map_free = memory_without_maps(t);
        plan = std::make_unique<ScanPlan>(t, *memory->source, map_free.ranges);
        memory->source->read_ahead(plan->first_reads(ReadAhead::kBudget));
    };
    if (t.symbol_address("lock_classes")) prepare();
    r.classes = ctx.shared_classes();
    if (!r.classes) {
        r.error = ctx.error();
        return r;
    }
    if (!r.classes->problem.empty()) r.problems.push_back(r.classes->problem);
    if (!r.classes->check_note.empty()) r.problems.push_back(r.classes->check_note);
    if (r.classes->in_use_count > 0 && r.classes->unreadable_count == r.classes->in_use_count) {
        r.error = "lock_classes[] at " + hex(r.classes->layout.classes_addr) +
                  " is not readable in this dump: no class can be checked";
        return r;
    }
    if (r.classes->in_use_count == 0) {
        r.error = "lockdep has no lock classes in use in this dump (lock_classes[] is empty or unreadable)";
        return r;
    }
    if (!memory) prepare();
    r.memory_source = memory->source->kind();
    r.refused_sources = memory->refused;
    r.reader = memory->reader;
    if (!map_free.ranges.empty()) r.skipped = map_free.what;
    MapCollector collector(t, *r.classes, map_free.lockdep_tables, r, opt);
    scan_memory(t, *memory->source, r, collector, *plan, opt);
    if (r.stats.interrupted) r.problems.push_back("interrupted: the scan stopped early, results are partial");
    // Seen on the real system's live runs: a map in a page a process was
    // freeing during the scan, in none of the free lists when checked.
    if (t.live())
        r.problems.push_back("the running kernel: memory changed while it was read, so a lock that came or went "
                             "meanwhile may be missed, and a map in page memory may be a copy on its way to being "
                             "freed; a dump is one consistent picture");
    if (r.stats.pages_unreadable)
        r.problems.push_back(std::to_string(r.stats.pages_unreadable) +
                             " pages could not be read (not in the dump or excluded): locks there are not checked");

    AddressLocator& locator = ctx.locator();
    std::vector<uint64_t> phys;
    for (const auto* list : {&r.maps, &r.latent, &r.untracked})
        for (const auto& f : *list) phys.push_back(f.map.phys);
    locator.learn_vmalloc_aliases(phys);
    if (!locator.problem().empty()) r.problems.push_back(locator.problem());
    if (!locator.slab_problem().empty()) r.problems.push_back(locator.slab_problem());
    for (auto* list : {&r.maps, &r.latent, &r.untracked})
        for (auto& f : *list) f.map.addr = locator.kernel_address(f.map.phys);
    rejudge_vmalloc_straddlers(r, collector, locator, t);
    // (after the rejudging: it weighs the clean maps against the aliases)
    mark_suspect_classes(r);
    set_aside_freed_objects(r, locator, t);
    // Untaken maps are few and always shown: say where each one lives now.
    for (auto* list : {&r.latent, &r.untracked}) {
        for (auto& f : *list) {
            if (f.located) continue;
            f.where = locator.locate(f.map.addr, f.map.phys);
            f.located = true;
        }
        by_address(*list);
    }
    by_address(r.maps);
    by_address(r.freed);
    r.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return r;
}

ScanResult scan_dump(Target& t, const ScanOptions& opt) {
    AnalysisContext ctx(t);
    return scan_dump(ctx, opt);
}

void locate_maps(AnalysisContext& ctx, ScanResult& r, const std::vector<size_t>& which) {
    AddressLocator& locator = ctx.locator();
    for (size_t i : which) {
        MapFinding& f = r.maps.at(i);
        if (!f.located) {
            f.where = locator.locate(f.map.addr, f.map.phys);
            f.located = true;
        }
    }
}

}  // namespace lockalias
