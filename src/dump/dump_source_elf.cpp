// The ELF core mapped in place, checked against the Target's reads.
#include <cstring>

#include "dump/dump_source.h"
#include "dump/elf_dump_map.h"

namespace lockalias {

namespace {

class ElfInPlace final : public DumpSource {
public:
    explicit ElfInPlace(std::unique_ptr<ElfDumpMap> map) : map_(std::move(map)) {}
    SourceKind kind() const override { return SourceKind::ElfInPlace; }
    const uint8_t* span(uint64_t paddr, size_t len) override { return map_->span(paddr, len); }

private:
    std::unique_ptr<ElfDumpMap> map_;
};

}  // namespace

// The first and the middle page of each RAM range must read the same in
// place as through the Target; a hole (unreadable through the Target) has
// nothing to compare.
std::unique_ptr<DumpSource> open_elf_source(Target& t, const std::string& path,
                                            std::vector<RefusedSource>& refused, int& checked) {
    auto map = std::make_unique<ElfDumpMap>();
    if (!map->open(path)) {
        refused.push_back({SourceKind::ElfInPlace, Refusal::CannotOpen, map->why()});
        return nullptr;
    }
    const size_t page = t.page_size();
    std::vector<uint8_t> via_target(page);
    int same = 0;
    for (const PhysRange& r : t.memory_node_spans()) {
        for (uint64_t p : {r.start, r.start + (r.end - r.start) / 2 / page * page}) {
            if (!t.read_phys(p, via_target.data(), page)) continue;
            checked++;
            const uint8_t* mapped = map->span(p, page);
            if (!mapped || std::memcmp(mapped, via_target.data(), page) != 0) {
                refused.push_back({SourceKind::ElfInPlace, Refusal::BytesDisagree,
                                   page_at(p) + (mapped ? " differs" : " is missing from the file")});
                return nullptr;
            }
            same++;
        }
    }
    if (!same) {
        refused.push_back({SourceKind::ElfInPlace, Refusal::NothingToCompare, ""});
        return nullptr;
    }
    return std::make_unique<ElfInPlace>(std::move(map));
}

}  // namespace lockalias
