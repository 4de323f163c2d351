#include "lockdep/lockdep_layout.h"

#include "kernel/enum_values.h"

namespace lockalias {

std::string WaitTypes::name(long v) const {
    if (v == inv) return "INV";
    if (v == free) return "FREE";
    if (v == spin) return "SPIN";  // also CONFIG without PROVE_RAW_LOCK_NESTING
    if (v == config) return "CONFIG";
    if (v == sleep) return "SLEEP";
    return std::to_string(v);
}

namespace {

bool load_field(Target& t, const char* type, const char* member, Field& f,
                std::string& missing) {
    auto off = t.member_offset(type, member);
    auto size = t.member_size(type, member);
    if (!off || !size) {
        if (!missing.empty()) missing += ", ";
        missing += std::string(type) + "." + member;
        return false;
    }
    f.offset = *off;
    f.size = *size;
    return true;
}

// What the class-record checks read besides the fields verdicts use. All
// optional: a check whose fields are missing is skipped.
void load_class_record_fields(Target& t, LockdepLayout& l) {
    const auto next = t.member_offset("hlist_node", "next");
    const auto pprev = t.member_offset("hlist_node", "pprev");
    if (auto h = t.member_offset("lock_class", "hash_entry"); h && next && pprev) {
        l.class_hash_next = {*h + *next, 8};
        l.class_hash_pprev = {*h + *pprev, 8};
    }
    const auto list_next = t.member_offset("list_head", "next");
    const auto list_prev = t.member_offset("list_head", "prev");
    for (const char* head : {"lock_entry", "locks_after", "locks_before"}) {
        auto off = t.member_offset("lock_class", head);
        if (!off || !list_next || !list_prev) continue;
        l.class_pointer_words.push_back(*off + *list_next);
        l.class_pointer_words.push_back(*off + *list_prev);
    }
    if (auto a = t.symbol_address("classhash_table")) {
        if (auto n = t.array_length("classhash_table"); n && *n > 0) {
            l.classhash_addr = *a;
            l.classhash_count = *n;
        }
    }
}

}  // namespace

LayoutResult load_lockdep_layout(Target& t) {
    LayoutResult r;
    auto classes = t.symbol_address("lock_classes");
    auto map_size = t.type_size("lockdep_map");
    auto class_size = t.type_size("lock_class");
    if (!classes || !class_size || !map_size || *map_size <= 0) {
        r.error = "this kernel was built without CONFIG_LOCKDEP: no lock classes to check";
        return r;
    }
    LockdepLayout l;
    l.map_size = *map_size;
    l.class_size = *class_size;
    l.classes_addr = *classes;

    // The wait types came with commit de8f5e4f2dc1 ("lockdep: Introduce
    // wait-type checks") (in v5.7): an older kernel is refused here.
    std::string missing;
    load_field(t, "lockdep_map", "key", l.map_key, missing);
    load_field(t, "lockdep_map", "class_cache", l.map_class_cache, missing);
    load_field(t, "lockdep_map", "name", l.map_name, missing);
    load_field(t, "lockdep_map", "wait_type_outer", l.map_wait_outer, missing);
    load_field(t, "lockdep_map", "wait_type_inner", l.map_wait_inner, missing);
    load_field(t, "lock_class", "key", l.class_key, missing);
    load_field(t, "lock_class", "subclass", l.class_subclass, missing);
    load_field(t, "lock_class", "name", l.class_name, missing);
    load_field(t, "lock_class", "name_version", l.class_name_version, missing);
    load_field(t, "lock_class", "wait_type_outer", l.class_wait_outer, missing);
    load_field(t, "lock_class", "wait_type_inner", l.class_wait_inner, missing);
    if (!missing.empty()) {
        r.error = "lockdep structures lack fields lockalias needs: " + missing;
        return r;
    }
    // Optional: lock_type came with commit dfd5e3f5fe27 ("locking/lockdep:
    // Mark local_lock_t") (in v5.12; 5.10.y has it too), usage_mask may be
    // renamed.
    std::string ignored;
    load_field(t, "lockdep_map", "lock_type", l.map_lock_type, ignored);
    load_field(t, "lock_class", "lock_type", l.class_lock_type, ignored);
    load_field(t, "lock_class", "usage_mask", l.class_usage_mask, ignored);

    l.cache_slots = int(l.map_class_cache.size / 8);
    if (l.cache_slots <= 0) {
        r.error = "lockdep_map.class_cache has no slots in this kernel's debuginfo";
        return r;
    }
    if (auto s = t.type_size("lockdep_subclass_key"); s && *s > 0) l.subkey_size = *s;
    if (auto s = t.member_size("lock_class_key", "subkeys"); s && *s > 0) l.subclasses = *s / l.subkey_size;
    load_class_record_fields(t, l);

    if (auto n = t.array_length("lock_classes")) l.classes_count = *n;
    if (l.classes_count <= 0) {
        r.error = "cannot tell how many entries lock_classes[] has";
        return r;
    }
    // lock_classes_in_use since commit 01bb6f0af992 ("locking/lockdep: Change
    // the range of class_idx in held_lock struct") (in v5.3).
    if (auto bm = t.symbol_address("lock_classes_in_use")) l.in_use_bitmap_addr = *bm;
    else if (auto nr = t.symbol_address("nr_lock_classes")) l.nr_lock_classes_addr = *nr;
    else {
        r.error = "neither lock_classes_in_use nor nr_lock_classes is in this kernel";
        return r;
    }
    if (auto k = t.symbol_address("__lockdep_no_validate__")) l.novalidate_key = *k;
    if (auto k = t.symbol_address("__lockdep_no_track__")) l.notrack_key = *k;

    // enum lockdep_wait_type's numbers: LD_WAIT_CONFIG is LD_WAIT_SPIN
    // unless CONFIG_PROVE_RAW_LOCK_NESTING, on by default with PROVE_LOCKING
    // since commit 560af5dc839e ("lockdep: Enable PROVE_RAW_LOCK_NESTING with
    // PROVE_LOCKING.") (in v6.13); then SLEEP and MAX are one higher.
    auto& w = l.wait;
    if (auto v = enum_value_of(t, "lockdep_wait_type", "LD_WAIT_INV")) w.inv = *v;
    if (auto v = enum_value_of(t, "lockdep_wait_type", "LD_WAIT_FREE")) w.free = *v;
    if (auto v = enum_value_of(t, "lockdep_wait_type", "LD_WAIT_SPIN")) w.spin = *v;
    if (auto v = enum_value_of(t, "lockdep_wait_type", "LD_WAIT_CONFIG")) w.config = *v;
    if (auto v = enum_value_of(t, "lockdep_wait_type", "LD_WAIT_SLEEP")) w.sleep = *v;
    if (auto v = enum_value_of(t, "lockdep_wait_type", "LD_WAIT_MAX")) w.max = *v;
    if (auto v = enum_value_of(t, "lockdep_lock_type", "LD_LOCK_MAX")) l.lock_type_max = *v;
    if (auto v = enum_value_of(t, "lock_usage_bit", "LOCK_USAGE_STATES")) l.usage_states = *v;
    r.layout = l;
    return r;
}

}  // namespace lockalias
