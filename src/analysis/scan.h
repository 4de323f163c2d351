// The whole-dump scan: find every lockdep_map in readable memory and judge
// each cached class. Returns data only; report_*.cpp format it.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "analysis/context.h"
#include "dump/dump_source.h"
#include "kernel/address_locator.h"
#include "dump/parallel.h"
#include "lockdep/class_table.h"
#include "lockdep/lockdep_map.h"
#include "dump/target.h"
#include "lockdep/verdict.h"

namespace lockalias {

struct ScanOptions {
    size_t chunk_bytes = 1 << 20;  // per read through the Target
    // Per DumpSource::span() view: the size of an ELF dump's mmap window,
    // large enough to split over threads.
    size_t mapped_chunk_bytes = 16 << 20;
    unsigned threads = worker_threads();  // for the hot loop only
    // Keep a record of every clean map (for -v and class listings). When
    // false, clean maps are only counted per class and the first one of
    // each class is kept as its origin: memory then grows with the number
    // of aliases and classes, not with the number of locks in the dump.
    bool keep_clean_maps = true;
    // Also look for maps not taken yet (latent aliases, untracked locks):
    // every key word is a candidate, which costs a little of the hot loop.
    bool find_untaken = true;
};

struct MapFinding {
    LockdepMap map;
    Location where;                  // filled by locate_maps()
    bool located = false;
    std::vector<SlotVerdict> slots;  // one per non-NULL class_cache[] entry
    // For ScanResult::freed: how its memory is known to be free
    // ("slab-freelist", "slab-sheaf", "free-pointer", "buddy-free", "pcp-free", "user-page");
    // empty for every other map.
    const char* freed_how = "";
    Severity worst() const;
};

struct ScanStats {
    uint64_t bytes_scanned = 0;
    uint64_t pages_scanned = 0;
    uint64_t pages_unreadable = 0;
    uint64_t pages_skipped = 0;  // dumped pages not read: memory_without_maps()
    uint64_t candidate_words = 0;
    uint64_t maps_found = 0;        // every valid map, kept or only counted
    uint64_t rejected_candidates = 0;
    uint64_t key_words = 0;          // words equal to a live class's key, class_cache[0] after them empty
    uint64_t untaken_maps = 0;       // valid maps with an empty class_cache[] among them
    uint64_t untaken_of_suspect_classes = 0;  // of those, named as a suspect class (not latent)
    double seconds = 0;
    bool interrupted = false;
};

struct ScanResult {
    std::string error;  // set when nothing could be checked (e.g. no lockdep)
    // The command's class table (AnalysisContext::classes()), shared, not
    // copied: 8192 entries with their names. Null only with error set.
    std::shared_ptr<const ClassTable> classes;
    std::vector<MapFinding> maps;  // kept maps, sorted by kernel address
    // Maps that would be reported but lie in freed memory (a free slab
    // object, a free page) or in a file's or process's page (live: the
    // reader's own copies): not locks, never judged, only counted and listed.
    std::vector<MapFinding> freed;
    std::unordered_map<uint64_t, long> clean_slots;  // class -> clean (map, slot) uses, kept or not
    // Maps never taken (class_cache[] empty) whose key already has a live
    // class of another lock: slots[0] is the Latent verdict, its class the
    // one lockdep will find. Sorted by kernel address.
    std::vector<MapFinding> latent;
    std::unordered_map<uint64_t, long> latent_clean;  // class -> untaken maps it is its own class for
    // Maps on the notrack key (lockdep_set_notrack_class(), since commit
    // 1a616c2fe96b ("lockdep: lockdep_set_notrack_class()") (in v6.11)):
    // lockdep never looks a class up for them.
    std::vector<MapFinding> untracked;
    std::vector<PhysRange> unreadable;  // merged physical ranges not read
    std::vector<std::string> skipped;   // what the skipped pages are (memory_without_maps())
    std::vector<std::string> problems;  // partial-answer notes, one line each
    ScanStats stats;
    SourceKind memory_source = SourceKind::TargetReads;  // how memory was read
    std::vector<RefusedSource> refused_sources;          // and which faster ways were not taken
    std::string reader = "crash";                        // the Target's reader_name()
};

ScanResult scan_dump(AnalysisContext& ctx, const ScanOptions& opt = {});
// The same in a context of its own, through the Target's reads unless the
// Target names a dump file (tests, fuzzers, one-off callers).
ScanResult scan_dump(Target& t, const ScanOptions& opt = {});

// Says where the chosen maps live (slab cache and object, symbol). Costs
// several reads per map, so reports call it only for the maps they show.
void locate_maps(AnalysisContext& ctx, ScanResult& r, const std::vector<size_t>& which);

}  // namespace lockalias
