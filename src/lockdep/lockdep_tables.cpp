#include "lockdep/lockdep_tables.h"

namespace lockalias {

std::vector<KernelTable> lockdep_own_tables(Target& t) {
    // symbol, element type (or "" with a fixed element size)
    struct Known { const char* symbol; const char* element; long element_bytes; };
    static const Known known[] = {
        {"lock_classes", "lock_class", 0},
        {"list_entries", "lock_list", 0},
        {"lock_chains", "lock_chain", 0},
        {"classhash_table", "hlist_head", 0},
        {"chainhash_table", "hlist_head", 0},
        {"lock_keys_hash", "hlist_head", 0},
        {"stack_trace_hash", "hlist_head", 0},
        {"stack_trace", "", 8},   // unsigned long[]
        {"chain_hlocks", "", 2},  // u16[]
    };
    std::vector<KernelTable> out;
    for (const Known& k : known) {
        auto addr = t.symbol_address(k.symbol);
        auto count = t.array_length(k.symbol);
        std::optional<long> elem = k.element_bytes;
        if (*k.element) elem = t.type_size(k.element);
        if (!addr || !count || *count <= 0 || !elem || *elem <= 0) continue;
        auto phys = t.kv_to_phys(*addr);
        if (!phys) continue;
        out.push_back({k.symbol, {*phys, *phys + uint64_t(*count) * uint64_t(*elem)}});
    }
    return out;
}

}  // namespace lockalias
