// The scan on synthetic memory: each case builds the lockdep state a real
// kernel would leave behind and checks what the scan reports.
#include <gtest/gtest.h>

#include "analysis/class_groups.h"
#include "command/command.h"
#include "analysis/scan.h"
#include "dump_source_helpers.h"
#include "synthetic_kernel.h"

namespace lockalias::test {
namespace {

using K = SyntheticKernel;
constexpr unsigned SPIN = 2, SLEEP = 3;

const MapFinding* find_map(const ScanResult& r, uint64_t addr) {
    for (const auto& f : r.maps)
        if (f.map.addr == addr) return &f;
    return nullptr;
}

const SlotVerdict* slot_of(const MapFinding* f, int slot) {
    if (!f) return nullptr;
    for (const auto& v : f->slots)
        if (v.slot == slot) return &v;
    return nullptr;
}

struct SharedKeyKernel : ::testing::Test {
    K k;
    uint64_t key = K::kImageKv + 0x91000;       // a static lock_class_key
    uint64_t mutex_map = K::direct(0x10000);    // registered the class
    uint64_t spin_map = K::direct(0x23450);     // same key, a spinlock
    uint64_t cls = 0;
    void SetUp() override {
        cls = k.add_class(3, key, 0, "&dev->mutex", 0, SLEEP);
        k.add_map(mutex_map, key, cls, 0, "&dev->mutex", 0, SLEEP);
        k.add_map(spin_map, key, cls, 0, "&txq->_xmit_lock", 0, SPIN);
    }
};

// A large dump's first look: a summary by pattern, and alike locks of a
// class folded into one line with a count; -v lists every address.
TEST_F(SharedKeyKernel, AlikeLocksFoldIntoOneLineUnlessVerbose) {
    for (uint64_t a : {0x24450, 0x25450}) k.add_map(K::direct(a), key, cls, 0, "&txq->_xmit_lock", 0, SPIN);
    std::string text = run_command(k, {}).output;
    EXPECT_NE(text.find("SUMMARY: 1 pattern(s)"), std::string::npos) << text;
    EXPECT_NE(text.find("  wait              3  \"&txq->_xmit_lock\" as \"&dev->mutex\"  in page memory"),
              std::string::npos) << text;
    EXPECT_NE(text.find("(+2 more like it in page memory: -v lists every one)"), std::string::npos) << text;
    EXPECT_EQ(text.find(hex(K::direct(0x25450))), std::string::npos) << text;
    std::string every = run_command(k, {"-v"}).output;
    for (uint64_t a : {0x23450, 0x24450, 0x25450})
        EXPECT_NE(every.find(hex(K::direct(a)) + "  wait"), std::string::npos) << every;
    EXPECT_EQ(every.find("more like it"), std::string::npos) << every;
}

// A running kernel changes under the scan: the report says so (and a
// dump's does not).
TEST_F(SharedKeyKernel, ALiveKernelIsSaidToChangeUnderTheScan) {
    auto said = [&] {
        ScanResult r = scan_dump(k);
        for (const auto& p : r.problems)
            if (p.find("the running kernel: memory changed while it was read") != std::string::npos) return true;
        return false;
    };
    EXPECT_FALSE(said());
    k.set_live(true);
    EXPECT_TRUE(said());
    EXPECT_NE(run_command(k, {}).output.find("WARNING: the running kernel"), std::string::npos);
}

TEST_F(SharedKeyKernel, SpinlockWithMutexClassIsWaitAlias) {
    ScanResult r = scan_dump(k);
    ASSERT_EQ(r.error, "");
    const SlotVerdict* v = slot_of(find_map(r, spin_map), 0);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->severity, Severity::Wait);
    EXPECT_EQ(v->class_addr, cls);
    EXPECT_NE(v->consequence.find("false \"BUG: Invalid wait context\""), std::string::npos);
}

TEST_F(SharedKeyKernel, OwnerIsCleanAndNamedAsOrigin) {
    ScanResult r = scan_dump(k);
    EXPECT_EQ(slot_of(find_map(r, mutex_map), 0)->severity, Severity::Clean);
    auto groups = group_by_class(r, {});
    ASSERT_EQ(groups.size(), 1u);
    ASSERT_EQ(groups[0].owners.size(), 1u);
    EXPECT_EQ(r.maps[groups[0].owners[0].map_index].map.addr, mutex_map);
    ASSERT_EQ(groups[0].aliases.size(), 1u);
    EXPECT_EQ(r.maps[groups[0].aliases[0].map_index].map.addr, spin_map);
}

TEST_F(SharedKeyKernel, SleepingLockWithSpinClassHidesBugs) {
    uint64_t key2 = K::kImageKv + 0x92000;
    uint64_t spin_cls = k.add_class(4, key2, 0, "spin_first", 0, SPIN);
    uint64_t m = K::direct(0x40000);
    k.add_map(m, key2, spin_cls, 0, "mutex_second", 0, SLEEP);
    ScanResult r = scan_dump(k);
    const SlotVerdict* v = slot_of(find_map(r, m), 0);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->severity, Severity::Wait);
    EXPECT_NE(v->consequence.find("validated as a spinning lock"), std::string::npos);
}

