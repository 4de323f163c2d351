// lockalias's Target over crash, through the C API of crash_api.h.
#include <exception>
#include <new>
#include <string>
#include <vector>

#include <algorithm>
#include <climits>
#include <cstring>
#include <cstdlib>
#include <map>
#include <memory>

#include "command/command.h"
#include "kernel/enum_values.h"
#include "dump/elf_symbol_sizes.h"
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
    std::vector<PhysRange> memory_node_spans() override {
        uint64_t s[64], e[64];
        int n = la_memory_node_spans(s, e, 64);
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
    std::vector<std::optional<uint64_t>> object_sizes(const std::vector<lockalias::ObjectSymbol>& objects) override {
        // The vmlinux's symbol table, read once per new list of names;
        // answers are remembered as gdb's are.
        static std::map<std::string, std::optional<uint64_t>> answers;
        auto key = [](const lockalias::ObjectSymbol& o) { return o.name + "@" + std::to_string(o.address); };
        std::vector<lockalias::ObjectSymbol> unknown;
        for (const auto& o : objects)
            if (!answers.count(key(o))) unknown.push_back(o);
        if (!unknown.empty()) {
            char path[4096];
            auto stext = symbol_address("_stext");
            std::vector<std::optional<uint64_t>> sizes(unknown.size());
            if (stext && la_namelist(path, sizeof path)) sizes = lockalias::elf_object_sizes(path, unknown, *stext);
            for (size_t i = 0; i < unknown.size(); i++) answers[key(unknown[i])] = sizes[i];
        }
        std::vector<std::optional<uint64_t>> out;
        for (const auto& o : objects) out.push_back(answers[key(o)]);
        return out;
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
    lockalias::DumpFile dump_file() override {
        char path[4096];
        if (la_elf_dumpfile(path, sizeof path)) return {lockalias::DumpFormat::Elf, path};
        if (!la_kdump_dumpfile(path, sizeof path)) return {};
        lockalias::DumpFile file{lockalias::DumpFormat::Diskdump, path};
        if (char* list = la_kdump_split_files()) {
            file.paths = split_file_names(list);
            free(list);
            if (file.paths.size() < 2) return {};  // not as crash prints them: leave it to crash
        }
        return file;
    }
    // show_split_dumpfiles()'s lines: the first flush left, the others
    // indented 14 spaces, each name followed by its notes.
    static std::vector<std::string> split_file_names(const std::string& text) {
        std::vector<std::string> names;
        size_t at = 0;
        while (at < text.size()) {
            size_t end = text.find('\n', at);
            if (end == std::string::npos) end = text.size();
            std::string line = text.substr(at, end - at);
            at = end + 1;
            if (!names.empty()) line.erase(0, std::min(line.find_first_not_of(' '), size_t(14)));
            for (const char* note : {" [EXCLUDED VMEMMAP]", " [INCOMPLETE]", " [PARTIAL DUMP]"}) {
                const size_t n = std::strlen(note);
                if (line.size() > n && line.compare(line.size() - n, n, note) == 0) line.resize(line.size() - n);
            }
            if (!line.empty()) names.push_back(line);
        }
        return names;
    }
    bool live() override { return la_live() != 0; }
    int debug_level() override { return la_debug_level(); }
    void debug(const std::string& message) override { la_debug(message.c_str()); }
    std::optional<std::string> kernel_log() override {
        if (!log_) return std::nullopt;
        return std::string(log_);
    }
    bool interrupted() override {
        // SIGINT stays blocked while lockalias runs (crash_api.c) and
        // la_interrupted() consumes the pending one: remember it once seen.
        if (!stop_ && la_interrupted()) stop_ = true;
        return stop_;
    }

    explicit CrashTarget(const char* log) : log_(log) {}

private:
    const char* log_;
    std::map<std::string, lockalias::PtypeLayout> layouts_;
    bool stop_ = false;
};

}  // namespace

std::unique_ptr<lockalias::Target> make_crash_target(const char* log) {
    return std::make_unique<CrashTarget>(log);
}
