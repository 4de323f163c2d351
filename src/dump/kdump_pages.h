// Which pages a compressed kdump (makedumpfile's "KDUMP   " format) holds,
// from the file's own bitmap of dumped pages. crash answers a read of an
// excluded page from that bitmap too, but only one page per call: a scan
// of a filtered dump would spend its time asking about pages that are not
// there. Reading the bitmap here turns millions of failing reads into a
// list of gaps.
//
// Memory stays small whatever the dump size: the bitmap is read through a
// 64 KiB window (2 GiB of RAM per window with 4 KiB pages).
//
// The file is read through DumpFileAccess, so a flattened kdump
// (makedumpfile -F) is read like a plain one. One file of a split dump
// (makedumpfile --split) is opened with open_split_part(): it holds the
// pages of its sub-header's pfn range only, and its page descriptors count
// from the first pfn of that range (crash: diskdump.c, pfn_to_pos()).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dump/dump_file_access.h"
#include "dump/target.h"

namespace lockalias {

class KdumpPages {
public:
    KdumpPages() = default;
    ~KdumpPages();
    KdumpPages(const KdumpPages&) = delete;
    KdumpPages& operator=(const KdumpPages&) = delete;

    // False (with why()) for anything but a whole compressed kdump, plain
    // or flattened, whose header and bitmap lie within the file: a file of
    // a split dump is refused (it holds part of the pages).
    bool open(const std::string& path);
    // One file of a split dump: false (with why()) for anything else.
    bool open_split_part(const std::string& path);
    const std::string& why() const { return why_; }

    uint64_t page_size() const { return block_size_; }
    uint64_t max_pfn() const { return max_mapnr_; }  // one past the last pfn the bitmap covers
    // The pfns this file holds: [0, max_pfn()), or a split file's range
    // (clipped to max_pfn()).
    uint64_t first_pfn() const { return first_pfn_; }
    uint64_t end_pfn() const { return end_pfn_; }
    bool flattened() const { return file_ && file_->flattened(); }
    // The disk_dump_header's bytes: the files of one split dump have the
    // same (crash refuses files "derived from different vmcores").
    const std::vector<uint8_t>& header() const { return header_; }
    // False when the page is not in the dump (excluded, or beyond the
    // bitmap) or the bitmap cannot be read.
    bool dumped(uint64_t pfn);
    // The parts of [range) on dumped pages, in order, clipped to range.
    // The rest of range is not in the dump.
    std::vector<PhysRange> dumped_parts(const PhysRange& range);
    // Dumped pages below pfn: the index of pfn's page descriptor.
    std::optional<uint64_t> rank(uint64_t pfn);
    uint64_t descriptors_offset() const { return descriptors_offset_; }
    // len bytes of the dump file (rearranged, when flattened) at off;
    // false on a short or failed read.
    bool read_file(void* buf, size_t len, uint64_t off) const;

private:
    bool open_file(const std::string& path, bool split_part);
    bool load_window(uint64_t byte);  // makes bitmap byte `byte` resident

    std::unique_ptr<DumpFileAccess> file_;
    uint64_t block_size_ = 0, max_mapnr_ = 0;
    uint64_t first_pfn_ = 0, end_pfn_ = 0;
    std::vector<uint8_t> header_;
    uint64_t bitmap_offset_ = 0;  // file offset of the dumped-pages bitmap
    uint64_t descriptors_offset_ = 0;  // file offset of page_desc[0]
    uint64_t rank_pfn_ = 0, rank_ = 0;  // rank(rank_pfn_) == rank_: scans go forward
    static constexpr uint64_t kWindow = 64 << 10;
    std::vector<uint8_t> window_;
    uint64_t window_first_ = ~0ULL;  // bitmap byte at window_[0]
    std::string why_;
};

}  // namespace lockalias
