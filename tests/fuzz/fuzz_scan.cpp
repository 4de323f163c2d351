// libFuzzer harness for the scanner, grouping, explain and both report
// formats over memory the input controls: a synthetic kernel
// (tests/unit/synthetic_kernel.h) with a sound image -- classes in
// lock_classes[], hashed into classhash_table, with their names; locks of
// every verdict (clean, wait alias, name alias, a subclass, no-validate,
// stale, untaken) in two adjacent pages of the direct map, one of them
// across the page (and chunk) boundary -- then the input written over
// lock_classes[], the in-use bitmap, the lock pages and the name page, and
// undone after each input. The scan, grouping, explain and both report
// formats must never crash, hang, hit UB or read outside the image. Only
// the image's six pages are in the dump (the scan reads those six per
// input); reads through fuzzed pointers anywhere else fail.
//
// Input: an options byte, then 11-byte writes (at most 128), applied in
// order on top of the sound image:
//   options bit 0: keep clean maps only counted (ScanOptions::keep_clean_maps off)
//           bit 1: no search for untaken maps (find_untaken off)
//           bit 2: reports not verbose, clean classes left out
//           bit 3: reports narrowed to lock_classes[0] (-c)
//           bit 4: reports narrowed to names matching "&*" (-n)
//   op      bits 0-1: where: 0 lock_classes[0..kSlots), 1 lock_classes_in_use
//                     word 0, 2 the two lock pages (lockdep_maps, scanned),
//                     3 the name page (the classes' and locks' names)
//           bits 2-3: width 1, 2, 4 or 8 bytes (naturally aligned)
//           bits 4-6: what: 0 raw, 1 small number, 2 a class (or a byte
//                     inside one), 3 a class key (+ a subclass), 4 a name
//                     string (or inside one), 5 a hash list node (a class's
//                     hash_entry or a bucket), 6 zero, 7 a kernel address
//   where   2 bytes, little-endian: offset in the region (wrapped)
//   value   8 bytes, little-endian
// A zero options byte and no writes: the sound image, scanned with the
// defaults and reported verbosely.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../unit/synthetic_kernel.h"
#include "analysis/class_groups.h"
#include "analysis/explain.h"
#include "analysis/scan.h"
#include "report/explain_report.h"
#include "report/scan_report.h"

namespace {

using namespace lockalias;
using K = lockalias::test::SyntheticKernel;

constexpr unsigned SPIN = 2, SLEEP = 3;
constexpr long kSlots = 8;                         // lock_classes[0..kSlots) are built and fuzzed
constexpr uint64_t kLocks = 0x10000;               // phys of the two lock pages
constexpr uint64_t kLockBytes = 2 * K::kPage;
constexpr uint64_t kNames = K::kImageKv + 0x200000;  // the name page (add_string's first)

// The dump holds only the pages in `kept`: the scan skips the rest without
// a failing read per page (like a kdump's bitmap).
struct KeptPages final : DumpSource {
    const std::vector<uint64_t>& kept;  // page-aligned physical addresses, ascending
    explicit KeptPages(const std::vector<uint64_t>& pages) : kept(pages) {}
    SourceKind kind() const override { return SourceKind::KdumpBitmap; }
    std::optional<std::vector<PhysRange>> dumped_parts(const PhysRange& range) override {
        std::vector<PhysRange> out;
        for (uint64_t p : kept) {
            const uint64_t a = std::max(p, range.start), b = std::min(p + K::kPage, range.end);
            if (a >= b) continue;
            if (!out.empty() && out.back().end == a) out.back().end = b;  // adjacent pages: one part
            else out.push_back({a, b});
        }
        return out;
    }
};

struct Region {
    uint64_t kv;
    std::vector<uint8_t> sound;  // restored after each input
};

struct Image {
    K k;
    std::vector<uint64_t> kept, keys, names, maps;
    Region regions[4];

    uint64_t cls(long i) const { return k.class_addr(i); }

    uint64_t add_class(long i, uint64_t key, unsigned sub, const char* name, unsigned inner, bool live = true) {
        uint64_t c = k.add_class(i, key, sub, name, 0, inner, live);
        k.put64(c + K::kClsUsage, 0x11);
        keys.push_back(key);
        names.push_back(k.get64(c + K::kClsName));
        return c;
    }
    void map(uint64_t off, uint64_t key, uint64_t c0, uint64_t c1, const char* name, unsigned inner) {
        const uint64_t at = K::direct(kLocks + off);
        k.add_map(at, key, c0, c1, name, 0, inner);
        maps.push_back(at);
    }

