// The choice of a memory source: each shortcut around the Target's reads
// is taken only when it agrees with them, and every refusal says why.
// The dump files are written by tests/unit/dump_files.h; the Target's
// memory is the truth they are checked against.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>

#include "dump/dump_source.h"
#include "dump_files.h"

namespace lockalias {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kPages = 64;

// Memory only: what the choice of a source asks of a Target.
class MemoryTarget final : public Target {
public:
    MemoryTarget() : mem(kPages * kPage) {
        for (size_t i = 0; i < mem.size(); i++) mem[i] = uint8_t(i * 31 / 7 + i / kPage);
    }
    std::vector<uint8_t> mem;
    std::set<uint64_t> unreadable;  // pfns the Target cannot read
    DumpFile file;
    int level = 0;
    std::vector<std::string> said;

    bool read_phys(uint64_t p, void* buf, size_t len) override {
        if (p + len > mem.size()) return false;
        for (uint64_t pfn = p / kPage; pfn <= (p + len - 1) / kPage; pfn++)
            if (unreadable.count(pfn)) return false;
        std::memcpy(buf, &mem[p], len);
        return true;
    }
    bool read_kv(uint64_t, void*, size_t) override { return false; }
    std::vector<PhysRange> memory_node_spans() override { return {{0, mem.size()}}; }
    size_t page_size() override { return kPage; }
    std::optional<uint64_t> kv_to_phys(uint64_t) override { return std::nullopt; }
    uint64_t phys_to_direct_map(uint64_t p) override { return p; }
    std::optional<uint64_t> page_struct_of_phys(uint64_t) override { return std::nullopt; }
    std::optional<uint64_t> symbol_address(const std::string&) override { return std::nullopt; }
    std::string symbol_at(uint64_t) override { return ""; }
    std::optional<long> type_size(const std::string&) override { return std::nullopt; }
    std::optional<long> member_offset(const std::string&, const std::string&) override { return std::nullopt; }
    std::optional<long> member_size(const std::string&, const std::string&) override { return std::nullopt; }
    std::optional<long> enum_value(const std::string&) override { return std::nullopt; }
    std::optional<long> array_length(const std::string&) override { return std::nullopt; }
    bool interrupted() override { return false; }
    DumpFile dump_file() override { return file; }
    int debug_level() override { return level; }
    void debug(const std::string& m) override { said.push_back(m); }
};

struct TempFile {
    std::string path;
    ~TempFile() { std::remove(path.c_str()); }
};

SourcePolicy in_place() {
    SourcePolicy p;
    p.threads = 2;
    return p;
}

const RefusedSource* refusal_of(const ChosenSource& c, SourceKind k) {
    for (const RefusedSource& r : c.refused)
        if (r.kind == k) return &r;
    return nullptr;
}

// The kdump of t's memory: pages the Target reads are dumped, the rest not.
test::KdumpSpec kdump_of(MemoryTarget& t) {
    test::KdumpSpec s;
    s.memory = t.mem;
    s.dumped = [&t](uint64_t pfn) { return !t.unreadable.count(pfn); };
    return s;
}

TEST(DumpSource, ElfCoreThatAgreesIsReadInPlace) {
    MemoryTarget t;
    TempFile f{test::write_elf_core(t.mem)};
    t.file = {DumpFormat::Elf, f.path};
    ChosenSource c = choose_dump_source(t, in_place());
    EXPECT_EQ(c.source->kind(), SourceKind::ElfInPlace);
    EXPECT_GT(c.pages_checked, 0);
    const uint8_t* s = c.source->span(5 * kPage, kPage);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(std::memcmp(s, &t.mem[5 * kPage], kPage), 0);
    ASSERT_NE(refusal_of(c, SourceKind::KdumpInPlace), nullptr);
    EXPECT_EQ(refusal_of(c, SourceKind::KdumpInPlace)->reason, Refusal::OtherFormat);
}

TEST(DumpSource, ElfCoreThatDisagreesIsRefused) {
    MemoryTarget t;
    std::vector<uint8_t> file_mem = t.mem;
    file_mem[kPages / 2 * kPage + 100] ^= 0xff;  // the middle page, one of the samples
    TempFile f{test::write_elf_core(file_mem)};
    t.file = {DumpFormat::Elf, f.path};
    ChosenSource c = choose_dump_source(t, in_place());
    EXPECT_EQ(c.source->kind(), SourceKind::TargetReads);
    const RefusedSource* r = refusal_of(c, SourceKind::ElfInPlace);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->reason, Refusal::BytesDisagree);
    EXPECT_NE(r->detail.find("0000000000020000"), std::string::npos) << r->detail;
    EXPECT_EQ(c.source->span(0, kPage), nullptr);
}

TEST(DumpSource, ElfCoreWithNothingToCompareIsRefused) {
    MemoryTarget t;
    for (uint64_t pfn = 0; pfn < kPages; pfn++) t.unreadable.insert(pfn);
    TempFile f{test::write_elf_core(t.mem)};
    t.file = {DumpFormat::Elf, f.path};
    ChosenSource c = choose_dump_source(t, in_place());
    EXPECT_EQ(c.source->kind(), SourceKind::TargetReads);
    EXPECT_EQ(refusal_of(c, SourceKind::ElfInPlace)->reason, Refusal::NothingToCompare);
}

