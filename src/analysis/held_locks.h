// `lockalias -t`: the locks each task holds (task_struct.held_locks[]),
// each with its map's own name, the class lockdep checked it as, and a flag
// when that class belongs to another lock.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lockdep/class_table.h"
#include "analysis/explain.h"
#include "dump/target.h"

namespace lockalias {

struct HeldLock {
    int depth = 0;
    uint64_t instance = 0;     // the lockdep_map
    uint64_t acquire_ip = 0;
    std::string acquire_sym;
    long class_idx = -1;
    uint64_t class_addr = 0;
    unsigned read = 0, trylock = 0, references = 0, irq_context = 0;
    Explanation map;           // what is at instance
    bool alias = false;
    std::string note;          // why it is (not) an alias, or what could not be read
};

struct TaskLocks {
    uint64_t task = 0;
    long pid = 0;
    std::string comm;
    int depth = 0;
    std::vector<HeldLock> locks;
};

struct HeldLocksResult {
    std::string error;
    std::vector<TaskLocks> tasks;      // tasks with at least one held lock (or the one asked for)
    long tasks_walked = 0;
    std::vector<std::string> problems;
};

// pid < 0 and task == 0: every task that holds a lock.
HeldLocksResult find_held_locks(Target& t, const ClassTable& classes, AddressLocator& locator,
                                long pid, uint64_t task);

}  // namespace lockalias