TEST(Scan, NameOnlyAliasInSubclassOneSlot) {
    K k;
    uint64_t key = K::kImageKv + 0x91000;
    uint64_t cls1 = k.add_class(7, key, 1, "lock_a", 0, SPIN);
    uint64_t a = K::direct(0x50000), b = K::direct(0x50100);
    k.add_map(a, key, 0, cls1, "lock_a", 0, SPIN);
    k.add_map(b, key, 0, cls1, "lock_b", 0, SPIN);
    ScanResult r = scan_dump(k);
    const MapFinding* fb = find_map(r, b);
    ASSERT_NE(fb, nullptr);
    ASSERT_EQ(fb->slots.size(), 1u);
    EXPECT_EQ(fb->slots[0].slot, 1);
    EXPECT_EQ(fb->slots[0].severity, Severity::Name);
    EXPECT_EQ(slot_of(find_map(r, a), 1)->severity, Severity::Clean);
    EXPECT_EQ(r.classes->class_at(cls1)->display_name(), "lock_a/1");
}

TEST(Scan, NamesCompareByContentNotPointer) {
    K k;
    uint64_t key = K::kImageKv + 0x91000;
    uint64_t cls = k.add_class(1, key, 0, "same", 0, SPIN);
    uint64_t m = K::direct(0x60000);
    k.add_map(m, key, cls, 0, "same", 0, SPIN);  // a second copy of the string
    ScanResult r = scan_dump(k);
    EXPECT_EQ(slot_of(find_map(r, m), 0)->severity, Severity::Clean);
    EXPECT_TRUE(group_by_class(r, {}).empty());
}

TEST(Scan, ClassPointerIntoUnusedSlotIsStale) {
    K k;
    uint64_t key = K::kImageKv + 0x91000;
    k.add_class(1, key, 0, "live", 0, SPIN);
    uint64_t freed = k.add_class(9, key, 0, "freed", 0, SPIN, /*in_use=*/false);
    uint64_t m = K::direct(0x70000);
    k.add_map(m, key, freed, 0, "victim", 0, SPIN);
    ScanResult r = scan_dump(k);
    const SlotVerdict* v = slot_of(find_map(r, m), 0);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->severity, Severity::Stale);
    EXPECT_NE(v->consequence.find("unused lock_classes entry"), std::string::npos);
}

