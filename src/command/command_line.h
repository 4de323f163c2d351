// lockalias's arguments, parsed without crash so tests can drive them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace lockalias {

struct CommandLine {
    bool json = false;
    bool verbose = false;
    bool log = false;             // -l: explain the log's lockdep reports
    bool classes = false;         // -C: the class table
    bool held = false;            // -t [PID|TASK]: held locks
    long held_pid = -1;
    uint64_t held_task = 0;
    uint64_t class_addr = 0;      // -c ADDR
    std::string name_pattern;     // -n PATTERN
    std::vector<uint64_t> addresses;  // positional: explain these
    std::vector<std::string> symbols; // positional non-hex: explain &symbol
    std::string error;            // set when the arguments are wrong
};

CommandLine parse_command_line(const std::vector<std::string>& args);

// Accepts "ffff8880...", "0xffff8880...". False for anything else.
bool parse_address(const std::string& s, uint64_t& out);

}  // namespace lockalias
