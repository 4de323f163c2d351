#include "analysis/map_collector.h"

#include <algorithm>

#include "dump/parallel.h"

namespace lockalias {

MapCollector::MapCollector(Target& t, const ClassTable& classes, const std::vector<KernelTable>& lockdep_tables,
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

void MapCollector::begin(uint64_t phys, size_t len) {
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

void MapCollector::parts(size_t n) {
    search_.parts(n);
    part_span_.assign(n, nullptr);
    part_end_.assign(n, 0);
    parts_ = n;
}

void MapCollector::part(size_t p, const uint8_t* span, size_t from, size_t to) {
    search_.part(p, span, from, to);
    part_span_[p] = span;
    part_end_[p] = to;
}

// No class pointer and no key is zero: nothing to search for. The bytes
// are still the span's, for a map that straddles into them.
void MapCollector::zero_part(size_t p, const uint8_t* span, size_t from, size_t to) {
    (void)from;
    part_span_[p] = span;
    part_end_[p] = to;
}

void MapCollector::done(size_t p) {
    if (p > 0) judge_part(p - 1, part_end_[p]);
}

void MapCollector::whole(const uint8_t* span, size_t len) {
    const size_t n =
        std::max<size_t>({1, len / kPartBytes, std::min<size_t>(threads_ * kPartsPerThread, len / kMinPartBytes)});
    const size_t step = len / n / 8 * 8;  // parts on word boundaries; the last takes the tail
    parts(n);
    run_parallel_in_order(
        n, threads_, [&](size_t p) { part(p, span, p * step, p + 1 == n ? len : (p + 1) * step); },
        [&](size_t p) { done(p); });
}

void MapCollector::finish() {
    while (judged_parts_ < parts_) judge_part(judged_parts_, span_len_);
}

void MapCollector::search_block(uint64_t phys, const uint8_t* buf, size_t len) {
    begin(phys, len);
    whole(buf, len);
    finish();
}

// Judges part p's hits, the span's bytes made up to `made`.
void MapCollector::judge_part(size_t p, size_t made) {
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
void MapCollector::collect_keys() {
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
void MapCollector::try_untaken(uint64_t word_phys, uint64_t block_phys, const uint8_t* buf, size_t len) {
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

MapCollector::JudgedUntaken MapCollector::judge_untaken_bytes(const uint8_t* bytes) {
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

bool MapCollector::in_lockdep_table(uint64_t phys) const {
    for (const PhysRange& r : tables_here_)
        if (phys >= r.start && phys < r.end) return true;
    return false;
}

// The map's bytes: in the block, or read when it straddles the block's
// edge (nullptr when that read fails).
const uint8_t* MapCollector::map_bytes(uint64_t map_phys, uint64_t block_phys, const uint8_t* buf, size_t len) {
    if (map_phys >= block_phys && map_phys + bytes_ <= block_phys + len) return buf + (map_phys - block_phys);
    straddle_.resize(bytes_);
    return t_.read_phys(map_phys, straddle_.data(), bytes_) ? straddle_.data() : nullptr;
}

bool MapCollector::try_map(uint64_t map_phys, uint64_t block_phys, const uint8_t* buf, size_t len) {
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

bool MapCollector::rejudge(MapFinding& f, const uint8_t* bytes, bool untaken) {
    const uint64_t phys = f.map.phys, addr = f.map.addr;
    if (!untaken) {
        Judged j = judge(bytes);
        if (!j.is_map) {
            out_.stats.maps_found--;
            return false;
        }
        if (j.all_clean) {
            for (long* uses : j.clean_uses) (*uses)++;
            if (!keep_clean_) return false;
        }
        f.map = j.map;
        f.slots = j.slots;
    } else {
        const bool was_untracked = f.slots.empty();
        JudgedUntaken j = judge_untaken_bytes(bytes);
        if (!j.is_map) {
            out_.stats.untaken_maps--;
            return false;
        }
        if (j.untracked != was_untracked || (!j.untracked && !j.cls)) return false;
        if (!j.untracked && j.verdict.severity == Severity::Clean) {
            out_.latent_clean[j.cls->addr]++;
            return false;
        }
        f.map = j.map;
        if (!j.untracked) f.slots = {j.verdict};
    }
    f.map.phys = phys;
    f.map.addr = addr;
    return true;
}

MapCollector::Judged MapCollector::judge(const uint8_t* bytes) {
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

}  // namespace lockalias
