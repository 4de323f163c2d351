#include "kernel/ptype_offsets.h"

#include <regex>
#include <sstream>

#include "kernel/memory_util.h"

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
        const long byte = parse_decimal(m[1].str(), -1, 1L << 30);
        const long bit = m[2].matched ? parse_decimal(m[2].str(), -1, 7) : 0;
        const long size = m[8].matched ? parse_decimal(m[8].str(), -1, 64)
                                       : parse_decimal(m[3].str(), -1, 1L << 30) * 8;
        if (byte < 0 || bit < 0 || size <= 0) continue;  // damaged line
        pm.bit_offset = byte * 8 + bit;
        pm.bit_size = size;
        out[m[6].str()] = pm;
    }
    return out;
}

}  // namespace lockalias
