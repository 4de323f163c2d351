#include "command/command_line.h"

#include <cctype>

#include "kernel/memory_util.h"

namespace lockalias {

bool parse_address(const std::string& s, uint64_t& out) {
    size_t i = (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 2 : 0;
    if (i == s.size() || s.size() - i > 16) return false;
    uint64_t v = 0;
    for (; i < s.size(); i++) {
        if (!std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
        char c = char(std::tolower(static_cast<unsigned char>(s[i])));
        v = v * 16 + uint64_t(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    out = v;
    return true;
}

CommandLine parse_command_line(const std::vector<std::string>& args) {
    CommandLine c;
    for (size_t i = 0; i < args.size(); i++) {
        const std::string& a = args[i];
        auto operand = [&](const char* what) -> const std::string* {
            if (i + 1 >= args.size()) {
                c.error = "option " + a + " needs " + what;
                return nullptr;
            }
            return &args[++i];
        };
        if (a == "-j") c.json = true;
        else if (a == "-v") c.verbose = true;
        else if (a == "-l") c.log = true;
        else if (a == "-C") c.classes = true;
        else if (a == "-t") {
            c.held = true;
            // Optional operand: a decimal PID or a task_struct address.
            if (i + 1 < args.size() && !args[i + 1].empty() && args[i + 1][0] != '-') {
                const std::string& v = args[++i];
                bool decimal = v.find_first_not_of("0123456789") == std::string::npos && v.size() < 10;
                if (decimal) c.held_pid = parse_decimal(v, -1);
                else if (!parse_address(v, c.held_task)) { c.error = "-t: not a PID or task address: " + v; return c; }
            }
        }
        else if (a == "-c") {
            const std::string* v = operand("a lock_class address");
            if (!v) return c;
            if (!parse_address(*v, c.class_addr)) { c.error = "-c: not an address: " + *v; return c; }
        } else if (a == "-n") {
            const std::string* v = operand("a name pattern");
            if (!v) return c;
            c.name_pattern = *v;
            // crash strips double quotes but passes single quotes through.
            if (c.name_pattern.size() >= 2 && c.name_pattern.front() == '\'' &&
                c.name_pattern.back() == '\'')
                c.name_pattern = c.name_pattern.substr(1, c.name_pattern.size() - 2);
        } else if (!a.empty() && a[0] == '-') {
            c.error = "unknown option " + a + " (see: help lockalias)";
            return c;
        } else {
            uint64_t addr;
            if (parse_address(a, addr)) c.addresses.push_back(addr);
            else c.symbols.push_back(a);
        }
    }
    return c;
}

}  // namespace lockalias
