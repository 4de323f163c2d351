// Reads a compressed kdump's pages in place of crash: page descriptors and
// zlib-compressed (or plain) pages straight from the file, inflated on
// several threads with libdeflate (whole-buffer inflate, about twice
// zlib's speed). crash inflates one page per call on one core, so a
// filtered dump's scan is bound by it; this is the kdump twin of
// ElfDumpMap. Pages in another compression (lzo, snappy, zstd) are left to
// crash: span() then returns nullptr and the scan reads through crash.
#pragma once
#include <cstdint>
#include <vector>

#include "dump/kdump_pages.h"

namespace lockalias {

class KdumpReader {
public:
    // `pages` must be open; it stays owned by the caller.
    KdumpReader(KdumpPages& pages, unsigned threads) : pages_(pages), threads_(threads) {}
    ~KdumpReader();
    KdumpReader(const KdumpReader&) = delete;
    KdumpReader& operator=(const KdumpReader&) = delete;

    // Pointer to the len bytes at paddr, every page of them dumped, or
    // nullptr (a page not dumped, in another compression, or damaged, or
    // more than kMaxSpan bytes asked). Valid until the next call.
    const uint8_t* span(uint64_t paddr, size_t len);

    // Larger views are refused (the scan then asks for read-sized ones):
    // inflating into a buffer that stays in cache, and not faulting in a
    // fresh 16 MiB per command, is faster than fewer thread starts.
    static constexpr size_t kMaxSpan = 1 << 20;

private:
    struct PageDesc {  // makedumpfile's struct page_desc
        int64_t offset;
        uint32_t size, flags;
        uint64_t page_flags;
    };
    bool read_descriptors(uint64_t first_rank, size_t n);
    bool read_compressed();
    bool inflate_pages(size_t job, size_t first, size_t end);

    KdumpPages& pages_;
    const unsigned threads_;
    bool other_compression_ = false;  // seen once: leave the whole dump to crash
    std::vector<PageDesc> descs_;
    std::vector<uint8_t> packed_;            // the pages as stored in the file
    size_t packed_len_ = 0;                  // bytes of packed_ this span uses
    std::vector<uint64_t> packed_at_;        // where each page's bytes start in packed_
    std::vector<uint8_t> out_;
    std::vector<void*> inflaters_;  // a libdeflate decompressor per job
};

}  // namespace lockalias
