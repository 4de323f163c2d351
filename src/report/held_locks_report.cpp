#include "report/held_locks_report.h"

#include <cstdio>

#include "kernel/memory_util.h"
#include "lockdep/verdict.h"
#include "report/json_writer.h"

namespace lockalias {

std::string held_locks_text(const ClassTable& classes, const HeldLocksResult& r) {
    std::string o;
    for (const TaskLocks& tl : r.tasks) {
        char head[256];
        std::snprintf(head, sizeof head, "PID: %-6ld TASK: %s  COMMAND: \"%s\"  %d held lock%s\n", tl.pid,
                      hex(tl.task).c_str(), tl.comm.c_str(), tl.depth, tl.depth == 1 ? "" : "s");
        o += head;
        for (const HeldLock& h : tl.locks) {
            const LockdepMap& m = h.map.finding.map;
            const LockClass* c = h.class_idx >= 0 && h.class_idx < long(classes.entries.size())
                                     ? &classes.entries[h.class_idx] : nullptr;
            o += "  #" + std::to_string(h.depth) + "  " + hex(h.instance) + "  \"" +
                 (m.name_ok ? m.name : "?") + "\"  class " + hex(h.class_addr) + " \"" +
                 (c && c->readable ? c->display_name() : "?") + "\"";
            o += "  read " + std::to_string(h.read) + (h.trylock ? "  trylock" : "");
            if (!h.acquire_sym.empty()) o += "  at " + h.acquire_sym;
            o += h.alias ? "  ALIAS\n" : "\n";
            if (h.alias || h.note != "own class") o += "      " + h.note + "\n";
        }
    }
    if (r.tasks.empty()) o += "no task holds a lock\n";
    for (const std::string& p : r.problems) o += "WARNING: " + p + "\n";
    o += std::to_string(r.tasks_walked) + " tasks checked\n";
    return o;
}

std::string held_locks_json(const ClassTable& classes, const HeldLocksResult& r) {
    JsonWriter j;
    j.begin_object().field("schema", "lockalias-held").field("version", 1);
    j.key("error");
    if (r.error.empty()) j.null(); else j.value(r.error);
    j.key("tasks").begin_array();
    for (const TaskLocks& tl : r.tasks) {
        j.begin_object().key("task").address(tl.task).field("pid", tl.pid).field("comm", tl.comm);
        j.field("depth", tl.depth).key("locks").begin_array();
        for (const HeldLock& h : tl.locks) {
            const LockdepMap& m = h.map.finding.map;
            const LockClass* c = h.class_idx >= 0 && h.class_idx < long(classes.entries.size())
                                     ? &classes.entries[h.class_idx] : nullptr;
            j.begin_object().field("depth", h.depth).key("instance").address(h.instance);
            j.field("name", m.name).field("lock_type", h.map.lock_type).field("where", h.map.where);
            j.field("class_idx", h.class_idx).key("class").address(h.class_addr);
            j.field("class_name", c && c->readable ? c->display_name() : "");
            j.field("read", h.read).field("trylock", h.trylock).field("references", h.references);
            j.field("irq_context", h.irq_context);
            j.key("acquire_ip").address(h.acquire_ip).field("acquire_sym", h.acquire_sym);
            j.field("alias", h.alias).field("note", h.note);
            j.end_object();
        }
        j.end_array().end_object();
    }
    j.end_array();
    j.field("tasks_checked", r.tasks_walked);
    j.key("problems").begin_array();
    for (const std::string& p : r.problems) j.value(p);
    j.end_array().end_object();
    return j.str() + "\n";
}

}  // namespace lockalias
