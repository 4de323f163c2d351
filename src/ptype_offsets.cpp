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
    while (std::getline(in, line)) {
        std::smatch m;
        if (!std::regex_match(line, m, line_re)) continue;
        size_t indent = m[4].length();
        if (!top_indent) top_indent = indent;
        if (indent != top_indent) continue;  // a nested struct's member
        PtypeMember pm;
        pm.bit_offset = std::stol(m[1].str()) * 8 + (m[2].matched ? std::stol(m[2].str()) : 0);
        pm.bit_size = m[8].matched ? std::stol(m[8].str()) : std::stol(m[3].str()) * 8;
        out[m[6].str()] = pm;
    }
    return out;
}

}  // namespace lockalias
