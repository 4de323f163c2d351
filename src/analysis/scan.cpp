#include "analysis/scan.h"

#include <algorithm>
#include <chrono>

#include "analysis/byte_memo.h"
#include "analysis/class_pointer_search.h"
#include "analysis/memory_without_maps.h"
#include "dump/parallel.h"
#include "dump/read_ahead.h"
#include "kernel/memory_util.h"
#include "kernel/system_ram.h"

namespace lockalias {

Severity MapFinding::worst() const {
    Severity w = Severity::Clean;
    for (const auto& s : slots)
        if (severity_rank(s.severity) > severity_rank(w)) w = s.severity;
    return w;
}

namespace {

// Finds and judges the lockdep_maps of each span of memory the scan makes.
// As the span's SpanWork, it searches each part on the thread that made
// it and judges the parts in address order on the calling thread (judging
// reads through crash), part p - 1 once part p is made, so that a map at
// the end of a part is whole; finish() judges what is left.
class MapCollector final : public SpanWork {
public:
    MapCollector(Target& t, const ClassTable& classes, const std::vector<KernelTable>& lockdep_tables,
                 ScanResult& out, const ScanOptions& opt)
        : t_(t), classes_(classes), out_(out), bytes_(classes.layout.map_size),
          class_array_{classes.layout.classes_addr, uint64_t(classes.layout.class_size),
                       uint64_t(classes.layout.classes_count)},
          keep_clean_(opt.keep_clean_maps), threads_(opt.threads), search_(class_array_, &keys_) {
        // lockdep's own arrays hold class pointers in other structures
        // (lock_classes[] entrys point at each other): no map lives there.
        for (const KernelTable& table : lockdep_tables) skipped_.push_back(table.phys);
        if (opt.find_untaken) collect_keys();
    }

    // The span the next DumpSource::span_with() (or whole()) works on.
    void begin(uint64_t phys, size_t len) {
        span_phys_ = phys;
        span_len_ = len;
        parts_ = judged_parts_ = 0;
        judged_to_ = 0;
        // lockdep's tables overlapping this span, usually none (whole
        // pages of them are not read at all): checked per hit only then.
        tables_here_.clear();
        for (const PhysRange& r : skipped_)
            if (r.start < phys + len && r.end > phys) tables_here_.push_back(r);
    }

    void parts(size_t n) override {
        search_.parts(n);
        part_span_.assign(n, nullptr);
        part_end_.assign(n, 0);
        parts_ = n;
    }
    void part(size_t p, const uint8_t* span, size_t from, size_t to) override {
        search_.part(p, span, from, to);
        part_span_[p] = span;
        part_end_[p] = to;
    }
    void done(size_t p) override {
        if (p > 0) judge_part(p - 1, part_end_[p]);
    }
    // A span made in one piece (mapped in place, read, or made ahead):
    // searched in parts of kPartBytes on the scan's threads, judged as they
    // come; a span too small for one part a thread, in smaller ones.
    void whole(const uint8_t* span, size_t len) override {
        const size_t n =
            std::max<size_t>({1, len / kPartBytes, std::min<size_t>(threads_ * kPartsPerThread, len / kMinPartBytes)});
        const size_t step = len / n / 8 * 8;  // parts on word boundaries; the last takes the tail
        parts(n);
        run_parallel_in_order(
            n, threads_, [&](size_t p) { part(p, span, p * step, p + 1 == n ? len : (p + 1) * step); },
            [&](size_t p) { done(p); });
    }

    // After the span was made: judges the parts not judged yet.
    void finish() {
        while (judged_parts_ < parts_) judge_part(judged_parts_, span_len_);
    }
    // Bytes from the span's start already judged: of a span refused after
    // some of its parts were made (and judged), those need no second look.
    size_t judged_bytes() const { return judged_to_; }

    // Examines one block of physical memory read through the Target.
    void search_block(uint64_t phys, const uint8_t* buf, size_t len) {
        begin(phys, len);
        whole(buf, len);
        finish();
    }

private:
    static constexpr size_t kPartBytes = 1 << 20;
    // A small span's parts: several a thread, so that judging overlaps the
    // later ones, and not under 64 KiB (as a kdump span's jobs,
    // KdumpReader::kJobsPerThread and kMinJobPages).
    static constexpr size_t kPartsPerThread = 4;
    static constexpr size_t kMinPartBytes = 64 << 10;

