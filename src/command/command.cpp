#include "command/command.h"

#include <cstdlib>
#include <cstring>
#include <optional>

#include "analysis/class_groups.h"
#include "analysis/context.h"
#include "dump/parallel.h"
#include "report/class_list.h"
#include "command/command_line.h"
#include "analysis/explain.h"
#include "report/explain_report.h"
#include "analysis/held_locks.h"
#include "report/held_locks_report.h"
#include "report/json_writer.h"
#include "report/log_report.h"
#include "analysis/log_analysis.h"
#include "analysis/scan.h"
#include "report/scan_report.h"

namespace lockalias {

namespace {

// Each mode's failure, as one error line and (with -j) a JSON document of
// the mode's own schema with "error" set.
// Version 2 of scan, explain and classes: latent aliases, corrupt and
// suspect classes.
int schema_version(const std::string& schema) {
    return schema == "lockalias-scan" || schema == "lockalias-explain" || schema == "lockalias-classes" ? 2 : 1;
}

void fail(CommandResult& res, const CommandLine& cl, const char* schema, const std::string& msg) {
    if (cl.json) {
        JsonWriter j;
        j.begin_object().field("schema", schema).field("version", schema_version(schema)).field("error", msg).end_object();
        res.output = j.str() + "\n";
    }
    res.errors.push_back(msg);
}

// The live classes, without a memory scan (for -t, -l, ADDR).
const ClassTable* load_classes(AnalysisContext& ctx, const CommandLine& cl, const char* schema,
                               CommandResult& res) {
    const ClassTable* classes = ctx.classes();
    if (!classes) fail(res, cl, schema, ctx.error());
    return classes;
}

void held_locks_mode(AnalysisContext& ctx, const CommandLine& cl, CommandResult& res) {
    const ClassTable* classes = load_classes(ctx, cl, "lockalias-held", res);
    if (!classes) return;
    HeldLocksResult held = find_held_locks(ctx.target(), *classes, ctx.locator(), cl.held_pid, cl.held_task);
    if (!held.error.empty()) res.errors.push_back(held.error);
    if (cl.json) res.output = held_locks_json(*classes, held);
    else if (held.error.empty()) res.output = held_locks_text(*classes, held);
}

void log_mode(AnalysisContext& ctx, const CommandLine& cl, CommandResult& res) {
    const ClassTable* classes = load_classes(ctx, cl, "lockalias-log", res);
    if (!classes) return;
    auto log = ctx.target().kernel_log();
    if (!log) return fail(res, cl, "lockalias-log", "cannot read the kernel log from this dump");
    auto analysis = analyze_log(ctx.target(), *classes, ctx.locator(), *log);
    res.output = cl.json ? log_report_json(analysis) : log_report_text(analysis);
}

// What an explain line leaves for a scan to do: a lock_class address is
// answered by the scan, filtered to the maps that use that class.
struct ScanRequest {
    uint64_t class_addr = 0;
};

// Explains each address; returns the scan still needed, if any.
std::optional<ScanRequest> explain_mode(AnalysisContext& ctx, const CommandLine& cl, CommandResult& res) {
    Target& t = ctx.target();
    std::vector<uint64_t> addresses = cl.addresses;
    for (const std::string& sym : cl.symbols) {
        auto a = t.symbol_address(sym);
        if (!a) {
            res.errors.push_back("neither an address nor a symbol: " + sym);
            return std::nullopt;
        }
        addresses.push_back(*a);
    }
    const ClassTable* classes = load_classes(ctx, cl, "lockalias-explain", res);
    if (!classes) return std::nullopt;
    std::optional<ScanRequest> scan;
    for (uint64_t addr : addresses) {
        Explanation e = explain_address(t, *classes, ctx.locator(), addr);
        if (e.kind == Explanation::Kind::Class) {
            scan = ScanRequest{addr};  // every map in the dump that uses it
            continue;
        }
        res.output += cl.json ? explain_json(t, *classes, e) : explain_text(t, *classes, e);
    }
    return scan;
}

void scan_mode(AnalysisContext& ctx, const CommandLine& cl, CommandResult& res,
               const ScanRequest& request = {}) {
    Target& t = ctx.target();
    const uint64_t class_addr = request.class_addr ? request.class_addr : cl.class_addr;
    const bool verbose = cl.verbose || request.class_addr;  // a class asked for: all its maps
    ScanOptions opt;
    opt.keep_clean_maps = verbose;
    ScanResult r = scan_dump(ctx, opt);
    if (!r.error.empty()) return fail(res, cl, cl.classes ? "lockalias-classes" : "lockalias-scan", r.error);
    if (cl.classes) {
        res.output += cl.json ? class_list_json(t, r) : class_list_text(t, r);
        return;
    }
    GroupFilter filter;
    filter.class_addr = class_addr;
    filter.name_pattern = cl.name_pattern;
    filter.include_clean = verbose;
    ReportGroups groups = report_groups(r, filter);
    std::vector<size_t> shown = maps_shown(groups.current, verbose);
    for (size_t i : maps_shown(groups.latent, false)) shown.push_back(i);  // the latent classes' origins
    locate_maps(ctx, r, shown);
    ReportOptions ro;
    ro.verbose = verbose;
    ro.filtered = class_addr || !cl.name_pattern.empty();
    if (cl.json) res.output += scan_report_json(t, r, groups, ro);
    if (!cl.json || cl.text_too) res.output += scan_report_text(t, r, groups, ro);
}

// LOCKALIAS_READ_ALL=1 turns off every shortcut around the Target's reads
// (for a benchmark, or when in doubt).
SourcePolicy source_policy() {
    SourcePolicy p;
    const char* v = getenv("LOCKALIAS_READ_ALL");
    p.in_place = !(v && *v && strcmp(v, "0") != 0);
    p.threads = worker_threads();
    return p;
}

}  // namespace

CommandResult run_command(Target& t, const std::vector<std::string>& args) {
    CommandLine cl = parse_command_line(args);
    if (!cl.ok()) {
        CommandResult res;
        res.errors.push_back(cl.error);
        return res;
    }
    return run_parsed_command(t, cl);
}

CommandResult run_parsed_command(Target& t, CommandLine cl) {
    CommandResult res;
    AnalysisContext ctx(t, source_policy());
    if (cl.held) {
        held_locks_mode(ctx, cl, res);
    } else if (cl.log) {
        log_mode(ctx, cl, res);
    } else if (!cl.addresses.empty() || !cl.symbols.empty()) {
        if (auto scan = explain_mode(ctx, cl, res)) scan_mode(ctx, cl, res, *scan);
    } else {
        scan_mode(ctx, cl, res);
    }
    return res;
}

}  // namespace lockalias
