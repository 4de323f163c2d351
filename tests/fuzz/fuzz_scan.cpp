// libFuzzer harness for the scanner: the input is a whole physical memory
// image (direct-mapped, with lock_classes[] at its start) plus an in-use
// bitmap; the scan, grouping, explain and both report formats must never
// crash, hang, or read outside the image.
#include <cstdint>
#include <cstring>
#include <vector>

#include "analysis/class_groups.h"
#include "analysis/explain.h"
#include "report/explain_report.h"
#include "analysis/scan.h"
#include "report/scan_report.h"

namespace {

using namespace lockalias;

class FuzzKernel : public Target {
public:
    static constexpr uint64_t kDirect = 0xffff888000000000ULL;
    static constexpr uint64_t kImage = 0xffffffff81000000ULL;  // aliases phys 0
    FuzzKernel(const uint8_t* data, size_t size) : mem_(data, data + size) {}

    bool read_kv(uint64_t kv, void* buf, size_t len) override {
        auto p = kv_to_phys(kv);
        return p && read_phys(*p, buf, len);
    }
    bool read_phys(uint64_t p, void* buf, size_t len) override {
        if (p > mem_.size() || len > mem_.size() - p) return false;
        std::memcpy(buf, mem_.data() + p, len);
        return true;
    }
    std::vector<PhysRange> memory_node_spans() override { return {{0, mem_.size()}}; }
    size_t page_size() override { return 4096; }
    std::optional<uint64_t> kv_to_phys(uint64_t kv) override {
        if (kv >= kDirect && kv - kDirect < mem_.size()) return kv - kDirect;
        if (kv >= kImage && kv - kImage < mem_.size()) return kv - kImage;
        return std::nullopt;
    }
    uint64_t phys_to_direct_map(uint64_t p) override { return kDirect + p; }
    std::optional<uint64_t> page_struct_of_phys(uint64_t) override { return std::nullopt; }
    std::optional<uint64_t> symbol_address(const std::string& n) override {
        if (n == "lock_classes") return kImage;
        if (n == "lock_classes_in_use") return kImage + 16 * 64;  // right after the array
        if (n == "_text") return kImage;
        if (n == "_end") return kImage + mem_.size();
        return std::nullopt;
    }
    std::string symbol_at(uint64_t) override { return ""; }
    std::optional<long> type_size(const std::string& t) override {
        if (t == "lockdep_map") return 40;
        if (t == "lock_class") return 64;
        return std::nullopt;
    }
    std::optional<long> member_offset(const std::string& t, const std::string& m) override {
        auto f = field(t, m);
        return f.second ? std::optional<long>(f.first) : std::nullopt;
    }
    std::optional<long> member_size(const std::string& t, const std::string& m) override {
        auto f = field(t, m);
        return f.second ? std::optional<long>(f.second) : std::nullopt;
    }
    std::optional<long> enum_value(const std::string& e) override {
        if (e == "LD_WAIT_SPIN") return 2;
        if (e == "LD_WAIT_SLEEP") return 3;
        if (e == "LD_WAIT_MAX") return 4;
        return std::nullopt;
    }
    std::optional<long> array_length(const std::string& s) override {
        if (s == "lock_classes") return 16;
        return std::nullopt;
    }
    bool interrupted() override { return false; }

private:
    static std::pair<long, long> field(const std::string& t, const std::string& m) {
        if (t == "lockdep_map") {
            if (m == "key") return {0, 8};
            if (m == "class_cache") return {8, 16};
            if (m == "name") return {24, 8};
            if (m == "wait_type_outer") return {32, 1};
            if (m == "wait_type_inner") return {33, 1};
            if (m == "lock_type") return {34, 1};
        }
        if (t == "lock_class") {
            if (m == "key") return {8, 8};
            if (m == "subclass") return {16, 4};
            if (m == "name_version") return {20, 4};
            if (m == "name") return {24, 8};
            if (m == "wait_type_inner") return {32, 1};
            if (m == "wait_type_outer") return {33, 1};
            if (m == "lock_type") return {34, 1};
            if (m == "usage_mask") return {40, 8};
        }
        return {0, 0};
    }
    std::vector<uint8_t> mem_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > (1 << 16)) return 0;
    FuzzKernel k(data, size);
    ScanOptions opt;
    opt.chunk_bytes = 4096 * 2;  // exercise chunk boundaries on small images
    AnalysisContext ctx(k);
    ScanResult r = scan_dump(ctx, opt);
    if (!r.error.empty()) return 0;
    GroupFilter all;
    all.include_clean = true;
    ReportGroups groups = report_groups(r, all);
    ReportOptions ro;
    ro.verbose = true;
    (void)scan_report_text(k, r, groups, ro);
    (void)scan_report_json(k, r, groups, ro);
    for (size_t i = 0; i < r.maps.size() && i < 8; i++) {
        Explanation e = explain_address(k, r.classes, ctx.locator(), r.maps[i].map.addr);
        (void)explain_text(k, r.classes, e);
        (void)explain_json(k, r.classes, e);
    }
    return 0;
}
