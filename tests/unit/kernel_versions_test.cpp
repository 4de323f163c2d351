// The kernel-version branches of address location, each on a synthetic
// layout shaped like that release's: how vmalloc areas are listed, how a
// slab page is marked and how a tail page names its head.
#include <gtest/gtest.h>

#include "kernel/address_locator.h"
#include "kernel/enum_values.h"
#include "analysis/scan.h"
#include "command/command.h"
#include "kernel/memory_util.h"
#include "synthetic_kernel.h"
#include "kernel/vmalloc_areas.h"

namespace lockalias::test {
namespace {

using K = SyntheticKernel;

// struct page / slab / kmem_cache, as far as the locator reads them.
constexpr long kPageFlags = 0, kPageHead = 8, kSlabCache = 8, kPageType = 48;
constexpr long kCacheName = 0, kCacheSize = 8;

struct SlabKernel : ::testing::Test {
    K k;
    uint64_t cache = K::direct(0x30000);
    uint64_t slab_phys = 0x40000;  // a 2-page slab of 256-byte objects
    void SetUp() override {
        k.use_page_structs();
        k.add_type("page", K::kPageStruct);
        k.add_field("page", "flags", kPageFlags, 8);
        k.add_field("slab", "slab_cache", kSlabCache, 8);
        k.add_field("kmem_cache", "name", kCacheName, 8);
        k.add_field("kmem_cache", "size", kCacheSize, 4);
        k.put64(cache + kCacheName, k.add_string("kmalloc-256"));
        k.put32(cache + kCacheSize, 256);
        k.put64(K::page_struct(slab_phys) + kSlabCache, cache);
    }
    // The second page is a tail page pointing at the first.
    void link_tail(uint64_t info) { k.put64(K::page_struct(slab_phys + K::kPage) + kPageHead, info); }
    Location locate_second_page_object() {
        AddressLocator loc(k);
        uint64_t phys = slab_phys + K::kPage + 0x130;  // object 17, at +0x100
        return loc.locate(K::direct(phys), phys);
    }
    void expect_slab_object(const Location& l) {
        EXPECT_EQ(l.kind, Location::Kind::Slab);
        EXPECT_EQ(l.slab_cache, "kmalloc-256");
        EXPECT_EQ(l.slab_object, K::direct(slab_phys + K::kPage + 0x100));
    }
};

// Before 6.10: PG_slab is a bit of page->flags; page->compound_head.
// An enum the target lists answers for its own names only: a name it
// lacks (PG_slab in pageflags since 6.10) is not asked of gdb by name,
// which would search every compilation unit. An enum it cannot list still is.
TEST(EnumValueOf, AListedEnumIsNotSearchedPastByName) {
    K k;  // (answers LD_WAIT_* by name, as gdb would)
    k.add_enum("pageflags", {{"PG_locked", 0}, {"PG_head", 6}});
    EXPECT_EQ(enum_value_of(k, "pageflags", "PG_head"), 6);
    EXPECT_EQ(enum_value_of(k, "pageflags", "LD_WAIT_SPIN"), std::nullopt);
    EXPECT_EQ(enum_value_of(k, "lockdep_wait_type", "LD_WAIT_SPIN"), 2);  // not listed: by name
}

TEST_F(SlabKernel, PageFlagBitBefore610) {
    k.add_field("page", "compound_head", kPageHead, 8);
    k.add_enum("pageflags", {{"PG_locked", 0}, {"PG_slab", 9}});
    k.put64(K::page_struct(slab_phys) + kPageFlags, 1ULL << 9);
    link_tail(K::page_struct(slab_phys) | 1);
    expect_slab_object(locate_second_page_object());
}

// 6.10-6.11: a page type, i.e. PG_slab cleared under PAGE_TYPE_BASE.
TEST_F(SlabKernel, PageTypeClearedBit610) {
    k.add_field("page", "compound_head", kPageHead, 8);
    k.add_field("page", "page_type", kPageType, 4);
    k.add_enum("pageflags", {{"PG_locked", 0}});
    k.add_enum("pagetype", {{"PG_buddy", 0x01000000}, {"PG_slab", 0x00001000}, {"PAGE_TYPE_BASE", 0x80000000L}});
    k.put32(K::page_struct(slab_phys) + kPageType, 0xffffffffu & ~0x00001000u);
    link_tail(K::page_struct(slab_phys) | 1);
    expect_slab_object(locate_second_page_object());
}

// 6.12 and later: the top byte of page_type is PGTY_slab.
TEST_F(SlabKernel, PageTypeTopByte612) {
    k.add_field("page", "compound_head", kPageHead, 8);
    k.add_field("page", "page_type", kPageType, 4);
    k.add_enum("pageflags", {{"PG_locked", 0}});
    k.add_enum("pagetype", {{"PGTY_buddy", 0xf0}, {"PGTY_slab", 0xf5}});
    k.put32(K::page_struct(slab_phys) + kPageType, 0xf5000000u);
    link_tail(K::page_struct(slab_phys) | 1);
    expect_slab_object(locate_second_page_object());
}

// 7.x: page->compound_info; with the HugeTLB vmemmap optimisation a tail
// page holds a mask instead of the head's address.
TEST_F(SlabKernel, CompoundInfoMask7x) {
    k.add_field("page", "compound_info", kPageHead, 8);
    k.add_field("page", "page_type", kPageType, 4);
    k.add_enum("pagetype", {{"PGTY_slab", 0xf5}});
    k.put32(K::page_struct(slab_phys) + kPageType, 0xf5000000u);
    // 2-page compound: clearing bit 6 of the address (64-byte pages) finds the head.
    ASSERT_EQ(K::page_struct(slab_phys) & 0x7f, 0u);
    link_tail(~uint64_t(0x40) | 1);
    expect_slab_object(locate_second_page_object());
}

// Pages of the kernel image that the kernel gave back (init sections,
// .bss..decrypted's unused part, ...) lose PG_reserved and hold slabs like
// any page: a map there is located by its page, not as kernel data.
TEST_F(SlabKernel, AGivenBackImagePageIsOrdinaryMemory) {
    k.add_field("page", "compound_head", kPageHead, 8);
    k.add_field("page", "page_type", kPageType, 4);
    k.add_enum("pageflags", {{"PG_locked", 0}, {"PG_reserved", 10}});
    k.add_enum("pagetype", {{"PGTY_slab", 0xf5}});
    const uint64_t kept = K::kImagePhys + 0x200000, given_back = K::kImagePhys + 0x300000;
    k.put64(K::page_struct(kept) + kPageFlags, 1ULL << 10);
    k.put32(K::page_struct(given_back) + kPageType, 0xf5000000u);
    k.put64(K::page_struct(given_back) + kSlabCache, cache);
    AddressLocator loc(k);
    EXPECT_EQ(loc.kernel_address(kept + 0x40), K::kImageKv + 0x200040);
    EXPECT_EQ(loc.locate(K::kImageKv + 0x200040, kept + 0x40).kind, Location::Kind::KernelImage);
    EXPECT_EQ(loc.kernel_address(given_back + 0x140), K::direct(given_back + 0x140));
    Location l = loc.locate(K::direct(given_back + 0x140), given_back + 0x140);
    EXPECT_EQ(l.kind, Location::Kind::Slab);
    EXPECT_EQ(l.slab_object, K::direct(given_back + 0x100));
}

TEST_F(SlabKernel, OtherPageTypeIsNotSlab) {
    k.add_field("page", "compound_head", kPageHead, 8);
    k.add_field("page", "page_type", kPageType, 4);
    k.add_enum("pagetype", {{"PGTY_buddy", 0xf0}, {"PGTY_slab", 0xf5}});
    k.put32(K::page_struct(slab_phys) + kPageType, 0xf0000000u);
    EXPECT_EQ(locate_second_page_object().kind, Location::Kind::DirectMap);
}

TEST_F(SlabKernel, UnknownMarkingSaysSo) {
    k.add_field("page", "compound_head", kPageHead, 8);
    SlabPages pages(k);
    EXPECT_FALSE(pages.ok());
    EXPECT_NE(pages.problem().find("PGTY_slab"), std::string::npos);
    // ... and the scan's partial-answer notes say it too
    k.add_class(3, K::kImageKv + 0x91000, 0, "&a->lock", 0, 2);
    k.add_map(K::direct(0x20000), K::kImageKv + 0x91000, k.class_addr(3), 0, "&a->lock", 0, 2);
    ScanResult r = scan_dump(k);
    bool said = false;
    for (const auto& p : r.problems) said |= p.find("slab locks are shown as page memory") != std::string::npos;
    EXPECT_TRUE(said);
}

// A freed object keeps its map, but SLUB's free pointer (at
// kmem_cache.offset) overwrote the key: set aside, not called stale.
TEST_F(SlabKernel, MapWhoseKeyIsTheFreePointerIsAFreedObject) {
    k.add_field("page", "compound_head", kPageHead, 8);
    k.add_field("page", "page_type", kPageType, 4);
    k.add_enum("pagetype", {{"PGTY_slab", 0xf5}});
    k.put32(K::page_struct(slab_phys) + kPageType, 0xf5000000u);
    k.add_field("kmem_cache", "offset", 12, 4);
    k.put32(cache + 12, 0x40);
    uint64_t key = K::kImageKv + 0x91000;
    uint64_t cls = k.add_class(3, key, 0, "&fs->seq", 0, 0);
    uint64_t freed_map = K::direct(slab_phys + 0x300 + 0x40);  // object 3, at the free pointer
    uint64_t live_map = K::direct(slab_phys + 0x400 + 0x48);   // object 4, key elsewhere
    k.add_map(freed_map, K::direct(slab_phys + 0x500), cls, 0, "&fs->seq", 0, 0);
    k.add_map(live_map, K::direct(slab_phys + 0x600), cls, 0, "&fs->seq", 0, 0);
    ScanResult r = scan_dump(k);
    ASSERT_EQ(r.freed.size(), 1u);
    EXPECT_EQ(r.freed[0].map.addr, freed_map);
    EXPECT_EQ(r.freed[0].where.slab_cache, "kmalloc-256");
    bool live_is_stale = false;
    for (const auto& f : r.maps) live_is_stale |= f.map.addr == live_map && f.worst() == Severity::Stale;
    EXPECT_TRUE(live_is_stale);
}

// SLUB's freelists (slab_freelists.h): a map that would be reported but
// lies in an object on a freelist is freed memory, not a lock.
// slab.freelist at 16, kmem_cache.offset at 12, .random at 16, .cpu_slab
// at 24; kmem_cache_cpu: freelist at 0, slab at 8; two CPUs.
struct FreelistKernel : SlabKernel {
    uint64_t key = K::kImageKv + 0x91000, other_key = K::kImageKv + 0x92000;
    uint64_t sleeping = 0, cpu_area = K::direct(0x38000);
    uint64_t slab = K::page_struct(0x40000);
    static constexpr uint64_t kRandom = 0x5a5a1234deadbeefULL;
    void SetUp() override {
        SlabKernel::SetUp();
        k.add_field("page", "compound_head", kPageHead, 8);
        k.add_field("page", "page_type", kPageType, 4);
        k.add_enum("pagetype", {{"PGTY_slab", 0xf5}});
        k.put32(slab + kPageType, 0xf5000000u);
        link_tail(slab | 1);
        k.add_field("slab", "freelist", 16, 8);
        k.add_field("kmem_cache", "offset", 12, 4);
        k.add_field("kmem_cache", "random", 16, 8);
        k.add_field("kmem_cache", "cpu_slab", 24, 8);
        k.add_field("kmem_cache_cpu", "freelist", 0, 8);
        k.add_field("kmem_cache_cpu", "slab", 8, 8);
        k.put32(cache + 12, 0x80);  // the free pointer mid-object, off the maps
        k.put64(cache + 16, kRandom);
        k.put64(cache + 24, cpu_area);
        // two CPUs, their areas 0x100 apart; neither runs on this slab yet
        k.add_symbol("__per_cpu_offset", K::direct(0x37000));
        k.add_symbol("nr_cpu_ids", K::direct(0x37100));
        k.put32(K::direct(0x37100), 2);
        k.put64(K::direct(0x37000), 0);
        k.put64(K::direct(0x37008), 0x100);
        // a sleeping lock's class; every map below is a spinlock on its key: a wait alias
        sleeping = k.add_class(3, key, 0, "&dev->mutex", 3, 3);
    }
    uint64_t object(int i) const { return K::direct(0x40000 + uint64_t(i) * 256); }
    void alias_map_in(int i) { k.add_map(object(i) + 0x10, key, sleeping, 0, "&x->lock", 0, 2); }
    // Links objects into one freelist starting at head_field, hardened as
    // freelist_ptr_encode() stores them.
    void link(uint64_t head_field, std::vector<int> objs) {
        k.put64(head_field, objs.empty() ? 0 : object(objs[0]));
        for (size_t n = 0; n < objs.size(); n++) {
            const uint64_t at = object(objs[n]) + 0x80;
            const uint64_t next = n + 1 < objs.size() ? object(objs[n + 1]) : 0;
            k.put64(at, next ^ kRandom ^ __builtin_bswap64(at));
        }
    }
    bool reported(const ScanResult& r, uint64_t addr) {
        for (const auto& f : r.maps)
            if (f.map.addr == addr) return true;
        return false;
    }
    bool set_aside(const ScanResult& r, uint64_t addr, const std::string& how) {
        for (const auto& f : r.freed)
            if (f.map.addr == addr) return how == f.freed_how;
        return false;
    }
};

TEST_F(FreelistKernel, MapsInObjectsOnTheSlabsFreelistAreSetAside) {
    for (int i : {1, 2, 5}) alias_map_in(i);
    link(slab + 16, {5, 1, 9});
    ScanResult r = scan_dump(k);
    EXPECT_TRUE(set_aside(r, object(1) + 0x10, "slab-freelist"));
    EXPECT_TRUE(set_aside(r, object(5) + 0x10, "slab-freelist"));
    EXPECT_TRUE(reported(r, object(2) + 0x10));  // allocated: a real alias
    EXPECT_EQ(r.freed.size(), 2u);
}

// `lockalias ADDR` on a map in a free object says so beside its verdict
// (text and JSON); on an allocated one it says nothing of the kind.
TEST_F(FreelistKernel, ExplainSaysAMapIsInFreedMemory) {
    for (int i : {1, 2}) alias_map_in(i);
    link(slab + 16, {1});
    auto ask = [&](int i, bool json) {
        std::vector<std::string> args;
        if (json) args.push_back("-j");
        args.push_back(hex(object(i) + 0x10));
        return run_command(k, args).output;
    };
    EXPECT_NE(ask(1, false).find("FREED MEMORY (slab-freelist)"), std::string::npos) << ask(1, false);
    EXPECT_NE(ask(1, true).find("\"freed\":\"slab-freelist\""), std::string::npos) << ask(1, true);
    EXPECT_EQ(ask(2, false).find("FREED"), std::string::npos) << ask(2, false);
    EXPECT_NE(ask(2, true).find("\"freed\":null"), std::string::npos) << ask(2, true);
}

TEST_F(FreelistKernel, ACpusLocklessFreelistCountsForItsSlabOnly) {
    for (int i : {3, 4}) alias_map_in(i);
    k.put64(cpu_area + 0x100 + 8, slab);  // CPU 1 runs on this slab
    link(cpu_area + 0x100, {4});
    k.put64(cpu_area + 8, K::page_struct(0x60000));  // CPU 0: another slab, object 3 on its list
    k.put64(cpu_area, object(3));
    ScanResult r = scan_dump(k);
    EXPECT_TRUE(set_aside(r, object(4) + 0x10, "slab-freelist"));
    EXPECT_TRUE(reported(r, object(3) + 0x10));
}

TEST_F(FreelistKernel, ACorruptFreelistJudgesNothingAndSaysSo) {
    alias_map_in(1);
    link(slab + 16, {1, 2});
    k.put64(object(2) + 0x80, object(1) ^ kRandom ^ __builtin_bswap64(object(2) + 0x80));  // a cycle
    ScanResult r = scan_dump(k);
    EXPECT_TRUE(reported(r, object(1) + 0x10));  // not known to be free: still shown
    bool said = false;
    for (const auto& p : r.problems) said |= p.find("is unreadable or corrupt") != std::string::npos;
    EXPECT_TRUE(said);
}

TEST_F(FreelistKernel, WithoutTheHardeningNoDecoding) {
    k.drop_field("kmem_cache", "random");
    alias_map_in(7);
    k.put64(slab + 16, object(7));
    k.put64(object(7) + 0x80, 0);
    ScanResult r = scan_dump(k);
    EXPECT_TRUE(set_aside(r, object(7) + 0x10, "slab-freelist"));
}

// 6.18 and later (7.0+: the only per-CPU cache): free objects wait in
// sheaves, arrays of object pointers: each CPU's main and spare sheaf, and
// the full sheaves on each node's barn (slab_freelists.h). An object in
// one is free; one that is in none and on no freelist is allocated.
// kmem_cache.cpu_sheaves at 32, .per_node[1] at 40 (barn at 0);
// slub_percpu_sheaves: main 0, spare 8; slab_sheaf: barn_list 0, size 24,
// objects 32; node_barn.sheaves_full at 64.
TEST_F(FreelistKernel, MapsInObjectsInASheafAreSetAside) {
    for (const char* m : {"cpu_slab"}) k.drop_field("kmem_cache", m);
    k.add_field("kmem_cache", "cpu_sheaves", 32, 8);
    k.add_field("slub_percpu_sheaves", "main", 0, 8);
    k.add_field("slub_percpu_sheaves", "spare", 8, 8);
    k.add_field("slab_sheaf", "barn_list", 0, 16);
    k.add_field("slab_sheaf", "size", 24, 4);
    k.add_field("slab_sheaf", "objects", 32, 8);  // (a flexible array; a size here says "present")
    k.add_type("kmem_cache_per_node_ptrs", 16);
    k.add_field("kmem_cache", "per_node", 40, 16);
    k.add_field("kmem_cache_per_node_ptrs", "barn", 0, 8);
    k.add_field("node_barn", "sheaves_full", 64, 16);
    const uint64_t pcs = K::direct(0x39000), main1 = K::direct(0x3a000), spare0 = K::direct(0x3a100),
                   barn = K::direct(0x3b000), full = K::direct(0x3b200);
    k.put64(cache + 32, pcs);
    auto sheaf = [&](uint64_t at, std::vector<int> objs) {
        k.put32(at + 24, uint32_t(objs.size()));
        for (size_t n = 0; n < objs.size(); n++) k.put64(at + 32 + 8 * n, object(objs[n]));
    };
    k.put64(pcs + 0x100, main1);  // CPU 1's main sheaf
    sheaf(main1, {2, 6});
    k.put64(pcs + 8, spare0);     // CPU 0's spare
    sheaf(spare0, {3});
    k.put64(cache + 40, barn);    // node 0's barn: one full sheaf
    k.put64(barn + 64, full);
    k.put64(full, barn + 64);
    sheaf(full, {8});
    // a sheaf's slot past its size is stale: object 9 is not in it
    k.put64(full + 32 + 8, object(9));
    for (int i : {2, 3, 4, 6, 8, 9}) alias_map_in(i);
    ScanResult r = scan_dump(k);
    for (int i : {2, 3, 6, 8}) EXPECT_TRUE(set_aside(r, object(i) + 0x10, "slab-sheaf")) << i;
    EXPECT_TRUE(reported(r, object(4) + 0x10));
    EXPECT_TRUE(reported(r, object(9) + 0x10));
    EXPECT_EQ(r.freed.size(), 4u);
}

// A map in a page the buddy allocator holds free (buddy_pages.h): the
// block's first page has the buddy type and its order in page->private.
TEST_F(SlabKernel, MapsInFreeBuddyPagesAreSetAside) {
    k.add_field("page", "page_type", kPageType, 4);
    k.add_field("page", "private", 40, 8);
    k.add_enum("pagetype", {{"PGTY_buddy", 0xf0}, {"PGTY_slab", 0xf5}});
    k.add_type("free_area", 88);
    k.add_field("zone", "free_area", 0, 88 * 11);
    k.put32(K::page_struct(0x44000) + kPageType, 0xf0000000u);  // pfns 0x44-0x47 free, order 2
    k.put64(K::page_struct(0x44000) + 40, 2);
    uint64_t key = K::kImageKv + 0x91000;
    uint64_t cls = k.add_class(3, key, 0, "&dev->mutex", 3, 3);
    uint64_t in_free = K::direct(0x46100), in_use = K::direct(0x48100);
    k.add_map(in_free, key, cls, 0, "&x->lock", 0, 2);
    k.add_map(in_use, key, cls, 0, "&x->lock", 0, 2);
    ScanResult r = scan_dump(k);
    ASSERT_EQ(r.freed.size(), 1u);
    EXPECT_EQ(r.freed[0].map.addr, in_free);
    EXPECT_STREQ(r.freed[0].freed_how, "buddy-free");
    bool still_reported = false;
    for (const auto& f : r.maps) still_reported |= f.map.addr == in_use && f.worst() == Severity::Wait;
    EXPECT_TRUE(still_reported);
}

// A map in a page of a file or a process (page->mapping set) is no lock:
// on a live system, the reader's own copies of kernel memory.
TEST_F(SlabKernel, MapsInUserOrFilePagesAreSetAside) {
    k.add_field("page", "compound_head", kPageHead, 8);
    k.add_field("page", "mapping", 24, 8);
    k.put64(K::page_struct(0x46000) + 24, K::direct(0x70001));  // anonymous: bit 0
    uint64_t key = K::kImageKv + 0x91000;
    uint64_t cls = k.add_class(3, key, 0, "&dev->mutex", 3, 3);
    uint64_t copy = K::direct(0x46100), kernel = K::direct(0x48100);
    k.add_map(copy, key, cls, 0, "&x->lock", 0, 2);
    k.add_map(kernel, key, cls, 0, "&x->lock", 0, 2);
    ScanResult r = scan_dump(k);
    ASSERT_EQ(r.freed.size(), 1u);
    EXPECT_EQ(r.freed[0].map.addr, copy);
    EXPECT_STREQ(r.freed[0].freed_how, "user-page");
    ASSERT_EQ(r.maps.size(), 1u);
    EXPECT_EQ(r.maps[0].map.addr, kernel);
}

// A freed page goes to its CPU's list first (pcp_pages.h), unmarked: a map
// there is freed memory too. A block of 2^order pages is listed by its
// first page on list order * MIGRATE_PCPTYPES + migratetype.
// zone.per_cpu_pageset at 0 (a zone is 64 bytes, two in pglist_data at
// 0); per_cpu_pages.lists[14] at 16; page.pcp_list at 8.
TEST_F(SlabKernel, MapsInPagesOnAPerCpuListAreSetAside) {
    k.add_field("page", "compound_head", kPageHead, 8);
    k.add_field("page", "pcp_list", 8, 16);
    k.add_type("zone", 64);
    k.add_field("pglist_data", "node_zones", 0, 128);
    k.add_field("zone", "per_cpu_pageset", 0, 8);
    k.add_field("per_cpu_pages", "lists", 16, 16 * 14);
    k.add_enum("migratetype", {{"MIGRATE_UNMOVABLE", 0}, {"MIGRATE_MOVABLE", 1}, {"MIGRATE_RECLAIMABLE", 2},
                               {"MIGRATE_PCPTYPES", 3}});
    const uint64_t node = K::direct(0x36000), pcp = K::direct(0x37000);
    // node_data[] as x86 declares it, with no length: nr_node_ids says how many
    k.add_symbol("node_data", K::direct(0x35000));
    k.put64(K::direct(0x35000), node);
    k.add_symbol("nr_node_ids", K::direct(0x35800));
    k.put32(K::direct(0x35800), 1);
    k.put64(node + 64, pcp);  // the second zone has the lists; the first none
    // one list per (order, type): a helper links pages into list l
    auto link = [&](unsigned l, std::vector<uint64_t> phys) {
        const uint64_t head = pcp + 16 + 16 * l;
        uint64_t prev = head;
        for (uint64_t p : phys) {
            const uint64_t entry = K::page_struct(p) + 8;
            k.put64(prev, entry);
            prev = entry;
        }
        k.put64(prev, head);
    };
    for (unsigned l = 0; l < 14; l++) link(l, {});
    link(1, {0x4a000});           // order 0, movable
    link(4, {0x46000});           // order 1: pfns 0x46-0x47
    const uint64_t key = K::kImageKv + 0x91000;
    const uint64_t cls = k.add_class(3, key, 0, "&dev->mutex", 3, 3);
    const uint64_t in_order0 = K::direct(0x4a100), in_tail = K::direct(0x47100), in_use = K::direct(0x48100);
    for (uint64_t m : {in_order0, in_tail, in_use}) k.add_map(m, key, cls, 0, "&x->lock", 0, 2);
    ScanResult r = scan_dump(k);
    ASSERT_EQ(r.freed.size(), 2u);
    for (const auto& f : r.freed) {
        EXPECT_TRUE(f.map.addr == in_order0 || f.map.addr == in_tail);
        EXPECT_STREQ(f.freed_how, "pcp-free");
    }
    ASSERT_EQ(r.maps.size(), 1u);
    EXPECT_EQ(r.maps[0].map.addr, in_use);
}

// vmap_area: list at 0, va_start at 16, va_end at 24.
struct VmallocKernel : ::testing::Test {
    K k;
    uint64_t module_kv = 0xffffffffa0000000ULL;
    uint64_t module_phys = 0x50000;
    uint64_t area = K::direct(0x60000);
    void SetUp() override {
        k.add_field("vmap_area", "list", 0, 16);
        k.add_field("vmap_area", "va_start", 16, 8);
        k.add_field("vmap_area", "va_end", 24, 8);
        k.map_vmalloc(module_kv, module_phys);
        k.map_vmalloc(module_kv + K::kPage, module_phys + 0x3000);
        k.put64(area + 16, module_kv);
        k.put64(area + 24, module_kv + 2 * K::kPage);
    }
    // A one-element circular list from head through the area.
    void link(uint64_t head) {
        k.put64(head, area);
        k.put64(area, head);
    }
    void expect_translated() {
        AddressLocator loc(k);
        loc.learn_vmalloc_aliases({module_phys + 0x3010});
        EXPECT_EQ(loc.problem(), "");
        EXPECT_EQ(loc.kernel_address(module_phys + 0x3010), module_kv + K::kPage + 0x10);
    }
};

// A map over a page boundary in vmalloc memory: its second page is not the
// physically next one. Read as physical memory goes on, its wait types came
// from the wrong page (zeros: a false wait alias, seen on a real system in a
// BPF hash map's vmalloc'd buckets); the scan judges it again from its
// vmalloc address.
TEST_F(VmallocKernel, MapOverAPageBoundaryIsJudgedFromItsVmallocPages) {
    k.add_symbol("vmap_area_list", K::kImageKv + 0xa0000);
    link(K::kImageKv + 0xa0000);
    const uint64_t key = K::kImageKv + 0x91000, spin = 2, sleep = 3;
    const uint64_t cls = k.add_class(1, key, 0, "bucket", 0, spin);
    const uint64_t clean = module_kv + K::kPage - 16;  // class_cache[0] in the first page, wait types in the second
    k.add_map(clean, key, cls, 0, "bucket", 0, spin);
    // (the physically next page, module_phys + kPage, holds zeros)
    auto find_map = [](const ScanResult& r, uint64_t addr) -> const MapFinding* {
        for (const auto& f : r.maps)
            if (f.map.addr == addr) return &f;
        return nullptr;
    };
    ScanResult r = scan_dump(k);
    const MapFinding* f = find_map(r, clean);
    EXPECT_TRUE(f == nullptr || f->worst() == Severity::Clean) << "judged from the wrong page";
    EXPECT_EQ(r.stats.maps_found, 1u);

    // A real alias there (another lock's name, a sleeping lock) is still
    // found, with the map's own wait types.
    k.add_map(clean, key, cls, 0, "other", 0, sleep);
    r = scan_dump(k);
    f = find_map(r, clean);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->worst(), Severity::Wait);
    EXPECT_EQ(f->map.wait_inner, sleep);
}

// Before 6.9: one global vmap_area_list.
TEST_F(VmallocKernel, GlobalListBefore69) {
    uint64_t head = K::kImageKv + 0xa0000;
    k.add_symbol("vmap_area_list", head);
    link(head);
    EXPECT_EQ(read_vmap_areas(k).source, "vmap_area_list");
    expect_translated();
}

// 6.9 and later: nr_vmap_nodes nodes, each with its busy list.
TEST_F(VmallocKernel, PerNodeBusyLists69) {
    const long node_size = 0x200, busy = 0x100, head_in_rb_list = 8;
    uint64_t nodes = K::direct(0x70000);
    k.add_symbol("vmap_nodes", K::kImageKv + 0xa1000);
    k.add_symbol("nr_vmap_nodes", K::kImageKv + 0xa1008);
    k.add_type("vmap_node", node_size);
    k.add_field("vmap_node", "busy", busy, 32);
    k.add_field("rb_list", "head", head_in_rb_list, 16);
    k.put64(K::kImageKv + 0xa1000, nodes);
    k.put32(K::kImageKv + 0xa1008, 2);
    // node 0: empty busy list; node 1: the module's area
    uint64_t head0 = nodes + busy + head_in_rb_list;
    k.put64(head0, head0);
    link(nodes + node_size + busy + head_in_rb_list);
    VmapAreas a = read_vmap_areas(k);
    EXPECT_EQ(a.source, "vmap_nodes");
    ASSERT_EQ(a.areas.size(), 1u);
    expect_translated();
}

TEST_F(VmallocKernel, NeitherListIsAPartialAnswer) {
    AddressLocator loc(k);
    loc.learn_vmalloc_aliases({module_phys});
    EXPECT_NE(loc.problem().find("direct-map addresses"), std::string::npos);
    EXPECT_EQ(loc.kernel_address(module_phys), K::direct(module_phys));
}

TEST_F(VmallocKernel, LoopingListIsCutShort) {
    uint64_t head = K::kImageKv + 0xa0000;
    k.add_symbol("vmap_area_list", head);
    k.put64(head, area);
    k.put64(area, area);  // never returns to head
    VmapAreas a = read_vmap_areas(k);
    EXPECT_NE(a.problem.find("did not end"), std::string::npos);
}

// lockdep's own arrays hold class pointers in lock_list entries: what
// looks like a map there is not reported, the same bytes elsewhere are.
TEST(LockdepTables, NoMapInsideListEntries) {
    K k;
    uint64_t key = K::kImageKv + 0x91000;
    uint64_t cls = k.add_class(3, key, 0, "&a->lock", 0, 2);
    uint64_t list_entries = K::kImageKv + 0x120000;
    k.add_symbol("list_entries", list_entries);
    k.set_array_length("list_entries", 16);
    k.add_type("lock_list", 64);
    uint64_t inside = list_entries + 64 * 3 + 8;
    uint64_t outside = K::direct(0x20000);
    k.add_map(inside, key + 0x100, cls, 0, "@", 1, 0);
    k.add_map(outside, key + 0x100, cls, 0, "@", 1, 0);
    ScanResult r = scan_dump(k);
    bool saw_inside = false, saw_outside = false;
    for (const auto& f : r.maps) {
        saw_inside |= f.map.addr == inside;
        saw_outside |= f.map.addr == outside;
    }
    EXPECT_FALSE(saw_inside);
    EXPECT_TRUE(saw_outside);
}

}  // namespace
}  // namespace lockalias::test
