// `lockalias -C`: every live class, as /proc/lockdep would list it, with
// how many maps the scan found using it and how many of them are aliases.
#pragma once
#include <string>

#include "analysis/scan.h"
#include "dump/target.h"

namespace lockalias {

std::string class_list_text(Target& t, const ScanResult& r);
std::string class_list_json(Target& t, const ScanResult& r);

}  // namespace lockalias
