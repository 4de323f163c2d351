// One lockalias command line, start to finish, on any Target. The crash
// glue prints `output` to crash's fp and each `errors` line with error(INFO).
#pragma once
#include <string>
#include <vector>

#include "dump/target.h"

namespace lockalias {

struct CommandResult {
    std::string output;
    std::vector<std::string> errors;
};

CommandResult run_command(Target& t, const std::vector<std::string>& args);

}  // namespace lockalias
