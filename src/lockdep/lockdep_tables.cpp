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
    std::vector<ObjectSymbol> present;
    std::vector<const Known*> which;
    for (const Known& k : known)
        if (auto addr = t.symbol_address(k.symbol)) {
            present.push_back({k.symbol, *addr});
            which.push_back(&k);
        }
    // Sizes from the symbol table when the Target has them (one pass for
    // all), else length x element size from debuginfo.
    const std::vector<std::optional<uint64_t>> sizes = t.object_sizes(present);
    std::vector<KernelTable> out;
    for (size_t i = 0; i < present.size(); i++) {
        const Known& k = *which[i];
        std::optional<uint64_t> bytes;
        if (i < sizes.size()) bytes = sizes[i];
        if (!bytes) {
            auto count = t.array_length(k.symbol);
            std::optional<long> elem = k.element_bytes;
            if (*k.element) elem = t.type_size(k.element);
            if (count && *count > 0 && elem && *elem > 0) bytes = uint64_t(*count) * uint64_t(*elem);
        }
        if (!bytes || !*bytes) continue;
        auto phys = t.kv_to_phys(present[i].address);
        if (!phys) continue;
        out.push_back({k.symbol, {*phys, *phys + *bytes}});
    }
    return out;
}

}  // namespace lockalias