    // Judges part p's hits, the span's bytes made up to `made`.
    void judge_part(size_t p, size_t made) {
        const auto& l = classes_.layout;
        const uint64_t phys = span_phys_;
        const uint8_t* const buf = part_span_[p];
        for (uint32_t off : search_.hits(p)) {
            if (off & kKeyWordTag) {
                const uint64_t word_phys = phys + (off & ~kKeyWordTag);
                if (!in_lockdep_table(word_phys)) try_untaken(word_phys, phys, buf, made);
                continue;
            }
            uint64_t word_phys = phys + off;
            if (in_lockdep_table(word_phys)) continue;
            out_.stats.candidate_words++;
            bool accepted = false;
            for (int slot = 0; slot < l.cache_slots && !accepted; slot++) {
                uint64_t rel = uint64_t(l.map_class_cache.offset) + 8 * uint64_t(slot);
                if (word_phys < rel) continue;
                uint64_t map_phys = word_phys - rel;
                // Candidates come in address order and a map's cache slots are
                // adjacent words: a map found through slot 0 is the last one.
                if (map_phys == last_map_phys_) { accepted = true; break; }
                accepted = try_map(map_phys, phys, buf, made);
            }
            if (!accepted) out_.stats.rejected_candidates++;
        }
        judged_parts_ = p + 1;
        judged_to_ = part_end_[p];
    }

    // The keys whose class lockdep would find for a map taken with
    // subclass 0: sound live classes of subclass 0, and the notrack key.
    void collect_keys() {
        std::vector<uint64_t> keys;
        for (const LockClass& c : classes_.entries) {
            if (!c.in_use || !c.readable || c.defect != ClassDefect::None || c.subclass != 0) continue;
            class_of_key_.emplace(c.key, &c);
            keys.push_back(c.key);
        }
        if (classes_.layout.notrack_key) keys.push_back(classes_.layout.notrack_key);
        // try_untaken() wants class_cache[] empty: the search already
        // leaves out key words whose class_cache[0] is not.
        const long key = classes_.layout.map_key.offset, cache = classes_.layout.map_class_cache.offset;
        const unsigned gap = key >= 0 && cache > key && (cache - key) % 8 == 0 ? unsigned((cache - key) / 8) : 0;
        keys_ = KeySet(std::move(keys), gap);
    }

    // A key word at word_phys: a map not taken yet, if the bytes around it
    // are a whole lockdep_map with an empty class_cache[].
    void try_untaken(uint64_t word_phys, uint64_t block_phys, const uint8_t* buf, size_t len) {
        const auto& l = classes_.layout;
        out_.stats.key_words++;
        if (word_phys < uint64_t(l.map_key.offset)) return;
        const uint64_t map_phys = word_phys - uint64_t(l.map_key.offset);
        const uint8_t* bytes = map_bytes(map_phys, block_phys, buf, len);
        if (!bytes) return;
        // A taken map is found through its class pointers instead.
        for (int slot = 0; slot < l.cache_slots; slot++)
            if (load_u64(bytes + l.map_class_cache.offset + 8 * slot)) return;
        const JudgedUntaken* j = untaken_memo_.find(bytes, bytes_);
        if (!j) j = &untaken_memo_.put(bytes, bytes_, judge_untaken_bytes(bytes));
        if (!j->is_map) return;
        out_.stats.untaken_maps++;
        if (!j->untracked && !j->cls) return;
        if (!j->untracked && j->verdict.severity == Severity::Clean) {
            out_.latent_clean[j->cls->addr]++;
            return;
        }
        MapFinding f;
        f.map = j->map;
        f.map.phys = map_phys;
        if (j->untracked) {
            out_.untracked.push_back(std::move(f));
            return;
        }
        f.slots.push_back(j->verdict);
        out_.latent.push_back(std::move(f));
    }

    // Everything about an untaken map that follows from its bytes alone
    // (the locks of one slab cache share them: judged once, as judge()).
    struct JudgedUntaken {
        bool is_map = false;
        bool untracked = false;           // on the notrack key
        const LockClass* cls = nullptr;   // the live class of its key, if any
        LockdepMap map;                   // phys not set
        SlotVerdict verdict;              // when cls
    };
    JudgedUntaken judge_untaken_bytes(const uint8_t* bytes) {
        const auto& l = classes_.layout;
        JudgedUntaken j;
        j.map = decode_map(t_, l, bytes, &names_, &name_pages_);
        j.is_map = why_not_an_untaken_map(j.map, l) == MapRejection::None;
        if (!j.is_map) return j;
        j.untracked = l.notrack_key && j.map.key == l.notrack_key;
        if (j.untracked) return j;
        auto cls = class_of_key_.find(j.map.key);
        if (cls == class_of_key_.end()) return j;
        j.cls = cls->second;
        j.verdict = judge_untaken(j.map, *j.cls, classes_);
        return j;
    }

