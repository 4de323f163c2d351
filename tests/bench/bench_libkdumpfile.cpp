// The same floor as bench_read_floor, read through libkdumpfile instead of
// lockalias's own kdump reader (issue 16, item 3): every page the dump's
// bitmap says is dumped -- the page list of KdumpPages::dumped_parts, the
// one bench_read_floor reads -- read by kdump_read(KDUMP_MACHPHYSADDR) in
// the same 1 MiB views, with no search. Prints "SECONDS PAGES" (best of
// REPEATS, each with a fresh context, so no page comes from the previous
// pass's cache).
//
// THREADS 1 is one context on the calling thread. THREADS > 1 gives each
// thread a kdump_clone() of one opened context (libkdumpfile's way to
// read from several threads: the clones share the file and the page
// cache) and hands out the 1 MiB views from a shared counter.
//
// Before timing, two checks, which fail loudly (exit 1):
//  - the page set: libkdumpfile's own map of the pages in the file
//    (file.pagemap) must hold exactly the pages of dumped_parts, so both
//    benchmarks read the same pages;
//  - the bytes: every dumped page, read by both KdumpReader and
//    libkdumpfile, must be identical (all pages, not a sample: it costs
//    about as much as one timed pass of each).
// Usage: bench_libkdumpfile KDUMP [REPEATS [THREADS [CACHE_PAGES]]]
#include <fcntl.h>
#include <libkdumpfile/kdumpfile.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "dump/kdump_pages.h"
#include "dump/kdump_reader.h"
#include "dump/parallel.h"

