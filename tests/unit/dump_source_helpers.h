// What the memory-source tests share: a synthetic kernel whose every page
// holds bytes of its own, its kdump, temporary files, and the refusal of
// one source in a choice.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "dump/dump_source.h"
#include "dump_files.h"
#include "synthetic_kernel.h"

namespace lockalias::test {

// Every page holds bytes of its own: a page read from the wrong place
// (or decompressed wrong) differs from the Target's.
inline void fill_every_page(SyntheticKernel& t) {
    std::vector<uint8_t> bytes(SyntheticKernel::kMemBytes);
    for (size_t i = 0; i < bytes.size(); i++) bytes[i] = uint8_t(i * 31 / 7 + i / SyntheticKernel::kPage);
    t.write_kv(SyntheticKernel::direct(0), bytes.data(), bytes.size());
}

// The kdump of t's memory: pages the Target reads are dumped, the rest not.
inline KdumpSpec kdump_of(const SyntheticKernel& t) {
    KdumpSpec s;
    s.memory = t.memory();
    s.dumped = [&t](uint64_t pfn) { return t.page_readable(pfn); };
    return s;
}

struct TempFiles {
    std::vector<std::string> paths;
    ~TempFiles() {
        for (const std::string& p : paths) std::remove(p.c_str());
    }
};

inline SourcePolicy in_place() {
    SourcePolicy p;
    p.threads = 2;
    return p;
}

inline const RefusedSource* refusal_of(const ChosenSource& c, SourceKind k) {
    for (const RefusedSource& r : c.refused)
        if (r.kind == k) return &r;
    return nullptr;
}

}  // namespace lockalias::test
