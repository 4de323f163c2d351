// `lockalias -l`: each lockdep report in the kernel log, with the lock that
// really lives at every printed address, and for "Invalid wait context"
// lockdep's wait-context check redone with the locks' own wait types.
#pragma once
#include <string>
#include <vector>

#include "analysis/explain.h"
#include "analysis/log_parser.h"

namespace lockalias {

struct LockInLog {
    LoggedLock logged;
    Explanation real;       // what is at logged.addr (kind Map when resolved)
    bool alias = false;     // the printed (class) name is not the lock's own
    std::string note;       // one phrase: "same lock", "really \"&txq->_xmit_lock\"", ...
};

struct WaitRecheck {
    bool done = false;
    std::string why_not;          // when it could not be redone
    bool violation_with_classes = false;  // what lockdep computed
    bool violation_with_own = false;      // with each lock's own wait types
    std::string steps;            // the arithmetic, in one line
};

struct ReportAnalysis {
    LockdepReport report;
    std::vector<LockInLog> locks;
    WaitRecheck recheck;          // invalid-wait-context only
    std::string verdict;          // one or two sentences
    std::vector<uint64_t> mismatch_classes;  // class-mismatch: classes named found_name
};

std::vector<ReportAnalysis> analyze_log(Target& t, const ClassTable& classes, AddressLocator& locator,
                                        const std::string& log);

}  // namespace lockalias
