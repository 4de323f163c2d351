#include "report/explain_report.h"

#include <cstdio>

#include "analysis/class_groups.h"
#include "report/json_writer.h"
#include "kernel/memory_util.h"
#include "report/scan_report.h"

namespace lockalias {

namespace {

std::string row(const std::string& label, const std::string& left, const std::string& right) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "  %-11s %-34s %s\n", label.c_str(), left.c_str(), right.c_str());
    return buf;
}

std::string wait_text(const WaitTypes& w, unsigned outer, unsigned inner) {
    return wait_pair(outer, inner) + " " + w.name(effective_outer(outer, inner));
}

std::string header(const Explanation& e) {
    std::string o = hex(e.addr) + ": ";
    if (!e.lock_type.empty())
        o += e.lock_type + ", lockdep_map at " + hex(e.map_addr) + " (+" + std::to_string(e.map_offset) + ")";
    else
        o += "lockdep_map";
    if (!e.where.empty()) o += "\n  in " + e.where;
    o += "\n";
    if (!e.freed_how.empty())
        o += "  FREED MEMORY (" + e.freed_how + "): the kernel has freed this memory, so this is no lock; "
             "what follows reads the bytes it left.\n";
    return o;
}

}  // namespace

std::string explain_text(Target& t, const ClassTable& classes, const Explanation& e) {
    const LockdepLayout& l = classes.layout;
    const LockdepMap& m = e.finding.map;
    std::string name = m.name_ok ? m.name : "<" + m.name_problem + ">";
    switch (e.kind) {
    case Explanation::Kind::NotALock: {
        std::string o = hex(e.addr) + ": not a lockdep_map, a lock that embeds one, or a lock_class";
        o += e.where.empty() ? " (address not in the dump)\n" : "\n  in " + e.where + "\n";
        bool all_unreadable = true;
        for (const std::string& w : e.why)
            all_unreadable = all_unreadable && w.size() > 10 && w.substr(w.size() - 10) == "unreadable";
        if (all_unreadable) return o;
        for (const std::string& w : e.why) o += "  tried " + w + "\n";
        return o;
    }
    case Explanation::Kind::UncachedMap: {
        const bool notrack = l.notrack_key && m.key == l.notrack_key;
        std::string o = header(e) + "  \"" + name + "\"  key " + describe_key(t, l, m.key) + "  wait " +
                        wait_text(l.wait, m.wait_outer, m.wait_inner) + "\n";
        if (notrack)
            return o + "  not tracked: lockdep ignores every acquire of a lock on this key, so it "
                       "never gets a class and is never validated; not an alias.\n";
        o += "  no class cached (class_cache[] all NULL): never acquired while lockdep was running.\n";
        if (e.finding.slots.empty())
            return o + "  Its key has no class yet: the first acquire registers the lock's own; not an alias.\n";
        const SlotVerdict& v = e.finding.slots.front();
        const LockClass* c = classes.class_at(v.class_addr);
        o += row("", "MAP " + hex(m.addr), "CLASS " + hex(v.class_addr) + " (its key's, subclass 0)");
        o += row("name", name, c ? c->display_name() : "-");
        o += row("wait", wait_text(l.wait, m.wait_outer, m.wait_inner),
                 c ? wait_text(l.wait, c->wait_outer, c->wait_inner) : "-");
        if (v.severity == Severity::Clean)
            return o + "  VERDICT: clean\n  When first taken it gets this class, its own (same name and wait types): not an alias.\n";
        return o + "  VERDICT: " + severity_name(v.severity) +
               (v.severity == Severity::Latent ? std::string(" ") + severity_name(v.when_taken) + " alias" : "") +
               "\n  " + explain_verdict(t, classes, e.finding, v) + "\n";
    }
    case Explanation::Kind::Class:
        return "";  // the caller prints the class's scan
    case Explanation::Kind::Map:
        break;
    }
    std::string o = header(e);
    for (const SlotVerdict& v : e.finding.slots) {
        const LockClass* c = classes.class_at(v.class_addr);
        o += "\n" + row("", "MAP " + hex(m.addr), "CLASS " + hex(v.class_addr) + " (class_cache[" +
                                                       std::to_string(v.slot) + "])");
        bool cls_ok = c && c->in_use && c->readable;
        o += row("name", name, cls_ok ? c->display_name() : "-");
        o += row("key", key_symbol(t, m.key),
                 cls_ok ? key_symbol(t, lock_class_key(*c, l)) : "-");
        o += row("subclass", std::to_string(v.slot), cls_ok ? std::to_string(c->subclass) : "-");
        o += row("wait", wait_text(l.wait, m.wait_outer, m.wait_inner),
                 cls_ok ? wait_text(l.wait, c->wait_outer, c->wait_inner) : "-");
        o += row("lock_type", std::to_string(m.lock_type), cls_ok ? std::to_string(c->lock_type) : "-");
        o += "  VERDICT: " + std::string(severity_name(v.severity)) + (is_alias(v.severity) ? " alias" : "") + "\n";
        o += "  " + explain_verdict(t, classes, e.finding, v) + "\n";
    }
    return o;
}

