// `lockalias -l`: the log analysis of analyze_log() as text and JSON.
#pragma once
#include <string>
#include <vector>

#include "analysis/log_analysis.h"

namespace lockalias {

std::string log_report_text(const std::vector<ReportAnalysis>& a);
std::string log_report_json(const std::vector<ReportAnalysis>& a);

}  // namespace lockalias
