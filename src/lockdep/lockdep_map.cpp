#include "lockdep/lockdep_map.h"

#include "kernel/memory_util.h"

namespace lockalias {

LockdepMap decode_map(Target& t, const LockdepLayout& l, const uint8_t* p, NameCache* names, KernelPageMemo* pages) {
    LockdepMap m;
    m.key = load_uint(p, l.map_key.offset, l.map_key.size);
    for (int i = 0; i < l.cache_slots; i++)
        m.class_cache.push_back(load_u64(p + l.map_class_cache.offset + 8 * i));
    m.name_ptr = load_uint(p, l.map_name.offset, l.map_name.size);
    m.wait_outer = unsigned(load_uint(p, l.map_wait_outer.offset, l.map_wait_outer.size));
    m.wait_inner = unsigned(load_uint(p, l.map_wait_inner.offset, l.map_wait_inner.size));
    if (l.map_lock_type.offset >= 0)
        m.lock_type = unsigned(load_uint(p, l.map_lock_type.offset, l.map_lock_type.size));
    if (looks_like_kernel_pointer(m.name_ptr)) {
        KernelString s;
        auto hit = names ? names->find(m.name_ptr) : NameCache::iterator{};
        if (names && hit != names->end()) {
            s = hit->second;
        } else {
            s = read_kernel_string(t, m.name_ptr, 4096, pages);
            if (names) names->emplace(m.name_ptr, s);
        }
        m.name = s.text;
        m.name_ok = s.ok;
        m.name_problem = s.problem;
    } else {
        m.name_problem = "name pointer " + hex(m.name_ptr) + " is not a kernel address";
    }
    return m;
}

bool key_matches_slot(const LockdepMap& m, const LockClass& c, int slot,
                      const LockdepLayout& l) {
    if (!c.in_use || !c.readable) return false;
    // Slot 0 may hold any subclass: lockdep_init_map*() with a subclass
    // (lockdep_set_subclass()) registers that class with force=1, which
    // caches it in class_cache[0].
    if (slot != 0 && c.subclass != unsigned(slot)) return false;
    return lock_class_key(c, l) == m.key;
}

bool key_matches_some_slot(const LockdepMap& m, const ClassTable& classes) {
    for (size_t i = 0; i < m.class_cache.size(); i++) {
        const LockClass* c = classes.class_at(m.class_cache[i]);
        if (c && key_matches_slot(m, *c, int(i), classes.layout)) return true;
    }
    return false;
}

std::string map_rejection_text(MapRejection r, const LockdepMap& m) {
    switch (r) {
    case MapRejection::None: return "";
    case MapRejection::KeyNotKernel: return "key is not a kernel address";
    case MapRejection::WaitTypeRange: return "wait types out of range";
    case MapRejection::LockTypeRange: return "lock type out of range";
    case MapRejection::CacheNotAClass: return "a class_cache entry is not a lock_classes entry";
    case MapRejection::NoCachedClass: return "no cached class";
    case MapRejection::ClassCached: return "a class is cached";
    case MapRejection::NameUnreadable: return m.name_problem.empty() ? "no name" : m.name_problem;
    case MapRejection::EmptyName: return "empty name";
    }
    return "?";
}

MapRejection why_not_a_map(const LockdepMap& m, const ClassTable& classes) {
    if (!looks_like_kernel_pointer(m.key)) return MapRejection::KeyNotKernel;
    const long max_wait = classes.layout.wait.max;
    if (max_wait > 0 && (long(m.wait_inner) >= max_wait || long(m.wait_outer) >= max_wait))
        return MapRejection::WaitTypeRange;
    bool any = false;
    for (uint64_t c : m.class_cache) {
        if (c == 0) continue;
        if (!classes.class_at(c)) return MapRejection::CacheNotAClass;
        any = true;
    }
    if (!any) return MapRejection::NoCachedClass;
    // A class registered for exactly this key and slot is proof enough,
    // even when the map's name cannot be read (report that, don't drop it).
    if (key_matches_some_slot(m, classes)) return MapRejection::None;
    // Otherwise the name must read as text: this rejects list nodes and
    // other structures that also hold class pointers.
    return m.name_ok ? MapRejection::None : MapRejection::NameUnreadable;
}

MapRejection why_not_an_untaken_map(const LockdepMap& m, const LockdepLayout& l) {
    for (uint64_t c : m.class_cache)
        if (c) return MapRejection::ClassCached;
    if (l.wait.max > 0 && (long(m.wait_inner) >= l.wait.max || long(m.wait_outer) >= l.wait.max))
        return MapRejection::WaitTypeRange;
    if (l.lock_type_max > 0 && l.map_lock_type.offset >= 0 && long(m.lock_type) >= l.lock_type_max)
        return MapRejection::LockTypeRange;
    if (!m.name_ok) return MapRejection::NameUnreadable;
    if (m.name.empty()) return MapRejection::EmptyName;
    return MapRejection::None;
}

}  // namespace lockalias