    bool in_lockdep_table(uint64_t phys) const {
        for (const PhysRange& r : tables_here_)
            if (phys >= r.start && phys < r.end) return true;
        return false;
    }

    // The map's bytes: in the block, or read when it straddles the block's
    // edge (nullptr when that read fails).
    const uint8_t* map_bytes(uint64_t map_phys, uint64_t block_phys, const uint8_t* buf, size_t len) {
        if (map_phys >= block_phys && map_phys + bytes_ <= block_phys + len) return buf + (map_phys - block_phys);
        straddle_.resize(bytes_);
        return t_.read_phys(map_phys, straddle_.data(), bytes_) ? straddle_.data() : nullptr;
    }

    bool try_map(uint64_t map_phys, uint64_t block_phys, const uint8_t* buf, size_t len) {
        const uint8_t* bytes = map_bytes(map_phys, block_phys, buf, len);
        if (!bytes) return false;
        const Judged* j = memo_.find(bytes, bytes_);
        if (!j) j = &memo_.put(bytes, bytes_, judge(bytes));
        if (!j->is_map) return false;
        last_map_phys_ = map_phys;
        out_.stats.maps_found++;
        bool first_of_a_class = false;
        for (long* uses : j->clean_uses)
            if ((*uses)++ == 0) first_of_a_class = true;
        if (j->all_clean && !keep_clean_ && !first_of_a_class) return true;  // counted only
        MapFinding f;
        f.map = j->map;
        f.map.phys = map_phys;
        f.slots = j->slots;
        out_.maps.push_back(std::move(f));
        return true;
    }

    // Everything about a map that follows from its bytes alone.
    struct Judged {
        bool is_map = false;
        bool all_clean = true;
        LockdepMap map;  // phys not set
        std::vector<SlotVerdict> slots;
        // Its clean slots' counters in clean_slots, found once: a million
        // locks of a few thousand distinct maps (unordered_map elements
        // stay where they are when it grows).
        std::vector<long*> clean_uses;
    };
    Judged judge(const uint8_t* bytes) {
        Judged j;
        j.map = decode_map(t_, classes_.layout, bytes, &names_, &name_pages_);
        j.is_map = why_not_a_map(j.map, classes_) == MapRejection::None;
        if (!j.is_map) return j;
        for (size_t slot = 0; slot < j.map.class_cache.size(); slot++) {
            if (!j.map.class_cache[slot]) continue;
            j.slots.push_back(judge_slot(j.map, int(slot), classes_));
            if (j.slots.back().severity != Severity::Clean)
                j.all_clean = false;
            else
                j.clean_uses.push_back(&out_.clean_slots[j.slots.back().class_addr]);
        }
        return j;
    }

