// Flattened (makedumpfile -F) and split (makedumpfile --split) kdumps read
// in place: the flattened file through its record index, byte for byte the
// kdump it wraps, holes read as zeros, a record table that lies refused;
// the split dump through one reader per file, dispatched by pfn, checked
// against the Target's reads like a single file, and refused when a file
// is missing or two files claim the same pfns.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

#include "dump/dump_file_access.h"
#include "dump/dump_source.h"
#include "dump/kdump_pages.h"
#include "dump/kdump_reader.h"
#include "dump_source_helpers.h"

namespace lockalias {
namespace {

using K = test::SyntheticKernel;
constexpr uint64_t kPage = K::kPage;
constexpr uint64_t kPages = K::kMemBytes / K::kPage;  // 4096

using test::fill_every_page;
using test::in_place;
using test::kdump_of;
using test::refusal_of;
using test::TempFiles;

// Every dumped page of memory, through the reader, as memory holds it;
// the others refused.
void expect_pages_exact(KdumpPages& p, const K& t) {
    KdumpReader r(p, 2);
    for (uint64_t pfn = 0; pfn < kPages; pfn += 7) {
        const uint8_t* s = r.span(pfn * kPage, kPage);
        if (!t.page_readable(pfn)) {
            EXPECT_EQ(s, nullptr) << pfn;
            continue;
        }
        ASSERT_NE(s, nullptr) << pfn;
        EXPECT_EQ(std::memcmp(s, &t.memory()[pfn * kPage], kPage), 0) << pfn;
    }
    const uint8_t* big = r.span(100 * kPage, 200 * kPage);  // many records at once
    ASSERT_NE(big, nullptr);
    EXPECT_EQ(std::memcmp(big, &t.memory()[100 * kPage], 200 * kPage), 0);
}

TEST(FlattenedKdump, ReadsTheKdumpItWrapsByteForByte) {
    K t;
    fill_every_page(t);
    for (uint64_t pfn : {3, 4, 5, 40, 3000}) t.make_unreadable(pfn * kPage);
    TempFiles f{{test::write_kdump(kdump_of(t))}};
    const std::vector<uint8_t> plain = test::read_whole_file(f.paths[0]);
    test::FlatSpec layouts[3];
    layouts[1].sizes = {512};
    layouts[1].swap_pairs = false;
    layouts[2].sizes = {1 << 20, 333};
    layouts[2].skip_zeros = false;
    for (const test::FlatSpec& layout : layouts) {
        f.paths.push_back(test::write_flattened(f.paths[0], layout));
        std::string why;
        auto file = open_dump_file_access(f.paths.back(), why);
        ASSERT_TRUE(file) << why;
        EXPECT_TRUE(file->flattened());
        ASSERT_EQ(file->size(), plain.size());
        // Reads anywhere, across records and holes, are the plain file's bytes.
        std::vector<uint8_t> got(70000);
        for (uint64_t off = 0; off < plain.size(); off += 4099) {
            const size_t len = size_t(std::min<uint64_t>(got.size() - off % 5000, plain.size() - off));
            ASSERT_TRUE(file->read(got.data(), len, off)) << off;
            ASSERT_EQ(std::memcmp(got.data(), &plain[off], len), 0) << off;
        }
        EXPECT_FALSE(file->read(got.data(), 2, plain.size() - 1));  // past the end
        KdumpPages p;
        ASSERT_TRUE(p.open(f.paths.back())) << p.why();
        EXPECT_TRUE(p.flattened());
        EXPECT_EQ(p.dumped_parts({0, kPages * kPage}).size(), 4u);
        expect_pages_exact(p, t);
    }
    std::string why;
    auto plain_file = open_dump_file_access(f.paths[0], why);
    ASSERT_TRUE(plain_file);
    EXPECT_FALSE(plain_file->flattened());
}

TEST(FlattenedKdump, ARecordTableThatLiesIsRefused) {
    K t;
    fill_every_page(t);
    TempFiles f{{test::write_kdump(kdump_of(t))}};
    using Lie = test::FlatSpec::Lie;
    for (Lie lie : {Lie::Overlap, Lie::PastEnd, Lie::NoEnd, Lie::Negative}) {
        test::FlatSpec spec;
        spec.lie = lie;
        f.paths.push_back(test::write_flattened(f.paths[0], spec));
        KdumpPages p;
        EXPECT_FALSE(p.open(f.paths.back())) << int(lie);
        EXPECT_NE(p.why().find("flattened"), std::string::npos) << p.why();
    }
}

TEST(FlattenedKdump, IsInflatedInPlaceOnceItAgreesWithTheTarget) {
    K t;
    fill_every_page(t);
    for (uint64_t pfn : {9, 10, 2222}) t.make_unreadable(pfn * kPage);
    TempFiles f{{test::write_kdump(kdump_of(t))}};
    f.paths.push_back(test::write_flattened(f.paths[0]));
    t.set_dump_file({DumpFormat::Diskdump, f.paths[1]});
    ChosenSource c = choose_dump_source(t, in_place());
    ASSERT_EQ(c.source->kind(), SourceKind::KdumpInPlace) << describe_choice(c);
    EXPECT_GT(c.pages_checked, 0);
    const uint8_t* s = c.source->span(11 * kPage, 3 * kPage);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(std::memcmp(s, &t.memory()[11 * kPage], 3 * kPage), 0);
}

TEST(SplitKdump, IsReadInPlaceFromEveryFileByPfn) {
    K t;
    fill_every_page(t);
    for (uint64_t pfn : {3, 999, 1000, 2600}) t.make_unreadable(pfn * kPage);
    TempFiles f{test::write_split_kdump(kdump_of(t), {1000, 2500})};
    // Any order: crash tells the files apart by their sub-headers.
    t.set_dump_file({DumpFormat::Diskdump, f.paths[2], {f.paths[2], f.paths[0], f.paths[1]}});
    ChosenSource c = choose_dump_source(t, in_place());
    ASSERT_EQ(c.source->kind(), SourceKind::KdumpInPlace) << describe_choice(c);
    for (uint64_t pfn = 0; pfn < kPages; pfn += 5) {
        const uint8_t* s = c.source->span(pfn * kPage, kPage);
        if (!t.page_readable(pfn)) {
            EXPECT_EQ(s, nullptr) << pfn;
            continue;
        }
        ASSERT_NE(s, nullptr) << pfn;
        EXPECT_EQ(std::memcmp(s, &t.memory()[pfn * kPage], kPage), 0) << pfn;
    }
    // Spans within a file; one across two files is refused.
    EXPECT_NE(c.source->span(2400 * kPage, 100 * kPage), nullptr);
    EXPECT_EQ(c.source->span(2400 * kPage, 101 * kPage), nullptr);
    // The parts of each file, clipped to it, joined across files.
    auto parts = c.source->dumped_parts({0, kPages * kPage});
    ASSERT_TRUE(parts);
    ASSERT_EQ(parts->size(), 4u);
    EXPECT_EQ((*parts)[1].start, 4 * kPage);
    EXPECT_EQ((*parts)[1].end, 999 * kPage);
    EXPECT_EQ((*parts)[2].start, 1001 * kPage);
    EXPECT_EQ((*parts)[2].end, 2600 * kPage);  // across the cut at 2500
    EXPECT_EQ((*parts)[3].end, kPages * kPage);
    auto mid = c.source->dumped_parts({2490 * kPage + 100, 2510 * kPage});
    ASSERT_TRUE(mid);
    ASSERT_EQ(mid->size(), 1u);
    EXPECT_EQ((*mid)[0].start, 2490 * kPage + 100);
    EXPECT_EQ((*mid)[0].end, 2510 * kPage);
}

TEST(SplitKdump, AMissingFileIsRefused) {
    K t;
    fill_every_page(t);
    TempFiles f{test::write_split_kdump(kdump_of(t), {1000, 2500})};
    auto refused_with = [&](DumpFile file, const std::string& words) {
        t.set_dump_file(file);
        ChosenSource c = choose_dump_source(t, in_place());
        EXPECT_EQ(c.source->kind(), SourceKind::TargetReads);
        const RefusedSource* r = refusal_of(c, SourceKind::KdumpInPlace);
        ASSERT_NE(r, nullptr);
        EXPECT_EQ(r->reason, Refusal::CannotOpen);
        EXPECT_NE(r->detail.find(words), std::string::npos) << r->detail;
        ASSERT_NE(refusal_of(c, SourceKind::KdumpBitmap), nullptr);
    };
    refused_with({DumpFormat::Diskdump, f.paths[0], {f.paths[0], f.paths[2]}}, "1000-2499");
    refused_with({DumpFormat::Diskdump, f.paths[1], {f.paths[1], f.paths[2]}}, "0-999");
    refused_with({DumpFormat::Diskdump, f.paths[0], {f.paths[0], f.paths[1]}}, "2500-4095");
    refused_with({DumpFormat::Diskdump, f.paths[0], {f.paths[0], f.paths[1], "/nonexistent/split.3"}},
                 "/nonexistent/split.3");
    refused_with({DumpFormat::Diskdump, f.paths[1]}, "split");  // one file alone
    // Two files claiming the same pfns.
    refused_with({DumpFormat::Diskdump, f.paths[0], {f.paths[0], f.paths[0], f.paths[1], f.paths[2]}},
                 "two files");
    // A file of another kind among them.
    TempFiles whole{{test::write_kdump(kdump_of(t))}};
    refused_with({DumpFormat::Diskdump, f.paths[0], {f.paths[0], whole.paths[0]}}, "not a file of a split");
}

TEST(SplitKdump, APartHoldsOnlyItsRange) {
    K t;
    fill_every_page(t);
    TempFiles f{test::write_split_kdump(kdump_of(t), {1000})};
    KdumpPages p;
    EXPECT_FALSE(p.open(f.paths[1]));
    ASSERT_TRUE(p.open_split_part(f.paths[1])) << p.why();
    EXPECT_EQ(p.first_pfn(), 1000u);
    EXPECT_EQ(p.end_pfn(), kPages);
    EXPECT_FALSE(p.dumped(999));  // in the copied bitmap, not in this file
    EXPECT_TRUE(p.dumped(1000));
    EXPECT_EQ(p.rank(1000), 0u);
    EXPECT_EQ(p.rank(1010), 10u);
    auto parts = p.dumped_parts({0, kPages * kPage});
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].start, 1000 * kPage);
    KdumpReader r(p, 1);
    const uint8_t* s = r.span(1000 * kPage, 5 * kPage);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(std::memcmp(s, &t.memory()[1000 * kPage], 5 * kPage), 0);
    EXPECT_EQ(r.span(998 * kPage, kPage), nullptr);
}

}  // namespace
}  // namespace lockalias
