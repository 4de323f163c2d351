// A compressed kdump read here: its bitmap of dumped pages, and its pages
// inflated in place, each checked against the Target's reads.
#include <algorithm>
#include <cstring>

#include "dump/dump_source.h"
#include "dump/kdump_pages.h"
#include "dump/kdump_reader.h"

namespace lockalias {

namespace {

class KdumpBitmap : public DumpSource {
public:
    explicit KdumpBitmap(std::unique_ptr<KdumpPages> pages) : pages_(std::move(pages)) {}
    SourceKind kind() const override { return SourceKind::KdumpBitmap; }
    std::optional<std::vector<PhysRange>> dumped_parts(const PhysRange& range) override {
        return pages_->dumped_parts(range);
    }

protected:
    std::unique_ptr<KdumpPages> pages_;
};

class KdumpInPlace final : public KdumpBitmap {
public:
    KdumpInPlace(std::unique_ptr<KdumpPages> pages, std::unique_ptr<KdumpReader> reader)
        : KdumpBitmap(std::move(pages)), reader_(std::move(reader)) {}
    SourceKind kind() const override { return SourceKind::KdumpInPlace; }
    const uint8_t* span(uint64_t paddr, size_t len) override { return reader_->span(paddr, len); }

private:
    std::unique_ptr<KdumpReader> reader_;  // reads pages_'s file
};

// Pages to compare: spread over RAM, and the first pages of the first
// parts and gaps of the bitmap (of the first GiB: a fragmented bitmap may
// have millions of parts). In address order: the reader counts dumped
// pages forward.
std::vector<uint64_t> sample_pfns(Target& t, KdumpPages& pages) {
    const uint64_t page = pages.page_size();
    std::vector<uint64_t> samples;
    for (const PhysRange& ram : t.memory_node_spans()) {
        for (int k = 0; k < 32; k++) samples.push_back((ram.start + (ram.end - ram.start) / 32 * k) / page);
        uint64_t prev_end = ram.start;
        int parts = 0;
        for (const PhysRange& r : pages.dumped_parts({ram.start, std::min<uint64_t>(ram.end, ram.start + (1ULL << 30))})) {
            if (parts++ == 8) break;
            samples.push_back(r.start / page);
            if (r.start > prev_end) samples.push_back(prev_end / page);
            prev_end = r.end;
        }
    }
    std::sort(samples.begin(), samples.end());
    samples.erase(std::unique(samples.begin(), samples.end()), samples.end());
    return samples;
}

}  // namespace

std::unique_ptr<DumpSource> open_kdump_source(Target& t, const std::string& path, unsigned threads,
                                              std::vector<RefusedSource>& refused, int& checked) {
    auto refuse_both = [&](Refusal why, const std::string& detail) -> std::unique_ptr<DumpSource> {
        refused.push_back({SourceKind::KdumpInPlace, why, detail});
        refused.push_back({SourceKind::KdumpBitmap, why, detail});
        return nullptr;
    };
    auto pages = std::make_unique<KdumpPages>();
    if (!pages->open(path)) return refuse_both(Refusal::CannotOpen, pages->why());
    if (pages->page_size() != t.page_size())
        return refuse_both(Refusal::PageSizeDiffers, std::to_string(pages->page_size()) + " bytes");
    const uint64_t page = pages->page_size();
    const std::vector<uint64_t> samples = sample_pfns(t, *pages);
    std::vector<uint8_t> buf(page);
    // The bitmap: a page is dumped exactly when the Target can read it.
    for (uint64_t pfn : samples) {
        checked++;
        if (pages->dumped(pfn) != t.read_phys(pfn * page, buf.data(), page))
            return refuse_both(Refusal::BitmapDisagrees, page_at(pfn * page));
    }
    if (samples.empty()) return refuse_both(Refusal::NothingToCompare, "");
    // The pages themselves, inflated here, must be the Target's pages.
    auto reader = std::make_unique<KdumpReader>(*pages, threads);
    int same = 0;
    for (uint64_t pfn : samples) {
        if (!pages->dumped(pfn) || !t.read_phys(pfn * page, buf.data(), page)) continue;
        const uint8_t* mine = reader->span(pfn * page, page);
        if (!mine || std::memcmp(mine, buf.data(), page) != 0) {
            refused.push_back({SourceKind::KdumpInPlace, mine ? Refusal::BytesDisagree : Refusal::PagesNotReadHere,
                               page_at(pfn * page)});
            return std::make_unique<KdumpBitmap>(std::move(pages));
        }
        same++;
    }
    if (!same) {
        refused.push_back({SourceKind::KdumpInPlace, Refusal::NothingToCompare, ""});
        return std::make_unique<KdumpBitmap>(std::move(pages));
    }
    return std::make_unique<KdumpInPlace>(std::move(pages), std::move(reader));
}

}  // namespace lockalias
