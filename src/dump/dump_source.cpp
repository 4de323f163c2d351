#include "dump/dump_source.h"

#include <cstdio>

namespace lockalias {

namespace {

class TargetReads final : public DumpSource {
public:
    SourceKind kind() const override { return SourceKind::TargetReads; }
};

void tell(Target& t, const std::string& what) {
    if (t.debug_level() >= 1) t.debug(what);
}

}  // namespace

std::unique_ptr<DumpSource> target_reads_source() { return std::make_unique<TargetReads>(); }

ChosenSource choose_dump_source(Target& t, const SourcePolicy& policy) {
    ChosenSource c;
    c.reader = t.reader_name();
    const DumpFile file = t.dump_file();
    auto refuse_all = [&](Refusal why, std::initializer_list<SourceKind> kinds) {
        for (SourceKind k : kinds) c.refused.push_back({k, why, ""});
    };
    const bool elf = file.format == DumpFormat::Elf, kdump = file.format == DumpFormat::Diskdump;
    if (!elf) refuse_all(Refusal::OtherFormat, {SourceKind::ElfInPlace});
    if (!kdump) refuse_all(Refusal::OtherFormat, {SourceKind::KdumpInPlace, SourceKind::KdumpBitmap});
    if (!policy.in_place) {
        if (elf) refuse_all(Refusal::TurnedOff, {SourceKind::ElfInPlace});
        if (kdump) refuse_all(Refusal::TurnedOff, {SourceKind::KdumpInPlace, SourceKind::KdumpBitmap});
    } else if (elf) {
        c.source = open_elf_source(t, file.path, c.refused, c.pages_checked);
    } else if (kdump) {
        c.source = file.paths.empty()
                       ? open_kdump_source(t, file.path, policy.threads, c.refused, c.pages_checked)
                       : open_kdump_source(t, file.paths, policy.threads, c.refused, c.pages_checked);
    }
    if (!c.source) c.source = target_reads_source();
    tell(t, "memory source: " + describe_choice(c) + " (" + std::to_string(c.pages_checked) +
                " sample pages compared with the target's reads)");
    return c;
}

namespace {

// One table each: the name (JSON, tests) and the words (text report) of
// every source and every reason to refuse one; {reader} is the Target's
// reader_name() ("crash", "drgn").
struct SourceRow {
    SourceKind kind;
    const char* name;
    const char* wording;
};
constexpr SourceRow kSources[] = {
    {SourceKind::TargetReads, "target-reads", "every page read through {reader}"},
    {SourceKind::KdumpBitmap, "kdump-bitmap", "pages read through {reader}, excluded pages skipped by the kdump bitmap"},
    {SourceKind::KdumpInPlace, "kdump-in-place", "the kdump's pages read and decompressed in place"},
    {SourceKind::ElfInPlace, "elf-in-place", "the ELF dump mapped in place"},
};

struct RefusalRow {
    Refusal reason;
    const char* name;
    const char* wording;
};
constexpr RefusalRow kRefusals[] = {
    {Refusal::TurnedOff, "turned-off", "turned off (LOCKALIAS_READ_ALL)"},
    {Refusal::OtherFormat, "other-format", "not this dump's format"},
    {Refusal::CannotOpen, "cannot-open", "the file cannot be read as that format"},
    {Refusal::PageSizeDiffers, "page-size-differs", "the file's page size is not the kernel's"},
    {Refusal::NothingToCompare, "nothing-to-compare", "no sample page to check it against {reader}'s reads"},
    {Refusal::BitmapDisagrees, "bitmap-disagrees", "its bitmap of dumped pages disagrees with {reader}'s reads"},
    {Refusal::BytesDisagree, "bytes-disagree", "its pages differ from {reader}'s reads"},
    {Refusal::PagesNotReadHere, "pages-not-read-here",
     "its pages cannot be read here (damaged, or an unknown compression)"},
};

const SourceRow* row_of(SourceKind k) {
    for (const SourceRow& r : kSources)
        if (r.kind == k) return &r;
    return nullptr;
}

const RefusalRow* row_of(Refusal why) {
    for (const RefusalRow& r : kRefusals)
        if (r.reason == why) return &r;
    return nullptr;
}

}  // namespace

const char* source_name(SourceKind k) { return row_of(k) ? row_of(k)->name : "?"; }
std::string with_reader(const char* wording, const std::string& reader) {
    std::string s = wording;
    const std::string mark = "{reader}";
    for (size_t at; (at = s.find(mark)) != std::string::npos;) s.replace(at, mark.size(), reader);
    return s;
}

std::string source_wording(SourceKind k, const std::string& reader) {
    return with_reader(row_of(k) ? row_of(k)->wording : "?", reader);
}
const char* refusal_name(Refusal r) { return row_of(r) ? row_of(r)->name : "?"; }
std::string refusal_wording(Refusal r, const std::string& reader) {
    return with_reader(row_of(r) ? row_of(r)->wording : "?", reader);
}

std::string page_at(uint64_t paddr) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "physical page %016llx", (unsigned long long)paddr);
    return buf;
}

std::string describe_choice(const ChosenSource& c) {
    std::string s = source_name(c.source->kind());
    std::string why;
    for (const RefusedSource& r : c.refused) {
        if (r.reason == Refusal::OtherFormat) continue;  // not a candidate for this dump
        why += std::string(why.empty() ? "" : "; ") + source_name(r.kind) + ": " + refusal_wording(r.reason, c.reader);
        if (!r.detail.empty()) why += " (" + r.detail + ")";
    }
    return why.empty() ? s : s + " (refused " + why + ")";
}

}  // namespace lockalias
