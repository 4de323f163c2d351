#include "ptype_offsets.h"

#include <regex>
#include <sstream>

namespace lockalias {

PtypeLayout parse_ptype_offsets(const std::string& text) {
    // "/*     32: 0   |       4 */    unsigned int class_idx : 13;"
    // "/*      8      |       8 */    unsigned long acquire_ip;"
    static const std::regex line_re(
        R"(^/\*\s*(\d+)(?::\s*(\d+))?\s*\|\s*(\d+)\s*\*/(\s+)(.*?)\b([A-Za-z_]\w*)(\[\d+\])*\s*(?::\s*(\d+))?;\s*$)");
    PtypeLayout out;
    std::istringstream in(text);
    std::string line;
    size_t top_indent = 0;
    static const std::regex any_member(R"(^/\*[^*]*\*/(\s+)(.*)$)");
    while (std::getline(in, line)) {
        std::smatch any;
        if (!std::regex_match(line, any, any_member) || any[2].str().rfind("type =", 0) == 0) continue;
        // The first member line (a plain one or a nested "struct {") sets
        // the indentation of top-level members.
        if (!top_indent) top_indent = any[1].length();
        std::smatch m;
        if (!std::regex_match(line, m, line_re)) continue;
        if (size_t(m[4].length()) != top_indent) continue;  // a nested struct's member
        PtypeMember pm;
        pm.bit_offset = std::stol(m[1].str()) * 8 + (m[2].matched ? std::stol(m[2].str()) : 0);
        pm.bit_size = m[8].matched ? std::stol(m[8].str()) : std::stol(m[3].str()) * 8;
        out[m[6].str()] = pm;
    }
    return out;
}

}  // namespace lockalias