namespace {

struct View {
    uint64_t at, len;
};

[[noreturn]] void die(const char* path, const char* what, kdump_ctx_t* ctx = nullptr) {
    const char* err = ctx ? kdump_get_err(ctx) : nullptr;
    std::fprintf(stderr, "bench_libkdumpfile: %s: %s%s%s\n", path, what, err ? ": " : "",
                 err ? err : "");
    std::exit(1);
}

// A context on the dump, opened (the fd stays open for the context's life).
unsigned long cache_pages = 0;  // libkdumpfile's cache.size; 0: its default

kdump_ctx_t* open_dump(const char* path, int* fd_out) {
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die(path, "cannot open");
    kdump_ctx_t* ctx = kdump_new();
    if (!ctx) die(path, "kdump_new failed");
    if (kdump_open_fd(ctx, fd) != KDUMP_OK) die(path, "libkdumpfile cannot open it", ctx);
    if (cache_pages && kdump_set_number_attr(ctx, "cache.size", cache_pages) != KDUMP_OK)
        die(path, "cannot set cache.size", ctx);
    *fd_out = fd;
    return ctx;
}

void close_dump(kdump_ctx_t* ctx, int fd) {
    kdump_free(ctx);
    close(fd);
}

void read_view(const char* path, kdump_ctx_t* ctx, const View& v, uint8_t* buf) {
    size_t len = v.len;
    if (kdump_read(ctx, KDUMP_MACHPHYSADDR, v.at, buf, &len) != KDUMP_OK || len != v.len) {
        char what[96];
        std::snprintf(what, sizeof what, "kdump_read of %#llx (+%#llx) failed",
                      (unsigned long long)v.at, (unsigned long long)v.len);
        die(path, what, ctx);
    }
}

// libkdumpfile's pages in the file, as pfn ranges below max_pfn.
std::vector<std::pair<uint64_t, uint64_t>> libkdumpfile_pages(const char* path, kdump_ctx_t* ctx,
                                                              uint64_t max_pfn) {
    kdump_attr_t attr;
    attr.type = KDUMP_BITMAP;
    if (kdump_get_typed_attr(ctx, KDUMP_ATTR_FILE_PAGEMAP, &attr) != KDUMP_OK)
        die(path, "no " KDUMP_ATTR_FILE_PAGEMAP, ctx);
    kdump_bmp_t* bmp = attr.val.bitmap;
    kdump_bmp_incref(bmp);
    std::vector<std::pair<uint64_t, uint64_t>> out;
    kdump_addr_t pfn = 0;
    while (pfn < max_pfn) {
        if (kdump_bmp_find_set(bmp, &pfn) != KDUMP_OK || pfn >= max_pfn) break;  // no more set bits
        kdump_addr_t end = pfn;
        if (kdump_bmp_find_clear(bmp, &end) != KDUMP_OK) end = max_pfn;
        end = std::min<kdump_addr_t>(end, max_pfn);
        out.emplace_back(pfn, end);
        pfn = end;
    }
    // Nothing set at or beyond max_pfn either (the two maps cover the same pfns).
    kdump_addr_t beyond = max_pfn;
    if (kdump_bmp_find_set(bmp, &beyond) == KDUMP_OK)
        std::fprintf(stderr, "bench_libkdumpfile: %s: libkdumpfile has a page at pfn %#llx, "
                     "beyond the bitmap's %#llx pfns\n", path, (unsigned long long)beyond,
                     (unsigned long long)max_pfn);
    kdump_bmp_decref(bmp);
    return out;
}

// One pass over every view; returns seconds.
double timed_pass(const char* path, const std::vector<View>& views, unsigned threads) {
    int fd;
    kdump_ctx_t* ctx = open_dump(path, &fd);
    std::vector<kdump_ctx_t*> clones;
    for (unsigned t = 1; t < threads; t++) {
        kdump_ctx_t* c = kdump_clone(ctx, 0);
        if (!c) die(path, "kdump_clone failed", ctx);
        clones.push_back(c);
    }
    std::vector<std::vector<uint8_t>> bufs(threads, std::vector<uint8_t>(lockalias::KdumpReader::kMaxSpan));
    std::atomic<size_t> next{0};
    auto worker = [&](kdump_ctx_t* c, uint8_t* buf) {
        for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < views.size();)
            read_view(path, c, views[i], buf);
    };
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; t++) pool.emplace_back(worker, clones[t - 1], bufs[t].data());
    worker(ctx, bufs[0].data());
    for (std::thread& th : pool) th.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (kdump_ctx_t* c : clones) kdump_free(c);
    close_dump(ctx, fd);
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s KDUMP [REPEATS [THREADS [CACHE_PAGES]]]\n", argv[0]);
        return 2;
    }
    const char* path = argv[1];
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
    const int threads = argc > 3 ? std::atoi(argv[3]) : 1;
    cache_pages = argc > 4 ? std::strtoul(argv[4], nullptr, 0) : 0;
    if (repeats < 1 || threads < 1) {
        std::fprintf(stderr, "usage: %s KDUMP [REPEATS [THREADS [CACHE_PAGES]]]\n", argv[0]);
        return 2;
    }

    // The page list: the one bench_read_floor reads, in the same views.
    lockalias::KdumpPages pages;
    if (!pages.open(path)) die(path, pages.why().c_str());
    const uint64_t page = pages.page_size(), view = lockalias::KdumpReader::kMaxSpan;
    std::vector<View> views;
    uint64_t npages = 0;
    const std::vector<lockalias::PhysRange> parts = pages.dumped_parts({0, pages.max_pfn() * page});
    for (const lockalias::PhysRange& part : parts)
        for (uint64_t at = part.start; at < part.end; at += view) {
            views.push_back({at, std::min(view, part.end - at)});
            npages += views.back().len / page;
        }

    // Check 1: libkdumpfile holds exactly these pages.
    int fd;
    kdump_ctx_t* ctx = open_dump(path, &fd);
    kdump_num_t lk_page = 0;
    if (kdump_get_number_attr(ctx, KDUMP_ATTR_PAGE_SIZE, &lk_page) != KDUMP_OK || lk_page != page)
        die(path, "libkdumpfile's page size is not the header's", ctx);
    const auto lk_ranges = libkdumpfile_pages(path, ctx, pages.max_pfn());
    std::vector<std::pair<uint64_t, uint64_t>> our_ranges;
    for (const lockalias::PhysRange& part : parts) {
        if (!our_ranges.empty() && our_ranges.back().second == part.start / page)
            our_ranges.back().second = part.end / page;
        else
            our_ranges.emplace_back(part.start / page, part.end / page);
    }
    if (lk_ranges != our_ranges) {
        std::fprintf(stderr, "bench_libkdumpfile: %s: page sets differ: %zu ranges in dumped_parts, "
                     "%zu in libkdumpfile's file.pagemap\n", path, our_ranges.size(), lk_ranges.size());
        for (size_t i = 0; i < std::max(our_ranges.size(), lk_ranges.size()); i++) {
            const bool a = i < our_ranges.size(), b = i < lk_ranges.size();
            if (a && b && our_ranges[i] == lk_ranges[i]) continue;
            std::fprintf(stderr, "  first difference at range %zu: ours [%#llx, %#llx), libkdumpfile's "
                         "[%#llx, %#llx)\n", i,
                         a ? (unsigned long long)our_ranges[i].first : 0ULL,
                         a ? (unsigned long long)our_ranges[i].second : 0ULL,
                         b ? (unsigned long long)lk_ranges[i].first : 0ULL,
                         b ? (unsigned long long)lk_ranges[i].second : 0ULL);
            break;
        }
        return 1;
    }
    // ... and refuses a page outside them (the first page of each gap).
    size_t gaps_checked = 0;
    for (size_t i = 0; i <= our_ranges.size(); i++) {
        const uint64_t gap = i ? our_ranges[i - 1].second : 0;
        if ((i < our_ranges.size() && gap == our_ranges[i].first) || gap >= pages.max_pfn()) continue;
        std::vector<uint8_t> one(page);
        size_t len = page;
        if (kdump_read(ctx, KDUMP_MACHPHYSADDR, gap * page, one.data(), &len) != KDUMP_ERR_NODATA) {
            std::fprintf(stderr, "bench_libkdumpfile: %s: pfn %#llx is not dumped, yet libkdumpfile "
                         "does not answer KDUMP_ERR_NODATA\n", path, (unsigned long long)gap);
            return 1;
        }
        gaps_checked++;
    }

    // Check 2: every page, byte for byte, against lockalias's reader.
    {
        lockalias::KdumpReader reader(pages, lockalias::worker_threads());
        std::vector<uint8_t> buf(view);
        for (const View& v : views) {
            const uint8_t* ours = reader.span(v.at, v.len);
            if (!ours) die(path, "KdumpReader cannot read a dumped page");
            read_view(path, ctx, v, buf.data());
            if (std::memcmp(ours, buf.data(), v.len) != 0) {
                uint64_t off = 0;
                while (ours[off] == buf[off]) off++;
                std::fprintf(stderr, "bench_libkdumpfile: %s: MISMATCH at paddr %#llx: KdumpReader and "
                             "libkdumpfile disagree\n", path, (unsigned long long)(v.at + off));
                return 1;
            }
        }
    }
    const char* format = nullptr;
    kdump_get_string_attr(ctx, KDUMP_ATTR_FILE_FORMAT, &format);
    kdump_num_t cache_size = 0;
    kdump_get_number_attr(ctx, "cache.size", &cache_size);
    std::fprintf(stderr, "bench_libkdumpfile: %s (%s, cache.size %llu): same %llu pages in both maps (%zu ranges, "
                 "%zu gaps refused with KDUMP_ERR_NODATA), all %llu byte-identical to KdumpReader\n",
                 path, format ? format : "?", (unsigned long long)cache_size, (unsigned long long)npages, our_ranges.size(), gaps_checked,
                 (unsigned long long)npages);
    close_dump(ctx, fd);

    double best = 1e30;
    for (int r = 0; r < repeats; r++) best = std::min(best, timed_pass(path, views, threads));
    std::printf("%.6f %llu\n", best, (unsigned long long)npages);
    return 0;
}
