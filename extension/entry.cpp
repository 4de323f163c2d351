// The entry point crash_api.c calls for each `lockalias` command line.
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "command/command.h"
#include "crash_api.h"
#include "crash_target.h"

extern "C" void lockalias_run(int argc, char** argv, const char* log) {
    // No exception may unwind into crash's C frames.
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        auto target = make_crash_target(log);
        lockalias::CommandResult r = lockalias::run_command(*target, args);
        la_print(r.output.c_str());
        for (const std::string& e : r.errors) la_error(e.c_str());
    } catch (const std::bad_alloc&) {
        la_error("lockalias: out of memory");
    } catch (const std::exception& e) {
        la_error((std::string("lockalias: internal error: ") + e.what()).c_str());
    }
}
