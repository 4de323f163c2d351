// The floor under a scan of a compressed kdump: every dumped page read and
// decompressed by lockalias's own reader (src/dump/kdump_reader.h), on the
// same threads and in the same 1 MiB views as the scan, with no search.
// Prints "SECONDS PAGES". Usage: bench_read_floor KDUMP [REPEATS]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "dump/kdump_pages.h"
#include "dump/kdump_reader.h"
#include "dump/parallel.h"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s KDUMP [REPEATS]\n", argv[0]);
        return 2;
    }
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
    lockalias::KdumpPages pages;
    if (!pages.open(argv[1])) {
        std::fprintf(stderr, "%s: %s\n", argv[1], pages.why().c_str());
        return 1;
    }
    const uint64_t page = pages.page_size(), view = lockalias::KdumpReader::kMaxSpan;
    double best = 1e30;
    uint64_t read = 0;
    for (int r = 0; r < repeats; r++) {
        lockalias::KdumpReader reader(pages, lockalias::worker_threads());
        read = 0;
        const auto t0 = std::chrono::steady_clock::now();
        for (const lockalias::PhysRange& part : pages.dumped_parts({0, pages.max_pfn() * page})) {
            for (uint64_t at = part.start; at < part.end; at += view) {
                const uint64_t len = std::min(view, part.end - at);
                if (!reader.span(at, len)) {
                    std::fprintf(stderr, "%s: pages at %#llx cannot be read here\n", argv[1],
                                 (unsigned long long)at);
                    return 1;
                }
                read += len / page;
            }
        }
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::printf("%.6f %llu\n", best, (unsigned long long)read);
    return 0;
}
