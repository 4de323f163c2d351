// The choice of a memory source: each shortcut around the Target's reads
// is taken only when it agrees with them, and every refusal says why.
// The Target is the synthetic kernel (16 MiB, 4096 pages, one memory node
// span); the dump files are written from its memory by
// tests/unit/dump_files.h, and its reads are the truth they are checked
// against. The pages each shortcut samples, for this memory:
//   ELF in place: the first and the middle page of the span (pfn 0, 2048);
//   kdump: every 128th page (32 evenly spaced: pfn 0, 128, ..., 3968), and
//   the first page of each of the bitmap's first 8 dumped parts and of the
//   gaps between them.
// A test that damages a page damages one of those.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "dump/dump_source.h"
#include "dump_source_helpers.h"

namespace lockalias {
namespace {

using K = test::SyntheticKernel;
constexpr uint64_t kPage = K::kPage;
constexpr uint64_t kPages = K::kMemBytes / K::kPage;  // 4096
constexpr uint64_t kMiddle = kPages / 2;              // 2048: sampled by both

using test::fill_every_page;
using test::in_place;
using test::kdump_of;
using test::refusal_of;

// One temporary file.
struct TempFile {
    std::string path;
    ~TempFile() { std::remove(path.c_str()); }
};

// Damages the stored bytes of the rank-th dumped page of a compressed
// kdump, which must be zlib-compressed: its last byte (the zlib stream's
// Adler-32) is flipped, so the page no longer inflates. Found from the
// format (diskdump_mod.h), as write_kdump lays it out: block_size at 428,
// sub_hdr_size (blocks) at 432, bitmap_blocks at 436 of the header; the
// page descriptors follow the bitmaps, 24 bytes each (offset, size,
// flags). (dump_files.h has no hook for damage; this does it afterwards.)
bool damage_stored_page(const std::string& path, uint64_t rank) {
    FILE* f = std::fopen(path.c_str(), "r+b");
    if (!f) return false;
    auto at = [f](uint64_t off, void* buf, size_t len) {
        return std::fseek(f, long(off), SEEK_SET) == 0 && std::fread(buf, 1, len, f) == len;
    };
    int32_t block = 0, sub_blocks = 0;
    uint32_t bitmap_blocks = 0, size = 0, flags = 0;
    int64_t data = 0;
    bool ok = at(428, &block, 4) && at(432, &sub_blocks, 4) && at(436, &bitmap_blocks, 4);
    const uint64_t desc = uint64_t(block) * (1 + uint64_t(sub_blocks) + bitmap_blocks) + rank * 24;
    ok = ok && at(desc, &data, 8) && at(desc + 8, &size, 4) && at(desc + 12, &flags, 4) && (flags & 0x1) &&
         size > 0;
    uint8_t last = 0;
    ok = ok && at(uint64_t(data) + size - 1, &last, 1);
    last ^= 0xff;
    ok = ok && std::fseek(f, long(data + size - 1), SEEK_SET) == 0 && std::fwrite(&last, 1, 1, f) == 1;
    return std::fclose(f) == 0 && ok;
}

TEST(DumpSource, ElfCoreThatAgreesIsReadInPlace) {
    K t;
    fill_every_page(t);
    TempFile f{test::write_elf_core(t.memory())};
    t.set_dump_file({DumpFormat::Elf, f.path});
    ChosenSource c = choose_dump_source(t, in_place());
    EXPECT_EQ(c.source->kind(), SourceKind::ElfInPlace);
    EXPECT_GT(c.pages_checked, 0);
    for (uint64_t pfn : {uint64_t(5), uint64_t(3001)}) {
        const uint8_t* s = c.source->span(pfn * kPage, kPage);
        ASSERT_NE(s, nullptr) << pfn;
        EXPECT_EQ(std::memcmp(s, &t.memory()[pfn * kPage], kPage), 0) << pfn;
    }
    ASSERT_NE(refusal_of(c, SourceKind::KdumpInPlace), nullptr);
    EXPECT_EQ(refusal_of(c, SourceKind::KdumpInPlace)->reason, Refusal::OtherFormat);
}

TEST(DumpSource, ElfCoreThatDisagreesIsRefused) {
    K t;
    fill_every_page(t);
    std::vector<uint8_t> file_mem = t.memory();
    file_mem[kMiddle * kPage + 100] ^= 0xff;  // the middle page, the second sample
    TempFile f{test::write_elf_core(file_mem)};
    t.set_dump_file({DumpFormat::Elf, f.path});
    ChosenSource c = choose_dump_source(t, in_place());
    EXPECT_EQ(c.source->kind(), SourceKind::TargetReads);
    const RefusedSource* r = refusal_of(c, SourceKind::ElfInPlace);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->reason, Refusal::BytesDisagree);
    EXPECT_NE(r->detail.find("0000000000800000"), std::string::npos) << r->detail;
    EXPECT_EQ(c.source->span(0, kPage), nullptr);
}

// The words name whatever reads the kernel: crash, or drgn's front end.
TEST(DumpSource, WordingNamesTheTargetsReader) {
    struct DrgnLike : K {
        std::string reader_name() override { return "drgn"; }
    } t;
    fill_every_page(t);
    std::vector<uint8_t> file_mem = t.memory();
    file_mem[kMiddle * kPage + 100] ^= 0xff;
    TempFile f{test::write_elf_core(file_mem)};
    t.set_dump_file({DumpFormat::Elf, f.path});
    ChosenSource c = choose_dump_source(t, in_place());
    EXPECT_EQ(c.reader, "drgn");
    EXPECT_NE(describe_choice(c).find("its pages differ from drgn's reads"), std::string::npos)
        << describe_choice(c);
    EXPECT_EQ(source_wording(SourceKind::TargetReads, c.reader), "every page read through drgn");
    EXPECT_EQ(describe_choice(c).find("crash"), std::string::npos) << describe_choice(c);
}

TEST(DumpSource, ElfCoreWithNothingToCompareIsRefused) {
    K t;
    for (uint64_t pfn = 0; pfn < kPages; pfn++) t.make_unreadable(pfn * kPage);
    TempFile f{test::write_elf_core(t.memory())};
    t.set_dump_file({DumpFormat::Elf, f.path});
    ChosenSource c = choose_dump_source(t, in_place());
    EXPECT_EQ(c.source->kind(), SourceKind::TargetReads);
    ASSERT_NE(refusal_of(c, SourceKind::ElfInPlace), nullptr);
    EXPECT_EQ(refusal_of(c, SourceKind::ElfInPlace)->reason, Refusal::NothingToCompare);
}

TEST(DumpSource, FileThatIsNoElfIsRefusedWithTheReadersReason) {
    K t;
    TempFile f{test::write_temp_file(std::vector<uint8_t>(8192, 0x55), "lockalias_junk")};
    t.set_dump_file({DumpFormat::Elf, f.path});
    ChosenSource c = choose_dump_source(t, in_place());
    EXPECT_EQ(c.source->kind(), SourceKind::TargetReads);
    const RefusedSource* r = refusal_of(c, SourceKind::ElfInPlace);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->reason, Refusal::CannotOpen);
    EXPECT_FALSE(r->detail.empty());
}

