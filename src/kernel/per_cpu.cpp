#include "kernel/per_cpu.h"

namespace lockalias {

PerCpuOffsets per_cpu_offsets(Target& t) {
    PerCpuOffsets r;
    auto offsets = t.symbol_address("__per_cpu_offset");
    if (!offsets) {
        r.offsets = {0};
        return r;
    }
    uint32_t n = 0;
    auto ids = t.symbol_address("nr_cpu_ids");
    if (!ids || !t.read_kv(*ids, &n, sizeof n) || n == 0) n = uint32_t(t.array_length("__per_cpu_offset").value_or(0));
    if (n > 0 && n <= 65536) {
        r.offsets.resize(n);
        if (!t.read_kv(*offsets, r.offsets.data(), n * sizeof(uint64_t))) r.offsets.clear();
    }
    if (r.offsets.empty()) r.problem = "__per_cpu_offset[] is not readable";
    return r;
}

}  // namespace lockalias
