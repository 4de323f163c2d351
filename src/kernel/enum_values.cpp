#include "kernel/enum_values.h"

#include <sstream>

#include "kernel/memory_util.h"

namespace lockalias {

namespace {

std::string trim(const std::string& s) {
    const size_t a = s.find_first_not_of(" \t\r");
    if (a == std::string::npos) return "";
    return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}

bool is_identifier(const std::string& s) {
    if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
    for (char c : s)
        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return false;
    return true;
}

}  // namespace

EnumValues parse_enumerator_list(const std::string& text) {
    EnumValues out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const size_t eq = line.find('=');
        if (eq == std::string::npos) continue;
        const std::string name = trim(line.substr(0, eq));
        std::string value = trim(line.substr(eq + 1));
        const bool negative = !value.empty() && value[0] == '-';
        if (negative) value.erase(0, 1);
        const long v = parse_decimal(value, -1);
        if (!is_identifier(name) || v < 0) continue;
        out[name] = negative ? -v : v;
    }
    return out;
}

std::optional<long> enum_value_of(Target& t, const std::string& enum_type, const std::string& name) {
    // A listed enum's answer is final: asked for a name it has nowhere, gdb
    // searches every compilation unit (PG_slab on 6.12, gone from pageflags
    // since commit 46df8e73a4a3 ("mm: free up PG_slab") (in v6.10): 13 ms of
    // each first scan, perf).
    if (auto all = t.enumerators(enum_type)) {
        auto it = all->find(name);
        if (it == all->end()) return std::nullopt;
        return it->second;
    }
    return t.enum_value(name);
}

}  // namespace lockalias