TEST(DumpSource, TurnedOffMeansTheTargetsReadsAndNoFileOpened) {
    K t;
    t.set_dump_file({DumpFormat::Elf, "/nonexistent/lockalias-test"});  // never opened
    SourcePolicy off;
    off.in_place = false;
    ChosenSource c = choose_dump_source(t, off);
    EXPECT_EQ(c.source->kind(), SourceKind::TargetReads);
    ASSERT_NE(refusal_of(c, SourceKind::ElfInPlace), nullptr);
    EXPECT_EQ(refusal_of(c, SourceKind::ElfInPlace)->reason, Refusal::TurnedOff);
    EXPECT_EQ(c.pages_checked, 0);
}

TEST(DumpSource, KdumpThatAgreesIsInflatedInPlace) {
    K t;
    fill_every_page(t);
    for (uint64_t pfn : {3, 4, 5, 40}) t.make_unreadable(pfn * kPage);
    TempFile f{test::write_kdump(kdump_of(t))};
    t.set_dump_file({DumpFormat::Diskdump, f.path});
    ChosenSource c = choose_dump_source(t, in_place());
    ASSERT_EQ(c.source->kind(), SourceKind::KdumpInPlace);
    auto parts = c.source->dumped_parts({0, kPages * kPage});
    ASSERT_TRUE(parts);
    ASSERT_EQ(parts->size(), 3u);
    EXPECT_EQ((*parts)[0].end, 3 * kPage);
    EXPECT_EQ((*parts)[2].start, 41 * kPage);
    for (uint64_t pfn : {uint64_t(6), uint64_t(3001)}) {
        const uint8_t* s = c.source->span(pfn * kPage, 2 * kPage);  // a zlib page and a stored one
        ASSERT_NE(s, nullptr) << pfn;
        EXPECT_EQ(std::memcmp(s, &t.memory()[pfn * kPage], 2 * kPage), 0) << pfn;
    }
}

