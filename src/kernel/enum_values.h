// Enumerator values from debuginfo. Asking gdb for one enumerator costs
// about 4 ms (it evaluates an expression); asking for the whole enum type
// costs one type look-up, so lockalias reads an enum at once where it can.
#pragma once
#include <map>
#include <optional>
#include <string>

#include "dump/target.h"

namespace lockalias {

// Parses crash's enumerator list, one "NAME = VALUE" per line; lines that
// do not have that shape are skipped. Never throws.
EnumValues parse_enumerator_list(const std::string& text);

// The value of enumerator `name` of enum `enum_type`: from the whole enum
// when the target can list it (none when the list lacks it), else by name
// alone (an enum the target cannot list, e.g. an anonymous one).
std::optional<long> enum_value_of(Target& t, const std::string& enum_type, const std::string& name);

}  // namespace lockalias
