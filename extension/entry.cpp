// The entry points crash_api.c calls for each `lockalias` command line:
// parse once (lockalias_parse), then run (lockalias_run), then free.
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "command/command.h"
#include "command/command_line.h"
#include "crash_api.h"
#include "crash_target.h"

struct la_line {
    lockalias::CommandLine cl;
};

namespace {

// crash's error() already starts each line with the command's name.
const char kPrefix[] = "lockalias: ";

void report_error(const std::string& text) {
    if (text.compare(0, sizeof kPrefix - 1, kPrefix) == 0) la_error(text.c_str() + sizeof kPrefix - 1);
    else la_error(text.c_str());
}

// One error line for the exception being handled (call in a catch block).
void report_exception() noexcept {
    try {
        throw;
    } catch (const std::bad_alloc&) {
        la_error("out of memory");
    } catch (const std::exception& e) {
        try {
            report_error(std::string("internal error: ") + e.what());
        } catch (...) {
            la_error("internal error");
        }
    } catch (...) {
        la_error("internal error");
    }
}

}  // namespace

// No exception may unwind into crash's C frames.
extern "C" enum la_parse_outcome lockalias_parse(int argc, char** argv, struct la_request* req) {
    req->line = nullptr;
    req->needs_log = 0;
    req->message = nullptr;
    try {
        auto line = std::make_unique<la_line>();
        line->cl = lockalias::parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
        const lockalias::CommandLine& cl = line->cl;
        enum la_parse_outcome outcome = LA_PARSE_OK;
        switch (cl.outcome) {
        case lockalias::ParseOutcome::Ok:
            req->needs_log = cl.mode == lockalias::Mode::Log;
            break;
        case lockalias::ParseOutcome::UsageError:
            outcome = LA_PARSE_USAGE_ERROR;
            req->message = cl.error.c_str();
            break;
        }
        req->line = line.release();
        return outcome;
    } catch (...) {
        report_exception();
        return LA_PARSE_FAILED;
    }
}

extern "C" void lockalias_run(const struct la_line* line, const char* log) {
    try {
        auto target = make_crash_target(log);
        lockalias::CommandResult r = lockalias::run_parsed_command(*target, line->cl);
        la_print(r.output.c_str());
        for (const std::string& e : r.errors) report_error(e);
    } catch (...) {
        report_exception();
    }
}

extern "C" void lockalias_free(struct la_line* line) {
    delete line;
}