TEST(DumpSource, KdumpWhoseBitmapLiesIsRefusedWhole) {
    K t;
    fill_every_page(t);
    t.make_unreadable(kMiddle * kPage);  // a sampled page (every 128th)
    test::KdumpSpec spec = kdump_of(t);
    spec.dumped = [](uint64_t) { return true; };  // the bitmap claims it too
    TempFile f{test::write_kdump(spec)};
    t.set_dump_file({DumpFormat::Diskdump, f.path});
    ChosenSource c = choose_dump_source(t, in_place());
    EXPECT_EQ(c.source->kind(), SourceKind::TargetReads);
    ASSERT_NE(refusal_of(c, SourceKind::KdumpBitmap), nullptr);
    EXPECT_EQ(refusal_of(c, SourceKind::KdumpBitmap)->reason, Refusal::BitmapDisagrees);
    EXPECT_NE(refusal_of(c, SourceKind::KdumpBitmap)->detail.find("0000000000800000"), std::string::npos);
    EXPECT_EQ(refusal_of(c, SourceKind::KdumpInPlace)->reason, Refusal::BitmapDisagrees);
    EXPECT_FALSE(c.source->dumped_parts({0, kPage}));
}

TEST(DumpSource, KdumpWhosePagesDifferKeepsOnlyItsBitmap) {
    K t;
    fill_every_page(t);
    t.make_unreadable(9 * kPage);  // a gap: the pages after it are counted past it
    test::KdumpSpec spec = kdump_of(t);
    const uint64_t last_sample = 31 * (kPages / 32);  // 3968
    spec.memory[last_sample * kPage + 7] ^= 1;
    TempFile f{test::write_kdump(spec)};
    t.set_dump_file({DumpFormat::Diskdump, f.path});
    ChosenSource c = choose_dump_source(t, in_place());
    EXPECT_EQ(c.source->kind(), SourceKind::KdumpBitmap);
    ASSERT_NE(refusal_of(c, SourceKind::KdumpInPlace), nullptr);
    EXPECT_EQ(refusal_of(c, SourceKind::KdumpInPlace)->reason, Refusal::BytesDisagree);
    EXPECT_NE(refusal_of(c, SourceKind::KdumpInPlace)->detail.find("0000000000f80000"), std::string::npos)
        << refusal_of(c, SourceKind::KdumpInPlace)->detail;
    EXPECT_EQ(c.source->span(0, kPage), nullptr);
    ASSERT_TRUE(c.source->dumped_parts({0, kPages * kPage}));
}

