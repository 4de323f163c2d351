// libFuzzer harness for the class-record checks (src/lockdep/class_checks.cpp): a
// synthetic kernel (tests/unit/synthetic_kernel.h) with sound classes, the
// locks that use them (clean, a wait alias, a name alias, a subclass, an
// untaken lock, a stale pointer), then lock_classes[], classhash_table and
// the in-use bitmap overwritten by the input. The scan, grouping and both
// reports must not crash or hit UB, and no verdict may rest on a record
// that fails its checks:
//   - every cached slot whose class has a defect is Corrupt, and Corrupt
//     only ever names such a class;
//   - clean, wait, name and suspect verdicts (and latent ones) only name
//     live, readable classes without a defect;
//   - corrupt_count is the number of live records with a defect, and each
//     defect comes with its detail.
//
// Input: 11-byte writes, applied in order on top of the sound image:
//   op     bits 0-1: where: 0,1 lock_classes[0..kSlots), 2 classhash_table,
//                    3 lock_classes_in_use word 0
//          bits 2-3: width 1, 2, 4 or 8 bytes (naturally aligned)
//          bits 4-6: what: 0 raw, 1 small number, 2 a class's hash node
//                    (or a word after it), 3 a bucket, 4 a name string,
//                    5 a class key (+ a subclass), 6 zero, 7 a kernel address
//   where  2 bytes, little-endian: offset in the region (wrapped)
//   value  8 bytes, little-endian
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

#include "../unit/synthetic_kernel.h"
#include "analysis/class_groups.h"
#include "analysis/scan.h"
#include "report/scan_report.h"

namespace {

using namespace lockalias;
using K = lockalias::test::SyntheticKernel;

constexpr unsigned SPIN = 2, SLEEP = 3;
constexpr long kSlots = 10;  // lock_classes[0..kSlots) are built and fuzzed
// lock_class list heads in the synthetic layout's free bytes
constexpr long kClsLockEntry = 80, kClsLocksAfter = 96, kClsLocksBefore = 112;

// The synthetic kernel whose dump holds only the pages in `kept`: the scan
// skips the holes without a failing read per page (fast, like a kdump's
// bitmap), and reads through fuzzed pointers into them fail.
class FuzzKernel : public K {
public:
    std::vector<uint64_t> kept;  // page-aligned physical addresses, ascending
    ScanResult scan(const ScanOptions& opt) {
        AnalysisContext ctx(*this);
        ctx.use_memory(std::make_unique<KeptPages>(kept));
        return scan_dump(ctx, opt);
    }

private:
    struct KeptPages final : DumpSource {
        const std::vector<uint64_t>& kept;
        explicit KeptPages(const std::vector<uint64_t>& pages) : kept(pages) {}
        SourceKind kind() const override { return SourceKind::KdumpBitmap; }
        std::optional<std::vector<PhysRange>> dumped_parts(const PhysRange& range) override {
            std::vector<PhysRange> out;
            for (uint64_t p : kept) {
                const uint64_t a = std::max(p, range.start), b = std::min(p + kPage, range.end);
                if (a < b) out.push_back({a, b});
            }
            return out;
        }
    };
};

struct Image {
    FuzzKernel k;
    std::vector<uint64_t> keys, names, maps;
    std::vector<uint8_t> classes, hash, bitmap;  // the sound bytes, restored after each input

    uint64_t cls(long i) const { return k.class_addr(i); }

