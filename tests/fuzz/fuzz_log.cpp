// libFuzzer harness for the text parsers: kernel log (lockdep reports) and
// gdb's `ptype /o` output. Arbitrary bytes must never crash or hang them.
#include <cstdint>
#include <string>

#include "analysis/log_parser.h"
#include "kernel/ptype_offsets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    auto reports = lockalias::parse_lockdep_reports(text);
    for (const auto& r : reports)
        for (const auto& l : r.locks) (void)l.printed_name.size();
    (void)lockalias::parse_ptype_offsets(text);
    return 0;
}
