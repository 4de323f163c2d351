// Is each live lock_classes[] entry a record lockdep wrote? A dump whose
// kernel scribbled over lock_classes[] still marks the entry live, and a
// verdict built on garbage wait bytes or names would send a triager after
// the wrong bug. Each live entry is held against the kernel's own ranges
// (enums read from debuginfo) and against classhash_table, where lockdep
// links every class it registers.
#pragma once
#include <cstdint>

#include "lockdep/class_table.h"
#include "dump/target.h"

namespace lockalias {

// Sets defect and defect_detail of every live, readable entry, and the
// table's corrupt_count and check_note.
void check_classes(Target& t, ClassTable& table);

// lockdep's bucket for a class key: __classhashfn(key) is
// hash_long(key, CLASSHASH_BITS), and on 64-bit hash_long() is hash_64(),
// a multiply by GOLDEN_RATIO_64 since v4.7 (ef703f49a6c5). The code that
// uses it first checks that the dump's own buckets agree.
inline uint64_t class_hash_bucket(uint64_t key, unsigned bits) {
    return bits ? (key * 0x61C8864680B583EBULL) >> (64 - bits) : 0;
}

}  // namespace lockalias
