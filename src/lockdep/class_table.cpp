#include "lockdep/class_table.h"

#include <algorithm>

#include "lockdep/class_checks.h"
#include "kernel/memory_util.h"

namespace lockalias {

std::string LockClass::display_name() const {
    std::string s = name_ok ? name : "<" + name_problem + ">";
    if (name_version > 1) s += "#" + std::to_string(name_version);
    if (subclass) s += "/" + std::to_string(subclass);
    return s;
}

const LockClass* ClassTable::class_at(uint64_t addr) const {
    if (!contains(addr)) return nullptr;
    uint64_t off = addr - layout.classes_addr;
    if (off % layout.class_size) return nullptr;
    return &entries[off / layout.class_size];
}

namespace {

// Which slots are live: the lock_classes_in_use bitmap, or the first
// nr_lock_classes entries on kernels before the bitmap existed (commit
// 01bb6f0af992 ("locking/lockdep: Change the range of class_idx in held_lock
// struct") (in v5.3)).
std::vector<bool> read_in_use(Target& t, const LockdepLayout& l, ClassTable& table) {
    std::vector<bool> in_use(l.classes_count, false);
    if (l.in_use_bitmap_addr) {
        std::vector<uint64_t> words((l.classes_count + 63) / 64);
        if (t.read_kv(l.in_use_bitmap_addr, words.data(), words.size() * 8)) {
            for (long i = 0; i < l.classes_count; i++)
                in_use[i] = (words[i / 64] >> (i % 64)) & 1;
            return in_use;
        }
        table.problem = "lock_classes_in_use is unreadable: treating every entry with a key as live";
    } else {
        uint32_t nr = 0;
        if (t.read_kv(l.nr_lock_classes_addr, &nr, sizeof nr)) {
            for (long i = 0; i < l.classes_count && i < long(nr); i++) in_use[i] = true;
            return in_use;
        }
        table.problem = "nr_lock_classes is unreadable: treating every entry with a key as live";
    }
    table.in_use_known = false;
    in_use.assign(l.classes_count, true);  // refined below: slots with a key
    return in_use;
}

void decode_class(Target& t, const LockdepLayout& l, const uint8_t* p, LockClass& c, KernelPageMemo& names) {
    c.key = load_uint(p, l.class_key.offset, l.class_key.size);
    c.subclass = unsigned(load_uint(p, l.class_subclass.offset, l.class_subclass.size));
    c.name_ptr = load_uint(p, l.class_name.offset, l.class_name.size);
    c.name_version = int(load_uint(p, l.class_name_version.offset, l.class_name_version.size));
    c.wait_outer = unsigned(load_uint(p, l.class_wait_outer.offset, l.class_wait_outer.size));
    c.wait_inner = unsigned(load_uint(p, l.class_wait_inner.offset, l.class_wait_inner.size));
    if (l.class_lock_type.offset >= 0)
        c.lock_type = unsigned(load_uint(p, l.class_lock_type.offset, l.class_lock_type.size));
    if (l.class_usage_mask.offset >= 0)
        c.usage_mask = load_uint(p, l.class_usage_mask.offset, l.class_usage_mask.size);
    if (l.class_hash_next.offset >= 0) {
        c.hash_next = load_u64(p + l.class_hash_next.offset);
        c.hash_pprev = load_u64(p + l.class_hash_pprev.offset);
    }
    for (long off : l.class_pointer_words)
        if (!looks_like_kernel_pointer(load_u64(p + off))) {
            c.bad_list_word = off;
            break;
        }
    auto name = read_kernel_string(t, c.name_ptr, 4096, &names);
    c.name = name.text;
    c.name_ok = name.ok;
    c.name_problem = name.problem;
}

}  // namespace

ClassTable read_class_table(Target& t, const LockdepLayout& l) {
    ClassTable table;
    table.layout = l;
    std::vector<bool> in_use = read_in_use(t, l, table);
    table.entries.resize(l.classes_count);
    // The live entries in one read, from the first to the last: one crash
    // read instead of one per class. When some page of them is unreadable,
    // each entry is read on its own, to keep the readable ones.
    const auto first = std::find(in_use.begin(), in_use.end(), true);
    const long from = long(first - in_use.begin());
    const long to =
        first == in_use.end() ? from : long(in_use.rend() - std::find(in_use.rbegin(), in_use.rend(), true));
    std::vector<uint8_t> live(size_t(to - from) * size_t(l.class_size));
    const bool all_read =
        !live.empty() && t.read_kv(l.classes_addr + uint64_t(from) * l.class_size, live.data(), live.size());
    std::vector<uint8_t> buf(l.class_size);
    KernelPageMemo names(t);
    for (long i = 0; i < l.classes_count; i++) {
        LockClass& c = table.entries[i];
        c.index = i;
        c.addr = l.classes_addr + uint64_t(i) * l.class_size;
        c.in_use = in_use[i];
        if (!c.in_use) continue;
        const uint8_t* bytes = all_read ? live.data() + size_t(i - from) * size_t(l.class_size) : buf.data();
        c.readable = all_read || t.read_kv(c.addr, buf.data(), buf.size());
        if (!c.readable) continue;
        decode_class(t, l, bytes, c, names);
        if (!table.in_use_known && c.key == 0) c.in_use = false;
    }
    // A live class always has a key; without a readable bitmap, a keyless
    // slot is taken as unused above, else check_classes() calls it corrupt.
    check_classes(t, table);
    for (const auto& c : table.entries) {
        if (!c.in_use) continue;
        table.in_use_count++;
        if (!c.readable) table.unreadable_count++;
    }
    if (table.unreadable_count && table.problem.empty())
        table.problem = std::to_string(table.unreadable_count) +
                        " live lock_class entries are unreadable";
    return table;
}

const LockClass* class_for_key(const ClassTable& table, uint64_t key, unsigned subclass) {
    const uint64_t subkey = key + uint64_t(subclass) * table.layout.subkey_size;
    for (const LockClass& c : table.entries)
        if (c.in_use && c.readable && c.key == subkey && c.subclass == subclass) return &c;
    return nullptr;
}

}  // namespace lockalias
