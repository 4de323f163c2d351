// A compressed kdump read here: its bitmap of dumped pages, and its pages
// decompressed in place, each checked against the Target's reads. One file,
// plain or flattened (DumpFileAccess reads both), or the files of a split
// dump, each holding the pages of its pfn range.
#include <algorithm>
#include <cstring>

#include "dump/dump_source.h"
#include "dump/kdump_pages.h"
#include "dump/kdump_reader.h"
#include "dump/read_ahead.h"

namespace lockalias {

namespace {

// The files of one kdump, by pfn range (one file: [0, max_pfn)). Each has
// its bitmap and, once its pages are checked, its reader.
class KdumpFiles {
public:
    struct Part {
        std::unique_ptr<KdumpPages> pages;
        std::unique_ptr<KdumpReader> reader;
        std::unique_ptr<KdumpReader> ahead_reader;  // the read-ahead's, on its thread alone
    };
    explicit KdumpFiles(std::vector<Part> parts) : parts_(std::move(parts)) {}

    uint64_t page_size() const { return parts_.front().pages->page_size(); }
    // The part holding pfn, else nullptr.
    Part* part_of(uint64_t pfn) {
        for (Part& p : parts_)
            if (pfn >= p.pages->first_pfn() && pfn < p.pages->end_pfn()) return &p;
        return nullptr;
    }
    bool dumped(uint64_t pfn) {
        Part* p = part_of(pfn);
        return p && p->pages->dumped(pfn);
    }
    std::vector<PhysRange> dumped_parts(const PhysRange& range) {
        if (parts_.size() == 1) return parts_.front().pages->dumped_parts(range);
        std::vector<PhysRange> out;
        const uint64_t page = page_size();
        for (Part& p : parts_) {  // in pfn order
            const uint64_t start = std::max(range.start, p.pages->first_pfn() * page);
            const uint64_t end = std::min(range.end, p.pages->end_pfn() * page);
            if (start >= end) continue;
            for (const PhysRange& r : p.pages->dumped_parts({start, end})) {
                if (!out.empty() && out.back().end == r.start) out.back().end = r.end;  // across files
                else out.push_back(r);
            }
        }
        return out;
    }
    void make_readers(unsigned threads) {
        threads_ = threads;
        for (Part& p : parts_) {
            p.reader = std::make_unique<KdumpReader>(*p.pages, threads);
            p.ahead_reader = std::make_unique<KdumpReader>(*p.pages, 1);
        }
    }
    unsigned threads() const { return threads_; }
    // A span within one file; one crossing two files is refused (the scan
    // then asks for smaller views).
    const uint8_t* span(uint64_t paddr, size_t len, SpanWork* work = nullptr) {
        if (!len) return nullptr;
        const uint64_t page = page_size();
        Part* p = part_of(paddr / page);
        if (!p || !p->reader || (paddr + len - 1) / page >= p->pages->end_pfn()) return nullptr;
        return p->reader->span(paddr, len, work);
    }
    // The same pages made into `into` on the calling thread alone, by the
    // readers kept for a read-ahead.
    bool make_into(uint64_t paddr, size_t len, uint8_t* into) {
        const uint64_t page = page_size();
        Part* p = part_of(paddr / page);
        if (!len || !p || !p->ahead_reader || (paddr + len - 1) / page >= p->pages->end_pfn()) return false;
        return p->ahead_reader->span(paddr, len, nullptr, into) != nullptr;
    }

private:
    std::vector<Part> parts_;  // sorted by first pfn, ranges disjoint
    unsigned threads_ = 1;
};

class KdumpBitmap : public DumpSource {
public:
    explicit KdumpBitmap(std::unique_ptr<KdumpFiles> files) : files_(std::move(files)) {}
    SourceKind kind() const override { return SourceKind::KdumpBitmap; }
    std::optional<std::vector<PhysRange>> dumped_parts(const PhysRange& range) override {
        return files_->dumped_parts(range);
    }

protected:
    std::unique_ptr<KdumpFiles> files_;
};

class KdumpInPlace final : public KdumpBitmap {
public:
    explicit KdumpInPlace(std::unique_ptr<KdumpFiles> files) : KdumpBitmap(std::move(files)) {}
    ~KdumpInPlace() override { ahead_.reset(); }  // (its thread uses files_)
    SourceKind kind() const override { return SourceKind::KdumpInPlace; }
    const uint8_t* span(uint64_t paddr, size_t len) override {
        if (const uint8_t* bytes = made_ahead(paddr, len)) return bytes;
        return files_->span(paddr, len);
    }
    const uint8_t* span_with(uint64_t paddr, size_t len, SpanWork& work) override {
        if (const uint8_t* bytes = made_ahead(paddr, len)) {
            work.whole(bytes, len);
            return bytes;
        }
        return files_->span(paddr, len, &work);
    }
    std::optional<std::vector<PhysRange>> dumped_parts(const PhysRange& range) override {
        if (ahead_) ahead_->settle();  // (the read-ahead reads the bitmap too)
        return KdumpBitmap::dumped_parts(range);
    }
    // Only with a thread to spare: on one CPU the pages would be made on
    // the same core as the caller's work, not beside it.
    void read_ahead(const std::vector<PhysRange>& ranges) override {
        ahead_.reset();
        if (files_->threads() <= 1) return;
        ahead_ = std::make_unique<ReadAhead>(ranges, files_->page_size(), kReadAheadStep,
                                             [this](uint64_t paddr, size_t len, uint8_t* into) {
                                                 return files_->make_into(paddr, len, into);
                                             });
    }

private:
    // Small enough that the read-ahead stops soon after it is told to.
    static constexpr size_t kReadAheadStep = 256 << 10;
    const uint8_t* made_ahead(uint64_t paddr, size_t len) { return ahead_ ? ahead_->find(paddr, len) : nullptr; }
    std::unique_ptr<ReadAhead> ahead_;
};

// Pages to compare: spread over RAM, and the first pages of the first
// parts and gaps of the bitmap (of the first GiB: a fragmented bitmap may
// have millions of parts). In address order: the reader counts dumped
// pages forward.
std::vector<uint64_t> sample_pfns(Target& t, KdumpFiles& files, const std::vector<uint64_t>& file_starts) {
    const uint64_t page = files.page_size();
    std::vector<uint64_t> samples;
    for (const PhysRange& ram : t.memory_node_spans()) {
        for (int k = 0; k < 32; k++) samples.push_back((ram.start + (ram.end - ram.start) / 32 * k) / page);
        uint64_t prev_end = ram.start;
        int parts = 0;
        for (const PhysRange& r : files.dumped_parts({ram.start, std::min<uint64_t>(ram.end, ram.start + (1ULL << 30))})) {
            if (parts++ == 8) break;
            samples.push_back(r.start / page);
            if (r.start > prev_end) samples.push_back(prev_end / page);
            prev_end = r.end;
        }
        // A split dump: the first dumped pages of each file in this node too.
        for (uint64_t pfn : file_starts)
            if (pfn * page > ram.start && pfn * page < ram.end) {
                for (const PhysRange& r : files.dumped_parts({pfn * page, std::min<uint64_t>(ram.end, pfn * page + (1ULL << 30))})) {
                    samples.push_back(r.start / page);
                    if (r.end / page > r.start / page + 1) samples.push_back(r.end / page - 1);
                    break;
                }
            }
    }
    std::sort(samples.begin(), samples.end());
    samples.erase(std::unique(samples.begin(), samples.end()), samples.end());
    return samples;
}

}  // namespace

std::unique_ptr<DumpSource> open_kdump_source(Target& t, const std::string& path, unsigned threads,
                                              std::vector<RefusedSource>& refused, int& checked) {
    return open_kdump_source(t, std::vector<std::string>{path}, threads, refused, checked);
}

std::unique_ptr<DumpSource> open_kdump_source(Target& t, const std::vector<std::string>& paths, unsigned threads,
                                              std::vector<RefusedSource>& refused, int& checked) {
    auto refuse_both = [&](Refusal why, const std::string& detail) -> std::unique_ptr<DumpSource> {
        refused.push_back({SourceKind::KdumpInPlace, why, detail});
        refused.push_back({SourceKind::KdumpBitmap, why, detail});
        return nullptr;
    };
    if (paths.empty()) return refuse_both(Refusal::CannotOpen, "no file");
    std::vector<KdumpFiles::Part> parts;
    if (paths.size() == 1) {
        // One file, plain or flattened: a file of a split dump alone is
        // refused (its other files hold the rest of the pages).
        parts.push_back({std::make_unique<KdumpPages>(), nullptr, nullptr});
        if (!parts.back().pages->open(paths.front())) return refuse_both(Refusal::CannotOpen, parts.back().pages->why());
    } else {
        // A split dump: files of one dump (the same header, as crash
        // checks) whose pfn ranges, in order, cover every pfn once.
        for (const std::string& path : paths) {
            parts.push_back({std::make_unique<KdumpPages>(), nullptr, nullptr});
            KdumpPages& p = *parts.back().pages;
            if (!p.open_split_part(path)) return refuse_both(Refusal::CannotOpen, path + ": " + p.why());
            if (p.header() != parts.front().pages->header())
                return refuse_both(Refusal::CannotOpen, "split kdump files of different dumps: " + paths.front() + ", " + path);
        }
        std::sort(parts.begin(), parts.end(), [](const KdumpFiles::Part& a, const KdumpFiles::Part& b) {
            return a.pages->first_pfn() < b.pages->first_pfn();
        });
        uint64_t covered = 0;
        for (const KdumpFiles::Part& p : parts) {
            if (p.pages->first_pfn() != covered)
                return refuse_both(Refusal::CannotOpen,
                                   p.pages->first_pfn() > covered
                                       ? "split kdump: no file holds pfns " + std::to_string(covered) + "-" +
                                             std::to_string(p.pages->first_pfn() - 1) + " (a file missing)"
                                       : "split kdump: two files hold pfn " + std::to_string(p.pages->first_pfn()));
            covered = std::max(covered, p.pages->end_pfn());
        }
        if (covered != parts.front().pages->max_pfn())
            return refuse_both(Refusal::CannotOpen, "split kdump: no file holds pfns " + std::to_string(covered) + "-" +
                                                        std::to_string(parts.front().pages->max_pfn() - 1) +
                                                        " (a file missing)");
    }
    std::vector<uint64_t> file_starts;
    for (const KdumpFiles::Part& p : parts) file_starts.push_back(p.pages->first_pfn());
    auto files = std::make_unique<KdumpFiles>(std::move(parts));
    if (files->page_size() != t.page_size())
        return refuse_both(Refusal::PageSizeDiffers, std::to_string(files->page_size()) + " bytes");
    const uint64_t page = files->page_size();
    const std::vector<uint64_t> samples = sample_pfns(t, *files, file_starts);
    // The bitmap: a page is dumped exactly when the Target can read it.
    // The pages read are kept for the second check, not read again.
    std::vector<uint64_t> dumped;
    std::vector<std::vector<uint8_t>> via_target;
    for (uint64_t pfn : samples) {
        checked++;
        std::vector<uint8_t> buf(page);
        const bool readable = t.read_phys(pfn * page, buf.data(), page);
        if (files->dumped(pfn) != readable) return refuse_both(Refusal::BitmapDisagrees, page_at(pfn * page));
        if (readable) {
            dumped.push_back(pfn);
            via_target.push_back(std::move(buf));
        }
    }
    if (samples.empty()) return refuse_both(Refusal::NothingToCompare, "");
    // The pages themselves, decompressed here, must be the Target's pages.
    files->make_readers(threads);
    const size_t same = dumped.size();
    for (size_t i = 0; i < dumped.size(); i++) {
        const uint8_t* mine = files->span(dumped[i] * page, page);
        if (!mine || std::memcmp(mine, via_target[i].data(), page) != 0) {
            refused.push_back({SourceKind::KdumpInPlace, mine ? Refusal::BytesDisagree : Refusal::PagesNotReadHere,
                               page_at(dumped[i] * page)});
            return std::make_unique<KdumpBitmap>(std::move(files));
        }
    }
    if (!same) {
        refused.push_back({SourceKind::KdumpInPlace, Refusal::NothingToCompare, ""});
        return std::make_unique<KdumpBitmap>(std::move(files));
    }
    return std::make_unique<KdumpInPlace>(std::move(files));
}

}  // namespace lockalias