    Image() {
        k.add_field("lock_class_key", "subkeys", 0, 8);  // MAX_LOCKDEP_SUBCLASSES 8
        k.add_enum("lockdep_lock_type", {{"LD_LOCK_NORMAL", 0}, {"LD_LOCK_PERCPU", 1}, {"LD_LOCK_MAX", 2}});
        k.add_enum("lock_usage_bit", {{"LOCK_USED", 8}, {"LOCK_USAGE_STATES", 10}});

        const uint64_t base = K::kImageKv + 0x91000, nv = K::kImageKv + 0x90000;  // nv: __lockdep_no_validate__
        const uint64_t pi = base, mx = base + 0x100, ab = base + 0x200, lt = base + 0x300;
        const uint64_t c0 = add_class(0, pi, 0, "&p->pi_lock", SPIN);
        const uint64_t c1 = add_class(1, mx, 0, "m", SLEEP);
        const uint64_t c2 = add_class(2, ab, 0, "a", SPIN);
        const uint64_t c3 = add_class(3, ab, 1, "a", SPIN);  // subclass 1 of the same key
        const uint64_t c4 = add_class(4, lt, 0, "x", SLEEP);
        const uint64_t c5 = add_class(5, nv, 0, "&dev->mutex", SLEEP);
        const uint64_t c6 = add_class(6, base + 0x400, 0, "gone", SPIN, false);
        add_class(7, base + 0x500, 0, "unused-by-locks", SPIN);
        map(0x000, pi, c0, 0, "&p->pi_lock", SPIN);
        map(0x040, mx, c1, 0, "m", SLEEP);
        map(0x080, mx, c1, 0, "s", SPIN);   // wait alias
        map(0x0c0, ab, c2, c3, "a", SPIN);  // both subclasses taken
        map(0x100, ab, c2, 0, "b", SPIN);   // name alias
        map(0x140, lt, c4, 0, "x", SLEEP);
        map(0x180, lt, 0, 0, "y", SPIN);    // untaken: a latent wait alias
        map(0xfe8, pi, c0, 0, "&p->pi_lock", SPIN);  // across the page and chunk boundary
        map(0x1040, nv, c5, 0, "&dev->mutex", SLEEP);
        map(0x1080, nv, c5, 0, "&txq->_xmit_lock", SPIN);
        map(0x10c0, base + 0x600, c6, 0, "stale", SPIN);

        for (uint64_t kv : {K::direct(kLocks), K::direct(kLocks + K::kPage), K::kImageKv + 0x80000,
                            K::kImageKv + 0xA0000, K::kImageKv + 0x100000, kNames})
            kept.push_back(*k.kv_to_phys(kv) / K::kPage * K::kPage);
        std::sort(kept.begin(), kept.end());
        for (uint64_t p = 0; p < K::kMemBytes; p += K::kPage)
            if (!std::binary_search(kept.begin(), kept.end(), p)) k.make_unreadable(p);
        sound_image_check();
        const uint64_t at[4] = {cls(0), *k.symbol_address("lock_classes_in_use"), K::direct(kLocks), kNames};
        const uint64_t len[4] = {kSlots * K::kClassSize, 8, kLockBytes, K::kPage};
        for (int i = 0; i < 4; i++) {
            regions[i].kv = at[i];
            regions[i].sound.resize(len[i]);
            k.read_kv(at[i], regions[i].sound.data(), len[i]);
        }
    }

    ScanResult scan(AnalysisContext& ctx, const ScanOptions& opt) {
        ctx.use_memory(std::make_unique<KeptPages>(kept));
        return scan_dump(ctx, opt);
    }

    static ScanOptions options(unsigned bits) {
        ScanOptions opt;
        opt.threads = 1;
        opt.chunk_bytes = K::kPage;  // each lock page is a chunk: one map lies across two
        opt.keep_clean_maps = !(bits & 1);
        opt.find_untaken = !(bits & 2);
        return opt;
    }

