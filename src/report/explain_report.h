// Formats an Explanation (text side by side, or JSON schema
// "lockalias-explain" version 2, schemas/lockalias-explain.v2.json).
#pragma once
#include <string>

#include "analysis/explain.h"

namespace lockalias {

std::string explain_text(Target& t, const ClassTable& classes, const Explanation& e);
std::string explain_json(Target& t, const ClassTable& classes, const Explanation& e);

}  // namespace lockalias
