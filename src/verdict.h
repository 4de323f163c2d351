// Is a map validated as itself or as some other lock? One verdict per
// cached class_cache[] slot, with the consequence said in words.
#pragma once
#include <cstdint>
#include <string>

#include "class_table.h"
#include "lockdep_map.h"

namespace lockalias {

enum class Severity {
    Clean,            // the class is this lock's own (same name, same wait types)
    Name,             // another lock's class, same wait types: reports name the wrong lock
    Wait,             // another lock's class with other wait types: false or missed reports
    Stale,            // the class is not (or no longer) registered for this map's key
    Unreadable,       // the class entry or the map name could not be read
};

const char* severity_name(Severity s);   // "clean", "name", "wait", "stale", "unreadable"
int severity_rank(Severity s);           // for sorting and --fail-on: higher is worse

struct SlotVerdict {
    int slot = 0;
    uint64_t class_addr = 0;
    Severity severity = Severity::Clean;
    std::string consequence;  // one sentence; empty for clean
};

// lockdep's effective outer wait type: 0 means "same as inner".
inline unsigned effective_outer(unsigned outer, unsigned inner) { return outer ? outer : inner; }

SlotVerdict judge_slot(const LockdepMap& m, int slot, const ClassTable& classes);

}  // namespace lockalias
