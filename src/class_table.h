// lockdep's lock_classes[] as read from the dump: which entries are live,
// and each live entry's key, subclass, name and wait types.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lockdep_layout.h"
#include "target.h"

namespace lockalias {

struct LockClass {
    uint64_t addr = 0;
    long index = 0;
    bool in_use = false;
    bool readable = false;    // the entry's bytes could be read
    uint64_t key = 0;         // lockdep_subclass_key *: map->key + subclass
    unsigned subclass = 0;
    uint64_t name_ptr = 0;
    std::string name;
    bool name_ok = false;
    std::string name_problem;
    int name_version = 0;
    unsigned wait_outer = 0, wait_inner = 0, lock_type = 0;
    uint64_t usage_mask = 0;

    // As lockdep prints it: name, "#version" when > 1, "/subclass" when set.
    std::string display_name() const;
};

struct ClassTable {
    LockdepLayout layout;
    std::vector<LockClass> entries;   // every slot, live or not
    long in_use_count = 0;
    long unreadable_count = 0;        // live slots whose bytes were unreadable
    bool in_use_known = true;         // bitmap (or nr_lock_classes) was readable
    std::string problem;              // what could not be read, if anything

    // The slot an address names, or nullptr if it is not the start of a slot.
    const LockClass* slot_at(uint64_t addr) const;
    bool contains(uint64_t addr) const {
        return addr >= layout.classes_addr && addr < layout.classes_end();
    }
};

ClassTable read_class_table(Target& t, const LockdepLayout& layout);

// The lock_class_key a class was registered for: lock_class.key points at
// &key->subkeys[subclass], so subtract the subclass.
inline uint64_t lock_class_key(const LockClass& c, const LockdepLayout& l) {
    return c.key - uint64_t(c.subclass) * l.subkey_size;
}

}  // namespace lockalias
