#include "dump/kdump_reader.h"

#include <libdeflate.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <unordered_map>

#include "dump/parallel.h"

namespace lockalias {

namespace {

constexpr uint32_t kZlib = 0x1;                          // DUMP_DH_COMPRESSED_ZLIB
constexpr uint32_t kOtherCompression = 0x2 | 0x4 | 0x20;  // LZO, SNAPPY, ZSTD
constexpr uint32_t kIncomplete = 0x8;                    // DUMP_DH_COMPRESSED_INCOMPLETE

}  // namespace

const uint8_t* KdumpReader::span(uint64_t paddr, size_t len) {
    const uint64_t page = pages_.page_size();
    if (other_compression_ || !len || len > kMaxSpan || paddr % page) return nullptr;
    const uint64_t first = paddr / page, n = (len + page - 1) / page;
    auto parts = pages_.dumped_parts({first * page, (first + n) * page});
    if (parts.size() != 1 || parts[0].start != first * page || parts[0].end != (first + n) * page) return nullptr;
    auto r = pages_.rank(first);
    if (!r || !read_descriptors(*r, size_t(n)) || !read_compressed()) return nullptr;
    if (out_.size() < n * page) out_.resize(size_t(n * page));  // grow only, as packed_
    const size_t per = std::max<size_t>(64, size_t(n) / std::max(1u, threads_) + 1);
    const size_t jobs = (size_t(n) + per - 1) / per;
    while (inflaters_.size() < jobs) inflaters_.push_back(libdeflate_alloc_decompressor());
    std::atomic<bool> ok{true};
    run_parallel(jobs, [&](size_t j) {
        if (!inflate_pages(j, j * per, std::min<size_t>(size_t(n), (j + 1) * per))) ok = false;
    });
    return ok ? out_.data() : nullptr;
}

bool KdumpReader::read_descriptors(uint64_t first_rank, size_t n) {
    static_assert(sizeof(PageDesc) == 24, "struct page_desc is 24 bytes");
    descs_.resize(n);
    if (!pages_.read_file(descs_.data(), n * sizeof(PageDesc),
                          pages_.descriptors_offset() + first_rank * sizeof(PageDesc)))
        return false;
    for (const PageDesc& d : descs_) {
        if (d.flags & kOtherCompression) {
            other_compression_ = true;
            return false;
        }
        if ((d.flags & kIncomplete) || d.offset < 0 || d.size == 0 || d.size > pages_.page_size())
            return false;
    }
    return true;
}

// The stored bytes of every page in descs_, with as few reads as the
// layout allows: one read for a run of pages stored back to back.
// (makedumpfile writes them in order; zero pages share one copy.)
bool KdumpReader::read_compressed() {
    packed_at_.resize(descs_.size());
    std::unordered_map<int64_t, uint64_t> read_at;  // file offset -> where in packed_
    // Runs of pages stored back to back, each read at once; a repeated
    // offset is a shared copy (zero pages) read once.
    struct Run {
        size_t first, end;
        uint64_t at;
    };
    std::vector<Run> runs;
    uint64_t need = 0;
    for (size_t i = 0; i < descs_.size();) {
        if (auto seen = read_at.find(descs_[i].offset); seen != read_at.end()) {
            packed_at_[i++] = seen->second;
            continue;
        }
        size_t j = i + 1;
        uint64_t end = uint64_t(descs_[i].offset) + descs_[i].size;
        while (j < descs_.size() && uint64_t(descs_[j].offset) == end) end += descs_[j++].size;
        runs.push_back({i, j, need});
        for (size_t k = i, pos = size_t(need); k < j; pos += descs_[k].size, k++) {
            packed_at_[k] = pos;
            read_at.emplace(descs_[k].offset, pos);
        }
        need += end - uint64_t(descs_[i].offset);
        i = j;
    }
    // Grow only: a buffer reused from span to span costs no page faults.
    if (packed_.size() < need) packed_.resize(size_t(need));
    packed_len_ = size_t(need);
    for (const Run& r : runs) {
        const uint64_t from = uint64_t(descs_[r.first].offset);
        const uint64_t to = uint64_t(descs_[r.end - 1].offset) + descs_[r.end - 1].size;
        if (!pages_.read_file(packed_.data() + r.at, size_t(to - from), from)) return false;
    }
    return true;
}

KdumpReader::~KdumpReader() {
    for (void* d : inflaters_) libdeflate_free_decompressor(static_cast<libdeflate_decompressor*>(d));
}

bool KdumpReader::inflate_pages(size_t job, size_t first, size_t end) {
    const size_t page = size_t(pages_.page_size());
    auto* inflater = static_cast<libdeflate_decompressor*>(inflaters_.at(job));
    if (!inflater) return false;
    for (size_t k = first; k < end; k++) {
        const PageDesc& d = descs_[k];
        uint8_t* dst = out_.data() + k * page;
        if (packed_at_[k] + d.size > packed_len_) return false;  // a damaged shared copy
        const uint8_t* src = packed_.data() + packed_at_[k];
        if (!(d.flags & kZlib)) {
            if (d.size != page) return false;
            std::memcpy(dst, src, page);
            continue;
        }
        // A page is one zlib stream (makedumpfile's compress2()).
        size_t got = 0;
        if (libdeflate_zlib_decompress(inflater, src, d.size, dst, page, &got) != LIBDEFLATE_SUCCESS ||
            got != page)
            return false;
    }
    return true;
}

}  // namespace lockalias
