#include "dump/kdump_reader.h"

#include <libdeflate.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "dump/parallel.h"

namespace lockalias {

namespace {

// A page descriptor's flags (makedumpfile's diskdump_mod.h).
constexpr uint32_t kZlib = 0x1;        // DUMP_DH_COMPRESSED_ZLIB
constexpr uint32_t kLzo = 0x2;         // DUMP_DH_COMPRESSED_LZO
constexpr uint32_t kSnappy = 0x4;      // DUMP_DH_COMPRESSED_SNAPPY
constexpr uint32_t kIncomplete = 0x8;  // DUMP_DH_COMPRESSED_INCOMPLETE
constexpr uint32_t kZstd = 0x20;       // DUMP_DH_COMPRESSED_ZSTD
constexpr uint32_t kCompressions = kZlib | kLzo | kSnappy | kZstd;
constexpr uint32_t kKnownFlags = kCompressions | kIncomplete;

// lzo_init() once per process, as crash's diskdump.c does before its
// first lzo page (it checks the library was built for this ABI).
bool lzo_ready() {
    static const bool ok = lzo_init() == LZO_E_OK;
    return ok;
}

}  // namespace

struct KdumpReader::Decompressors {
    libdeflate_decompressor* zlib = libdeflate_alloc_decompressor();
    ZSTD_DCtx* zstd = nullptr;  // made on a job's first zstd page
    ~Decompressors() {
        libdeflate_free_decompressor(zlib);
        ZSTD_freeDCtx(zstd);
    }
};

const uint8_t* KdumpReader::span(uint64_t paddr, size_t len, SpanWork* work, uint8_t* into) {
    const uint64_t page = pages_.page_size();
    if (unknown_compression_ || !len || len > kMaxSpan || paddr % page) return nullptr;
    const uint64_t first = paddr / page, n = (len + page - 1) / page;
    auto parts = pages_.dumped_parts({first * page, (first + n) * page});
    if (parts.size() != 1 || parts[0].start != first * page || parts[0].end != (first + n) * page) return nullptr;
    auto r = pages_.rank(first);
    if (!r || !read_descriptors(*r, size_t(n))) return nullptr;
    learn_zero_copy();
    // Each job reads its own pages' bytes from the file, then decompresses
    // them, then hands them to work: the file read (a copy out of the page
    // cache) is on the job's thread too, not before the jobs on this one.
    // Several jobs per thread, so that work's in-order step (done()) on
    // this thread overlaps the next jobs instead of following them all.
    const size_t wanted = threads_ > 1 ? size_t(threads_) * kJobsPerThread : 1;
    const size_t per = std::max<size_t>(kMinJobPages, size_t(n) / wanted + 1);
    const size_t jobs = (size_t(n) + per - 1) / per;
    plan_reads(per, jobs);
    const bool stored = stored_as_they_are(size_t(n));
    if (!stored && !into && out_.size() < n * page) out_.resize(size_t(n * page));  // grow only, as packed_
    uint8_t* const made = into ? into : stored ? packed_.data() : out_.data();
    // Pages stored as they are are read straight to where they are made.
    uint8_t* const packed_to = stored ? made : packed_.data();
    while (decompressors_.size() < jobs) decompressors_.push_back(new Decompressors);
    std::atomic<bool> ok{true};
    job_made_.assign(jobs, 0);
    bool failed_before = false;  // done(): only for jobs made, up to the first that was not
    if (work) work->parts(jobs);
    run_parallel_in_order(
        jobs, threads_,
        [&](size_t j) {
            const size_t first = j * per, end = std::min<size_t>(size_t(n), (j + 1) * per);
            const size_t from = std::min<size_t>(len, first * page), to = std::min<size_t>(len, end * page);
            if (all_zero_copy(first, end)) {
                std::memset(made + first * page, 0, (end - first) * page);
                if (work) work->zero_part(j, made, from, to);
                job_made_[j] = 1;
                return;
            }
            if (!read_job(j, packed_to) || (!stored && !decompress_pages(j, first, end, made))) {
                ok = false;
                return;
            }
            // (the last page may be cut: the span ends at len)
            if (work) work->part(j, made, from, to);
            job_made_[j] = 1;
        },
        [&](size_t j) {
            failed_before = failed_before || !job_made_[j];
            if (work && !failed_before) work->done(j);
        });
    return ok ? made : nullptr;
}

// Pages stored uncompressed and back to back (makedumpfile without -c/-l/
// -p/-z) are the span as read into packed_: copying them out costs as much
// as the word search of a plain kdump.
bool KdumpReader::stored_as_they_are(size_t n) const {
    const uint64_t page = pages_.page_size();
    for (size_t k = 0; k < n; k++)
        if (!stored_as_it_is(descs_[k]) || packed_at_[k] != k * page) return false;
    return packed_len_ >= n * page;
}

// (read_descriptors() let through no flag but a compression's: no
// compression flag is no flag at all)
bool KdumpReader::stored_as_it_is(const PageDesc& d) const {
    return !(d.flags & kCompressions) && d.size == pages_.page_size();
}

void KdumpReader::learn_zero_copy() {
    constexpr size_t kMaxNotZero = 16;  // a damaged table could share many: stop looking
    if (zero_copy_ >= 0 || not_zero_copies_.size() >= kMaxNotZero) return;
    const uint64_t page = pages_.page_size();
    for (size_t k = 1; k < descs_.size(); k++) {
        const PageDesc &a = descs_[k - 1], &b = descs_[k];
        if (b.offset != a.offset || !stored_as_it_is(a) || !stored_as_it_is(b)) continue;
        if (std::find(not_zero_copies_.begin(), not_zero_copies_.end(), b.offset) != not_zero_copies_.end()) continue;
        std::vector<uint8_t> bytes(page);
        if (pages_.read_file(bytes.data(), page, uint64_t(b.offset)) &&
            std::all_of(bytes.begin(), bytes.end(), [](uint8_t c) { return c == 0; })) {
            zero_copy_ = b.offset;
            return;
        }
        not_zero_copies_.push_back(b.offset);
        if (not_zero_copies_.size() >= kMaxNotZero) return;
    }
}

bool KdumpReader::all_zero_copy(size_t first, size_t end) const {
    if (zero_copy_ < 0 || first >= end) return false;
    for (size_t k = first; k < end; k++)
        if (descs_[k].offset != zero_copy_ || !stored_as_it_is(descs_[k])) return false;
    return true;
}

bool KdumpReader::read_descriptors(uint64_t first_rank, size_t n) {
    static_assert(sizeof(PageDesc) == 24, "struct page_desc is 24 bytes");
    descs_.resize(n);
    if (!pages_.read_file(descs_.data(), n * sizeof(PageDesc),
                          pages_.descriptors_offset() + first_rank * sizeof(PageDesc)))
        return false;
    for (const PageDesc& d : descs_) {
        if (d.flags & ~kKnownFlags) {  // a compression makedumpfile had not when this was written
            unknown_compression_ = true;
            return false;
        }
        const uint32_t packing = d.flags & kCompressions;
        if (packing & (packing - 1)) return false;  // two compressions named: damaged
        if ((d.flags & kIncomplete) || d.offset < 0 || d.size == 0 || d.size > pages_.page_size())
            return false;
    }
    return true;
}

// Where each page's stored bytes go in packed_, and the reads that put
// them there: one read for a run of pages stored back to back, ending at
// the job's last page (each job reads its own). makedumpfile writes pages
// in file order, except that every zero page points at one shared copy
// written before them: a page whose bytes lie behind the job's reads is
// found in a read the job already makes (once per job: jobs run at the
// same time), else read on its own.
void KdumpReader::plan_reads(size_t per, size_t jobs) {
    const size_t n = descs_.size();
    packed_at_.resize(n);
    reads_.clear();
    job_reads_.assign(jobs + 1, 0);
    uint64_t need = 0;
    for (size_t j = 0; j < jobs; j++) {
        const size_t job_end = std::min(n, (j + 1) * per);
        uint64_t ahead = 0;  // the end of the job's reads furthest into the file
        for (size_t i = j * per; i < job_end;) {
            const uint64_t off = uint64_t(descs_[i].offset), size = descs_[i].size;
            if (off < ahead) {
                const auto in_job = reads_.begin() + long(job_reads_[j]);
                auto hit = std::find_if(in_job, reads_.end(), [&](const FileRead& r) {
                    return off >= r.from && off + size <= r.from + r.len;
                });
                if (hit != reads_.end()) {
                    packed_at_[i++] = hit->at + (off - hit->from);
                    continue;
                }
            }
            size_t k = i + 1;
            uint64_t end = off + size;
            while (k < job_end && uint64_t(descs_[k].offset) == end) end += descs_[k++].size;
            reads_.push_back({off, end - off, need});
            for (size_t m = i, pos = size_t(need); m < k; pos += descs_[m].size, m++) packed_at_[m] = pos;
            need += end - off;
            ahead = std::max(ahead, end);
            i = k;
        }
        job_reads_[j + 1] = reads_.size();
    }
    // Grow only: a buffer reused from span to span costs no page faults.
    if (packed_.size() < need) packed_.resize(size_t(need));
    packed_len_ = size_t(need);
}

bool KdumpReader::read_job(size_t job, uint8_t* packed) {
    for (size_t r = job_reads_[job]; r < job_reads_[job + 1]; r++)
        if (!pages_.read_file(packed + reads_[r].at, size_t(reads_[r].len), reads_[r].from)) return false;
    return true;
}

KdumpReader::~KdumpReader() {
    for (Decompressors* d : decompressors_) delete d;
}

// Each page decompressed as crash's diskdump.c does it (cache_page()), and
// kept only when it gives exactly one page.
bool KdumpReader::decompress_pages(size_t job, size_t first, size_t end, uint8_t* out) {
    const size_t page = size_t(pages_.page_size());
    Decompressors& dc = *decompressors_.at(job);
    for (size_t k = first; k < end; k++) {
        const PageDesc& d = descs_[k];
        uint8_t* dst = out + k * page;
        if (packed_at_[k] + d.size > packed_len_) return false;  // a damaged shared copy
        const uint8_t* src = packed_.data() + packed_at_[k];
        switch (d.flags & kCompressions) {
        case 0:
            if (d.size != page) return false;
            std::memcpy(dst, src, page);
            break;
        case kZlib: {  // one zlib stream (makedumpfile's compress2())
            size_t got = 0;
            if (!dc.zlib || libdeflate_zlib_decompress(dc.zlib, src, d.size, dst, page, &got) != LIBDEFLATE_SUCCESS ||
                got != page)
                return false;
            break;
        }
        case kLzo: {
            if (!lzo_ready()) return false;
            lzo_uint got = page;  // the room; then what was written
            // (lzo's `const lzo_bytep` is a const pointer to bytes it only
            // reads; its work memory, LZO1X_MEM_DECOMPRESS, is none.)
            if (lzo1x_decompress_safe(const_cast<uint8_t*>(src), d.size, dst, &got, nullptr) != LZO_E_OK ||
                got != page)
                return false;
            break;
        }
        case kSnappy: {
            // The length the stream announces first, then at most one
            // page's room (crash passes the announced length on).
            size_t got = 0;
            const char* in = reinterpret_cast<const char*>(src);
            if (snappy_uncompressed_length(in, d.size, &got) != SNAPPY_OK || got != page) return false;
            if (snappy_uncompress(in, d.size, reinterpret_cast<char*>(dst), &got) != SNAPPY_OK || got != page)
                return false;
            break;
        }
        case kZstd: {
            if (!dc.zstd && !(dc.zstd = ZSTD_createDCtx())) return false;
            const size_t got = ZSTD_decompressDCtx(dc.zstd, dst, page, src, d.size);
            if (ZSTD_isError(got) || got != page) return false;
            break;
        }
        default:
            return false;  // read_descriptors let through no other value
        }
    }
    return true;
}

}  // namespace lockalias
