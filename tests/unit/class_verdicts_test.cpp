// Verdicts that need more than one map and one class: records that fail
// their checks (corrupt), classes whose own name disagrees (suspect), and
// locks not taken yet (latent, untracked).
#include <gtest/gtest.h>

#include <functional>

#include "analysis/class_groups.h"
#include "analysis/class_pointer_search.h"
#include "analysis/scan.h"
#include "report/scan_report.h"
#include "synthetic_kernel.h"

namespace lockalias::test {
namespace {

using K = SyntheticKernel;
constexpr unsigned SPIN = 2, SLEEP = 3;

const MapFinding* find_in(const std::vector<MapFinding>& maps, uint64_t addr) {
    for (const auto& f : maps)
        if (f.map.addr == addr) return &f;
    return nullptr;
}

Severity slot0(const ScanResult& r, uint64_t addr) {
    const MapFinding* f = find_in(r.maps, addr);
    return f && !f->slots.empty() ? f->slots[0].severity : Severity::Clean;
}

// A class "&p->pi_lock" registered by one spinlock, used by two more of
// that name, plus a spinlock wrongly sharing a mutex's key (a real alias).
struct ClassRecords : ::testing::Test {
    K k;
    uint64_t key = K::kImageKv + 0x91000, mkey = K::kImageKv + 0x92000;
    uint64_t cls = 0, mcls = 0;
    uint64_t pi[3] = {K::direct(0x10000), K::direct(0x10100), K::direct(0x10200)};
    uint64_t spin = K::direct(0x20000), mutex = K::direct(0x20100);
    void SetUp() override {
        cls = k.add_class(5, key, 0, "&p->pi_lock", 0, SPIN);
        for (uint64_t m : pi) k.add_map(m, key, cls, 0, "&p->pi_lock", 0, SPIN);
        mcls = k.add_class(9, mkey, 0, "m", 0, SLEEP);
        k.add_map(mutex, mkey, mcls, 0, "m", 0, SLEEP);
        k.add_map(spin, mkey, mcls, 0, "s", 0, SPIN);
    }
};

TEST_F(ClassRecords, SoundRecordsPassEveryCheck) {
    ScanResult r = scan_dump(k);
    EXPECT_EQ(r.classes->corrupt_count, 0);
    EXPECT_EQ(r.classes->check_note, "");
    EXPECT_EQ(slot0(r, pi[1]), Severity::Clean);
    EXPECT_EQ(slot0(r, spin), Severity::Wait);
}

TEST_F(ClassRecords, GarbageWaitBytesMakeTheClassCorruptNotAWaitAlias) {
    k.put8(cls + K::kClsInner, 240);
    k.put8(cls + K::kClsOuter, 155);
    ScanResult r = scan_dump(k);
    EXPECT_EQ(r.classes->entries[5].defect, ClassDefect::WaitType);
    for (uint64_t m : pi) EXPECT_EQ(slot0(r, m), Severity::Corrupt);
    EXPECT_EQ(slot0(r, spin), Severity::Wait);  // the real alias is still found
    auto groups = group_by_class(r, {});
    SeverityCounts n = count_aliases(groups);
    EXPECT_EQ(n.wait, 1);
    EXPECT_EQ(n.corrupt, 3);
    std::string text = scan_report_text(k, r, report_groups(r, {}), {});
    EXPECT_NE(text.find("CORRUPT record (wait-type)"), std::string::npos) << text;
    EXPECT_EQ(text.find("as {155:240}"), std::string::npos) << text;
}

TEST_F(ClassRecords, EachRecordCheckNamesWhatFailed) {
    struct Case {
        const char* what;
        std::function<void()> damage;
        ClassDefect want;
    } cases[] = {
        {"lock type", [&] { k.put8(cls + K::kClsLockType, 77); }, ClassDefect::LockType},
        {"name pointer", [&] { k.put64(cls + K::kClsName, 0x4141414141414141ULL); }, ClassDefect::Name},
        {"name version", [&] { k.put32(cls + K::kClsNameVersion, 0); }, ClassDefect::NameVersion},
        {"null key", [&] { k.put64(cls + K::kClsKey, 0); }, ClassDefect::NullKey},
        {"key overwritten", [&] { k.put64(cls + K::kClsKey, K::kImageKv + 0x93000); }, ClassDefect::WrongBucket},
        {"unhashed", [&] { k.unhash(cls); }, ClassDefect::NotHashed},
        {"hash next", [&] { k.put64(cls + K::kClsHashEntry, 0xffffffff81300008ULL); }, ClassDefect::HashLink},
        {"hash pprev", [&] { k.put64(cls + K::kClsHashEntry + 8, 0x4242424242424242ULL); }, ClassDefect::HashLink},
    };
    k.add_enum("lockdep_lock_type", {{"LD_LOCK_NORMAL", 0}, {"LD_LOCK_PERCPU", 1}, {"LD_LOCK_MAX", 2}});
    for (const Case& c : cases) {
        k.put8(cls + K::kClsLockType, 0);
        k.reset_hash();
        SetUp();  // fresh records each time
        c.damage();
        ScanResult r = scan_dump(k);
        EXPECT_EQ(r.classes->entries[5].defect, c.want) << c.what << ": " << r.classes->entries[5].defect_detail;
        EXPECT_EQ(slot0(r, pi[0]), Severity::Corrupt) << c.what;
        EXPECT_EQ(r.classes->corrupt_count, 1) << c.what;
    }
}

TEST_F(ClassRecords, ABrokenLinkBeforeAClassDoesNotCondemnIt) {
    // Two classes in one bucket (the newest first): the walk from the
    // bucket stops at the first one's scribbled next pointer, but the
    // second one's own pprev and key still put it in that bucket.
    uint64_t other = 0;
    for (uint64_t k2 = key + 16; !other; k2 += 16)
        if (K::bucket_of(k2) == K::bucket_of(key)) other = k.add_class(6, k2, 0, "other", 0, SPIN);
    k.put64(other + K::kClsHashEntry, 0xffffffff81300008ULL);
    ScanResult r = scan_dump(k);
    EXPECT_EQ(r.classes->entries[6].defect, ClassDefect::HashLink);
    EXPECT_EQ(r.classes->entries[5].defect, ClassDefect::None);
}

TEST_F(ClassRecords, BucketsThatDoNotFollowHashLongTurnTheBucketCheckOff) {
    // A kernel hashing classes some other way: every class in one bucket
    // that is neither's hash_long() bucket.
    k.reset_hash();
    uint64_t b = 0;
    while (b == K::bucket_of(key) || b == K::bucket_of(mkey)) b++;
    k.hash_at(cls, b);
    k.hash_at(mcls, b);
    ScanResult r = scan_dump(k);
    EXPECT_EQ(r.classes->corrupt_count, 0);
    EXPECT_NE(r.classes->check_note.find("bucket check skipped"), std::string::npos) << r.classes->check_note;
    EXPECT_EQ(slot0(r, spin), Severity::Wait);
}

TEST_F(ClassRecords, ANextScribbledOntoASoundClassCondemnsItsOwnRecordOnly) {
    // &p->pi_lock's next now points at the mutex class, which is linked in
    // its own bucket: the walk must not claim it, and must blame pi_lock.
    ASSERT_NE(K::bucket_of(key), K::bucket_of(mkey));
    k.put64(cls + K::kClsHashEntry, mcls + K::kClsHashEntry);
    ScanResult r = scan_dump(k);
    EXPECT_EQ(r.classes->entries[5].defect, ClassDefect::HashLink) << r.classes->entries[5].defect_detail;
    EXPECT_EQ(r.classes->entries[9].defect, ClassDefect::None) << r.classes->entries[9].defect_detail;
    EXPECT_EQ(slot0(r, spin), Severity::Wait);  // the real alias is still found
}

TEST_F(ClassRecords, TwoBrokenLinksInAChainDoNotCutTheSoundClassBehindThem) {
    // One bucket: c -> b -> a (newest first). c's and b's next are
    // scribbled; a's own pprev and key still put it in that bucket.
    std::vector<uint64_t> in_bucket;
    for (uint64_t k2 = key + 16; in_bucket.size() < 2; k2 += 16)
        if (K::bucket_of(k2) == K::bucket_of(key))
            in_bucket.push_back(k.add_class(6 + long(in_bucket.size()), k2, 0, "same_bucket", 0, SPIN));
    for (uint64_t c : in_bucket) k.put64(c + K::kClsHashEntry, 0xffffffff81300008ULL);
    ScanResult r = scan_dump(k);
    EXPECT_EQ(r.classes->entries[6].defect, ClassDefect::HashLink);
    EXPECT_EQ(r.classes->entries[7].defect, ClassDefect::HashLink);
    EXPECT_EQ(r.classes->entries[5].defect, ClassDefect::None) << r.classes->entries[5].defect_detail;
}

TEST_F(ClassRecords, SameNameOtherWaitWithNoSuchLockIsSuspect) {
    // The record says SLEEP, but every "&p->pi_lock" in memory is a spinlock.
    k.put8(cls + K::kClsInner, SLEEP);
    ScanResult r = scan_dump(k);
    EXPECT_EQ(r.classes->entries[5].defect, ClassDefect::None);  // in range: only the comparison tells
    for (uint64_t m : pi) EXPECT_EQ(slot0(r, m), Severity::Suspect);
    const MapFinding* f = find_in(r.maps, pi[0]);
    EXPECT_NE(f->slots[0].consequence.find("struct lock_class " + hex(cls)), std::string::npos);
}

TEST_F(ClassRecords, AnUntakenLockOfASuspectClassIsNoLatentAlias) {
    k.put8(cls + K::kClsInner, SLEEP);
    k.add_map(K::direct(0x30000), key, 0, 0, "&p->pi_lock", 0, SPIN);  // never taken
    ScanResult r = scan_dump(k);
    EXPECT_EQ(slot0(r, pi[0]), Severity::Suspect);
    EXPECT_TRUE(r.latent.empty());
    EXPECT_EQ(r.stats.untaken_of_suspect_classes, 1u);
}

TEST_F(ClassRecords, SameNameOtherWaitBesideAnOwnerIsAWaitAlias) {
    // A sleeping lock initialised with the same name exists and owns it.
    k.put8(cls + K::kClsInner, SLEEP);
    k.add_map(K::direct(0x30000), key, cls, 0, "&p->pi_lock", 0, SLEEP);
    ScanResult r = scan_dump(k);
    EXPECT_EQ(slot0(r, pi[0]), Severity::Wait);
}

// --- locks not taken yet ---

struct Untaken : ::testing::Test {
    K k;
    uint64_t key = K::kImageKv + 0x91000, lonely_key = K::kImageKv + 0x95000;
    uint64_t notrack = K::kImageKv + 0x96000;
    uint64_t cls = 0;
    uint64_t owner = K::direct(0x10000), wait_alias = K::direct(0x11000), name_alias = K::direct(0x12000),
             same = K::direct(0x13000), no_class = K::direct(0x14000), untracked = K::direct(0x15000);
    void SetUp() override {
        k.add_symbol("__lockdep_no_track__", notrack);
        cls = k.add_class(2, key, 0, "dev_mutex", 0, SLEEP);
        k.add_map(owner, key, cls, 0, "dev_mutex", 0, SLEEP);
        k.add_map(wait_alias, key, 0, 0, "txq_lock", 0, SPIN);
        k.add_map(name_alias, key, 0, 0, "other_mutex", 0, SLEEP);
        k.add_map(same, key, 0, 0, "dev_mutex", 0, SLEEP);
        k.add_map(no_class, lonely_key, 0, 0, "lonely", 0, SPIN);
        k.add_map(untracked, notrack, 0, 0, "nt_lock", 0, SPIN);
    }
};

TEST_F(Untaken, LatentAliasesGetTheClassTheirKeyAlreadyHas) {
    ScanResult r = scan_dump(k);
    ASSERT_EQ(r.latent.size(), 2u);
    const MapFinding* w = find_in(r.latent, wait_alias);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->slots[0].severity, Severity::Latent);
    EXPECT_EQ(w->slots[0].when_taken, Severity::Wait);
    EXPECT_EQ(w->slots[0].class_addr, cls);
    EXPECT_NE(w->slots[0].consequence.find("will validate it as \"dev_mutex\""), std::string::npos);
    const MapFinding* n = find_in(r.latent, name_alias);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->slots[0].when_taken, Severity::Name);
    EXPECT_EQ(find_in(r.latent, same), nullptr);       // its own class: not an alias
    EXPECT_EQ(find_in(r.latent, no_class), nullptr);   // will register its own
    EXPECT_EQ(r.latent_clean.at(cls), 1);
    ASSERT_EQ(r.untracked.size(), 1u);
    EXPECT_EQ(r.untracked[0].map.addr, untracked);
}

