#include "analysis/log_analysis.h"

#include <algorithm>

#include "kernel/memory_util.h"
#include "lockdep/verdict.h"

namespace lockalias {

namespace {

// The lock's own wait types, when its map resolved; else the printed ones.
bool own_wait(const LockInLog& l, unsigned& outer, unsigned& inner) {
    if (l.real.kind == Explanation::Kind::Map || l.real.kind == Explanation::Kind::UncachedMap) {
        outer = l.real.finding.map.wait_outer;
        inner = l.real.finding.map.wait_inner;
        return true;
    }
    return false;
}

LockInLog resolve(Target& t, const ClassTable& classes, AddressLocator& locator, const LoggedLock& logged) {
    LockInLog l;
    l.logged = logged;
    if (!logged.has_addr) {
        l.note = "address not printed (hashed or old format): cannot resolve";
        return l;
    }
    if (!looks_like_kernel_pointer(logged.addr)) {
        l.note = "hashed pointer (the kernel printed %p, not %px): cannot resolve";
        return l;
    }
    l.real = explain_address(t, classes, locator, logged.addr);
    const LockdepMap& m = l.real.finding.map;
    if (l.real.kind != Explanation::Kind::Map && l.real.kind != Explanation::Kind::UncachedMap) {
        l.note = "no lockdep_map at this address in the dump (freed or reused since the report?)";
        return l;
    }
    if (!m.name_ok) {
        l.note = "map found, name unreadable";
        return l;
    }
    // The printed name is the class's: "name", "name#2", "name/1".
    std::string printed = logged.printed_name;
    bool same = printed == m.name || printed.rfind(m.name + "#", 0) == 0 ||
                printed.rfind(m.name + "/", 0) == 0;
    l.alias = !same;
    l.note = same ? "the lock's own name" : "really \"" + m.name + "\" (printed name is its class's)";
    return l;
}

void recheck_wait_context(ReportAnalysis& a) {
    WaitRecheck& w = a.recheck;
    const LockInLog* next = nullptr;
    std::vector<const LockInLog*> held;
    for (const auto& l : a.locks) {
        if (l.logged.role == LockRole::Trying) next = &l;
        else if (l.logged.role == LockRole::Held) held.push_back(&l);
    }
    if (!next || next->logged.inner < 0 || a.report.context < 0) {
        w.why_not = "the report lacks the lock being taken, its wait types, or the task context";
        return;
    }
    // lockdep: next_outer = outer ?: inner; curr_inner = min(context, inner of
    // every held lock with inner != 0); BUG when next_outer > curr_inner.
    auto run = [&](bool own, std::string& steps) -> int {
        unsigned o = unsigned(next->logged.outer), i = unsigned(next->logged.inner);
        if (own && !own_wait(*next, o, i)) return -1;
        unsigned next_outer = effective_outer(o, i);
        unsigned curr = unsigned(a.report.context);
        steps = "next outer " + std::to_string(next_outer) + ", context " + std::to_string(curr);
        for (const LockInLog* h : held) {
            unsigned ho = unsigned(std::max(h->logged.outer, 0)), hi = unsigned(std::max(h->logged.inner, 0));
            if (own && !own_wait(*h, ho, hi)) return -1;
            if (hi) {
                curr = std::min(curr, hi);
                steps += ", " + role_text(h->logged) + " inner " + std::to_string(hi);
            }
        }
        steps += ": " + std::to_string(next_outer) + (next_outer > curr ? " > " : " <= ") +
                 std::to_string(curr);
        return next_outer > curr;
    };
    std::string class_steps, own_steps;
    int with_classes = run(false, class_steps);
    int with_own = run(true, own_steps);
    if (with_own < 0) {
        w.why_not = "a lock in the report could not be resolved in the dump";
        return;
    }
    w.done = true;
    w.violation_with_classes = with_classes == 1;
    w.violation_with_own = with_own == 1;
    w.steps = "as printed (classes): " + class_steps + "; with the locks' own wait types: " + own_steps;
}

std::string verdict_for(const ReportAnalysis& a) {
    long aliases = std::count_if(a.locks.begin(), a.locks.end(), [](const LockInLog& l) { return l.alias; });
    if (a.report.kind == ReportKind::InvalidWaitContext) {
        if (!a.recheck.done) return "cannot recheck: " + a.recheck.why_not + ".";
        if (a.recheck.violation_with_classes && !a.recheck.violation_with_own)
            return "FALSE POSITIVE caused by aliasing: with each lock's own wait types the wait-context "
                   "check passes; lockdep used the class of another lock that shares a key.";
        if (a.recheck.violation_with_own)
            return "REAL: the wait-context violation holds with the locks' own wait types too.";
        return "the recheck finds no violation even with the printed classes (irq context or "
               "trylock details the log does not show).";
    }
    if (a.report.kind == ReportKind::ClassMismatch && a.report.wanted_name.empty())
        return "lockdep found a lock whose name differs from the name of the class it shares a key "
               "with, but this kernel's warning does not say which: every such lock is in the scan's "
               "name and wait aliases (`lockalias`); this warning fires once, for the first one taken.";
    if (a.report.kind == ReportKind::ClassMismatch)
        return "lockdep found a lock named \"" + a.report.wanted_name + "\" using the class of \"" +
               a.report.found_name + "\" (same key " + a.report.key_text +
               "): run `lockalias -n '" + a.report.wanted_name + "'` for every such lock.";
    if (aliases)
        return std::to_string(aliases) + " lock(s) in this report are printed under another lock's "
               "name: read the report with the real names above.";
    return "every resolved lock in this report is printed under its own name.";
}

}  // namespace

std::vector<ReportAnalysis> analyze_log(Target& t, const ClassTable& classes, AddressLocator& locator,
                                        const std::string& log) {
    std::vector<ReportAnalysis> out;
    for (const LockdepReport& r : parse_lockdep_reports(log)) {
        ReportAnalysis a;
        a.report = r;
        for (const LoggedLock& l : r.locks) a.locks.push_back(resolve(t, classes, locator, l));
        if (r.kind == ReportKind::InvalidWaitContext) recheck_wait_context(a);
        if (r.kind == ReportKind::ClassMismatch && !r.found_name.empty())
            for (const LockClass& c : classes.entries)
                if (c.in_use && c.name_ok && c.name == r.found_name) a.mismatch_classes.push_back(c.addr);
        a.verdict = verdict_for(a);
        out.push_back(std::move(a));
    }
    return out;
}

}  // namespace lockalias
