#include "report/json_writer.h"
#include "kernel/memory_util.h"
#include "report/scan_report.h"

namespace lockalias {

namespace {

void write_where(JsonWriter& j, const Location& w) {
    j.key("where").begin_object();
    j.field("kind", w.kind_name());
    j.field("symbol", w.symbol);
    j.field("slab_cache", w.slab_cache);
    j.key("slab_object");
    if (w.slab_object) j.address(w.slab_object); else j.null();
    j.field("text", w.describe());
    j.end_object();
}

void write_map_slot(JsonWriter& j, const ScanResult& r, const MapSlot& s) {
    const MapFinding& f = finding_of(r, s);
    j.begin_object();
    j.key("address").address(f.map.addr);
    j.key("phys").address(f.map.phys);
    j.field("name", f.map.name);
    j.field("name_ok", f.map.name_ok);
    j.key("key").address(f.map.key);
    j.field("slot", s.slot);
    j.field("wait_outer", f.map.wait_outer);
    j.field("wait_inner", f.map.wait_inner);
    j.field("lock_type", f.map.lock_type);
    j.field("severity", severity_name(s.severity));
    std::string consequence;
    Severity when_taken = Severity::Clean;
    for (const auto& v : f.slots)
        if (v.slot == s.slot) consequence = v.consequence, when_taken = v.when_taken;
    j.key("when_taken");
    if (s.untaken) j.value(severity_name(when_taken)); else j.null();
    j.field("consequence", consequence);
    write_where(j, f.where);
    j.end_object();
}

void write_class(JsonWriter& j, Target& t, const ScanResult& r, const ClassGroup& g,
                 const ReportOptions& opt) {
    const LockdepLayout& l = r.classes->layout;
    j.begin_object();
    j.key("address").address(g.class_addr);
    const LockClass* c = g.cls;
    j.field("live", c && c->in_use);
    j.field("readable", c && c->readable);
    if (c && c->readable) {
        uint64_t key = lock_class_key(*c, l);
        j.field("index", c->index);
        j.field("name", c->name);
        j.field("display_name", c->display_name());
        j.field("name_version", c->name_version);
        j.field("subclass", c->subclass);
        j.key("key").address(key);
        j.field("key_text", describe_key(t, l, key));
        j.field("novalidate", l.novalidate_key && key == l.novalidate_key);
        j.field("wait_outer", c->wait_outer);
        j.field("wait_inner", c->wait_inner);
        j.field("lock_type", c->lock_type);
        j.key("defect");
        if (c->defect == ClassDefect::None) j.null(); else j.value(class_defect_name(c->defect));
        j.field("defect_detail", c->defect_detail);
    }
    j.field("severity", severity_name(g.worst));
    j.key("origin");
    if (g.owners.empty()) j.null(); else write_map_slot(j, r, g.owners.front());
    j.field("owner_count", g.owner_count);
    j.key("aliases").begin_array();
    for (const MapSlot& s : g.aliases) write_map_slot(j, r, s);
    j.end_array();
    if (opt.verbose) {
        j.key("owners").begin_array();
        for (const MapSlot& s : g.owners) write_map_slot(j, r, s);
        j.end_array();
    }
    j.end_object();
}

}  // namespace

std::string scan_report_json(Target& t, const ScanResult& r, const ReportGroups& all,
                             const ReportOptions& opt) {
    const SeverityCounts n = report_counts(all);
    JsonWriter j;
    j.begin_object();
    j.field("schema", "lockalias-scan");
    j.field("version", 2);
    // Lowest first, as severity_rank() orders them (lockalias-check --fail-on).
    j.key("severity_order").begin_array();
    for (Severity sv : all_severities_by_rank()) j.value(severity_name(sv));
    j.end_array();
    j.key("error");
    if (r.error.empty()) j.null(); else j.value(r.error);
    j.key("classes").begin_array();
    for (const ClassGroup& g : all.current) write_class(j, t, r, g, opt);
    j.end_array();
    j.key("latent").begin_array();
    for (const ClassGroup& g : all.latent) write_class(j, t, r, g, ReportOptions{});
    j.end_array();
    j.key("untracked").begin_array();
    for (size_t i : all.untracked) {
        const MapFinding& f = r.untracked[i];
        j.begin_object().key("address").address(f.map.addr).key("phys").address(f.map.phys);
        j.field("name", f.map.name).key("key").address(f.map.key);
        j.field("wait_outer", f.map.wait_outer).field("wait_inner", f.map.wait_inner);
        write_where(j, f.where);
        j.end_object();
    }
    j.end_array();
    // "text": the report's own line, so a consumer (lockalias-check) prints the
    // same words without a copy of their table.
    j.key("dump_source").begin_object().field("used", source_name(r.memory_source));
    j.field("text", memory_source_line(r));
    j.key("refused").begin_array();
    for (const RefusedSource& x : r.refused_sources) {
        j.begin_object().field("source", source_name(x.kind)).field("reason", refusal_name(x.reason));
        j.field("detail", x.detail).end_object();
    }
    j.end_array().end_object();
    j.key("summary").begin_object();
    j.field("bytes_scanned", r.stats.bytes_scanned);
    j.field("pages_scanned", r.stats.pages_scanned);
    j.field("pages_unreadable", r.stats.pages_unreadable);
    j.field("pages_skipped", r.stats.pages_skipped);
    j.field("maps_found", r.stats.maps_found);
    j.field("classes_in_use", r.classes->in_use_count);
    j.field("classes_unreadable", r.classes->unreadable_count);
    j.key("aliases").begin_object();
    j.field("wait", n.wait).field("name", n.name).field("stale", n.stale).field("unreadable", n.unreadable);
    j.field("corrupt", n.corrupt).field("suspect", n.suspect).field("latent", n.latent);
    j.end_object();
    j.field("untracked", uint64_t(all.untracked.size()));
    j.field("classes_corrupt", r.classes->corrupt_count);
    j.field("untaken_maps", r.stats.untaken_maps);
    j.field("untaken_of_suspect_classes", r.stats.untaken_of_suspect_classes);
    j.field("maps_in_freed_objects", uint64_t(r.freed.size()));
    j.field("seconds", r.stats.seconds);
    j.field("interrupted", r.stats.interrupted);
    j.end_object();
    j.key("unreadable_ranges").begin_array();
    for (const PhysRange& u : r.unreadable) {
        j.begin_object().key("start").address(u.start).key("end").address(u.end).end_object();
    }
    j.end_array();
    j.key("freed_maps").begin_array();
    for (const MapFinding& f : r.freed) {
        j.begin_object().key("address").address(f.map.addr).field("slab_cache", f.where.slab_cache);
        j.key("slab_object").address(f.where.slab_object).field("how", std::string(f.freed_how)).end_object();
    }
    j.end_array();
    j.key("problems").begin_array();
    for (const std::string& p : r.problems) j.value(p);
    j.end_array();
    j.end_object();
    return j.str() + "\n";
}

}  // namespace lockalias