TEST(Scan, SubclassClassInSlotZeroIsLockdepSetSubclassNotStale) {
    // lockdep_set_subclass(lock, 1) caches the subclass-1 class in slot 0
    // (register_lock_class(..., force=1)), as workqueue's pool->lock does.
    K k;
    uint64_t key = K::kImageKv + 0x91000;
    uint64_t sub1 = k.add_class(2, key, 1, "lock", 0, SPIN);
    uint64_t m = K::direct(0x71000);
    k.add_map(m, key, sub1, 0, "lock", 0, SPIN);
    ScanResult r = scan_dump(k);
    const SlotVerdict* v = slot_of(find_map(r, m), 0);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->severity, Severity::Clean);
}

TEST(Scan, ClassOfAnotherSubclassInSlotOneIsStale) {
    K k;
    uint64_t key = K::kImageKv + 0x91000;
    uint64_t sub0 = k.add_class(2, key, 0, "lock", 0, SPIN);
    uint64_t m = K::direct(0x71000);
    k.add_map(m, key, 0, sub0, "lock", 0, SPIN);  // subclass-0 class in slot 1
    ScanResult r = scan_dump(k);
    const SlotVerdict* v = slot_of(find_map(r, m), 1);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->severity, Severity::Stale);
}

TEST(Scan, ClassOfAnotherKeyIsStale) {
    K k;
    uint64_t key = K::kImageKv + 0x91000, other = K::kImageKv + 0x95000;
    uint64_t cls = k.add_class(2, other, 0, "other", 0, SPIN);
    uint64_t m = K::direct(0x71000);
    k.add_map(m, key, cls, 0, "lock", 0, SPIN);
    ScanResult r = scan_dump(k);
    const SlotVerdict* v = slot_of(find_map(r, m), 0);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->severity, Severity::Stale);
    EXPECT_NE(v->consequence.find("memory reused or corrupted"), std::string::npos);
}

TEST(Scan, UnprintableNameWithoutMatchingKeyIsNotAMap) {
    K k;
    uint64_t key = K::kImageKv + 0x91000;
    uint64_t cls = k.add_class(1, key, 0, "real", 0, SPIN);
    uint64_t junk = K::direct(0x72000);
    k.add_map(junk, K::kImageKv + 0x99000, cls, 0, "x", 0, SPIN);
    k.put_raw_name(junk, k.add_string("\x01\x02\x03"));
    ScanResult r = scan_dump(k);
    EXPECT_EQ(find_map(r, junk), nullptr);
    EXPECT_EQ(r.stats.rejected_candidates, 1u);
}

TEST(Scan, UnreadableNameWithMatchingKeyIsReportedNotDropped) {
    K k;
    uint64_t key = K::kImageKv + 0x91000;
    uint64_t cls = k.add_class(1, key, 0, "real", 0, SPIN);
    uint64_t m = K::direct(0x73000);
    k.add_map(m, key, cls, 0, "x", 0, SPIN);
    k.put_raw_name(m, K::direct(0x74000));
    k.make_unreadable(0x74000);
    ScanResult r = scan_dump(k);
    const SlotVerdict* v = slot_of(find_map(r, m), 0);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->severity, Severity::Unreadable);
    EXPECT_NE(v->consequence.find("unreadable"), std::string::npos);
}

TEST(Scan, UnterminatedNameIsSaidNotTruncatedSilently) {
    K k;
    uint64_t key = K::kImageKv + 0x91000;
    uint64_t cls = k.add_class(1, key, 0, "real", 0, SPIN);
    uint64_t m = K::direct(0x75000);
    k.add_map(m, key, cls, 0, "x", 0, SPIN);
    k.put_raw_name(m, k.add_string(std::string(5000, 'A')));  // longer than any lock name
    ScanResult r = scan_dump(k);
    const SlotVerdict* v = slot_of(find_map(r, m), 0);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->severity, Severity::Unreadable);
    EXPECT_NE(v->consequence.find("not terminated within 4096 bytes"), std::string::npos);
}

