// lockalias's Target over crash, through the C API of crash_api.h.
#include <algorithm>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

#include "command/command.h"
#include "dump/elf_dump_map.h"
#include "kernel/enum_values.h"
#include "dump/kdump_pages.h"
#include "dump/kdump_reader.h"
#include "dump/parallel.h"
#include "kernel/ptype_offsets.h"
#include "dump/target.h"
#include "crash_api.h"
#include "crash_target.h"

namespace {

using lockalias::PhysRange;

std::optional<long> present(long v) { return v >= 0 ? std::optional<long>(v) : std::nullopt; }

// gdb answers type questions in milliseconds, and a dump's debuginfo does
// not change during a crash session: remember every answer.
template <typename Ask>
auto cached(const std::string& question, Ask ask) -> decltype(ask()) {
    static std::map<std::string, decltype(ask())> answers;
    auto it = answers.find(question);
    if (it != answers.end()) return it->second;
    auto v = ask();
    answers.emplace(question, v);
    return v;
}

class CrashTarget final : public lockalias::Target {
public:
    bool read_kv(uint64_t a, void* b, size_t n) override { return la_read_kv(a, b, long(n)); }
    bool read_phys(uint64_t a, void* b, size_t n) override { return la_read_phys(a, b, long(n)); }
    std::vector<PhysRange> ram_ranges() override {
        uint64_t s[64], e[64];
        int n = la_ram_ranges(s, e, 64);
        std::vector<PhysRange> out;
        for (int i = 0; i < n; i++) out.push_back({s[i], e[i]});
        return out;
    }
    size_t page_size() override { return size_t(la_page_size()); }
    std::optional<uint64_t> kv_to_phys(uint64_t kv) override {
        uint64_t p;
        return la_kvtop(kv, &p) ? std::optional<uint64_t>(p) : std::nullopt;
    }
    uint64_t phys_to_direct_map(uint64_t p) override { return la_ptov(p); }
    std::optional<uint64_t> page_struct_of_phys(uint64_t p) override {
        uint64_t page;
        return la_phys_to_page(p, &page) ? std::optional<uint64_t>(page) : std::nullopt;
    }
    std::optional<uint64_t> symbol_address(const std::string& name) override {
        uint64_t a;
        return la_symbol_address(name.c_str(), &a) ? std::optional<uint64_t>(a) : std::nullopt;
    }
    std::string symbol_at(uint64_t addr) override {
        char buf[256];
        return la_symbol_at(addr, buf, sizeof buf) ? std::string(buf) : std::string();
    }
    std::optional<long> type_size(const std::string& t) override {
        return present(cached("size " + t, [&] { return la_type_size(t.c_str()); }));
    }
    std::optional<long> member_offset(const std::string& t, const std::string& m) override {
        return present(cached("offset " + t + "." + m, [&] { return la_member_offset(t.c_str(), m.c_str()); }));
    }
    std::optional<long> member_size(const std::string& t, const std::string& m) override {
        return present(cached("msize " + t + "." + m, [&] { return la_member_size(t.c_str(), m.c_str()); }));
    }
    std::optional<long> enum_value(const std::string& name) override {
        long v;
        const long absent = LONG_MIN;
        v = cached("enum " + name, [&] {
            long value;
            return la_enum_value(name.c_str(), &value) ? value : absent;
        });
        return v == absent ? std::nullopt : std::optional<long>(v);
    }
    std::optional<lockalias::EnumValues> enumerators(const std::string& enum_type) override {
        return cached("enumerators " + enum_type, [&] {
            char* text = la_enumerators(enum_type.c_str());
            std::optional<lockalias::EnumValues> v;
            if (text) v = lockalias::parse_enumerator_list(text);
            free(text);
            if (v && v->empty()) v.reset();
            return v;
        });
    }
    std::optional<long> array_length(const std::string& sym) override {
        return present(cached("length " + sym, [&] { return la_array_length(sym.c_str()); }));
    }
    std::optional<std::pair<long, long>> member_bits(const std::string& type,
                                                     const std::string& member) override {
        auto it = layouts_.find(type);
        if (it == layouts_.end()) {
            char* text = la_ptype_offsets(type.c_str());
            it = layouts_.emplace(type, lockalias::parse_ptype_offsets(text ? text : "")).first;
            free(text);
        }
        auto f = it->second.find(member);
        if (f == it->second.end()) return std::nullopt;
        return std::make_pair(f->second.bit_offset, f->second.bit_size);
    }
    const uint8_t* phys_span(uint64_t paddr, size_t len) override {
        if (!elf_tried_ && !read_all()) open_elf();
        if (elf_) return elf_->span(paddr, len);
        if (!kdump_tried_ && !read_all()) open_kdump();
        return kdump_reader_ ? kdump_reader_->span(paddr, len) : nullptr;
    }
    std::optional<std::vector<PhysRange>> dumped_parts(const PhysRange& range) override {
        if (!kdump_tried_ && !read_all()) open_kdump();
        if (!kdump_) return std::nullopt;
        return kdump_->dumped_parts(range);
    }
    std::optional<std::string> kernel_log() override {
        if (!log_) return std::nullopt;
        return std::string(log_);
    }
    bool interrupted() override {
        // crash's SIGINT handler only sets a flag; remember it once seen.
        if (!stop_ && la_interrupted()) stop_ = true;
        return stop_;
    }

