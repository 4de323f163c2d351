// A tiny synthetic kernel for unit tests: flat physical memory, a direct
// map, a kernel image with lock_classes[], and a made-up but complete set
// of debuginfo answers. Tests place classes and maps and run the core;
// tests of the memory sources also say which dump file it stands for.
#pragma once
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "dump/dump_source.h"
#include "dump/target.h"

namespace lockalias::test {

class SyntheticKernel : public Target {
public:
    static constexpr uint64_t kPage = 4096;
    static constexpr uint64_t kMemBytes = 16 << 20;
    static constexpr uint64_t kDirectMap = 0xffff888000000000ULL;
    static constexpr uint64_t kImageKv = 0xffffffff81000000ULL;
    static constexpr uint64_t kImagePhys = 0x1000000 - (4 << 20);  // last 4 MiB
    static constexpr uint64_t kImageLen = 4 << 20;
    static constexpr long kClassSize = 128, kClassCount = 64, kMapSize = 40;

    // Offsets of this synthetic build (deliberately not the real kernel's).
    static constexpr long kMapKey = 0, kMapCache = 8, kMapName = 24, kMapOuter = 32,
                          kMapInner = 33, kMapLockType = 34;
    // lock_class.hash_entry at 0 (hlist_node: next 0, pprev 8), linked into
    // classhash_table[kHashBuckets] the way lockdep does.
    static constexpr long kClsHashEntry = 0, kHashBuckets = 64;
    static constexpr long kClsKey = 32, kClsSubclass = 40, kClsNameVersion = 48,
                          kClsName = 56, kClsInner = 64, kClsOuter = 65, kClsLockType = 66,
                          kClsUsage = 72;

    SyntheticKernel() : mem_(kMemBytes, 0) {
        symbols_["_text"] = kImageKv;
        symbols_["_end"] = kImageKv + kImageLen;
        symbols_["lock_classes"] = kImageKv + 0x100000;
        symbols_["lock_classes_in_use"] = kImageKv + 0x80000;
        symbols_["__lockdep_no_validate__"] = kImageKv + 0x90000;
        symbols_["classhash_table"] = kImageKv + 0xA0000;
        next_string_ = kImageKv + 0x200000;
    }

