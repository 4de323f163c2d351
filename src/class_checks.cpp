#include "class_checks.h"

#include <map>
#include <vector>

#include "memory_util.h"

namespace lockalias {

const char* class_defect_name(ClassDefect d) {
    switch (d) {
    case ClassDefect::None: return "none";
    case ClassDefect::NullKey: return "null-key";
    case ClassDefect::KeyNotKernel: return "key-not-kernel";
    case ClassDefect::WaitType: return "wait-type";
    case ClassDefect::LockType: return "lock-type";
    case ClassDefect::Subclass: return "subclass";
    case ClassDefect::Name: return "name";
    case ClassDefect::NameVersion: return "name-version";
    case ClassDefect::UsageMask: return "usage-mask";
    case ClassDefect::ListPointer: return "list-pointer";
    case ClassDefect::NotHashed: return "not-hashed";
    case ClassDefect::HashLink: return "hash-link";
    case ClassDefect::WrongBucket: return "wrong-bucket";
    }
    return "?";
}

namespace {

void fail(LockClass& c, ClassDefect d, std::string detail) {
    c.defect = d;
    c.defect_detail = std::move(detail);
}

// The checks one record answers on its own, cheapest and most telling first.
void check_record(const LockdepLayout& l, LockClass& c) {
    if (c.key == 0) return fail(c, ClassDefect::NullKey, "key is NULL");
    if (!looks_like_kernel_pointer(c.key))
        return fail(c, ClassDefect::KeyNotKernel, "key " + hex(c.key) + " is not a kernel address");
    if (l.wait.max > 0 && (long(c.wait_inner) >= l.wait.max || long(c.wait_outer) >= l.wait.max))
        return fail(c, ClassDefect::WaitType,
                    "wait types {" + std::to_string(c.wait_outer) + ":" + std::to_string(c.wait_inner) +
                        "} are not lockdep wait types (LD_WAIT_MAX is " + std::to_string(l.wait.max) + ")");
    if (l.lock_type_max > 0 && l.class_lock_type.offset >= 0 && long(c.lock_type) >= l.lock_type_max)
        return fail(c, ClassDefect::LockType,
                    "lock_type " + std::to_string(c.lock_type) + " is not below LD_LOCK_MAX (" +
                        std::to_string(l.lock_type_max) + ")");
    if (l.subclasses > 0 && long(c.subclass) >= l.subclasses)
        return fail(c, ClassDefect::Subclass,
                    "subclass " + std::to_string(c.subclass) + " is not below MAX_LOCKDEP_SUBCLASSES (" +
                        std::to_string(l.subclasses) + ")");
    // A NULL name is legal (5.10's jiffies_seq registered one); any other
    // pointer must read as a name.
    if (c.name_ptr && !c.name_ok)
        return fail(c, ClassDefect::Name, "name pointer " + hex(c.name_ptr) + ": " + c.name_problem);
    // count_matching_names() gives 0 to a NULL name and 1 or more otherwise.
    if ((c.name_ptr == 0) != (c.name_version == 0) || c.name_version < 0 ||
        c.name_version > l.classes_count)
        return fail(c, ClassDefect::NameVersion,
                    "name_version " + std::to_string(c.name_version) + " does not fit " +
                        (c.name_ptr ? "a named class" : "a NULL name"));
    if (l.usage_states > 0 && l.usage_states < 64 && (c.usage_mask >> l.usage_states))
        return fail(c, ClassDefect::UsageMask,
                    "usage_mask " + hex0x(c.usage_mask) + " has bits above LOCK_USAGE_STATES (" +
                        std::to_string(l.usage_states) + ")");
    if (c.bad_list_word >= 0)
        return fail(c, ClassDefect::ListPointer,
                    "the list head word at offset " + std::to_string(c.bad_list_word) +
                        " is not a kernel pointer");
}

// Which live entries classhash_table links, and in which bucket.
class HashLinks {
public:
    HashLinks(Target& t, const ClassTable& table) : table_(table), l_(table.layout) {
        buckets_.resize(size_t(l_.classhash_count));
        readable_ = t.read_kv(l_.classhash_addr, buckets_.data(), buckets_.size() * 8);
        if (readable_) walk();
    }
    bool readable() const { return readable_; }
    // The bucket an entry was reached from, or -1.
    long bucket_of(long index) const {
        auto it = reached_.find(index);
        return it == reached_.end() ? -1 : it->second;
    }
    // An entry the walk did not reach (a scribbled link earlier in its
    // chain) is still hashed when its pprev points at a word that points
    // back at it, or (when the predecessor's next is what was scribbled)
    // at the next field of a class reached from the bucket its key hashes to.
    bool linked_back(const LockClass& c, long key_bucket) const {
        const uint64_t node = c.addr + uint64_t(l_.class_hash_next.offset);
        const uint64_t p = c.hash_pprev;
        if (p >= l_.classhash_addr && p < l_.classhash_addr + buckets_.size() * 8 && (p - l_.classhash_addr) % 8 == 0)
            return buckets_[(p - l_.classhash_addr) / 8] == node;
        const LockClass* prev = entry_of_node(p);  // next is hash_entry's first word
        if (!prev) return false;
        return prev->hash_next == node || (key_bucket >= 0 && bucket_of(prev->index) == key_bucket);
    }
    // A next link that leads to no class entry (NULL ends a chain).
    bool next_is_wild(const LockClass& c) const { return c.hash_next && !entry_of_node(c.hash_next); }
    // A reached entry whose pprev is not the word the walk came through.
    bool pprev_is_wrong(const LockClass& c) const {
        auto it = link_to_.find(c.index);
        return it != link_to_.end() && it->second != c.hash_pprev;
    }

private:
    const LockClass* entry_of_node(uint64_t node) const {
        return table_.slot_at(node - uint64_t(l_.class_hash_next.offset));
    }