    explicit CrashTarget(const char* log) : log_(log) {}

private:
    // Maps an ELF dump for direct reads, if crash reads it as one and the
    // mapping agrees with crash's own reads on sample pages.
    void open_elf() {
        elf_tried_ = true;
        char path[4096];
        if (!la_elf_dumpfile(path, sizeof path)) return;
        auto map = std::make_unique<lockalias::ElfDumpMap>();
        if (!map->open(path)) return;
        uint64_t s[64], e[64];
        int n = la_ram_ranges(s, e, 64);
        int checked = 0;
        for (int i = 0; i < n; i++) {
            for (uint64_t p : {s[i], s[i] + (e[i] - s[i]) / 2 / 4096 * 4096}) {
                std::vector<uint8_t> via_crash(4096);
                const uint8_t* mapped = map->span(p, 4096);
                if (!la_read_phys(p, via_crash.data(), 4096)) continue;  // hole: nothing to compare
                if (!mapped || std::memcmp(mapped, via_crash.data(), 4096) != 0) return;
                checked++;
            }
        }
        if (checked) elf_ = std::move(map);
    }

    // LOCKALIAS_READ_ALL=1 turns off both shortcuts around crash's reads
    // (ELF mapping, kdump bitmap): for a benchmark, or when in doubt.
    static bool read_all() {
        const char* v = getenv("LOCKALIAS_READ_ALL");
        return v && *v && strcmp(v, "0") != 0;
    }

    // Reads a compressed kdump's bitmap of dumped pages, if crash reads the
    // dump as one and the bitmap agrees with crash's reads on sample pages:
    // spread over RAM, and the first pages of the first parts and gaps.
    void open_kdump() {
        kdump_tried_ = true;
        char path[4096];
        if (!la_kdump_dumpfile(path, sizeof path)) return;
        auto pages = std::make_unique<lockalias::KdumpPages>();
        if (!pages->open(path) || pages->page_size() != uint64_t(la_page_size())) return;
        const uint64_t page = pages->page_size();
        std::vector<uint64_t> samples;
        uint64_t s[64], e[64];
        int n = la_ram_ranges(s, e, 64);
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 32; k++) samples.push_back((s[i] + (e[i] - s[i]) / 32 * k) / page);
            uint64_t prev_end = s[i];
            int parts = 0;
            // The first parts and gaps (of the first GiB: a fragmented
            // bitmap may have millions of parts).
            for (const PhysRange& r : pages->dumped_parts({s[i], std::min<uint64_t>(e[i], s[i] + (1ULL << 30))})) {
                if (parts++ == 8) break;
                samples.push_back(r.start / page);
                if (r.start > prev_end) samples.push_back(prev_end / page);
                prev_end = r.end;
            }
        }
        // In address order: the reader counts dumped pages forward.
        std::sort(samples.begin(), samples.end());
        samples.erase(std::unique(samples.begin(), samples.end()), samples.end());
        std::vector<uint8_t> buf(page);
        int agreed = 0;
        for (uint64_t pfn : samples) {
            if (pages->dumped(pfn) != bool(la_read_phys(pfn * page, buf.data(), long(page)))) return;
            agreed++;
        }
        if (!agreed) return;
        // The pages themselves, inflated here, must be crash's pages.
        auto reader = std::make_unique<lockalias::KdumpReader>(*pages, lockalias::worker_threads());
        int same = 0;
        for (uint64_t pfn : samples) {
            if (!pages->dumped(pfn) || !la_read_phys(pfn * page, buf.data(), long(page))) continue;
            const uint8_t* mine = reader->span(pfn * page, page);
            if (!mine || std::memcmp(mine, buf.data(), page) != 0) {
                reader.reset();
                break;
            }
            same++;
        }
        kdump_ = std::move(pages);
        if (reader && same) kdump_reader_ = std::move(reader);
    }

    const char* log_;
    bool kdump_tried_ = false;
    std::unique_ptr<lockalias::KdumpPages> kdump_;
    std::unique_ptr<lockalias::KdumpReader> kdump_reader_;  // reads kdump_'s file
    bool elf_tried_ = false;
    std::unique_ptr<lockalias::ElfDumpMap> elf_;
    std::map<std::string, lockalias::PtypeLayout> layouts_;
    bool stop_ = false;
};

}  // namespace

std::unique_ptr<lockalias::Target> make_crash_target(const char* log) {
    return std::make_unique<CrashTarget>(log);
}