    // --- building the image ---
    uint64_t class_addr(long index) const { return symbols_.at("lock_classes") + index * kClassSize; }
    uint64_t add_string(const std::string& s) {
        uint64_t a = next_string_;
        write_kv(a, s.c_str(), s.size() + 1);
        next_string_ += (s.size() + 16) & ~7ULL;
        return a;
    }
    uint64_t add_class(long index, uint64_t key, unsigned subclass, const std::string& name,
                       unsigned outer, unsigned inner, bool in_use = true) {
        uint64_t c = class_addr(index);
        put64(c + kClsKey, key + subclass);
        put32(c + kClsSubclass, subclass);
        put32(c + kClsNameVersion, 1);
        put64(c + kClsName, add_string(name));
        put8(c + kClsInner, inner);
        put8(c + kClsOuter, outer);
        uint64_t bm = symbols_.at("lock_classes_in_use") + (index / 64) * 8;
        uint64_t word = get64(bm);
        word = in_use ? (word | (1ULL << (index % 64))) : (word & ~(1ULL << (index % 64)));
        put64(bm, word);
        unhash(c);
        if (in_use) hash(c, key + subclass);
        return c;
    }
    // The kernel's own bucket for a class key (__classhashfn: hash_long()).
    static uint64_t bucket_of(uint64_t subkey) { return (subkey * 0x61C8864680B583EBULL) >> (64 - 6); }
    uint64_t bucket_addr(uint64_t b) const { return symbols_.at("classhash_table") + b * 8; }
    // hlist_add_head_rcu(&class->hash_entry, bucket)
    void hash(uint64_t c, uint64_t subkey) { hash_at(c, bucket_of(subkey)); }
    void hash_at(uint64_t c, uint64_t bucket) {
        const uint64_t head = bucket_addr(bucket), node = c + kClsHashEntry;
        const uint64_t first = get64(head);
        put64(node, first);
        if (first) put64(first + 8, node);
        put64(head, node);
        put64(node + 8, head);
    }
    // Empties classhash_table and every class's links (add_class() again).
    void reset_hash() {
        for (long b = 0; b < kHashBuckets; b++) put64(bucket_addr(b), 0);
        for (long i = 0; i < kClassCount; i++) {
            put64(class_addr(i) + kClsHashEntry, 0);
            put64(class_addr(i) + kClsHashEntry + 8, 0);
        }
    }
    // hlist_del(): unlinks a class that is hashed.
    void unhash(uint64_t c) {
        const uint64_t node = c + kClsHashEntry, next = get64(node), pprev = get64(node + 8);
        if (!pprev) return;
        put64(pprev, next);
        if (next) put64(next + 8, pprev);
        put64(node, 0);
        put64(node + 8, 0);
    }
    // Places a map at a kernel virtual address (direct map or image).
    void add_map(uint64_t kv, uint64_t key, uint64_t cache0, uint64_t cache1,
                 const std::string& name, unsigned outer, unsigned inner) {
        put64(kv + kMapKey, key);
        put64(kv + kMapCache, cache0);
        put64(kv + kMapCache + 8, cache1);
        put64(kv + kMapName, name.empty() ? 0 : add_string(name));
        put8(kv + kMapOuter, outer);
        put8(kv + kMapInner, inner);
    }
    void put_raw_name(uint64_t map_kv, uint64_t name_ptr) { put64(map_kv + kMapName, name_ptr); }
    void make_unreadable(uint64_t phys) { unreadable_pfns_.insert(phys / kPage); }
    void drop_debuginfo(const std::string& type) { hidden_types_.insert(type); }
    void interrupt_after(int polls) { interrupt_after_ = polls; }
    void set_live(bool live) { live_ = live; }  // the running kernel, not a dump
    // A memory source like an ELF dump mapped in place: readable memory
    // served without a copy, nullptr across an unreadable page.
    std::unique_ptr<DumpSource> in_place_source() {
        struct InPlace final : DumpSource {
            SyntheticKernel& k;
            explicit InPlace(SyntheticKernel& kernel) : k(kernel) {}
            SourceKind kind() const override { return SourceKind::ElfInPlace; }
            const uint8_t* span(uint64_t p, size_t len) override {
                if (!len || p + len > kMemBytes || p + len < p) return nullptr;
                for (uint64_t pfn = p / kPage; pfn <= (p + len - 1) / kPage; pfn++)
                    if (k.unreadable_pfns_.count(pfn)) return nullptr;
                return k.mem_.data() + p;
            }
        };
        return std::make_unique<InPlace>(*this);
    }
    // Answer enum questions a whole enum at a time, as crash does, with this
    // kernel's lockdep_wait_type (per-name look-ups then fail).
    void list_enums(EnumValues wait_types) { wait_types_ = std::move(wait_types); }

    static uint64_t direct(uint64_t phys) { return kDirectMap + phys; }

    // --- the dump file behind the Target, and its debug channel ---
    // The physical memory, pfn 0 first: the bytes a test writes a dump file of.
    const std::vector<uint8_t>& memory() const { return mem_; }
    bool page_readable(uint64_t pfn) const { return pfn < kMemBytes / kPage && !unreadable_pfns_.count(pfn); }
    void set_dump_file(DumpFile file) { dump_file_ = std::move(file); }
    void set_debug_level(int level) { debug_level_ = level; }
    // Every message told to debug(), in order.
    const std::vector<std::string>& debug_messages() const { return debug_messages_; }