TEST(DumpSource, FileThatIsNoElfIsRefusedWithTheReadersReason) {
    MemoryTarget t;
    TempFile f{test::write_temp_file(std::vector<uint8_t>(8192, 0x55), "lockalias_junk")};
    t.file = {DumpFormat::Elf, f.path};
    ChosenSource c = choose_dump_source(t, in_place());
    EXPECT_EQ(c.source->kind(), SourceKind::TargetReads);
    const RefusedSource* r = refusal_of(c, SourceKind::ElfInPlace);
    EXPECT_EQ(r->reason, Refusal::CannotOpen);
    EXPECT_FALSE(r->detail.empty());
}

TEST(DumpSource, TurnedOffMeansTheTargetsReadsAndNoFileOpened) {
    MemoryTarget t;
    t.file = {DumpFormat::Elf, "/nonexistent/lockalias-test"};  // never opened
    SourcePolicy off;
    off.in_place = false;
    ChosenSource c = choose_dump_source(t, off);
    EXPECT_EQ(c.source->kind(), SourceKind::TargetReads);
    EXPECT_EQ(refusal_of(c, SourceKind::ElfInPlace)->reason, Refusal::TurnedOff);
    EXPECT_EQ(c.pages_checked, 0);
}

TEST(DumpSource, KdumpThatAgreesIsInflatedInPlace) {
    MemoryTarget t;
    for (uint64_t pfn : {3, 4, 5, 40}) t.unreadable.insert(pfn);
    TempFile f{test::write_kdump(kdump_of(t))};
    t.file = {DumpFormat::Diskdump, f.path};
    ChosenSource c = choose_dump_source(t, in_place());
    ASSERT_EQ(c.source->kind(), SourceKind::KdumpInPlace);
    auto parts = c.source->dumped_parts({0, kPages * kPage});
    ASSERT_TRUE(parts);
    ASSERT_EQ(parts->size(), 3u);
    EXPECT_EQ((*parts)[0].end, 3 * kPage);
    const uint8_t* s = c.source->span(6 * kPage, 2 * kPage);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(std::memcmp(s, &t.mem[6 * kPage], 2 * kPage), 0);
}

TEST(DumpSource, KdumpWhoseBitmapLiesIsRefusedWhole) {
    MemoryTarget t;
    t.unreadable.insert(32);  // a sampled page (32 of 64 evenly spaced)
    test::KdumpSpec spec = kdump_of(t);
    spec.dumped = [](uint64_t) { return true; };  // the bitmap claims page 32 too
    TempFile f{test::write_kdump(spec)};
    t.file = {DumpFormat::Diskdump, f.path};
    ChosenSource c = choose_dump_source(t, in_place());
    EXPECT_EQ(c.source->kind(), SourceKind::TargetReads);
    EXPECT_EQ(refusal_of(c, SourceKind::KdumpBitmap)->reason, Refusal::BitmapDisagrees);
    EXPECT_EQ(refusal_of(c, SourceKind::KdumpInPlace)->reason, Refusal::BitmapDisagrees);
    EXPECT_FALSE(c.source->dumped_parts({0, kPage}));
}

TEST(DumpSource, KdumpWhosePagesDifferKeepsOnlyItsBitmap) {
    MemoryTarget t;
    t.unreadable.insert(9);
    test::KdumpSpec spec = kdump_of(t);
    spec.memory[0] ^= 1;  // page 0 is sampled
    TempFile f{test::write_kdump(spec)};
    t.file = {DumpFormat::Diskdump, f.path};
    ChosenSource c = choose_dump_source(t, in_place());
    EXPECT_EQ(c.source->kind(), SourceKind::KdumpBitmap);
    EXPECT_EQ(refusal_of(c, SourceKind::KdumpInPlace)->reason, Refusal::BytesDisagree);
    EXPECT_EQ(c.source->span(0, kPage), nullptr);
    ASSERT_TRUE(c.source->dumped_parts({0, kPages * kPage}));
}

TEST(DumpSource, KdumpInAnotherCompressionKeepsOnlyItsBitmap) {
    MemoryTarget t;
    test::KdumpSpec spec = kdump_of(t);
    spec.extra_flags = [](uint64_t pfn) { return pfn == 0 ? 0x2u : 0u; };  // lzo
    TempFile f{test::write_kdump(spec)};
    t.file = {DumpFormat::Diskdump, f.path};
    ChosenSource c = choose_dump_source(t, in_place());
    EXPECT_EQ(c.source->kind(), SourceKind::KdumpBitmap);
    EXPECT_EQ(refusal_of(c, SourceKind::KdumpInPlace)->reason, Refusal::PagesNotReadHere);
}

TEST(DumpSource, KdumpOfAnotherPageSizeIsRefused) {
    MemoryTarget t;
    test::KdumpSpec spec = kdump_of(t);
    spec.block = 8192;
    TempFile f{test::write_kdump(spec)};
    t.file = {DumpFormat::Diskdump, f.path};
    ChosenSource c = choose_dump_source(t, in_place());
    EXPECT_EQ(c.source->kind(), SourceKind::TargetReads);
    EXPECT_EQ(refusal_of(c, SourceKind::KdumpBitmap)->reason, Refusal::PageSizeDiffers);
}

TEST(DumpSource, TheChoiceIsToldAtDebugLevelOneOnly) {
    MemoryTarget t;
    choose_dump_source(t, in_place());
    EXPECT_TRUE(t.said.empty());
    t.level = 1;
    ChosenSource c = choose_dump_source(t, in_place());
    ASSERT_EQ(t.said.size(), 1u);
    EXPECT_NE(t.said[0].find("target-reads"), std::string::npos) << t.said[0];
    EXPECT_EQ(describe_choice(c), "target-reads");
}

}  // namespace
}  // namespace lockalias
