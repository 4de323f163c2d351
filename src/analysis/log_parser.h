// Finds lockdep's reports in a kernel log and the locks they name. Pure
// text in, data out: no Target, so it is tested on real splat texts.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace lockalias {

// What the report says of a lock: the one being taken ("is trying to
// acquire"), one already held (a "#N:" line of a held-lock list, or after
// "is holding lock:"), or a lock line with no such cue.
enum class LockRole { Trying, Held, Lock };

struct LoggedLock {
    LockRole role = LockRole::Lock;
    int held_index = -1;       // N of a "#N:" held-lock line, else -1
    bool has_addr = false;
    uint64_t addr = 0;         // the held_lock's instance: a lockdep_map
    std::string printed_name;  // the *class's* name as lockdep printed it
    std::string usage;         // "+.+." etc.
    int outer = -1, inner = -1;  // printed {outer:inner}, -1 if absent
    std::string at;            // ", at: SYMBOL" part
    size_t line = 0;           // 1-based line in the log
};

// "trying", "held", "held #1", "lock": the role as text and JSON print it.
std::string role_text(const LoggedLock& l);

// Which report: one of lockdep's titled reports, a class-mismatch warning,
// a stand-alone held-lock list, or another lockdep report (Other).
enum class ReportKind {
    InvalidWaitContext,
    Circular,
    Recursive,
    Inconsistent,
    ClassMismatch,
    HeldLocks,
    Other,
};

// "invalid-wait-context", "circular", ...: the name JSON and text print.
const char* report_kind_name(ReportKind k);

struct LockdepReport {
    ReportKind kind = ReportKind::Other;
    std::string title;    // e.g. "BUG: Invalid wait context"
    size_t line = 0;      // 1-based line of the title
    std::string task;     // "comm/pid" when the report names one
    int context = -1;     // "context-{N:N}" of an invalid wait context report
    std::vector<LoggedLock> locks;
    // class-mismatch ("Looking for class A with key K, but found ... B")
    std::string wanted_name, key_text, found_name;
    bool truncated = false;  // the log ended inside the report
};

std::vector<LockdepReport> parse_lockdep_reports(const std::string& log);

// Drops "[ 1.234567] " timestamps and syslog prefixes before them.
std::string strip_log_prefix(const std::string& line);

// Parses one "ADDR (NAME){usage}-{o:i}, at: SYM" lock line, if it is one.
bool parse_lock_line(const std::string& text, LoggedLock& out);

}  // namespace lockalias
