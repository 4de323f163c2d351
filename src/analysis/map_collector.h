// Finds and judges the lockdep_maps of each span of memory the scan makes.
// As the span's SpanWork, it searches each part on the thread that made
// it and judges the parts in address order on the calling thread (judging
// reads through crash), part p - 1 once part p is made, so that a map at
// the end of a part is whole; finish() judges what is left.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "analysis/byte_memo.h"
#include "analysis/class_pointer_search.h"
#include "analysis/scan.h"
#include "dump/span_work.h"
#include "kernel/memory_util.h"
#include "lockdep/lockdep_tables.h"

namespace lockalias {

class MapCollector final : public SpanWork {
public:
    MapCollector(Target& t, const ClassTable& classes, const std::vector<KernelTable>& lockdep_tables,
                 ScanResult& out, const ScanOptions& opt);

    // The span the next DumpSource::span_with() (or whole()) works on.
    void begin(uint64_t phys, size_t len);

    void parts(size_t n) override;
    void part(size_t p, const uint8_t* span, size_t from, size_t to) override;
    void zero_part(size_t p, const uint8_t* span, size_t from, size_t to) override;
    void done(size_t p) override;
    // A span made in one piece (mapped in place, read, or made ahead):
    // searched in parts of kPartBytes on the scan's threads, judged as they
    // come; a span too small for one part a thread, in smaller ones.
    void whole(const uint8_t* span, size_t len) override;

    // After the span was made: judges the parts not judged yet.
    void finish();
    // Bytes from the span's start already judged: of a span refused after
    // some of its parts were made (and judged), those need no second look.
    size_t judged_bytes() const { return judged_to_; }

    // Examines one block of physical memory read through the Target.
    void search_block(uint64_t phys, const uint8_t* buf, size_t len);

    // Judges again, from BYTES, a finding whose bytes the scan read wrongly
    // (a map over a page boundary in vmalloc memory: scan.cpp); UNTAKEN for
    // the latent and untracked lists. False when it is no finding any more
    // (no map, or clean): the caller drops it; the counts follow.
    bool rejudge(MapFinding& f, const uint8_t* bytes, bool untaken);

private:
    static constexpr size_t kPartBytes = 1 << 20;
    // A small span's parts: several a thread, so that judging overlaps the
    // later ones, and not under 64 KiB (as a kdump span's jobs,
    // KdumpReader::kJobsPerThread and kMinJobPages).
    static constexpr size_t kPartsPerThread = 4;
    static constexpr size_t kMinPartBytes = 64 << 10;

    // Everything about an untaken map that follows from its bytes alone
    // (the locks of one slab cache share them: judged once, as judge()).
    struct JudgedUntaken {
        bool is_map = false;
        bool untracked = false;           // on the notrack key
        const LockClass* cls = nullptr;   // the live class of its key, if any
        LockdepMap map;                   // phys not set
        SlotVerdict verdict;              // when cls
    };
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

    void judge_part(size_t p, size_t made);
    void collect_keys();
    void try_untaken(uint64_t word_phys, uint64_t block_phys, const uint8_t* buf, size_t len);
    JudgedUntaken judge_untaken_bytes(const uint8_t* bytes);
    bool in_lockdep_table(uint64_t phys) const;
    const uint8_t* map_bytes(uint64_t map_phys, uint64_t block_phys, const uint8_t* buf, size_t len);
    bool try_map(uint64_t map_phys, uint64_t block_phys, const uint8_t* buf, size_t len);
    Judged judge(const uint8_t* bytes);

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

}  // namespace lockalias
