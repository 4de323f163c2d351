// One lockalias command line, start to finish, on any Target. The crash
// glue prints `output` to crash's fp and each `errors` line with error(INFO).
#pragma once
#include <string>
#include <vector>

#include "command/command_line.h"
#include "dump/target.h"

namespace lockalias {

struct CommandResult {
    std::string output;
    std::vector<std::string> errors;
};

// A line parse_command_line() accepted (the crash glue parses once, then runs it).
CommandResult run_parsed_command(Target& t, CommandLine cl);
// Parses ARGS and runs them; a usage error is returned as one error line.
CommandResult run_command(Target& t, const std::vector<std::string>& args);

}  // namespace lockalias