// A sample page the reader cannot inflate (here a zlib page whose stream
// is damaged; lzo, snappy or zstd pages, without their library, too).
TEST(DumpSource, KdumpWithAPageThatDoesNotInflateKeepsOnlyItsBitmap) {
    K t;
    fill_every_page(t);
    TempFile f{test::write_kdump(kdump_of(t))};
    ASSERT_TRUE(damage_stored_page(f.path, kMiddle));  // every page dumped: rank == pfn; even: zlib
    t.set_dump_file({DumpFormat::Diskdump, f.path});
    ChosenSource c = choose_dump_source(t, in_place());
    EXPECT_EQ(c.source->kind(), SourceKind::KdumpBitmap);
    ASSERT_NE(refusal_of(c, SourceKind::KdumpInPlace), nullptr);
    EXPECT_EQ(refusal_of(c, SourceKind::KdumpInPlace)->reason, Refusal::PagesNotReadHere);
    EXPECT_NE(refusal_of(c, SourceKind::KdumpInPlace)->detail.find("0000000000800000"), std::string::npos)
        << refusal_of(c, SourceKind::KdumpInPlace)->detail;
}

// Pages made ahead (read_ahead(), on a thread of its own) are the pages
// the source gives without it, and a page that does not inflate stops the
// read-ahead there: that span is refused as without one, and the pages
// after it are made by the source's reader. (Whether a span came from the
// read-ahead depends on how far its thread got; the bytes may not.)
TEST(DumpSource, KdumpPagesMadeAheadAreTheSameAndADamagedOneIsStillRefused) {
    K t;
    fill_every_page(t);
    TempFile f{test::write_kdump(kdump_of(t))};
    ASSERT_TRUE(damage_stored_page(f.path, 70));  // not a sample page; even: zlib
    t.set_dump_file({DumpFormat::Diskdump, f.path});
    ChosenSource c = choose_dump_source(t, in_place());
    ASSERT_EQ(c.source->kind(), SourceKind::KdumpInPlace);
    c.source->read_ahead({{0, 96 * kPage}, {200 * kPage, 300 * kPage}});
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // (time to make them: well under 1 ms)
    for (uint64_t pfn : {0, 16, 72}) {
        const size_t len = (pfn == 72 ? 24 : 16) * kPage;
        const uint8_t* s = c.source->span(pfn * kPage, len);
        ASSERT_NE(s, nullptr) << pfn;
        EXPECT_EQ(std::memcmp(s, &t.memory()[pfn * kPage], len), 0) << pfn;
    }
    EXPECT_EQ(c.source->span(64 * kPage, 8 * kPage), nullptr);  // pfn 70 does not inflate
    const uint8_t* s = c.source->span(200 * kPage, 100 * kPage);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(std::memcmp(s, &t.memory()[200 * kPage], 100 * kPage), 0);
}

TEST(DumpSource, KdumpOfAnotherPageSizeIsRefused) {
    K t;
    fill_every_page(t);
    test::KdumpSpec spec = kdump_of(t);
    spec.block = 8192;
    TempFile f{test::write_kdump(spec)};
    t.set_dump_file({DumpFormat::Diskdump, f.path});
    ChosenSource c = choose_dump_source(t, in_place());
    EXPECT_EQ(c.source->kind(), SourceKind::TargetReads);
    ASSERT_NE(refusal_of(c, SourceKind::KdumpBitmap), nullptr);
    EXPECT_EQ(refusal_of(c, SourceKind::KdumpBitmap)->reason, Refusal::PageSizeDiffers);
}

TEST(DumpSource, TheChoiceIsToldAtDebugLevelOneOnly) {
    K t;
    choose_dump_source(t, in_place());
    EXPECT_TRUE(t.debug_messages().empty());
    t.set_debug_level(1);
    ChosenSource c = choose_dump_source(t, in_place());
    ASSERT_EQ(t.debug_messages().size(), 1u);
    EXPECT_NE(t.debug_messages()[0].find("target-reads"), std::string::npos) << t.debug_messages()[0];
    EXPECT_EQ(describe_choice(c), "target-reads");
}

}  // namespace
}  // namespace lockalias