    // --- debuginfo of other kernel versions (vmalloc lists, page flags) ---
    void add_symbol(const std::string& name, uint64_t kv) { symbols_[name] = kv; }
    void add_field(const std::string& type, const std::string& member, long off, long size) {
        extra_fields_[type + "." + member] = {off, size};
    }
    void drop_field(const std::string& type, const std::string& member) { extra_fields_.erase(type + "." + member); }
    void add_type(const std::string& type, long size) { extra_types_[type] = size; }
    void add_enum(const std::string& type, EnumValues values) { extra_enums_[type] = std::move(values); }
    void set_array_length(const std::string& symbol, long n) { array_lengths_[symbol] = n; }
    // struct page array (64 bytes a page) in the direct map at this phys.
    static constexpr uint64_t kPageArrayPhys = 8 << 20;
    static constexpr long kPageStruct = 64;
    void use_page_structs() { page_structs_ = true; }
    static uint64_t page_struct(uint64_t phys) { return direct(kPageArrayPhys) + phys / kPage * kPageStruct; }
    // A vmalloc page: kv (page aligned) maps to phys.
    void map_vmalloc(uint64_t kv, uint64_t phys) { vmalloc_[kv / kPage] = phys / kPage; }

    // --- Target ---
    // Page by page, as crash's readmem() and drgn translate: a vmalloc
    // page's neighbour is not the next physical page.
    bool read_kv(uint64_t kv, void* buf, size_t len) override {
        auto* out = static_cast<uint8_t*>(buf);
        while (len) {
            const size_t n = std::min<size_t>(len, kPage - kv % kPage);
            auto p = kv_to_phys(kv);
            if (!p || !read_phys(*p, out, n)) return false;
            kv += n;
            out += n;
            len -= n;
        }
        return true;
    }
    bool read_phys(uint64_t p, void* buf, size_t len) override {
        if (p + len > kMemBytes || p + len < p) return false;
        for (uint64_t pfn = p / kPage; pfn <= (p + len - 1) / kPage; pfn++)
            if (unreadable_pfns_.count(pfn)) return false;
        std::memcpy(buf, mem_.data() + p, len);
        return true;
    }
    std::vector<PhysRange> memory_node_spans() override { return {{0, kMemBytes}}; }
    size_t page_size() override { return kPage; }
    std::optional<uint64_t> kv_to_phys(uint64_t kv) override {
        if (auto it = vmalloc_.find(kv / kPage); it != vmalloc_.end()) return it->second * kPage + kv % kPage;
        if (kv >= kImageKv && kv - kImageKv < kImageLen) return kImagePhys + (kv - kImageKv);
        if (kv >= kDirectMap && kv - kDirectMap < kMemBytes) return kv - kDirectMap;
        return std::nullopt;
    }
    uint64_t phys_to_direct_map(uint64_t p) override { return kDirectMap + p; }
    std::optional<uint64_t> page_struct_of_phys(uint64_t p) override {
        if (!page_structs_) return std::nullopt;
        return page_struct(p);
    }
    std::optional<uint64_t> symbol_address(const std::string& n) override {
        auto it = symbols_.find(n);
        if (it == symbols_.end()) return std::nullopt;
        return it->second;
    }
    std::string symbol_at(uint64_t a) override {
        for (auto& [n, v] : symbols_)
            if (v == a && n[0] != '_') return n;
        return "";
    }
    bool live() override { return live_; }
    std::optional<long> type_size(const std::string& t) override {
        if (hidden_types_.count(t)) return std::nullopt;
        if (t == "lockdep_map") return kMapSize;
        if (t == "lock_class") return kClassSize;
        if (t == "lockdep_subclass_key") return 1;
        if (t == "hlist_head") return 8;
        if (auto it = extra_types_.find(t); it != extra_types_.end()) return it->second;
        return std::nullopt;
    }
    std::optional<long> member_offset(const std::string& t, const std::string& m) override {
        auto f = field(t, m);
        if (!f.second) return std::nullopt;
        return f.first;
    }
    std::optional<long> member_size(const std::string& t, const std::string& m) override {
        auto f = field(t, m);
        if (!f.second) return std::nullopt;
        return f.second;
    }
    std::optional<EnumValues> enumerators(const std::string& type) override {
        if (auto it = extra_enums_.find(type); it != extra_enums_.end()) return it->second;
        if (wait_types_.empty() || type != "lockdep_wait_type") return std::nullopt;
        return wait_types_;
    }
    std::optional<long> enum_value(const std::string& e) override {
        if (!wait_types_.empty()) return std::nullopt;
        static const std::map<std::string, long> v = {
            {"LD_WAIT_INV", 0}, {"LD_WAIT_FREE", 1}, {"LD_WAIT_SPIN", 2},
            {"LD_WAIT_CONFIG", 2}, {"LD_WAIT_SLEEP", 3}, {"LD_WAIT_MAX", 4}};
        auto it = v.find(e);
        if (it == v.end()) return std::nullopt;
        return it->second;
    }
    std::optional<long> array_length(const std::string& s) override {
        if (s == "lock_classes" && !hidden_types_.count("lock_class")) return kClassCount;
        if (s == "classhash_table") return kHashBuckets;
        if (auto it = array_lengths_.find(s); it != array_lengths_.end()) return it->second;
        return std::nullopt;
    }
    bool interrupted() override { return interrupt_after_ >= 0 && polls_++ >= interrupt_after_; }
    DumpFile dump_file() override { return dump_file_; }
    int debug_level() override { return debug_level_; }
    void debug(const std::string& message) override { debug_messages_.push_back(message); }