TEST_F(Untaken, ReportsListThemApartFromCurrentAliases) {
    ScanResult r = scan_dump(k);
    ReportGroups g = report_groups(r, {});
    EXPECT_TRUE(g.current.empty());
    ASSERT_EQ(g.latent.size(), 1u);
    EXPECT_EQ(g.latent[0].aliases.size(), 2u);
    std::string text = scan_report_text(k, r, g, {});
    EXPECT_NE(text.find("LATENT ALIASES"), std::string::npos) << text;
    EXPECT_NE(text.find("UNTRACKED LOCKS"), std::string::npos) << text;
    EXPECT_NE(text.find("latent: 2;"), std::string::npos) << text;
    std::string json = scan_report_json(k, r, g, {});
    EXPECT_NE(json.find("\"when_taken\":\"wait\""), std::string::npos) << json;
    GroupFilter by_name;
    by_name.name_pattern = "txq*";
    ReportGroups only = report_groups(r, by_name);
    ASSERT_EQ(only.latent.size(), 1u);
    EXPECT_TRUE(only.untracked.empty());
}

TEST_F(Untaken, AKeyWordWithoutAMapAroundItIsNotALock) {
    // A list node that points at the key: no name after it.
    uint64_t stray = K::direct(0x16000);
    k.put64(stray, key);
    k.put64(stray + K::kMapName, 0x1234);
    // And a word that holds the key with a garbage wait type.
    uint64_t garbage = K::direct(0x17000);
    k.add_map(garbage, key, 0, 0, "x", 0, 77);
    ScanResult r = scan_dump(k);
    EXPECT_EQ(find_in(r.latent, stray), nullptr);
    EXPECT_EQ(find_in(r.latent, garbage), nullptr);
}