    void list_heads(uint64_t c) {
        for (long off : {kClsLockEntry, kClsLocksAfter, kClsLocksBefore}) {
            k.put64(c + off, c + off);  // an empty list points at itself
            k.put64(c + off + 8, c + off);
        }
        k.put64(c + K::kClsUsage, 0x11);
    }
    uint64_t add_class(long i, uint64_t key, unsigned sub, const char* name, unsigned inner, bool live = true) {
        uint64_t c = k.add_class(i, key, sub, name, 0, inner, live);
        list_heads(c);
        keys.push_back(key);
        names.push_back(load(c + K::kClsName));
        return c;
    }
    void map(uint64_t at, uint64_t key, uint64_t c0, uint64_t c1, const char* name, unsigned inner) {
        k.add_map(at, key, c0, c1, name, 0, inner);
        maps.push_back(at);
    }
    uint64_t load(uint64_t kv) { return k.get64(kv); }
    void save(uint64_t kv, size_t len, std::vector<uint8_t>& out) {
        out.resize(len);
        auto p = k.kv_to_phys(kv);
        k.read_phys(*p, out.data(), len);
    }

    Image() {
        k.add_field("lock_class", "lock_entry", kClsLockEntry, 16);
        k.add_field("lock_class", "locks_after", kClsLocksAfter, 16);
        k.add_field("lock_class", "locks_before", kClsLocksBefore, 16);
        k.add_field("list_head", "next", 0, 8);
        k.add_field("list_head", "prev", 8, 8);
        k.add_field("lock_class_key", "subkeys", 0, 8);  // MAX_LOCKDEP_SUBCLASSES 8
        k.add_enum("lockdep_lock_type", {{"LD_LOCK_NORMAL", 0}, {"LD_LOCK_PERCPU", 1}, {"LD_LOCK_MAX", 2}});
        k.add_enum("lock_usage_bit", {{"LOCK_USED", 8}, {"LOCK_USAGE_STATES", 10}});

        const uint64_t base = K::kImageKv + 0x91000;
        const uint64_t pi = base, mx = base + 0x100, ab = base + 0x200, lt = base + 0x300;
        uint64_t c0 = add_class(0, pi, 0, "&p->pi_lock", SPIN);
        for (int i = 0; i < 3; i++) map(K::direct(0x10000 + 0x40 * i), pi, c0, 0, "&p->pi_lock", SPIN);
        uint64_t c1 = add_class(1, mx, 0, "m", SLEEP);
        map(K::direct(0x10100), mx, c1, 0, "m", SLEEP);
        map(K::direct(0x10140), mx, c1, 0, "s", SPIN);  // wait alias
        uint64_t c2 = add_class(2, ab, 0, "a", SPIN);
        uint64_t c3 = add_class(3, ab, 1, "a", SPIN);   // subclass 1 of the same key
        map(K::direct(0x10200), ab, c2, c3, "a", SPIN);
        map(K::direct(0x10240), ab, c2, 0, "b", SPIN);   // name alias
        uint64_t c4 = add_class(4, lt, 0, "x", SLEEP);
        map(K::direct(0x10300), lt, c4, 0, "x", SLEEP);
        map(K::direct(0x10340), lt, 0, 0, "y", SPIN);    // untaken: latent wait alias
        // Two more in class 0's bucket (a chain of three), one of them used.
        uint64_t chained[2] = {0, 0};
        for (uint64_t key = pi + 16, n = 0; n < 2; key += 16)
            if (K::bucket_of(key) == K::bucket_of(pi)) {
                chained[n] = add_class(5 + long(n), key, 0, n ? "chain1" : "chain0", SPIN);
                n++;
            }
        map(K::direct(0x10400), load(chained[0] + K::kClsKey), chained[0], 0, "chain0", SPIN);
        uint64_t nv = add_class(7, K::kImageKv + 0x90000, 0, "&dev->mutex", SLEEP);  // no-validate key
        map(K::direct(0x10500), K::kImageKv + 0x90000, nv, 0, "&dev->mutex", SLEEP);
        map(K::direct(0x10540), K::kImageKv + 0x90000, nv, 0, "&txq->_xmit_lock", SPIN);
        uint64_t gone = add_class(8, base + 0x400, 0, "gone", SPIN, false);
        map(K::direct(0x10600), base + 0x500, gone, 0, "stale", SPIN);
        add_class(9, base + 0x600, 0, "unused-by-locks", SPIN);

        // Only the pages that hold something are in the dump: the scan
        // stays quick, and reads through fuzzed pointers mostly fail.
        for (uint64_t kv : {K::direct(0x10000), K::kImageKv + 0x80000, K::kImageKv + 0xA0000,
                            K::kImageKv + 0x100000, K::kImageKv + 0x200000})
            k.kept.push_back(*k.kv_to_phys(kv) / K::kPage * K::kPage);
        std::sort(k.kept.begin(), k.kept.end());
        for (uint64_t p = 0; p < K::kMemBytes; p += K::kPage)
            if (!std::binary_search(k.kept.begin(), k.kept.end(), p)) k.make_unreadable(p);
        sound_image_check();
        save(cls(0), kSlots * K::kClassSize, classes);
        save(k.bucket_addr(0), K::kHashBuckets * 8, hash);
        save(*k.symbol_address("lock_classes_in_use"), 8, bitmap);
    }