    Target& t_;
    const ClassTable& classes_;
    ScanResult& out_;
    const size_t bytes_;
    const ClassArray class_array_;
    std::vector<PhysRange> skipped_;  // lockdep_own_tables()
    std::vector<PhysRange> tables_here_;  // those in the span begin() set
    std::vector<uint8_t> straddle_;
    const bool keep_clean_;
    uint64_t last_map_phys_ = ~0ULL;
    const unsigned threads_;
    uint64_t span_phys_ = 0;
    size_t span_len_ = 0;
    size_t parts_ = 0, judged_parts_ = 0;  // of the span: parts made, parts judged (in order)
    size_t judged_to_ = 0;                 // the span's bytes judged
    std::vector<const uint8_t*> part_span_;  // per part: the span's bytes as that part handed them
    std::vector<size_t> part_end_;           // per part: its end within the span
    KeySet keys_;
    SpanSearch search_;  // (after class_array_ and keys_: it keeps a copy of one, a pointer to the other)
    std::unordered_map<uint64_t, const LockClass*> class_of_key_;  // subclass-0 key -> class
    NameCache names_;
    KernelPageMemo name_pages_{t_};
    ByteMemo<Judged> memo_;
    ByteMemo<JudgedUntaken> untaken_memo_{10};  // (1024 slots: fewer distinct ones than taken maps)
};

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

// What the scan does with RAM, in address order: ranges to read, ranges
// the dump does not hold, and bytes of dumped memory left out (no map can
// be there: memory_without_maps()). Made before the scan so that the
// source can start making the first ranges ahead.
struct ScanStep {
    enum class Kind { Read, NotDumped, LeftOut } kind;
    PhysRange range;  // LeftOut: only its length counts
};

std::vector<ScanStep> plan_scan(Target& t, DumpSource& source, const std::vector<PhysRange>& skip) {
    std::vector<ScanStep> plan;
    for (const PhysRange& ram : system_ram_ranges(t)) {
        // Only the parts the dump holds, when it says which: the gaps are
        // noted as unreadable without a failing read per page.
        uint64_t noted = ram.start;
        for (const PhysRange& part : source.dumped_parts(ram).value_or(std::vector<PhysRange>{ram})) {
            if (part.start > noted) plan.push_back({ScanStep::Kind::NotDumped, {noted, part.start}});
            noted = part.end;
            uint64_t read = 0;
            for (const PhysRange& piece : outside(part, skip)) {
                read += piece.end - piece.start;
                plan.push_back({ScanStep::Kind::Read, piece});
            }
            if (part.end - part.start > read) plan.push_back({ScanStep::Kind::LeftOut, {0, part.end - part.start - read}});
        }
        if (ram.end > noted) plan.push_back({ScanStep::Kind::NotDumped, {noted, ram.end}});
    }
    return plan;
}

// The plan's first ranges to read, as many as a read-ahead can make.
std::vector<PhysRange> first_reads(const std::vector<ScanStep>& plan) {
    std::vector<PhysRange> reads;
    uint64_t bytes = 0;
    for (const ScanStep& step : plan) {
        if (bytes >= ReadAhead::kBudget) break;
        if (step.kind != ScanStep::Kind::Read) continue;
        reads.push_back(step.range);
        bytes += step.range.end - step.range.start;
    }
    return reads;
}

void scan_memory(Target& t, DumpSource& source, ScanResult& r, MapCollector& collector,
                 const std::vector<ScanStep>& plan, const ScanOptions& opt) {
    const size_t page = t.page_size();
    std::vector<uint8_t> buf(std::max(page, opt.chunk_bytes / page * page));
    for (const ScanStep& step : plan) {
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

// A freed slab object keeps its old lockdep_map, except the word where
// SLUB stores the free-list pointer: when that word is the map's key, the
// "stale" class is only the old lock's, and the object is no lock at all.
void set_aside_freed_objects(ScanResult& r, AddressLocator& locator) {
    const long key_offset = r.classes->layout.map_key.offset;
    std::vector<MapFinding> kept;
    kept.reserve(r.maps.size());
    for (MapFinding& f : r.maps) {
        if (f.worst() == Severity::Stale) {
            f.where = locator.locate(f.map.addr, f.map.phys);
            f.located = true;
            if (f.where.kind == Location::Kind::Slab && f.where.slab_free_pointer &&
                f.where.slab_free_pointer == f.map.addr + uint64_t(key_offset)) {
                r.freed.push_back(std::move(f));
                continue;
            }
        }
        kept.push_back(std::move(f));
    }
    r.maps = std::move(kept);
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
    std::vector<ScanStep> plan;
    auto prepare = [&] {
        memory = &ctx.memory();
        map_free = memory_without_maps(t);
        plan = plan_scan(t, *memory->source, map_free.ranges);
        memory->source->read_ahead(first_reads(plan));
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
    scan_memory(t, *memory->source, r, collector, plan, opt);
    if (r.stats.interrupted) r.problems.push_back("interrupted: the scan stopped early, results are partial");
    if (r.stats.pages_unreadable)
        r.problems.push_back(std::to_string(r.stats.pages_unreadable) +
                             " pages could not be read (not in the dump or excluded): locks there are not checked");

    mark_suspect_classes(r);

    AddressLocator& locator = ctx.locator();
    std::vector<uint64_t> phys;
    for (const auto* list : {&r.maps, &r.latent, &r.untracked})
        for (const auto& f : *list) phys.push_back(f.map.phys);
    locator.learn_vmalloc_aliases(phys);
    if (!locator.problem().empty()) r.problems.push_back(locator.problem());
    if (!locator.slab_problem().empty()) r.problems.push_back(locator.slab_problem());
    for (auto* list : {&r.maps, &r.latent, &r.untracked})
        for (auto& f : *list) f.map.addr = locator.kernel_address(f.map.phys);
    set_aside_freed_objects(r, locator);
    // Untaken maps are few and always shown: say where each one lives now.
    for (auto* list : {&r.latent, &r.untracked}) {
        for (auto& f : *list) {
            f.where = locator.locate(f.map.addr, f.map.phys);
            f.located = true;
        }
        by_address(*list);
    }
    by_address(r.maps);
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
