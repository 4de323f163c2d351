#include "lockdep/verdict.h"

#include <algorithm>

#include "kernel/memory_util.h"

namespace lockalias {

namespace {

// The one table of severities: their names (text, JSON, lockalias-check's
// --fail-on) and their order, lowest (clean) first. clean < unreadable <
// stale < corrupt < suspect < latent < name < wait: a latent alias is a
// report that has not happened yet, a corrupt or suspect class is no alias.
struct SeverityRow {
    Severity severity;
    const char* name;
};
constexpr SeverityRow kSeverities[] = {
    {Severity::Clean, "clean"},     {Severity::Unreadable, "unreadable"}, {Severity::Stale, "stale"},
    {Severity::Corrupt, "corrupt"}, {Severity::Suspect, "suspect"},       {Severity::Latent, "latent"},
    {Severity::Name, "name"},       {Severity::Wait, "wait"},
};

}  // namespace

const char* severity_name(Severity s) {
    for (const SeverityRow& r : kSeverities)
        if (r.severity == s) return r.name;
    return "?";
}

int severity_rank(Severity s) {
    for (size_t i = 0; i < sizeof kSeverities / sizeof kSeverities[0]; i++)
        if (kSeverities[i].severity == s) return int(i);
    return 0;
}

std::vector<Severity> all_severities_by_rank() {
    std::vector<Severity> all;
    for (const SeverityRow& r : kSeverities) all.push_back(r.severity);
    return all;
}

namespace {

std::string wait_consequence(const LockdepMap& m, const LockClass& c, const WaitTypes& w) {
    const unsigned own = effective_outer(m.wait_outer, m.wait_inner);
    const unsigned as = effective_outer(c.wait_outer, c.wait_inner);
    if (w.is_spinning(own) && w.is_sleeping(as))
        return "validated as a sleeping lock: taking it under a spinning lock gives a false "
               "\"BUG: Invalid wait context\"";
    if (w.is_sleeping(own) && w.is_spinning(as))
        return "validated as a spinning lock: sleeping while holding it, or taking it in "
               "atomic context, is a real bug lockdep will not report";
    return "validated with wait types {" + std::to_string(as) + ":" +
           std::to_string(c.wait_inner) + "} instead of its own {" + std::to_string(own) +
           ":" + std::to_string(m.wait_inner) + "}: wait-context checks use the wrong rules";
}

}  // namespace

SlotVerdict judge_slot(const LockdepMap& m, int slot, const ClassTable& classes) {
    SlotVerdict v;
    v.slot = slot;
    v.class_addr = m.class_cache[slot];
    const LockClass* c = classes.class_at(v.class_addr);
    if (!c || !c->in_use) {
        v.severity = Severity::Stale;
        v.consequence = "class_cache[" + std::to_string(slot) + "] points at " +
                        (c ? "an unused lock_classes entry (class freed or never registered)"
                           : "no lock_classes entry") ;
        return v;
    }
    if (!c->readable) {
        v.severity = Severity::Unreadable;
        v.consequence = "the lock_class entry is not in the dump";
        return v;
    }
    if (c->defect != ClassDefect::None) {
        SlotVerdict corrupt = judge_slot_of_corrupt(*c);
        corrupt.slot = slot;
        return corrupt;
    }
    if (!key_matches_slot(m, *c, slot, classes.layout)) {
        v.severity = Severity::Stale;
        v.consequence = "the class was registered for key " + hex(c->key) + " subclass " +
                        std::to_string(c->subclass) + ", not this map's key " + hex(m.key) +
                        " subclass " + std::to_string(slot) +
                        " (memory reused or corrupted since the class was cached; kernels with "
                        "lock_class_cache_is_valid() (2026 mainline and stable: Debian's 6.12.117 and "
                        "7.2.13) look the class up again, older ones validate the lock as this class)";
        return v;
    }
    if (!same_wait_types(m, *c)) {
        v.severity = Severity::Wait;
        v.consequence = wait_consequence(m, *c, classes.layout.wait);
        return v;
    }
    // One pointer is one string, even a NULL one (a static seqcount in
    // 5.10, jiffies_seq, registered its class with a NULL name): the class
    // is the lock's own. Different pointers are compared by content below.
    if (m.name_ptr == c->name_ptr) {
        v.severity = Severity::Clean;
        return v;
    }
    if (!m.name_ok || !c->name_ok) {
        v.severity = Severity::Unreadable;
        v.consequence = "cannot compare names: " + (m.name_ok ? c->name_problem : m.name_problem);
        return v;
    }
    if (m.name != c->name) {
        v.severity = Severity::Name;
        v.consequence = "lockdep reports name it \"" + c->name + "\", another lock sharing its key";
        return v;
    }
    v.severity = Severity::Clean;
    return v;
}

SlotVerdict judge_slot_of_corrupt(const LockClass& c) {
    SlotVerdict v;
    v.class_addr = c.addr;
    v.severity = Severity::Corrupt;
    v.consequence = "the lock_class record is corrupt (" + std::string(class_defect_name(c.defect)) + ": " +
                    c.defect_detail + "): nothing can be said about how this lock is validated";
    return v;
}

SlotVerdict judge_untaken(const LockdepMap& m, const LockClass& c, const ClassTable& classes) {
    SlotVerdict v;
    v.slot = 0;
    v.class_addr = c.addr;
    // (worded only for an alias: a scan judges every untaken map, most of them clean)
    auto as = [&] {
        return "never taken yet: when first taken, lockdep will validate it as \"" + c.display_name() + "\" (" +
               hex(c.addr) + ")";
    };
    if (!same_wait_types(m, c)) {
        v.severity = Severity::Latent;
        v.when_taken = Severity::Wait;
        v.consequence = as() + "; then it is " + wait_consequence(m, c, classes.layout.wait);
    } else if (m.name_ptr != c.name_ptr && m.name != c.name) {
        v.severity = Severity::Latent;
        v.when_taken = Severity::Name;
        v.consequence = as() + "; then lockdep reports will name it \"" + c.name + "\"";
    }
    return v;
}

void mark_suspect(SlotVerdict& v, const LockClass& c, const WaitTypes& w) {
    const unsigned as = effective_outer(c.wait_outer, c.wait_inner);
    v.severity = Severity::Suspect;
    v.consequence = "the class has this lock's own name but wait types {" + std::to_string(as) + ":" +
                    std::to_string(c.wait_inner) + "} (" + w.name(as) +
                    ") that no lock of that name in memory has: the class record is in doubt "
                    "(overwritten, or the lock that registered it is gone); check it with "
                    "`struct lock_class " + hex(c.addr) + "` and the lock's init site";
}

}  // namespace lockalias
