// What one lockalias command learns about the dump, worked out once and
// shared by every analysis the command runs (scan, explain, -t, -l, -C):
// the lockdep layout and class table, one address locator (with the
// vmalloc aliases a scan learns), and the source of bulk memory reads.
// The analyses take it the way drgn's helpers take a Program.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "dump/dump_source.h"
#include "dump/target.h"
#include "kernel/address_locator.h"
#include "lockdep/class_table.h"

namespace lockalias {

class AnalysisContext {
public:
    explicit AnalysisContext(Target& t, SourcePolicy policy = {}) : t_(t), policy_(policy) {}
    AnalysisContext(const AnalysisContext&) = delete;
    AnalysisContext& operator=(const AnalysisContext&) = delete;

    Target& target() { return t_; }

    // The live class table (its layout included), read on first use;
    // nullptr when this kernel has no lockdep to read: then error() says why.
    const ClassTable* classes();
    // The same table, for a result that keeps it (ScanResult).
    std::shared_ptr<const ClassTable> shared_classes() {
        classes();
        return classes_;
    }
    const std::string& error() const { return error_; }

    // One locator per command: addresses learned by one analysis (the
    // vmalloc aliases of the scan) serve the reports that follow.
    AddressLocator& locator();

    // Where bulk physical reads come from, chosen (and checked against the
    // Target's reads) on first use: only a scan needs it.
    ChosenSource& memory();
    // Tests: read memory from this source instead of choosing one.
    void use_memory(std::unique_ptr<DumpSource> source);

private:
    Target& t_;
    SourcePolicy policy_;
    bool classes_read_ = false;
    std::shared_ptr<const ClassTable> classes_;
    std::string error_;
    std::unique_ptr<AddressLocator> locator_;
    std::optional<ChosenSource> memory_;
};

}  // namespace lockalias