    void walk() {
        for (size_t b = 0; b < buckets_.size(); b++) {
            uint64_t node = buckets_[b];
            uint64_t link = l_.classhash_addr + b * 8;  // the word that holds node
            for (long steps = 0; node && steps < l_.classes_count; steps++) {
                const LockClass* c = entry_of_node(node);
                if (!c || !c->in_use || !c->readable || reached_.count(c->index)) break;
                reached_[c->index] = long(b);
                link_to_[c->index] = link;
                link = node;  // hash_entry.next is the node's first word
                node = c->hash_next;
            }
        }
    }

    const ClassTable& table_;
    const LockdepLayout& l_;
    std::vector<uint64_t> buckets_;
    bool readable_ = false;
    std::map<long, long> reached_;
    std::map<long, uint64_t> link_to_;  // reached entry -> address of the link to it
};

unsigned log2_exact(long n) {
    unsigned bits = 0;
    while ((1L << bits) < n) bits++;
    return (1L << bits) == n ? bits : 0;
}

// Returns what the hash checks did, for the note.
std::string check_hashing(Target& t, ClassTable& table) {
    const LockdepLayout& l = table.layout;
    if (!l.classhash_addr || l.class_hash_next.offset < 0)
        return "classhash_table or lock_class.hash_entry is not in the debuginfo: hash links not checked";
    HashLinks links(t, table);
    if (!links.readable()) return "classhash_table is unreadable: hash links not checked";

    // The bucket check trusts class_hash_bucket() only where this dump's
    // own links agree with it for nearly every class.
    const unsigned bits = log2_exact(l.classhash_count);
    long reached = 0, agree = 0;
    for (const LockClass& c : table.entries) {
        if (!c.in_use || !c.readable || c.defect != ClassDefect::None) continue;
        const long b = links.bucket_of(c.index);
        if (b < 0) continue;
        reached++;
        agree += bits && long(class_hash_bucket(c.key, bits)) == b;
    }
    // (a different hash would agree about once in CLASSHASH_SIZE; a
    // scribbled key or two must not turn the check off in a small table)
    const long disagree = reached - agree;
    const bool buckets_checked = agree > 0 && (disagree <= 1 || agree * 10 >= reached * 9);

    for (LockClass& c : table.entries) {
        if (!c.in_use || !c.readable || c.defect != ClassDefect::None) continue;
        const long b = links.bucket_of(c.index);
        const long want = long(class_hash_bucket(c.key, bits));
        if (b < 0 && !links.linked_back(c, buckets_checked ? want : -1)) {
            fail(c, ClassDefect::NotHashed,
                 "not linked into classhash_table (hash_entry next " + hex(c.hash_next) + ", pprev " +
                     hex(c.hash_pprev) + ")");
            continue;
        }
        if (links.next_is_wild(c)) {
            fail(c, ClassDefect::HashLink, "hash_entry.next " + hex(c.hash_next) + " points at no lock_class");
            continue;
        }
        if (links.pprev_is_wrong(c)) {
            fail(c, ClassDefect::HashLink, "hash_entry.pprev " + hex(c.hash_pprev) +
                                               " is not the link that leads to it in classhash_table");
            continue;
        }
        if (b < 0) continue;
        if (buckets_checked && want != b)
            fail(c, ClassDefect::WrongBucket,
                 "linked in classhash_table bucket " + std::to_string(b) + ", but key " + hex(c.key) +
                     " hashes to bucket " + std::to_string(want) + " (the key was overwritten)");
    }
    return buckets_checked ? "" : "classhash_table buckets do not follow hash_long(): bucket check skipped";
}

}  // namespace

void check_classes(Target& t, ClassTable& table) {
    for (LockClass& c : table.entries)
        if (c.in_use && c.readable) check_record(table.layout, c);
    std::string hash_note = check_hashing(t, table);

    std::map<ClassDefect, long> by_defect;
    for (const LockClass& c : table.entries)
        if (c.in_use && c.readable && c.defect != ClassDefect::None) by_defect[c.defect]++;
    table.corrupt_count = 0;
    std::string counts;
    for (const auto& [d, n] : by_defect) {
        table.corrupt_count += n;
        counts += std::string(counts.empty() ? "" : ", ") + std::to_string(n) + " " + class_defect_name(d);
    }
    if (table.corrupt_count)
        table.check_note = std::to_string(table.corrupt_count) +
                           " live lock_class records fail their checks (" + counts +
                           "): corrupt, no alias verdict is built on them";
    if (!hash_note.empty())
        table.check_note += (table.check_note.empty() ? "" : "; ") + hash_note;
}

}  // namespace lockalias