std::string explain_json(Target& t, const ClassTable& classes, const Explanation& e) {
    static const char* kinds[] = {"map", "uncached-map", "class", "not-a-lock"};
    const LockdepLayout& l = classes.layout;
    const LockdepMap& m = e.finding.map;
    JsonWriter j;
    j.begin_object().field("schema", "lockalias-explain").field("version", 2);
    j.key("address").address(e.addr);
    j.field("kind", kinds[int(e.kind)]);
    j.field("lock_type", e.lock_type);
    j.field("where", e.where);
    j.key("freed");
    if (e.freed_how.empty()) j.null(); else j.value(e.freed_how);
    if (e.kind == Explanation::Kind::Map || e.kind == Explanation::Kind::UncachedMap) {
        j.key("map").begin_object();
        j.key("address").address(e.map_addr);
        j.field("name", m.name).field("name_ok", m.name_ok);
        j.key("key").address(m.key);
        j.field("key_text", describe_key(t, l, m.key));
        j.field("notrack", l.notrack_key != 0 && m.key == l.notrack_key);
        j.field("wait_outer", m.wait_outer).field("wait_inner", m.wait_inner).field("lock_type", m.lock_type);
        j.end_object();
    }
    // An uncached map's one verdict is about its first acquire, not a slot.
    const bool untaken = e.kind == Explanation::Kind::UncachedMap;
    j.key("first_acquire");
    if (!untaken || e.finding.slots.empty()) {
        j.null();
    } else {
        const SlotVerdict& v = e.finding.slots.front();
        const LockClass* c = classes.class_at(v.class_addr);
        j.begin_object().key("class").address(v.class_addr);
        if (c) j.field("class_name", c->name).field("class_wait_outer", c->wait_outer).field("class_wait_inner", c->wait_inner);
        j.field("severity", severity_name(v.severity));
        j.key("when_taken");
        if (v.severity == Severity::Latent) j.value(severity_name(v.when_taken)); else j.null();
        j.field("consequence", v.consequence);
        j.end_object();
    }
    j.key("slots").begin_array();
    for (const SlotVerdict& v : e.finding.slots) {
        if (untaken) break;
        const LockClass* c = classes.class_at(v.class_addr);
        j.begin_object().field("slot", v.slot);
        j.key("class").address(v.class_addr);
        if (c && c->readable) {
            j.field("class_name", c->name).field("class_display_name", c->display_name());
            j.field("class_subclass", c->subclass);
            j.field("class_wait_outer", c->wait_outer).field("class_wait_inner", c->wait_inner);
        }
        j.field("severity", severity_name(v.severity));
        j.field("consequence", v.consequence);
        j.field("explanation", explain_verdict(t, classes, e.finding, v));
        j.end_object();
    }
    j.end_array();
    j.key("tried").begin_array();
    for (const std::string& w : e.why) j.value(w);
    j.end_array();
    j.end_object();
    return j.str() + "\n";
}

}  // namespace lockalias
