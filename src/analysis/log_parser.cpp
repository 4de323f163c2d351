#include "analysis/log_parser.h"

#include <climits>
#include <regex>
#include <sstream>

#include "kernel/memory_util.h"

namespace lockalias {

namespace {

// The one place a kind's name is spelled; JSON output and the integration
// tests read these strings.
struct KindName {
    ReportKind kind;
    const char* name;
};
constexpr KindName kKindNames[] = {
    {ReportKind::InvalidWaitContext, "invalid-wait-context"},
    {ReportKind::Circular, "circular"},
    {ReportKind::Recursive, "recursive"},
    {ReportKind::Inconsistent, "inconsistent"},
    {ReportKind::ClassMismatch, "class-mismatch"},
    {ReportKind::HeldLocks, "held-locks"},
    {ReportKind::Other, "other"},
};
static_assert(sizeof kKindNames / sizeof kKindNames[0] == size_t(ReportKind::Other) + 1,
              "every ReportKind has a name");

}  // namespace

const char* report_kind_name(ReportKind k) {
    for (const KindName& e : kKindNames)
        if (e.kind == k) return e.name;
    return "other";
}

std::string role_text(const LoggedLock& l) {
    switch (l.role) {
    case LockRole::Trying: return "trying";
    case LockRole::Held: return l.held_index >= 0 ? "held #" + std::to_string(l.held_index) : "held";
    case LockRole::Lock: break;
    }
    return "lock";
}

std::string strip_log_prefix(const std::string& line) {
    // "[    3.756148] text", "May 13 15:16:32 kern.warn kernel: [ 1880.242388] text",
    // and crash's "log -T"-less output all end the prefix at "] ".
    static const std::regex stamp(R"(^.*?\[\s*\d+\.\d+\] ?)");
    std::smatch m;
    std::string s = line;
    if (!s.empty() && s.back() == '\r') s.pop_back();
    if (std::regex_search(s, m, stamp)) return s.substr(m.length(0));
    // syslog without printk times: "2016-03-26T20:52:22+00:00 host kernel: text"
    static const std::regex syslog(R"(^\S+( \S+)* kernel: )");
    if (std::regex_search(s, m, syslog)) return s.substr(m.length(0));
    return s;
}

bool parse_lock_line(const std::string& text, LoggedLock& out) {
    // The name may itself contain parentheses ("(wq_completion)events"),
    // so it runs to the last "){" on the line.
    static const std::regex lock_re(
        R"(^\s*(?:#(\d+): )?([0-9a-f]{8,16}|\(____ptrval____\)|\(ptrval\)) \((.*)\)\{([^}]*)\}(?:-\{(\d+):(\d+)\})?(?:, at: (.*))?$)");
    std::smatch m;
    if (!std::regex_match(text, m, lock_re)) return false;
    LoggedLock l;
    if (m[1].matched) {
        l.role = LockRole::Held;
        l.held_index = int(parse_decimal(m[1].str(), -1, INT_MAX));
    }
    l.has_addr = parse_address(m[2].str(), l.addr);
    l.printed_name = m[3].str();
    l.usage = m[4].str();
    if (m[5].matched) {
        l.outer = int(parse_decimal(m[5].str(), -1, 255));
        l.inner = int(parse_decimal(m[6].str(), -1, 255));
    }
    if (m[7].matched) l.at = m[7].str();
    out = l;
    return true;
}

namespace {

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// Titles of lockdep's own reports; generic WARN lines ("WARNING: CPU: 0
// PID: 1 at ...") are told apart by the "=====" rule that precedes these.
ReportKind kind_of_title(const std::string& t) {
    if (t == "BUG: Invalid wait context") return ReportKind::InvalidWaitContext;
    if (t.find("circular locking dependency") != std::string::npos) return ReportKind::Circular;
    if (t.find("recursive locking") != std::string::npos) return ReportKind::Recursive;
    if (t.find("inconsistent lock state") != std::string::npos) return ReportKind::Inconsistent;
    return ReportKind::Other;
}

bool title_of(const std::string& text, const std::string& prev, std::string& title) {
    static const std::regex bug(R"(^\[ ((?:BUG|INFO): .*) \]$)");
    std::smatch m;
    if (std::regex_match(text, m, bug)) {
        title = m[1].str();
        return true;
    }
    if (starts_with(text, "WARNING: ") && starts_with(prev, "=====") &&
        !starts_with(text, "WARNING: CPU:")) {
        title = text;
        while (!title.empty() && (title.back() == ' ' || title.back() == '!')) title.pop_back();
        return true;
    }
    return false;
}

}  // namespace

std::vector<LockdepReport> parse_lockdep_reports(const std::string& log) {
    static const std::regex mismatch(
        R"re(Looking for class "(.*)" with key (.*), but found a different class "(.*)" with the same key)re");
    // The same check in kernels without that text: a bare WARN_ON_ONCE in
    // look_up_lock_class(), no names. As the fixtures' consoles show,
    // Debian's 5.10.223 prints only this WARNING; 6.1, 6.12 and 7.2 print
    // the "Looking for class" line first.
    static const std::regex bare_mismatch(
        R"(^WARNING: CPU: \d+ PID: (\d+) at (\S+) look_up_lock_class\+)");
    static const std::regex held_by(R"(^(\d+|no) locks? held by (.*)/(\d+):?)");
    static const std::regex trying(R"(^(.*) is trying to (?:lock|acquire lock|acquire):$)");
    static const std::regex context(R"(^context-\{(\d+):(\d+)\}$)");

    std::vector<LockdepReport> out;
    LockdepReport* cur = nullptr;   // open report
    // Role for the next lock line without "#N:"; Lock when no cue was seen.
    LockRole next_role = LockRole::Lock;
    std::istringstream in(log);
    std::string raw, prev;
    size_t n = 0;
    while (std::getline(in, raw)) {
        n++;
        std::string text = strip_log_prefix(raw);
        std::string title;
        std::smatch m;
        if (title_of(text, prev, title)) {
            out.push_back({});
            cur = &out.back();
            cur->title = title;
            cur->kind = kind_of_title(title);
            cur->line = n;
            next_role = LockRole::Lock;
        } else if (std::regex_search(text, m, mismatch)) {
            LockdepReport r;
            r.kind = ReportKind::ClassMismatch;
            r.title = "Looking for class \"" + m[1].str() + "\" but found a different class";
            r.line = n;
            r.wanted_name = m[1].str();
            r.key_text = m[2].str();
            r.found_name = m[3].str();
            out.push_back(r);
            cur = nullptr;
        } else if (std::regex_search(text, m, bare_mismatch)) {
            // Kernels with the "Looking for class" text print it just before
            // this same WARNING: one report, not two.
            const bool follows_named = !out.empty() && out.back().kind == ReportKind::ClassMismatch &&
                                       !out.back().wanted_name.empty() && n - out.back().line <= 3;
            if (!follows_named) {
                LockdepReport r;
                r.kind = ReportKind::ClassMismatch;
                r.title = "WARNING at " + m[2].str() + " in look_up_lock_class (a lock's name differs from its class's; this kernel prints no names)";
                r.line = n;
                r.task = "pid " + m[1].str();
                out.push_back(r);
            }
            cur = nullptr;
        } else if (std::regex_search(text, m, held_by)) {
            if (!cur) {  // a held-lock list on its own (sysrq, hung task)
                out.push_back({});
                cur = &out.back();
                cur->kind = ReportKind::HeldLocks;
                cur->title = text;
                cur->line = n;
            }
            if (cur->task.empty()) cur->task = m[2].str() + "/" + m[3].str();
            next_role = LockRole::Held;
        } else if (cur && std::regex_match(text, m, trying)) {
            if (cur->task.empty()) cur->task = m[1].str();
            next_role = LockRole::Trying;
        } else if (cur && (text.find("already holding lock:") != std::string::npos ||
                           text.find("is holding lock:") != std::string::npos)) {
            next_role = LockRole::Held;
        } else if (cur && std::regex_match(text, m, context)) {
            cur->context = int(parse_decimal(m[2].str(), -1, 255));
        } else if (cur && text == "stack backtrace:") {
            cur = nullptr;
        } else if (cur) {
            LoggedLock l;
            if (!parse_lock_line(text, l)) {
                // A stand-alone held-lock list ends at its first other line.
                if (cur->kind == ReportKind::HeldLocks && !text.empty()) cur = nullptr;
            } else {
                // parse_lock_line sets Held only for a numbered "#N:" line.
                if (l.role == LockRole::Lock) l.role = next_role;
                if (next_role == LockRole::Trying) next_role = LockRole::Lock;
                l.line = n;
                cur->locks.push_back(l);
            }
        }
        prev = text;
    }
    if (cur && cur->kind != ReportKind::HeldLocks) cur->truncated = true;
    return out;
}

}  // namespace lockalias