    // The undamaged image must give the verdicts it was built for, or the
    // harness fuzzes nothing: stop at once.
    void sound_image_check() {
        ScanOptions opt;
        opt.threads = 1;
        ScanResult r = k.scan(opt);
        const Severity want[] = {Severity::Clean, Severity::Clean, Severity::Clean, Severity::Clean,
                                 Severity::Wait,  Severity::Clean, Severity::Name,  Severity::Clean,
                                 Severity::Clean, Severity::Clean, Severity::Wait,  Severity::Stale};
        // maps[] in the order added, the untaken one (index 8) left out
        std::vector<uint64_t> taken = maps;
        taken.erase(taken.begin() + 8);
        bool ok = r.error.empty() && r.classes->corrupt_count == 0 && r.latent.size() == 1 &&
                  r.maps.size() == taken.size();
        for (size_t i = 0; ok && i < taken.size(); i++)
            ok = r.maps[i].map.addr == taken[i] && r.maps[i].worst() == want[i];
        if (!ok) {
            std::fprintf(stderr, "fuzz_classes: the sound image does not scan as built (%s; %ld corrupt: %s)\n",
                         r.error.c_str(), r.classes->corrupt_count, r.classes->check_note.c_str());
            for (const MapFinding& f : r.maps)
                std::fprintf(stderr, "  %llx %s %s\n", (unsigned long long)f.map.addr, f.map.name.c_str(),
                             severity_name(f.worst()));
            std::abort();
        }
    }

    std::set<long> written;       // lock_classes[] entrys this input wrote into
    bool tables_written = false;  // ... or classhash_table / the in-use bitmap

    void restore() {
        written.clear();
        tables_written = false;
        k.write_kv(cls(0), classes.data(), classes.size());
        k.write_kv(k.bucket_addr(0), hash.data(), hash.size());
        k.write_kv(*k.symbol_address("lock_classes_in_use"), bitmap.data(), bitmap.size());
    }

    uint64_t value_of(unsigned what, uint64_t v) const {
        switch (what) {
        case 1: return v & 0xff;
        case 2: return cls(long(v % kSlots)) + 8 * ((v >> 8) % 4);
        case 3: return k.bucket_addr(v % K::kHashBuckets);
        case 4: return names[v % names.size()] + (v >> 8) % 3;
        case 5: return keys[v % keys.size()] + (v >> 8) % 3;
        case 6: return 0;
        case 7: return K::kImageKv + (v >> 3) % K::kImageLen;
        default: return v;
        }
    }

