#include "kernel/page_type.h"

#include <string>

#include "kernel/enum_values.h"

namespace lockalias {

std::optional<PageType> PageType::of(Target& t, const char* name) {
    PageType p;
    p.offset_ = t.member_offset("page", "page_type").value_or(-1);
    if (p.offset_ < 0) return std::nullopt;
    if (auto ty = enum_value_of(t, "pagetype", "PGTY_" + std::string(name))) {
        p.top_byte_ = true;
        p.type_ = uint32_t(*ty);
        return p;
    }
    auto mask = enum_value_of(t, "pagetype", "PG_" + std::string(name));
    auto base = enum_value_of(t, "pagetype", "PAGE_TYPE_BASE");
    if (!mask || !base) return std::nullopt;
    p.type_ = uint32_t(*mask);
    p.base_ = uint32_t(*base);
    return p;
}

}  // namespace lockalias
