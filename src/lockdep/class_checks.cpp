#include "lockdep/class_checks.h"

#include <map>
#include <set>
#include <vector>

#include "kernel/memory_util.h"

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

// Which live entries classhash_table links, and in which bucket. One
// scribbled link must condemn its own record, not a sound one it happens
// to point at, and must not cut the sound records behind it loose.
class HashLinks {
public:
    HashLinks(Target& t, const ClassTable& table) : table_(table), l_(table.layout) {
        buckets_.resize(size_t(l_.classhash_count));
        readable_ = t.read_kv(l_.classhash_addr, buckets_.data(), buckets_.size() * 8);
        if (readable_) walk();
    }
    bool readable() const { return readable_; }
    // The bucket an entry was reached (or rescued) from, or -1.
    long bucket_of(long index) const {
        auto it = bucket_.find(index);
        return it == bucket_.end() ? -1 : it->second;
    }
    bool reached(long index) const { return walked_.count(index) != 0; }

    // Entries the walk did not reach (a scribbled link before them in their
    // chain) are still hashed when their pprev points at a word that points
    // back at them, or at a link of the bucket their key hashes to:
    // key_bucket(c) says which, or -1 when buckets cannot be trusted.
    template <typename KeyBucket>
    void rescue(const KeyBucket& key_bucket) {
        for (bool changed = true; changed;) {
            changed = false;
            for (const LockClass& c : table_.entries) {
                if (!c.in_use || !c.readable || bucket_.count(c.index)) continue;
                const long b = rescued_bucket(c, key_bucket(c));
                if (b >= 0) bucket_[c.index] = b, changed = true;
            }
        }
    }
    // Its next leads to no live class, or to one that is linked elsewhere.
    bool next_misleads(const LockClass& c) const {
        return c.hash_next && (!live_entry_of_node(c.hash_next) || misleading_next_.count(c.index));
    }
    // Reached, but its pprev is not the link the walk came through (and
    // not a link that points at it either).
    bool pprev_is_wrong(const LockClass& c) const { return bad_pprev_.count(c.index) != 0; }

private:
    const LockClass* entry_of_node(uint64_t node) const {
        return table_.class_at(node - uint64_t(l_.class_hash_next.offset));
    }
    const LockClass* live_entry_of_node(uint64_t node) const {
        const LockClass* c = entry_of_node(node);
        return c && c->in_use && c->readable ? c : nullptr;
    }
    uint64_t node_of(const LockClass& c) const { return c.addr + uint64_t(l_.class_hash_next.offset); }
    long bucket_slot(uint64_t addr) const {
        if (addr < l_.classhash_addr || (addr - l_.classhash_addr) % 8) return -1;
        const uint64_t b = (addr - l_.classhash_addr) / 8;
        return b < buckets_.size() ? long(b) : -1;
    }
    // The word c's pprev names holds c's node.
    bool points_back(const LockClass& c) const {
        const long b = bucket_slot(c.hash_pprev);
        if (b >= 0) return buckets_[size_t(b)] == node_of(c);
        const LockClass* prev = live_entry_of_node(c.hash_pprev);  // next is hash_entry's first word
        return prev && prev->hash_next == node_of(c);
    }
    // The bucket of the link c's pprev names: a bucket slot, or the next
    // field of a class already placed in a bucket; -1 otherwise.
    long pprev_bucket(const LockClass& c) const {
        const long b = bucket_slot(c.hash_pprev);
        if (b >= 0) return b;
        const LockClass* prev = live_entry_of_node(c.hash_pprev);
        return prev ? bucket_of(prev->index) : -1;
    }
    long rescued_bucket(const LockClass& c, long key_bucket) const {
        const long b = pprev_bucket(c);
        return b >= 0 && (points_back(c) || key_bucket == b) ? b : -1;
    }

    void walk() {
        for (size_t b = 0; b < buckets_.size(); b++) {
            uint64_t node = buckets_[b];
            uint64_t link = l_.classhash_addr + b * 8;  // the word that holds node
            long owner = -1;                             // whose next that word is
            for (long steps = 0; node && steps < l_.classes_count; steps++) {
                const LockClass* c = live_entry_of_node(node);
                if (!c || walked_.count(c->index)) {  // garbage, a loop, or claimed twice
                    if (owner >= 0) misleading_next_.insert(owner);
                    break;
                }
                if (c->hash_pprev != link) {
                    // c is linked elsewhere: this link is the scribbled one.
                    if (points_back(*c)) {
                        if (owner >= 0) misleading_next_.insert(owner);
                        break;
                    }
                    bad_pprev_.insert(c->index);  // c's own pprev was overwritten
                }
                walked_.insert(c->index);
                bucket_[c->index] = long(b);
                owner = c->index;
                link = node;  // hash_entry.next is the node's first word
                node = c->hash_next;
            }
        }
    }

    const ClassTable& table_;
    const LockdepLayout& l_;
    std::vector<uint64_t> buckets_;
    bool readable_ = false;
    std::set<long> walked_;              // reached from a bucket
    std::map<long, long> bucket_;        // reached or rescued -> bucket
    std::set<long> misleading_next_;     // entries whose next led the walk astray
    std::set<long> bad_pprev_;
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
    // own links agree with it for nearly every class the walk reached.
    const unsigned bits = log2_exact(l.classhash_count);
    long reached = 0, agree = 0;
    for (const LockClass& c : table.entries) {
        if (!c.in_use || !c.readable || c.defect != ClassDefect::None || !links.reached(c.index)) continue;
        reached++;
        agree += bits && long(class_hash_bucket(c.key, bits)) == links.bucket_of(c.index);
    }
    // (a different hash would agree about once in CLASSHASH_SIZE; a
    // scribbled key or two must not turn the check off in a small table)
    const long disagree = reached - agree;
    const bool buckets_checked = agree > 0 && (disagree <= 1 || agree * 10 >= reached * 9);
    links.rescue([&](const LockClass& c) { return buckets_checked ? long(class_hash_bucket(c.key, bits)) : -1L; });

    for (LockClass& c : table.entries) {
        if (!c.in_use || !c.readable || c.defect != ClassDefect::None) continue;
        const long b = links.bucket_of(c.index);
        if (b < 0) {
            fail(c, ClassDefect::NotHashed,
                 "not linked into classhash_table (hash_entry next " + hex(c.hash_next) + ", pprev " +
                     hex(c.hash_pprev) + ")");
            continue;
        }
        if (links.next_misleads(c)) {
            fail(c, ClassDefect::HashLink, "hash_entry.next " + hex(c.hash_next) +
                                               " points at no lock_class that is linked after it");
            continue;
        }
        if (links.pprev_is_wrong(c)) {
            fail(c, ClassDefect::HashLink, "hash_entry.pprev " + hex(c.hash_pprev) +
                                               " is not the link that leads to it in classhash_table");
            continue;
        }
        const long want = long(class_hash_bucket(c.key, bits));
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