    void put64(uint64_t kv, uint64_t v) { write_kv(kv, &v, 8); }
    void put32(uint64_t kv, uint32_t v) { write_kv(kv, &v, 4); }
    void put8(uint64_t kv, uint8_t v) { write_kv(kv, &v, 1); }
    uint64_t get64(uint64_t kv) {
        uint64_t v = 0;
        auto p = kv_to_phys(kv);
        std::memcpy(&v, mem_.data() + *p, 8);
        return v;
    }
    void write_kv(uint64_t kv, const void* src, size_t len) {
        auto p = kv_to_phys(kv);
        std::memcpy(mem_.data() + *p, src, len);
    }

private:
    std::pair<long, long> field(const std::string& t, const std::string& m) const {
        if (hidden_types_.count(t)) return {0, 0};
        static const std::map<std::string, std::pair<long, long>> f = {
            {"lockdep_map.key", {kMapKey, 8}}, {"lockdep_map.class_cache", {kMapCache, 16}},
            {"lockdep_map.name", {kMapName, 8}}, {"lockdep_map.wait_type_outer", {kMapOuter, 1}},
            {"lockdep_map.wait_type_inner", {kMapInner, 1}}, {"lockdep_map.lock_type", {kMapLockType, 1}},
            {"lock_class.key", {kClsKey, 8}}, {"lock_class.subclass", {kClsSubclass, 4}},
            {"lock_class.name_version", {kClsNameVersion, 4}}, {"lock_class.name", {kClsName, 8}},
            {"lock_class.wait_type_inner", {kClsInner, 1}}, {"lock_class.wait_type_outer", {kClsOuter, 1}},
            {"lock_class.lock_type", {kClsLockType, 1}}, {"lock_class.usage_mask", {kClsUsage, 8}},
            {"lock_class.hash_entry", {kClsHashEntry, 16}}, {"hlist_node.next", {0, 8}},
            {"hlist_node.pprev", {8, 8}},
        };
        auto it = f.find(t + "." + m);
        if (it == f.end()) {
            auto x = extra_fields_.find(t + "." + m);
            return x == extra_fields_.end() ? std::pair<long, long>{0, 0} : x->second;
        }
        return it->second;
    }

    std::vector<uint8_t> mem_;
    std::map<std::string, uint64_t> symbols_;
    std::set<uint64_t> unreadable_pfns_;
    std::set<std::string> hidden_types_;
    uint64_t next_string_;
    int interrupt_after_ = -1;
    EnumValues wait_types_;
    int polls_ = 0;
    std::map<std::string, std::pair<long, long>> extra_fields_;
    std::map<std::string, long> extra_types_;
    std::map<std::string, EnumValues> extra_enums_;
    std::map<std::string, long> array_lengths_;
    bool live_ = false;
    std::map<uint64_t, uint64_t> vmalloc_;  // kv page -> pfn
    bool page_structs_ = false;
    DumpFile dump_file_;  // none: Other, no path
    int debug_level_ = 0;
    std::vector<std::string> debug_messages_;
};

}  // namespace lockalias::test
