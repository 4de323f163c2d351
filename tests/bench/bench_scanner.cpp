// Google Benchmark: the scan's hot loop (find_class_pointers) on a synthetic
// memory image in RAM, beside a plain read of the same bytes (the machine's
// memory-bandwidth floor for this access pattern), so the ratio is printed
// from one run.
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "analysis/class_pointer_search.h"
#include "dump/parallel.h"

namespace {

using lockalias::ClassArray;

// 64 MiB of kernel-looking words: mostly pointers and small integers, with
// a class pointer every few KiB, like slab pages full of locks.
const std::vector<uint8_t>& image() {
    static std::vector<uint8_t> mem = [] {
        std::vector<uint8_t> m(64 << 20);
        std::mt19937_64 rng(42);
        const ClassArray s{0xffffffff82a00000ULL, 200, 8192};
        for (size_t i = 0; i + 8 <= m.size(); i += 8) {
            uint64_t v;
            switch (rng() % 4) {
            case 0: v = 0xffff888000000000ULL + (rng() % (1ULL << 30)); break;
            case 1: v = rng() % 4096; break;
            case 2: v = 0; break;
            default: v = rng(); break;
            }
            if (i % 4096 == 1024) v = s.base + (rng() % s.count) * s.size;
            std::memcpy(&m[i], &v, 8);
        }
        return m;
    }();
    return mem;
}

// Arguments: view size in MiB, threads. Each view is searched in 1 MiB
// parts on that many threads (the caller's included), as an ELF dump's
// 16 MiB views are (the scan's MapCollector::whole()); 1 MiB on one thread
// is a read through crash.
void scan_image(benchmark::State& state, const lockalias::KeySet* keys) {
    const auto& mem = image();
    const ClassArray s{0xffffffff82a00000ULL, 200, 8192};
    lockalias::SpanSearch search(s, keys);
    const size_t chunk = size_t(state.range(0)) << 20, part = 1 << 20;
    const size_t parts = chunk / part;
    const unsigned threads = unsigned(state.range(1));
    for (auto _ : state) {
        for (size_t off = 0; off < mem.size(); off += chunk) {
            search.parts(parts);
            lockalias::run_parallel_in_order(
                parts, threads, [&](size_t p) { search.part(p, mem.data() + off, p * part, (p + 1) * part); },
                [&](size_t p) { benchmark::DoNotOptimize(search.hits(p).data()); });
        }
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(mem.size()));
}

void BM_FindClassPointers(benchmark::State& state) { scan_image(state, nullptr); }
BENCHMARK(BM_FindClassPointers)
    ->Args({1, 1})->Args({16, 1})->Args({16, 2})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// The same with the keys of 1500 live classes (latent-alias search), as
// many as a distribution kernel registers: the extra cost per word is the
// kernel-pointer test, and a filter probe for each direct-map pointer.
void BM_FindClassPointersAndKeys(benchmark::State& state) {
    std::mt19937_64 rng(7);
    std::vector<uint64_t> keys;
    for (int i = 0; i < 1500; i++) keys.push_back(0xffffffff83000000ULL + (rng() % (1 << 24)) * 16);
    const lockalias::KeySet key_set(keys);
    scan_image(state, &key_set);
}
BENCHMARK(BM_FindClassPointersAndKeys)
    ->Args({1, 1})->Args({16, 1})->Args({16, 2})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// One 256 KiB view searched again and again, so it stays in the L2 cache:
// a kdump's pages just decompressed, where the search is bound by
// instructions, not memory. Argument 0: find_class_pointers() (four words a
// step where the CPU has AVX2), 1: the scalar reference, in the same run.
void BM_FindInCache(benchmark::State& state) {
    const auto& mem = image();
    const ClassArray s{0xffffffff82a00000ULL, 200, 8192};
    std::mt19937_64 rng(7);
    std::vector<uint64_t> keys;
    for (int i = 0; i < 1500; i++) keys.push_back(0xffffffff83000000ULL + (rng() % (1 << 24)) * 16);
    const lockalias::KeySet key_set(keys);
    const size_t view = 256 << 10;
    std::vector<uint32_t> hits;
    for (auto _ : state) {
        hits.clear();
        if (state.range(0) == 0) lockalias::find_class_pointers(mem.data(), view, s, hits, &key_set);
        else lockalias::find_class_pointers_scalar(mem.data(), view, s, hits, &key_set);
        benchmark::DoNotOptimize(hits.data());
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(view));
    state.SetLabel(state.range(0) == 0 ? "find_class_pointers" : "scalar reference");
}
BENCHMARK(BM_FindInCache)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// The floor: touch every word once (sum), same buffer, same chunking.
void BM_ReadEveryWord(benchmark::State& state) {
    const auto& mem = image();
    for (auto _ : state) {
        uint64_t sum = 0;
        for (size_t i = 0; i + 8 <= mem.size(); i += 8) {
            uint64_t v;
            std::memcpy(&v, &mem[i], 8);
            sum += v;
        }
        benchmark::DoNotOptimize(sum);
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(mem.size()));
}
BENCHMARK(BM_ReadEveryWord)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