TEST(Scan, UnreadablePagesAreCountedAndSaid) {
    K k;
    uint64_t key = K::kImageKv + 0x91000;
    uint64_t cls = k.add_class(1, key, 0, "owner", 0, SLEEP);
    uint64_t hidden = K::direct(0x80000);
    k.add_map(hidden, key, cls, 0, "alias", 0, SPIN);
    k.make_unreadable(0x80000);
    k.make_unreadable(0x81000);
    ScanResult r = scan_dump(k);
    EXPECT_EQ(find_map(r, hidden), nullptr);
    EXPECT_EQ(r.stats.pages_unreadable, 2u);
    ASSERT_EQ(r.unreadable.size(), 1u);
    EXPECT_EQ(r.unreadable[0].start, 0x80000u);
    EXPECT_EQ(r.unreadable[0].end, 0x82000u);
    auto out = run_command(k, {});
    EXPECT_NE(out.output.find("2 pages could not be read"), std::string::npos);
    EXPECT_NE(out.output.find("2 unreadable"), std::string::npos);
}

TEST(Scan, KernelImageMapIsReportedAtItsSymbolAddress) {
    K k;
    uint64_t key = K::kImageKv + 0x91000;
    uint64_t cls = k.add_class(1, key, 0, "owner", 0, SLEEP);
    uint64_t image_map = K::kImageKv + 0x300040;
    k.add_map(image_map, key, cls, 0, "static_spin", 0, SPIN);
    AnalysisContext ctx(k);
    ScanResult r = scan_dump(ctx);
    std::vector<size_t> all(r.maps.size());
    for (size_t i = 0; i < all.size(); i++) all[i] = i;
    locate_maps(ctx, r, all);
    const MapFinding* f = find_map(r, image_map);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->where.kind, Location::Kind::KernelImage);
    EXPECT_EQ(find_map(r, K::direct(K::kImagePhys + 0x300040)), nullptr);
}

TEST(Scan, MapStraddlingChunkBoundaryIsFound) {
    K k;
    uint64_t key = K::kImageKv + 0x91000;
    uint64_t cls = k.add_class(1, key, 0, "owner", 0, SLEEP);
    uint64_t m = K::direct((1 << 20) - 8);  // key in one 1 MiB chunk, class_cache[0] in the next
    k.add_map(m, key, cls, 0, "straddler", 0, SPIN);
    ScanResult r = scan_dump(k);
    ASSERT_NE(find_map(r, m), nullptr);
}

// An ELF dump is scanned in place, 16 MiB views split over threads: the
// same maps as through reads, including one across the threads' split
// point and one past a hole (a view fails there and reads take over).
TEST(Scan, InPlaceThreadedScanFindsWhatReadsFind) {
    K k;
    uint64_t key = K::kImageKv + 0x91000;
    uint64_t cls = k.add_class(1, key, 0, "owner", 0, SLEEP);
    const uint64_t maps[] = {K::direct((2 << 20) - 8), K::direct((4 << 20) - 8), K::direct(0x9c0040)};
    for (uint64_t m : maps) k.add_map(m, key, cls, 0, "spin", 0, SPIN);
    k.make_unreadable(0x9b0000);
    ScanResult by_reads = scan_dump(k);
    AnalysisContext ctx(k);
    ctx.use_memory(k.in_place_source());
    ScanOptions opt;
    opt.threads = 2;
    opt.mapped_chunk_bytes = 8 << 20;  // split over 2 threads at 4 MiB
    ScanResult in_place = scan_dump(ctx, opt);
    for (uint64_t m : maps) {
        EXPECT_NE(find_map(by_reads, m), nullptr) << std::hex << m;
        EXPECT_NE(find_map(in_place, m), nullptr) << std::hex << m;
    }
    EXPECT_EQ(in_place.stats.maps_found, by_reads.stats.maps_found);
    EXPECT_EQ(in_place.stats.pages_unreadable, 1u);
    EXPECT_EQ(in_place.stats.bytes_scanned, by_reads.stats.bytes_scanned);
}

