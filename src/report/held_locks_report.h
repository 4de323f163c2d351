// `lockalias -t`: the held locks of find_held_locks() as text and JSON.
#pragma once
#include <string>

#include "analysis/held_locks.h"
#include "lockdep/class_table.h"

namespace lockalias {

std::string held_locks_text(const ClassTable& classes, const HeldLocksResult& r);
std::string held_locks_json(const ClassTable& classes, const HeldLocksResult& r);

}  // namespace lockalias
