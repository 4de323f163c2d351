// Is a map validated as itself or as some other lock? One verdict per
// cached class_cache[] slot, with the consequence said in words.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lockdep/class_table.h"
#include "lockdep/lockdep_map.h"

namespace lockalias {

enum class Severity {
    Clean,            // the class is this lock's own (same name, same wait types)
    Name,             // another lock's class, same wait types: reports name the wrong lock
    Wait,             // another lock's class with other wait types: false or missed reports
    Stale,            // the class is not (or no longer) registered for this map's key
    Unreadable,       // the class entry or the map name could not be read
    Corrupt,          // the class record fails its checks (class_checks.h): no verdict
    Suspect,          // the class has this lock's name but wait types no such lock has
    Latent,           // never taken: when first taken, validated as another lock's class
};

// From one table (verdict.cpp): the name ("clean", "wait", ...) and the
// rank, for sorting and --fail-on: higher is worse. clean < unreadable <
// stale < corrupt < suspect < latent < name < wait.
const char* severity_name(Severity s);
int severity_rank(Severity s);
std::vector<Severity> all_severities_by_rank();  // lowest (clean) first

struct SlotVerdict {
    int slot = 0;
    uint64_t class_addr = 0;
    Severity severity = Severity::Clean;
    std::string consequence;  // one sentence; empty for clean
    // For Latent: what the lock will be once taken (Wait or Name).
    Severity when_taken = Severity::Clean;
};

// lockdep's effective outer wait type: 0 means "same as inner".
inline unsigned effective_outer(unsigned outer, unsigned inner) { return outer ? outer : inner; }

// Wait types compared as check_wait_context() and the splat's {O:I} do.
inline bool same_wait_types(const LockdepMap& m, const LockClass& c) {
    return effective_outer(m.wait_outer, m.wait_inner) == effective_outer(c.wait_outer, c.wait_inner) &&
           m.wait_inner == c.wait_inner;
}

// Validated as another lock's class: the two verdicts that are aliases.
inline bool is_alias(Severity s) { return s == Severity::Wait || s == Severity::Name; }

SlotVerdict judge_slot(const LockdepMap& m, int slot, const ClassTable& classes);

// A map whose class_cache[] is empty, held against the class lockdep would
// find for its key (subclass 0) when it is first taken: Latent when that
// class is another lock's, Clean when it is its own.
SlotVerdict judge_untaken(const LockdepMap& m, const LockClass& would_be, const ClassTable& classes);

// The verdict for any use of a class whose record fails its checks.
SlotVerdict judge_slot_of_corrupt(const LockClass& c);

// A Wait verdict where the map and its class share a name: with no lock of
// that name and the class's wait types in memory, the class record itself
// is in doubt, not the lock.
void mark_suspect(SlotVerdict& v, const LockClass& c, const WaitTypes& w);

}  // namespace lockalias
