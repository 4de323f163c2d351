// lockalias's arguments, parsed once, without crash, so tests can drive them.
//
// getopt-style: options may be bundled (-jv), an option's operand attached
// or in the next word (-cADDR, -c ADDR), options and positional words may
// come in any order, and `--` ends the options (every later word is an
// ADDR or SYMBOL, even one that starts with '-').
//
// Exactly one mode per line, and each modifier only where it means
// something (docs/usage.md, "Options"):
//
//   mode                      -j   -v   -c ADDR   -n PATTERN   -T (with -j)
//   scan (no mode option)     yes  yes  yes       yes          yes
//   explain ADDR|SYMBOL...    yes  yes  -         -            -
//   -t [PID|TASK]             yes  -    -         -            -
//   -l                        yes  -    -         -            -
//   -C                        yes  -    -         -            -
//
// Two modes on one line, or a modifier its mode would ignore, is a usage
// error: `outcome` says so and `error` says why; nothing should run.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kernel/memory_util.h"  // parse_address()

namespace lockalias {

enum class ParseOutcome {
    Ok,          // run it
    UsageError,  // print `error` and the command's usage line; run nothing
};

enum class Mode {
    Scan,     // no mode option: scan the dump (-c, -n filter it)
    Explain,  // positional ADDR/SYMBOL words
    Held,     // -t [PID|TASK]
    Log,      // -l
    Classes,  // -C
};

struct CommandLine {
    ParseOutcome outcome = ParseOutcome::Ok;
    std::string error;            // UsageError: the reason, without a "lockalias: " prefix
    Mode mode = Mode::Scan;
    bool json = false;            // -j
    bool verbose = false;         // -v
    // -T, with -j: the text report too, after the JSON document, from the
    // same scan (lockalias-check writes both from one run).
    bool text_too = false;
    // The mode again, one flag each, as run_command reads it (at most one set).
    bool log = false;             // -l: explain the log's lockdep reports
    bool classes = false;         // -C: the class table
    bool held = false;            // -t [PID|TASK]: held locks
    long held_pid = -1;
    uint64_t held_task = 0;
    uint64_t class_addr = 0;      // -c ADDR
    std::string name_pattern;     // -n PATTERN
    std::vector<uint64_t> addresses;  // positional: explain these
    std::vector<std::string> symbols; // positional non-hex: explain &symbol

    bool ok() const { return outcome == ParseOutcome::Ok; }
};

// ARGS are the words after the command name.
CommandLine parse_command_line(const std::vector<std::string>& args);

// Whether the option word WORD ("-c", "-jc", "-t", "-jt33", ...) takes
// NEXT, the word after it (nullptr: none), as its operand: -c and -n take
// it when theirs is not attached, -t when its optional operand is not
// attached and NEXT is no option. parse_command_line() decides by this, and
// so does a front end that must tell lockalias's words from its own
// (lockalias-drgn's VMLINUX and VMCORE, through the Python binding).
bool takes_next_word(const std::string& word, const std::string* next);

// Whether V is what -t's operand must be: a decimal PID or a task address.
bool is_task_operand(const std::string& v);


}  // namespace lockalias
