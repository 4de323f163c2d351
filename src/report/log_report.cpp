#include "report/log_report.h"

#include <cstdio>

#include "kernel/memory_util.h"
#include "lockdep/verdict.h"
#include "report/json_writer.h"

namespace lockalias {

std::string log_report_text(const std::vector<ReportAnalysis>& all) {
    std::string o;
    int n = 0;
    for (const ReportAnalysis& a : all) {
        const LockdepReport& r = a.report;
        o += "REPORT " + std::to_string(++n) + ": " + r.title + "  (log line " + std::to_string(r.line) +
             (r.task.empty() ? "" : ", " + r.task) + (r.truncated ? ", TRUNCATED" : "") + ")\n";
        for (const LockInLog& l : a.locks) {
            char head[96];
            std::snprintf(head, sizeof head, "  %-8s %s  ", role_text(l.logged).c_str(),
                          l.logged.has_addr ? hex(l.logged.addr).c_str() : "(no address)   ");
            o += head + std::string("printed \"") + l.logged.printed_name + "\"";
            if (l.logged.inner >= 0)
                o += "{" + std::to_string(l.logged.outer) + ":" + std::to_string(l.logged.inner) + "}";
            o += "\n           " + l.note;
            if (l.real.kind == Explanation::Kind::Map || l.real.kind == Explanation::Kind::UncachedMap) {
                const LockdepMap& m = l.real.finding.map;
                o += "; own wait {" + std::to_string(effective_outer(m.wait_outer, m.wait_inner)) + ":" +
                     std::to_string(m.wait_inner) + "}";
                if (!l.real.where.empty()) o += "; in " + l.real.where;
            }
            o += l.alias ? "  ALIAS\n" : "\n";
        }
        for (uint64_t c : a.mismatch_classes) o += "  class " + hex(c) + " \"" + r.found_name + "\"\n";
        if (a.recheck.done) o += "  wait-context recheck: " + a.recheck.steps + "\n";
        o += "  VERDICT: " + a.verdict + "\n\n";
    }
    if (all.empty()) o += "no lockdep reports in the kernel log\n";
    return o;
}

std::string log_report_json(const std::vector<ReportAnalysis>& all) {
    JsonWriter j;
    j.begin_object().field("schema", "lockalias-log").field("version", 1);
    j.key("reports").begin_array();
    for (const ReportAnalysis& a : all) {
        const LockdepReport& r = a.report;
        j.begin_object().field("kind", report_kind_name(r.kind)).field("title", r.title).field("line", uint64_t(r.line));
        j.field("task", r.task).field("context", r.context).field("truncated", r.truncated);
        j.key("locks").begin_array();
        for (const LockInLog& l : a.locks) {
            j.begin_object().field("role", role_text(l.logged));
            j.key("address");
            if (l.logged.has_addr) j.address(l.logged.addr); else j.null();
            j.field("printed_name", l.logged.printed_name);
            j.field("printed_wait_outer", l.logged.outer).field("printed_wait_inner", l.logged.inner);
            const bool resolved = l.real.kind == Explanation::Kind::Map ||
                                  l.real.kind == Explanation::Kind::UncachedMap;
            j.field("resolved", resolved);
            if (resolved) {
                const LockdepMap& m = l.real.finding.map;
                j.field("real_name", m.name).field("own_wait_outer", m.wait_outer).field("own_wait_inner", m.wait_inner);
                j.field("lock_type", l.real.lock_type).field("where", l.real.where);
            }
            j.field("alias", l.alias).field("note", l.note);
            j.end_object();
        }
        j.end_array();
        if (r.kind == ReportKind::InvalidWaitContext) {
            j.key("recheck").begin_object().field("done", a.recheck.done);
            j.field("violation_with_classes", a.recheck.violation_with_classes);
            j.field("violation_with_own", a.recheck.violation_with_own);
            j.field("false_positive", a.recheck.done && a.recheck.violation_with_classes && !a.recheck.violation_with_own);
            j.field("steps", a.recheck.done ? a.recheck.steps : a.recheck.why_not).end_object();
        }
        j.field("verdict", a.verdict);
        j.end_object();
    }
    j.end_array().end_object();
    return j.str() + "\n";
}

}  // namespace lockalias
