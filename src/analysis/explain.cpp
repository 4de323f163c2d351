#include "analysis/explain.h"

#include "kernel/address_locator.h"
#include "analysis/class_groups.h"
#include "analysis/freed_memory.h"
#include "lockdep/lockdep_map.h"
#include "kernel/memory_util.h"

namespace lockalias {

namespace {

// Lock types that embed a lockdep_map, by the debuginfo name crash knows
// them by. spinlock_t's map sits where raw_spinlock's does (LOCK_PADSIZE).
struct Embedding {
    const char* type;
    const char* shown_as;
};
const Embedding kEmbeddings[] = {
    {"raw_spinlock", "spinlock_t/raw_spinlock_t"},
    {"mutex", "struct mutex"},
    {"rw_semaphore", "struct rw_semaphore"},
    {"rwlock_t", "rwlock_t"},
    {"percpu_rw_semaphore", "struct percpu_rw_semaphore"},
    {"ww_mutex", "struct ww_mutex"},
    {"seqcount", "seqcount_t"},
    {"local_lock_t", "local_lock_t"},
};

bool looks_uncached(const LockdepMap& m) {
    for (uint64_t c : m.class_cache)
        if (c) return false;
    return looks_like_kernel_pointer(m.key) && m.name_ok;
}

// Tries ADDR+offset as a lockdep_map; fills e on success.
bool try_map(Target& t, const ClassTable& classes, uint64_t map_addr, Explanation& e,
             std::string& why) {
    std::vector<uint8_t> bytes(classes.layout.map_size);
    if (!t.read_kv(map_addr, bytes.data(), bytes.size())) {
        why = "unreadable";
        return false;
    }
    LockdepMap m = decode_map(t, classes.layout, bytes.data());
    m.addr = map_addr;
    m.phys = t.kv_to_phys(map_addr).value_or(0);
    const MapRejection reason = why_not_a_map(m, classes);
    if (reason == MapRejection::NoCachedClass && looks_uncached(m)) {
        e.kind = Explanation::Kind::UncachedMap;
        e.finding.map = m;
        // The class its first acquire will find: a latent alias when it is
        // another lock's. (None: lockdep will register the lock's own.)
        const LockClass* c = class_for_key(classes, m.key);
        if (c && c->defect == ClassDefect::None) {
            SlotVerdict v = judge_untaken(m, *c, classes);
            e.finding.slots.push_back(v);
        } else if (c) {
            e.finding.slots.push_back(judge_slot_of_corrupt(*c));
        }
        return true;
    }
    if (reason != MapRejection::None) {
        why = map_rejection_text(reason, m);
        return false;
    }
    e.kind = Explanation::Kind::Map;
    e.finding.map = m;
    for (size_t slot = 0; slot < m.class_cache.size(); slot++)
        if (m.class_cache[slot]) e.finding.slots.push_back(judge_slot(m, int(slot), classes));
    return true;
}

// A map in freed memory is no lock, whatever its bytes say: the scan sets
// such maps aside; explain says so beside the verdict.
void note_freed(Target& t, const ClassTable& classes, AddressLocator& locator, Explanation& e) {
    if (!e.finding.map.phys) return;
    e.finding.located = true;
    FreedMemory freed(t, locator, classes.layout.map_key.offset);
    if (const char* how = freed.how(e.finding)) e.freed_how = how;
}

}  // namespace

Explanation explain_address(Target& t, const ClassTable& classes, AddressLocator& locator, uint64_t addr) {
    Explanation e;
    e.addr = addr;
    auto phys = t.kv_to_phys(addr);
    if (phys) e.where = locator.locate(addr, *phys).describe();
    if (classes.contains(addr)) {
        const LockClass* c = classes.class_at(addr);
        if (c && c->in_use) {
            e.kind = Explanation::Kind::Class;
            return e;
        }
        e.why.push_back(c ? "an unused lock_classes[] entry" : "inside a lock_class entry, not at its start");
        return e;
    }
    std::string why;
    if (try_map(t, classes, addr, e, why)) {
        e.map_addr = addr;
        e.finding.where = phys ? locator.locate(addr, *phys) : Location{};
        note_freed(t, classes, locator, e);
        return e;
    }
    e.why.push_back("as a lockdep_map: " + why);
    for (const Embedding& emb : kEmbeddings) {
        auto off = t.member_offset(emb.type, "dep_map");
        if (!off) continue;
        if (try_map(t, classes, addr + *off, e, why)) {
            e.map_addr = addr + *off;
            e.map_offset = *off;
            // Types whose map sits at the same offset cannot be told apart
            // from the map alone: name them all.
            for (const Embedding& other : kEmbeddings) {
                if (t.member_offset(other.type, "dep_map") != off) continue;
                if (!e.lock_type.empty()) e.lock_type += " or ";
                e.lock_type += other.shown_as;
            }
            if (auto p = t.kv_to_phys(e.map_addr)) {
                e.finding.where = locator.locate(e.map_addr, *p);
                note_freed(t, classes, locator, e);
            }
            return e;
        }
        e.why.push_back(std::string("as ") + emb.shown_as + " (dep_map at +" + std::to_string(*off) +
                        "): " + why);
    }
    e.kind = Explanation::Kind::NotALock;
    return e;
}

std::string explain_verdict(Target& t, const ClassTable& classes, const MapFinding& f,
                            const SlotVerdict& v) {
    const LockClass* c = classes.class_at(v.class_addr);
    const std::string own = f.map.name_ok ? "\"" + f.map.name + "\"" : "this lock";
    switch (v.severity) {
    case Severity::Clean:
        return "The class is this lock's own: same name and wait types. Nothing to fix.";
    case Severity::Wait:
    case Severity::Name: {
        const bool novalidate = f.map.key == classes.layout.novalidate_key;
        const std::string cls = "\"" + (c ? c->display_name() : std::string("?")) + "\"";
        std::string s = novalidate
            ? "lockdep_set_novalidate_class() gave " + own +
                  " the shared key __lockdep_no_validate__, whose class " + cls +
                  " was registered first by another lock"
            : own + " shares its key (" + key_symbol(t, f.map.key) +
                  ") with the lock that registered class " + cls + " first";
        s += ": lockdep finds classes by key and subclass only, so it checks " + own +
             " as that lock. ";
        if (v.severity == Severity::Wait) return s + "It is " + v.consequence + ".";
        return s + "Wait types agree, so checks are right, but every report that involves this lock "
                   "prints the other lock's name.";
    }
    case Severity::Latent:
        return "lockdep finds classes by key and subclass only, and " + own + "'s key (" +
               describe_key(t, classes.layout, f.map.key) + ") already has class \"" +
               (c ? c->display_name() : std::string("?")) + "\", registered by another lock. It is " +
               v.consequence + ".";
    case Severity::Stale:
    case Severity::Unreadable:
    case Severity::Corrupt:
    case Severity::Suspect:
        return v.consequence + ".";
    }
    return "";
}

}  // namespace lockalias
