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

const char* source_name(SourceKind k) {
    switch (k) {
    case SourceKind::TargetReads: return "target-reads";
    case SourceKind::KdumpBitmap: return "kdump-bitmap";
    case SourceKind::KdumpInPlace: return "kdump-in-place";
    case SourceKind::ElfInPlace: return "elf-in-place";
    }
    return "?";
}

const char* source_wording(SourceKind k) {
    switch (k) {
    case SourceKind::TargetReads: return "every page read through crash";
    case SourceKind::KdumpBitmap: return "pages read through crash, excluded pages skipped by the kdump bitmap";
    case SourceKind::KdumpInPlace: return "the kdump's pages read and decompressed in place";
    case SourceKind::ElfInPlace: return "the ELF dump mapped in place";
    }
    return "?";
}

const char* refusal_name(Refusal r) {
    switch (r) {
    case Refusal::TurnedOff: return "turned-off";
    case Refusal::OtherFormat: return "other-format";
    case Refusal::CannotOpen: return "cannot-open";
    case Refusal::PageSizeDiffers: return "page-size-differs";
    case Refusal::NothingToCompare: return "nothing-to-compare";
    case Refusal::BitmapDisagrees: return "bitmap-disagrees";
    case Refusal::BytesDisagree: return "bytes-disagree";
    case Refusal::PagesNotReadHere: return "pages-not-read-here";
    }
    return "?";
}

const char* refusal_wording(Refusal r) {
    switch (r) {
    case Refusal::TurnedOff: return "turned off (LOCKALIAS_READ_ALL)";
    case Refusal::OtherFormat: return "not this dump's format";
    case Refusal::CannotOpen: return "the file cannot be read as that format";
    case Refusal::PageSizeDiffers: return "the file's page size is not the kernel's";
    case Refusal::NothingToCompare: return "no sample page to check it against crash's reads";
    case Refusal::BitmapDisagrees: return "its bitmap of dumped pages disagrees with crash's reads";
    case Refusal::BytesDisagree: return "its pages differ from crash's reads";
    case Refusal::PagesNotReadHere: return "its pages cannot be read here (damaged, or an unknown compression)";
    }
    return "?";
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
        why += std::string(why.empty() ? "" : "; ") + source_name(r.kind) + ": " + refusal_wording(r.reason);
        if (!r.detail.empty()) why += " (" + r.detail + ")";
    }
    return why.empty() ? s : s + " (refused " + why + ")";
}

}  // namespace lockalias