// A kdump page that does not decompress, inside a span whose first jobs
// were made and judged: those stay judged, the rest is asked for again
// (the failing part through the Target), and the scan finds what reads
// find, each map once. Maps before, at and after the page, and at a job's
// edge.
TEST(Scan, KdumpPageThatDoesNotInflateMidSpanIsReadAroundNotJudgedTwice) {
    K k;
    uint64_t key = K::kImageKv + 0x91000;
    uint64_t cls = k.add_class(1, key, 0, "owner", 0, SLEEP);
    const uint64_t bad = 1000;  // even: zlib (kdump_of()); not a page the source samples (every 128th)
    const uint64_t maps[] = {K::direct(800 * K::kPage + 64), K::direct(966 * K::kPage - 8),
                             K::direct(bad * K::kPage + 128), K::direct(1100 * K::kPage),
                             K::direct(2000 * K::kPage + 8)};
    for (uint64_t m : maps) k.add_map(m, key, cls, 0, "spin", 0, SPIN);
    const ScanResult by_reads = scan_dump(k);
    KdumpSpec spec = kdump_of(k);
    spec.damage = [bad](uint64_t pfn) { return pfn == bad ? Damage::Garbage : Damage::None; };
    TempFiles f{{write_kdump(spec)}};
    k.set_dump_file({DumpFormat::Diskdump, f.paths[0]});
    AnalysisContext ctx(k, in_place());
    ScanOptions opt;
    opt.threads = 2;
    const ScanResult r = scan_dump(ctx, opt);
    ASSERT_EQ(r.memory_source, SourceKind::KdumpInPlace);
    for (uint64_t m : maps) EXPECT_NE(find_map(r, m), nullptr) << std::hex << m;
    EXPECT_EQ(r.stats.maps_found, by_reads.stats.maps_found);
    EXPECT_EQ(r.maps.size(), by_reads.maps.size());
    EXPECT_EQ(r.stats.bytes_scanned, by_reads.stats.bytes_scanned);
    EXPECT_EQ(r.stats.pages_scanned, by_reads.stats.pages_scanned);
    EXPECT_EQ(r.stats.pages_unreadable, by_reads.stats.pages_unreadable);
}

TEST(Layout, WaitTypesComeFromTheWholeEnumWhenListed) {
    K k;
    // PROVE_RAW_LOCK_NESTING numbering: per-name look-ups would not find it.
    k.list_enums({{"LD_WAIT_INV", 0}, {"LD_WAIT_FREE", 1}, {"LD_WAIT_SPIN", 2},
                  {"LD_WAIT_CONFIG", 3}, {"LD_WAIT_SLEEP", 4}, {"LD_WAIT_MAX", 5}});
    LayoutResult l = load_lockdep_layout(k);
    ASSERT_TRUE(l.layout);
    EXPECT_EQ(l.layout->wait.config, 3);
    EXPECT_EQ(l.layout->wait.sleep, 4);
    EXPECT_EQ(l.layout->wait.max, 5);
}

TEST(Scan, BitmapMarkingKeylessSlotsLiveIsReportedAsCorrupt) {
    K k;
    uint64_t key = K::kImageKv + 0x91000;
    k.add_class(1, key, 0, "real", 0, SPIN);
    k.put64(k.symbol_address("lock_classes_in_use").value(), ~0ULL);  // all 64 slots "live"
    ScanResult r = scan_dump(k);
    // Live by the bitmap, so counted, but every keyless record is corrupt.
    EXPECT_EQ(r.classes->in_use_count, 64);
    EXPECT_EQ(r.classes->corrupt_count, 63);
    EXPECT_EQ(r.classes->entries[1].defect, ClassDefect::None);
    EXPECT_EQ(r.classes->entries[2].defect, ClassDefect::NullKey);
    ASSERT_FALSE(r.problems.empty());
    EXPECT_NE(r.problems[0].find("63 live lock_class records fail their checks (63 null-key)"), std::string::npos);
}

