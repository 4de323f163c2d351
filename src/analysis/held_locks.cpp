#include "analysis/held_locks.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "kernel/memory_util.h"
#include "lockdep/verdict.h"

namespace lockalias {

namespace {

struct TaskFields {
    long tasks = -1, pid = -1, comm = -1, comm_size = 0, depth = -1, held = -1, held_count = 0,
         signal = -1, thread_node = -1, thread_head = -1;
    long hl_size = 0, hl_instance = -1, hl_ip = -1;
    std::pair<long, long> class_idx{-1, 0}, read{-1, 0}, trylock{-1, 0}, refs{-1, 0}, irq{-1, 0};
    std::string missing;
};

TaskFields load_fields(Target& t) {
    TaskFields f;
    auto need = [&](std::optional<long> v, const char* what) {
        if (!v) f.missing += std::string(f.missing.empty() ? "" : ", ") + what;
        return v.value_or(-1);
    };
    f.tasks = need(t.member_offset("task_struct", "tasks"), "task_struct.tasks");
    f.pid = need(t.member_offset("task_struct", "pid"), "task_struct.pid");
    f.comm = need(t.member_offset("task_struct", "comm"), "task_struct.comm");
    f.comm_size = t.member_size("task_struct", "comm").value_or(16);
    f.depth = need(t.member_offset("task_struct", "lockdep_depth"), "task_struct.lockdep_depth");
    f.held = need(t.member_offset("task_struct", "held_locks"), "task_struct.held_locks");
    f.hl_size = need(t.type_size("held_lock"), "struct held_lock");
    f.hl_instance = need(t.member_offset("held_lock", "instance"), "held_lock.instance");
    f.hl_ip = need(t.member_offset("held_lock", "acquire_ip"), "held_lock.acquire_ip");
    if (f.hl_size > 0) f.held_count = t.member_size("task_struct", "held_locks").value_or(0) / f.hl_size;
    // Threads: signal->thread_head lists every thread through thread_node.
    f.signal = t.member_offset("task_struct", "signal").value_or(-1);
    f.thread_node = t.member_offset("task_struct", "thread_node").value_or(-1);
    f.thread_head = t.member_offset("signal_struct", "thread_head").value_or(-1);
    auto bits = [&](const char* m) {
        auto b = t.member_bits("held_lock", m);
        return b ? *b : std::make_pair(-1L, 0L);
    };
    f.class_idx = bits("class_idx");
    f.read = bits("read");
    f.trylock = bits("trylock");
    f.refs = bits("references");
    f.irq = bits("irq_context");
    if (f.class_idx.first < 0) f.missing += std::string(f.missing.empty() ? "" : ", ") + "held_lock.class_idx bit position";
    return f;
}

// A bitfield's value; copies only the bytes it spans (the struct may end there).
unsigned extract_bits(const uint8_t* p, size_t struct_size, std::pair<long, long> field) {
    if (field.first < 0 || field.second <= 0 || field.second > 32) return 0;
    const size_t first = size_t(field.first / 8);
    const size_t span = size_t((field.first % 8 + field.second + 7) / 8);
    if (first + span > struct_size) return 0;
    uint64_t word = 0;
    std::memcpy(&word, p + first, span);
    return unsigned((word >> (field.first % 8)) & ((1ULL << field.second) - 1));
}

// Every task_struct: processes from init_task.tasks, and each one's threads.
std::vector<uint64_t> all_tasks(Target& t, const TaskFields& f, std::vector<std::string>& problems) {
    std::vector<uint64_t> out;
    auto init = t.symbol_address("init_task");
    if (!init) {
        problems.push_back("init_task not found: cannot walk tasks");
        return out;
    }
    std::unordered_set<uint64_t> seen;
    uint64_t head = *init + f.tasks;
    uint64_t node = head;
    for (int n = 0; n < 1000000; n++) {
        if (t.interrupted()) break;
        uint64_t task = node - f.tasks;
        if (!seen.insert(task).second) break;
        out.push_back(task);
        if (f.signal >= 0 && f.thread_node >= 0 && f.thread_head >= 0) {
            auto signal = read_u64(t, task + f.signal);
            if (signal && *signal) {
                uint64_t th_head = *signal + f.thread_head;
                uint64_t th = read_u64(t, th_head).value_or(th_head);
                for (int k = 0; th != th_head && k < 100000; k++) {
                    uint64_t thread = th - f.thread_node;
                    if (seen.insert(thread).second) out.push_back(thread);
                    auto next = read_u64(t, th);
                    if (!next) break;
                    th = *next;
                }
            }
        }
        auto next = read_u64(t, node);
        if (!next) {
            problems.push_back("task list unreadable after " + hex(task) + ": tasks after it not checked");
            break;
        }
        node = *next;
        if (node == head) break;
    }
    return out;
}

HeldLock decode_held(Target& t, const ClassTable& classes, AddressLocator& locator, const TaskFields& f,
                     const uint8_t* p, int depth) {
    HeldLock h;
    h.depth = depth;
    h.instance = load_u64(p + f.hl_instance);
    h.acquire_ip = load_u64(p + f.hl_ip);
    h.acquire_sym = t.symbol_at(h.acquire_ip);
    h.class_idx = extract_bits(p, size_t(f.hl_size), f.class_idx);
    h.read = extract_bits(p, size_t(f.hl_size), f.read);
    h.trylock = extract_bits(p, size_t(f.hl_size), f.trylock);
    h.references = extract_bits(p, size_t(f.hl_size), f.refs);
    h.irq_context = extract_bits(p, size_t(f.hl_size), f.irq);
    // class_idx indexes lock_classes[] from 0 since commit 01bb6f0af992
    // ("locking/lockdep: Change the range of class_idx in held_lock struct")
    // (in v5.3); before it, the index was one higher.
    const LockClass* c = nullptr;
    if (h.class_idx >= 0 && h.class_idx < long(classes.entries.size())) {
        c = &classes.entries[h.class_idx];
        h.class_addr = c->addr;
    }
    h.map = explain_address(t, classes, locator, h.instance);
    const LockdepMap& m = h.map.finding.map;
    if (h.map.kind != Explanation::Kind::Map && h.map.kind != Explanation::Kind::UncachedMap) {
        h.note = "no lockdep_map at the instance address now (" +
                 (h.map.why.empty() ? std::string("unreadable") : h.map.why.front()) +
                 "): a stack copy since overwritten, or freed memory";
        return h;
    }
    if (!c || !c->in_use || !c->readable) {
        h.note = "class_idx " + std::to_string(h.class_idx) + " is not a live, readable class";
        return h;
    }
    // The held class is the one lockdep checked; judge it like a cached slot.
    LockdepMap as_cached = m;
    as_cached.class_cache.assign(1, c->addr);
    SlotVerdict v = judge_slot(as_cached, 0, classes);
    // Only another lock's class makes an alias: a stale, corrupt or suspect
    // class is noted with what was found.
    h.alias = is_alias(v.severity);
    h.note = v.severity == Severity::Clean ? "own class"
             : std::string(severity_name(v.severity)) + (h.alias ? " alias: " : ": ") + v.consequence;
    return h;
}

}  // namespace

HeldLocksResult find_held_locks(Target& t, const ClassTable& classes, AddressLocator& locator,
                                long pid, uint64_t task_addr) {
    HeldLocksResult r;
    TaskFields f = load_fields(t);
    if (!f.missing.empty()) {
        r.error = "cannot read held locks: this kernel's debuginfo lacks " + f.missing;
        return r;
    }
    std::vector<uint64_t> tasks = task_addr ? std::vector<uint64_t>{task_addr} : all_tasks(t, f, r.problems);
    std::vector<uint8_t> held(size_t(f.hl_size));
    for (uint64_t task : tasks) {
        r.tasks_walked++;
        TaskLocks tl;
        tl.task = task;
        int32_t depth = 0, pid_v = 0;
        char comm[64] = {};
        if (!t.read_kv(task + f.depth, &depth, 4) || !t.read_kv(task + f.pid, &pid_v, 4) ||
            !t.read_kv(task + f.comm, comm, size_t(std::min<long>(f.comm_size, 63)))) {
            r.problems.push_back("task " + hex(task) + " is unreadable");
            continue;
        }
        tl.pid = pid_v;
        tl.comm = comm;
        tl.depth = depth;
        if (pid >= 0 && pid_v != pid) continue;
        if (depth < 0 || depth > f.held_count) {
            r.problems.push_back("task " + hex(task) + " has lockdep_depth " + std::to_string(depth) +
                                 ", outside 0.." + std::to_string(f.held_count));
            continue;
        }
        for (int d = 0; d < depth; d++) {
            if (!t.read_kv(task + f.held + uint64_t(d) * f.hl_size, held.data(), held.size())) {
                r.problems.push_back("held_locks[" + std::to_string(d) + "] of task " + hex(task) + " is unreadable");
                break;
            }
            tl.locks.push_back(decode_held(t, classes, locator, f, held.data(), d));
        }
        if (depth > 0 || pid >= 0 || task_addr) r.tasks.push_back(tl);
    }
    if (pid >= 0 && r.tasks.empty()) r.error = "no task with PID " + std::to_string(pid);
    return r;
}

}  // namespace lockalias
