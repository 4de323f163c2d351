// The Target that reads through crash (crash_target.cpp).
#pragma once
#include <memory>

#include "dump/target.h"

// log: the kernel log text captured by the C glue, or nullptr.
std::unique_ptr<lockalias::Target> make_crash_target(const char* log);
