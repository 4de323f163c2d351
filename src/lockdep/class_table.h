// lockdep's lock_classes[] as read from the dump: which entries are live,
// and each live entry's key, subclass, name and wait types.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lockdep/lockdep_layout.h"
#include "dump/target.h"

namespace lockalias {

// Why a live lock_classes[] entry cannot be a class lockdep registered
// (class_checks.h). A record that fails is corrupt: no verdict about the
// locks cached to it is built on its fields.
enum class ClassDefect {
    None,
    NullKey,      // key is NULL (zap_class() clears the in-use bit with it)
    KeyNotKernel, // key is not a kernel address
    WaitType,     // wait_type_inner/outer at or above LD_WAIT_MAX
    LockType,     // lock_type at or above LD_LOCK_MAX
    Subclass,     // subclass at or above MAX_LOCKDEP_SUBCLASSES
    Name,         // the name pointer does not read as a terminated string
    NameVersion,  // name_version disagrees with the name (0 only for a NULL name)
    UsageMask,    // usage_mask has bits above LOCK_USAGE_STATES
    ListPointer,  // a list head holds a word that is not a kernel pointer
    NotHashed,    // not linked into classhash_table
    HashLink,     // hash_entry.next points at no lock_class
    WrongBucket,  // linked into a bucket its key does not hash to
};
const char* class_defect_name(ClassDefect d);  // "null-key", "wait-type", ...

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
    uint64_t hash_next = 0, hash_pprev = 0;  // hash_entry links, when the layout has them
    long bad_list_word = -1;   // offset of a list-head word that is no kernel pointer
    ClassDefect defect = ClassDefect::None;
    std::string defect_detail; // the failed check with the values read

    // As lockdep prints it: name, "#version" when > 1, "/subclass" when set.
    std::string display_name() const;
};

struct ClassTable {
    LockdepLayout layout;
    std::vector<LockClass> entries;   // every lock_classes[] entry, live or not
    long in_use_count = 0;
    long unreadable_count = 0;        // live entries whose bytes were unreadable
    bool in_use_known = true;         // bitmap (or nr_lock_classes) was readable
    std::string problem;              // what could not be read, if anything
    long corrupt_count = 0;           // live entries with a defect
    std::string check_note;           // what the record checks found or skipped

    // The entry an address names, or nullptr if it is not the start of one.
    const LockClass* class_at(uint64_t addr) const;
    bool contains(uint64_t addr) const {
        return addr >= layout.classes_addr && addr < layout.classes_end();
    }
};

ClassTable read_class_table(Target& t, const LockdepLayout& layout);

// The live class look_up_lock_class() would return for a map with this
// key taken with `subclass`, or nullptr (then lockdep registers a new one).
// Corrupt records are included: the caller says so rather than guess.
const LockClass* class_for_key(const ClassTable& table, uint64_t key, unsigned subclass = 0);

// The lock_class_key a class was registered for: lock_class.key points at
// &key->subkeys[subclass], so subtract the subclass.
inline uint64_t lock_class_key(const LockClass& c, const LockdepLayout& l) {
    return c.key - uint64_t(c.subclass) * l.subkey_size;
}

}  // namespace lockalias
