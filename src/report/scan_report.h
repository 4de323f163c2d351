// Formats a scan for people (text, crash style) and for programs (JSON,
// schema "lockalias-scan", version 2; see docs/usage.md). Both come from the
// same ClassGroup list.
#pragma once
#include <string>
#include <vector>

#include "analysis/class_groups.h"
#include "analysis/scan.h"
#include "dump/target.h"

namespace lockalias {

struct ReportOptions {
    bool verbose = false;  // also list each class's clean (owning) maps
    bool filtered = false; // -c/-n narrowed the classes
};

// What one report shows: the current aliases by class, the latent ones by
// the class they will get, and the untracked maps (indices into r.untracked).
struct ReportGroups {
    std::vector<ClassGroup> current;
    std::vector<ClassGroup> latent;
    std::vector<size_t> untracked;
};
ReportGroups report_groups(const ScanResult& r, const GroupFilter& filter);
// The counts a report prints: the current aliases', and the latent ones.
SeverityCounts report_counts(const ReportGroups& groups);

std::string scan_report_text(Target& t, const ScanResult& r, const ReportGroups& groups,
                             const ReportOptions& opt);
std::string scan_report_json(Target& t, const ScanResult& r, const ReportGroups& groups,
                             const ReportOptions& opt);

// The last line of the text report (memory scanned, maps, classes, aliases).
std::string scan_summary_line(const ScanResult& r, const SeverityCounts& counts);
// How memory was read, and which faster ways were refused and why: one line.
std::string memory_source_line(const ScanResult& r);

// "{2:2}" as lockdep prints wait types (outer 0 shows as inner).
std::string wait_pair(unsigned outer, unsigned inner);

}  // namespace lockalias