    // The undamaged image must scan as built, or the harness fuzzes
    // nothing: stop at once.
    void sound_image_check() {
        AnalysisContext ctx(k);
        ScanResult r = scan(ctx, options(0));
        const Severity want[] = {Severity::Clean, Severity::Clean, Severity::Wait, Severity::Clean,
                                 Severity::Name,  Severity::Clean, Severity::Clean, Severity::Clean,
                                 Severity::Wait,  Severity::Stale};
        std::vector<uint64_t> taken = maps;
        taken.erase(taken.begin() + 6);  // the untaken one
        bool ok = r.error.empty() && r.classes->corrupt_count == 0 && r.latent.size() == 1 &&
                  r.maps.size() == taken.size() &&
                  // every kept page but lock_classes[]' (memory_without_maps())
                  r.stats.pages_scanned == kept.size() - 1;
        for (size_t i = 0; ok && i < taken.size(); i++)
            ok = r.maps[i].map.addr == taken[i] && r.maps[i].worst() == want[i];
        if (!ok) {
            std::fprintf(stderr, "fuzz_scan: the sound image does not scan as built (%s; %ld corrupt: %s; %llu pages)\n",
                         r.error.c_str(), r.classes->corrupt_count, r.classes->check_note.c_str(),
                         (unsigned long long)r.stats.pages_scanned);
            for (const MapFinding& f : r.maps)
                std::fprintf(stderr, "  %llx %s %s\n", (unsigned long long)f.map.addr, f.map.name.c_str(),
                             severity_name(f.worst()));
            std::abort();
        }
    }

    void restore() {
        for (const Region& g : regions) k.write_kv(g.kv, g.sound.data(), g.sound.size());
    }

    uint64_t value_of(unsigned what, uint64_t v) const {
        switch (what) {
        case 1: return v & 0xff;
        case 2: return cls(long(v % (kSlots + 2))) + ((v >> 8) % 4 == 3 ? (v >> 10) % K::kClassSize : 0);
        case 3: return keys[v % keys.size()] + (v >> 8) % 8;
        case 4: return names[v % names.size()] + (v >> 8) % 4;
        case 5: return v & 1 ? cls(long((v >> 1) % kSlots)) + K::kClsHashEntry
                             : k.bucket_addr((v >> 1) % K::kHashBuckets);
        case 6: return 0;
        case 7: return v & 1 ? K::kImageKv + (v >> 1) % K::kImageLen : K::direct((v >> 1) % K::kMemBytes);
        default: return v;
        }
    }

    void apply(const uint8_t* p) {
        const unsigned op = p[0], width = 1u << ((op >> 2) & 3), what = (op >> 4) & 7;
        const Region& g = regions[op & 3];
        const unsigned where = p[1] | unsigned(p[2]) << 8;
        uint64_t raw;
        std::memcpy(&raw, p + 3, 8);
        const uint64_t v = value_of(what, raw);
        const uint64_t at = (g.kv + where % g.sound.size()) & ~uint64_t(width - 1);
        k.write_kv(at, &v, width);  // little-endian: the low bytes
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Image* img = new Image();  // built once; each input is undone after its scan
    constexpr size_t kWrite = 11, kMaxWrites = 128;
    if (size < 1) return 0;
    const unsigned bits = data[0];
    for (size_t i = 1; i + kWrite <= size && i / kWrite < kMaxWrites; i += kWrite) img->apply(data + i);
    {
        AnalysisContext ctx(img->k);
        ScanResult r = img->scan(ctx, Image::options(bits));
        if (r.error.empty()) {
            GroupFilter filter;
            filter.include_clean = !(bits & 4);
            if (bits & 8) filter.class_addr = img->cls(0);
            if (bits & 16) filter.name_pattern = "&*";
            ReportGroups groups = report_groups(r, filter);
            ReportOptions ro;
            ro.verbose = !(bits & 4);
            ro.filtered = bits & 24;
            (void)scan_report_text(img->k, r, groups, ro);
            (void)scan_report_json(img->k, r, groups, ro);
            // Each lock found, a class, and an address inside a lock.
            std::vector<uint64_t> addrs = {img->cls(0), K::direct(kLocks + 0x48)};
            for (size_t i = 0; i < r.maps.size() && i < 8; i++) addrs.push_back(r.maps[i].map.addr);
            for (uint64_t a : addrs) {
                Explanation e = explain_address(img->k, *r.classes, ctx.locator(), a);
                (void)explain_text(img->k, *r.classes, e);
                (void)explain_json(img->k, *r.classes, e);
            }
        }
    }
    img->restore();
    return 0;
}
