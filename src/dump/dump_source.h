// How a scan reads physical memory in bulk. crash reads a page per call,
// with a syscall and a copy (and an inflate, for a compressed kdump); when
// the dump file can be read in place the scan goes several times faster.
// A shortcut is taken only when it agrees with the Target's own reads on
// sample pages: a shortcut that disagrees is refused, with its reason, and
// the scan reads through the Target as before.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dump/span_work.h"
#include "dump/target.h"

namespace lockalias {

enum class SourceKind {
    TargetReads,   // the Target's read_phys(), page by page
    KdumpBitmap,   // the Target's reads, minus the pages the kdump bitmap excludes
    KdumpInPlace,  // a compressed kdump's pages inflated here (and its bitmap)
    ElfInPlace,    // an ELF core mapped in place
};

// Why a shortcut was not taken.
enum class Refusal {
    TurnedOff,         // LOCKALIAS_READ_ALL asked for the Target's reads only
    OtherFormat,       // the Target does not read the dump as this format
    CannotOpen,        // the file could not be opened or parsed as that format
    PageSizeDiffers,   // the file's page size is not the Target's
    NothingToCompare,  // no sample page readable both ways: cannot be checked
    BitmapDisagrees,   // a page the bitmap calls dumped the Target cannot read, or the reverse
    BytesDisagree,     // the same page reads differently in place and through the Target
    PagesNotReadHere,  // a sample page cannot be read in place (damaged, or an unknown compression)
};

struct RefusedSource {
    SourceKind kind;
    Refusal reason;
    std::string detail;  // the file's own complaint, or the first page that differed
};

class DumpSource {
public:
    virtual ~DumpSource() = default;
    virtual SourceKind kind() const = 0;
    // len bytes at paddr read in place, else nullptr (then read through
    // the Target). Valid until the next call.
    virtual const uint8_t* span(uint64_t paddr, size_t len) {
        (void)paddr, (void)len;
        return nullptr;
    }
    // The same span, with `work` done on all of its bytes when it is
    // returned (dump/span_work.h). By default the span is made, then worked
    // on whole; a source that makes it in parts on several threads works
    // each part there.
    virtual const uint8_t* span_with(uint64_t paddr, size_t len, SpanWork& work) {
        const uint8_t* bytes = span(paddr, len);
        if (bytes) work.whole(bytes, len);
        return bytes;
    }
    // Starts making these ranges' bytes ahead, in this order, on a thread
    // of its own, for the span() calls to come (dump/read_ahead.h): the
    // caller has other work to do first. By default nothing is made.
    virtual void read_ahead(const std::vector<PhysRange>& ranges) { (void)ranges; }
    // The parts of range the dump holds, when the source can tell without
    // reading them, else nullopt: the scan notes the rest of range as not
    // in the dump instead of failing a read on each of its pages.
    virtual std::optional<std::vector<PhysRange>> dumped_parts(const PhysRange& range) {
        (void)range;
        return std::nullopt;
    }
};

struct ChosenSource {
    std::unique_ptr<DumpSource> source;  // never null
    std::vector<RefusedSource> refused;  // every faster source not taken, fastest first
    int pages_checked = 0;               // sample pages compared with the Target's reads
    std::string reader;                  // the Target's reader_name(), for the wording
};

struct SourcePolicy {
    bool in_place = true;  // false: the Target's reads only (LOCKALIAS_READ_ALL=1)
    unsigned threads = 1;  // for inflating kdump pages
};

// The fastest source that agrees with the Target, tried in order: ELF in
// place, kdump in place, kdump bitmap, the Target's reads. Each choice and
// refusal is also told to the Target's debug channel (crash: set debug 1).
ChosenSource choose_dump_source(Target& t, const SourcePolicy& policy);

// The candidates, for tests: each returns the source or adds why not.
std::unique_ptr<DumpSource> open_elf_source(Target& t, const std::string& path,
                                            std::vector<RefusedSource>& refused, int& checked);
// The kdump's in-place reader when its pages agree, else (when the bitmap
// does) the bitmap alone; nullptr when neither.
// path may be plain or flattened (the file says which); a split dump is
// opened with all its files (paths, any order), each holding a pfn range.
std::unique_ptr<DumpSource> open_kdump_source(Target& t, const std::string& path, unsigned threads,
                                              std::vector<RefusedSource>& refused, int& checked);
std::unique_ptr<DumpSource> open_kdump_source(Target& t, const std::vector<std::string>& paths, unsigned threads,
                                              std::vector<RefusedSource>& refused, int& checked);
std::unique_ptr<DumpSource> target_reads_source();

const char* source_name(SourceKind k);     // "elf-in-place", for JSON and tests
// What it means, for the text report; READER is the Target's reader_name().
std::string source_wording(SourceKind k, const std::string& reader);
const char* refusal_name(Refusal r);       // "bytes-disagree"
std::string refusal_wording(Refusal r, const std::string& reader);

// "physical page 0000000000020000": the detail of a refusal.
std::string page_at(uint64_t paddr);

// "elf-in-place" or "kdump-bitmap (refused: kdump-in-place: ...)": one line for reports.
std::string describe_choice(const ChosenSource& c);

}  // namespace lockalias
