#include "command/command.h"

#include <optional>

#include "analysis/class_groups.h"
#include "report/class_list.h"
#include "command/command_line.h"
#include "analysis/explain.h"
#include "report/explain_report.h"
#include "analysis/held_locks.h"
#include "report/json_writer.h"
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
std::optional<ClassTable> load_classes(Target& t, const CommandLine& cl, const char* schema,
                                       CommandResult& res) {
    LayoutResult layout = load_lockdep_layout(t);
    if (!layout.layout) {
        fail(res, cl, schema, layout.error);
        return std::nullopt;
    }
    return read_class_table(t, *layout.layout);
}

void held_locks_mode(Target& t, const CommandLine& cl, CommandResult& res) {
    auto classes = load_classes(t, cl, "lockalias-held", res);
    if (!classes) return;
    HeldLocksResult held = find_held_locks(t, *classes, cl.held_pid, cl.held_task);
    if (!held.error.empty()) res.errors.push_back(held.error);
    if (cl.json) res.output = held_locks_json(*classes, held);
    else if (held.error.empty()) res.output = held_locks_text(*classes, held);
}

void log_mode(Target& t, const CommandLine& cl, CommandResult& res) {
    auto classes = load_classes(t, cl, "lockalias-log", res);
    if (!classes) return;
    auto log = t.kernel_log();
    if (!log) return fail(res, cl, "lockalias-log", "cannot read the kernel log from this dump");
    auto analysis = analyze_log(t, *classes, *log);
    res.output = cl.json ? log_report_json(analysis) : log_report_text(analysis);
}

// Explains each address; a lock_class address turns into a class filter
// for the scan that follows (returns true when a scan is still needed).
bool explain_mode(Target& t, CommandLine& cl, CommandResult& res) {
    for (const std::string& sym : cl.symbols) {
        auto a = t.symbol_address(sym);
        if (!a) {
            res.errors.push_back("neither an address nor a symbol: " + sym);
            return false;
        }
        cl.addresses.push_back(*a);
    }
    auto classes = load_classes(t, cl, "lockalias-explain", res);
    if (!classes) return false;
    AddressLocator locator(t);
    for (uint64_t addr : cl.addresses) {
        Explanation e = explain_address(t, *classes, locator, addr);
        if (e.kind == Explanation::Kind::Class) {
            cl.class_addr = addr;  // every map in the dump that uses it
            cl.verbose = true;
            continue;
        }
        res.output += cl.json ? explain_json(t, *classes, e) : explain_text(t, *classes, e);
    }
    return cl.class_addr != 0;
}

void scan_mode(Target& t, const CommandLine& cl, CommandResult& res) {
    ScanOptions opt;
    opt.keep_clean_maps = cl.verbose;
    ScanResult r = scan_dump(t, opt);
    if (!r.error.empty()) return fail(res, cl, cl.classes ? "lockalias-classes" : "lockalias-scan", r.error);
    if (cl.classes) {
        res.output += cl.json ? class_list_json(t, r) : class_list_text(t, r);
        return;
    }
    GroupFilter filter;
    filter.class_addr = cl.class_addr;
    filter.name_pattern = cl.name_pattern;
    filter.include_clean = cl.verbose;
    ReportGroups groups = report_groups(r, filter);
    std::vector<size_t> shown = maps_shown(groups.current, cl.verbose);
    for (size_t i : maps_shown(groups.latent, false)) shown.push_back(i);  // the latent classes' origins
    locate_maps(t, r, shown);
    ReportOptions ro;
    ro.verbose = cl.verbose;
    ro.filtered = cl.class_addr || !cl.name_pattern.empty();
    res.output += cl.json ? scan_report_json(t, r, groups, ro) : scan_report_text(t, r, groups, ro);
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
    if (cl.held) {
        held_locks_mode(t, cl, res);
    } else if (cl.log) {
        log_mode(t, cl, res);
    } else if (!cl.addresses.empty() || !cl.symbols.empty()) {
        if (explain_mode(t, cl, res)) scan_mode(t, cl, res);
    } else {
        scan_mode(t, cl, res);
    }
    return res;
}

}  // namespace lockalias
