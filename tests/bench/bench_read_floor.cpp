// The floor under a scan of a compressed kdump: every dumped page read and
// decompressed by lockalias's own reader (src/dump/kdump_reader.h), on the
// same threads and in the same 1 MiB views as the scan, with no search.
// A split dump's files are given together (FILE+FILE...): each file's own
// pfn range, read by its own reader, as the scan does.
// Prints "SECONDS PAGES". Usage: bench_read_floor KDUMP[+KDUMP...] [REPEATS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "dump/kdump_pages.h"
#include "dump/kdump_reader.h"
#include "dump/parallel.h"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s KDUMP[+KDUMP...] [REPEATS]\n", argv[0]);
        return 2;
    }
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
    std::vector<std::string> paths;
    for (std::string rest = argv[1];;) {
        const size_t plus = rest.find('+');
        paths.push_back(rest.substr(0, plus));
        if (plus == std::string::npos) break;
        rest = rest.substr(plus + 1);
    }
    std::vector<std::unique_ptr<lockalias::KdumpPages>> files;
    for (const std::string& path : paths) {
        files.push_back(std::make_unique<lockalias::KdumpPages>());
        const bool ok = paths.size() == 1 ? files.back()->open(path) : files.back()->open_split_part(path);
        if (!ok) {
            std::fprintf(stderr, "%s: %s\n", path.c_str(), files.back()->why().c_str());
            return 1;
        }
    }
    const uint64_t view = lockalias::KdumpReader::kMaxSpan;
    double best = 1e30;
    uint64_t read = 0;
    for (int r = 0; r < repeats; r++) {
        std::vector<std::unique_ptr<lockalias::KdumpReader>> readers;
        for (auto& pages : files)
            readers.push_back(std::make_unique<lockalias::KdumpReader>(*pages, lockalias::worker_threads()));
        read = 0;
        const auto t0 = std::chrono::steady_clock::now();
        for (size_t i = 0; i < files.size(); i++) {
            lockalias::KdumpPages& pages = *files[i];
            const uint64_t page = pages.page_size();
            for (const lockalias::PhysRange& part :
                 pages.dumped_parts({pages.first_pfn() * page, pages.end_pfn() * page})) {
                for (uint64_t at = part.start; at < part.end; at += view) {
                    const uint64_t len = std::min(view, part.end - at);
                    if (!readers[i]->span(at, len)) {
                        std::fprintf(stderr, "%s: pages at %#llx cannot be read here\n", paths[i].c_str(),
                                     (unsigned long long)at);
                        return 1;
                    }
                    read += len / page;
                }
            }
        }
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::printf("%.6f %llu\n", best, (unsigned long long)read);
    return 0;
}
