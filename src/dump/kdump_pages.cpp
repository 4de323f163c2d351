#include "dump/kdump_pages.h"

#include <algorithm>
#include <cstring>

namespace lockalias {

namespace {

// struct disk_dump_header (makedumpfile's diskdump_mod.h, x86_64): the
// signature, header_version, utsname (6 x 65 bytes), an 8-aligned
// timeval, then these 32-bit fields.
constexpr size_t kHeaderVersion = 8, kBlockSize = 428, kSubHdrSize = 432, kBitmapBlocks = 436,
                 kMaxMapnr = 440, kHeaderBytes = 464;
// struct kdump_sub_header, at the second block.
// x86_64 layout (crash's diskdump.c draws it): split at 12, start_pfn and
// end_pfn (unsigned long) at 16 and 24, their 64-bit copies (header
// version 6 and later) at 80 and 88, max_mapnr_64 at 96.
constexpr size_t kSubSplit = 12, kSubStartPfn = 16, kSubEndPfn = 24, kSubStartPfn64 = 80, kSubEndPfn64 = 88,
                 kSubMaxMapnr64 = 96, kSubBytes = 104;

template <typename T>
T field(const uint8_t* p, size_t off) {
    T v;
    std::memcpy(&v, p + off, sizeof v);
    return v;
}

}  // namespace

bool KdumpPages::read_file(void* buf, size_t len, uint64_t off) const {
    return file_ && file_->read(buf, len, off);
}

KdumpPages::~KdumpPages() = default;

bool KdumpPages::open(const std::string& path) { return open_file(path, false); }
bool KdumpPages::open_split_part(const std::string& path) { return open_file(path, true); }

bool KdumpPages::open_file(const std::string& path, bool split_part) {
    std::unique_ptr<DumpFileAccess> file = open_dump_file_access(path, why_);
    if (!file) return false;
    auto fail = [&](const std::string& why) {
        why_ = why;
        return false;
    };
    uint8_t h[kHeaderBytes];
    if (!file->read(h, sizeof h, 0) || std::memcmp(h, "KDUMP   ", 8) != 0)
        return fail(file->flattened() ? "flattened file does not hold a compressed kdump" : "not a compressed kdump");
    const int32_t version = field<int32_t>(h, kHeaderVersion);
    const int32_t block = field<int32_t>(h, kBlockSize);
    const int32_t sub_blocks = field<int32_t>(h, kSubHdrSize);
    const uint32_t bitmap_blocks = field<uint32_t>(h, kBitmapBlocks);
    uint64_t max_mapnr = field<uint32_t>(h, kMaxMapnr);
    if (block < 512 || block > (1 << 20) || (block & (block - 1)) || sub_blocks < 0 || !bitmap_blocks)
        return fail("kdump header is damaged (block size, sub-header or bitmap size)");
    bool split = false;
    uint64_t start_pfn = 0, end_pfn = ~0ULL;
    if (version >= 2) {
        uint8_t sub[kSubBytes];
        if (!file->read(sub, sizeof sub, uint64_t(block))) return fail("kdump sub-header is unreadable");
        split = field<int32_t>(sub, kSubSplit) != 0;
        start_pfn = field<uint64_t>(sub, version >= 6 ? kSubStartPfn64 : kSubStartPfn);
        end_pfn = field<uint64_t>(sub, version >= 6 ? kSubEndPfn64 : kSubEndPfn);
        if (version >= 6) max_mapnr = field<uint64_t>(sub, kSubMaxMapnr64);
    }
    if (split && !split_part) return fail("split kdump: each file holds part of the pages");
    if (!split && split_part) return fail("not a file of a split kdump");
    if (!split) start_pfn = 0, end_pfn = ~0ULL;
    if (start_pfn > end_pfn) return fail("split kdump: its pfn range ends before it starts");
    const uint64_t bitmap_start = uint64_t(block) * (1 + uint64_t(sub_blocks));
    const uint64_t bitmap_len = uint64_t(block) * bitmap_blocks;
    // No machine has 2^48 pages of 4 KiB (x86_64 physical addresses have
    // 52 bits); a larger count is damage, and would overflow below.
    if (!max_mapnr || max_mapnr > (1ULL << 48)) return fail("kdump header is damaged (max_mapnr)");
    if (bitmap_start + bitmap_len > file->size()) return fail("kdump bitmap lies beyond the end of the file");
    // Two bitmaps (RAM pages, then dumped pages) when there is room for
    // both, as crash reads it; older dumps have the one.
    const uint64_t one_bitmap = (max_mapnr + 7) / 8;
    const uint64_t blocks_per_bitmap = (one_bitmap + uint64_t(block) - 1) / uint64_t(block);
    const bool two = bitmap_blocks >= blocks_per_bitmap * 2;
    if (!two && bitmap_len < one_bitmap) return fail("kdump bitmap is shorter than max_mapnr says");
    file_ = std::move(file);
    header_.assign(h, h + sizeof h);
    block_size_ = uint64_t(block);
    max_mapnr_ = max_mapnr;
    first_pfn_ = std::min(start_pfn, max_mapnr);
    end_pfn_ = std::min(end_pfn, max_mapnr);
    rank_pfn_ = first_pfn_, rank_ = 0;
    bitmap_offset_ = bitmap_start + (two ? bitmap_len / 2 : 0);
    descriptors_offset_ = bitmap_start + bitmap_len;
    return true;
}

bool KdumpPages::load_window(uint64_t byte) {
    if (window_first_ != ~0ULL && byte >= window_first_ && byte < window_first_ + window_.size()) return true;
    const uint64_t first = byte / kWindow * kWindow;
    const uint64_t bytes = (max_mapnr_ + 7) / 8;
    if (first >= bytes) return false;
    const uint64_t len = std::min<uint64_t>(kWindow, bytes - first);
    window_.resize(len);
    if (!read_file(window_.data(), len, bitmap_offset_ + first)) {
        window_first_ = ~0ULL;
        return false;
    }
    window_first_ = first;
    return true;
}

bool KdumpPages::dumped(uint64_t pfn) {
    if (!file_ || pfn < first_pfn_ || pfn >= end_pfn_ || !load_window(pfn / 8)) return false;
    return (window_[pfn / 8 - window_first_] >> (pfn % 8)) & 1;
}

std::optional<uint64_t> KdumpPages::rank(uint64_t pfn) {
    if (!file_) return std::nullopt;
    // A split file's descriptors count from the first pfn it holds.
    pfn = std::clamp(pfn, first_pfn_, end_pfn_);
    if (pfn < rank_pfn_) rank_pfn_ = first_pfn_, rank_ = 0;
    while (rank_pfn_ < pfn) {
        if (!load_window(rank_pfn_ / 8)) return std::nullopt;
        const uint64_t at = rank_pfn_ / 8 - window_first_;
        if (rank_pfn_ % 8 == 0 && rank_pfn_ + 64 <= pfn && at + 8 <= window_.size()) {
            uint64_t w;
            std::memcpy(&w, &window_[at], 8);
            rank_ += uint64_t(__builtin_popcountll(w));
            rank_pfn_ += 64;
            continue;
        }
        const uint8_t b = window_[at];
        if (rank_pfn_ % 8 == 0 && rank_pfn_ + 8 <= pfn) {
            rank_ += uint64_t(__builtin_popcount(b));
            rank_pfn_ += 8;
        } else {
            rank_ += (b >> (rank_pfn_ % 8)) & 1;
            rank_pfn_++;
        }
    }
    return rank_;
}

std::vector<PhysRange> KdumpPages::dumped_parts(const PhysRange& range) {
    std::vector<PhysRange> out;
    if (!file_ || range.end <= range.start) return out;
    const uint64_t page = block_size_;
    const uint64_t last = std::min(end_pfn_, (range.end + page - 1) / page);
    uint64_t pfn = std::max(first_pfn_, range.start / page);
    uint64_t run_start = 0;
    bool in_run = false;
    auto close_run = [&](uint64_t end_pfn) {
        out.push_back({std::max(range.start, run_start * page), std::min(range.end, end_pfn * page)});
        in_run = false;
    };
    while (pfn < last) {
        if (!load_window(pfn / 8)) {
            // The bitmap itself is unreadable from here on: call the rest
            // dumped and let reads through crash tell.
            if (!in_run) run_start = pfn, in_run = true;
            break;
        }
        // Whole bytes of 8 pages at once when they are all in or all out.
        if (pfn % 8 == 0 && pfn + 8 <= last) {
            const uint8_t b = window_[pfn / 8 - window_first_];
            if (b == 0 || b == 0xff) {
                if ((b == 0xff) != in_run) {
                    if (in_run) close_run(pfn);
                    else run_start = pfn, in_run = true;
                }
                pfn += 8;
                continue;
            }
        }
        const bool d = dumped(pfn);
        if (d != in_run) {
            if (in_run) close_run(pfn);
            else run_start = pfn, in_run = true;
        }
        pfn++;
    }
    if (in_run) close_run(last);
    return out;
}

}  // namespace lockalias
