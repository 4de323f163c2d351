// Reads a compressed kdump's pages in place of crash: page descriptors and
// pages straight from the file, decompressed on several threads. Every
// compression makedumpfile writes is read here, each with the call crash's
// diskdump.c makes: zlib with libdeflate (whole-buffer inflate, about twice
// zlib's speed), lzo with lzo1x_decompress_safe, snappy with
// snappy_uncompress, zstd with ZSTD_decompressDCtx (a context per job);
// plain pages are copied. crash decompresses one page per call on one
// core, so a filtered dump's scan is bound by it; this is the kdump twin
// of ElfDumpMap. A page whose descriptor has a flag bit makedumpfile does
// not define (an unknown compression) leaves the whole dump to crash:
// span() then returns nullptr and the scan reads through crash.
#pragma once
#include <cstdint>
#include <vector>

#include "dump/kdump_pages.h"
#include "dump/span_work.h"

namespace lockalias {

class KdumpReader {
public:
    // `pages` must be open; it stays owned by the caller.
    KdumpReader(KdumpPages& pages, unsigned threads) : pages_(pages), threads_(threads) {}
    ~KdumpReader();
    KdumpReader(const KdumpReader&) = delete;
    KdumpReader& operator=(const KdumpReader&) = delete;

    // Pointer to the len bytes at paddr, every page of them dumped, or
    // nullptr (a page not dumped, damaged -- it does not decompress to
    // exactly one page, or names two compressions -- in an unknown
    // compression, or more than kMaxSpan bytes asked). Valid until the next
    // call.
    // With work, the span is also handed to it: each decompression job's
    // pages as a part, on the job's thread, while they are in its cache,
    // and work.done() for each job in order on this thread (SpanWork).
    // With into (room for len bytes rounded up to whole pages), the pages
    // are made there, and into is returned.
    const uint8_t* span(uint64_t paddr, size_t len, SpanWork* work = nullptr, uint8_t* into = nullptr);

    // Larger views are refused (the scan then asks for read-sized ones):
    // inflating into a buffer that stays in cache, and not faulting in a
    // fresh 16 MiB per command, is faster than fewer thread starts.
    static constexpr size_t kMaxSpan = 1 << 20;
    // Jobs per span: kJobsPerThread per thread (one with one thread), of at
    // least kMinJobPages pages.
    static constexpr size_t kJobsPerThread = 4;
    static constexpr size_t kMinJobPages = 16;

private:
    struct PageDesc {  // makedumpfile's struct page_desc
        int64_t offset;
        uint32_t size, flags;
        uint64_t page_flags;
    };
    struct Decompressors;  // one job's: libdeflate's, zstd's (made on first use)
    bool read_descriptors(uint64_t first_rank, size_t n);
    void plan_reads(size_t per, size_t jobs);
    bool read_job(size_t job, uint8_t* packed);  // job's reads to packed + their `at`
    bool decompress_pages(size_t job, size_t first, size_t end, uint8_t* out);  // pages [first, end) to out + first pages
    bool stored_as_they_are(size_t n) const;
    bool stored_as_it_is(const PageDesc& d) const;  // one page, uncompressed
    // makedumpfile (pd_zero) and QEMU write every zero page as one shared
    // copy, stored as it is: pages that all name it are made with a
    // memset, and no word search runs on them (SpanWork::zero_part()).
    void learn_zero_copy();  // from two pages in a row sharing a copy, read once and checked to be zeros
    bool all_zero_copy(size_t first, size_t end) const;

    KdumpPages& pages_;
    const unsigned threads_;
    bool unknown_compression_ = false;  // seen once: leave the whole dump to crash
    std::vector<PageDesc> descs_;
    std::vector<uint8_t> packed_;            // the pages as stored in the file
    size_t packed_len_ = 0;                  // bytes of packed_ this span uses
    std::vector<uint64_t> packed_at_;        // where each page's bytes start in packed_
    struct FileRead {
        uint64_t from, len, at;  // file offset, bytes, where in packed_
    };
    std::vector<FileRead> reads_;            // by job: job j's are [job_reads_[j], job_reads_[j + 1])
    std::vector<size_t> job_reads_;
    std::vector<uint8_t> out_;
    std::vector<char> job_made_;  // per job of the last span: its pages made (and worked on)
    std::vector<Decompressors*> decompressors_;  // one per job, kept from span to span
    int64_t zero_copy_ = -1;                 // the shared zero page's file offset, once checked
    std::vector<int64_t> not_zero_copies_;   // shared copies found not to be zeros (a few at most)
};

}  // namespace lockalias