TEST(Scan, CleanMapsAreCountedNotKeptUnlessAsked) {
    K k;
    uint64_t key = K::kImageKv + 0x91000;
    uint64_t cls = k.add_class(1, key, 0, "owner", 0, SLEEP);
    for (int i = 0; i < 50; i++) k.add_map(K::direct(0x100000 + i * 64), key, cls, 0, "owner", 0, SLEEP);
    uint64_t alias = K::direct(0x200000);
    k.add_map(alias, key, cls, 0, "alias", 0, SPIN);
    ScanOptions lean;
    lean.keep_clean_maps = false;
    ScanResult r = scan_dump(k, lean);
    EXPECT_EQ(r.stats.maps_found, 51u);
    EXPECT_EQ(r.maps.size(), 2u);  // the origin and the alias
    auto groups = group_by_class(r, {});
    ASSERT_EQ(groups.size(), 1u);
    EXPECT_EQ(groups[0].owner_count, 50);
    ASSERT_EQ(groups[0].owners.size(), 1u);
    EXPECT_EQ(r.maps[groups[0].owners[0].map_index].map.addr, K::direct(0x100000));
    ASSERT_EQ(groups[0].aliases.size(), 1u);
    EXPECT_EQ(r.maps[groups[0].aliases[0].map_index].map.addr, alias);
    ScanResult all = scan_dump(k);
    EXPECT_EQ(all.maps.size(), 51u);
    EXPECT_EQ(group_by_class(all, {})[0].owner_count, 50);
    auto text = run_command(k, {});
    EXPECT_NE(text.output.find("51 lockdep maps"), std::string::npos);
    EXPECT_NE(text.output.find("(+49 more with this name)"), std::string::npos);
}

TEST(Scan, NoLockdepGivesOneClearLine) {
    K k;
    k.drop_debuginfo("lock_class");
    k.drop_debuginfo("lockdep_map");
    auto out = run_command(k, {});
    ASSERT_EQ(out.errors.size(), 1u);
    EXPECT_EQ(out.errors[0], "this kernel was built without CONFIG_LOCKDEP: no lock classes to check");
    auto json = run_command(k, {"-j"});
    EXPECT_NE(json.output.find("\"error\":\"this kernel was built without CONFIG_LOCKDEP"), std::string::npos);
}

TEST(Scan, InterruptGivesPartialResult) {
    K k;
    k.add_class(1, K::kImageKv + 0x91000, 0, "owner", 0, SLEEP);
    k.interrupt_after(3);
    ScanResult r = scan_dump(k);
    EXPECT_TRUE(r.stats.interrupted);
    EXPECT_LT(r.stats.bytes_scanned, K::kMemBytes);
    auto out = run_command(k, {});  // polls continue to say "interrupted"
    EXPECT_NE(out.output.find("INTERRUPTED"), std::string::npos);
}

TEST(Scan, FiltersByClassAndName) {
    K k;
    uint64_t key = K::kImageKv + 0x91000, key2 = K::kImageKv + 0x92000;
    uint64_t c1 = k.add_class(1, key, 0, "one", 0, SLEEP);
    uint64_t c2 = k.add_class(2, key2, 0, "two", 0, SLEEP);
    k.add_map(K::direct(0x90000), key, c1, 0, "alias_of_one", 0, SPIN);
    k.add_map(K::direct(0x91000), key2, c2, 0, "alias_of_two", 0, SPIN);
    ScanResult r = scan_dump(k);
    EXPECT_EQ(group_by_class(r, {}).size(), 2u);
    GroupFilter by_addr;
    by_addr.class_addr = c2;
    auto g = group_by_class(r, by_addr);
    ASSERT_EQ(g.size(), 1u);
    EXPECT_EQ(g[0].class_addr, c2);
    GroupFilter by_name;
    by_name.name_pattern = "*of_one";
    g = group_by_class(r, by_name);
    ASSERT_EQ(g.size(), 1u);
    EXPECT_EQ(g[0].class_addr, c1);
}

}  // namespace
}  // namespace lockalias::test