    void apply(const uint8_t* p) {
        const unsigned op = p[0], region = op & 3, width = 1u << ((op >> 2) & 3), what = (op >> 4) & 7;
        const unsigned where = p[1] | unsigned(p[2]) << 8;
        uint64_t raw;
        std::memcpy(&raw, p + 3, 8);
        const uint64_t v = value_of(what, raw);
        uint64_t at;
        if (region <= 1) at = cls(0) + (where % (kSlots * K::kClassSize));
        else if (region == 2) at = k.bucket_addr(0) + where % (K::kHashBuckets * 8);
        else at = *k.symbol_address("lock_classes_in_use") + where % 8;
        at &= ~uint64_t(width - 1);
        k.write_kv(at, &v, width);  // little-endian: the low bytes
        if (region <= 1) written.insert(long((at - cls(0)) / K::kClassSize));
        else tables_written = true;
    }
};

[[noreturn]] void broken(const char* what, uint64_t addr, const ScanResult& r) {
    const LockClass* c = r.classes->class_at(addr);
    std::fprintf(stderr, "INVARIANT: %s (class %llx: %s %s)\n", what, (unsigned long long)addr,
                 c ? class_defect_name(c->defect) : "no slot", c ? c->defect_detail.c_str() : "");
    std::abort();
}

bool sound(const LockClass* c) { return c && c->in_use && c->readable && c->defect == ClassDefect::None; }
bool flagged(const LockClass* c) { return c && c->in_use && c->readable && c->defect != ClassDefect::None; }

void check(const ScanResult& r) {
    long defects = 0;
    for (const LockClass& c : r.classes->entries) {
        if (!flagged(&c)) continue;
        defects++;
        if (c.defect_detail.empty()) broken("a defect without its detail", c.addr, r);
    }
    if (defects != r.classes->corrupt_count) broken("corrupt_count is not the number of defects", 0, r);
    for (const auto* list : {&r.maps, &r.freed}) {
        for (const MapFinding& f : *list) {
            for (const SlotVerdict& v : f.slots) {
                const LockClass* c = r.classes->class_at(v.class_addr);
                if (flagged(c) && v.severity != Severity::Corrupt)
                    broken("a slot cached to a corrupt class is not Corrupt", v.class_addr, r);
                if (v.severity == Severity::Corrupt && !flagged(c))
                    broken("Corrupt names a class without a defect", v.class_addr, r);
                switch (v.severity) {
                case Severity::Clean: case Severity::Wait: case Severity::Name: case Severity::Suspect:
                    if (!sound(c)) broken("a verdict built on a class that fails its checks", v.class_addr, r);
                    break;
                default: break;
                }
            }
        }
    }
    for (const MapFinding& f : r.latent)
        for (const SlotVerdict& v : f.slots)
            if (!sound(r.classes->class_at(v.class_addr)))
                broken("a latent alias of a class that fails its checks", v.class_addr, r);
}

// LOCKALIAS_FUZZ_STRICT=1, when only lock_classes[] bytes were written:
// a record the input left alone passes its checks (a scribble elsewhere
// must not condemn it). Off by default: the core does not hold it yet (a
// next link scribbled to point at a later bucket's class condemns that
// class; two broken links in one chain condemn the class behind them).
void check_untouched(const ScanResult& r, const Image& img) {
    if (img.tables_written) return;
    for (const LockClass& c : r.classes->entries)
        if (c.index < kSlots && flagged(&c) && !img.written.count(c.index))
            broken("a record the input did not write is corrupt", c.addr, r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Image* img = new Image();  // built once; each input is undone after its scan
    constexpr size_t kWrite = 11, kMaxWrites = 64;
    for (size_t i = 0; i + kWrite <= size && i / kWrite < kMaxWrites; i += kWrite) img->apply(data + i);
    ScanOptions opt;
    opt.threads = 1;
    opt.chunk_bytes = 16 << 10;  // the dump holds five pages: no 1 MiB buffer per input
    ScanResult r = img->k.scan(opt);
    if (r.error.empty()) {
        check(r);
        static const bool strict = std::getenv("LOCKALIAS_FUZZ_STRICT") != nullptr;
        if (strict) check_untouched(r, *img);
        GroupFilter all;
        all.include_clean = true;
        ReportGroups groups = report_groups(r, all);
        ReportOptions ro;
        ro.verbose = true;
        (void)scan_report_text(img->k, r, groups, ro);
        (void)scan_report_json(img->k, r, groups, ro);
    }
    img->restore();
    return 0;
}