TEST_F(Untaken, ACorruptClassMakesNoLatentAlias) {
    k.put8(cls + K::kClsInner, 99);
    ScanResult r = scan_dump(k);
    EXPECT_TRUE(r.latent.empty());
}

TEST_F(Untaken, LeftOutWhenNotAsked) {
    ScanOptions opt;
    opt.find_untaken = false;
    ScanResult r = scan_dump(k, opt);
    EXPECT_TRUE(r.latent.empty());
    EXPECT_TRUE(r.untracked.empty());
}

TEST(KeySet, KeyWordsAreTaggedInAddressOrder) {
    const uint64_t base = 0xffffffff82000000ULL;
    ClassArray slots{base, 64, 16};
    KeySet keys({0xffffffff81234560ULL, 0xffff888001000000ULL});
    uint64_t words[6] = {base + 64, 0xffffffff81234560ULL, 7, 0xffff888001000000ULL,
                         0xffff888001000008ULL, base + 65};
    std::vector<uint32_t> hits;
    find_class_pointers(reinterpret_cast<const uint8_t*>(words), sizeof words, slots, hits, &keys);
    ASSERT_EQ(hits.size(), 3u);
    EXPECT_EQ(hits[0], 0u);
    EXPECT_EQ(hits[1], 8u | kKeyWordTag);
    EXPECT_EQ(hits[2], 24u | kKeyWordTag);
    std::vector<uint32_t> without;
    find_class_pointers(reinterpret_cast<const uint8_t*>(words), sizeof words, slots, without);
    EXPECT_EQ(without.size(), 1u);
}

}  // namespace
}  // namespace lockalias::test
