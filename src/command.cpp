#include "command.h"

#include "class_groups.h"
#include "class_list.h"
#include "command_line.h"
#include "explain.h"
#include "explain_report.h"
#include "json_writer.h"
#include "held_locks.h"
#include "log_analysis.h"
#include "scan.h"
#include "scan_report.h"

namespace lockalias {

namespace {

std::string json_error(const std::string& msg) {
    JsonWriter j;
    j.begin_object().field("schema", "lockalias-scan").field("version", 1).field("error", msg).end_object();
    return j.str() + "\n";
}

}  // namespace

CommandResult run_command(Target& t, const std::vector<std::string>& args) {
    CommandResult res;
    CommandLine cl = parse_command_line(args);
    if (!cl.error.empty()) {
        res.errors.push_back(cl.error);
        return res;
    }
    if (cl.held) {
        LayoutResult layout = load_lockdep_layout(t);
        if (!layout.layout) {
            if (cl.json) res.output = json_error(layout.error);
            res.errors.push_back(layout.error);
            return res;
        }
        ClassTable classes = read_class_table(t, *layout.layout);
        HeldLocksResult held = find_held_locks(t, classes, cl.held_pid, cl.held_task);
        if (!held.error.empty()) res.errors.push_back(held.error);
        if (cl.json) res.output = held_locks_json(classes, held);
        else if (held.error.empty()) res.output = held_locks_text(classes, held);
        return res;
    }
    if (cl.log) {
        LayoutResult layout = load_lockdep_layout(t);
        if (!layout.layout) {
            if (cl.json) res.output = json_error(layout.error);
            res.errors.push_back(layout.error);
            return res;
        }
        auto log = t.kernel_log();
        if (!log) {
            res.errors.push_back("cannot read the kernel log from this dump");
            return res;
        }
        ClassTable classes = read_class_table(t, *layout.layout);
        auto analysis = analyze_log(t, classes, *log);
        res.output = cl.json ? log_report_json(analysis) : log_report_text(analysis);
        return res;
    }
    for (const std::string& sym : cl.symbols) {
        auto a = t.symbol_address(sym);
        if (!a) {
            res.errors.push_back("neither an address nor a symbol: " + sym);
            return res;
        }
        cl.addresses.push_back(*a);
    }
    if (!cl.addresses.empty()) {
        LayoutResult layout = load_lockdep_layout(t);
        if (!layout.layout) {
            if (cl.json) res.output = json_error(layout.error);
            res.errors.push_back(layout.error);
            return res;
        }
        ClassTable classes = read_class_table(t, *layout.layout);
        for (uint64_t addr : cl.addresses) {
            Explanation e = explain_address(t, classes, addr);
            if (e.kind == Explanation::Kind::Class) {
                // A class: list every map in the dump that uses it.
                cl.class_addr = addr;
                cl.verbose = true;
                continue;
            }
            res.output += cl.json ? explain_json(t, classes, e) : explain_text(t, classes, e);
        }
        if (!cl.class_addr) return res;
    }
    ScanResult r = scan_dump(t);
    if (!r.error.empty()) {
        if (cl.json) res.output = json_error(r.error);
        res.errors.push_back(r.error);
        return res;
    }
    if (cl.classes) {
        res.output = cl.json ? class_list_json(t, r, false) : class_list_text(t, r, false);
        return res;
    }
    GroupFilter filter;
    filter.class_addr = cl.class_addr;
    filter.name_pattern = cl.name_pattern;
    filter.include_clean = cl.verbose;
    auto groups = group_by_class(r, filter);
    ReportOptions ro;
    ro.verbose = cl.verbose;
    ro.filtered = cl.class_addr || !cl.name_pattern.empty();
    res.output = cl.json ? scan_report_json(t, r, groups, ro) : scan_report_text(t, r, groups, ro);
    return res;
}

}  // namespace lockalias
